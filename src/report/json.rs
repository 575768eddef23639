//! The JSON documents as types: each struct is one object of the output, its fields the
//! object's keys.
//!
//! Fields are declared in alphabetical order, the order the documents have always printed
//! their keys in (serde keeps a struct's field order). An `Option` prints `null` when empty
//! unless it is marked `skip_serializing_if`, in which case the key is left out. Paths are
//! relative to the book root, lines 1-based. What it leaves out: printing (the parent
//! module's [`super::json_text`], pretty with a final newline) and text output.

use std::collections::BTreeMap;

use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

use crate::finding::{Code, Finding, Severity};
use crate::guide::{Markup, Snippet};
use crate::plan::{GuidePlan, Status, TargetPlan};
use crate::render::{snippet_labels, snippet_title};
use crate::store::Store;

/// A finding: `{code, help, line, message, path, severity}`.
#[derive(Serialize)]
pub struct FindingJson<'a> {
    /// Its stable code (`rules/checks.toml`).
    pub code: &'a Code,
    /// How to fix it.
    pub help: Option<&'a str>,
    /// The line it points at.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: &'a str,
    /// The file it is about.
    pub path: Option<&'a str>,
    /// `error`, `warning` or `info`.
    pub severity: Severity,
}

impl<'a> FindingJson<'a> {
    /// The object of `f`.
    pub fn of(f: &'a Finding) -> Self {
        FindingJson {
            code: &f.code,
            help: f.help.as_deref(),
            line: f.line,
            message: &f.message,
            path: f.path.as_deref(),
            severity: f.severity,
        }
    }

    /// The objects of `findings`, in their order.
    pub fn all<'f>(findings: impl IntoIterator<Item = &'f Finding>) -> Vec<FindingJson<'f>> {
        findings.into_iter().map(FindingJson::of).collect()
    }
}

/// A target's snippet: `{labels, language, line, title}`.
#[derive(Serialize)]
pub struct SnippetJson<'a> {
    /// Labels the snippet defines.
    pub labels: Vec<String>,
    /// Its markup, `null` when the fence gives no clue.
    pub language: Option<Markup>,
    /// Line of the opening fence in the guide.
    pub line: usize,
    /// Title of its environment.
    pub title: Option<std::borrow::Cow<'a, str>>,
    /// `drafted` for a block the tool built from the guide's own sentences (a
    /// `**Suggested text:**` field) rather than a fence, `supplied` for a text given with
    /// `--texts`; absent for a fence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<&'static str>,
}

impl SnippetJson<'_> {
    /// The object of `s`, its labels and title read from its text.
    fn of(s: &Snippet) -> SnippetJson<'static> {
        SnippetJson {
            labels: snippet_labels(s),
            language: s.language,
            line: s.line,
            title: snippet_title(s).map(Into::into),
            origin: None,
        }
    }
}

/// A ranked insertion point: `{after_line, heading_path, path, reasons, score}`, with
/// `raw` and `signals` when explained (`plan --explain`).
#[derive(Serialize)]
pub struct CandidateJson<'a> {
    /// Line after which the text goes.
    pub after_line: usize,
    /// Headings from the chapter down to the insertion point.
    pub heading_path: &'a [String],
    /// The file.
    pub path: &'a str,
    /// The raw weighted sum of the signals ([`crate::place::Candidate::raw`]); explained only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<f64>,
    /// Why, in words.
    pub reasons: Vec<String>,
    /// Score in `[0, 1]`.
    pub score: f64,
    /// Each signal with its weight and contribution, in the order of `reasons`; explained only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signals: Option<Vec<SignalJson>>,
    /// The spot signals' summed contribution ([`crate::place::Candidate::spot`]): candidates
    /// of equal `raw` rank by it; explained only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spot: Option<f64>,
}

/// One signal of a candidate as `plan --explain` prints it: `{contribution, name, rule,
/// value, weight}`. `rule` is the `[place]` key of `rules/scoring.toml` whose weight it takes,
/// `null` (with `value`, `weight` and `contribution` null too) for a signal that adds nothing
/// to the score ([`crate::place::Signal::weighed`]).
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct SignalJson {
    /// `weight * value`, rounded to four decimals.
    pub contribution: Option<f64>,
    /// The signal's kind ([`crate::place::Signal::name`]).
    pub name: &'static str,
    /// The `rules/scoring.toml` `[place]` key of its weight.
    pub rule: Option<&'static str>,
    /// The signal's value in `[0, 1]`, rounded to four decimals.
    pub value: Option<f64>,
    /// The weight in force.
    pub weight: Option<f64>,
}

