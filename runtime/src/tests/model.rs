//! A model-based property test of the executor. Each case generates a random workflow (chains,
//! fan-in and fan-out, ordering edges, maps over tasks and over sub-workflows, sub-workflow
//! calls, 0 to 300 elements per map), random settings (`concurrency`, success rules, retries,
//! timeouts, CPU requests) and, per attempt, an outcome drawn from a seeded script (ok, error,
//! panic, a sleep past the timeout). It runs the plan and compares the run with a small
//! reference model written here:
//!
//! - success or failure, and that the node the error names is one the model says fails;
//! - each node's outputs (which elements are `Some`), on success, and for every node the error
//!   reports as completed;
//! - attempts per element, for every node that succeeded;
//! - at most `concurrency` elements of a map in flight at once, and the runtime's CPU capacity
//!   never exceeded by running attempts;
//! - no computed output lost: a failed map's partial outputs hold exactly what its elements
//!   computed.
//!
//! Cases are drawn from a seed (proptest keeps failing seeds in `proptest-regressions/`), so a
//! failure prints the seed and the generated workflow. 512 cases per run by default; set
//! `PROPTEST_CASES` for more (the README gives the longer run).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::num::{NonZeroU32, NonZeroU64};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flowmap_model::graph::SuccessRule;
use flowmap_model::{Quantity, Ratio, ResourceKey, Resources};
use proptest::prelude::*;

use crate::cache::key::KeyPrefix;
use crate::cache::node::CacheSpec;
use crate::error::{Cause, Completed, Error};
use crate::finished::Finished;
use crate::options::RunOptions;
use crate::plan::kernel::{CallOf, Invoke, Kernel};
use crate::plan::map::MapOf;
use crate::plan::{Hooks, MapShape, NodeSettings, Plan, PlanNode, Work};
use crate::runtime::Runtime;
use crate::tuple::OutputTuple;
use crate::value::{Source, Value};

/// The runtime's CPUs in every case.
const CPUS: u32 = 2;
/// A hanging attempt sleeps this long; nodes that may hang have a timeout of half of it.
const HANG: Duration = Duration::from_millis(160);
const TIMEOUT: Duration = Duration::from_millis(80);

// ---- a seeded generator ----

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0, 0)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

// ---- scripts and what the kernels record ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    Error,
    Panic,
    Hang,
}

/// The outcome of each attempt of one node's calls, by input value and attempt number.
#[derive(Clone, Copy, Debug)]
struct Script {
    seed: u64,
    error: u64,
    panic: u64,
    hang: u64,
}

impl Script {
    fn outcome(&self, x: i64, attempt: u32) -> Outcome {
        let roll = mix(mix(self.seed, x as u64), u64::from(attempt)) % 1000;
        if roll < self.error {
            Outcome::Error
        } else if roll < self.error + self.panic {
            Outcome::Panic
        } else if roll < self.error + self.panic + self.hang {
            Outcome::Hang
        } else {
            Outcome::Ok
        }
    }
}

/// What one node's kernel saw.
#[derive(Debug, Default)]
struct Tracker {
    attempts: Mutex<HashMap<i64, u32>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// The CPU millis held by running attempts of one case.
#[derive(Debug, Default)]
struct Cpu {
    held: AtomicU64,
    exceeded: AtomicBool,
}

/// What a kernel needs: all `'static`, so that kernels are `Copy`.
#[derive(Clone, Copy, Debug)]
struct Probe {
    script: Script,
    tracker: &'static Tracker,
    cpu: &'static Cpu,
    /// The node's CPU request, in millis.
    millis: u64,
}

/// Holds an attempt's place until it ends (returns, panics or is dropped on timeout).
struct Running(Probe);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.tracker.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.0.cpu.held.fetch_sub(self.0.millis, Ordering::SeqCst);
    }
}

impl Probe {
    /// Starts an attempt on input `x`: its number, its outcome, and its place.
    fn begin(self, x: i64) -> (Outcome, Running) {
        let attempt = {
            let mut attempts = self.tracker.attempts.lock().unwrap();
            let n = attempts.entry(x).or_insert(0);
            *n += 1;
            *n
        };
        let now = self.tracker.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.tracker.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let held = self.cpu.held.fetch_add(self.millis, Ordering::SeqCst) + self.millis;
        if held > u64::from(CPUS) * 1000 {
            self.cpu.exceeded.store(true, Ordering::SeqCst);
        }
        (self.script.outcome(x, attempt), Running(self))
    }
}

fn elem(x: i64) -> i64 {
    x.wrapping_mul(3).wrapping_add(1)
}

