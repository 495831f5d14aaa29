//! [`Registry`]: the workflows a binary serves as Flyte task containers, and how a Flyte task
//! name leads back to the code to run.

use flowmap_model::graph::{Graph, Interface, MapSettings, Tables, TaskSpec};
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
    /// The registered workflow, which calls the target (maybe in a dynamic's body).
    pub(crate) workflow: &'r WorkflowHandle,
    /// The target's qualified name.
    pub(crate) target: String,
    /// The target's own interface (a map element's).
    pub(crate) interface: &'static Interface,
    /// For a map template, its settings as its name gives them.
    pub(crate) map: Option<MapSettings>,
    /// For a `#[dynamic]`, its spec.
    pub(crate) dynamic: Option<&'static TaskSpec>,
    /// The tables the target was found with (a workflow's graph, and what it calls).
    pub(crate) tables: &'static Tables,
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
    /// calls it: in its graph, its sub-workflows, its branches' arms, or a dynamic's body (which
    /// names what it may call, so a task only a dynamic calls is found too). A map template is
    /// found by its target and what its name says ([`map_name`]).
    pub(crate) fn find(&self, name: &str) -> Option<Found<'_>> {
        self.workflows.iter().find_map(|workflow| {
            workflow.callables().into_iter().find_map(|c| {
                let own = flyte_name(c.name);
                let found = |map| Found {
                    workflow,
                    target: c.name.to_owned(),
                    interface: c.interface,
                    map,
                    dynamic: c.spec.filter(|s| s.dynamic),
                    tables: c.tables,
                };
                if own == name {
                    return Some(found(None));
                }
                let suffix = name.strip_prefix(own.as_str())?.strip_prefix(".map")?;
                map_settings(&own, c.interface, suffix, name).map(|m| found(Some(m)))
            })
        })
    }
}

/// The settings of the map template `name` of `target` (a Flyte name, with `interface`), whose
/// name ends in `suffix` after `.map` (as [`map_name`] writes it): the inputs it names are
/// partial, the others mapped. A name that could say two things (an input named `optional` or
/// `dynamic`) is read as the one with a mapped input, dynamic first, then tolerant.
fn map_settings(target: &str, interface: &Interface, suffix: &str, name: &str) -> Option<MapSettings> {
    let readings = [("-dynamic", true, false), ("-optional", false, true), ("", false, false)];
    readings.into_iter().find_map(|(end, dynamic, tolerant)| {
        let rest = suffix.strip_suffix(end)?;
        let partial: Vec<String> = match rest {
            "" => Vec::new(),
            _ => rest.strip_prefix("-partial-")?.split('-').map(str::to_owned).collect(),
        };
        let names = || interface.inputs.iter().map(|p| &p.name);
        if partial.iter().any(|p| !names().any(|n| n == p)) {
            return None;
        }
        let mapped: Vec<String> = names().filter(|n| !partial.contains(n)).cloned().collect();
        let settings = MapSettings {
            concurrency: None,
            min_success_ratio: None,
            min_successes: None,
            tolerant,
            mapped,
            partial,
            dynamic,
        };
        (!settings.mapped.is_empty() && map_name(target, &settings) == name).then_some(settings)
    })
}