/// `x` rounded to four decimals: enough to re-rank offline, no float noise in the output.
fn four(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

impl SignalJson {
    /// The objects of `c`'s signals under the weights `w`.
    pub fn all(c: &crate::place::Candidate, w: &crate::rules::PlaceWeights) -> Vec<SignalJson> {
        c.signals
            .iter()
            .map(|s| {
                let x = s.weighed(w);
                SignalJson {
                    contribution: x.map(|x| four(x.contribution())),
                    name: s.name(),
                    rule: x.map(|x| x.rule),
                    value: x.map(|x| four(x.value)),
                    weight: x.map(|x| x.weight),
                }
            })
            .collect()
    }
}

/// The file a target resolved to: `{confidence, method, path}`.
#[derive(Serialize)]
pub struct ResolvedJson<'a> {
    /// Confidence in `[0, 1]`.
    pub confidence: f64,
    /// `exact`, `moved`, `slug`, `fuzzy`.
    pub method: &'a str,
    /// The file.
    pub path: &'a str,
}

/// The insertion of a target: `{after_line, path, replaces, text}`.
#[derive(Serialize)]
pub struct InsertionJson<'a> {
    /// Line after which the text goes.
    pub after_line: usize,
    /// The file.
    pub path: &'a str,
    /// Lines the text replaces (0: inserted).
    pub replaces: usize,
    /// The text.
    pub text: &'a str,
}

/// A file a target creates: `{path, text}`.
#[derive(Serialize)]
pub struct NewFileJson<'a> {
    /// The new file.
    pub path: &'a str,
    /// Its text.
    pub text: &'a str,
}

/// What a target without content needs (`needs_text` of a target whose status is
/// `needs-text`): `{after_line, heading_path, key_findings, path, section_line,
/// section_text}`.
#[derive(Serialize)]
pub struct NeedsTextJson<'a> {
    /// Line after which its text goes.
    pub after_line: usize,
    /// Headings from the chapter down to the insertion point.
    pub heading_path: &'a [String],
    /// The most relevant key-findings paragraphs, best first.
    pub key_findings: &'a [String],
    /// The file.
    pub path: &'a str,
    /// Line of `section_text`'s first line.
    pub section_line: usize,
    /// The section's current text around the insertion point.
    pub section_text: &'a str,
}

/// One target's plan (`guides[].targets[]` of `plan`, `diff` and `check`).
#[derive(Serialize)]
pub struct TargetJson<'a> {
    /// Best insertion points, best first.
    pub candidates: Vec<CandidateJson<'a>>,
    /// Canonical environment name.
    pub environment: Option<&'a str>,
    /// Environment as written.
    pub environment_raw: Option<&'a str>,
    /// File hint as written.
    pub file_hint: Option<&'a str>,
    /// Findings about the target.
    pub findings: Vec<FindingJson<'a>>,
    /// Its stable id (`<guide path>#<rank>`), the key of its text in a `--texts` file.
    pub id: &'a str,
    /// The insertion, when its status is `insert`.
    pub insertion: Option<InsertionJson<'a>>,
    /// Whether the book already says it: `state` (`applied`, `partly`, `pending`), `place`
    /// (`path`, `line` of the block), `evidence[]` (`kind` and its fields), `missing[]`.
    pub integrated: &'a crate::integrated::Integration,
    /// What its text would be written from, when its status is `needs-text`.
    pub needs_text: Option<NeedsTextJson<'a>>,
    /// A file it creates.
    pub new_file: Option<NewFileJson<'a>>,
    /// 1 = primary, 2 = secondary, ...
    pub rank: usize,
    /// The file it resolved to.
    pub resolved: Option<ResolvedJson<'a>>,
    /// A person should look before it is applied.
    pub review: bool,
    /// The estimated probability in `[0, 1]` that the best candidate is in the right
    /// section (`[calibration]` of rules/scoring.toml), or null.
    pub probability: Option<f64>,
    /// Section hints.
    pub section_hints: &'a [String],
    /// Its snippet.
    pub snippet: Option<SnippetJson<'a>>,
    /// `insert`, `already-applied`, `needs-text` or `skipped`.
    pub status: Status,
    /// The target heading's text.
    pub title_hint: &'a str,
}