/// `a` and `b` mixed apart, duplicates dropped (so every list's values are distinct, and an
/// element is known by its value), at most 300.
fn join(a: &[i64], b: &[i64]) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for v in a.iter().map(|x| x.wrapping_mul(5).wrapping_add(7)).chain(b.iter().map(|x| x.wrapping_mul(7) ^ 3)) {
        if out.len() < 300 && seen.insert(v) {
            out.push(v);
        }
    }
    out
}

/// One attempt's end, as its outcome says.
fn finish<T>(outcome: Outcome, ok: T) -> Result<T, Cause> {
    match outcome {
        Outcome::Ok | Outcome::Hang => Ok(ok),
        Outcome::Error => Err(Cause::Error("scripted error".into())),
        Outcome::Panic => panic!("scripted panic"),
    }
}

/// `x → elem(x)`, sync (`SYNC`) or async.
#[derive(Clone, Copy, Debug)]
struct Elem<const SYNC: bool>(Probe);

impl<const SYNC: bool> Kernel for Elem<SYNC> {
    type Input = (i64,);
    type Output = (i64,);
    const BLOCKING: bool = SYNC;

    fn call(
        &self,
        (x,): (i64,),
        _: &dyn Hooks,
    ) -> Invoke<
        impl FnOnce() -> Result<(i64,), Cause> + Send + 'static,
        impl Future<Output = Result<(i64,), Cause>> + Send + 'static,
    > {
        let probe = self.0;
        let blocking = move || {
            let (outcome, _running) = probe.begin(x);
            if outcome == Outcome::Hang {
                std::thread::sleep(HANG);
            }
            finish(outcome, (elem(x),))
        };
        let future = async move {
            let (outcome, _running) = probe.begin(x);
            if outcome == Outcome::Hang {
                tokio::time::sleep(HANG).await;
            }
            finish(outcome, (elem(x),))
        };
        if SYNC {
            drop(future);
            Invoke::Blocking(blocking)
        } else {
            Invoke::Async(future)
        }
    }
}

/// `(a, b) → join(a, b)`, a plain call (async; its script is keyed by input 0).
#[derive(Clone, Copy, Debug)]
struct Join(Probe);

impl Kernel for Join {
    type Input = (Vec<i64>, Vec<i64>);
    type Output = (Vec<i64>,);
    const BLOCKING: bool = false;

    fn call(
        &self,
        (a, b): (Vec<i64>, Vec<i64>),
        _: &dyn Hooks,
    ) -> Invoke<
        impl FnOnce() -> Result<(Vec<i64>,), Cause> + Send + 'static,
        impl Future<Output = Result<(Vec<i64>,), Cause>> + Send + 'static,
    > {
        let probe = self.0;
        Invoke::<fn() -> Result<(Vec<i64>,), Cause>, _>::Async(async move {
            let (outcome, _running) = probe.begin(0);
            if outcome == Outcome::Hang {
                tokio::time::sleep(HANG).await;
            }
            finish(outcome, (join(&a, &b),))
        })
    }
}

/// `Vec<Option<i64>> → Vec<i64>`, the `Some`s: what reads a tolerant map (sync; keyed by 0).
#[derive(Clone, Copy, Debug)]
struct Flatten(Probe);

impl Kernel for Flatten {
    type Input = (Vec<Option<i64>>,);
    type Output = (Vec<i64>,);
    const BLOCKING: bool = true;

    fn call(
        &self,
        (xs,): (Vec<Option<i64>>,),
        _: &dyn Hooks,
    ) -> Invoke<
        impl FnOnce() -> Result<(Vec<i64>,), Cause> + Send + 'static,
        impl Future<Output = Result<(Vec<i64>,), Cause>> + Send + 'static,
    > {
        let probe = self.0;
        Invoke::<_, std::future::Ready<Result<(Vec<i64>,), Cause>>>::Blocking(move || {
            let (outcome, _running) = probe.begin(0);
            if outcome == Outcome::Hang {
                std::thread::sleep(HANG);
            }
            finish(outcome, (xs.into_iter().flatten().collect(),))
        })
    }
}

/// A sub-workflow `(i64,) → (i64,)` as a map element: runs its plan (a chain of `Elem`s).
#[derive(Clone, Copy, Debug)]
struct Sub {
    plan: &'static Arc<Plan>,
    tracker: &'static Tracker,
}

impl Kernel for Sub {
    type Input = (i64,);
    type Output = (i64,);
    const BLOCKING: bool = false;

