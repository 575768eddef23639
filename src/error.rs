//! Failures of the tool itself: I/O, git, bad arguments.
//!
//! A problem in the user's book (an unknown citation key, a stale target path) is a
//! [`crate::finding::Finding`], never an [`Error`]. An `Error` maps to exit status 2.

use std::path::PathBuf;

/// A failure of the tool, naming the path or operation it concerns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        /// What was attempted: "read", "write", "list".
        op: &'static str,
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A git operation failed.
    #[error("git: cannot {op}: {source}")]
    Git {
        /// What was attempted, e.g. "open repository /x" or "resolve revision HEAD".
        op: String,
        /// The underlying libgit2 error.
        source: git2::Error,
    },
    /// The command line or a configuration file is not usable.
    #[error("{0}")]
    Usage(String),
    /// A configuration or rules file could not be parsed.
    #[error("{}: {message}", path.display())]
    Config {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong, with the line when known.
        message: String,
    },
}

impl Error {
    /// Wraps an I/O error with the operation and path it concerns.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { op, path: path.into(), source }
    }

    /// Wraps a libgit2 error with the operation it concerns.
    pub fn git(op: impl Into<String>, source: git2::Error) -> Self {
        Error::Git { op: op.into(), source }
    }
}

/// Result type of the tool's fallible operations.
pub type Result<T> = std::result::Result<T, Error>;
