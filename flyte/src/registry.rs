//! [`Registry`]: the workflows a binary serves as Flyte task containers, and how a Flyte task
//! name leads back to the code to run.

use flowmap_model::graph::{Graph, Interface, MapSettings, NodeKind, TargetKind, TaskSpec};
use flowmap_runtime::__private::InputTuple;
use flowmap_runtime::{WorkflowFn, WorkflowHandle};

use crate::compile::flyte_name;
use crate::compile::task::map_name;
use crate::error::PackageError;
use crate::package::Package;

/// The workflows a program serves: [`Registry::package`] compiles them for Flyte, and
/// [`crate::execute`] runs the task a Flyte pod names.
#[derive(Default)]
pub struct Registry {
    /// Each workflow's handle; every one of them builds.
    workflows: Vec<WorkflowHandle>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.workflows.iter().map(WorkflowHandle::name)).finish()
    }
}

/// A workflow could not be added to a [`Registry`]; the registry comes back with it, holding
/// every workflow added before. Converts to a [`PackageError`] (with `?`), dropping the registry.
pub struct RegistryError {
    registry: Registry,
    /// Boxed: the error stays as small as a [`PackageError`].
    source: Box<PackageError>,
}

impl RegistryError {
    /// The registry, as it was before the failed call.
    #[must_use]
    pub fn into_registry(self) -> Registry {
        self.registry
    }

    /// Why the workflow could not be added.
    #[must_use]
    pub fn error(&self) -> &PackageError {
        &self.source
    }

    /// Why the workflow could not be added, and the registry as it was before.
    #[must_use]
    pub fn into_parts(self) -> (PackageError, Registry) {
        (*self.source, self.registry)
    }
}

impl std::fmt::Debug for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryError").field("source", &self.source).field("registry", &self.registry).finish()
    }
}

/// The error's own message and sources: the registry adds nothing to say.
impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.source, f)
    }
}

impl std::error::Error for RegistryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.source)
    }
}

impl From<RegistryError> for PackageError {
    fn from(e: RegistryError) -> PackageError {
        *e.source
    }
}

/// A task template of the package, found again: what to call, with what interface.
pub(crate) struct Found<'r> {
    /// The registered workflow, which calls the target.
    pub(crate) workflow: &'r WorkflowHandle,
    /// The target's qualified name.
    pub(crate) target: String,
    /// The target's own interface (a map element's).
    pub(crate) interface: &'r Interface,
    /// For a map template, its settings.
    pub(crate) map: Option<&'r MapSettings>,
    /// For a `#[dynamic]`, its spec.
    pub(crate) dynamic: Option<&'r TaskSpec>,
}

impl Registry {
    /// No workflows yet.
    #[must_use]
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Adds `workflow`, with every task and sub-workflow it uses.
    ///
    /// # Errors
    /// The workflow does not build. The error gives the registry back, with every workflow
    /// added before ([`RegistryError::into_registry`]): a failure loses nothing.
    pub fn workflow<F: WorkflowFn<A> + Send + Sync, A: InputTuple>(
        mut self,
        workflow: &F,
    ) -> Result<Registry, RegistryError> {
        if let Err(e) = workflow.graph() {
            return Err(RegistryError { registry: self, source: Box::new(PackageError::Build(e)) });
        }
        self.workflows.push(WorkflowHandle::new(workflow));
        Ok(self)
    }

    /// Each workflow with its graph.
    fn graphs(&self) -> impl Iterator<Item = (&WorkflowHandle, &'static Graph)> {
        // Only workflows that build are added.
        self.workflows.iter().filter_map(|w| Some((w, w.graph().ok()?)))
    }

    /// The package of every workflow, whose tasks run in `image`.
    ///
    /// # Errors
    /// As [`Package::graph`].
    pub fn package(&self, image: &str) -> Result<Package, PackageError> {
        self.package_with(Package::new(image))
    }

    /// Every workflow added to `package` (made with [`Package::new`] and, say,
    /// [`Package::command`]).
    ///
    /// # Errors
    /// As [`Package::graph`].
    pub fn package_with(&self, package: Package) -> Result<Package, PackageError> {
        self.graphs().try_fold(package, |p, (_, graph)| p.graph(graph))
    }

    /// The target of the task template named `name` (a Flyte name), if a registered workflow
    /// has it.
    pub(crate) fn find(&self, name: &str) -> Option<Found<'_>> {
        self.graphs().find_map(|(workflow, top)| {
            if let Some((q, spec)) = top.tasks.iter().find(|(q, _)| flyte_name(q) == name) {
                let dynamic = spec.dynamic.then_some(spec);
                return Some(Found { workflow, target: q.clone(), interface: &spec.interface, map: None, dynamic });
            }
            std::iter::once(top).chain(top.workflows.values()).flat_map(|g| &g.nodes).find_map(|n| {
                let settings = n.map.as_ref().filter(|_| n.kind == NodeKind::Map)?;
                if map_name(&flyte_name(&n.target.name), settings) != name {
                    return None;
                }
                let interface = match n.target.kind {
                    TargetKind::Task => &top.tasks.get(&n.target.name)?.interface,
                    TargetKind::Workflow => &top.workflows.get(&n.target.name)?.interface,
                    TargetKind::Branch => return None,
                };
                Some(Found { workflow, target: n.target.name.clone(), interface, map: Some(settings), dynamic: None })
            })
        })
    }
}
