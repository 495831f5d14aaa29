//! Tests that read the crate's private protobuf types.

mod branch;
mod dynamic;
mod dynamic_map;
mod execute;
mod golden;
mod hostile;
mod inner;
mod literals;
mod registry;
mod roundtrip;
mod twins;

/// A fresh, empty output directory for one pod of a test (`what` names the test file), and
/// the arguments of that pod running template `task` on the `inputs.pb` the test writes there.
pub(super) fn pod_args(what: &str, task: &str) -> (crate::ExecuteArgs, std::path::PathBuf) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out = std::env::temp_dir().join(format!("flowmap-{what}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let args = crate::ExecuteArgs {
        inputs: out.join("inputs.pb").display().to_string(),
        output_prefix: out.display().to_string(),
        raw_output_data_prefix: out.join("raw").display().to_string(),
        task: task.to_owned(),
        ..crate::ExecuteArgs::default()
    };
    (args, out)
}
