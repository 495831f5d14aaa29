//! [`execute`]: the container entrypoint of every task template of a package. It reads the
//! inputs Flyte wrote (a `LiteralMap`), calls the task once (or one element of a map), and
//! writes `outputs.pb`, or `error.pb` with a `ContainerError`; a `#[dynamic]` runs its body and
//! writes the graph it built as `futures.pb` (or `outputs.pb` when it built no node). All end
//! the process normally:
//! Flyte reads the error document, retries `RECOVERABLE` errors (a task's error or panic) and
//! stops on `NON_RECOVERABLE` ones (inputs that do not decode).

use std::time::SystemTime;

use flowmap_model::graph::{Binding, Port, TaskSpec};
use flowmap_model::types::TypeDesc;
use flowmap_runtime::__private::{ExpandedOutput, Expansion};
use flowmap_runtime::{Cause, JsonInput, JsonInputs, JsonRunError, PanicError, Report, Runtime, TimeoutError};
use prost::Message;
use serde_json::Value as Json;

use crate::compile::dynamic::{Ids, futures};
use crate::compile::dynamic_map;
use crate::compile::task::{COMMAND_VAR, IMAGE_VAR, Image};
use crate::idl::flyteidl::core::{
    ContainerError, DynamicJobSpec, ErrorDocument, LiteralMap, container_error, execution_error, literal,
};
use crate::literal::{from_literal, to_literal_map};
use crate::registry::{Found, Registry};
use crate::store::{StoreError, join, read, write};

/// The arguments Flyte gives a task container (the template variables of its args).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecuteArgs {
    /// `{{.input}}`: the URI of the inputs' `LiteralMap`.
    pub inputs: String,
    /// `{{.outputPrefix}}`: where `outputs.pb` or `error.pb` goes.
    pub output_prefix: String,
    /// `{{.rawOutputDataPrefix}}`: where large data would go (unused: flowmap's values are
    /// literals).
    pub raw_output_data_prefix: String,
    /// `{{.checkpointOutputPrefix}}` (unused).
    pub checkpoint_path: Option<String>,
    /// `{{.prevCheckpointPrefix}}` (unused).
    pub prev_checkpoint: Option<String>,
    /// The task template's name.
    pub task: String,
    /// Whether this pod runs one element of a map.
    pub map: bool,
    /// The element to run, for a map; `None` reads it from the environment Flyte sets (see
    /// [`execute`]).
    pub element: Option<usize>,
}

/// How a task ended; either way its document was written.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Executed {
    /// `outputs.pb` was written.
    Succeeded,
    /// A dynamic's body built nodes: `futures.pb` was written (a `DynamicJobSpec`), which
    /// Flyte runs next as the node's sub-workflow.
    Expanded {
        /// How many nodes the body added.
        nodes: usize,
    },
    /// `error.pb` was written with this error.
    Failed {
        /// `USER:TaskError`, `USER:Panic`, `USER:Timeout`, `USER:InputError`, `SYSTEM:...`.
        code: String,
        /// The error, with its chain.
        message: String,
        /// Whether Flyte may retry.
        recoverable: bool,
    },
}

/// The container could not even say how the task ended.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecuteError {
    /// Writing `outputs.pb` or `error.pb` failed.
    #[error("could not write the task's result")]
    Write(#[source] StoreError),
}

/// A failure to be written as `error.pb`.
#[derive(Debug)]
pub(crate) struct Failure {
    code: &'static str,
    pub(crate) message: String,
    recoverable: bool,
    user: bool,
}

/// A failure of the container's setting (not of the task), which a retry would not mend.
fn system(code: &'static str, message: impl Into<String>) -> Failure {
    Failure { code, message: message.into(), recoverable: false, user: false }
}

fn input_failure(message: String) -> Failure {
    Failure { code: "USER:InputError", message, recoverable: false, user: true }
}

/// The element of a map this pod runs: `$BATCH_JOB_ARRAY_INDEX_OFFSET` plus the variable that
/// `$BATCH_JOB_ARRAY_INDEX_VAR_NAME` names, as flytekit computes it.
fn element_index() -> Result<usize, Failure> {
    index_from(|name| std::env::var(name).ok())
}

