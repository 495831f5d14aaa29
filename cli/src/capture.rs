//! What tasks write while `run` runs a workflow. The program's stdout carries only the
//! workflow's outputs (or the `--json` document), so what tasks write to stdout goes to stderr
//! until the run has ended. Where bars are drawn, what tasks write to stdout and stderr is read
//! from a pipe each and printed above the bars, whole lines at a time, so that no bar is drawn
//! over a line. Either way a line of stdout is never cut into one of stderr (`eprintln!` writes
//! a line in several parts).
//!
//! The redirection is of the process's file descriptors 1 and 2, so it holds for every thread,
//! `println!`, `eprintln!`, C code and child processes alike. Only [`crate::App::run`] does it
//! (it owns the process's streams); [`crate::App::run_from`] writes to the writers it is given.

use std::io;

/// Where what tasks write goes while a run is in progress; dropping it (or
/// [`Capture::stop`]) puts the streams back.
#[derive(Debug)]
pub(crate) struct Capture {
    #[cfg(unix)]
    _redirected: Option<unix::Redirected>,
}

impl Capture {
    /// Nothing redirected: the writers given to `run_from` are not the process's streams.
    pub(crate) fn none() -> Capture {
        Capture {
            #[cfg(unix)]
            _redirected: None,
        }
    }

    /// What is written to stdout goes to stderr.
    pub(crate) fn stdout_to_stderr() -> io::Result<Capture> {
        Ok(Capture {
            #[cfg(unix)]
            _redirected: Some(unix::Redirected::stdout_to_stderr()?),
        })
    }

    /// What is written to stdout and stderr is handed to `print`, whole lines at a time, on a
    /// thread of its own (a line longer than 64 KiB is handed in parts; a last line without a
    /// newline gets one).
    #[cfg(unix)]
    pub(crate) fn lines(print: impl FnMut(&[u8]) + Send + 'static) -> io::Result<Capture> {
        Ok(Capture { _redirected: Some(unix::Redirected::lines(print)?) })
    }

    /// Puts stdout and stderr back, after what was written before has been handed on.
    pub(crate) fn stop(self) {
        drop(self);
    }
}

/// A duplicate of the process's stderr as it is now: what bars are drawn on while stderr is
/// redirected.
#[cfg(unix)]
pub(crate) fn screen() -> io::Result<std::fs::File> {
    use std::os::fd::AsFd;
    Ok(std::fs::File::from(io::stderr().as_fd().try_clone_to_owned()?))
}

#[cfg(unix)]
mod unix {
    use std::io::{self, Read, Write};
    use std::os::fd::{AsFd, OwnedFd};
    use std::sync::{Arc, Mutex, PoisonError, mpsc};
    use std::thread::JoinHandle;
    use std::time::Duration;

    use rustix::stdio::{dup2_stderr, dup2_stdout};

    /// The most bytes handed on at once when no newline comes.
    const LONGEST: usize = 64 * 1024;

    /// How long stopping waits for the last lines: a child process a task started may still
    /// hold the pipe, and then its thread forwards what it writes for as long as it lives.
    const LAST_LINES: Duration = Duration::from_secs(1);

    /// A forwarding thread, and the channel that says it has read its pipe to the end.
    type Forwarder = (JoinHandle<()>, mpsc::Receiver<()>);

    /// The streams as they were, and the threads that forward the pipes.
    #[derive(Debug)]
    pub(super) struct Redirected {
        stdout: OwnedFd,
        stderr: Option<OwnedFd>,
        forwarders: Vec<Forwarder>,
    }

    impl Redirected {
        /// Stdout into a pipe whose whole lines are written to stderr, under stderr's lock, so
        /// that a line never lands inside one that `eprintln!` writes in parts.
        pub(super) fn stdout_to_stderr() -> io::Result<Redirected> {
            let _ = io::stdout().flush();
            let (reader, writer) = io::pipe()?;
            let stdout = io::stdout().as_fd().try_clone_to_owned()?;
            let forwarder = spawn(reader, |lines| {
                let _ = io::stderr().lock().write_all(lines);
            })?;
            let redirected = Redirected { stdout, stderr: None, forwarders: vec![forwarder] };
            let result = dup2_stdout(&writer);
            drop(writer);
            result.map(|()| redirected).map_err(io::Error::from)
        }