impl<'a> TargetJson<'a> {
    /// The object of `t`.
    pub fn of(t: &'a TargetPlan) -> Self {
        let tg = &t.target;
        TargetJson {
            candidates: t
                .candidates
                .iter()
                .map(|c| CandidateJson {
                    after_line: c.after_line,
                    heading_path: &c.heading_path,
                    path: &c.path,
                    raw: None,
                    reasons: c.reasons(),
                    score: c.score,
                    signals: None,
                    spot: None,
                })
                .collect(),
            environment: tg.environment.as_deref(),
            environment_raw: tg.environment_raw.as_deref(),
            file_hint: tg.file_hint.as_deref(),
            findings: FindingJson::all(&t.findings),
            id: &t.id,
            integrated: &t.integrated,
            insertion: t.insertion().map(|(path, i)| InsertionJson {
                after_line: i.after_line,
                path,
                replaces: i.replaces,
                text: &i.text,
            }),
            needs_text: t.needs_text().map(|n| NeedsTextJson {
                after_line: n.after_line,
                heading_path: &n.heading_path,
                key_findings: &n.key_findings,
                path: &n.path,
                section_line: n.section_line,
                section_text: &n.section_text,
            }),
            new_file: t.new_file().map(|(path, text)| NewFileJson { path, text }),
            rank: tg.rank,
            resolved: t.resolved.as_ref().map(|r| ResolvedJson {
                confidence: r.confidence,
                method: r.method,
                path: &r.path,
            }),
            review: t.review,
            probability: t.probability,
            section_hints: &tg.section_hints,
            snippet: tg.snippet.as_ref().map(|s| SnippetJson {
                labels: t.labels.clone(),
                language: s.language,
                line: s.line,
                title: t.title.as_deref().map(Into::into),
                origin: if t.supplied { Some("supplied") } else { tg.drafted.then_some("drafted") },
            }),
            status: t.status(),
            title_hint: &tg.title_hint,
        }
    }
}

/// One guide's plan (`guides[]` of `plan`, `diff` and `check`).
#[derive(Serialize)]
pub struct GuideJson<'a> {
    /// Citation keys in order of first mention.
    pub citation_keys: &'a [String],
    /// Guide-level findings.
    pub findings: Vec<FindingJson<'a>>,
    /// The guide file.
    pub guide: &'a str,
    /// Branch slug.
    pub slug: &'a str,
    /// One plan per target, in rank order.
    pub targets: Vec<TargetJson<'a>>,
}

impl<'a> GuideJson<'a> {
    /// The object of `p`.
    pub fn of(p: &'a GuidePlan) -> Self {
        GuideJson {
            citation_keys: &p.guide.citation_keys,
            findings: FindingJson::all(&p.findings),
            guide: &p.guide.path,
            slug: &p.guide.slug,
            targets: p.targets.iter().map(TargetJson::of).collect(),
        }
    }

    /// The objects of `plans`, in their order.
    pub fn all(plans: &'a [GuidePlan]) -> Vec<Self> {
        plans.iter().map(GuideJson::of).collect()
    }

    /// [`GuideJson::all`] with every candidate's raw score and signals under the weights
    /// `w` (`plan --explain`).
    pub fn explained(plans: &'a [GuidePlan], w: &crate::rules::PlaceWeights) -> Vec<Self> {
        plans
            .iter()
            .map(|p| {
                let mut g = GuideJson::of(p);
                for (tj, t) in g.targets.iter_mut().zip(&p.targets) {
                    for (cj, c) in tj.candidates.iter_mut().zip(&t.candidates) {
                        cj.raw = Some(c.raw(w));
                        cj.spot = Some(c.spot(w));
                        cj.signals = Some(SignalJson::all(c, w));
                    }
                }
                g
            })
            .collect()
    }
}

/// The `plan --format json` document: `{guides, schema}`.
#[derive(Serialize)]
pub struct PlanDoc<'a> {
    /// Every guide's plan.
    pub guides: Vec<GuideJson<'a>>,
    /// [`super::SCHEMA`].
    pub schema: u32,
}

/// The `diff --format json` document: `{diff, guides, schema}`.
#[derive(Serialize)]
pub struct DiffDoc<'a> {
    /// The unified diff.
    pub diff: &'a str,
    /// Every guide's plan.
    pub guides: Vec<GuideJson<'a>>,
    /// [`super::SCHEMA`].
    pub schema: u32,
}

/// Counts of a check: `{codes, errors, guides, warnings}`.
#[derive(Serialize)]
pub struct CheckSummary {
    /// Findings per code (of every severity), by code name.
    pub codes: std::collections::BTreeMap<String, usize>,
    /// Findings of error severity.
    pub errors: usize,
    /// Guides checked.
    pub guides: usize,
    /// Findings of warning severity.
    pub warnings: usize,
}

