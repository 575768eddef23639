//! Findings: problems in the user's book or guides, reported as data.
//!
//! Every finding carries a stable `code` (documented in `rules/checks.toml`), a severity,
//! and where known the file (relative to the book root, `/` separators) and 1-based line.
//! Only findings of [`Severity::Error`] change the exit status (to 1).

use serde::{Deserialize, Serialize};

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
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

/// Findings as plain records for binary formats (book snapshots): every field is written,
/// `help` included, in declaration order. For `#[serde(with = "crate::finding::records")]`.
pub(crate) mod records {
    use super::{Finding, Severity};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// code, severity, message, path, line, help.
    type Record = (String, Severity, String, Option<String>, Option<usize>, Option<String>);
    type RecordRef<'a> = (&'a str, Severity, &'a str, &'a Option<String>, Option<usize>, &'a Option<String>);

    pub fn serialize<S: Serializer>(findings: &[Finding], s: S) -> Result<S::Ok, S::Error> {
        let records: Vec<RecordRef> = findings
            .iter()
            .map(|f| (f.code.as_str(), f.severity, f.message.as_str(), &f.path, f.line, &f.help))
            .collect();
        records.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Finding>, D::Error> {
        let records = Vec::<Record>::deserialize(d)?;
        Ok(records
            .into_iter()
            .map(|(code, severity, message, path, line, help)| Finding { code, severity, message, path, line, help })
            .collect())
    }
}
