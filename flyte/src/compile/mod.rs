//! The graph model compiled to Flyte's specs: task templates (`task.rs`), workflow templates
//! with their nodes (`workflow.rs`) and launch plans (`launch_plan.rs`). Only the model is read
//! here; nothing runs.

pub(crate) mod branch;
pub(crate) mod dynamic;
pub(crate) mod dynamic_map;
pub(crate) mod launch_plan;
pub(crate) mod task;
pub(crate) mod workflow;

use std::time::Duration;

use flowmap_model::graph::Interface;

use crate::idl::flyteidl::admin::{Description, DescriptionEntity, DescriptionFormat};
use crate::idl::flyteidl::core::{Identifier, ResourceType, TypedInterface, Variable, VariableMap};
use crate::types::literal_type;

/// The Flyte name of a task or workflow: its qualified Rust name with `.` for `::`, as flytekit
/// names Python's `module.function`.
pub(crate) fn flyte_name(qualified: &str) -> String {
    qualified.replace("::", ".")
}

/// An identifier of `kind` named `name`; project, domain and version are left for
/// `flytectl register` to fill in.
pub(crate) fn identifier(kind: ResourceType, name: &str) -> Identifier {
    Identifier { resource_type: kind as i32, name: name.to_owned(), ..Identifier::default() }
}

/// Each port as a variable, described by its name as flytekit describes them.
pub(crate) fn variables<'a>(ports: impl IntoIterator<Item = (&'a str, LiteralTypeOf<'a>)>) -> VariableMap {
    VariableMap {
        variables: ports
            .into_iter()
            .map(|(name, ty)| {
                let var = Variable { r#type: Some(ty.get()), description: name.to_owned(), ..Variable::default() };
                (name.to_owned(), var)
            })
            .collect(),
    }
}

/// A port's Flyte type, as given or computed from its flowmap type.
pub(crate) enum LiteralTypeOf<'a> {
    /// From the port's flowmap type.
    Desc(&'a flowmap_model::types::TypeDesc),
    /// Already built.
    Built(crate::idl::flyteidl::core::LiteralType),
}

impl LiteralTypeOf<'_> {
    fn get(self) -> crate::idl::flyteidl::core::LiteralType {
        match self {
            LiteralTypeOf::Desc(ty) => literal_type(ty),
            LiteralTypeOf::Built(ty) => ty,
        }
    }
}

/// An interface as Flyte's typed interface.
pub(crate) fn typed_interface(interface: &Interface) -> TypedInterface {
    TypedInterface {
        inputs: Some(variables(interface.inputs.iter().map(|p| (p.name.as_str(), LiteralTypeOf::Desc(&p.ty))))),
        outputs: Some(variables(interface.outputs.iter().map(|p| (p.name.as_str(), LiteralTypeOf::Desc(&p.ty))))),
    }
}

/// The description of a task or workflow spec: its doc comment (first line short, the whole
/// as Markdown, as rustdoc reads it), or, with none, the empty RST text flytekit attaches.
pub(crate) fn description(doc: Option<&str>) -> DescriptionEntity {
    match doc {
        Some(doc) => DescriptionEntity {
            short_description: doc.lines().next().unwrap_or_default().to_owned(),
            long_description: Some(Description {
                format: DescriptionFormat::Markdown as i32,
                content: Some(crate::idl::flyteidl::admin::description::Content::Value(doc.to_owned())),
                ..Description::default()
            }),
            ..DescriptionEntity::default()
        },
        None => DescriptionEntity {
            long_description: Some(Description { format: DescriptionFormat::Rst as i32, ..Description::default() }),
            ..DescriptionEntity::default()
        },
    }
}

/// A duration as protobuf's (a setting's: far below protobuf's range of ~292 billion years).
pub(crate) fn duration(d: Duration) -> prost_types::Duration {
    prost_types::Duration::try_from(d).unwrap_or(prost_types::Duration { seconds: i64::MAX, nanos: 999_999_999 })
}
