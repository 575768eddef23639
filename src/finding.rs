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

/// Every finding code the tool raises itself, each with the severity it is raised at
/// (`rules/checks.toml`, kept in step by `tests/rules.rs`); phrasing rules, which books add
/// to, are [`Code::Phrasing`]. Codes order and compare by their names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Code {
    /// `already-applied`: The target's snippet label is already defined in its target file (or one it includes): the tool's own insertion is there.
    AlreadyApplied,
    /// `already-integrated`: The target's content is already in the book, even rewritten: a block cites its own citation keys and says what its snippet says, or carries its label (in either markup's form).
    AlreadyIntegrated,
    /// `bib-duplicate-key`: A citation key has more than one bibliography entry; the first wins.
    BibDuplicateKey,
    /// `bib-entry-unparsed`: A .bib entry could not be parsed by the BibTeX parser; its key was read by the tolerant fallback.
    BibEntryUnparsed,
    /// `bib-file-missing`: A root document names a bibliography file that is not in the book.
    BibFileMissing,
    /// `citation-key-added`: A cited key has no bibliography entry, but the guide (```bibtex fence), its folder (a .bib file) or a .bib file of the book outside its bibliography (a staging file the documents do not name) supplies one: it is appended to the bibliography's .bib file that fits best (or `[book] new_entries`) in the same commit.
    CitationKeyAdded,
    /// `citation-key-case`: A cited key matches a bibliography entry only when letter case is ignored; the inserted text cites the entry's spelling (no duplicate entry is made).
    CitationKeyCase,
    /// `citation-key-from-folder`: The guide or key-findings file names no citation key; the key is taken from the literature folder's name (`Author_Year_Title`) matched against the bibliography.
    CitationKeyFromFolder,
    /// `citation-key-missing`: A cited key has no bibliography entry in the book.
    CitationKeyMissing,
    /// `citation-undefined`: A document file of the book cites a key that no bibliography entry has (reported by `check` without PATH and by `outline`).
    CitationUndefined,
    /// `edit-failed`: An insertion could not be applied to its file.
    EditFailed,
    /// `edit-overlap`: Two targets change the same lines of a file (two citation edits of one sentence); the first is kept, the later one left out.
    EditOverlap,
    /// `environment-unknown`: The book defines no Typst function for the snippet's environment.
    EnvironmentUnknown,
    /// `file-not-regular`: A guide, key-findings, README, .bib, config or rules file is not a regular file (a FIFO, device or socket).
    FileNotRegular,
    /// `file-not-utf8`: A chapter or .bib file is not UTF-8 text; it is left out of the book.
    FileNotUtf8,
    /// `file-unreachable`: A chapter file in a root document's folder tree and markup that no root document includes (reported by `check` without PATH and `outline`).
    FileUnreachable,
    /// `guide-no-citation-keys`: The guide names no citation key.
    GuideNoCitationKeys,
    /// `guide-no-targets`: The guide names no target chapter the tool could read.
    GuideNoTargets,
    /// `guide-not-utf8`: A guide or key-findings file is not UTF-8 text.
    GuideNotUtf8,
    /// `guide-table-key-missing`: A row of a guide's citation-key table (a table with a `Bib Key`-like column) has no key in that column.
    GuideTableKeyMissing,
    /// `include-missing`: An `\input`, `\include` or `#include` names a file that is not in the book.
    IncludeMissing,
    /// `include-outside-book`: An include (`\input`, `#include`) points outside the book; it is not followed.
    IncludeOutsideBook,
    /// `label-collision`: A label the snippet defines already exists in the book.
    LabelCollision,
    /// `label-duplicate`: A label is defined more than once within one root document; the finding is on each later definition.
    LabelDuplicate,
    /// `nesting-too-deep`: A Typst file nests deeper than 256 levels (brackets, calls, strong/emph, list items, operator chains), by an estimate made before parsing.
    NestingTooDeep,
    /// `no-insertion-point`: The resolved file has no place where text may be inserted.
    NoInsertionPoint,
    /// `partly-integrated`: Some of the target's content is in the book (its key cited with part of what it says, its label, its title); the snippet is still inserted and the finding says what is missing.
    PartlyIntegrated,
    /// `path-outside-book`: A path points outside the book root: a target, include or config path, or a guide, key-findings, README, .bib, config or rules file whose real path (symlinks followed) is outside the book.
    PathOutsideBook,
    /// `phrasing-avoid`: The snippet uses a phrase the guide's own "avoid" (✗) lines rule out.
    PhrasingAvoid,
    /// `placement-low-confidence`: The target's best insertion point scores below review_below (rules/scoring.toml): no section hint, label or anchor backs it, only content relevance. As a warning from `diff` or `apply`, the target was left out of the change (both show the same change).
    PlacementLowConfidence,
    /// `readme-file-missing`: A literature folder's README lists a file under "Files in This Folder" that the folder does not hold (reported by `guides`).
    ReadmeFileMissing,
    /// `reference-undefined`: A cross-reference (`\ref`, `\cref`, Typst `@sec:x`) names a label no document file defines.
    ReferenceUndefined,
    /// `root-missing`: A root document named in chapter-integrator.toml is not a chapter file of the book.
    RootMissing,
    /// `snippet-alternative`: A fence offered as another wording of the snippet before it ("Alternative phrasing:"); it is not inserted.
    SnippetAlternative,
    /// `snippet-escaped`: A `<` in the snippet's text would open a Typst label that never closes (`<1% of cells`); it is written `\<`.
    SnippetEscaped,
    /// `snippet-fence-unclosed`: A code fence in a guide is never closed.
    SnippetFenceUnclosed,
    /// `snippet-label-invalid`: A snippet's label cannot be written in the target markup (e.g. a space in a Typst label).
    SnippetLabelInvalid,
    /// `snippet-label-moved`: A `\label` in a LaTeX snippet stood where `\ref` would not get the environment's number (before a float's `\caption`, or after `\end{..}`); it is moved inside, after the caption.
    SnippetLabelMoved,
    /// `snippet-missing`: A target has no snippet to insert.
    SnippetMissing,
    /// `snippet-rewritten`: LaTeX-style script math (`X$_2$`) or Markdown headings (`####`) in a Typst snippet that kept it from parsing are written as Typst (`X#sub[2]`, `====`).
    SnippetRewritten,
    /// `snippet-drafted`: The target had no snippet; a block was drafted from the guide's and key findings' own sentences in the environment the guide names.
    SnippetDrafted,
    /// `snippet-key-findings`: A fence of a key-findings file is not inserted: the folder's integration guide names the targets and their snippets.
    SnippetKeyFindings,
    /// `snippet-stub`: A fence only opens an environment (its title and label) without its content; it is not inserted.
    SnippetStub,
    /// `snippet-unbalanced`: The snippet's braces, brackets or environments do not balance.
    SnippetUnbalanced,
    /// `snippet-unconverted`: A LaTeX construct in a snippet has no Typst form yet; it is kept visibly.
    SnippetUnconverted,
    /// `snippet-unpaired`: A fence of the guide sits outside every target's section and nothing pairs it with a target; it is not inserted.
    SnippetUnpaired,
    /// `typst-function-out-of-scope`: Inserted Typst text calls a book function the target file does not import, and no module of the book binds it.
    TypstFunctionOutOfScope,
    /// `typst-import-added`: Inserted Typst text calls a book function the target file does not import; the import line its siblings use goes before it.
    TypstImportAdded,
    /// `snippet-environment-mapped`: A Typst snippet calls an environment by its generic name; the book's function for it is called.
    SnippetEnvironmentMapped,
    /// `snippet-language-latex`: A snippet fenced as `typst` is written in LaTeX; it is converted as LaTeX.
    SnippetLanguageLatex,
    /// `snippet-path-outside-book`: A Typst snippet includes or reads a file outside the book root.
    SnippetPathOutsideBook,
    /// `snippet-reference-undefined`: Inserted text refers to a label neither the book nor the snippet defines.
    SnippetReferenceUndefined,
    /// `snippet-unrenderable`: The snippet's markup cannot be rendered into the target file's markup yet.
    SnippetUnrenderable,
    /// `symlink-outside-book`: A file of the book is a symlink whose target is outside the book; it is not read.
    SymlinkOutsideBook,
    /// `target-file-default`: A target names no file; the `**File:**` line given before the guide's targets is used.
    TargetFileDefault,
    /// `target-file-inferred`: A target names no file; the file of the target before it is used.
    TargetFileInferred,
    /// `target-file-missing`: A target names no file.
    TargetFileMissing,
    /// `target-in-submodule`: A target names a path inside a git submodule of the book's repository.
    TargetInSubmodule,
    /// `target-not-chapter`: A target names a file that is not a chapter file (.tex, .typ).
    TargetNotChapter,
    /// `target-not-text`: A target's file is not UTF-8 text.
    TargetNotText,
    /// `target-resolved-loosely`: The target's file was found only by its name, slug or content, not its path.
    TargetResolvedLoosely,
    /// `target-unresolved`: No file of the book matches the target's file hint well enough.
    TargetUnresolved,
    /// `text-nul`: A snippet (or a bibliography entry a guide supplies) holds a NUL byte; nothing is inserted.
    TextNul,
    /// `worktree-differs`: A target's work-tree copy differs from the base revision the diff is made against.
    WorktreeDiffers,
    /// A phrasing rule of `rules/phrasing.toml` or the book's own, by its code; its severity
    /// is the rule's.
    Phrasing(String),
}

