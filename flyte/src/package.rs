//! [`Package`]: the files `flytectl register files --archive` takes.

use std::path::Path;

use flowmap_model::graph::{Arm, Graph, Node, NodeKind, TargetKind};
use flowmap_runtime::__private::InputTuple;
use flowmap_runtime::WorkflowFn;
use prost::Message;

use crate::compile::launch_plan::launch_plan;
use crate::compile::task::{Image, dynamic_map, map, map_name, task};
use crate::compile::workflow::{Scope, template};
use crate::compile::{description, flyte_name};
use crate::error::PackageError;
use crate::idl::flyteidl::admin::{self, WorkflowSpec};
use crate::idl::flyteidl::core::TaskTemplate;

/// What one file of a package holds, as the digit of its name says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Task = 1,
    Workflow = 2,
    LaunchPlan = 3,
}

#[derive(Debug)]
struct Entity {
    kind: Kind,
    name: String,
    bytes: Vec<u8>,
}

/// A Flyte package of workflows: a task spec per task and per way a task is mapped, a workflow
/// spec per workflow (its sub-workflows embedded) and a launch plan per workflow, in dependency
/// order. Every task runs in `image`, whose entrypoint is the program that registered the
/// workflows (its `execute` command).
///
/// ```
/// # use flowmap::prelude::*;
/// # #[task] fn double(x: i64) -> i64 { 2 * x }
/// # #[workflow] fn doubled(xs: Vec<i64>) -> Vec<i64> { map!(double)(x = xs) }
/// # fn main() -> Result<(), flowmap::flyte::PackageError> {
/// let package = flowmap::flyte::Package::new("ghcr.io/me/doubler:v1").workflow(&doubled)?;
/// let names: Vec<String> = package.files().into_iter().map(|(name, _)| name).collect();
/// // `00_mycrate.double_1.pb`: a task spec, then the template of its map, the workflow spec and
/// // its launch plan.
/// let ends = ["double_1.pb", "double.map_1.pb", "doubled_2.pb", "doubled_3.pb"];
/// assert!(names.iter().zip(ends).enumerate().all(|(i, (n, end))| n.starts_with(&format!("0{i}_")) && n.ends_with(end)));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Package {
    image: String,
    command: Vec<String>,
    entities: Vec<Entity>,
}

impl Package {
    /// An empty package whose tasks run in `image`.
    #[must_use]
    pub fn new(image: impl Into<String>) -> Package {
        Package { image: image.into(), command: Vec::new(), entities: Vec::new() }
    }

    /// Runs the program at `path` in the image (the container's `command`), for an image whose
    /// entrypoint is not the program. Without it, the tasks' arguments start with `execute` and
    /// the image's `ENTRYPOINT` must be the program. Set it before adding workflows.
    #[must_use]
    pub fn command(mut self, path: impl Into<String>) -> Package {
        self.command = vec![path.into()];
        self
    }

    /// Adds `workflow`, with every task and sub-workflow it uses.
    ///
    /// # Errors
    /// The workflow does not build, a constant or default has no Flyte literal, or a name is
    /// taken by something else.
    pub fn workflow<F: WorkflowFn<A>, A: InputTuple>(self, workflow: &F) -> Result<Package, PackageError> {
        let graph = workflow.graph().map_err(PackageError::Build)?;
        self.graph(graph)
    }

    /// Adds the workflow `graph` describes, with every task and sub-workflow it uses.
    ///
    /// # Errors
    /// As [`Package::workflow`].
    pub fn graph(mut self, graph: &Graph) -> Result<Package, PackageError> {
        let scope = Scope::new(graph);
        self.tasks_of(&graph.nodes, graph)?;
        let mut sub_workflows = Vec::new();
        for name in called_workflows(&graph.nodes, graph) {
            sub_workflows.push(template(&graph.workflows[&name], &scope)?);
        }
        let top = template(graph, &scope)?;
        // The arms of branches made sub-workflows (in the workflow and in those it calls).
        sub_workflows.extend(scope.arms.into_inner());
        let spec =
            WorkflowSpec { template: Some(top), sub_workflows, description: Some(description(graph.doc.as_deref())) };
        let name = flyte_name(&graph.qualified_name());
        self.add(Kind::Workflow, name.clone(), spec.encode_to_vec())?;
        self.add(Kind::LaunchPlan, name, launch_plan(graph)?.encode_to_vec())?;
        Ok(self)
    }

