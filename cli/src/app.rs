//! [`App`]: the commands, and what each does.

use std::fmt;
use std::future::Future;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Arg, ArgAction, ArgMatches, Command};
use flowmap_model::graph::Graph;
use flowmap_model::types::TypeDesc;
use flowmap_runtime::__private::InputTuple;
use flowmap_runtime::{
    ConfigError, Error, JsonInputs, JsonRunError, Report, Runtime, ToleratedFailure, WorkflowFn, WorkflowHandle,
};
use serde_json::Value as Json;

use crate::bars::{Bars, TICK};
use crate::capture::Capture;
use crate::example::{example, json_example, quoted, such_as};
use crate::logs;
use crate::mermaid::mermaid;
use crate::outcome::Outcome;
use crate::svg::svg;
use crate::typed;

/// A command-line app for the workflows registered with [`App::workflow`].
pub struct App {
    name: String,
    workflows: Vec<WorkflowHandle>,
    /// The same workflows, for `package` and `execute`.
    #[cfg(feature = "flyte")]
    flyte: flowmap_flyte::Registry,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("name", &self.name)
            .field("workflows", &self.workflows.iter().map(WorkflowHandle::name).collect::<Vec<_>>())
            .finish()
    }
}

impl App {
    /// An app named `name` (the binary's name, for help texts).
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        App {
            name: name.into(),
            workflows: Vec::new(),
            #[cfg(feature = "flyte")]
            flyte: flowmap_flyte::Registry::new(),
        }
    }

    /// Registers a workflow: the graph it compiles to names every task and sub-workflow it uses.
    #[must_use]
    pub fn workflow<F: WorkflowFn<A> + Send + Sync, A: InputTuple>(mut self, workflow: &F) -> Self {
        self.workflows.push(WorkflowHandle::new(workflow));
        // A workflow that does not build is reported by every command that names it.
        #[cfg(feature = "flyte")]
        {
            self.flyte = std::mem::take(&mut self.flyte)
                .workflow(workflow)
                .unwrap_or_else(flowmap_flyte::RegistryError::into_registry);
        }
        self
    }

    /// Parses `std::env::args()`, runs the command, and says how it ended.
    #[must_use]
    pub fn run(self) -> ExitCode {
        // Buffered: a million outputs are not a million writes. Not locked: tasks print too.
        let mut out = std::io::BufWriter::new(std::io::stdout());
        let code = self.dispatch(std::env::args_os(), &mut out, &mut std::io::stderr(), Streams::Process);
        let code = match out.flush() {
            Ok(()) => code,
            // Outputs that could not be written are lost: not a success.
            Err(e) if code == 0 => {
                eprintln!("error: could not write the outputs: {e}");
                1
            }
            Err(_) => code,
        };
        ExitCode::from(code)
    }

    /// Runs the command in `args` (the binary's name first), writing to `out` and `err`; returns
    /// the exit code: 0 done, 1 a failed run, 2 a usage error, 130 a run cancelled by Ctrl-C.
    ///
    /// What tasks print goes where they print it: `out` and `err` receive only what the app
    /// writes. ([`App::run`] owns the process's streams, and sends what tasks write to stdout
    /// to stderr while a run is in progress.)
    pub fn run_from<I, T>(&self, args: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        self.dispatch(args, out, err, Streams::Given)
    }

    fn dispatch<I, T>(&self, args: I, out: &mut dyn Write, err: &mut dyn Write, streams: Streams) -> u8
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
        // Help texts name the program as it was started, which may not be `App::new`'s name.
        let bin = args
            .first()
            .and_then(|arg| std::path::Path::new(arg).file_stem())
            .and_then(|stem| stem.to_str())
            .filter(|stem| !stem.is_empty())
            .unwrap_or(&self.name)
            .to_owned();
        let matches = match self.command(&bin).try_get_matches_from(args) {
            Ok(m) => m,
            Err(e) => {
                let text = e.render().to_string();
                let _ = if e.use_stderr() { write!(err, "{text}") } else { write!(out, "{text}") };
                return u8::try_from(e.exit_code()).unwrap_or(2);
            }
        };
        let logging = logs::init(matches.get_count("verbose"));
        let outcome = match matches.subcommand() {
            Some(("list", m)) => self.list(m, out),
            Some(("run", m)) => self.run_command(m, out, err, Run { logging, streams, bin: &bin }),
            Some(("graph", m)) => self.graph(m, out),
            Some(("cache", m)) => crate::cache::run(m, out),
            #[cfg(feature = "flyte")]
            Some(("package", m)) => crate::flyte::package(&self.flyte, &self.workflows_built(), m, err),
            #[cfg(feature = "flyte")]
            Some(("execute", m)) => crate::flyte::execute(&self.flyte, m, err),
            _ => Outcome::Usage("give a command: list, run or graph (see --help)".into()),
        };
        match outcome {
            Outcome::Done => 0,
            Outcome::Failed(message) => {
                let _ = writeln!(err, "error: {message}");
                1
            }
            Outcome::Usage(message) => {
                let _ = writeln!(err, "error: {message}");
                2
            }
            Outcome::Interrupted(message) => {
                let _ = writeln!(err, "{message}");
                130
            }
        }
    }

    fn command(&self, bin: &str) -> Command {
        let name = bin.to_owned();
        let first = self.workflows.first().map_or("my_workflow", WorkflowHandle::name).to_owned();
        let mut run = Command::new("run")
            .about("Run a workflow; its outputs are printed as JSON")
            .subcommand_required(true)
            .after_help(format!(
                "Examples:\n  {name} run {first}                 every input from its #[default]\n  \
                 {name} run {first} --<input> '<json>'\n  {name} run {first} --inputs inputs.json"
            ));
        for w in &self.workflows {
            // The doc comment's first line, as rustdoc shows it; the whole in `--help`.
            let doc = w.graph().ok().and_then(|g| g.doc.clone());
            let about = doc
                .as_deref()
                .and_then(|d| d.lines().next())
                .map_or_else(|| format!("Run workflow `{}`", w.name()), str::to_owned);
            let mut sub = Command::new(w.name().to_owned()).about(about);
            if let Some(doc) = doc {
                sub = sub.long_about(format!("Run workflow `{}`.\n\n{doc}", w.name()));
            }
            if let Ok(g) = w.graph() {
                for port in &g.interface.inputs {
                    let default = port.default.as_ref().map_or_else(
                        || " [required]".to_owned(),
                        |d| format!(" [default: {}]", typed::typed(&port.ty, d)),
                    );
                    let renamed = if flag(&port.name) == port.name {
                        String::new()
                    } else {
                        format!(" (input `{}`; --{} is the app's own option)", port.name, port.name)
                    };
                    let mut arg = Arg::new(input_id(&port.name))
                        .long(flag(&port.name))
                        .value_name(typed::value_name(&port.ty))
                        .help(format!("{}{default}{renamed}", type_help(&port.ty)));
                    // `--min-len` for `min_len`, as command lines usually spell it.
                    let kebab = flag(&port.name).replace('_', "-");
                    if kebab != flag(&port.name) {
                        arg = arg.alias(kebab);
                    }
                    sub = sub.arg(arg);
                }
                // `--millis -5`: a negative number is a value, not an option.
                sub = sub.allow_negative_numbers(true);
            } else {
                // A workflow that does not build takes any arguments, so that running it says why
                // it does not build rather than that its inputs are unknown.
                sub = sub
                    .arg(Arg::new("unbuilt").num_args(0..).trailing_var_arg(true).allow_hyphen_values(true).hide(true));
            }
            sub = sub
                .arg(Arg::new("inputs").long("inputs").value_name("FILE").help("A JSON object of inputs by name"))
                .arg(
                    Arg::new("cpus")
                        .long("cpus")
                        .value_name("N")
                        .value_parser(clap::value_parser!(u32).range(1..))
                        .help("The runtime's CPUs"),
                )
                .arg(Arg::new("memory").long("memory").value_name("QUANTITY").help("The runtime's memory, such as 8Gi"))
                .args(crate::cache::run_args())
                .arg(Arg::new("json").long("json").action(ArgAction::SetTrue).help(
                    "Print one JSON document on stdout: {\"status\": \"succeeded\", \"outputs\": …, \"failures\": \
                     […]} (the elements tolerant maps lost), or the failure (error, failed_elements, \
                     completed_nodes, failures), or {\"status\": \"cancelled\"}",
                ))
                .arg(
                    Arg::new("quiet")
                        .short('q')
                        .long("quiet")
                        .action(ArgAction::SetTrue)
                        .help("Print nothing but the outputs and errors"),
                );
            run = run.subcommand(sub);
        }
        let graph = Command::new("graph")
            .about("Print a workflow's graph")
            .after_help(format!(
                "Examples:\n  {name} graph {first}                       DOT, for Graphviz\n  \
                 {name} graph {first} --format svg -o {first}.svg\n  {name} graph {first} --format mermaid"
            ))
            .arg(Arg::new("workflow").required(true).value_parser(self.names()))
            .arg(
                Arg::new("format")
                    .long("format")
                    .value_parser(["dot", "json", "mermaid", "svg"])
                    .default_value("dot")
                    .help("dot (Graphviz), json (the graph model), mermaid, or svg (drawn here, no Graphviz needed)"),
            )
            .arg(Arg::new("output").short('o').long("output").value_name("FILE").help("Write to FILE, not stdout"));
        let flyte = if cfg!(feature = "flyte") {
            format!("\n  {name} package --image ghcr.io/me/{name}:v1   a Flyte package of every workflow")
        } else {
            String::new()
        };
        let app = Command::new(name.clone())
            .about("Workflows of this program: list them, run one, picture its graph")
            .after_help(format!(
                "Examples:\n  {name} list\n  {name} run {first} --help            its inputs, types and defaults\n  \
                 {name} run {first}\n  {name} graph {first} --format svg -o {first}.svg{flyte}\n\n\
                 Exit codes: 0 done, 1 the run failed, 2 a usage error, 130 cancelled by Ctrl-C."
            ))
            .subcommand_required(true)
            .arg(
                Arg::new("verbose")
                    .short('v')
                    .long("verbose")
                    .global(true)
                    .action(ArgAction::Count)
                    .help("Log nodes and element attempts on stderr (-vv: more); RUST_LOG overrides"),
            )
            .subcommand(
                Command::new("list")
                    .about("List the workflows, their inputs, outputs and tasks")
                    .arg(Arg::new("json").long("json").action(ArgAction::SetTrue).help("As JSON")),
            )
            .subcommand(run)
            .subcommand(graph)
            .subcommand(crate::cache::command(&name));
        #[cfg(feature = "flyte")]
        let app = app.subcommands(crate::flyte::commands(&name));
        app
    }

    /// Every workflow's graph, or the first that does not build.
    #[cfg(feature = "flyte")]
    fn workflows_built(&self) -> Result<(), String> {
        match self.workflows.iter().find_map(|w| w.graph().err()) {
            Some(e) => Err(e.report().to_string()),
            None => Ok(()),
        }
    }

    fn names(&self) -> Vec<String> {
        self.workflows.iter().map(|w| w.name().to_owned()).collect()
    }

    fn find(&self, name: &str) -> Option<&WorkflowHandle> {
        self.workflows.iter().find(|w| w.name() == name)
    }

    fn list(&self, m: &ArgMatches, out: &mut dyn Write) -> Outcome {
        if m.get_flag("json") {
            let all: Vec<Json> = self
                .workflows
                .iter()
                .map(|w| match w.graph() {
                    Ok(g) => {
                        #[allow(unused_mut)]
                        let mut doc = serde_json::json!({
                            "name": g.name,
                            "inputs": g.interface.inputs,
                            "outputs": g.interface.outputs,
                            "tasks": g.tasks.keys().collect::<Vec<_>>(),
                            "workflows": g.workflows.keys().collect::<Vec<_>>(),
                            "doc": g.doc,
                        });
                        #[cfg(feature = "flyte")]
                        {
                            doc["flyte_tasks"] = serde_json::json!(crate::flyte::task_names(g));
                        }
                        doc
                    }
                    Err(e) => serde_json::json!({"name": w.name(), "error": e.report().to_string()}),
                })
                .collect();
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&all).unwrap_or_default());
            return Outcome::Done;
        }
        for w in &self.workflows {
            let g = match w.graph() {
                Ok(g) => g,
                Err(e) => {
                    let _ = writeln!(out, "{}  (cannot be built: {})", w.name(), e.report());
                    continue;
                }
            };
            let _ = writeln!(out, "{}", g.name);
            if let Some(doc) = g.doc.as_deref().and_then(|d| d.lines().next()) {
                let _ = writeln!(out, "  {doc}");
            }
            for p in &g.interface.inputs {
                let default = p.default.as_ref().map(|d| format!(" = {}", typed::typed(&p.ty, d))).unwrap_or_default();
                let _ = writeln!(out, "  input  {}: {}{default}", p.name, p.ty.short());
            }
            for p in &g.interface.outputs {
                let _ = writeln!(out, "  output {}: {}", p.name, p.ty.short());
            }
            let tasks: Vec<&str> = g.tasks.keys().map(String::as_str).collect();
            let _ = writeln!(out, "  tasks  {}", tasks.join(", "));
            if !g.workflows.is_empty() {
                let subs: Vec<&str> = g.workflows.keys().map(String::as_str).collect();
                let _ = writeln!(out, "  sub-workflows  {}", subs.join(", "));
            }
            #[cfg(feature = "flyte")]
            {
                let names = crate::flyte::task_names(g);
                let _ = writeln!(out, "  flyte tasks  {}", names.join(", "));
            }
        }
        Outcome::Done
    }

    fn run_command(&self, m: &ArgMatches, out: &mut dyn Write, err: &mut dyn Write, how: Run<'_>) -> Outcome {
        let Run { logging, streams, .. } = how;
        let Some((name, m)) = m.subcommand() else { return Outcome::Usage("name a workflow to run".into()) };
        let Some(w) = self.find(name) else { return Outcome::Usage(format!("no workflow `{name}`")) };
        let g = match w.graph() {
            Ok(g) => g,
            Err(e) => return Outcome::Failed(e.report().to_string()),
        };
        let file = m.get_one::<String>("inputs");
        let mut inputs = JsonInputs::new();
        if let Some(path) = file {
            match std::fs::read_to_string(path) {
                Ok(text) => inputs = inputs.object(text),
                Err(e) => return Outcome::Usage(format!("could not read the inputs file {path}: {e}")),
            }
        }
        let mut by_flag = Vec::new();
        for p in &g.interface.inputs {
            let Some(text) = m.get_one::<String>(&input_id(&p.name)) else { continue };
            // JSON, or what a person types for some types (`--name 42`, `--mode full`, `--delay 60s`).
            let value = match typed::input(&p.ty, text) {
                Ok(v) => v,
                Err(e) => {
                    let (flag, ty) = (flag(&p.name), p.ty.short());
                    let bare = typed::bare_forms(&p.ty).map(|forms| format!(" nor {forms}")).unwrap_or_default();
                    return Outcome::Usage(format!(
                        "--{flag} is not JSON ({e}){bare}; it takes {} {ty}, {}",
                        article(&ty),
                        such_as(&flag, &p.ty)
                    ));
                }
            };
            by_flag.push(p.name.as_str());
            inputs = inputs.input(p.name.clone(), value);
        }
        let mut builder = Runtime::builder();
        if let Some(cpus) = m.get_one::<u32>("cpus") {
            builder = builder.cpus(*cpus);
        }
        if let Some(memory) = m.get_one::<String>("memory") {
            builder = builder.memory(memory.clone());
        }
        if let Some(dir) = m.get_one::<std::path::PathBuf>("cache-dir") {
            builder = builder.cache_dir(dir);
        }
        builder = builder.cache(!m.get_flag("no-cache")).overwrite_cache(m.get_flag("overwrite-cache"));
        let rt = match builder.build() {
            Ok(rt) => rt,
            // Said in the app's own terms (the flag), not the builder's (`memory("..")`).
            // The quantity parser's own examples are CPU counts too: give memory ones.
            Err(Error::Config(ConfigError::Memory { text, .. })) => {
                return Outcome::Usage(format!(
                    "--memory {text} is not an amount of memory; write a number and a suffix, such as 8Gi, 512Mi or 16G"
                ));
            }
            Err(Error::Config(ConfigError::ZeroMemory { text })) => {
                return Outcome::Usage(format!("--memory {text}: a runtime needs some memory, such as 8Gi"));
            }
            Err(Error::Config(ConfigError::MemoryTooLarge { text })) => {
                return Outcome::Usage(format!("--memory {text}: too large"));
            }
            Err(e) => return Outcome::Usage(e.report().to_string()),
        };
        let runner = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(format!("could not start: {e}")),
        };
        let started = Instant::now();
        let quiet = m.get_flag("quiet");
        let result = runner.block_on(async {
            // Listen for Ctrl-C before the run starts, so that no interrupt is missed.
            let interrupt = match interrupt() {
                Ok(interrupt) => interrupt,
                Err(e) => return Err(format!("could not listen for Ctrl-C: {e}")),
            };
            // Bars only on a terminal, and not under logs: piped, stderr stays plain text.
            // Without a terminal the counts are still sampled, for the summary of an interrupted run.
            let draw = !quiet && !logging && std::io::stderr().is_terminal();
            let (mut bars, capture) = match start_output(&rt, quiet, draw, streams) {
                Ok(started) => started,
                Err(e) => return Err(format!("could not redirect what tasks print: {e}")),
            };
            let mut run = w.run_json(&rt, inputs).into_future();
            // Inputs that do not fit end the run at its first poll: then nothing was running.
            let first = std::future::poll_fn(|cx| std::task::Poll::Ready(run.as_mut().poll(cx))).await;
            if let std::task::Poll::Ready(result) = first {
                drop(run);
                capture.stop();
                // A run may also end at its first poll when it was quick (or this thread slow).
                let ran = matches!(result, Ok(_) | Err(JsonRunError::Run(_)));
                if ran && !quiet {
                    let _ = writeln!(err, "running workflow `{name}` (Ctrl-C cancels it)");
                }
                if let Some(bars) = bars {
                    bars.finish(false);
                }
                return Ok(Some(result));
            }
            if !quiet {
                let _ = writeln!(err, "running workflow `{name}` (Ctrl-C cancels it)");
            }
            tokio::pin!(interrupt);
            let mut tick = tokio::time::interval(TICK);
            let result = loop {
                tokio::select! {
                    result = &mut run => break Some(result),
                    // Dropping the run future cancels its running attempts.
                    () = &mut interrupt => break None,
                    _ = tick.tick(), if bars.is_some() => {
                        if let Some(bars) = &mut bars {
                            bars.update();
                        }
                    }
                }
            };
            // An interrupted run is dropped first, so that its last sample shows it cancelled.
            drop(run);
            // Every line the tasks wrote is on screen before the summary.
            capture.stop();
            if let Some(bars) = bars {
                bars.finish(result.is_none());
            }
            Ok(result)
        });
        let result = match result {
            Ok(result) => result,
            Err(e) => return Outcome::Failed(e),
        };
        let as_json = m.get_flag("json");
        let document = |doc: Json, out: &mut dyn Write| {
            if as_json {
                let _ = serde_json::to_writer(&mut *out, &doc);
                let _ = writeln!(out);
            }
        };
        // Cached tasks keep what they stored: a rerun resumes.
        let cached = !m.get_flag("no-cache") && g.tasks.values().any(|t| t.settings.cache == Some(true));
        let Some(result) = result else {
            document(serde_json::json!({"status": "cancelled"}), out);
            let resume = if cached {
                "; the outputs its cached tasks had stored are kept, so running it again resumes where it stopped"
            } else {
                ""
            };
            return Outcome::Interrupted(format!(
                "interrupted: workflow `{name}` was cancelled after {:.1?} (Ctrl-C); its running attempts \
                 were cancelled and it has no outputs{resume}",
                started.elapsed()
            ));
        };
        match result {
            // Written straight from the typed outputs: no JSON tree of a million values.
            Ok(outputs) => {
                if !outputs.failures().is_empty() && !as_json {
                    let _ = writeln!(err, "{}", tolerated_summary(outputs.failures()));
                }
                let written = if as_json {
                    let failures = serde_json::to_string(&failure_list(outputs.failures()));
                    write!(out, r#"{{"status":"succeeded","outputs":"#)
                        .map_err(serde_json::Error::io)
                        .and_then(|()| outputs.write(&mut *out))
                        .and(failures)
                        .and_then(|failures| {
                            writeln!(out, r#","failures":{failures}}}"#).map_err(serde_json::Error::io)
                        })
                } else {
                    outputs.write_pretty(&mut *out).and_then(|()| writeln!(out).map_err(serde_json::Error::io))
                };
                match written {
                    Ok(()) => Outcome::Done,
                    Err(e) => Outcome::Failed(format!("could not write the outputs of `{name}`: {e}")),
                }
            }
            Err(JsonRunError::Run(e)) => {
                document(failure_document(&e), out);
                let hint = crate::cache::hint(&e, how.bin, m);
                let resume = if cached && hint.is_empty() {
                    "\nthe outputs its cached tasks stored are kept: running it again runs only the rest"
                } else {
                    ""
                };
                Outcome::Failed(format!("{}{}{hint}{resume}", e.report(), failure_details(&e)))
            }
            Err(e) => Outcome::Usage(input_error(&e, g, file.map(String::as_str), &by_flag)),
        }
    }

    fn graph(&self, m: &ArgMatches, out: &mut dyn Write) -> Outcome {
        let name = m.get_one::<String>("workflow").map(String::as_str).unwrap_or_default();
        let Some(w) = self.find(name) else { return Outcome::Usage(format!("no workflow `{name}`")) };
        let g = match w.graph() {
            Ok(g) => g,
            Err(e) => return Outcome::Failed(e.report().to_string()),
        };
        let text = match m.get_one::<String>("format").map(String::as_str) {
            Some("json") => match g.to_json() {
                Ok(t) => t + "\n",
                Err(e) => return Outcome::Failed(e.to_string()),
            },
            Some("mermaid") => mermaid(g),
            Some("svg") => svg(g),
            _ => g.to_dot(),
        };
        match m.get_one::<String>("output") {
            Some(path) => match std::fs::write(path, text) {
                Ok(()) => Outcome::Done,
                Err(e) => Outcome::Failed(format!("could not write {path}: {e}")),
            },
            None => {
                let _ = write!(out, "{text}");
                Outcome::Done
            }
        }
    }
}

