//! Live progress on a terminal: one bar per map node, one line per plain node, redrawn from
//! [`Progress`] samples (never per element).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use flowmap_runtime::{NodeProgress, NodeState, Progress};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often the bars are sampled and redrawn.
pub(crate) const TICK: Duration = Duration::from_millis(100);

/// A node of a run: run, workflow, node id.
type NodeKey = (u64, Arc<str>, Arc<str>);

/// The bars of one run, keyed by run, workflow and node.
pub(crate) struct Bars {
    progress: Progress,
    multi: MultiProgress,
    bars: HashMap<NodeKey, Shown>,
    draw: bool,
}

/// One node on the screen.
struct Shown {
    /// When it was first seen, among the nodes of this run.
    order: usize,
    bar: ProgressBar,
    last: NodeProgress,
}

fn map_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ETA {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// A map with no ETA: it ended, or no element has yet.
fn no_eta_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

fn line_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix} {msg} ({elapsed})").unwrap_or_else(|_| ProgressStyle::default_spinner())
}

impl Bars {
    /// Bars fed by `progress`, drawn on stderr if `draw` (else only the last samples are kept,
    /// for a summary).
    pub(crate) fn new(progress: Progress, draw: bool) -> Bars {
        let target = if draw { ProgressDrawTarget::stderr_with_hz(20) } else { ProgressDrawTarget::hidden() };
        Bars { progress, multi: MultiProgress::with_draw_target(target), bars: HashMap::new(), draw }
    }

    /// Samples the counts and redraws.
    pub(crate) fn update(&mut self) {
        for node in self.progress.snapshot() {
            let key = (node.run, node.workflow.clone(), node.node.clone());
            let order = self.bars.len();
            let entry = self.bars.entry(key).or_insert_with(|| {
                let bar = match node.elements {
                    Some(n) => ProgressBar::new(n as u64).with_style(no_eta_style()),
                    None => ProgressBar::new_spinner().with_style(line_style()),
                };
                let bar = self.multi.add(bar.with_prefix(format!("{}.{} {}", node.workflow, node.node, node.target)));
                Shown { order, bar, last: node.clone() }
            });
            show(&entry.bar, &node);
            entry.last = node;
        }
    }

    /// The last sample: drawn bars give way to one line per node with its final counts; with
    /// no bars, the lines are printed only if `summary`.
    pub(crate) fn finish(mut self, summary: bool) {
        self.update();
        // A cancelled run stops on the runtime's threads: give its nodes a moment to say so.
        for _ in 0..50 {
            if !summary || self.bars.values().all(|shown| shown.last.state != NodeState::Running) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
            self.update();
        }
        // Finished and cleared, so that no bar draws itself again when dropped.
        for shown in self.bars.values() {
            shown.bar.finish_and_clear();
        }
        let _ = self.multi.clear();
        if !self.draw && !summary {
            return;
        }
        let mut ended: Vec<Shown> = self.bars.into_values().collect();
        ended.sort_by_key(|shown| shown.order);
        for shown in ended {
            eprintln!("{} {}", shown.bar.prefix(), counts(&shown.last));
        }
    }
}

/// A node's counts in words: `16/16 done, 12 cached, 2 failed, 1 retried (13.3/s)`.
fn counts(node: &NodeProgress) -> String {
    let mut text = match node.elements {
        Some(n) => format!("{}/{n} {}", finished(node), state_word(node.state)),
        None => state_word(node.state).to_owned(),
    };
    for tally in tallies(node) {
        text += &format!(", {tally}");
    }
    match rate(node) {
        Some(rate) => text + &format!(" ({rate:.1}/s)"),
        None => text + &format!(" ({:.1?})", node.elapsed),
    }
}

/// Elements that ended, either way.
fn finished(node: &NodeProgress) -> usize {
    node.succeeded + node.failed
}

fn state_word(state: NodeState) -> &'static str {
    match state {
        NodeState::Succeeded => "done",
        NodeState::Failed => "FAILED",
        NodeState::Cancelled => "cancelled",
        _ => "running",
    }
}

/// `12 cached`, `2 failed`, `1 retried`: what is not zero.
fn tallies(node: &NodeProgress) -> Vec<String> {
    [(node.cached, "cached"), (node.failed, "failed"), (node.retried, "retried")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, word)| format!("{n} {word}"))
        .collect()
}

/// A map's elements per second, over the time it has run.
fn rate(node: &NodeProgress) -> Option<f64> {
    let seconds = node.elapsed.as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    (node.elements.is_some() && seconds > 0.0).then(|| finished(node) as f64 / seconds)
}

/// Draws one node's counts on its bar.
fn show(bar: &ProgressBar, node: &NodeProgress) {
    if let Some(n) = node.elements {
        bar.set_length(n as u64);
        bar.set_position(finished(node) as u64);
        // An ETA only once an element has ended (before, it would read 0s), and not after the end.
        let eta = node.state == NodeState::Running && finished(node) > 0;
        bar.set_style(if eta { map_style() } else { no_eta_style() });
    }
    let mut notes: Vec<String> = rate(node).map(|rate| format!("{rate:.1}/s")).into_iter().collect();
    notes.extend(tallies(node));
    if node.elements.is_none() || node.state != NodeState::Running {
        notes.push(state_word(node.state).to_owned());
    }
    bar.set_message(notes.join(", "));
}