    fn call(
        &self,
        (x,): (i64,),
        hooks: &dyn Hooks,
    ) -> Invoke<
        impl FnOnce() -> Result<(i64,), Cause> + Send + 'static,
        impl Future<Output = Result<(i64,), Cause>> + Send + 'static,
    > {
        let run = hooks.run_plan(self.plan.clone(), vec![Arc::new(x) as Value]);
        let tracker = self.tracker;
        let now = tracker.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        tracker.max_in_flight.fetch_max(now, Ordering::SeqCst);
        struct Leave(&'static Tracker);
        impl Drop for Leave {
            fn drop(&mut self) {
                self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let leave = Leave(tracker);
        Invoke::<fn() -> Result<(i64,), Cause>, _>::Async(async move {
            let _leave = leave;
            let outputs = run.await?;
            <(i64,)>::from_values(outputs).map_err(|e| Cause::Error(Box::new(e)))
        })
    }
}

// ---- generated workflows ----

/// Where a node's list comes from: the workflow input, or an earlier node's `Vec<i64>`.
type From = Option<usize>;

#[derive(Debug)]
enum Kind {
    /// `join(a, b)`.
    Join { a: From, b: From },
    /// `join` inside a sub-workflow call.
    SubJoin { a: From, b: From },
    /// `map!(elem)` over a list.
    Map { list: From, sync: bool },
    /// `map!` over a sub-workflow of `depth` chained `elem` nodes.
    MapSub { list: From, depth: usize },
    /// Reads the tolerant map just before it.
    Flatten,
}

#[derive(Debug)]
struct NodeSpec {
    kind: Kind,
    after: Vec<usize>,
    retries: u32,
    may_hang: bool,
    /// CPU request in millis (0: none).
    millis: u64,
    concurrency: Option<u32>,
    rule: SuccessRule,
    script: Script,
    /// For `MapSub`: the inner nodes' retries and scripts.
    inner: Vec<(u32, Script)>,
    /// For `Map`: `cache = true` (the case runs twice: see `run_case`).
    cached: bool,
}

#[derive(Debug)]
struct Case {
    xs: Vec<i64>,
    nodes: Vec<NodeSpec>,
}

fn script(rng: &mut Rng, hang: bool) -> Script {
    let error = [0, 0, 0, 20, 80, 300][rng.below(6) as usize];
    let panic = [0, 0, 10, 50][rng.below(4) as usize];
    Script { seed: rng.next(), error, panic, hang: if hang { 15 } else { 0 } }
}

fn generate(seed: u64) -> Case {
    let mut rng = Rng(seed);
    let timeouts = rng.chance(25);
    let len = if timeouts { rng.below(41) } else { [0, 1, 2, 5, 30, 120, 300][rng.below(7) as usize] };
    let xs: Vec<i64> = (0..len as i64).map(|i| i * 11 + (seed % 97) as i64).collect();
    let count = 1 + rng.below(6) as usize;
    let mut nodes: Vec<NodeSpec> = Vec::new();
    // The nodes whose output is a `Vec<i64>` (tolerant maps are read through a `Flatten`).
    let mut lists: Vec<usize> = Vec::new();
    let pick = |rng: &mut Rng, lists: &[usize]| -> From {
        if lists.is_empty() || rng.chance(30) { None } else { Some(lists[rng.below(lists.len() as u64) as usize]) }
    };
    while nodes.len() < count {
        let i = nodes.len();
        let may_hang = timeouts && rng.chance(40);
        let retries = rng.below(3) as u32;
        let millis = if rng.chance(25) { [250, 500, 1000, 2000, 2500][rng.below(5) as usize] } else { 0 };
        let after: Vec<usize> = (0..i).filter(|_| rng.chance(15)).collect();
        let kind = match rng.below(10) {
            0..=2 => Kind::Join { a: pick(&mut rng, &lists), b: pick(&mut rng, &lists) },
            3 => Kind::SubJoin { a: pick(&mut rng, &lists), b: pick(&mut rng, &lists) },
            4..=7 => Kind::Map { list: pick(&mut rng, &lists), sync: rng.chance(50) },
            _ => Kind::MapSub { list: pick(&mut rng, &lists), depth: 1 + rng.below(2) as usize },
        };
        let is_map = matches!(kind, Kind::Map { .. } | Kind::MapSub { .. });
        let rule = if !is_map || rng.chance(40) {
            SuccessRule::All
        } else if rng.chance(50) {
            let text = ["0.01", "0.25", "0.5", "0.8", "0.99", "1"][rng.below(6) as usize];
            SuccessRule::Ratio(Ratio::parse(text).unwrap())
        } else {
            SuccessRule::AtLeast(NonZeroU64::new(1 + rng.below(40)).unwrap())
        };
        let inner = match kind {
            Kind::MapSub { depth, .. } => (0..depth).map(|_| (rng.below(2) as u32, script(&mut rng, false))).collect(),
            _ => Vec::new(),
        };
        let tolerant = rule.tolerant();
        let cached = matches!(kind, Kind::Map { .. }) && rng.chance(40);
        nodes.push(NodeSpec {
            cached,
            kind,
            after,
            retries,
            may_hang,
            millis,
            concurrency: if is_map && rng.chance(60) { Some(1 + rng.below(8) as u32) } else { None },
            rule,
            script: script(&mut rng, may_hang),
            inner,
        });
        if tolerant {
            nodes.push(NodeSpec {
                kind: Kind::Flatten,
                cached: false,
                after: Vec::new(),
                retries: 0,
                may_hang: false,
                millis: 0,
                concurrency: None,
                rule: SuccessRule::All,
                script: script(&mut rng, false),
                inner: Vec::new(),
            });
        }
        lists.push(nodes.len() - 1);
    }
    Case { xs, nodes }
}

// ---- the plan of a case ----

fn leak<T>(t: T) -> &'static T {
    Box::leak(Box::new(t))
}

const ONE: &[&str] = &["x"];
const TWO: &[&str] = &["a", "b"];
const FLAT: &[&str] = &["xs"];

fn source(from: From) -> Source {
    match from {
        None => Source::Input(0),
        Some(node) => Source::Output { node, port: 0 },
    }
}

/// Keys unique to each run of a case (each `build`), so that no case finds another's entries.
static BUILDS: AtomicU64 = AtomicU64::new(0);

fn settings(spec: &NodeSpec, build: u64) -> NodeSettings {
    let mut requests = Resources::default();
    if spec.millis > 0 {
        requests.set(ResourceKey::Cpu, Quantity::parse(&format!("{}m", spec.millis)).unwrap());
    }
    let cache = spec.cached.then(|| {
        let task = format!("model::n{build}-{:x}", spec.script.seed);
        CacheSpec {
            prefix: KeyPrefix::new(&task, "1", "(i64) -> i64"),
            task: task.into(),
            skip: Arc::from([false]),
            serialize: false,
            codec: crate::cache::node::CacheCodec::of::<(i64,), (i64,)>(ONE),
        }
    });
    NodeSettings { retries: spec.retries, timeout: spec.may_hang.then_some(TIMEOUT), requests, cache }
}

fn plan_node(i: usize, inputs: Vec<Source>, after: Vec<usize>, settings: NodeSettings, work: Work) -> PlanNode {
    PlanNode {
        id: format!("n{i}").into(),
        display: format!("node {i}").into(),
        inputs,
        after,
        settings,
        work,
        json: None,
        pace: Arc::default(),
    }
}

/// The plan of a chain of `Elem`s, `(i64,) → (i64,)`.
fn chain_plan(inner: &[(u32, Script)], cpu: &'static Cpu, trackers: &mut Vec<&'static Tracker>) -> &'static Arc<Plan> {
    let nodes = inner
        .iter()
        .enumerate()
        .map(|(j, (retries, script))| {
            let tracker = leak(Tracker::default());
            trackers.push(tracker);
            let probe = Probe { script: *script, tracker, cpu, millis: 0 };
            let input = if j == 0 { Source::Input(0) } else { Source::Output { node: j - 1, port: 0 } };
            let settings = NodeSettings { retries: *retries, ..NodeSettings::default() };
            plan_node(
                j,
                vec![input],
                Vec::new(),
                settings,
                Work::Call(Box::new(CallOf { kernel: Elem::<false>(probe), names: ONE })),
            )
        })
        .collect::<Vec<_>>();
    let last = nodes.len() - 1;
    leak(Arc::new(Plan::new("chain".into(), 1, nodes, vec![Source::Output { node: last, port: 0 }], Vec::new())))
}

/// The case's plan; per node its tracker (and for a mapped sub-workflow, its inner nodes').
fn build(case: &Case, cpu: &'static Cpu) -> (&'static Arc<Plan>, Vec<&'static Tracker>, Vec<Vec<&'static Tracker>>) {
    let build = BUILDS.fetch_add(1, Ordering::Relaxed);
    let settings = |spec: &NodeSpec| settings(spec, build);
    let mut trackers = Vec::new();
    let mut inner_trackers = Vec::new();
    let mut nodes = Vec::new();
    for (i, spec) in case.nodes.iter().enumerate() {
        let tracker = leak(Tracker::default());
        trackers.push(tracker);
        let probe = Probe { script: spec.script, tracker, cpu, millis: spec.millis };
        let mut inner = Vec::new();
        let map_shape = |names: &'static [&'static str]| MapShape {
            names,
            mapped: vec![true],
            concurrency: spec.concurrency.and_then(NonZeroU32::new),
            rule: spec.rule,
        };
        let (inputs, work) = match spec.kind {
            Kind::Join { a, b } => {
                (vec![source(a), source(b)], Work::Call(Box::new(CallOf { kernel: Join(probe), names: TWO })))
            }
            Kind::SubJoin { a, b } => {
                let join = plan_node(
                    0,
                    vec![Source::Input(0), Source::Input(1)],
                    Vec::new(),
                    settings(spec),
                    Work::Call(Box::new(CallOf { kernel: Join(probe), names: TWO })),
                );
                let sub = Arc::new(Plan::new(
                    "sub".into(),
                    2,
                    vec![join],
                    vec![Source::Output { node: 0, port: 0 }],
                    Vec::new(),
                ));
                (vec![source(a), source(b)], Work::Workflow(sub))
            }
            Kind::Map { list, sync } => {
                let kernel: Box<dyn crate::plan::MapKernel> =
                    if sync { Box::new(MapOf(Elem::<true>(probe))) } else { Box::new(MapOf(Elem::<false>(probe))) };
                (vec![source(list)], Work::Map(kernel, map_shape(ONE)))
            }
            Kind::MapSub { list, .. } => {
                let plan = chain_plan(&spec.inner, cpu, &mut inner);
                (vec![source(list)], Work::Map(Box::new(MapOf(Sub { plan, tracker })), map_shape(ONE)))
            }
            Kind::Flatten => (
                vec![Source::Output { node: i - 1, port: 0 }],
                Work::Call(Box::new(CallOf { kernel: Flatten(probe), names: FLAT })),
            ),
        };
        inner_trackers.push(inner);
        let node_settings =
            if matches!(spec.kind, Kind::SubJoin { .. }) { NodeSettings::default() } else { settings(spec) };
        nodes.push(plan_node(i, inputs, spec.after.clone(), node_settings, work));
    }
    let outputs = (0..nodes.len()).map(|node| Source::Output { node, port: 0 }).collect();
    let plan = leak(Arc::new(Plan::new("case".into(), 1, nodes, outputs, Vec::new())));
    (plan, trackers, inner_trackers)
}