/// How `run` was invoked.
#[derive(Clone, Copy)]
struct Run<'a> {
    /// Whether `-v` or `RUST_LOG` turned logs on.
    logging: bool,
    streams: Streams,
    /// The program's name as it was started, for hints.
    bin: &'a str,
}

/// Whose streams `out` and `err` are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Streams {
    /// The process's own ([`App::run`]): what tasks print is routed while a run is in progress.
    Process,
    /// Writers given to [`App::run_from`].
    Given,
}

/// The bars of a run (none if `quiet`; drawn if `draw`), and where what its tasks print goes
/// (see `capture.rs`): stdout to stderr, and above the bars where they are drawn.
fn start_output(rt: &Runtime, quiet: bool, draw: bool, streams: Streams) -> std::io::Result<(Option<Bars>, Capture)> {
    let process = streams == Streams::Process;
    if !draw {
        let bars = (!quiet).then(|| Bars::new(rt.progress(), None));
        let capture = if process { Capture::stdout_to_stderr()? } else { Capture::none() };
        return Ok((bars, capture));
    }
    drawn(rt, process)
}

/// Bars drawn on the terminal; when the streams are the process's own, what tasks print goes
/// above them.
#[cfg(unix)]
fn drawn(rt: &Runtime, process: bool) -> std::io::Result<(Option<Bars>, Capture)> {
    // The bars draw on a duplicate of stderr: stderr itself is redirected while tasks run.
    let mut screen = crate::capture::screen()?;
    let term = console::Term::read_write_pair(screen.try_clone()?, screen.try_clone()?);
    let bars = Bars::new(rt.progress(), Some(term)).keeping(crate::echo::QuietCtrlC::on(&screen));
    if !process {
        return Ok((Some(bars), Capture::none()));
    }
    let above = bars.printer();
    let capture = Capture::lines(move |lines| {
        above(&mut || {
            let _ = screen.write_all(lines);
        });
    })?;
    Ok((Some(bars), capture))
}

