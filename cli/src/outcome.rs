//! How a command ended, and so the exit code.

/// How a command ended.
pub(crate) enum Outcome {
    /// It did what was asked: exit code 0.
    Done,
    /// A usage error: exit code 2.
    Usage(String),
    /// A failed run: exit code 1.
    Failed(String),
    /// Ctrl-C cancelled the run: exit code 130, as shells report an interrupted command.
    Interrupted(String),
}
