//! Building a workflow's graph: generated code runs the workflow body against a [`GraphBuilder`],
//! which records a model node and a plan node per call.

use std::fmt;
use std::sync::Arc;

use flowmap_model::Settings;
use flowmap_model::graph::{Binding, InputBinding, MapSettings, Node, NodeKind, Port, SuccessRule, Tables, TargetKind};
use flowmap_model::types::TypeDesc;

#[cfg(feature = "cache")]
use crate::cache::key::KeyPrefix;
#[cfg(feature = "cache")]
use crate::cache::node::CacheCodec;
#[cfg(feature = "cache")]
use crate::cache::node::CacheSpec;
use crate::data::Data;
use crate::error::BuildError;
use crate::json_io::JsonCodec;
use crate::json_tuple::{ReadInputs, WriteOutputs};
use crate::plan::decl::{Declared, output_ports};
use crate::plan::kernel::CallOf;
use crate::plan::map::MapOf;
use crate::plan::target::{CacheInputs, Runnable};
use crate::plan::{MapShape, NodeSettings, PlanNode, Work};
use crate::promise::Promise;
use crate::tuple::{OutputTuple, Slots};
use crate::value::{Source, Value};

/// Records nodes while generated code runs a workflow body.
#[doc(hidden)]
pub struct GraphBuilder {
    /// The workflow's name.
    pub(crate) workflow: &'static str,
    pub(crate) input_names: &'static [&'static str],
    pub(crate) nodes: Vec<Node>,
    pub(crate) planned: Vec<PlanNode>,
    pub(crate) constants: Vec<Value>,
    pub(crate) constant_json: Vec<serde_json::Value>,
    pub(crate) tables: Tables,
    pub(crate) errors: Vec<BuildError>,
    /// Where its nodes and constants stand among those of the builders around it.
    pub(crate) scope: Scope,
}

/// Where a builder's nodes and constants start in the index space it shares with the builders
/// around it. A workflow's own builder starts at 0; an arm of a branch starts after the nodes
/// and constants before it, so a [`Source`] says by its index alone whether it is the arm's own
/// or comes from outside (and then is an input of the branch node).
#[derive(Clone, Debug, Default)]
pub(crate) struct Scope {
    /// The index of its first node.
    pub(crate) base: usize,
    /// The index of its first constant.
    pub(crate) const_base: usize,
    /// Its nodes' ids are this and their index: `n` for a workflow, `n1-0-` in its node n1's
    /// first arm.
    pub(crate) prefix: String,
    /// What is outside: every node and constant before `base` and `const_base`.
    pub(crate) outer: Arc<Outer>,
}

/// The nodes and constants outside an arm, by index.
#[derive(Debug, Default)]
pub(crate) struct Outer {
    /// Each node's id and output names.
    pub(crate) nodes: Vec<(String, Vec<String>)>,
    /// Each constant's value and JSON.
    pub(crate) constants: Vec<(Value, serde_json::Value)>,
}

impl fmt::Debug for GraphBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphBuilder").field("nodes", &self.nodes).finish_non_exhaustive()
    }
}

/// The options of one `map!`, as the macro checked them.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct MapSpec {
    /// `concurrency = N`.
    pub concurrency: Option<std::num::NonZeroU32>,
    /// `min_success_ratio` / `min_successes`.
    pub rule: SuccessRule,
    /// `dynamic = true`: on Flyte, a dynamic node with a sub-workflow node per element.
    pub dynamic: bool,
}

/// The codecs of a call's target, built for the node where its settings ask for them.
struct Codecs {
    json: JsonCodec,
    #[cfg(feature = "cache")]
    cache: CacheCodec,
}

impl Codecs {
    /// Generic over the target's types alone: tasks of one signature share them.
    fn of<I: ReadInputs + CacheInputs, O: WriteOutputs>(
        #[cfg_attr(not(feature = "cache"), allow(unused))] names: &'static [&'static str],
    ) -> Self {
        Codecs {
            json: JsonCodec::of::<I, O>(),
            #[cfg(feature = "cache")]
            cache: CacheCodec::of::<I, O>(names),
        }
    }
}

/// What kind of node a call makes.
enum Shape {
    Call,
    Map(MapSpec),
}