/// The `check --format json` document: `{book_findings, diff, guides, schema, summary}`;
/// `diff` is `null` without `--diff`.
#[derive(Serialize)]
pub struct CheckDoc<'a> {
    /// The book's own findings.
    pub book_findings: Vec<FindingJson<'a>>,
    /// The unified diff (`--diff`).
    pub diff: Option<String>,
    /// Every guide's plan.
    pub guides: Vec<GuideJson<'a>>,
    /// [`super::SCHEMA`].
    pub schema: u32,
    /// Counts.
    pub summary: CheckSummary,
}

/// One commit `apply` made: `{guide, id}`.
#[derive(Serialize)]
pub struct CommitJson<'a> {
    /// The guide it integrates.
    pub guide: &'a str,
    /// Its id.
    pub id: String,
}

/// The `apply --format json` document: `{branch, commits, deletions, files_changed,
/// insertions, schema}` when written, `{branch, commits: [], refused, schema}` when the
/// branch was refused, `{branch, commits: [], up_to_date: tip id, schema}` when it holds
/// exactly this change already.
#[derive(Serialize)]
pub struct ApplyDoc<'a> {
    /// The branch.
    pub branch: &'a str,
    /// The commits made, in order.
    pub commits: Vec<CommitJson<'a>>,
    /// Lines removed (written only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletions: Option<usize>,
    /// Files changed (written only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files_changed: Option<usize>,
    /// Lines added (written only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insertions: Option<usize>,
    /// Why the branch was refused (refused only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<&'a str>,
    /// The branch's tip, when it holds exactly this change already (nothing written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub up_to_date: Option<&'a str>,
    /// [`super::SCHEMA`].
    pub schema: u32,
}

/// Where a guide stands: `{reason, state}`, `reason` only for `cannot-apply`.
#[derive(Serialize)]
pub struct StateJson<'a> {
    /// Why it cannot be applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
    /// `applied`, `partly-applied`, `pending` or `cannot-apply`.
    pub state: &'static str,
}

/// One guide of the status dashboard: `{branch, guide, status, topic}`.
#[derive(Serialize)]
pub struct StatusGuideJson<'a> {
    /// Its integration branch (`integrate/<slug>`) when one exists and is not merged into
    /// the base revision; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<&'a str>,
    /// The guide file.
    pub guide: &'a str,
    /// Where it stands.
    pub status: StateJson<'a>,
    /// Its literature topic.
    pub topic: &'a str,
}

/// The `status --format json` document: `{guides, schema, topics, totals}`; `topics` maps
/// each topic to counts per state name (`partly applied`), `totals` the same for the book.
#[derive(Serialize)]
pub struct StatusDoc<'a> {
    /// Every guide.
    pub guides: Vec<StatusGuideJson<'a>>,
    /// [`super::SCHEMA`].
    pub schema: u32,
    /// Counts per topic and state.
    pub topics: BTreeMap<&'a str, BTreeMap<&'a str, usize>>,
    /// Counts per state.
    pub totals: BTreeMap<&'a str, usize>,
}

/// A target as the inventory lists it (`guides[].targets[]` of `guides`).
#[derive(Serialize)]
pub struct InventoryTargetJson<'a> {
    /// The citation keys it cites.
    pub citation_keys: &'a [String],
    /// Canonical environment name.
    pub environment: Option<&'a str>,
    /// Environment as written.
    pub environment_raw: Option<&'a str>,
    /// File hint as written.
    pub file_hint: Option<&'a str>,
    /// Line of the heading (or field) that opened it.
    pub line: usize,
    /// 1 = primary, 2 = secondary, ...
    pub rank: usize,
    /// Section hints.
    pub section_hints: &'a [String],
    /// Its snippet.
    pub snippet: Option<SnippetJson<'a>>,
    /// The target heading's text.
    pub title_hint: &'a str,
}

/// A phrase the guide says to avoid: `{line, text}`.
#[derive(Serialize)]
pub struct AvoidJson<'a> {
    /// Its line in the guide.
    pub line: usize,
    /// The phrase.
    pub text: &'a str,
}

/// What a guide says about phrasing: `{avoid, certainty}`.
#[derive(Serialize)]
pub struct PhrasingJson<'a> {
    /// Phrases to avoid.
    pub avoid: Vec<AvoidJson<'a>>,
    /// The certainty it states, as written.
    pub certainty: Option<&'a str>,
}