        /// Stdout and stderr into a pipe each; the whole lines of both go to `print`, one batch
        /// at a time, so a line of one is never cut by a line of the other.
        pub(super) fn lines(print: impl FnMut(&[u8]) + Send + 'static) -> io::Result<Redirected> {
            let _ = io::stdout().flush();
            let print = Arc::new(Mutex::new(print));
            let (out_reader, out_writer) = io::pipe()?;
            let (err_reader, err_writer) = io::pipe()?;
            let stdout = io::stdout().as_fd().try_clone_to_owned()?;
            let stderr = io::stderr().as_fd().try_clone_to_owned()?;
            let shared = print.clone();
            let out = spawn(out_reader, move |lines| (shared.lock().unwrap_or_else(PoisonError::into_inner))(lines))?;
            let err = spawn(err_reader, move |lines| (print.lock().unwrap_or_else(PoisonError::into_inner))(lines))?;
            // From here on, dropping puts back what was changed.
            let redirected = Redirected { stdout, stderr: Some(stderr), forwarders: vec![out, err] };
            let result = dup2_stdout(&out_writer).and_then(|()| dup2_stderr(&err_writer));
            drop((out_writer, err_writer));
            result.map(|()| redirected).map_err(io::Error::from)
        }
    }

    /// A thread that reads `reader` to its end, handing whole lines to `print`.
    fn spawn(mut reader: io::PipeReader, mut print: impl FnMut(&[u8]) + Send + 'static) -> io::Result<Forwarder> {
        let (done, ended) = mpsc::channel();
        let thread = std::thread::Builder::new().name("flowmap-task-output".into()).spawn(move || {
            forward(&mut reader, &mut print);
            let _ = done.send(());
        })?;
        Ok((thread, ended))
    }

    impl Drop for Redirected {
        fn drop(&mut self) {
            let _ = io::stdout().flush();
            let _ = dup2_stdout(&self.stdout);
            if let Some(stderr) = &self.stderr {
                let _ = dup2_stderr(stderr);
            }
            // Each pipe's last writer was stdout or stderr: its forwarder reads to its end. A
            // child process a task started may still hold one: then that forwarder goes on.
            let until = std::time::Instant::now() + LAST_LINES;
            for (thread, ended) in self.forwarders.drain(..) {
                if ended.recv_timeout(until.saturating_duration_since(std::time::Instant::now())).is_ok() {
                    let _ = thread.join();
                }
            }
        }
    }

    /// Reads `reader` to its end, handing whole lines to `print`.
    fn forward(reader: &mut impl Read, print: &mut impl FnMut(&[u8])) {
        let mut buf = vec![0; LONGEST];
        let mut pending: Vec<u8> = Vec::new();
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            pending.extend_from_slice(&buf[..n]);
            if let Some(end) = pending.iter().rposition(|b| *b == b'\n') {
                print(&pending[..=end]);
                pending.drain(..=end);
            } else if pending.len() >= LONGEST {
                print(&pending);
                pending.clear();
            }
        }
        if !pending.is_empty() {
            pending.push(b'\n');
            print(&pending);
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn forwarding_hands_on_whole_lines_and_ends_the_last_one() {
            let text = b"one\ntw".iter().chain(b"o\nthree").copied().collect::<Vec<u8>>();
            let mut got: Vec<Vec<u8>> = Vec::new();
            forward(&mut &text[..], &mut |lines: &[u8]| got.push(lines.to_vec()));
            assert_eq!(got.concat(), b"one\ntwo\nthree\n");
            assert!(got.iter().all(|part| part.ends_with(b"\n")), "{got:?}");
        }

        #[test]
        fn a_line_longer_than_the_buffer_is_handed_on_in_parts() {
            let text = vec![b'x'; 3 * LONGEST + 5];
            let mut got = Vec::new();
            forward(&mut &text[..], &mut |part: &[u8]| got.extend_from_slice(part));
            assert_eq!(got.len(), text.len() + 1);
            assert_eq!(got.last(), Some(&b'\n'));
        }
    }
}