impl Code {
    /// Every code but [`Code::Phrasing`], in name order.
    pub const ALL: &'static [Code] = &[
        Code::AlreadyApplied,
        Code::AlreadyIntegrated,
        Code::BibDuplicateKey,
        Code::BibEntryUnparsed,
        Code::BibFileMissing,
        Code::CitationKeyAdded,
        Code::CitationKeyCase,
        Code::CitationKeyFromFolder,
        Code::CitationKeyMissing,
        Code::CitationUndefined,
        Code::EditFailed,
        Code::EditOverlap,
        Code::EnvironmentUnknown,
        Code::FileNotRegular,
        Code::FileNotUtf8,
        Code::FileUnreachable,
        Code::GuideNoCitationKeys,
        Code::GuideNoTargets,
        Code::GuideNotUtf8,
        Code::GuideTableKeyMissing,
        Code::IncludeMissing,
        Code::IncludeOutsideBook,
        Code::LabelCollision,
        Code::LabelDuplicate,
        Code::NestingTooDeep,
        Code::NoInsertionPoint,
        Code::PartlyIntegrated,
        Code::PathOutsideBook,
        Code::PhrasingAvoid,
        Code::PlacementLowConfidence,
        Code::ReadmeFileMissing,
        Code::ReferenceUndefined,
        Code::RootMissing,
        Code::SnippetAlternative,
        Code::SnippetEscaped,
        Code::SnippetFenceUnclosed,
        Code::SnippetLabelInvalid,
        Code::SnippetLabelMoved,
        Code::SnippetMissing,
        Code::SnippetRewritten,
        Code::SnippetDrafted,
        Code::SnippetKeyFindings,
        Code::SnippetStub,
        Code::SnippetUnbalanced,
        Code::SnippetUnconverted,
        Code::SnippetUnpaired,
        Code::SnippetEnvironmentMapped,
        Code::SnippetLanguageLatex,
        Code::SnippetPathOutsideBook,
        Code::SnippetReferenceUndefined,
        Code::SnippetUnrenderable,
        Code::TypstFunctionOutOfScope,
        Code::TypstImportAdded,
        Code::SymlinkOutsideBook,
        Code::TargetFileDefault,
        Code::TargetFileInferred,
        Code::TargetFileMissing,
        Code::TargetInSubmodule,
        Code::TargetNotChapter,
        Code::TargetNotText,
        Code::TargetResolvedLoosely,
        Code::TargetUnresolved,
        Code::TextNul,
        Code::WorktreeDiffers,
    ];

    /// The stable kebab-case name (`citation-key-missing`).
    pub fn as_str(&self) -> &str {
        match self {
            Code::AlreadyApplied => "already-applied",
            Code::AlreadyIntegrated => "already-integrated",
            Code::PartlyIntegrated => "partly-integrated",
            Code::BibDuplicateKey => "bib-duplicate-key",
            Code::BibEntryUnparsed => "bib-entry-unparsed",
            Code::BibFileMissing => "bib-file-missing",
            Code::CitationKeyAdded => "citation-key-added",
            Code::CitationKeyCase => "citation-key-case",
            Code::CitationKeyFromFolder => "citation-key-from-folder",
            Code::CitationKeyMissing => "citation-key-missing",
            Code::CitationUndefined => "citation-undefined",
            Code::EditFailed => "edit-failed",
            Code::EditOverlap => "edit-overlap",
            Code::EnvironmentUnknown => "environment-unknown",
            Code::SnippetPathOutsideBook => "snippet-path-outside-book",
            Code::SnippetLanguageLatex => "snippet-language-latex",
            Code::SnippetEnvironmentMapped => "snippet-environment-mapped",
            Code::SnippetReferenceUndefined => "snippet-reference-undefined",
            Code::TypstFunctionOutOfScope => "typst-function-out-of-scope",
            Code::TypstImportAdded => "typst-import-added",
            Code::FileNotRegular => "file-not-regular",
            Code::FileNotUtf8 => "file-not-utf8",
            Code::FileUnreachable => "file-unreachable",
            Code::GuideNoCitationKeys => "guide-no-citation-keys",
            Code::GuideNoTargets => "guide-no-targets",
            Code::GuideNotUtf8 => "guide-not-utf8",
            Code::GuideTableKeyMissing => "guide-table-key-missing",
            Code::IncludeMissing => "include-missing",
            Code::IncludeOutsideBook => "include-outside-book",
            Code::LabelCollision => "label-collision",
            Code::LabelDuplicate => "label-duplicate",
            Code::NestingTooDeep => "nesting-too-deep",
            Code::NoInsertionPoint => "no-insertion-point",
            Code::PathOutsideBook => "path-outside-book",
            Code::PhrasingAvoid => "phrasing-avoid",
            Code::PlacementLowConfidence => "placement-low-confidence",
            Code::ReadmeFileMissing => "readme-file-missing",
            Code::ReferenceUndefined => "reference-undefined",
            Code::RootMissing => "root-missing",
            Code::SnippetAlternative => "snippet-alternative",
            Code::SnippetEscaped => "snippet-escaped",
            Code::SnippetFenceUnclosed => "snippet-fence-unclosed",
            Code::SnippetLabelInvalid => "snippet-label-invalid",
            Code::SnippetLabelMoved => "snippet-label-moved",
            Code::SnippetMissing => "snippet-missing",
            Code::SnippetRewritten => "snippet-rewritten",
            Code::SnippetDrafted => "snippet-drafted",
            Code::SnippetKeyFindings => "snippet-key-findings",
            Code::SnippetStub => "snippet-stub",
            Code::SnippetUnbalanced => "snippet-unbalanced",
            Code::SnippetUnconverted => "snippet-unconverted",
            Code::SnippetUnpaired => "snippet-unpaired",
            Code::SnippetUnrenderable => "snippet-unrenderable",
            Code::SymlinkOutsideBook => "symlink-outside-book",
            Code::TargetFileDefault => "target-file-default",
            Code::TargetFileInferred => "target-file-inferred",
            Code::TargetFileMissing => "target-file-missing",
            Code::TargetInSubmodule => "target-in-submodule",
            Code::TargetNotChapter => "target-not-chapter",
            Code::TargetNotText => "target-not-text",
            Code::TargetResolvedLoosely => "target-resolved-loosely",
            Code::TargetUnresolved => "target-unresolved",
            Code::TextNul => "text-nul",
            Code::WorktreeDiffers => "worktree-differs",
            Code::Phrasing(code) => code,
        }
    }

    /// The code named `name`: one of [`Code::ALL`], else a phrasing rule's.
    pub fn from_name(name: &str) -> Code {
        Code::ALL.iter().find(|c| c.as_str() == name).cloned().unwrap_or_else(|| Code::Phrasing(name.to_string()))
    }

    /// The severity the code is raised at (`severity` in `rules/checks.toml`); a phrasing
    /// rule's is set where it is raised.
    pub fn severity(&self) -> Severity {
        match self {
            Code::CitationKeyMissing
            | Code::EditFailed
            | Code::FileNotRegular
            | Code::GuideNoTargets
            | Code::GuideNotUtf8
            | Code::LabelCollision
            | Code::NoInsertionPoint
            | Code::PathOutsideBook
            | Code::RootMissing
            | Code::SnippetFenceUnclosed
            | Code::SnippetLabelInvalid
            | Code::SnippetUnbalanced
            | Code::SnippetUnrenderable
            | Code::TargetFileMissing
            | Code::TargetInSubmodule
            | Code::TargetNotChapter
            | Code::TargetNotText
            | Code::TargetUnresolved
            | Code::TextNul
            | Code::EnvironmentUnknown
            | Code::SnippetUnconverted
            | Code::TypstFunctionOutOfScope
            | Code::SnippetPathOutsideBook
            | Code::SnippetReferenceUndefined => Severity::Error,
            Code::BibDuplicateKey
            | Code::BibEntryUnparsed
            | Code::BibFileMissing
            | Code::CitationKeyCase
            | Code::CitationUndefined
            | Code::EditOverlap
            | Code::FileNotUtf8
            | Code::GuideNoCitationKeys
            | Code::GuideTableKeyMissing
            | Code::IncludeMissing
            | Code::IncludeOutsideBook
            | Code::SymlinkOutsideBook
            | Code::LabelDuplicate
            | Code::NestingTooDeep
            | Code::PhrasingAvoid
            | Code::ReferenceUndefined
            | Code::SnippetMissing
            | Code::SnippetUnpaired
            | Code::TargetFileInferred
            | Code::TargetResolvedLoosely
            | Code::WorktreeDiffers => Severity::Warning,
            Code::AlreadyApplied
            | Code::AlreadyIntegrated
            | Code::PartlyIntegrated
            | Code::CitationKeyAdded
            | Code::CitationKeyFromFolder
            | Code::FileUnreachable
            | Code::PlacementLowConfidence
            | Code::ReadmeFileMissing
            | Code::SnippetAlternative
            | Code::SnippetEscaped
            | Code::SnippetLabelMoved
            | Code::SnippetRewritten
            | Code::SnippetStub
            | Code::SnippetDrafted
            | Code::SnippetKeyFindings
            | Code::TargetFileDefault
            | Code::TypstImportAdded
            | Code::SnippetLanguageLatex
            | Code::SnippetEnvironmentMapped => Severity::Info,
            Code::Phrasing(_) => Severity::Warning,
        }
    }

    /// The one other severity a later stage may give a finding of this code (`also` in
    /// `rules/checks.toml`), if any.
    pub fn also(&self) -> Option<Severity> {
        match self {
            Code::PlacementLowConfidence => Some(Severity::Warning),
            Code::TargetUnresolved => Some(Severity::Warning),
            Code::IncludeMissing => Some(Severity::Error),
            _ => None,
        }
    }
}

