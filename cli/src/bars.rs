//! Live progress on a terminal: one bar per map node, one line per plain node, redrawn from
//! [`Progress`] samples (never per element).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use console::Term;
use flowmap_runtime::progress::{NodeProgress, NodeState, Progress};
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
    /// The terminal's Ctrl-C echo, off while the bars are drawn.
    #[cfg(unix)]
    _quiet: Option<crate::echo::QuietCtrlC>,
}

/// One node on the screen.
struct Shown {
    /// Whether it is drawn as a map's bar: a map may first be seen before its length is known.
    map: bool,
    /// When it was first seen, among the nodes of this run.
    order: usize,
    bar: ProgressBar,
    last: NodeProgress,
}

/// A map's bar; its message holds the counts, rate and ETA (computed here, from the elements
/// that ran: those taken from the cache would make both look faster than the work left).
fn map_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// A plain node's line; its message holds its state and how long it has run.
fn line_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner())
}

impl Bars {
    /// Bars fed by `progress`, drawn on `screen` if given (else only the last samples are kept,
    /// for a summary).
    pub(crate) fn new(progress: Progress, screen: Option<Term>) -> Bars {
        let draw = screen.is_some();
        let target = screen.map_or_else(ProgressDrawTarget::hidden, |term| ProgressDrawTarget::term(term, 20));
        Bars {
            progress,
            multi: MultiProgress::with_draw_target(target),
            bars: HashMap::new(),
            draw,
            #[cfg(unix)]
            _quiet: None,
        }
    }

    /// The same, keeping the terminal's Ctrl-C echo off (see `echo.rs`) while they are drawn.
    #[cfg(unix)]
    pub(crate) fn keeping(self, quiet: crate::echo::QuietCtrlC) -> Bars {
        Bars { _quiet: self.draw.then_some(quiet), ..self }
    }

    /// Runs `print` with the bars out of its way: what it writes stays above them.
    #[cfg(unix)]
    pub(crate) fn printer(&self) -> impl Fn(&mut dyn FnMut()) + Send + 'static {
        let multi = self.multi.clone();
        move |print| multi.suspend(print)
    }

    /// Samples the counts and redraws.
    pub(crate) fn update(&mut self) {
        for node in self.progress.snapshot() {
            let key = (node.run, node.workflow.clone(), node.node.clone());
            let order = self.bars.len();
            let entry = self.bars.entry(key).or_insert_with(|| {
                let bar = match node.elements {
                    Some(n) => ProgressBar::new(n as u64).with_style(map_style()),
                    None => ProgressBar::new_spinner().with_style(line_style()),
                };
                let bar = self.multi.add(bar.with_prefix(format!("{}.{} {}", node.workflow, node.node, node.target)));
                Shown { map: node.elements.is_some(), order, bar, last: node.clone() }
            });
            if node.elements.is_some() && !entry.map {
                entry.bar.set_style(map_style());
                entry.map = true;
            }
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
        // A skipped node never ran: no time.
        None if node.state == NodeState::Skipped => text,
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
        NodeState::Skipped => "skipped",
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

/// A map's elements per second over the time it has run, counting those that ran (not those
/// taken from the cache); `None` before one has.
fn rate(node: &NodeProgress) -> Option<f64> {
    node.elements.and(per_second(finished(node).saturating_sub(node.cached), node.elapsed.as_secs_f64()))
}

/// `ran` elements in `seconds`, per second; `None` for none.
fn per_second(ran: usize, seconds: f64) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    (seconds > 0.0 && ran > 0).then(|| ran as f64 / seconds)
}

/// The time `left` elements take at `rate` per second: `12s`, `3m 05s`, `2h 10m`.
fn eta(left: usize, rate: f64) -> String {
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let secs = (left as f64 / rate).ceil() as u64;
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m", secs / 3600, secs % 3600 / 60),
    }
}

/// Draws one node's counts on its bar.
fn show(bar: &ProgressBar, node: &NodeProgress) {
    if let Some(n) = node.elements {
        bar.set_length(n as u64);
        bar.set_position(finished(node) as u64);
    }
    let mut notes: Vec<String> = rate(node).map(|rate| format!("{rate:.1}/s")).into_iter().collect();
    notes.extend(tallies(node));
    // An ETA only once an element has run (before, there is no rate), and not after the end.
    if let (Some(n), Some(rate), NodeState::Running) = (node.elements, rate(node), node.state) {
        notes.push(format!("ETA {}", eta(n.saturating_sub(finished(node)), rate)));
    }
    if node.elements.is_none() || node.state != NodeState::Running {
        notes.push(state_word(node.state).to_owned());
    }
    let mut message = notes.join(", ");
    // A plain node: how long it has run (its own clock: a bar's would start when first drawn).
    if node.elements.is_none() && node.state != NodeState::Skipped {
        message += &format!(" ({:.1?})", node.elapsed);
    }
    bar.set_message(message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_etas_count_the_elements_that_ran_not_those_from_the_cache() {
        // Of 95 finished, 90 came from the cache: 5 ran in 10 s, 0.5/s; 5 left take 10 s.
        assert_eq!(per_second(95 - 90, 10.0), Some(0.5));
        assert_eq!(eta(100 - 95, 0.5), "10s");
        // Only cached so far: no rate (and so no ETA).
        assert_eq!(per_second(90 - 90, 1.0), None);
        assert_eq!(eta(125, 1.0), "2m 05s");
        assert_eq!(eta(7300, 1.0), "2h 01m");
    }
}
