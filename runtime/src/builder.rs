//! Building a workflow's graph: generated code runs the workflow body against a [`GraphBuilder`],
//! which records a node per call and the typed executor for each.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};

use flowmap_spec::ratio::Ratio;

use crate::error::Error;
use crate::exec::node::{CallExec, MapExec, NodeExec, SuccessRule};
use crate::graph::{
    Binding, EffectiveSettings, GRAPH_FORMAT, Graph, InputBinding, Interface, MapSettings, Node, NodeKind,
    OutputBinding, Overrides, Port, TargetKind, TaskSpec,
};
use crate::promise::{Promise, Source};
use crate::target::{Runnable, TargetInfo, Workflow};
use crate::types::{Data, TypeDesc};
use crate::value::{InputTuple, OutputTuple, Slots, Value};

/// The tasks and sub-workflows a graph refers to.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Tables {
    pub(crate) tasks: BTreeMap<String, TaskSpec>,
    pub(crate) workflows: BTreeMap<String, Graph>,
}

/// A workflow's graph and what runs it.
pub struct Compiled {
    /// The serializable graph.
    pub graph: Graph,
    pub(crate) plan: Plan,
}

impl fmt::Debug for Compiled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compiled").field("graph", &self.graph).finish_non_exhaustive()
    }
}

pub(crate) struct Plan {
    pub(crate) nodes: Vec<PlannedNode>,
    pub(crate) outputs: Vec<Source>,
    pub(crate) constants: Vec<Value>,
}

pub(crate) struct PlannedNode {
    pub(crate) id: String,
    pub(crate) display: String,
    pub(crate) inputs: Vec<Source>,
    pub(crate) exec: Box<dyn NodeExec>,
}

/// Records nodes while generated code runs a workflow body.
#[doc(hidden)]
pub struct GraphBuilder {
    workflow: String,
    input_names: &'static [&'static str],
    nodes: Vec<Node>,
    planned: Vec<PlannedNode>,
    constants: Vec<Value>,
    constant_json: Vec<serde_json::Value>,
    tables: Tables,
    errors: Vec<String>,
}

impl fmt::Debug for GraphBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphBuilder")
            .field("workflow", &self.workflow)
            .field("nodes", &self.nodes)
            .finish_non_exhaustive()
    }
}

/// The options of one `map!`, as the macro checked them.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default)]
pub struct MapSpec {
    /// `concurrency = N`.
    pub concurrency: Option<u32>,
    /// `min_success_ratio = R`, as written.
    pub min_success_ratio: Option<&'static str>,
    /// `min_successes = K`.
    pub min_successes: Option<u64>,
}

/// A workflow's declaration, as the macro read it.
#[doc(hidden)]
#[derive(Debug)]
pub struct WorkflowDecl {
    /// Function name.
    pub name: &'static str,
    /// `module_path!()`.
    pub module: &'static str,
    /// Parameter names.
    pub inputs: &'static [&'static str],
}

/// A task's declaration, as the macro read and checked it.
#[doc(hidden)]
#[derive(Debug)]
pub struct TaskDecl {
    /// Display name.
    pub name: &'static str,
    /// `module_path!()`.
    pub module: &'static str,
    /// Parameter names.
    pub inputs: &'static [&'static str],
    /// Whether it is an `async fn`.
    pub is_async: bool,
    /// `retries = N`.
    pub retries: u32,
    /// `timeout = "..."`.
    pub timeout: Option<&'static str>,
    /// `cache = bool`.
    pub cache: bool,
    /// `cache_version = "..."`.
    pub cache_version: Option<&'static str>,
    /// `requests(key = "quantity", ...)`.
    pub requests: &'static [(&'static str, &'static str)],
    /// `limits(...)`.
    pub limits: &'static [(&'static str, &'static str)],
}

fn ports(names: &[&str], types: Vec<TypeDesc>) -> Vec<Port> {
    names.iter().zip(types).map(|(n, ty)| Port { name: (*n).to_owned(), ty, default: None }).collect()
}

fn output_ports(types: Vec<TypeDesc>) -> Vec<Port> {
    types.into_iter().enumerate().map(|(i, ty)| Port { name: format!("o{i}"), ty, default: None }).collect()
}

