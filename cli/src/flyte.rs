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
             Every task runs `{name} execute ...` in the image: its ENTRYPOINT must be this program, \
             or give its path with --command."
        ))
        .arg(
            Arg::new("image")
                .long("image")
                .required(true)
                .value_name("IMAGE")
                .value_parser(clap::builder::NonEmptyStringValueParser::new())
                .help("The container image of every task; its ENTRYPOINT must be this program (or give --command)"),
        )
        .arg(Arg::new("command").long("command").value_name("PATH").help(
            "This program's path in the image, for an image whose entrypoint is something else (the container's command)",
        ))
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
        .after_help(format!(
            "Example (one element of a map, on local files):\n  \
             BATCH_JOB_ARRAY_INDEX_VAR_NAME=I I=3 {name} execute --inputs inputs.pb --output-prefix out \\\n    \
             --raw-output-data-prefix raw --checkpoint-path '' --prev-checkpoint '' --task TASK --map\n\n\
             TASK is a task spec's name, as `package` lists them. URIs: s3://, gs://, abfs://, az://, file:// \
             or a path, with each cloud's usual credentials from the environment (for S3-compatible stores \
             also AWS_ENDPOINT_URL, or FLYTE_AWS_ENDPOINT, FLYTE_AWS_ACCESS_KEY_ID and \
             FLYTE_AWS_SECRET_ACCESS_KEY).\n\n\
             Writes OUTPUT_PREFIX/outputs.pb, or OUTPUT_PREFIX/error.pb (a task's error or panic: \
             recoverable, so Flyte retries it; inputs that do not fit: not recoverable), and exits 0 \
             either way; 1 only when neither could be written."
        ))
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

/// The Flyte names of the task specs `graph`'s package holds (what `execute --task` takes).
pub(crate) fn task_names(graph: &flowmap_model::graph::Graph) -> Vec<String> {
    match flowmap_flyte::Package::new("-").graph(graph) {
        Ok(package) => package.task_names().map(str::to_owned).collect(),
        Err(_) => Vec::new(),
    }
}

/// `package --image IMAGE [-o FILE]`.
pub(crate) fn package(registry: &Registry, built: &Result<(), String>, m: &ArgMatches, err: &mut dyn Write) -> Outcome {
    if let Err(e) = built {
        return Outcome::Failed(e.clone());
    }
    let image = m.get_one::<String>("image").map(String::as_str).unwrap_or_default();
    let path = m.get_one::<String>("output").map(String::as_str).unwrap_or("flyte-package.tgz");
    let mut package = flowmap_flyte::Package::new(image);
    if let Some(command) = m.get_one::<String>("command") {
        package = package.command(command.clone());
    }
    let package = match registry.package_with(package) {
        Ok(p) => p,
        Err(e) => return Outcome::Failed(Report::new(&e).to_string()),
    };
    if let Err(e) = package.write_tgz(path) {
        return Outcome::Failed(Report::new(&e).to_string());
    }
    let counted = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let workflows = package.workflow_names().count();
    let _ = writeln!(
        err,
        "wrote {path}: {}, {}, {}",
        counted(package.task_names().count(), "task spec", "task specs"),
        counted(workflows, "workflow", "workflows"),
        counted(workflows, "launch plan", "launch plans")
    );
    for (name, _) in package.files() {
        let _ = writeln!(err, "  {name}");
    }
    if flowmap_flyte::cloud_stores().is_empty() {
        let _ = writeln!(
            err,
            "warning: this program reads and writes blobs only as files, so its task containers cannot reach \
             a Flyte cluster's blob store: build it with flowmap's `s3`, `gcs` or `azure` feature"
        );
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