/// Bars drawn on stderr; nothing is redirected off Unix.
#[cfg(not(unix))]
fn drawn(rt: &Runtime, _process: bool) -> std::io::Result<(Option<Bars>, Capture)> {
    Ok((Some(Bars::new(rt.progress(), Some(console::Term::stderr()))), Capture::none()))
}

/// Resolves on Ctrl-C; listening starts when this is called (inside a tokio runtime).
#[cfg(unix)]
fn interrupt() -> std::io::Result<impl Future<Output = ()>> {
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    Ok(async move {
        sigint.recv().await;
    })
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
fn interrupt() -> std::io::Result<impl Future<Output = ()>> {
    let ctrl_c = tokio::signal::ctrl_c();
    Ok(async move {
        let _ = ctrl_c.await;
    })
}

/// The elements that failed (the first few, then a count) and the nodes that had finished.
fn failure_details(e: &Error) -> String {
    const SHOWN: usize = 5;
    let mut text = String::new();
    if let Some(map) = e.map_failure() {
        text += "\nfailed elements:";
        for failure in map.errors.iter().take(SHOWN) {
            let index = failure.index.map_or_else(|| "call".to_owned(), |i| format!("element {i}"));
            let s = if failure.attempts == 1 { "" } else { "s" };
            text += &format!("\n  {index} ({} attempt{s}): {}", failure.attempts, failure.cause);
        }
        let shown = map.errors.len().min(SHOWN);
        if map.failed > shown {
            text += &format!("\n  … and {} more", map.failed - shown);
        }
        text += &format!("\n{} of {} elements had succeeded; {} were not run", map.succeeded, map.total, map.not_run);
    }
    if let Some(tolerated) = e.completed().map(flowmap_runtime::Completed::tolerated)
        && !tolerated.is_empty()
    {
        text += &format!("\nbefore it failed, {}", tolerated_summary(tolerated));
    }
    let done = completed_nodes(e);
    if !done.is_empty() {
        text += &format!("\ncompleted nodes: {}", done.join(", "));
    }
    text
}

/// The elements that tolerant maps lost, for people: each with its node, index, attempts and
/// error chain (the first few, then a count).
fn tolerated_summary(failures: &[ToleratedFailure]) -> String {
    const SHOWN: usize = 10;
    let n = failures.len();
    let mut text = format!(
        "{n} element{} failed and {} tolerated:",
        if n == 1 { "" } else { "s" },
        if n == 1 { "was" } else { "were" }
    );
    for f in failures.iter().take(SHOWN) {
        text += &format!("\n  {}.{} ({}) {}", f.workflow, f.node, f.target, Report::new(&*f.failure));
    }
    if n > SHOWN {
        text += &format!("\n  … and {} more (--json lists them all)", n - SHOWN);
    }
    text
}

/// The elements that tolerant maps lost, for machines.
fn failure_list(failures: &[ToleratedFailure]) -> Vec<Json> {
    failures
        .iter()
        .map(|f| {
            serde_json::json!({
                "workflow": f.workflow,
                "node": f.node,
                "target": f.target,
                "index": f.failure.index,
                "attempts": f.failure.attempts,
                "error": Report::new(f.failure.cause.as_error()).to_string(),
            })
        })
        .collect()
}

/// The nodes that had finished when the run failed.
fn completed_nodes(e: &Error) -> Vec<&str> {
    match e {
        Error::Node { completed, .. } => completed.nodes().collect(),
        _ => Vec::new(),
    }
}

/// A failed run for machines: the error chain, the failed elements kept, the completed nodes.
fn failure_document(e: &Error) -> Json {
    let failed: Vec<Json> = e.map_failure().map_or_else(Vec::new, |map| {
        map.errors
            .iter()
            .map(|f| serde_json::json!({"index": f.index, "attempts": f.attempts, "cause": f.cause.to_string()}))
            .collect()
    });
    serde_json::json!({
        "status": "failed",
        "error": e.report().to_string(),
        "failed_elements": failed,
        "completed_nodes": completed_nodes(e),
        "failures": e.completed().map_or_else(Vec::new, |c| failure_list(c.tolerated())),
    })
}

/// The app's own options of `run WORKFLOW`: an input of the same name is given as `--input-NAME`.
const RESERVED: [&str; 10] =
    ["inputs", "cpus", "memory", "json", "quiet", "help", "verbose", "cache_dir", "no_cache", "overwrite_cache"];

/// The option that gives input `name`.
fn flag(name: &str) -> String {
    if RESERVED.contains(&name) { format!("input-{name}") } else { name.to_owned() }
}

/// The clap id of input `name`, apart from the app's own options.
fn input_id(name: &str) -> String {
    format!("input:{name}")
}

/// An input's type in its `--help` line: `list<integer> (such as '[1, 1]')`.
fn type_help(ty: &TypeDesc) -> String {
    match example(ty) {
        Some(e) => format!("{} (such as {})", ty.short(), quoted(&e)),
        None => format!("{}, as JSON", ty.short()),
    }
}

/// `a` or `an` before `word`.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
}