/// [`element_index`] with the environment read by `var`.
pub(crate) fn index_from(var: impl Fn(&str) -> Option<String>) -> Result<usize, Failure> {
    let parse = |name: &str, text: String| {
        text.trim()
            .parse::<usize>()
            .map_err(|_| system("SYSTEM:ArrayIndex", format!("${name} is `{text}`, not an index")))
    };
    let offset = match var("BATCH_JOB_ARRAY_INDEX_OFFSET") {
        Some(text) => parse("BATCH_JOB_ARRAY_INDEX_OFFSET", text)?,
        None => 0,
    };
    let index = match var("BATCH_JOB_ARRAY_INDEX_VAR_NAME") {
        Some(name) => match var(&name) {
            Some(text) => parse(&name, text)?,
            None => 0,
        },
        None => 0,
    };
    offset.checked_add(index).ok_or(system("SYSTEM:ArrayIndex", "the element index overflows"))
}

/// Runs the task `args` names, for a program serving `registry`, on `rt`; writes its outputs
/// or its error document under `args.output_prefix`. For a map template, the element is
/// `args.element`, or else `$BATCH_JOB_ARRAY_INDEX_OFFSET` (default 0) plus the variable that
/// `$BATCH_JOB_ARRAY_INDEX_VAR_NAME` names (propeller sets `FLYTE_K8S_ARRAY_INDEX`); mapped
/// inputs are indexed, bound (`partial`) ones passed whole.
///
/// # Errors
/// Only when neither document could be written: the caller should exit with a non-zero code.
///
/// A dynamic's `futures.pb` names its tasks with `$FLYTE_INTERNAL_EXECUTION_PROJECT`,
/// `$FLYTE_INTERNAL_EXECUTION_DOMAIN` and `$FLYTE_INTERNAL_TASK_VERSION` (which propeller sets),
/// and runs them in the image its template's `$FLOWMAP_FLYTE_IMAGE` names.
pub async fn execute(registry: &Registry, rt: &Runtime, args: &ExecuteArgs) -> Result<Executed, ExecuteError> {
    execute_with(registry, rt, args, &|name| std::env::var(name).ok()).await
}