impl GraphBuilder {
    pub(crate) fn new(workflow: &'static str, input_names: &'static [&'static str]) -> Self {
        GraphBuilder {
            workflow,
            input_names,
            nodes: Vec::new(),
            planned: Vec::new(),
            constants: Vec::new(),
            constant_json: Vec::new(),
            tables: Tables::default(),
            errors: Vec::new(),
            scope: Scope { prefix: "n".to_owned(), ..Scope::default() },
        }
    }

    /// The id of node `node` (an index in the shared space), this builder's or an outer one.
    pub(crate) fn node_id(&self, node: usize) -> String {
        match node.checked_sub(self.scope.base) {
            Some(local) => format!("{}{local}", self.scope.prefix),
            None => self.scope.outer.nodes.get(node).map_or_else(|| format!("n{node}"), |(id, _)| id.clone()),
        }
    }

    /// The name of output `port` of node `node`.
    fn output_name(&self, node: usize, port: usize) -> String {
        let names = match node.checked_sub(self.scope.base) {
            Some(local) => self.nodes.get(local).and_then(|n| n.outputs.get(port)).map(|p| p.name.clone()),
            None => self.scope.outer.nodes.get(node).and_then(|(_, outputs)| outputs.get(port).cloned()),
        };
        names.unwrap_or_else(|| format!("o{port}"))
    }

    /// The value and JSON of constant `c`.
    pub(crate) fn constant_at(&self, c: usize) -> Option<(Value, serde_json::Value)> {
        match c.checked_sub(self.scope.const_base) {
            Some(local) => Some((self.constants.get(local)?.clone(), self.constant_json.get(local)?.clone())),
            None => self.scope.outer.constants.get(c).cloned(),
        }
    }

    pub(crate) fn binding(&self, source: Source) -> Binding {
        match source {
            Source::Input(i) => Binding::Input { name: self.input_names.get(i).copied().unwrap_or("?").to_owned() },
            Source::Output { node, port } => {
                Binding::Node { node: self.node_id(node), output: self.output_name(node, port) }
            }
            Source::Constant(c) => {
                Binding::Constant { value: self.constant_at(c).map(|(_, json)| json).unwrap_or_default() }
            }
            Source::Done(node) => Binding::After { node: self.node_id(node) },
            Source::Unbuilt => Binding::Constant { value: serde_json::Value::Null },
        }
    }

    /// A constant written in the workflow body.
    pub fn constant<T: Data>(&mut self, value: T) -> Promise<T> {
        let json = serde_json::to_value(&value).unwrap_or_else(|source| {
            self.errors.push(BuildError::Constant { ty: std::any::type_name::<T>(), source: source.into() });
            serde_json::Value::Null
        });
        self.constants.push(Arc::new(value));
        self.constant_json.push(json);
        Promise::new(Source::Constant(self.scope.const_base + self.constants.len() - 1))
    }

    /// Adds one node; `None` (with the error recorded) when it cannot be added.
    fn add(
        &mut self,
        declared: Result<Declared, BuildError>,
        given: &[(Option<Source>, bool)],
        (overrides, after): (Settings, &[Source]),
        shape: Shape,
        work: Option<(Work, Codecs)>,
        outputs: Vec<Port>,
    ) -> Option<usize> {
        let index = self.nodes.len();
        let id = format!("{}{index}", self.scope.prefix);
        let declared = match declared {
            Ok(d) => d,
            Err(mut e) => {
                if let BuildError::SubWorkflow { node, .. } = &mut e {
                    node.clone_from(&id);
                }
                self.errors.push(e);
                return None;
            }
        };
        let Some((work, codecs)) = work else {
            self.errors.push(BuildError::Panicked { message: "a node's kernel is missing".into() });
            return None;
        };
        let mut sources = Vec::with_capacity(given.len());
        for ((source, _), name) in given.iter().zip(declared.inputs) {
            match source {
                Some(s) => sources.push(*s),
                None => {
                    self.errors.push(BuildError::MissingInput {
                        node: id,
                        input: (*name).to_owned(),
                        target: declared.name,
                    });
                    return None;
                }
            }
        }
        let mut after_nodes = Vec::with_capacity(after.len());
        for source in after {
            match source {
                Source::Output { node, .. } | Source::Done(node) => after_nodes.push(*node),
                // A node that could not be added has its own error already.
                Source::Unbuilt => return None,
                Source::Input(_) | Source::Constant(_) => {
                    let what = match self.binding(*source) {
                        Binding::Input { name } => format!("the workflow input `{name}`"),
                        _ => "a constant".to_owned(),
                    };
                    self.errors.push(BuildError::AfterNotACall { node: id, what });
                    return None;
                }
            }
        }
        after_nodes.sort_unstable();
        after_nodes.dedup();
        let mapped: Vec<bool> = given.iter().map(|(_, m)| *m).collect();
        let inputs = sources
            .iter()
            .zip(declared.inputs)
            .map(|(s, name)| InputBinding { name: (*name).to_owned(), binding: self.binding(*s) })
            .collect();
        let merged = declared.settings.merged(&overrides);
        if let (Some(requests), Some(limits)) = (&merged.requests, &merged.limits) {
            for (key, request) in requests.iter() {
                if let Some(limit) = limits.get(key).filter(|limit| request.exceeds(limit)) {
                    self.errors.push(BuildError::RequestAboveLimit {
                        node: id,
                        target: declared.name,
                        key: key.name(),
                        request: request.text().to_owned(),
                        limit: limit.text().to_owned(),
                    });
                    return None;
                }
            }
        }
        #[cfg_attr(not(feature = "cache"), allow(unused_mut))]
        let mut settings = NodeSettings::of(&merged);
        #[cfg_attr(not(feature = "cache"), allow(clippy::collapsible_if))]
        if merged.cache == Some(true) && declared.target.kind == TargetKind::Task {
            if merged.cache_version.as_deref().is_none_or(|v| v.trim().is_empty()) {
                self.errors.push(BuildError::CacheWithoutVersion { node: id, target: declared.name });
                return None;
            }
            #[cfg(feature = "cache")]
            {
                settings.cache = self.cache_spec(&declared, &merged, codecs.cache);
            }
        }
        let shown = overrides.name.clone().unwrap_or_else(|| declared.name.clone());
        let dynamic = self.tables.tasks.get(&declared.target.name).is_some_and(|t| t.dynamic);
        let kind_word = match declared.target.kind {
            TargetKind::Task if dynamic => "dynamic",
            TargetKind::Task => "task",
            TargetKind::Workflow => "workflow",
            TargetKind::Branch => "branch",
        };
        // A sub-workflow's call is no one-call target (only a mapped workflow is).
        let json = match (&work, &shape) {
            (Work::Workflow(_), Shape::Call) => None,
            _ => Some(codecs.json),
        };
        let (kind, map, display) = match shape {
            Shape::Call => (
                match declared.target.kind {
                    TargetKind::Task => NodeKind::Task,
                    TargetKind::Workflow => NodeKind::Workflow,
                    TargetKind::Branch => NodeKind::Branch,
                },
                None,
                format!("{kind_word} {shown}"),
            ),
            Shape::Map(spec) => {
                let (mut m, mut p) = (Vec::new(), Vec::new());
                for (is_mapped, name) in mapped.iter().zip(declared.inputs) {
                    if *is_mapped { m.push((*name).to_owned()) } else { p.push((*name).to_owned()) }
                }
                if m.is_empty() {
                    self.errors.push(BuildError::NothingMapped { node: id, target: shown });
                    return None;
                }
                let (min_success_ratio, min_successes) = match spec.rule {
                    SuccessRule::All => (None, None),
                    SuccessRule::Ratio(r) => (Some(r), None),
                    SuccessRule::AtLeast(k) => (None, Some(k)),
                };
                let settings = MapSettings {
                    concurrency: spec.concurrency,
                    min_success_ratio,
                    min_successes,
                    tolerant: spec.rule.tolerant(),
                    mapped: m,
                    partial: p,
                    dynamic: spec.dynamic,
                };
                (NodeKind::Map, Some(settings), format!("map of {kind_word} {shown}"))
            }
        };
        let after_ids = after_nodes.iter().map(|n| self.node_id(*n)).collect();
        self.nodes.push(Node {
            id: id.clone(),
            kind,
            target: declared.target,
            inputs,
            outputs,
            map,
            overrides,
            after: after_ids,
            branch: None,
        });
        self.planned.push(PlanNode {
            id: id.into(),
            display: display.into(),
            inputs: sources,
            after: after_nodes,
            settings,
            work,
            json,
            pace: Arc::default(),
        });
        Some(self.scope.base + index)
    }

    /// A cached task node's key identity: the task's name, its `cache_version` (the node's, if
    /// it overrides it) and its typed interface as the graph writes it.
    #[cfg(feature = "cache")]
    fn cache_spec(&self, declared: &Declared, merged: &Settings, codec: CacheCodec) -> Option<CacheSpec> {
        let spec = self.tables.tasks.get(&declared.target.name)?;
        let interface = serde_json::to_string(&spec.interface).ok()?;
        let version = merged.cache_version.as_deref().unwrap_or_default();
        let ignored = merged.cache_ignore_inputs.as_deref().unwrap_or_default();
        Some(CacheSpec {
            task: declared.target.name.as_str().into(),
            prefix: KeyPrefix::new(&declared.target.name, version, &interface),
            skip: declared.inputs.iter().map(|name| ignored.iter().any(|i| i == name)).collect(),
            serialize: merged.cache_serialize.unwrap_or(false),
            codec,
        })
    }

    /// A call of a task or workflow.
    pub fn call<T: Runnable, S: Slots<Input = T::Input>>(
        &mut self,
        target: T,
        slots: S,
        overrides: Settings,
        after: Vec<Source>,
    ) -> <T::Output as OutputTuple>::Promises {
        let declared = target.declare(&mut self.tables);
        let work = declared.as_ref().ok().map(|d| match &d.plan {
            Some(plan) => Work::Workflow(plan.clone()),
            None => Work::Call(Box::new(CallOf { kernel: target.kernel(), names: d.inputs })),
        });
        let work = work.map(|w| (w, Codecs::of::<T::Input, T::Output>(declared_inputs(&declared))));
        let outputs = output_ports(declared_outputs(&declared), T::Output::types());
        T::Output::promises(self.add(declared, &slots.sources(), (overrides, &after), Shape::Call, work, outputs))
    }

    /// A map whose elements must all succeed: outputs are `Vec<T>`.
    pub fn map<T: Runnable, S: Slots<Input = T::Input>>(
        &mut self,
        target: T,
        slots: S,
        spec: MapSpec,
        overrides: Settings,
        after: Vec<Source>,
    ) -> <T::Output as OutputTuple>::ListPromises {
        T::Output::list_promises(self.add_map(
            target,
            &slots.sources(),
            spec,
            overrides,
            &after,
            T::Output::list_types(),
        ))
    }

    /// A map tolerating failed elements: outputs are `Vec<Option<T>>`.
    pub fn map_tolerant<T: Runnable, S: Slots<Input = T::Input>>(
        &mut self,
        target: T,
        slots: S,
        spec: MapSpec,
        overrides: Settings,
        after: Vec<Source>,
    ) -> <T::Output as OutputTuple>::OptionListPromises {
        let types = T::Output::option_list_types();
        T::Output::option_list_promises(self.add_map(target, &slots.sources(), spec, overrides, &after, types))
    }

    fn add_map<T: Runnable>(
        &mut self,
        target: T,
        given: &[(Option<Source>, bool)],
        spec: MapSpec,
        overrides: Settings,
        after: &[Source],
        types: Vec<TypeDesc>,
    ) -> Option<usize> {
        let declared = target.declare(&mut self.tables);
        let outputs = output_ports(declared_outputs(&declared), types);
        let work = declared.as_ref().ok().map(|d| {
            let mapped = given.iter().map(|(_, m)| *m).collect();
            let shape = MapShape { names: d.inputs, mapped, concurrency: spec.concurrency, rule: spec.rule };
            (Work::Map(Box::new(MapOf(target.kernel())), shape), Codecs::of::<T::Input, T::Output>(d.inputs))
        });
        self.add(declared, given, (overrides, after), Shape::Map(spec), work, outputs)
    }
}

/// The input names a target declared (none when it could not be declared).
fn declared_inputs(declared: &Result<Declared, BuildError>) -> &'static [&'static str] {
    declared.as_ref().map_or(&[], |d| d.inputs)
}

/// The output names a target declared (none when it could not be declared).
fn declared_outputs(declared: &Result<Declared, BuildError>) -> &'static [&'static str] {
    declared.as_ref().map_or(&[], |d| d.outputs)
}