impl PartialOrd for Code {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Code {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Code::from_name(&String::deserialize(d)?))
    }
}

/// One problem found in the user's input, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Finding {
    /// Stable code, e.g. `citation-key-missing`; see `rules/checks.toml` (and
    /// `rules/phrasing.toml` for phrasing rules).
    pub code: Code,
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
    /// A finding of `code` at the code's severity ([`Code::severity`]), without location or
    /// help.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        let severity = code.severity();
        Finding { code, severity, message: message.into(), path: None, line: None, help: None }
    }

    /// Sets the severity: a phrasing rule's own, or the code's other one ([`Code::also`]).
    ///
    /// # Panics
    /// For any other severity of a code of `rules/checks.toml`: that is a bug of the stage
    /// raising it (`tests/rules.rs` keeps the documented ones in step with [`Code`]).
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.set_severity(severity);
        self
    }

    /// [`Finding::with_severity`] in place.
    pub fn set_severity(&mut self, severity: Severity) {
        assert!(
            matches!(self.code, Code::Phrasing(_))
                || severity == self.code.severity()
                || Some(severity) == self.code.also(),
            "{} is raised at {} (rules/checks.toml), not {}",
            self.code,
            self.code.severity().as_str(),
            severity.as_str()
        );
        self.severity = severity;
    }

    /// Sets the severity the book's configuration gives the finding's code (`[severity]` of
    /// `chapter-integrator.toml`, see [`SeverityOverrides`]), whatever the code's own: the
    /// book decides how its findings are reported and what fails its runs. Only reports and
    /// exit statuses see it; the pipeline has already decided what it inserts.
    pub fn override_severity(&mut self, severity: Severity) {
        self.severity = severity;
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

/// The severities a book gives finding codes (`[severity]` of `chapter-integrator.toml`:
/// `target-resolved-loosely = "info"`), by code name; validated when the book is opened
/// (an unknown code or severity is a configuration error naming the file and line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeverityOverrides(pub std::collections::BTreeMap<String, Severity>);

impl SeverityOverrides {
    /// Gives `f` the severity the book sets for its code, if it sets one.
    pub fn apply(&self, f: &mut Finding) {
        if let Some(&severity) = self.0.get(f.code.as_str()) {
            f.override_severity(severity);
        }
    }

    /// `f` with the book's severity for its code ([`SeverityOverrides::apply`]).
    pub fn applied(&self, f: &Finding) -> Finding {
        let mut f = f.clone();
        self.apply(&mut f);
        f
    }

    /// Whether the book sets no severity.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Severity {
    /// The severity named `name` (`error`, `warning`, `info`), if it is one.
    pub fn from_name(name: &str) -> Option<Severity> {
        match name {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }
}

/// Findings as plain records for binary formats (book snapshots): every field is written,
/// `help` included, in declaration order. For `#[serde(with = "crate::finding::records")]`.
pub(crate) mod records {
    use super::{Code, Finding, Severity};
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
            .map(|(code, severity, message, path, line, help)| Finding {
                code: Code::from_name(&code),
                severity,
                message,
                path,
                line,
                help,
            })
            .collect())
    }
}
