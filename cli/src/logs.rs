//! Logs on stderr: `RUST_LOG`, or `-v` / `-vv`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Starts logging when `RUST_LOG` is set or `-v` was given; says whether logs are on. Node and
/// element spans are logged when they start and end, and a task's own spans nest under them.
pub(crate) fn init(verbose: u8) -> bool {
    let filter = match (std::env::var("RUST_LOG"), verbose) {
        (Ok(spec), _) if !spec.is_empty() => EnvFilter::new(spec),
        (_, 0) => return false,
        (_, 1) => EnvFilter::new("info,flowmap_runtime=debug"),
        _ => EnvFilter::new("debug,flowmap_runtime=trace"),
    };
    // Already set (an app calling `run` twice, or its own subscriber): keep that one.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    true
}