/// A bibliography entry a guide supplies: `{key, source}`.
#[derive(Serialize)]
pub struct SuppliedJson<'a> {
    /// Its citation key.
    pub key: &'a str,
    /// Where it was found.
    pub source: &'a str,
}

/// A status line of a literature folder's README: `{field, value}`.
#[derive(Serialize)]
pub struct ReadmeStatusJson<'a> {
    /// The field (`References.bib entries`).
    pub field: &'a str,
    /// Its value (`Pending`).
    pub value: &'a str,
}

/// One inventoried file (`guides[]` of `guides`).
#[derive(Serialize)]
pub struct EntryJson<'a> {
    /// Bibliography entries it supplies.
    pub bib_entries: Vec<SuppliedJson<'a>>,
    /// Citation keys in order of first mention.
    pub citation_keys: &'a [String],
    /// What the parser could not understand.
    pub findings: Vec<FindingJson<'a>>,
    /// The file.
    pub guide: &'a str,
    /// `integration-guide` or `key-findings`.
    pub kind: &'static str,
    /// What it says about phrasing.
    pub phrasing: PhrasingJson<'a>,
    /// The folder README's status lines.
    pub readme_status: Vec<ReadmeStatusJson<'a>>,
    /// Branch slug.
    pub slug: &'a str,
    /// Its targets.
    pub targets: Vec<InventoryTargetJson<'a>>,
}

impl<'a> InventoryTargetJson<'a> {
    /// The object of `t`.
    pub fn of(t: &'a crate::guide::Target) -> Self {
        InventoryTargetJson {
            citation_keys: &t.keys,
            environment: t.environment.as_deref(),
            environment_raw: t.environment_raw.as_deref(),
            file_hint: t.file_hint.as_deref(),
            line: t.line,
            rank: t.rank,
            section_hints: &t.section_hints,
            snippet: t
                .snippet
                .as_ref()
                .map(|s| SnippetJson { origin: t.drafted.then_some("drafted"), ..SnippetJson::of(s) }),
            title_hint: &t.title_hint,
        }
    }
}

/// The `guides --format json` document: `{guides, schema}`.
#[derive(Serialize)]
pub struct GuidesDoc<'a> {
    /// Every inventoried file.
    pub guides: Vec<EntryJson<'a>>,
    /// [`super::SCHEMA`].
    pub schema: u32,
}

/// A heading of the outline: `{label, level, line, numbered, short_title, title}`;
/// `numbered` only when false, `short_title` only when there is one.
#[derive(Serialize)]
pub struct HeadingJson<'a> {
    /// Its label.
    pub label: Option<&'a str>,
    /// Normalised level (0 = chapter, `\part` -1).
    pub level: i32,
    /// Its line.
    pub line: usize,
    /// `false` for an unnumbered heading.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numbered: Option<bool>,
    /// LaTeX's short title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_title: Option<&'a str>,
    /// Title as written.
    pub title: &'a str,
}

/// An environment of the outline: `{end_line, label, line, name, title}`.
#[derive(Serialize)]
pub struct EnvJson<'a> {
    /// Its last line.
    pub end_line: usize,
    /// Its label.
    pub label: Option<&'a str>,
    /// Its first line.
    pub line: usize,
    /// Name as written.
    pub name: &'a str,
    /// Its title.
    pub title: Option<&'a str>,
}

/// A name at a line: `{line, name}` (labels, cross-references).
#[derive(Serialize)]
pub struct NamedJson<'a> {
    /// Its line.
    pub line: usize,
    /// The label.
    pub name: &'a str,
}

/// A citation at a line: `{key, line}`.
#[derive(Serialize)]
pub struct CitationJson<'a> {
    /// The citation key.
    pub key: &'a str,
    /// Its line.
    pub line: usize,
}

/// An include: `{line, resolved, target}`.
#[derive(Serialize)]
pub struct IncludeJson<'a> {
    /// Its line.
    pub line: usize,
    /// The book file it names, if any.
    pub resolved: Option<String>,
    /// The path as written.
    pub target: &'a str,
}

/// A bibliography entry of a .bib file: `{key, line, type}`.
#[derive(Serialize)]
pub struct BibEntryJson<'a> {
    /// Its citation key.
    pub key: &'a str,
    /// Line of its `@`.
    pub line: usize,
    /// Entry type, lowercase.
    #[serde(rename = "type")]
    pub kind: &'a str,
}

