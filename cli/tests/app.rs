//! The app as a user drives it: commands, inputs, exit codes, output.

use flowmap::prelude::*;
use flowmap_cli::App;

#[task]
fn detect_anomalies(data_point: i64) -> bool {
    data_point > 11
}

#[workflow]
fn map_workflow(#[default(vec![10, 12, 11])] data: Vec<i64>) -> Vec<bool> {
    map!(detect_anomalies)(data_point = data)
}

#[task]
fn fails_on_odd(x: i64) -> Result<i64, String> {
    if x % 2 == 1 { Err(format!("{x} is odd")) } else { Ok(x) }
}

#[workflow]
fn evens(xs: Vec<i64>) -> Vec<i64> {
    map!(fails_on_odd)(x = xs)
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum Mode {
    Full,
    Incremental,
}

/// Internally tagged: its shape cannot be read, so it takes any JSON its `Deserialize` reads.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind")]
enum Shape {
    Circle { r: f64 },
}

#[task]
fn describe(mode: Mode, name: String, delay: std::time::Duration, sep: char, shape: Shape) -> String {
    format!("{mode:?}{sep}{name}{sep}{delay:?}{sep}{shape:?}")
}

#[workflow]
fn typed(
    #[default(Mode::Full)] mode: Mode,
    #[default("x y".to_owned())] name: String,
    #[default(std::time::Duration::from_secs(90))] delay: std::time::Duration,
    #[default('/')] sep: char,
    #[default(Shape::Circle { r: 1.0 })] shape: Shape,
) -> String {
    describe(mode, name, delay, sep, shape)
}

fn app() -> App {
    App::new("anomalies").workflow(&map_workflow).workflow(&evens).workflow(&typed)
}

/// Runs `APP ARGS...` for `app`: exit code, stdout, stderr.
fn drive(app: &App, args: &[&str]) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = app.run_from(std::iter::once("app").chain(args.iter().copied()), &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

/// Runs `anomalies ARGS...`.
fn run(args: &[&str]) -> (u8, String, String) {
    drive(&app(), args)
}

#[test]
fn list_shows_inputs_defaults_outputs_and_tasks() {
    let (code, out, _) = run(&["list"]);
    assert_eq!(code, 0);
    assert!(out.contains("map_workflow\n  input  data: list<integer> = [10,12,11]"), "{out}");
    assert!(out.contains("  output o0: list<boolean>"), "{out}");
    assert!(out.contains("  tasks  app::detect_anomalies"), "{out}");
    let (code, out, _) = run(&["list", "--json"]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json[0]["name"], "map_workflow");
    assert_eq!(json[0]["inputs"][0]["default"], serde_json::json!([10, 12, 11]));
}

#[test]
fn run_takes_inputs_by_name_from_defaults_and_from_a_file() {
    let (code, out, err) = run(&["run", "map_workflow", "--data", "[1, 50]"]);
    assert_eq!((code, out.as_str()), (0, "[\n  false,\n  true\n]\n"), "{err}");
    let (code, out, _) = run(&["run", "map_workflow"]);
    assert_eq!((code, out.as_str()), (0, "[\n  false,\n  true,\n  false\n]\n"));
    let file = std::env::temp_dir().join(format!("flowmap-cli-inputs-{}.json", std::process::id()));
    std::fs::write(&file, r#"{"data": [99]}"#).unwrap();
    let (code, out, _) = run(&["run", "map_workflow", "--inputs", file.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (0, "[\n  true\n]\n"));
    let (code, out, _) = run(&["run", "map_workflow", "--inputs", file.to_str().unwrap(), "--json"]);
    assert_eq!((code, out.as_str()), (0, "{\"status\":\"succeeded\",\"outputs\":[true],\"failures\":[]}\n"));
    // A file that is not an object of inputs, or names one twice, is a usage error.
    for (text, says) in [
        (r#"{"data": [1], "data": [2]}"#, "gives input `data` twice"),
        ("[1, 2]", r#"must hold a JSON object of inputs by name, such as {"data": [1, 1]}"#),
        (r#"{"data": [1"#, "is not JSON: EOF while parsing a list at line 1 column 11"),
        (
            r#"{"data": [1, "x"]}"#,
            "input `data` of `map_workflow` takes a value of type list<integer>: invalid type: string \"x\", expected i64 at line 1 column 16 (in the inputs file ",
        ),
        (r#"{"dat": [1]}"#, "names `dat`, which `map_workflow` does not take; its inputs are: data"),
    ] {
        std::fs::write(&file, text).unwrap();
        let (code, out, err) = run(&["run", "map_workflow", "--inputs", file.to_str().unwrap()]);
        assert_eq!((code, out.as_str()), (2, ""), "{text}: {err}");
        assert!(err.contains(says), "{text}: {err}");
    }
    let _ = std::fs::remove_file(&file);
}

#[test]
fn usage_errors_name_the_input_its_type_and_an_example_and_exit_2() {
    let (code, _, err) = run(&["run", "map_workflow", "--dta", "[1]"]);
    assert_eq!(code, 2);
    assert!(err.contains("--dta") && err.contains("--data"), "a wrong name says which exist: {err}");
    let (code, _, err) = run(&["run", "map_workflow", "--data", "[1,"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--data is not JSON") && err.contains("list<integer>") && err.contains("--data '[1, 1]'"),
        "{err}"
    );
    let (code, _, err) = run(&["run", "map_workflow", "--data", "\"ten\""]);
    assert_eq!(code, 2);
    assert!(err.contains("input `data` of `map_workflow` takes a value of type list<integer>"), "{err}");
    let (code, _, err) = run(&["run", "evens"]);
    assert_eq!(code, 2);
    assert!(err.contains("input `xs` of `evens` is not given and has no default"), "{err}");
    let (code, _, _) = run(&["run", "nope"]);
    assert_eq!(code, 2);
}

#[test]
fn a_failed_run_exits_1_with_the_error_chain() {
    let (code, out, err) = run(&["run", "evens", "--xs", "[2, 3, 4]"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("failed at node `n0` (map of task fails_on_odd)")
            && err.contains("element 1 failed after 1 attempt: 3 is odd"),
        "{err}"
    );
}

#[test]
fn graph_prints_dot_json_mermaid_and_svg() {
    let (code, out, _) = run(&["graph", "map_workflow"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("digraph \"map_workflow\""), "{out}");
    let (code, out, _) = run(&["graph", "map_workflow", "--format", "json"]);
    assert_eq!(code, 0);
    let back: flowmap::graph::Graph = serde_json::from_str(&out).unwrap();
    assert_eq!(back.nodes.len(), 1);
    let (code, out, _) = run(&["graph", "map_workflow", "--format", "mermaid"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("flowchart LR") && out.contains("in_data -->|data_point| n0"), "{out}");
    let (code, out, err) = run(&["graph", "map_workflow", "--format", "svg"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("<?xml") && out.contains("map · n0") && out.contains(">detect_anomalies<"), "{out}");
    let (code, _, err) = run(&["graph", "map_workflow", "--format", "png"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("[possible values: dot, json, mermaid, svg]"), "{err}");
}

#[task]
fn add(a: u32, b: u32) -> u32 {
    a + b
}

/// Inputs named like the app's own options.
#[workflow]
fn clash(#[default(1)] cpus: u32, quiet: u32) -> u32 {
    add(cpus, quiet)
}

#[test]
fn inputs_named_like_the_apps_options_get_an_input_prefix() {
    let app = App::new("clashing").workflow(&clash);
    let call = |args: &[&str]| drive(&app, args);
    let (code, out, err) = call(&["run", "clash", "--input-cpus", "3", "--input-quiet", "4", "--cpus", "2", "-q"]);
    assert_eq!((code, out.as_str()), (0, "7\n"), "{err}");
    let (code, out, _) = call(&["run", "clash", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("--input-quiet <JSON>") && out.contains("[required]"), "{out}");
    let (code, _, err) = call(&["run", "clash", "-q"]);
    assert_eq!(code, 2);
    assert!(err.contains("input `quiet` of `clash` is not given") && err.contains("--input-quiet"), "{err}");
}

#[task]
fn shout(word: String) -> String {
    word.to_uppercase()
}

#[workflow]
fn loud(word: String) -> String {
    shout(word)
}

#[workflow]
fn all_loud(words: Vec<String>) -> Vec<String> {
    map!(loud)(word = words)
}

#[test]
fn string_inputs_may_be_bare_and_list_names_sub_workflows() {
    let app = App::new("words").workflow(&all_loud).workflow(&loud);
    let call = |args: &[&str]| drive(&app, args);
    assert_eq!(call(&["run", "loud", "--word", "hi", "-q"]).1, "\"HI\"\n");
    assert_eq!(call(&["run", "loud", "--word", "\"[x]\"", "-q"]).1, "\"[X]\"\n", "JSON strings still work");
    let (code, _, err) = call(&["run", "all_loud", "--words", "hi", "-q"]);
    assert_eq!(code, 2, "only a string input takes bare text: {err}");
    let (_, out, _) = call(&["list"]);
    assert!(out.contains("all_loud\n") && out.contains("  sub-workflows  app::loud\n"), "{out}");
}

#[task]
fn longer(word: String, min_len: usize) -> bool {
    word.len() >= min_len
}

#[workflow]
fn long_enough(word: String, #[default(3)] min_len: usize) -> bool {
    longer(word, min_len)
}

#[test]
fn snake_case_inputs_also_take_kebab_case_flags() {
    let app = App::new("words").workflow(&long_enough);
    for flag in ["--min_len", "--min-len"] {
        let (code, out, err) = drive(&app, &["run", "long_enough", "--word", "abc", flag, "4"]);
        assert_eq!((code, out.as_str()), (0, "false\n"), "{flag}: {err}");
    }
    let (code, out, _) = drive(&app, &["run", "long_enough", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("--min_len <JSON>"), "the parameter's own name is the one shown: {out}");
}

#[task(limits(mem = "256Mi"))]
fn small(x: i64) -> i64 {
    x
}

#[workflow]
fn too_big(xs: Vec<i64>) -> Vec<i64> {
    map!(small)(x = xs).with_overrides(requests(mem = "1Gi"))
}

#[test]
fn running_a_workflow_that_does_not_build_says_why() {
    let app = App::new("big").workflow(&too_big);
    let (code, out, err) = drive(&app, &["run", "too_big", "--xs", "[1]"]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("requests mem = \"1Gi\" is above limits mem = \"256Mi\""), "{err}");
    let (code, out, _) = drive(&app, &["list"]);
    assert_eq!(code, 0);
    assert!(out.contains("too_big  (cannot be built:"), "{out}");
}

/// Inputs as people type them: a bare word for a string, a char or a unit variant, `60s` for a
/// duration; help shows examples that parse and defaults as they would be typed.
#[test]
fn inputs_as_people_type_them() {
    let args = ["run", "typed", "--mode", "incremental", "--name", "42", "--delay", "1m 30s", "--sep", "-"];
    let (code, out, err) = run(&args);
    assert_eq!((code, out.as_str()), (0, "\"Incremental-42-90s-Circle { r: 1.0 }\"\n"), "{err}");
    // JSON works as before.
    let args = ["run", "typed", "--mode", r#""full""#, "--name", r#""a b""#, "--delay", r#"{"secs": 2, "nanos": 0}"#];
    let (code, out, err) = run(&args);
    assert_eq!((code, out.as_str()), (0, "\"Full/a b/2s/Circle { r: 1.0 }\"\n"), "{err}");
    let (code, _, err) = run(&["run", "typed", "--mode", "partial"]);
    assert_eq!(code, 2);
    assert!(err.contains("nor one of its variants full, incremental; it takes a Mode, such as --mode full"), "{err}");
    let (code, _, err) = run(&["run", "typed", "--delay", "soon"]);
    assert_eq!(code, 2);
    assert!(err.contains("nor a duration such as 30s"), "{err}");
    let (code, out, _) = run(&["run", "typed", "--help"]);
    assert_eq!(code, 0);
    for line in [
        "--mode <VARIANT>     Mode (such as full) [default: full]",
        "--name <TEXT>        string (such as hello) [default: \"x y\"]",
        "--delay <DURATION>   Duration (such as 30s) [default: 1m 30s]",
        "--sep <TEXT>         char (such as x) [default: /]",
        "--shape <JSON>       Shape, as JSON [default: {\"kind\":\"Circle\",\"r\":1.0}]",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
    // Every example in the help parses: run with each one.
    for (flag, example) in [("--mode", "full"), ("--name", "hello"), ("--delay", "30s"), ("--sep", "x")] {
        let (code, _, err) = run(&["run", "typed", flag, example]);
        assert_eq!(code, 0, "{flag} {example}: {err}");
    }
    let (code, _, err) = run(&["run", "typed", "--shape", "{}"]);
    assert_eq!(code, 2);
    assert!(err.contains("as JSON that `Shape` reads"), "{err}");
}

/// Help texts name the program as it was started, not `App::new`'s name.
#[test]
fn help_examples_name_the_program_as_started() {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = app().run_from(["/usr/local/bin/sensors", "--help"], &mut out, &mut err);
    let out = String::from_utf8(out).unwrap();
    assert_eq!(code, 0);
    assert!(out.contains("  sensors list\n") && out.contains("  sensors run map_workflow --help"), "{out}");
    assert!(!out.contains("anomalies"), "{out}");
}
