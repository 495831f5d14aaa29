//! What a task or workflow declares to the graph builder.

use flowmap_model::Settings;
use flowmap_model::graph::{Interface, Port, Tables, TargetKind, TargetRef, TaskSpec, qualified};
use flowmap_model::types::TypeDesc;

use crate::error::BuildError;
use std::sync::Arc;

use crate::plan::Plan;
pub(crate) use crate::tuple::output_name;

/// What a target tells the graph builder about itself.
#[doc(hidden)]
#[derive(Debug)]
pub struct Declared {
    /// Its entry in the graph's tables.
    pub target: TargetRef,
    /// Short display name (`detect_anomalies`).
    pub name: String,
    /// Parameter names in order.
    pub inputs: &'static [&'static str],
    /// Output names given with `outputs(...)` (none: `o0`, `o1`, …).
    pub outputs: &'static [&'static str],
    /// Its own settings (none for workflows).
    pub settings: Settings,
    /// A sub-workflow's plan.
    pub plan: Option<Arc<Plan>>,
}

pub(crate) fn ports(names: &[&str], types: Vec<TypeDesc>) -> Vec<Port> {
    names.iter().zip(types).map(|(n, ty)| Port { name: (*n).to_owned(), ty, default: None }).collect()
}

/// Output ports: named as `names` says (`outputs(...)`), or `o0`, `o1`, … when it is empty.
pub(crate) fn output_ports(names: &[&str], types: Vec<TypeDesc>) -> Vec<Port> {
    types.into_iter().enumerate().map(|(i, ty)| Port { name: output_name(names, i), ty, default: None }).collect()
}

/// A task's declaration, as the macro read it.
#[doc(hidden)]
#[derive(Debug)]
pub struct TaskDecl {
    /// The function's name.
    pub function: &'static str,
    /// `module_path!()`.
    pub module: &'static str,
    /// Parameter names.
    pub inputs: &'static [&'static str],
    /// Output names given with `outputs(...)`; empty for `o0`, `o1`, ….
    pub outputs: &'static [&'static str],
    /// Whether it is an `async fn`.
    pub is_async: bool,
    /// Its doc comment; empty when it has none.
    pub doc: &'static str,
}

impl TaskDecl {
    /// The task's spec, given its checked settings and the descriptors of its types.
    #[must_use]
    pub fn spec(&self, settings: Settings, (inputs, outputs): (Vec<TypeDesc>, Vec<TypeDesc>)) -> TaskSpec {
        TaskSpec {
            function: self.function.to_owned(),
            module: self.module.to_owned(),
            is_async: self.is_async,
            interface: Interface { inputs: ports(self.inputs, inputs), outputs: output_ports(self.outputs, outputs) },
            settings,
            doc: (!self.doc.is_empty()).then(|| self.doc.to_owned()),
            dynamic: false,
        }
    }

    /// Registers the task in `tables` and describes it to the builder.
    ///
    /// # Errors
    /// When another task of the graph has the same name.
    pub fn declare(&self, tables: &mut Tables, spec: TaskSpec) -> Result<Declared, BuildError> {
        let name = spec.qualified_name();
        let shown = spec.name().to_owned();
        let settings = spec.settings.clone();
        add_task(tables, name.clone(), spec)?;
        Ok(Declared {
            target: TargetRef { kind: TargetKind::Task, name },
            name: shown,
            inputs: self.inputs,
            outputs: self.outputs,
            settings,
            plan: None,
        })
    }
}

/// Adds a task to a graph's table under its qualified name; another function under the same name
/// is an error, not a silent replacement.
pub(crate) fn add_task(tables: &mut Tables, name: String, spec: TaskSpec) -> Result<(), BuildError> {
    match tables.tasks.get(&name) {
        Some(first) if (&first.module, &first.function) != (&spec.module, &spec.function) => {
            Err(BuildError::DuplicateTaskName {
                name,
                first: qualified(&first.module, &first.function),
                second: qualified(&spec.module, &spec.function),
            })
        }
        Some(_) => Ok(()),
        None => {
            tables.tasks.insert(name, spec);
            Ok(())
        }
    }
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
    /// Output names given with `outputs(...)`; empty for `o0`, `o1`, ….
    pub outputs: &'static [&'static str],
    /// Its doc comment; empty when it has none.
    pub doc: &'static str,
}
