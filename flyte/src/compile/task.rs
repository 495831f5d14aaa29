//! Task templates: one per task, run by the pod plugin as the user's binary
//! (`APP execute ... --task NAME`), and one list-typed template per way a task (or workflow)
//! is mapped, which runs one element (`--map`).

use flowmap_model::graph::{Interface, MapSettings, TaskSpec};
use flowmap_model::{ResourceKey, Resources, Settings};

use super::{LiteralTypeOf, description, duration, identifier, typed_interface, variables};
use crate::idl::flyteidl::admin;
use crate::idl::flyteidl::core::{
    Container, K8sObjectMetadata, KeyValuePair, LiteralType, ResourceType, RetryStrategy, RuntimeMetadata,
    TaskMetadata, TaskTemplate, TypedInterface, literal_type, resources, runtime_metadata, task_template,
};
use crate::types::{literal_type as type_of, union_of};

/// The task type the pod (container) plugin runs.
const TASK_TYPE: &str = "container";

/// The container's arguments: the binary's `execute` command with Flyte's template variables.
pub(crate) fn args(name: &str, map: bool) -> Vec<String> {
    let mut args: Vec<String> = [
        "execute",
        "--inputs",
        "{{.input}}",
        "--output-prefix",
        "{{.outputPrefix}}",
        "--raw-output-data-prefix",
        "{{.rawOutputDataPrefix}}",
        "--checkpoint-path",
        "{{.checkpointOutputPrefix}}",
        "--prev-checkpoint",
        "{{.prevCheckpointPrefix}}",
        "--task",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    args.push(name.to_owned());
    if map {
        args.push("--map".to_owned());
    }
    args
}

/// Requests and limits as Flyte's resource entries, in flytekit's order (cpu, gpu, memory,
/// ephemeral storage).
pub(crate) fn resources(
    requests: Option<&Resources>,
    limits: Option<&Resources>,
) -> crate::idl::flyteidl::core::Resources {
    let entries = |r: Option<&Resources>| -> Vec<resources::ResourceEntry> {
        let Some(r) = r else { return Vec::new() };
        [
            (ResourceKey::Cpu, resources::ResourceName::Cpu),
            (ResourceKey::Gpu, resources::ResourceName::Gpu),
            (ResourceKey::Mem, resources::ResourceName::Memory),
            (ResourceKey::EphemeralStorage, resources::ResourceName::EphemeralStorage),
        ]
        .into_iter()
        .filter_map(|(key, name)| {
            r.get(key).map(|q| resources::ResourceEntry { name: name as i32, value: q.text().to_owned() })
        })
        .collect()
    };
    crate::idl::flyteidl::core::Resources { requests: entries(requests), limits: entries(limits) }
}

/// A task's metadata: runtime, retries, timeout and cache.
fn metadata(settings: &Settings) -> TaskMetadata {
    TaskMetadata {
        discoverable: settings.cache == Some(true),
        discovery_version: settings.cache_version.clone().unwrap_or_default(),
        cache_ignore_input_vars: settings.cache_ignore_inputs.clone().unwrap_or_default(),
        cache_serializable: settings.cache_serialize == Some(true),
        runtime: Some(RuntimeMetadata {
            r#type: runtime_metadata::RuntimeType::Other as i32,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            flavor: "rust".to_owned(),
        }),
        timeout: settings.timeout.map(duration),
        retries: Some(RetryStrategy { retries: settings.retries.unwrap_or(0) }),
        generates_deck: Some(false),
        metadata: Some(K8sObjectMetadata::default()),
        ..TaskMetadata::default()
    }
}

/// Where and how a task's container runs.
pub(crate) struct Image<'a> {
    /// The image.
    pub(crate) name: &'a str,
    /// The binary's path in it; empty: the image's entrypoint.
    pub(crate) command: &'a [String],
}

fn template(
    name: &str,
    settings: &Settings,
    interface: TypedInterface,
    image: &Image<'_>,
    doc: Option<Option<&str>>,
) -> admin::TaskSpec {
    // A map template has no description of its own (as flytekit's).
    let map = doc.is_none();
    admin::TaskSpec {
        template: Some(TaskTemplate {
            id: Some(identifier(ResourceType::Task, name)),
            r#type: TASK_TYPE.to_owned(),
            metadata: Some(metadata(settings)),
            interface: Some(interface),
            task_type_version: i32::from(map),
            target: Some(task_template::Target::Container(Container {
                image: image.name.to_owned(),
                command: image.command.to_vec(),
                args: args(name, map),
                resources: Some(resources(settings.requests.as_ref(), settings.limits.as_ref())),
                ..Container::default()
            })),
            ..TaskTemplate::default()
        }),
        // flytekit describes a task, not the templates of its maps.
        description: doc.map(description),
    }
}