impl TaskDecl {
    /// The task's spec, given the descriptors of its input and output types.
    #[must_use]
    pub fn spec(&self, (inputs, outputs): (Vec<TypeDesc>, Vec<TypeDesc>)) -> TaskSpec {
        let mut requests = crate::graph::Resources::default();
        for (k, v) in self.requests {
            requests.set(k, v);
        }
        let mut limits = crate::graph::Resources::default();
        for (k, v) in self.limits {
            limits.set(k, v);
        }
        TaskSpec {
            name: self.name.to_owned(),
            module: self.module.to_owned(),
            is_async: self.is_async,
            interface: Interface { inputs: ports(self.inputs, inputs), outputs: output_ports(outputs) },
            retries: self.retries,
            timeout: self.timeout.map(str::to_owned),
            cache: self.cache,
            cache_version: self.cache_version.map(str::to_owned),
            requests,
            limits,
        }
    }

    /// Registers the task in `tables` and describes it to the builder.
    ///
    /// # Errors
    /// When the checked timeout no longer parses (a flowmap bug).
    pub fn info(&self, tables: &mut Tables, types: (Vec<TypeDesc>, Vec<TypeDesc>)) -> Result<TargetInfo, String> {
        let spec = self.spec(types);
        let name = crate::graph::qualified(&spec.module, &spec.name);
        let timeout = spec.timeout.as_deref().map(flowmap_spec::duration::parse_timeout).transpose()?;
        let settings = EffectiveSettings { retries: spec.retries, timeout, requests: spec.requests.clone() };
        tables.tasks.insert(name.clone(), spec);
        Ok(TargetInfo {
            target: crate::graph::TargetRef { kind: TargetKind::Task, name },
            name: self.name.to_owned(),
            inputs: self.inputs,
            settings,
            blocking: !self.is_async,
        })
    }
}

/// Registers workflow `W` (and everything it refers to) in `tables` as a sub-workflow.
///
/// # Errors
/// When `W`'s own graph cannot be built.
#[doc(hidden)]
pub fn workflow_info<W: Workflow>(wf: &W, decl: &WorkflowDecl, tables: &mut Tables) -> Result<TargetInfo, String> {
    let compiled = wf.compiled().map_err(|e| e.to_string())?;
    let mut graph = compiled.graph.clone();
    tables.tasks.append(&mut graph.tasks);
    tables.workflows.append(&mut graph.workflows);
    let name = graph.qualified_name();
    tables.workflows.insert(name.clone(), graph);
    Ok(TargetInfo {
        target: crate::graph::TargetRef { kind: TargetKind::Workflow, name },
        name: decl.name.to_owned(),
        inputs: decl.inputs,
        settings: EffectiveSettings::default(),
        blocking: false,
    })
}

impl GraphBuilder {
    fn binding(&self, source: Source) -> Binding {
        match source {
            Source::Input(i) => Binding::Input { name: self.input_names.get(i).copied().unwrap_or("?").to_owned() },
            Source::Output { node, port } => Binding::Node { node: format!("n{node}"), output: format!("o{port}") },
            Source::Constant(c) => Binding::Constant { value: self.constant_json[c].clone() },
        }
    }

    /// A constant written in the workflow body.
    pub fn constant<T: Data>(&mut self, value: T) -> Promise<T> {
        let json = serde_json::to_value(&value).unwrap_or_else(|e| {
            self.errors.push(format!("a constant of type `{}` cannot be serialized: {e}", std::any::type_name::<T>()));
            serde_json::Value::Null
        });
        self.constants.push(Arc::new(value));
        self.constant_json.push(json);
        Promise::new(Source::Constant(self.constants.len() - 1))
    }