/// One file of the outline (`files[]`).
#[derive(Serialize)]
pub struct OutlineFileJson<'a> {
    /// Citations.
    pub citations: Vec<CitationJson<'a>>,
    /// Bibliography entries (.bib files only).
    pub entries: Vec<BibEntryJson<'a>>,
    /// Top-level environments.
    pub environments: Vec<EnvJson<'a>>,
    /// The file's findings.
    pub findings: Vec<FindingJson<'a>>,
    /// Headings.
    pub headings: Vec<HeadingJson<'a>>,
    /// Includes.
    pub includes: Vec<IncludeJson<'a>>,
    /// Labels.
    pub labels: Vec<NamedJson<'a>>,
    /// The file.
    pub path: &'a str,
    /// Reachable from a root document.
    pub reachable: bool,
    /// Cross-references.
    pub references: Vec<NamedJson<'a>>,
}

/// The outline's counts: `{bibliography_entries, chapter_files, labels, reachable_files}`.
#[derive(Serialize)]
pub struct OutlineSummary {
    /// Entries of the bibliography.
    pub bibliography_entries: usize,
    /// Chapter files.
    pub chapter_files: usize,
    /// Labels.
    pub labels: usize,
    /// Files reachable from a root.
    pub reachable_files: usize,
}

/// The `outline --format json` document: `{files, findings, roots, schema, summary}`;
/// `findings` holds those of no listed file.
#[derive(Serialize)]
pub struct OutlineDoc<'a> {
    /// Each file, built as it is written (the whole book's model is several megabytes of
    /// JSON: all of it at once would double the run's memory).
    pub files: OutlineFiles<'a>,
    /// Findings of no listed file.
    pub findings: Vec<FindingJson<'a>>,
    /// Root documents.
    pub roots: &'a [String],
    /// [`super::SCHEMA`].
    pub schema: u32,
    /// Counts.
    pub summary: OutlineSummary,
}

/// The files of an outline, each serialized from the book as it is reached.
pub struct OutlineFiles<'a> {
    /// The book.
    pub book: &'a Store,
    /// The files, in order.
    pub files: &'a [String],
    /// Each file's findings, in order.
    pub by_file: std::collections::HashMap<&'a str, Vec<&'a Finding>>,
}

impl Serialize for OutlineFiles<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let book = self.book;
        let mut seq = s.serialize_seq(Some(self.files.len()))?;
        for f in self.files {
            let outline = book.outline(f);
            let uses = book.uses(f);
            let entries = if f.ends_with(".bib") { crate::bib::entries_in(f, &book.sources[f]) } else { Vec::new() };
            let o = outline.as_deref();
            let file = OutlineFileJson {
                citations: uses.citations.iter().map(|(key, line)| CitationJson { key, line: *line }).collect(),
                entries: entries.iter().map(|e| BibEntryJson { key: &e.key, line: e.line, kind: &e.kind }).collect(),
                environments: o
                    .map(|o| &o.envs[..])
                    .unwrap_or_default()
                    .iter()
                    .map(|e| EnvJson {
                        end_line: e.end,
                        label: e.label.as_deref(),
                        line: e.start,
                        name: &e.name,
                        title: e.title.as_deref(),
                    })
                    .collect(),
                findings: FindingJson::all(self.by_file.get(f.as_str()).into_iter().flatten().copied()),
                headings: o
                    .map(|o| &o.headings[..])
                    .unwrap_or_default()
                    .iter()
                    .map(|h| HeadingJson {
                        label: h.label.as_deref(),
                        level: h.level,
                        line: h.line,
                        numbered: (!h.numbered).then_some(false),
                        short_title: h.short_title.as_deref(),
                        title: &h.title,
                    })
                    .collect(),
                includes: o
                    .map(|o| &o.includes[..])
                    .unwrap_or_default()
                    .iter()
                    .map(|i| IncludeJson {
                        line: i.line,
                        resolved: book.resolve_include(f, &i.target),
                        target: &i.target,
                    })
                    .collect(),
                labels: o
                    .map(|o| &o.labels[..])
                    .unwrap_or_default()
                    .iter()
                    .map(|(name, line)| NamedJson { line: *line, name })
                    .collect(),
                path: f,
                reachable: book.includes.reachable.contains(f),
                references: uses.references.iter().map(|(name, line)| NamedJson { line: *line, name }).collect(),
            };
            seq.serialize_element(&file)?;
        }
        seq.end()
    }
}