    /// The task templates `nodes` use (`top` holds the tables), sub-workflows' first.
    pub(crate) fn tasks_of(&mut self, nodes: &[Node], top: &Graph) -> Result<(), PackageError> {
        for n in nodes {
            let name = flyte_name(&n.target.name);
            let missing =
                |kind| PackageError::Missing { workflow: top.name.clone(), kind, name: n.target.name.clone() };
            match n.target.kind {
                TargetKind::Task => {
                    let spec = top.tasks.get(&n.target.name).ok_or_else(|| missing("task"))?;
                    if spec.dynamic && n.kind == NodeKind::Map {
                        return Err(PackageError::Unsupported {
                            workflow: top.name.clone(),
                            node: n.id.clone(),
                            what: format!("a `map!` of `#[dynamic]` `{}`", spec.name()),
                            fix: "an element of a Flyte map runs one task, and flowmap does not run a dynamic's \
                                  futures there: call the dynamic once with the whole list, and loop in its body"
                                .into(),
                        });
                    }
                    let image = Image { name: &self.image, command: &self.command };
                    let bytes = task(&name, spec, &image).encode_to_vec();
                    self.add(Kind::Task, name.clone(), bytes)?;
                    if let (NodeKind::Map, Some(settings)) = (n.kind, &n.map) {
                        let map_name = map_name(&name, settings);
                        let image = Image { name: &self.image, command: &self.command };
                        let bytes = map(&map_name, &spec.interface, &spec.settings, settings, &image).encode_to_vec();
                        self.add(Kind::Task, map_name, bytes)?;
                    }
                }
                TargetKind::Workflow => {
                    let sub = top.workflows.get(&n.target.name).ok_or_else(|| missing("workflow"))?;
                    if n.kind == NodeKind::Workflow {
                        self.tasks_of(&sub.nodes, top)?;
                    }
                    // A map of a workflow runs it in one task per element, in-process, or with
                    // `dynamic = true` in a dynamic whose pod writes the templates of the nodes
                    // it adds: either way its own tasks need no templates here.
                    if let (NodeKind::Map, Some(settings)) = (n.kind, &n.map) {
                        let map_name = map_name(&name, settings);
                        let image = Image { name: &self.image, command: &self.command };
                        let spec = if settings.dynamic {
                            // Its pod writes the nodes' templates into `futures.pb`.
                            dynamic_map(&map_name, &sub.interface, settings, &image)
                        } else {
                            map(&map_name, &sub.interface, &flowmap_model::Settings::default(), settings, &image)
                        };
                        self.add(Kind::Task, map_name, spec.encode_to_vec())?;
                    }
                }
                TargetKind::Branch => {
                    for nodes in arms(n) {
                        self.tasks_of(nodes, top)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The task templates `graph`'s nodes use (as [`Package::tasks_of`] adds them), in the
    /// order they are first met.
    pub(crate) fn templates_of(mut self, graph: &Graph) -> Result<Vec<TaskTemplate>, PackageError> {
        self.tasks_of(&graph.nodes, graph)?;
        Ok(self
            .entities
            .into_iter()
            .filter(|e| e.kind == Kind::Task)
            .filter_map(|e| admin::TaskSpec::decode(e.bytes.as_slice()).ok()?.template)
            .collect())
    }

    /// Adds an entity once; the same name with other contents is a clash.
    fn add(&mut self, kind: Kind, name: String, bytes: Vec<u8>) -> Result<(), PackageError> {
        match self.entities.iter().find(|e| e.kind == kind && e.name == name) {
            Some(e) if e.bytes == bytes => Ok(()),
            Some(_) => {
                Err(PackageError::NameClash { kind: if kind == Kind::Task { "task" } else { "workflow" }, name })
            }
            None => {
                self.entities.push(Entity { kind, name, bytes });
                Ok(())
            }
        }
    }

    /// The names of the task specs, in order: what `execute --task` takes.
    pub fn task_names(&self) -> impl Iterator<Item = &str> {
        self.names(Kind::Task)
    }

    /// The names of the workflows, in order; each has a launch plan of the same name.
    pub fn workflow_names(&self) -> impl Iterator<Item = &str> {
        self.names(Kind::Workflow)
    }

    fn names(&self, kind: Kind) -> impl Iterator<Item = &str> {
        self.entities.iter().filter(move |e| e.kind == kind).map(|e| e.name.as_str())
    }

    /// The files, named `{index}_{name}_{kind}.pb` (kind 1 a task spec, 2 a workflow spec, 3 a
    /// launch plan), in dependency order: `flytectl` registers them in name order.
    #[must_use]
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        let width = self.entities.len().saturating_sub(1).to_string().len().max(2);
        self.entities
            .iter()
            .enumerate()
            .map(|(i, e)| (format!("{i:0width$}_{}_{}.pb", e.name, e.kind as u8), e.bytes.clone()))
            .collect()
    }

    /// Writes the files as a gzipped tar (flat, as `flytectl register files --archive` takes it).
    /// The same package is the same bytes.
    ///
    /// # Errors
    /// The file could not be written.
    pub fn write_tgz(&self, path: impl AsRef<Path>) -> Result<(), PackageError> {
        let path = path.as_ref();
        let err = |source| PackageError::Write { path: path.display().to_string(), source };
        let file = std::fs::File::create(path).map_err(err)?;
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        for (name, bytes) in self.files() {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(0);
            header.set_cksum();
            tar.append_data(&mut header, &name, bytes.as_slice()).map_err(err)?;
        }
        tar.into_inner().and_then(flate2::write::GzEncoder::finish).map_err(err)?;
        Ok(())
    }
}

/// The sub-workflows `nodes` call (in branches' arms too; not those they only map, which run
/// inside a task), and those they call, by qualified name, each once, in name order.
pub(crate) fn called_workflows(nodes: &[Node], top: &Graph) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    for n in nodes {
        if n.kind == NodeKind::Workflow
            && let Some(sub) = top.workflows.get(&n.target.name)
            && names.insert(n.target.name.clone())
        {
            names.extend(called_workflows(&sub.nodes, top));
        }
        for arm in arms(n) {
            names.extend(called_workflows(arm, top));
        }
    }
    names
}

/// The nodes of each arm of branch node `n` (none for another node).
fn arms(n: &Node) -> impl Iterator<Item = &[Node]> {
    n.branch.iter().flat_map(|b| b.cases.iter().map(|c| &c.arm).chain([&b.otherwise])).filter_map(|arm| match arm {
        Arm::Run { nodes, .. } => Some(nodes.as_slice()),
        _ => None,
    })
}