/// The template of a task.
pub(crate) fn task(name: &str, task: &TaskSpec, image: &Image<'_>) -> admin::TaskSpec {
    let mut spec = template(name, &task.settings, typed_interface(&task.interface), image, Some(task.doc.as_deref()));
    if task.dynamic {
        dynamic_env(&mut spec, image);
    }
    spec
}

/// A dynamic's pod writes the templates of the tasks its body calls: they run in the same
/// image, which the pod learns from its container's environment (flytekit's dynamics carry it
/// in `_F_SS_C`).
fn dynamic_env(spec: &mut admin::TaskSpec, image: &Image<'_>) {
    if let Some(task_template::Target::Container(c)) = spec.template.as_mut().and_then(|t| t.target.as_mut()) {
        c.env.push(KeyValuePair { key: IMAGE_VAR.to_owned(), value: image.name.to_owned() });
        if let Some(command) = image.command.first() {
            c.env.push(KeyValuePair { key: COMMAND_VAR.to_owned(), value: command.clone() });
        }
    }
}

/// The variable of a dynamic's container that names the image of its tasks.
pub(crate) const IMAGE_VAR: &str = "FLOWMAP_FLYTE_IMAGE";
/// The variable of a dynamic's container that names the program in the image, when the image's
/// entrypoint is not the program ([`crate::Package::command`]).
pub(crate) const COMMAND_VAR: &str = "FLOWMAP_FLYTE_COMMAND";

/// The name of the template that maps `target` (a Flyte name) with these settings: one per
/// interface a map can give it (which inputs are whole, whether failures are tolerated).
pub(crate) fn map_name(target: &str, map: &MapSettings) -> String {
    let mut name = format!("{target}.map");
    if !map.partial.is_empty() {
        name += "-partial-";
        name += &map.partial.join("-");
    }
    if map.tolerant {
        name += "-optional";
    }
    if map.dynamic {
        name += "-dynamic";
    }
    name
}

/// The list-typed template of a map of a target with `interface` and `settings` (a task's own
/// settings; a workflow has none): mapped inputs are lists, `partial` ones whole, and outputs
/// lists (of optionals when failures are tolerated).
pub(crate) fn map(
    name: &str,
    interface: &Interface,
    settings: &Settings,
    map: &MapSettings,
    image: &Image<'_>,
) -> admin::TaskSpec {
    template(name, settings, map_interface(interface, map), image, None)
}

/// The template of a `dynamic = true` map of a workflow with `interface`: typed as a map's, run
/// once as a dynamic, whose pod writes a node of the workflow per element (`futures.pb`).
pub(crate) fn dynamic_map(name: &str, interface: &Interface, map: &MapSettings, image: &Image<'_>) -> admin::TaskSpec {
    let mut spec = template(name, &Settings::default(), map_interface(interface, map), image, Some(None));
    dynamic_env(&mut spec, image);
    spec
}

/// A map's interface: mapped inputs are lists, `partial` ones whole, and outputs lists (of
/// optionals when failures are tolerated).
fn map_interface(interface: &Interface, map: &MapSettings) -> TypedInterface {
    let list = |t: LiteralType| LiteralType {
        r#type: Some(literal_type::Type::CollectionType(Box::new(t))),
        ..LiteralType::default()
    };
    let inputs = interface.inputs.iter().map(|p| {
        let ty = if map.partial.contains(&p.name) { type_of(&p.ty) } else { list(type_of(&p.ty)) };
        (p.name.as_str(), LiteralTypeOf::Built(ty))
    });
    let outputs = interface.outputs.iter().map(|p| {
        let ty = if map.tolerant { union_of(&p.ty) } else { type_of(&p.ty) };
        (p.name.as_str(), LiteralTypeOf::Built(list(ty)))
    });
    TypedInterface { inputs: Some(variables(inputs)), outputs: Some(variables(outputs)) }
}