/// A JSON input error in the app's terms: the file or flag it came from, and an example.
fn input_error(e: &JsonRunError, g: &Graph, file: Option<&str>, by_flag: &[&str]) -> String {
    let file = file.unwrap_or("?");
    let such_as = |names: &[&str]| {
        let flags: Vec<String> = g
            .interface
            .inputs
            .iter()
            .filter(|p| names.contains(&p.name.as_str()))
            .map(|p| such_as(&flag(&p.name), &p.ty))
            .collect();
        format!("\n  {}", flags.join("; "))
    };
    match e {
        // Flags are checked by clap: an unknown name, a name given twice or an object that is not
        // one can only come from the file.
        JsonRunError::Unknown { workflow, input, inputs, .. } => format!(
            "the inputs file {file} names `{input}`, which `{workflow}` does not take; its inputs are: {}",
            inputs.join(", ")
        ),
        JsonRunError::Twice { input, .. } => format!("the inputs file {file} gives input `{input}` twice"),
        JsonRunError::Object { source, .. } if source.is_data() => {
            let object: Vec<String> = g
                .interface
                .inputs
                .iter()
                .filter_map(|p| Some(format!("\"{}\": {}", p.name, json_example(&p.ty)?)))
                .collect();
            format!(
                "the inputs file {file} must hold a JSON object of inputs by name, such as {{{}}}",
                object.join(", ")
            )
        }
        JsonRunError::Object { source, .. } => format!("the inputs file {file} is not JSON: {source}"),
        JsonRunError::Input { input, .. } => {
            let from =
                if by_flag.contains(&input.as_str()) { String::new() } else { format!(" (in the inputs file {file})") };
            format!("{}{from}{}", Report::new(e), such_as(&[input.as_str()]))
        }
        JsonRunError::Missing { missing, .. } => {
            let names: Vec<&str> = missing.iter().map(|(name, _)| name.as_str()).collect();
            format!("{}{}", Report::new(e), such_as(&names))
        }
        _ => Report::new(e).to_string(),
    }
}