/// [`execute`] with the environment read by `var`.
pub(crate) async fn execute_with(
    registry: &Registry,
    rt: &Runtime,
    args: &ExecuteArgs,
    var: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Executed, ExecuteError> {
    tracing::info!(task = %args.task, map = args.map, inputs = %args.inputs, "executing");
    match run(registry, rt, args, var).await {
        Ok(Written::Outputs(outputs)) => {
            let uri = join(&args.output_prefix, "outputs.pb");
            write(&uri, outputs.encode_to_vec()).await.map_err(ExecuteError::Write)?;
            tracing::info!(task = %args.task, outputs = %uri, "succeeded");
            Ok(Executed::Succeeded)
        }
        Ok(Written::Futures(spec)) => {
            let uri = join(&args.output_prefix, "futures.pb");
            let nodes = spec.nodes.len();
            write(&uri, spec.encode_to_vec()).await.map_err(ExecuteError::Write)?;
            tracing::info!(task = %args.task, futures = %uri, nodes, "expanded");
            Ok(Executed::Expanded { nodes })
        }
        Err(f) => {
            tracing::info!(task = %args.task, code = f.code, recoverable = f.recoverable, "failed: {}", f.message);
            let document = ErrorDocument {
                error: Some(ContainerError {
                    code: f.code.to_owned(),
                    message: f.message.clone(),
                    kind: if f.recoverable {
                        container_error::Kind::Recoverable
                    } else {
                        container_error::Kind::NonRecoverable
                    } as i32,
                    origin: if f.user { execution_error::ErrorKind::User } else { execution_error::ErrorKind::System }
                        as i32,
                    timestamp: Some(prost_types::Timestamp::from(SystemTime::now())),
                    worker: String::new(),
                }),
            };
            let uri = join(&args.output_prefix, "error.pb");
            write(&uri, document.encode_to_vec()).await.map_err(ExecuteError::Write)?;
            Ok(Executed::Failed { code: f.code.to_owned(), message: f.message, recoverable: f.recoverable })
        }
    }
}

/// What a successful pod writes.
enum Written {
    /// `outputs.pb`.
    Outputs(LiteralMap),
    /// `futures.pb`.
    Futures(DynamicJobSpec),
}

async fn run(
    registry: &Registry,
    rt: &Runtime,
    args: &ExecuteArgs,
    var: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Written, Failure> {
    let Some(found) = registry.find(&args.task) else {
        return Err(system(
            "SYSTEM:UnknownTask",
            format!(
                "this program serves no task `{}`: was the image built from the code that was registered?",
                args.task
            ),
        ));
    };
    // A `dynamic = true` map's template runs once, with the whole lists.
    let dynamic_map = found.map.as_ref().is_some_and(|m| m.dynamic);
    let array = found.map.is_some() && !dynamic_map;
    if array != args.map {
        let what =
            if args.map { "is not a map template, but --map was given" } else { "is a map template: give --map" };
        return Err(system("SYSTEM:BadArguments", format!("task `{}` {what}", args.task)));
    }
    let bytes = read(&args.inputs).await.map_err(|e| match e {
        StoreError::NotFound { .. } => system("SYSTEM:InputsNotFound", Report::new(&e).to_string()),
        // The store failed: it may answer on the next attempt.
        _ => Failure {
            code: "SYSTEM:InputsUnreadable",
            message: Report::new(&e).to_string(),
            recoverable: true,
            user: false,
        },
    })?;
    let literals = LiteralMap::decode(bytes.as_slice())
        .map_err(|e| input_failure(format!("the inputs at `{}` are not a LiteralMap: {e}", args.inputs)))?;
    let index = match (&found.map, args.element) {
        (None, _) => None,
        (Some(_), _) if dynamic_map => None,
        (Some(_), Some(i)) => Some(i),
        (Some(_), None) => Some(element_index()?),
    };
    if let Some(i) = index {
        tracing::info!(element = i, "running one element of the map");
    }
    let mut inputs = JsonInputs::new();
    let mut values = Vec::new();
    for port in &found.interface.inputs {
        let Some(lit) = literals.literals.get(&port.name) else {
            return Err(input_failure(format!("the inputs have no `{}`", port.name)));
        };
        let mapped = found.map.as_ref().is_some_and(|m| m.mapped.contains(&port.name));
        let lit = match (index, mapped) {
            (Some(i), true) => match &lit.value {
                // The index is Flyte's: one past the list is not the user's mistake.
                Some(literal::Value::Collection(c)) => c.literals.get(i).ok_or_else(|| {
                    system(
                        "SYSTEM:ArrayIndex",
                        format!(
                            "element {i} of a map of {} elements: input `{}` has no such element",
                            c.literals.len(),
                            port.name
                        ),
                    )
                })?,
                _ => return Err(input_failure(format!("mapped input `{}` is not a collection", port.name))),
            },
            _ => lit,
        };
        let ty = match (index, mapped) {
            (None, true) => TypeDesc::List { items: Box::new(port.ty.clone()) },
            _ => port.ty.clone(),
        };
        let value = from_literal(lit, &ty)
            .map_err(|e| input_failure(format!("input `{}` does not fit its type {}: {e}", port.name, ty.short())))?;
        if dynamic_map {
            values.push(value);
        } else {
            inputs = inputs.input(port.name.clone(), JsonInput::Value(value));
        }
    }
    if let (true, Some(map)) = (dynamic_map, &found.map) {
        let (spec, expansion) =
            dynamic_map::expand(&args.task, &found, map, values).map_err(|e| input_failure(e.to_string()))?;
        return write_expansion(&spec, &expansion, &args.task, var);
    }
    if let Some(dynamic) = found.dynamic {
        return expand(&found, dynamic, inputs, &args.task, var);
    }
    let outputs = found.workflow.call_json(rt, &found.target, inputs).await.map_err(|e| match e {
        JsonRunError::Run(error) => {
            // Said of the task: the pod runs one call, not the workflow it was found in.
            let message = match &error {
                flowmap_runtime::Error::Node { source, .. } => {
                    format!("task `{}` {}", args.task, Report::new(source.as_ref()))
                }
                other => other.report().to_string(),
            };
            let mut code = "USER:TaskError";
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
            while let Some(s) = source {
                if s.is::<PanicError>() {
                    code = "USER:Panic";
                } else if s.is::<TimeoutError>() {
                    code = "USER:Timeout";
                }
                source = s.source();
            }
            Failure { code, message, recoverable: true, user: true }
        }
        other => input_failure(Report::new(&other).to_string()),
    })?;
    let value =
        outputs.to_value().map_err(|e| system("SYSTEM:Outputs", format!("the outputs have no JSON form: {e}")))?;
    let ports = &found.interface.outputs;
    let values: Vec<Json> = match (ports.len(), value) {
        (1, v) => vec![v],
        (_, Json::Array(items)) => items,
        (0, Json::Null) => Vec::new(),
        (_, v) => vec![v],
    };
    outputs_of(ports, &values).map(Written::Outputs)
}

fn outputs_of(ports: &[Port], values: &[Json]) -> Result<LiteralMap, Failure> {
    to_literal_map(ports.iter().zip(values).map(|(p, v)| (p.name.as_str(), v, &p.ty)))
        .map_err(|e| system("SYSTEM:Outputs", format!("an output has no Flyte literal: {e}")))
}

/// Runs the body of `dynamic` with `inputs`: `futures.pb` of the graph it built, or, when it
/// built no node, its outputs (all of them the body's own values), as flytekit does (propeller
/// refuses a dynamic workflow with no nodes).
fn expand(
    found: &Found<'_>,
    dynamic: &TaskSpec,
    inputs: JsonInputs,
    task: &str,
    var: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Written, Failure> {
    let expansion = match found.workflow.expand_json(&found.target, inputs) {
        Ok(Some(Ok(expansion))) => expansion,
        Ok(Some(Err(cause))) => {
            let code = if matches!(cause, Cause::Panic(_)) { "USER:Panic" } else { "USER:TaskError" };
            let message = format!("dynamic `{task}`: {}", Report::new(cause.as_error()));
            return Err(Failure { code, message, recoverable: true, user: true });
        }
        Ok(None) => return Err(system("SYSTEM:NotDynamic", format!("task `{task}` is not a dynamic"))),
        Err(e) => return Err(input_failure(Report::new(&e).to_string())),
    };
    write_expansion(dynamic, &expansion, task, var)
}

/// What the pod of dynamic `dynamic` (template `task`) writes for the graph `expansion`:
/// `futures.pb`, or its outputs when it has no node.
fn write_expansion(
    dynamic: &TaskSpec,
    expansion: &Expansion,
    task: &str,
    var: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Written, Failure> {
    if expansion.nodes.is_empty() {
        let values: Vec<Json> = expansion
            .outputs
            .iter()
            .map(|out| match out {
                ExpandedOutput::One(b) => constant(b),
                ExpandedOutput::Each(each) => Json::Array(each.iter().map(constant).collect()),
            })
            .collect();
        return outputs_of(&dynamic.interface.outputs, &values).map(Written::Outputs);
    }
    let image = var(IMAGE_VAR).ok_or_else(|| {
        system(
            "SYSTEM:NoImage",
            format!(
                "${IMAGE_VAR} is not set: the template of a dynamic sets it to the image of its tasks; was `{task}` \
                 registered by flowmap?"
            ),
        )
    })?;
    let command: Vec<String> = var(COMMAND_VAR).into_iter().collect();
    let ids = Ids {
        project: var("FLYTE_INTERNAL_EXECUTION_PROJECT").unwrap_or_default(),
        domain: var("FLYTE_INTERNAL_EXECUTION_DOMAIN").unwrap_or_default(),
        version: var("FLYTE_INTERNAL_TASK_VERSION").unwrap_or_default(),
    };
    futures(dynamic, expansion, &Image { name: &image, command: &command }, &ids).map(Written::Futures).map_err(|e| {
        Failure { code: "USER:DynamicSpec", message: Report::new(&e).to_string(), recoverable: false, user: true }
    })
}

/// The value of an output of a body that built no node: a constant (the body's own value).
fn constant(b: &Binding) -> Json {
    match b {
        Binding::Constant { value } => value.clone(),
        _ => Json::Null,
    }
}
