//! The built examples (`anomalies`, `noisy_tasks`), for the tests that run it as a separate process.
//!
//! `cargo test` (with no target named) builds the examples before it runs any test, so the
//! binary is beside the test's own (`target/<profile>/examples/`). `cargo test --test integration`
//! alone does not rebuild it: build it first (`cargo build --features cli --example anomalies`).

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The `anomalies` example binary's path.
pub fn binary() -> PathBuf {
    binary_of("anomalies")
}

/// The path of example `name`'s binary.
pub fn binary_of(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps");
    let bin = dir.join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} is missing: run `cargo test --workspace` (it builds the examples)", bin.display());
    bin
}

/// A fresh cache directory: each run of the example starts with an empty cache, whatever ran
/// before, and nothing is written to the user's own cache.
#[allow(dead_code)]
pub fn fresh_cache() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    if n == 0 {
        remove_stale_caches();
    }
    let dir = std::env::temp_dir().join(format!("flowmap-cli-test-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The example as a command, with a fresh cache directory.
#[allow(dead_code)]
pub fn app() -> Command {
    let mut cmd = Command::new(binary());
    cmd.env("FLOWMAP_CACHE_DIR", fresh_cache());
    cmd
}

/// Removes the cache directories of earlier test processes that have ended (Linux: a process is
/// alive while `/proc/PID` is there); best effort.
fn remove_stale_caches() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("flowmap-cli-test-").and_then(|rest| rest.split('-').next()) else {
            continue;
        };
        if cfg!(target_os = "linux") && !std::path::Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Runs `cmd` to its end with its output captured; a run that hangs (as one did when tasks
/// printed) is killed after two minutes rather than left to hang the tests.
#[allow(dead_code)]
pub fn output_of(cmd: &mut Command) -> std::process::Output {
    use std::process::Stdio;
    use std::sync::mpsc::{RecvTimeoutError, channel};
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the example starts");
    let (ended, watch) = channel::<()>();
    let pid = child.id().to_string();
    let watchdog = std::thread::spawn(move || {
        if let Err(RecvTimeoutError::Timeout) = watch.recv_timeout(std::time::Duration::from_secs(120)) {
            let _ = Command::new("kill").args(["-9", &pid]).status();
        }
    });
    let output = child.wait_with_output().expect("the example runs");
    let _ = ended.send(());
    let _ = watchdog.join();
    output
}
