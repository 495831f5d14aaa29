//! The `anomalies` and `noisy_tasks` examples run as a user runs them: a separate process, its
//! exit code, stdout and stderr (`example::binary_of` says how they are found).

use crate::example::{app, binary, binary_of, fresh_cache, output_of};
use std::process::{Command, Output, Stdio};

fn run(args: &[&str]) -> (i32, String, String) {
    let Output { status, stdout, stderr } = app().args(args).output().expect("the example starts");
    let code = status.code().unwrap_or_else(|| panic!("ended by a signal: {status}"));
    (code, String::from_utf8(stdout).unwrap(), String::from_utf8(stderr).unwrap())
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn list_names_every_workflow_with_its_inputs() {
    let (code, out, err) = run(&["list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let names: Vec<String> =
        json(&out).as_array().unwrap().iter().map(|w| w["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(
        names,
        ["map_workflow", "map_workflow_with_additional_params", "sweep", "anomaly_summary", "anomaly_counts"]
    );
    let listed = json(&out);
    let outputs: Vec<&str> =
        listed[4]["outputs"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(outputs, ["anomalies", "points"]);
    assert_eq!(json(&out)[2]["doc"], "Reads every sensor, four at a time; one broken sensor fails the run.");
    let (code, out, _) = run(&["list"]);
    assert_eq!(code, 0);
    assert!(out.contains("  input  millis: integer = 100"), "{out}");
    // Each workflow's doc comment, its first line here and the whole in `run WORKFLOW --help`.
    assert!(out.contains("sweep\n  Reads every sensor, four at a time; one broken sensor fails the run.\n"), "{out}");
    let (code, out, _) = run(&["run", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Applies the anomaly detection to each data point."), "{out}");
}

#[test]
fn run_takes_defaults_names_and_files() {
    let (code, out, err) = run(&["run", "map_workflow", "--quiet"]);
    assert_eq!(
        (code, json(&out)),
        (0, serde_json::json!([false, true, false, false, true, true, true, false, true, false])),
        "{err}"
    );
    assert_eq!(err, "", "--quiet prints nothing else");
    // Named outputs are printed as an object by name.
    let (code, out, err) = run(&["run", "anomaly_counts", "--quiet"]);
    assert_eq!((code, json(&out)), (0, serde_json::json!({"anomalies": 5, "points": 10})), "{err}");
    let (code, out, err) = run(&["run", "map_workflow", "--data", "[1, 50]"]);
    assert_eq!((code, json(&out)), (0, serde_json::json!([false, true])), "{err}");
    assert!(!err.contains("error"), "{err}");
    let file = std::env::temp_dir().join(format!("flowmap-cli-inputs-{}.json", std::process::id()));
    std::fs::write(&file, r#"{"ids": [3, 4], "millis": 1}"#).unwrap();
    let (code, out, err) = run(&["run", "sweep", "--inputs", file.to_str().unwrap()]);
    std::fs::remove_file(&file).unwrap();
    assert_eq!((code, json(&out)), (0, serde_json::json!([30, 40])), "{err}");
}

#[test]
fn bad_inputs_are_usage_errors() {
    let (code, _, err) = run(&["run", "sweep", "--idz", "[1]"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--idz") && err.contains("--ids"), "{err}");
    let (code, _, err) = run(&["run", "sweep", "--ids", "[1,"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--ids is not JSON") && err.contains("list<integer>"), "{err}");
    let (code, _, err) = run(&["run", "sweep", "--ids", r#"["a"]"#]);
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("running workflow"), "inputs that do not fit: nothing ran: {err}");
    assert!(err.contains("ids") && err.contains("such as --ids '[1, 1]'"), "{err}");
    // An inputs file that is no object: the example is of this workflow's own inputs.
    let file = std::env::temp_dir().join(format!("flowmap-cli-list-{}.json", std::process::id()));
    std::fs::write(&file, "[1]").unwrap();
    let (code, _, err) = run(&["run", "sweep", "--inputs", file.to_str().unwrap()]);
    std::fs::remove_file(&file).unwrap();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(r#"such as {"ids": [1, 1], "millis": 1}"#), "{err}");
}

#[test]
fn a_failing_map_exits_1_naming_the_element() {
    let (code, out, err) = run(&["run", "sweep", "--ids", "[1, -2, 3]", "--millis", "1"]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("element 1 failed after 2 attempts: sensor -2 does not answer"), "{err}");
    assert!(err.contains("\nfailed elements:\n  element 1 (2 attempts): sensor -2 does not answer\n"), "{err}");
    // `read_sensor` is cached: the two readings are kept for a rerun.
    assert!(
        err.ends_with("\nthe outputs its cached tasks stored are kept: running it again runs only the rest\n"),
        "{err}"
    );
}

#[test]
fn graph_formats() {
    let (code, out, _) = run(&["graph", "sweep", "--format", "json"]);
    assert_eq!(code, 0);
    let graph = serde_json::from_str::<flowmap::graph::Graph>(&out).expect("the JSON reads back into the model");
    assert_eq!(graph.name, "sweep");
    let (code, out, _) = run(&["graph", "sweep", "--format", "dot"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("digraph"), "{out}");
    let (code, out, _) = run(&["graph", "sweep", "--format", "mermaid"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("flowchart"), "{out}");
    let (code, out, err) = run(&["graph", "map_workflow_with_additional_params", "--format", "svg"]);
    assert_eq!(code, 0, "{err}");
    let svg = roxmltree::Document::parse(&out).unwrap_or_else(|e| panic!("not well-formed XML ({e}): {out}"));
    assert_eq!(svg.root_element().tag_name().name(), "svg");
    let text: String = svg.descendants().filter_map(|n| n.text()).collect();
    for label in [
        "data: list<integer>",
        "map · n0",
        "detect_anomalies",
        "concurrency = 1",
        "min_success_ratio = 0.75",
        "o0: list<optional<boolean>>",
    ] {
        assert!(text.contains(label), "the picture shows `{label}`: {text}");
    }
}

/// Ctrl-C while a slow map runs: the run is cancelled, a summary printed, exit code 130.
#[cfg(unix)]
#[test]
fn ctrl_c_cancels_the_run() {
    use std::io::{BufRead, BufReader};
    // 16 elements of 10 s, four at a time: far longer than the test waits.
    let mut child = app()
        .args(["run", "sweep", "--millis", "10000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    // The app prints this line once it listens for Ctrl-C.
    assert_eq!(first, "running workflow `sweep` (Ctrl-C cancels it)\n");
    // Give the map time to start (the run itself lasts 40 s), so the summary has a node to show.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let sent = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let output = child.wait_with_output().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert_eq!(output.status.code(), Some(130), "{rest}");
    // What each node had done, then what happened.
    assert!(rest.starts_with("sweep.n0 map of task read_sensor 0/16 cancelled"), "{rest}");
    assert!(rest.contains("\ninterrupted: workflow `sweep` was cancelled after"), "{rest}");
    // `read_sensor` is cached: what it stored is kept.
    assert!(rest.contains("running it again resumes where it stopped"), "{rest}");
    assert!(!rest.contains("panicked"), "{rest}");
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "", "no outputs");
}

/// Runs the app with `args` under a pseudo-terminal (util-linux's `script`), with `cache` as its
/// cache directory; whether it succeeded, and the screen.
#[cfg(target_os = "linux")]
fn on_terminal(args: &str, cache: &std::path::Path) -> (bool, String) {
    on_terminal_of(&binary(), args, cache)
}

/// [`on_terminal`] for the binary at `bin`.
#[cfg(target_os = "linux")]
fn on_terminal_of(bin: &std::path::Path, args: &str, cache: &std::path::Path) -> (bool, String) {
    let command = format!("'{}' {args}", bin.display());
    let output = Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .env("FLOWMAP_CACHE_DIR", cache)
        .stdin(Stdio::null())
        .output()
        .expect("`script` (util-linux) runs the app under a pseudo-terminal");
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A cached map: a failed run keeps its readings, the rerun reads only what is missing, and its
/// bar says how many came from the cache; `cache stats` and `cache clear` see the store.
#[cfg(target_os = "linux")]
#[test]
fn a_rerun_takes_cached_elements_and_the_cache_commands_see_them() {
    let cache = fresh_cache();
    let dir = cache.to_str().unwrap();
    // Sensor -2 is broken: the run fails, and the two good readings are stored.
    let (code, _, err) = run(&["run", "sweep", "--ids", "[1, -2, 3]", "--millis", "1", "--cache-dir", dir]);
    assert_eq!(code, 1, "{err}");
    let (code, out, _) = run(&["cache", "stats", "--cache-dir", dir]);
    assert_eq!((code, out), (0, format!("{dir}: 2 entries, {} bytes\n", file_len(&cache))));
    // Fixed: two readings from the cache, one read.
    let (ok, screen) = on_terminal("run sweep --ids '[1, 2, 3]' --millis 1", &cache);
    assert!(ok, "{screen}");
    assert!(screen.contains("sweep.n0 map of task read_sensor 3/3 done, 2 cached"), "{screen}");
    // `--no-cache`: nothing from it; `--overwrite-cache`: nothing from it, and it is rewritten.
    let (ok, screen) = on_terminal("run sweep --ids '[1, 2, 3]' --millis 1 --no-cache", &cache);
    assert!(ok && screen.contains("read_sensor 3/3 done (") && !screen.contains("cached"), "{screen}");
    let (ok, screen) = on_terminal("run sweep --ids '[1, 2, 3]' --millis 1 --overwrite-cache", &cache);
    assert!(ok && !screen.contains("cached"), "{screen}");
    let (code, out, _) = run(&["cache", "stats", "--json", "--cache-dir", dir]);
    assert_eq!(code, 0);
    assert_eq!(json(&out)["entries"], 3, "{out}");
    let (code, out, _) = run(&["cache", "clear", "--cache-dir", dir]);
    assert_eq!((code, out.starts_with("cleared ")), (0, true));
    let (_, out, _) = run(&["cache", "stats", "--cache-dir", dir]);
    assert!(out.contains(": 0 entries"), "{out}");
    // A corrupt store fails the run with exit 1, naming the fix.
    std::fs::write(cache.join("cache.log"), "garbage garbage garbage garbage").unwrap();
    let (code, _, err) = run(&["run", "sweep", "--ids", "[1]", "--millis", "1", "--cache-dir", dir]);
    assert_eq!(code, 1);
    assert!(err.contains("corrupt") && err.contains("cache clear"), "{err}");
    let (code, _, err) = run(&["cache", "stats", "--cache-dir", dir]);
    assert!(code == 1 && err.contains("corrupt"), "{err}");
}

fn file_len(dir: &std::path::Path) -> u64 {
    std::fs::metadata(dir.join("cache.log")).unwrap().len()
}

/// On a terminal (here a pseudo-terminal from util-linux's `script`), `run` draws a bar whose
/// done/total advances, then leaves one line with the node's final counts.
#[cfg(target_os = "linux")]
#[test]
fn progress_bar_advances_on_a_terminal() {
    let (ok, screen) = on_terminal("run sweep --millis 300", &fresh_cache());
    assert!(ok, "{screen}");
    // Each redraw writes `sweep.n0 map of task read_sensor [====>   ] k/16 …`.
    let drawn: Vec<usize> = screen
        .split("sweep.n0 map of task read_sensor [")
        .skip(1)
        .filter_map(|draw| draw.split("] ").nth(1)?.split('/').next()?.parse().ok())
        .collect();
    assert!(drawn.iter().any(|k| (1..16).contains(k)), "a count between 0 and 16 was drawn: {drawn:?}\n{screen}");
    assert!(drawn.windows(2).all(|w| w[0] <= w[1]), "the count never goes back: {drawn:?}");
    assert!(screen.contains("sweep.n0 map of task read_sensor 16/16 done"), "{screen}");
}

/// Piped (not a terminal), stderr holds no bars.
#[test]
fn no_bars_without_a_terminal() {
    let (code, _, err) = run(&["run", "sweep", "--millis", "1"]);
    assert_eq!((code, err.as_str()), (0, "running workflow `sweep` (Ctrl-C cancels it)\n"));
}

/// `-v` logs nodes and element attempts, and a task's own logs nest under them.
#[test]
fn verbose_logs_nodes_and_attempts() {
    let (code, _, err) = run(&["run", "sweep", "--ids", "[7]", "--millis", "1", "-v"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("node{workflow=sweep node=n0 target=map of task read_sensor}: flowmap_runtime"), "{err}");
    assert!(
        err.contains("node{workflow=sweep node=n0 target=map of task read_sensor}:element{index=0 attempt=1}: anomalies: reading sensor id=7"),
        "{err}"
    );
    let (code, _, err) = run(&["run", "sweep", "--ids", "[7]", "--millis", "1"]);
    assert_eq!((code, err.as_str()), (0, "running workflow `sweep` (Ctrl-C cancels it)\n"), "no logs without -v");
}

/// `--json`: one JSON document on stdout, for machines, whatever the outcome.
#[test]
fn run_json_documents() {
    let (code, out, err) = run(&["run", "sweep", "--ids", "[1, 3]", "--millis", "1", "--json"]);
    assert_eq!(
        (code, json(&out)),
        (0, serde_json::json!({"status": "succeeded", "outputs": [10, 30], "failures": []})),
        "{err}"
    );
    let (code, out, _) = run(&["run", "sweep", "--ids", "[1, -2, 3]", "--millis", "1", "--json"]);
    let doc = json(&out);
    assert_eq!((code, &doc["status"]), (1, &serde_json::json!("failed")), "{out}");
    assert_eq!(
        doc["failed_elements"],
        serde_json::json!([{"index": 1, "attempts": 2, "cause": "sensor -2 does not answer"}])
    );
    assert!(doc["error"].as_str().unwrap().starts_with("workflow `sweep` failed at node `n0`"), "{out}");
}

#[test]
fn help_has_examples_and_exit_codes() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("anomalies run map_workflow --help") && out.contains("130 cancelled by Ctrl-C"), "{out}");
    let (code, out, _) = run(&["run", "sweep", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("--ids <JSON>") && out.contains("[default: 100]"), "{out}");
}

/// A negative number is a value, not an option.
#[test]
fn negative_numbers_are_values() {
    let (code, _, err) = run(&["run", "sweep", "--ids", "[1]", "--millis", "-5"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("input `millis` of `sweep` takes a value of type integer: invalid value: integer `-5`"),
        "{err}"
    );
}

/// The runtime's options are checked in the app's own terms: the flag, not the builder call.
#[test]
fn bad_runtime_options_name_the_flag() {
    let (code, _, err) = run(&["run", "sweep", "--memory", "bogus"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: --memory bogus is not an amount of memory; write a number and a suffix, such as 8Gi"),
        "{err}"
    );
    let (code, _, err) = run(&["run", "sweep", "--cpus", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value '0' for '--cpus <N>'"), "{err}");
}

/// `noisy_tasks` with `args`: exit code, stdout, stderr.
fn noisy(args: &[&str]) -> (i32, String, String) {
    let Output { status, stdout, stderr } = output_of(Command::new(binary_of("noisy_tasks")).args(args));
    let code = status.code().unwrap_or_else(|| panic!("ended by a signal: {status}"));
    (code, String::from_utf8(stdout).unwrap(), String::from_utf8(stderr).unwrap())
}

/// Tasks that print 1 MB on stdout and stderr, from several threads at once: the run ends,
/// stdout holds only the outputs (or the one `--json` document), and every line the tasks
/// wrote is on stderr.
#[test]
fn tasks_may_print_while_stdout_carries_only_the_outputs() {
    for format in [&[][..], &["--json"], &["--quiet"]] {
        let mut args = vec!["run", "chatter", "--n", "1000", "--width", "1000", "--millis", "0"];
        args.extend_from_slice(format);
        let (code, out, err) = noisy(&args);
        assert_eq!(code, 0, "{args:?}: {}", &err[err.len().saturating_sub(500)..]);
        let expected = if format == ["--json"] {
            serde_json::json!({"status": "succeeded", "outputs": 1000, "failures": []})
        } else {
            serde_json::json!(1000)
        };
        assert_eq!(json(&out), expected, "{args:?}: stdout holds only the outputs");
        assert!(err.len() > 1_000_000, "{args:?}: {} bytes on stderr", err.len());
        // Every line whole: a stdout line never lands inside one `eprintln!` writes in parts.
        let long = "x".repeat(1000);
        let mut said = std::collections::BTreeSet::new();
        let mut done = std::collections::BTreeSet::new();
        for line in err.lines().filter(|l| !l.starts_with("running workflow")) {
            if let Some(id) = line.strip_prefix("task ").and_then(|l| l.strip_suffix(" is done")) {
                done.insert(id.parse::<usize>().unwrap_or_else(|_| panic!("{args:?}: a cut line: {line:.80}")));
            } else {
                let (id, text) = line.strip_prefix("task ").and_then(|l| l.split_once(" says ")).unwrap_or_else(|| {
                    panic!("{args:?}: a cut line: {line:.80}");
                });
                assert_eq!(text, long, "{args:?}: task {id}'s line");
                said.insert(id.parse::<usize>().unwrap());
            }
        }
        assert_eq!((said.len(), done.len()), (1000, 1000), "{args:?}");
    }
}

/// What a terminal shows once `args` have run under a pseudo-terminal: every line, as drawn.
#[cfg(target_os = "linux")]
fn screen_of(bin: &std::path::Path, args: &str) -> (bool, Vec<String>) {
    let (ok, raw) = on_terminal_of(bin, args, &fresh_cache());
    (ok, rendered(raw.as_bytes()).lines().map(str::to_owned).collect())
}

/// What a terminal shows of `raw`. `script` gives a terminal of no size, which the bars take as
/// 80 columns; 500 rows keep every line.
#[cfg(target_os = "linux")]
fn rendered(raw: &[u8]) -> String {
    let size = |n| std::num::NonZero::new(n).expect("not zero");
    let mut parser = vt100::Parser::new(size(500), size(80), 0);
    parser.process(raw);
    parser.screen().contents()
}

/// On a terminal, the bars are drawn below what tasks print, never over it: every line stays.
#[cfg(target_os = "linux")]
#[test]
fn lines_tasks_print_stay_above_the_bars() {
    let (ok, screen) = screen_of(&binary_of("noisy_tasks"), "run chatter --n 30 --millis 40");
    assert!(ok, "{screen:#?}");
    for id in 0..30 {
        assert!(screen.iter().any(|l| *l == format!("task {id} is done")), "task {id}'s line is lost: {screen:#?}");
        assert!(screen.iter().any(|l| l.starts_with(&format!("task {id} says x"))), "{screen:#?}");
    }
    let last: Vec<&str> = screen.iter().rev().filter(|l| !l.trim().is_empty()).take(3).map(String::as_str).collect();
    assert!(last[2].starts_with("chatter.n1 map of task chat 30/30 done"), "the summary comes last: {screen:#?}");
}

/// A tolerant map whose elements 1 and 4 fail for good: the run succeeds, and says which
/// elements failed, where, after how many attempts and why: on stderr, in `--json`, and at warn
/// level in the logs.
#[test]
fn tolerated_failures_are_reported() {
    let (code, out, err) = noisy(&["run", "checks"]);
    assert_eq!((code, json(&out)), (0, serde_json::json!([3, null, 4, 1, null, 9])), "{err}");
    assert!(
        err.ends_with(
            "2 elements failed and were tolerated:\n  \
             checks.n0 (map of task check) element 1 failed after 2 attempts: reading -1 is below zero\n  \
             checks.n0 (map of task check) element 4 failed after 2 attempts: reading -5 is below zero\n"
        ),
        "{err}"
    );
    let (code, out, err) = noisy(&["run", "checks", "--json"]);
    assert_eq!(code, 0, "{err}");
    let doc = json(&out);
    assert_eq!(doc["status"], "succeeded");
    let mut failures = doc["failures"].as_array().unwrap().clone();
    failures.sort_by_key(|f| f["index"].as_u64());
    assert_eq!(
        serde_json::Value::Array(failures),
        serde_json::json!([
            {"workflow": "checks", "node": "n0", "target": "map of task check", "index": 1, "attempts": 2,
             "error": "reading -1 is below zero"},
            {"workflow": "checks", "node": "n0", "target": "map of task check", "index": 4, "attempts": 2,
             "error": "reading -5 is below zero"},
        ])
    );
    let (code, _, err) = noisy(&["run", "checks", "-v"]);
    assert_eq!(code, 0, "{err}");
    for (index, reading) in [(1, -1), (4, -5)] {
        let line = format!(
            "WARN flowmap_runtime::observe: checks.n0 (map of task check): element {index} failed after 2 \
             attempts: reading {reading} is below zero"
        );
        assert!(err.contains(&line), "{err}");
    }
    // A run with nothing to tolerate says nothing of failures.
    let (code, out, err) = noisy(&["run", "checks", "--readings", "[1, 2]", "--json"]);
    assert_eq!((code, json(&out)["failures"].clone()), (0, serde_json::json!([])), "{err}");
}

/// Ctrl-C typed on the terminal (the pseudo-terminal's own ^C, echoed as the terminal echoes
/// it): the bar gives way to one summary line per node, and no bar is left behind it.
#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_on_a_terminal_leaves_one_line_per_node() {
    use std::io::{Read, Write};
    let command = format!("'{}' run sweep --millis 10000", binary().display());
    let mut child = Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .env("FLOWMAP_CACHE_DIR", fresh_cache())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("`script` (util-linux) runs the app under a pseudo-terminal");
    let mut stdout = child.stdout.take().unwrap();
    // Wait for the bar to be drawn, then type Ctrl-C.
    let mut raw = Vec::new();
    let mut buf = [0; 4096];
    while !String::from_utf8_lossy(&raw).contains("sweep.n0 map of task read_sensor [") {
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0, "ended before drawing a bar: {}", String::from_utf8_lossy(&raw));
        raw.extend_from_slice(&buf[..n]);
    }
    child.stdin.as_mut().unwrap().write_all(b"\x03").unwrap();
    stdout.read_to_end(&mut raw).unwrap();
    let _ = child.wait();
    let screen = rendered(&raw);
    let node_lines: Vec<&str> = screen.lines().filter(|l| l.contains("sweep.n0")).collect();
    assert_eq!(node_lines.len(), 1, "{screen}");
    assert!(node_lines[0].starts_with("sweep.n0 map of task read_sensor 0/16 cancelled"), "{screen}");
}
