//! While bars are drawn, the terminal does not echo Ctrl-C as `^C`. indicatif leaves the
//! cursor in the last column of the last bar, so the echo would wrap to a line of its own;
//! clearing the bars would then clear that line and leave the last bar on screen above the
//! summary. The terminal's setting (`ECHOCTL`) is put back when the bars end.

use std::fs::File;

use rustix::termios::{LocalModes, OptionalActions, Termios, tcgetattr, tcsetattr};

/// The terminal's settings before `ECHOCTL` was turned off, put back when dropped.
#[derive(Debug)]
pub(crate) struct QuietCtrlC {
    saved: Option<(File, Termios)>,
}

impl QuietCtrlC {
    /// Turns `ECHOCTL` off on the terminal `screen` is, if it is one and has it on.
    pub(crate) fn on(screen: &File) -> QuietCtrlC {
        let saved = screen.try_clone().ok().and_then(|tty| {
            let saved = tcgetattr(&tty).ok()?;
            if !saved.local_modes.contains(LocalModes::ECHOCTL) {
                return None;
            }
            let mut quiet = saved.clone();
            quiet.local_modes.remove(LocalModes::ECHOCTL);
            tcsetattr(&tty, OptionalActions::Now, &quiet).ok()?;
            Some((tty, saved))
        });
        QuietCtrlC { saved }
    }
}

impl Drop for QuietCtrlC {
    fn drop(&mut self) {
        if let Some((tty, saved)) = &self.saved {
            let _ = tcsetattr(tty, OptionalActions::Now, saved);
        }
    }
}
