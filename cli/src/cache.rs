//! `APP cache stats|clear`, and the cache options of `APP run`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command};
use flowmap_runtime::cache::{self, CacheError};

use crate::outcome::Outcome;

/// `--cache-dir`, shared by `run` and `cache`.
pub(crate) fn dir_arg() -> Arg {
    Arg::new("cache-dir").long("cache-dir").value_name("DIR").value_parser(clap::value_parser!(PathBuf)).help(
        "The cache of tasks with `cache = true` [default: $FLOWMAP_CACHE_DIR, else $XDG_CACHE_HOME/flowmap \
             or ~/.cache/flowmap]",
    )
}

/// The options of `run WORKFLOW` that choose how it uses the cache.
pub(crate) fn run_args() -> [Arg; 3] {
    [
        dir_arg(),
        Arg::new("no-cache")
            .long("no-cache")
            .action(ArgAction::SetTrue)
            .conflicts_with("overwrite-cache")
            .help("Run every task, cached or not, and store nothing"),
        Arg::new("overwrite-cache")
            .long("overwrite-cache")
            .action(ArgAction::SetTrue)
            .help("Run cached tasks even where the cache holds their outputs, and replace them"),
    ]
}

/// The `cache` command.
pub(crate) fn command(app: &str) -> Command {
    Command::new("cache")
        .about("Show the size of the task cache, or clear it")
        .subcommand_required(true)
        .after_help(format!(
            "Examples:\n  {app} cache stats\n  {app} cache clear --cache-dir /tmp/cache\n\n\
             Tasks with `cache = true` store their outputs by task, cache_version, types and inputs;\n\
             a later run (or a rerun after a crash) takes them from the cache instead of running."
        ))
        .subcommand(
            Command::new("stats")
                .about("The cache's directory, entries and size")
                .arg(dir_arg())
                .arg(Arg::new("json").long("json").action(ArgAction::SetTrue).help("As JSON")),
        )
        .subcommand(Command::new("clear").about("Delete every cached output").arg(dir_arg()))
}

/// The directory `m` names, or the default one.
fn dir(m: &ArgMatches) -> Result<PathBuf, Outcome> {
    m.get_one::<PathBuf>("cache-dir")
        .cloned()
        .or_else(cache::default_dir)
        .ok_or_else(|| Outcome::Usage(CacheError::NoDir.to_string()))
}

/// Runs `cache stats|clear`.
pub(crate) fn run(m: &ArgMatches, out: &mut dyn Write) -> Outcome {
    let Some((sub, m)) = m.subcommand() else { return Outcome::Usage("give a command: stats or clear".into()) };
    let dir = match dir(m) {
        Ok(dir) => dir,
        Err(outcome) => return outcome,
    };
    match sub {
        "stats" => match cache::stats(&dir) {
            Ok(None) if m.get_flag("json") => {
                let doc = serde_json::json!({"dir": dir, "entries": 0, "bytes": 0, "exists": false});
                let _ = writeln!(out, "{doc}");
                Outcome::Done
            }
            Ok(None) => {
                let _ = writeln!(out, "{}: no cache there (nothing has been cached in it)", dir.display());
                Outcome::Done
            }
            Ok(Some(stats)) if m.get_flag("json") => {
                let doc =
                    serde_json::json!({"dir": dir, "entries": stats.entries, "bytes": stats.bytes, "exists": true});
                let _ = writeln!(out, "{doc}");
                Outcome::Done
            }
            Ok(Some(stats)) => {
                let plural = if stats.entries == 1 { "entry" } else { "entries" };
                let _ = writeln!(out, "{}: {} {plural}, {} bytes", dir.display(), stats.entries, stats.bytes);
                Outcome::Done
            }
            Err(e) => Outcome::Failed(e.to_string()),
        },
        "clear" => match cache::clear(&dir) {
            Ok(true) => {
                let _ = writeln!(out, "cleared {}", dir.join(cache::FILE).display());
                Outcome::Done
            }
            Ok(false) => {
                let _ = writeln!(out, "{}: no cache there, nothing to clear", dir.display());
                Outcome::Done
            }
            Err(e) => Outcome::Failed(e.to_string()),
        },
        _ => Outcome::Usage("give a command: stats or clear".into()),
    }
}

/// For a run that failed on a corrupt cache: the command that clears it.
pub(crate) fn hint(e: &flowmap_runtime::Error, app: &str, m: &ArgMatches) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(CacheError::Corrupt { .. }) = s.downcast_ref::<CacheError>() {
            let dir =
                m.get_one::<PathBuf>("cache-dir").map(|d| format!(" --cache-dir {}", d.display())).unwrap_or_default();
            return format!("\nhint: `{app} cache clear{dir}` empties the cache");
        }
        source = s.source();
    }
    String::new()
}
