//! The Flyte commands (the `flyte` feature): `package`, which writes the package
//! `flytectl register files` takes, and `execute`, which every task template of that package
//! runs in its pod.

use std::io::Write;

use clap::{Arg, ArgAction, ArgMatches, Command};
use flowmap_flyte::{ExecuteArgs, Executed, Registry};
use flowmap_runtime::{Report, Runtime};

use crate::outcome::Outcome;

/// `package` and `execute`.
pub(crate) fn commands(name: &str) -> [Command; 2] {
    let package = Command::new("package")
        .about("Write a Flyte package of every workflow (task, workflow and launch-plan specs)")
        .after_help(format!(
            "Examples:\n  {name} package --image ghcr.io/me/{name}:v1\n  \
             flytectl register files --archive flyte-package.tgz -p flytesnacks -d development --version v1\n\n\
             The image's entrypoint must be this program: every task runs `{name} execute ...`."
        ))
        .arg(
            Arg::new("image")
                .long("image")
                .required(true)
                .value_name("IMAGE")
                .help("The container image of every task"),
        )
        .arg(
            Arg::new("output")
                .short('o')
                .long("output")
                .value_name("FILE")
                .default_value("flyte-package.tgz")
                .help("Where to write the package"),
        );
    let uri = |id: &'static str, help: &'static str| Arg::new(id).long(id).value_name("URI").help(help);
    let execute = Command::new("execute")
        .about("Run one task as a Flyte container (what the package's task templates run)")
        .arg(uri("inputs", "The inputs' LiteralMap ({{.input}})").required(true))
        .arg(uri("output-prefix", "Where outputs.pb or error.pb goes ({{.outputPrefix}})").required(true))
        .arg(uri("raw-output-data-prefix", "{{.rawOutputDataPrefix}} (unused)"))
        .arg(uri("checkpoint-path", "{{.checkpointOutputPrefix}} (unused)"))
        .arg(uri("prev-checkpoint", "{{.prevCheckpointPrefix}} (unused)"))
        .arg(Arg::new("task").long("task").required(true).value_name("NAME").help("The task template's name"))
        .arg(
            Arg::new("map")
                .long("map")
                .action(ArgAction::SetTrue)
                .help("Run one element of a map: $BATCH_JOB_ARRAY_INDEX_OFFSET plus the variable $BATCH_JOB_ARRAY_INDEX_VAR_NAME names"),
        );
    [package, execute]
}

/// `package --image IMAGE [-o FILE]`.
pub(crate) fn package(registry: &Registry, built: &Result<(), String>, m: &ArgMatches, err: &mut dyn Write) -> Outcome {
    if let Err(e) = built {
        return Outcome::Failed(e.clone());
    }
    let image = m.get_one::<String>("image").map(String::as_str).unwrap_or_default();
    let path = m.get_one::<String>("output").map(String::as_str).unwrap_or("flyte-package.tgz");
    let package = match registry.package(image) {
        Ok(p) => p,
        Err(e) => return Outcome::Failed(Report::new(&e).to_string()),
    };
    if let Err(e) = package.write_tgz(path) {
        return Outcome::Failed(Report::new(&e).to_string());
    }
    let files = package.files();
    let count = |kind: &str| files.iter().filter(|(n, _)| n.ends_with(kind)).count();
    let _ = writeln!(
        err,
        "wrote {path}: {} task specs, {} workflows, {} launch plans",
        count("_1.pb"),
        count("_2.pb"),
        count("_3.pb")
    );
    for (name, _) in &files {
        let _ = writeln!(err, "  {name}");
    }
    Outcome::Done
}

/// `execute --inputs URI --output-prefix URI ... --task NAME [--map]`: exit code 0 when a
/// document (outputs or error) was written, 1 when not even that was possible.
pub(crate) fn execute(registry: &Registry, m: &ArgMatches, err: &mut dyn Write) -> Outcome {
    let get = |id: &str| m.get_one::<String>(id).cloned();
    let args = ExecuteArgs {
        inputs: get("inputs").unwrap_or_default(),
        output_prefix: get("output-prefix").unwrap_or_default(),
        raw_output_data_prefix: get("raw-output-data-prefix").unwrap_or_default(),
        checkpoint_path: get("checkpoint-path"),
        prev_checkpoint: get("prev-checkpoint"),
        task: get("task").unwrap_or_default(),
        map: m.get_flag("map"),
        element: None,
    };
    let rt = match Runtime::builder().build() {
        Ok(rt) => rt,
        Err(e) => return Outcome::Failed(e.report().to_string()),
    };
    let runner = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(format!("could not start: {e}")),
    };
    match runner.block_on(flowmap_flyte::execute(registry, &rt, &args)) {
        Ok(Executed::Succeeded) => Outcome::Done,
        // The error document is written: Flyte reads it. The pod's log says it too.
        Ok(Executed::Failed { code, message, recoverable }) => {
            let kind = if recoverable { "recoverable" } else { "not recoverable" };
            let _ = writeln!(err, "task `{}` failed ({code}, {kind}): {message}", args.task);
            Outcome::Done
        }
        // Any other end also wrote its document.
        Ok(_) => Outcome::Done,
        Err(e) => Outcome::Failed(Report::new(&e).to_string()),
    }
}