// ---- the reference model ----

#[derive(Clone, Debug, PartialEq)]
enum Out {
    List(Vec<i64>),
    Options(Vec<Option<i64>>),
}

/// What the model says of one node.
#[derive(Clone, Debug)]
enum Expect {
    /// Its outputs, and the attempts of each call by input value.
    Done(Out, HashMap<i64, u32>),
    /// It fails (its inputs were there).
    Fails,
    /// An earlier node failed: it never starts.
    Unreached,
}

/// Attempts of one call under `script` with `retries`, from attempt `first`: `Ok(attempts)` or
/// `Err(attempts)` when every one failed.
fn attempts(script: &Script, x: i64, retries: u32, first: u32) -> Result<u32, u32> {
    for n in 0..=retries {
        if script.outcome(x, first + n) == Outcome::Ok {
            return Ok(n + 1);
        }
    }
    Err(retries + 1)
}

/// One element of a mapped sub-workflow: its output, updating the inner nodes' attempt counts.
fn sub_element(spec: &NodeSpec, x: i64, inner: &mut [HashMap<i64, u32>]) -> Option<i64> {
    for _ in 0..=spec.retries {
        let mut v = x;
        let mut ok = true;
        for (j, (retries, script)) in spec.inner.iter().enumerate() {
            let done = inner[j].entry(v).or_insert(0);
            match attempts(script, v, *retries, *done + 1) {
                Ok(n) => {
                    *done += n;
                    v = elem(v);
                }
                Err(n) => {
                    *done += n;
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            return Some(v);
        }
    }
    None
}

fn required(rule: SuccessRule, n: usize) -> Option<usize> {
    match rule {
        SuccessRule::All => Some(n),
        SuccessRule::Ratio(r) => Some(r.required(n)),
        SuccessRule::AtLeast(k) => usize::try_from(k.get()).ok().filter(|k| *k <= n),
    }
}

/// What a case's earlier run left: attempts so far per node (and per task inside a mapped
/// sub-workflow), and the inputs whose outputs each cached node stored.
#[derive(Clone, Debug, Default)]
struct Prior {
    counts: Vec<HashMap<i64, u32>>,
    inner: Vec<Vec<HashMap<i64, u32>>>,
    stored: Vec<HashSet<i64>>,
}

impl Prior {
    fn none(case: &Case) -> Prior {
        Prior {
            counts: vec![HashMap::new(); case.nodes.len()],
            inner: case.nodes.iter().map(|n| vec![HashMap::new(); n.inner.len()]).collect(),
            stored: vec![HashSet::new(); case.nodes.len()],
        }
    }
}

/// What the model says of a run after `prior`: per node, and what the run leaves for the next.
fn model(case: &Case, prior: &Prior) -> (Vec<Expect>, Prior) {
    let mut expect: Vec<Expect> = Vec::new();
    let mut after = prior.clone();
    let list = |expect: &[Expect], from: From| -> Option<Vec<i64>> {
        match from {
            None => Some(case.xs.clone()),
            Some(i) => match &expect[i] {
                Expect::Done(Out::List(v), _) => Some(v.clone()),
                _ => None,
            },
        }
    };
    for (i, spec) in case.nodes.iter().enumerate() {
        let inner = &mut after.inner[i];
        let mut counts = prior.counts[i].clone();
        let call = |counts: &mut HashMap<i64, u32>| {
            let done = counts.entry(0).or_insert(0);
            let result = attempts(&spec.script, 0, spec.retries, *done + 1);
            *done += result.unwrap_or_else(|n| n);
            result.is_ok()
        };
        let deps_ok = spec.after.iter().all(|a| matches!(expect[*a], Expect::Done(..)));
        let unschedulable = spec.millis > u64::from(CPUS) * 1000;
        let e = match &spec.kind {
            Kind::Join { a, b } | Kind::SubJoin { a, b } => match (list(&expect, *a), list(&expect, *b)) {
                (Some(a), Some(b)) if deps_ok => {
                    if !unschedulable && call(&mut counts) {
                        Expect::Done(Out::List(join(&a, &b)), counts)
                    } else {
                        Expect::Fails
                    }
                }
                _ => Expect::Unreached,
            },
            Kind::Flatten => match &expect[i - 1] {
                Expect::Done(Out::Options(v), _) if call(&mut counts) => {
                    Expect::Done(Out::List(v.iter().flatten().copied().collect()), counts)
                }
                Expect::Done(..) => Expect::Fails,
                _ => Expect::Unreached,
            },
            Kind::Map { list: from, .. } | Kind::MapSub { list: from, .. } => match list(&expect, *from) {
                Some(xs) if deps_ok => match required(spec.rule, xs.len()) {
                    _ if unschedulable => Expect::Fails,
                    None => Expect::Fails,
                    Some(required) => {
                        let outs: Vec<Option<i64>> = xs
                            .iter()
                            .map(|&x| match &spec.kind {
                                // Stored by an earlier run: taken from the cache, not run.
                                Kind::Map { .. } if prior.stored[i].contains(&x) => Some(elem(x)),
                                Kind::Map { .. } => {
                                    let done = counts.entry(x).or_insert(0);
                                    let result = attempts(&spec.script, x, spec.retries, *done + 1);
                                    *done += result.unwrap_or_else(|n| n);
                                    result.ok().map(|_| elem(x))
                                }
                                _ => sub_element(spec, x, inner),
                            })
                            .collect();
                        if spec.cached {
                            after.stored[i].extend(xs.iter().zip(&outs).filter(|(_, o)| o.is_some()).map(|(x, _)| *x));
                        }
                        let succeeded = outs.iter().flatten().count();
                        if succeeded < required {
                            Expect::Fails
                        } else if spec.rule.tolerant() {
                            Expect::Done(Out::Options(outs), counts)
                        } else {
                            Expect::Done(Out::List(outs.into_iter().flatten().collect()), counts)
                        }
                    }
                },
                _ => Expect::Unreached,
            },
        };
        if let Expect::Done(_, counts) = &e {
            after.counts[i].clone_from(counts);
        }
        expect.push(e);
    }
    (expect, after)
}

// ---- running a case and comparing ----

fn read(value: &Value) -> Out {
    if let Some(v) = value.downcast_ref::<Vec<i64>>() {
        Out::List(v.clone())
    } else if let Some(v) = value.downcast_ref::<Vec<Option<i64>>>() {
        Out::Options(v.clone())
    } else {
        panic!("an output of an unexpected type")
    }
}

fn completed_output(e: &Error, node: &str) -> Option<Out> {
    let c = e.completed()?;
    c.output::<Vec<i64>>(node, 0)
        .map(|v| Out::List(v.clone()))
        .or_else(|| c.output::<Vec<Option<i64>>>(node, 0).map(|v| Out::Options(v.clone())))
}

/// What the cases covered, printed at the end (`--nocapture`).
#[derive(Debug, Default)]
struct Coverage {
    cases: AtomicUsize,
    failed_runs: AtomicUsize,
    map_nodes: AtomicUsize,
    sub_maps: AtomicUsize,
    elements: AtomicUsize,
    attempts: AtomicUsize,
    hangs: AtomicUsize,
    reruns: AtomicUsize,
}

static COVERAGE: Coverage = Coverage {
    cases: AtomicUsize::new(0),
    failed_runs: AtomicUsize::new(0),
    map_nodes: AtomicUsize::new(0),
    sub_maps: AtomicUsize::new(0),
    elements: AtomicUsize::new(0),
    attempts: AtomicUsize::new(0),
    hangs: AtomicUsize::new(0),
    reruns: AtomicUsize::new(0),
};

fn run_case(rt: &Runtime, seed: u64) -> Result<(), TestCaseError> {
    let case = generate(seed);
    let add = |counter: &AtomicUsize, n: usize| counter.fetch_add(n, Ordering::Relaxed);
    add(&COVERAGE.cases, 1);
    for spec in &case.nodes {
        match spec.kind {
            Kind::Map { .. } => add(&COVERAGE.map_nodes, 1),
            Kind::MapSub { .. } => add(&COVERAGE.sub_maps, 1),
            _ => 0,
        };
    }
    let cpu = leak(Cpu::default());
    let (plan, trackers, inner_trackers) = build(&case, cpu);
    let run = || {
        let input = vec![Arc::new(case.xs.clone()) as Value];
        crate::exec::drivers::wait(rt.run_plan(plan.clone(), input, false, RunOptions::new(), Ok))
    };
    let probes = Probes { cpu, trackers: &trackers, inner: &inner_trackers };
    let (expect, after) = model(&case, &Prior::none(&case));
    let result = run();
    add(&COVERAGE.failed_runs, usize::from(result.is_err()));
    check(&case, seed, &expect, &after, &result, &probes)?;
    // A case with cached maps that succeeded runs again: its cached elements come from the
    // cache, the rest run (their attempts go on counting), and the model says which.
    if result.is_ok() && case.nodes.iter().any(|n| n.cached) {
        add(&COVERAGE.reruns, 1);
        let (expect, after) = model(&case, &after);
        let again = run();
        check(&case, seed, &expect, &after, &again, &probes)?;
    }
    for (i, tracker) in trackers.iter().enumerate() {
        let attempts = tracker.attempts.lock().unwrap();
        add(&COVERAGE.attempts, attempts.values().map(|n| *n as usize).sum());
        if matches!(case.nodes[i].kind, Kind::Map { .. } | Kind::MapSub { .. }) {
            add(&COVERAGE.elements, attempts.len());
        }
        let hangs = attempts.iter().flat_map(|(x, n)| (1..=*n).map(move |a| (*x, a)));
        add(&COVERAGE.hangs, hangs.filter(|(x, a)| case.nodes[i].script.outcome(*x, *a) == Outcome::Hang).count());
    }
    Ok(())
}

/// What the kernels of a case recorded.
struct Probes<'a> {
    cpu: &'static Cpu,
    trackers: &'a [&'static Tracker],
    inner: &'a [Vec<&'static Tracker>],
}

