//! Findings: problems in the user's book or guides, reported as data.
//!
//! Every finding carries a stable `code` (documented in `rules/checks.toml`), a severity,
//! and where known the file (relative to the book root, `/` separators) and 1-based line.
//! Only findings of [`Severity::Error`] change the exit status (to 1).

use serde::Serialize;

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never fails a run.
    Info,
    /// Needs a look; fails a run only with `--fail-on warning`.
    Warning,
    /// The guide (or one of its targets) cannot be integrated as written.
    Error,
}

impl Severity {
    /// The lowercase name used in text and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One problem found in the user's input, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// Stable kebab-case code, e.g. `citation-key-missing`; see `rules/checks.toml` (and
    /// `rules/phrasing.toml` for phrasing rules).
    pub code: String,
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// File relative to the book root, `/` separators; `None` when no file applies.
    pub path: Option<String>,
    /// 1-based line in `path`.
    pub line: Option<usize>,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Finding {
    /// A finding without location or help.
    pub fn new(code: impl Into<String>, severity: Severity, message: impl Into<String>) -> Self {
        Finding { code: code.into(), severity, message: message.into(), path: None, line: None, help: None }
    }

    /// Sets the file and 1-based line.
    pub fn at(mut self, path: impl Into<String>, line: Option<usize>) -> Self {
        self.path = Some(path.into());
        self.line = line;
        self
    }

    /// Sets the advice on how to fix it.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}