    fn add<T: Runnable, S: Slots<Input = T::Input>>(
        &mut self,
        target: T,
        slots: &S,
        overrides: Overrides,
        map: Option<(MapSpec, bool)>,
    ) -> Option<usize> {
        let info = match target.info(&mut self.tables) {
            Ok(info) => info,
            Err(e) => {
                self.errors.push(e);
                return None;
            }
        };
        let index = self.nodes.len();
        let id = format!("n{index}");
        let given = slots.sources();
        let mut sources = Vec::with_capacity(given.len());
        for ((source, mapped), name) in given.iter().zip(info.inputs) {
            match source {
                Some(s) => sources.push((*s, *mapped)),
                None => {
                    self.errors.push(format!("node {id}: input `{name}` of `{}` is not given", info.name));
                    return None;
                }
            }
        }
        let inputs = sources
            .iter()
            .zip(info.inputs)
            .map(|((s, _), name)| InputBinding { name: (*name).to_owned(), binding: self.binding(*s) })
            .collect();
        let mut settings = info.settings.clone();
        if let Some(r) = overrides.retries {
            settings.retries = r;
        }
        if let Some(t) = &overrides.timeout {
            match flowmap_spec::duration::parse_timeout(t) {
                Ok(d) => settings.timeout = Some(d),
                Err(e) => self.errors.push(format!("node {id}: {e}")),
            }
        }
        settings.requests.merge(&overrides.requests);
        let shown = overrides.name.clone().unwrap_or_else(|| info.name.clone());
        let kind_word = match info.target.kind {
            TargetKind::Task => "task",
            TargetKind::Workflow => "workflow",
        };
        let (kind, outputs, map_settings, exec, display): (_, _, _, Box<dyn NodeExec>, _) = match map {
            None => (
                match info.target.kind {
                    TargetKind::Task => NodeKind::Task,
                    TargetKind::Workflow => NodeKind::Workflow,
                },
                output_ports(T::Output::types()),
                None,
                Box::new(CallExec::<T, S> {
                    target,
                    display: format!("{kind_word} {shown}").into(),
                    settings,
                    names: info.inputs,
                    _slots: PhantomData,
                }),
                format!("{kind_word} {shown}"),
            ),
            Some((spec, tolerant)) => {
                let rule = match (spec.min_successes, spec.min_success_ratio) {
                    (Some(k), _) => SuccessRule::AtLeast(usize::try_from(k).unwrap_or(usize::MAX)),
                    (None, Some(r)) => match Ratio::parse(r) {
                        Ok(r) => SuccessRule::Ratio(r),
                        Err(e) => {
                            self.errors.push(format!("node {id}: {e}"));
                            SuccessRule::All
                        }
                    },
                    (None, None) => SuccessRule::All,
                };
                let (mapped, partial) = sources.iter().zip(info.inputs).fold(
                    (Vec::new(), Vec::new()),
                    |(mut m, mut p), ((_, is_mapped), name)| {
                        if *is_mapped {
                            m.push((*name).to_owned())
                        } else {
                            p.push((*name).to_owned())
                        }
                        (m, p)
                    },
                );
                if mapped.is_empty() {
                    self.errors.push(format!("node {id}: map of `{shown}` has no mapped list input"));
                }
                let settings_json = MapSettings {
                    concurrency: spec.concurrency,
                    min_success_ratio: spec.min_success_ratio.and_then(|r| Ratio::parse(r).ok()).map(|r| r.to_string()),
                    min_successes: spec.min_successes,
                    tolerant,
                    mapped,
                    partial,
                };
                let window = spec.concurrency.map_or(usize::MAX, |c| usize::try_from(c).unwrap_or(usize::MAX));
                (
                    NodeKind::Map,
                    output_ports(if tolerant { T::Output::option_list_types() } else { T::Output::list_types() }),
                    Some(settings_json),
                    Box::new(MapExec::<T, S> {
                        target,
                        display: format!("map of {kind_word} {shown}").into(),
                        settings,
                        names: info.inputs,
                        window,
                        blocking: info.blocking,
                        rule,
                        tolerant,
                        _slots: PhantomData,
                    }),
                    format!("map of {kind_word} {shown}"),
                )
            }
        };
        self.nodes.push(Node {
            id: id.clone(),
            kind,
            target: info.target,
            inputs,
            outputs,
            map: map_settings,
            overrides,
        });
        self.planned.push(PlannedNode { id, display, inputs: sources.iter().map(|(s, _)| *s).collect(), exec });
        Some(index)
    }

    /// A call of a task or workflow.
    pub fn call<T: Runnable, S: Slots<Input = T::Input>>(
        &mut self,
        target: T,
        slots: S,
        overrides: Overrides,
    ) -> <T::Output as OutputTuple>::Promises {
        let node = self.add(target, &slots, overrides, None).unwrap_or(usize::MAX);
        T::Output::promises(node)
    }

    /// A map whose elements must all succeed: outputs are `Vec<T>`.
    pub fn map<T: Runnable, S: Slots<Input = T::Input>>(
        &mut self,
        target: T,
        slots: S,
        spec: MapSpec,
        overrides: Overrides,
    ) -> <T::Output as OutputTuple>::ListPromises {
        let node = self.add(target, &slots, overrides, Some((spec, false))).unwrap_or(usize::MAX);
        T::Output::list_promises(node)
    }

    /// A map tolerating failed elements: outputs are `Vec<Option<T>>`.
    pub fn map_tolerant<T: Runnable, S: Slots<Input = T::Input>>(
        &mut self,
        target: T,
        slots: S,
        spec: MapSpec,
        overrides: Overrides,
    ) -> <T::Output as OutputTuple>::OptionListPromises {
        let node = self.add(target, &slots, overrides, Some((spec, true))).unwrap_or(usize::MAX);
        T::Output::option_list_promises(node)
    }
}

