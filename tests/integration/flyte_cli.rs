//! The `anomalies` (and `noisy_tasks`) examples as a Flyte package and task container, run as a
//! separate process as Flyte runs it (`example::binary_of` says how they are found).

use crate::example::{app, binary_of, output_of};
use std::path::PathBuf;
use std::process::Output;

use flowmap::flyte::{decode_literal_map, encode_literal_map};
use flowmap::types::TypeDesc;

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let Output { status, stderr, .. } =
        app().args(args).envs(env.iter().copied()).output().expect("the example starts");
    (status.code().expect("an exit code"), String::from_utf8(stderr).unwrap())
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flowmap-flyte-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn package_writes_the_archive_flytectl_registers() {
    let dir = temp("package");
    let path = dir.join("pkg.tgz");
    let (code, err) = run(&["package", "--image", "ghcr.io/me/anomalies:v1", "-o", path.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("task specs") && err.contains("00_anomalies.detect_anomalies_1.pb"), "{err}");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..2], [0x1f, 0x8b], "gzip");
    // The same package is the same bytes.
    let again = dir.join("again.tgz");
    assert_eq!(run(&["package", "--image", "ghcr.io/me/anomalies:v1", "-o", again.to_str().unwrap()], &[]).0, 0);
    assert_eq!(std::fs::read(&again).unwrap(), bytes);
    let (code, err) = run(&["package"], &[]);
    assert_eq!(code, 2, "--image is required: {err}");
}

#[test]
fn execute_runs_one_map_element_and_writes_its_output() {
    let dir = temp("execute");
    let data = serde_json::json!([10, 12, 11, 100]);
    let list = TypeDesc::of::<Vec<i64>>();
    std::fs::write(dir.join("inputs.pb"), encode_literal_map([("data_point", &data, &list)]).unwrap()).unwrap();
    let inputs = dir.join("inputs.pb").display().to_string();
    let out = dir.join("out").display().to_string();
    let args = [
        "execute",
        "--inputs",
        &inputs,
        "--output-prefix",
        &out,
        "--raw-output-data-prefix",
        "/tmp/raw",
        "--checkpoint-path",
        "",
        "--prev-checkpoint",
        "",
        "--task",
        "anomalies.detect_anomalies.map",
        "--map",
    ];
    let index = [("BATCH_JOB_ARRAY_INDEX_VAR_NAME", "FLYTE_K8S_ARRAY_INDEX"), ("FLYTE_K8S_ARRAY_INDEX", "3")];
    let (code, err) = run(&args, &index);
    assert_eq!(code, 0, "{err}");
    let outputs = std::fs::read(dir.join("out/outputs.pb")).unwrap();
    let values = decode_literal_map(&outputs, [("o0", &TypeDesc::Boolean)]).unwrap();
    assert_eq!(values["o0"], serde_json::json!(true), "element 3 is 100");
    // An element past the end: an error document, not a crash, and still exit code 0.
    let past = [("BATCH_JOB_ARRAY_INDEX_VAR_NAME", "I"), ("I", "9")];
    let (code, err) = run(&args, &past);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("SYSTEM:ArrayIndex, not recoverable") && err.contains("element 9"), "{err}");
    assert!(dir.join("out/error.pb").exists());
}

#[test]
fn list_names_the_flyte_tasks_execute_takes() {
    let Output { status, stdout, .. } = app().args(["list"]).output().unwrap();
    assert!(status.success());
    let out = String::from_utf8(stdout).unwrap();
    assert!(out.contains("  flyte tasks  anomalies.detect_anomalies, anomalies.detect_anomalies.map\n"), "{out}");
    let Output { stdout, .. } = app().args(["list", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(
        json[0]["flyte_tasks"],
        serde_json::json!(["anomalies.detect_anomalies", "anomalies.detect_anomalies.map"])
    );
}

/// A task that prints 1 MB on stdout (and a line on stderr) runs in its container and writes its
/// outputs; it hung when the app held stdout's lock.
#[test]
fn execute_runs_a_task_that_prints() {
    let dir = temp("execute-prints");
    let int = TypeDesc::of::<usize>();
    let millis = TypeDesc::of::<u64>();
    let (id, width, zero) = (serde_json::json!(7), serde_json::json!(1_000_000), serde_json::json!(0));
    let inputs = [("id", &id, &int), ("width", &width, &int), ("millis", &zero, &millis)];
    std::fs::write(dir.join("inputs.pb"), encode_literal_map(inputs).unwrap()).unwrap();
    let (inputs, out) = (dir.join("inputs.pb").display().to_string(), dir.join("out").display().to_string());
    let args = ["execute", "--inputs", &inputs, "--output-prefix", &out, "--raw-output-data-prefix", "/tmp/raw"];
    let args = args.into_iter().chain(["--checkpoint-path", "", "--prev-checkpoint", "", "--task", "noisy_tasks.chat"]);
    let Output { status, stdout, stderr } = output_of(std::process::Command::new(binary_of("noisy_tasks")).args(args));
    let err = String::from_utf8_lossy(&stderr);
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(stdout.len() > 1_000_000 && stdout.starts_with(b"task 7 says xxx"), "{} bytes on stdout", stdout.len());
    assert!(err.contains("task 7 is done"), "{err}");
    let outputs = std::fs::read(dir.join("out/outputs.pb")).unwrap();
    let values = decode_literal_map(&outputs, [("o0", &int)]).unwrap();
    assert_eq!(values["o0"], serde_json::json!(7));
}