/// Compares a run with the model.
fn check(
    case: &Case,
    seed: u64,
    expect: &[Expect],
    after: &Prior,
    result: &Result<Finished<Vec<Value>>, Error>,
    probes: &Probes<'_>,
) -> Result<(), TestCaseError> {
    let failing: Vec<usize> = (0..expect.len()).filter(|i| matches!(expect[*i], Expect::Fails)).collect();
    let show = || format!("seed {seed}: {case:#?}\nmodel: {expect:?}");
    prop_assert!(!probes.cpu.exceeded.load(Ordering::SeqCst), "CPU capacity exceeded; {}", show());
    for (i, spec) in case.nodes.iter().enumerate() {
        if let Some(c) = spec.concurrency {
            let max = probes.trackers[i].max_in_flight.load(Ordering::SeqCst);
            prop_assert!(max <= c as usize, "node n{i} ran {max} elements at once, concurrency {c}; {}", show());
        }
    }
    // Which nodes' outputs the run shows: all on success, the completed ones on failure.
    let shown: Vec<(usize, Out)> = match result {
        Ok(Finished { outputs: values, .. }) => {
            prop_assert!(failing.is_empty(), "the run succeeded, but the model fails {failing:?}; {}", show());
            values.iter().enumerate().map(|(i, v)| (i, read(v))).collect()
        }
        Err(e) => {
            let node = e.node().unwrap_or("?");
            prop_assert!(
                failing.iter().any(|i| format!("n{i}") == node),
                "the run failed at {node} ({}), the model fails {failing:?}; {}",
                e.report(),
                show()
            );
            if let Some(m) = e.map_failure() {
                // What the failed map's elements computed is all there.
                let i: usize = node[1..].parse().unwrap();
                let xs = match &case.nodes[i].kind {
                    Kind::Map { list, .. } | Kind::MapSub { list, .. } => match list {
                        None => case.xs.clone(),
                        Some(j) => match &expect[*j] {
                            Expect::Done(Out::List(v), _) => v.clone(),
                            other => return Err(TestCaseError::fail(format!("input of n{i}: {other:?}"))),
                        },
                    },
                    _ => return Err(TestCaseError::fail("a map failure of a node that is not a map")),
                };
                let partial = m.partial_outputs::<i64>(0).expect("partial outputs of a map of i64");
                prop_assert_eq!(partial.len(), xs.len());
                prop_assert_eq!(partial.iter().flatten().count(), m.succeeded);
                if matches!(case.nodes[i].kind, Kind::Map { .. }) {
                    for (x, out) in xs.iter().zip(partial) {
                        if let Some(out) = out {
                            prop_assert_eq!(*out, elem(*x), "element {} of failed n{}", x, i);
                        }
                    }
                }
            }
            (0..case.nodes.len()).filter_map(|i| Some((i, completed_output(e, &format!("n{i}"))?))).collect()
        }
    };
    // The elements the run reports lost are the `None`s of its tolerant maps' outputs, whether
    // the run succeeded or failed later.
    let tolerated = match result {
        Ok(finished) => &finished.failures[..],
        Err(e) => e.completed().map_or(&[][..], Completed::tolerated),
    };
    let mut reported: Vec<(String, usize)> =
        tolerated.iter().map(|f| (f.node.clone(), f.failure.index.unwrap_or(usize::MAX))).collect();
    reported.sort_unstable();
    let mut lost: Vec<(String, usize)> = Vec::new();
    for (i, out) in &shown {
        if let Out::Options(v) = out {
            lost.extend(v.iter().enumerate().filter(|(_, x)| x.is_none()).map(|(j, _)| (format!("n{i}"), j)));
        }
    }
    lost.sort_unstable();
    prop_assert_eq!(reported, lost, "the tolerated failures reported; {}", show());
    for (i, out) in &shown {
        let Expect::Done(expected, counts) = &expect[*i] else {
            return Err(TestCaseError::fail(format!("n{i} has outputs, the model says {:?}; {}", expect[*i], show())));
        };
        prop_assert_eq!(out, expected, "outputs of n{}; {}", i, show());
        // Attempts per element (plain calls: by input 0), for nodes that ran their own calls.
        if !matches!(case.nodes[*i].kind, Kind::MapSub { .. }) {
            let seen = probes.trackers[*i].attempts.lock().unwrap().clone();
            prop_assert_eq!(&seen, counts, "attempts of n{}; {}", i, show());
        } else {
            for (j, tracker) in probes.inner[*i].iter().enumerate() {
                let seen = tracker.attempts.lock().unwrap().clone();
                prop_assert_eq!(&seen, &after.inner[*i][j], "attempts of node {} inside n{}; {}", j, i, show());
            }
        }
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
}

#[test]
fn the_executor_agrees_with_the_model() {
    // A cache of this test process's own; every run's keys are its own too (see `settings`).
    let cache = std::env::temp_dir().join(format!("flowmap-model-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let rt = Runtime::builder().cpus(CPUS).memory("4Gi").max_in_flight(64).cache_dir(&cache).build().unwrap();
    let config = ProptestConfig { cases: cases(), ..ProptestConfig::default() };
    proptest!(config, |(seed in any::<u64>())| {
        run_case(&rt, seed)?;
    });
    eprintln!("model cases: {COVERAGE:?}");
    drop(rt);
    let _ = std::fs::remove_dir_all(&cache);
}