/// The defaults of a workflow's inputs, as JSON for the graph.
#[doc(hidden)]
pub type DefaultsJson = Vec<Option<serde_json::Value>>;

/// Serializes one `#[default(...)]` value for the graph.
#[doc(hidden)]
pub fn default_json<T: Data>(value: &T) -> Result<serde_json::Value, String> {
    serde_json::to_value(value)
        .map_err(|e| format!("a default of type `{}` cannot be serialized: {e}", std::any::type_name::<T>()))
}

/// Builds workflow `W`'s graph by running its body.
///
/// # Errors
/// A message listing everything that went wrong.
#[doc(hidden)]
#[allow(clippy::type_complexity)]
pub fn compile<W: Workflow>(
    decl: &WorkflowDecl,
    defaults: Vec<Option<Result<serde_json::Value, String>>>,
    body: fn(&mut GraphBuilder, <W::Input as InputTuple>::Promises) -> <W::Output as OutputTuple>::Promises,
) -> Result<Compiled, String> {
    let mut b = GraphBuilder {
        workflow: decl.name.to_owned(),
        input_names: decl.inputs,
        nodes: Vec::new(),
        planned: Vec::new(),
        constants: Vec::new(),
        constant_json: Vec::new(),
        tables: Tables::default(),
        errors: Vec::new(),
    };
    let tail = body(&mut b, W::Input::input_promises());
    let out_sources = W::Output::sources(tail);
    let mut inputs = ports(decl.inputs, W::Input::types());
    for (port, default) in inputs.iter_mut().zip(defaults) {
        match default {
            Some(Ok(v)) => port.default = Some(v),
            Some(Err(e)) => b.errors.push(e),
            None => {}
        }
    }
    if b.planned.len() != b.nodes.len()
        || out_sources.iter().any(|s| matches!(s, Source::Output { node, .. } if *node >= b.nodes.len()))
    {
        b.errors.push("a node could not be added".into());
    }
    if !b.errors.is_empty() {
        return Err(b.errors.join("; "));
    }
    let outputs = out_sources
        .iter()
        .enumerate()
        .map(|(i, s)| OutputBinding { name: format!("o{i}"), binding: b.binding(*s) })
        .collect();
    let graph = Graph {
        format: GRAPH_FORMAT,
        name: decl.name.to_owned(),
        module: decl.module.to_owned(),
        interface: Interface { inputs, outputs: output_ports(W::Output::types()) },
        nodes: b.nodes,
        outputs,
        tasks: b.tables.tasks,
        workflows: b.tables.workflows,
    };
    Ok(Compiled { graph, plan: Plan { nodes: b.planned, outputs: out_sources, constants: b.constants } })
}

/// Holds a workflow's compiled graph, built once; refuses a workflow that calls itself.
#[doc(hidden)]
#[derive(Debug)]
pub struct CompileCell {
    cell: OnceLock<Result<Compiled, String>>,
}

thread_local! {
    static BUILDING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

impl CompileCell {
    /// An empty cell.
    #[must_use]
    pub const fn new() -> Self {
        CompileCell { cell: OnceLock::new() }
    }

    /// The compiled graph, building it with `build` the first time.
    ///
    /// # Errors
    /// The build error, and a clear error for a workflow that calls itself.
    pub fn get(
        &'static self,
        name: &str,
        build: impl FnOnce() -> Result<Compiled, String>,
    ) -> Result<&'static Compiled, Error> {
        let key = std::ptr::from_ref(self) as usize;
        let result = match self.cell.get() {
            Some(r) => r,
            None => {
                if BUILDING.with(|b| b.borrow().contains(&key)) {
                    return Err(Error::Build {
                        workflow: name.to_owned(),
                        message: format!(
                            "`{name}` calls itself, directly or through a sub-workflow; a workflow graph must be finite"
                        ),
                    });
                }
                BUILDING.with(|b| b.borrow_mut().push(key));
                let r = self.cell.get_or_init(build);
                BUILDING.with(|b| b.borrow_mut().retain(|k| *k != key));
                r
            }
        };
        result.as_ref().map_err(|message| Error::Build { workflow: name.to_owned(), message: message.clone() })
    }
}

impl Default for CompileCell {
    fn default() -> Self {
        Self::new()
    }
}
