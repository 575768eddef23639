//! The pipeline for one or more guides: resolve each target, rank insertion points, render
//! the snippet, check it, and turn the result into per-file edits.
//!
//! Produces [`GuidePlan`]s (what `plan` prints) and [`Changes`] (what `diff` prints and
//! `apply` commits). Writes nothing.

use std::collections::BTreeMap;

mod changes;
mod choice;
mod needs_text;
mod resolution;
mod scope;
mod supplied;

pub use changes::{changes, ChangeSet, Changes};
pub use choice::{chosen, Choice, Chosen, Spot};
pub use needs_text::{NeedsText, EXCERPTS, SECTION_LINES};
pub use supplied::{check_ids, parse as parse_texts, target_ids, SuppliedText, Texts};

use crate::check;
use crate::edit::Insertion;
use crate::finding::{Code, Finding, Severity};
use crate::guide::{describe_rank, Guide, Markup, Target};
use crate::integrated::{self, Integration};
use crate::place::{self, Candidate};
use crate::render::{self, snippet_labels, snippet_title};
use crate::resolve::{Resolution, ResolvedTarget, Resolver};
use crate::store::Store;

/// What will happen to one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Its snippet will be inserted at the first candidate.
    Insert,
    /// Its content is already in the book; nothing to do.
    AlreadyApplied,
    /// It has a place but no content: its text is to be written and supplied (`--texts`).
    NeedsText,
    /// Nothing will be inserted (no file, no snippet, or an error).
    Skipped,
}

/// What will happen to one target, with what it needs: an insertion carries its place and
/// text, so no plan can say "skipped" and still hold a file to create.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The text goes into `path` ([`Insertion`]); `new_file` is `(path, text)` of a file to
    /// create when the book keeps one environment per file there (the insertion is then its
    /// `#include` line).
    Insert { path: String, insertion: Insertion, new_file: Option<(String, String)> },
    /// Its content is already in the book; nothing to do.
    AlreadyApplied,
    /// The target has an insertion point but neither the guide nor `--texts` gives it
    /// content: what its text would be written from.
    NeedsText(Box<NeedsText>),
    /// Nothing will be inserted (no file, no snippet, an error, or left out).
    Skipped,
}

/// The plan for one target.
#[derive(Debug, Clone)]
pub struct TargetPlan {
    /// Its stable id, `<guide path>#<rank>` ([`target_ids`]): what `--texts` names it by.
    pub id: String,
    /// The target as the guide states it (with a supplied text as its snippet).
    pub target: Target,
    /// Its snippet is a text supplied with `--texts`.
    pub supplied: bool,
    /// The file it resolved to.
    pub resolved: Option<ResolvedTarget>,
    /// The best insertion points, best first (at most `top` from `rules/scoring.toml`).
    pub candidates: Vec<Candidate>,
    /// Labels the snippet defines.
    pub labels: Vec<String>,
    /// Title of the snippet's environment.
    pub title: Option<String>,
    /// What will happen.
    pub outcome: Outcome,
    /// Findings about this target.
    pub findings: Vec<Finding>,
    /// The best candidate scores below `review_below`, or its estimated probability of
    /// being right is below `[calibration] review_below` (rules/scoring.toml): a person should
    /// look before it is applied.
    pub review: bool,
    /// Whether the book already says what the target holds ([`integrated::judge`]).
    pub integrated: Integration,
    /// The estimated probability that the best candidate is in the right section
    /// ([`crate::rules::Calibration::probability`] of its score); `None` without candidates
    /// or table.
    pub probability: Option<f64>,
}

/// The plan for one guide.
#[derive(Debug, Clone)]
pub struct GuidePlan {
    /// The guide as read.
    pub guide: Guide,
    /// One plan per target, in rank order.
    pub targets: Vec<TargetPlan>,
    /// Guide-level findings (parsing, citation keys).
    pub findings: Vec<Finding>,
    /// Bibliography entries appended with the integration.
    pub additions: Vec<crate::bookkeeping::BibAddition>,
    /// The literature folder's README status line updated with it.
    pub readme: Option<crate::bookkeeping::LineEdit>,
}

impl TargetPlan {
    /// What will happen, without the details ([`Outcome`]).
    pub fn status(&self) -> Status {
        match self.outcome {
            Outcome::Insert { .. } => Status::Insert,
            Outcome::AlreadyApplied => Status::AlreadyApplied,
            Outcome::NeedsText(_) => Status::NeedsText,
            Outcome::Skipped => Status::Skipped,
        }
    }

    /// What its text would be written from, when it has a place but no content.
    pub fn needs_text(&self) -> Option<&NeedsText> {
        match &self.outcome {
            Outcome::NeedsText(n) => Some(n),
            _ => None,
        }
    }

    /// The insertion `(path, insertion)`, when the target is inserted.
    pub fn insertion(&self) -> Option<(&str, &Insertion)> {
        match &self.outcome {
            Outcome::Insert { path, insertion, .. } => Some((path, insertion)),
            _ => None,
        }
    }

    /// The file to create `(path, text)`, when the target is inserted as a file of its own.
    pub fn new_file(&self) -> Option<(&str, &str)> {
        match &self.outcome {
            Outcome::Insert { new_file: Some((path, text)), .. } => Some((path, text)),
            _ => None,
        }
    }
}

impl GuidePlan {
    /// Every finding of the guide and its targets, sorted (path, line, code).
    pub fn all_findings(&self) -> Vec<&Finding> {
        let mut all: Vec<&Finding> =
            self.findings.iter().chain(self.targets.iter().flat_map(|t| t.findings.iter())).collect();
        all.sort_by(|a, b| (&a.path, a.line, &a.code, &a.message).cmp(&(&b.path, b.line, &b.code, &b.message)));
        all
    }
}

/// Plans one guide against the book.
pub fn plan_guide(book: &Store, resolver: &mut Resolver, guide: Guide) -> GuidePlan {
    plan_guide_with(book, resolver, guide, None, &BTreeMap::new())
}

/// Plans one guide against the book, each target `texts` has a text for taking it as its
/// snippet ([`supplied::supply`]; the ids are checked with [`check_ids`] first), each target
/// of `chosen` (rank -> the candidate a reviewer chose, see [`chosen`]) at its chosen spot:
/// that candidate leads its candidates, the target is not marked for review, its text goes
/// there as a block (an in-place sentence edit only when the chosen spot is the edit's), and
/// a target whose file did not resolve, or resolved to a file the spot is not in, takes the
/// spot's file (method `chosen`).
pub fn plan_guide_with(
    book: &Store,
    resolver: &mut Resolver,
    mut guide: Guide,
    texts: Option<&Texts>,
    chosen: &BTreeMap<usize, Candidate>,
) -> GuidePlan {
    let ids = target_ids(&guide);
    let supplied = match texts {
        Some(texts) => supplied::supply(&mut guide, texts),
        None => vec![false; guide.targets.len()],
    };
    let mut findings = guide.findings.clone();
    let additions = crate::bookkeeping::bib_additions(book, &guide);
    findings.extend(check::citation_keys(book, &guide, &additions));
    let defined = book.typst_functions();
    let kf_text = guide.key_findings.as_ref().map(|k| k.main.join("\n")).unwrap_or_default();
    let contexts: Vec<(&Target, String)> =
        guide.targets.iter().map(|t| (t, crate::guide::target_context(t, &kf_text))).collect();
    let resolutions = resolver.resolve_guide(&contexts);
    // Per resolved file: how far the guide's line numbers for it went stale.
    let resolved_path = |r: &Resolution| match r {
        Resolution::Resolved(r) => Some(r.path.clone()),
        _ => None,
    };
    let mut shifts: BTreeMap<String, Option<place::LineShift>> = BTreeMap::new();
    for path in resolutions.iter().filter_map(resolved_path) {
        if let std::collections::btree_map::Entry::Vacant(slot) = shifts.entry(path) {
            let same: Vec<&Target> = contexts
                .iter()
                .zip(&resolutions)
                .filter(|(_, r)| resolved_path(r).as_deref() == Some(slot.key().as_str()))
                .map(|((t, _), _)| *t)
                .collect();
            let shift = place::line_shift(book, slot.key(), &same);
            slot.insert(shift);
        }
    }
    let mut targets = Vec::new();
    let w = &book.rules.scoring.place;
    for ((target, context), resolution) in contexts.iter().zip(resolutions) {
        let choice = chosen.get(&target.rank);
        let resolution = match choice {
            Some(c) if !resolved_path(&resolution).is_some_and(|p| book.closure(&p).contains(&c.path)) => {
                Resolution::Resolved(ResolvedTarget { path: c.path.clone(), method: "chosen", confidence: 1.0 })
            }
            _ => resolution,
        };
        let shift = resolved_path(&resolution).and_then(|p| shifts.get(&p).copied().flatten());
        // The target it says it shares a file with, placed before it.
        let follows = target
            .follows
            .and_then(|rank| targets.iter().find(|t: &&TargetPlan| t.target.rank == rank))
            .and_then(|t| t.candidates.first());
        let mut t = plan_target(
            book,
            resolution,
            &guide,
            target,
            context,
            &defined,
            place::Priors { shift, follows, adds_sections: guide.adds_sections, chosen: choice },
        );
        let k = targets.len();
        t.id = ids[k].clone();
        t.supplied = supplied[k];
        for f in t.findings.iter_mut().filter(|f| f.code == Code::SnippetMissing) {
            f.help = Some(format!(
                "add a fenced ```latex or ```typst snippet under the target, or supply its text with --texts as `{}`",
                t.id
            ));
        }
        let cal = &book.rules.scoring.calibration;
        t.probability = t.candidates.first().and_then(|c| cal.probability(c.score));
        let unlikely = t.probability.is_some_and(|p| p < cal.review_below);
        if let Some(best) = t.candidates.first().filter(|c| (c.score < w.review_below || unlikely) && choice.is_none())
        {
            t.review = true;
            let estimate = t.probability.map_or(String::new(), |p| format!(" (estimated {:.0}% right)", p * 100.0));
            if t.status() == Status::Insert {
                t.findings.push(
                    Finding::new(Code::PlacementLowConfidence, format!(
                            "{} target: the best insertion point ({}:{}) scores {:.2}{estimate}, below {:.2}: review it before applying",
                            describe_rank(target.rank),
                            best.path,
                            best.after_line,
                            best.score,
                            w.review_below
                        ),
                    )
                    .at(target.source.clone(), Some(target.line))
                    .help("add a section hint or a quoted anchor to the guide, or apply with --accept-low-confidence"),
                );
            }
        }
        targets.push(t);
    }
    // One unresolvable target among resolvable ones is a warning; all of them an error.
    let any_resolved = targets.iter().any(|t| t.resolved.is_some());
    for t in &mut targets {
        for f in &mut t.findings {
            if f.code == Code::TargetUnresolved {
                f.set_severity(if any_resolved { Severity::Warning } else { Severity::Error });
            }
        }
    }
    // A literature folder's README says whether its entries are in the bibliography.
    let own_folder = crate::bookkeeping::in_own_folder(&guide.path);
    let readme_path = format!("{}/README.md", crate::text::parent_dir(&guide.path));
    let readme = own_folder
        .then(|| book.base_text(&readme_path))
        .flatten()
        .and_then(|text| crate::bookkeeping::readme_status((&readme_path, &text), &guide, &additions));
    GuidePlan { guide, targets, findings, additions, readme }
}

fn plan_target(
    book: &Store,
    resolution: Resolution,
    guide: &Guide,
    target: &Target,
    context: &str,
    defined: &[String],
    priors: place::Priors,
) -> TargetPlan {
    let mut findings = Vec::new();
    let labels = target.snippet.as_ref().map(snippet_labels).unwrap_or_default();
    let title = target.snippet.as_ref().and_then(snippet_title);
    let mut plan = TargetPlan {
        id: String::new(),
        target: target.clone(),
        supplied: false,
        resolved: None,
        candidates: Vec::new(),
        labels: labels.clone(),
        title,
        outcome: Outcome::Skipped,
        findings: Vec::new(),
        review: false,
        integrated: Integration::pending(),
        probability: None,
    };
    let where_ = (target.source.as_str(), target.line);
    let rank = describe_rank(target.rank);
    if target.file_hint.is_none() && priors.chosen.is_none() {
        return plan;
    }
    if !resolution::take_resolution(book, resolution, target, context, priors, &mut plan, &mut findings) {
        // Content already in the book is found wherever it went.
        plan.integrated = integrated::judge_target(book, guide, target, (&plan.labels, plan.title.as_deref()), &[]);
        if plan.integrated.state == integrated::State::Applied {
            findings.push(integrated::already_integrated(&plan.integrated, target));
            plan.outcome = Outcome::AlreadyApplied;
        }
        plan.findings = findings;
        return plan;
    }
    let path = plan.resolved.as_ref().map(|r| r.path.clone()).unwrap_or_default();
    plan.candidates =
        place::rank_with(book, &path, target, &target.keys, context, book.rules.scoring.place.top, priors);
    if let Some(snippet) = target.snippet.as_ref().filter(|s| s.text.contains('\0')) {
        let line = snippet.line + snippet.text[..snippet.text.find('\0').unwrap_or(0)].matches('\n').count() + 1;
        let into = plan.candidates.first().map_or(path.as_str(), |c| c.path.as_str());
        findings.push(nul_finding(&format!("the {rank} target's snippet"), into).at(where_.0, Some(line)));
        plan.findings = findings;
        return plan;
    }
    // A spot the reviewer chose takes the text as a block, unless it is the sentence edit's.
    let edit_chosen =
        priors.chosen.is_none_or(|c| c.signals.iter().any(|s| matches!(s, place::Signal::Sentence { .. })));
    if let Some(mut edited) =
        edit_chosen.then(|| sentence_edit(book, &path, target, defined, &mut plan, &mut findings)).flatten()
    {
        edited.findings = findings;
        return edited;
    }
    let Some(best) = plan.candidates.first().cloned() else {
        findings.push(
            Finding::new(
                Code::NoInsertionPoint,
                format!("{rank} target: {path} has no place where text may be inserted"),
            )
            .at(where_.0, Some(where_.1)),
        );
        plan.findings = findings;
        return plan;
    };
    // Already applied: the snippet's label is in the target file (or its includes).
    let existing = check::existing_labels(book, &labels);
    let closure = book.closure(&path);
    let applied_here: Vec<&(String, String, usize)> = existing.iter().filter(|(_, p, _)| closure.contains(p)).collect();
    if target.replace && replace_outcome(book, guide, target, &applied_here, defined, &mut plan, &mut findings) {
        plan.findings = findings;
        return plan;
    }
    if already_in_book(book, guide, &applied_here, &closure, &mut plan, &mut findings) {
        plan.findings = findings;
        return plan;
    }
    for (label, p, line) in &existing {
        findings.push(
            Finding::new(
                Code::LabelCollision,
                format!("label `{label}` of the {rank} target's snippet is already defined at {p}:{line}"),
            )
            .at(where_.0, Some(where_.1))
            .help("rename the label in the guide's snippet"),
        );
    }
    let Some(snippet) = &target.snippet else {
        findings.push(
            Finding::new(
                Code::SnippetMissing,
                format!("{rank} target has no snippet; nothing is inserted into {path}"),
            )
            .at(where_.0, Some(where_.1))
            .help("add a fenced ```latex or ```typst snippet under the target"),
        );
        plan.outcome = Outcome::NeedsText(Box::new(needs_text::needs_text(book, guide, target, &best)));
        plan.findings = findings;
        return plan;
    };
    let snippet = &with_bibliography_case(book, snippet);
    let at = (&best, labels.as_slice(), plan.title.as_deref());
    if let Some(outcome) = rendered_outcome(book, guide, target, snippet, defined, at, &mut findings) {
        plan.outcome = outcome;
    }
    plan.findings = findings;
    plan
}

/// The snippet rendered into `best`'s markup and checked as it would be committed (the
/// renderer's findings, phrasing, undefined cross-references, Typst paths outside the book,
/// functions out of scope): the insertion, or `None` when an error finding (pushed onto
/// `findings`) blocks it or nothing is left to insert. `defined`: the book's Typst
/// functions; `at`: the best candidate, the snippet's labels and its title.
fn rendered_outcome(
    book: &Store,
    guide: &Guide,
    target: &Target,
    snippet: &crate::guide::Snippet,
    defined: &[String],
    at: (&Candidate, &[String], Option<&str>),
    findings: &mut Vec<Finding>,
) -> Option<Outcome> {
    let (best, labels, title) = at;
    let markup = Markup::from_path(&best.path).unwrap_or(Markup::Latex);
    let inserted_at = (target.source.as_str(), snippet.line);
    let rendered = render::render(snippet, markup, &book.rules.environments, defined, inserted_at);
    findings.extend(rendered.findings.iter().cloned());
    findings.extend(book.phrasing.check(&rendered.text, guide, inserted_at));
    // Labels the guide's other snippets define are inserted with this one.
    let guide_labels: Vec<String> =
        guide.targets.iter().filter_map(|t| t.snippet.as_ref()).flat_map(snippet_labels).collect();
    findings.extend(scope::undefined_references(book, markup, &rendered.text, &guide_labels, inserted_at));
    if markup == Markup::Typst {
        findings.extend(scope::paths_outside(book, &best.path, &rendered.text, inserted_at));
    }
    let blocked = findings.iter().any(|f| f.severity == Severity::Error);
    if blocked || rendered.text.is_empty() {
        return None;
    }
    let outcome = insert_outcome(book, best, markup, (labels.first().map(String::as_str), title), rendered.text);
    Some(reachable_calls(book, outcome, markup, defined, inserted_at, findings))
}

/// A snippet the guide says replaces what is there, whose label the target file (or one it
/// includes) already defines: the block carrying the label (its environment's lines) is
/// replaced by the rendered snippet, and that place leads the candidates. False, with
/// nothing changed, when no environment carries the label or it already reads as the
/// snippet (whitespace aside): the already-applied check then decides. True with the
/// target skipped when the rendered snippet has an error finding.
fn replace_outcome(
    book: &Store,
    guide: &Guide,
    target: &Target,
    applied: &[&(String, String, usize)],
    defined: &[String],
    plan: &mut TargetPlan,
    findings: &mut Vec<Finding>,
) -> bool {
    let Some(snippet) = &target.snippet else { return false };
    let found = applied.iter().find_map(|(label, p, _)| {
        let env = book.outline(p)?.envs.iter().find(|e| e.label.as_deref() == Some(label.as_str()))?.clone();
        Some((label.clone(), p.clone(), env))
    });
    let Some((label, path, env)) = found else { return false };
    let Some(text) = book.base_text(&path) else { return false };
    let old: Vec<&str> = text.lines().skip(env.start - 1).take(env.end + 1 - env.start).collect();
    let markup = Markup::from_path(&path).unwrap_or(Markup::Latex);
    let snippet = &with_bibliography_case(book, snippet);
    let rendered =
        render::render(snippet, markup, &book.rules.environments, defined, (target.source.as_str(), snippet.line));
    let words = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    if rendered.text.is_empty() || words(&old.join("\n")) == words(&rendered.text) {
        return false;
    }
    findings.extend(rendered.findings.iter().cloned());
    findings.extend(book.phrasing.check(&rendered.text, guide, (target.source.as_str(), snippet.line)));
    if findings.iter().any(|f| f.severity == Severity::Error) {
        return true;
    }
    let signals = vec![place::Signal::ReplacesLabeled { label, start: env.start, end: env.end }];
    let heading_path = place::heading_path_at(book, &path, env.start);
    let at = Candidate {
        path: path.clone(),
        after_line: env.start - 1,
        heading_path,
        score: 1.0,
        signals,
        cites_keys: vec![],
    };
    plan.candidates.insert(0, at);
    plan.candidates.truncate(book.rules.scoring.place.top.max(1));
    let replaces = env.end + 1 - env.start;
    let insertion = Insertion { after_line: env.start - 1, text: rendered.text, tight: true, replaces };
    plan.outcome = Outcome::Insert { path, insertion, new_file: None };
    true
}

/// `outcome` with the book's Typst functions its inserted text calls brought into scope
/// in the file it goes into ([`scope::in_scope`]); [`Outcome::Skipped`] when one cannot be.
/// A new file takes its siblings' imports already.
fn reachable_calls(
    book: &Store,
    outcome: Outcome,
    markup: Markup,
    defined: &[String],
    where_: (&str, usize),
    findings: &mut Vec<Finding>,
) -> Outcome {
    match outcome {
        Outcome::Insert { path, mut insertion, new_file: None } if markup == Markup::Typst => {
            let (text, found) = scope::in_scope(book, &path, insertion.after_line, insertion.text, defined, where_);
            let blocked = found.iter().any(|f| f.severity == Severity::Error);
            findings.extend(found);
            if blocked {
                return Outcome::Skipped;
            }
            insertion.text = text;
            Outcome::Insert { path, insertion, new_file: None }
        }
        other => other,
    }
}

/// The insertion of `text` (rendered in `markup`) at `best`: where the section keeps one
/// environment per file and the text is one environment, a new file named like its siblings
/// (`(label, title)` of the snippet name it) and its include line; else the text itself.
fn insert_outcome(
    book: &Store,
    best: &Candidate,
    markup: Markup,
    (label, title): (Option<&str>, Option<&str>),
    text: String,
) -> Outcome {
    // The snippet's own environment, when it is exactly one.
    let kind = (markup == Markup::Typst)
        .then(|| crate::outline::Outline::parse(Markup::Typst, &text))
        .filter(|o| o.envs.len() == 1 && o.headings.is_empty())
        .map(|o| book.rules.environments.canonical_of_macro(&o.envs[0].name));
    let site = kind.as_deref().and_then(|kind| place::new_file_site(book, best, Some(kind), label, title, &text));
    match site {
        Some(nf) => Outcome::Insert {
            path: nf.parent,
            insertion: Insertion { after_line: nf.after_line, text: nf.include, tight: true, replaces: 0 },
            new_file: Some((nf.path, nf.text)),
        },
        None => Outcome::Insert {
            path: best.path.clone(),
            insertion: Insertion { after_line: best.after_line, text, tight: false, replaces: 0 },
            new_file: None,
        },
    }
}

/// `text-nul`: `what` (text to be inserted into `path`) holds a NUL byte, which would make
/// git and every editor take the file for binary.
fn nul_finding(what: &str, path: &str) -> Finding {
    Finding::new(
        Code::TextNul,
        format!("{what} holds a NUL byte; inserted into {path} it would make the file binary, so nothing is inserted"),
    )
    .help("remove the NUL byte (an editor's \"show invisibles\" finds it) from the guide")
}

/// Leaves out of `plans` every target marked for review ([`TargetPlan::review`]) that would
/// change the book, each with a `placement-low-confidence` warning saying so (what `diff`
/// and `apply` do without `--accept-low-confidence`, so that the diff previews the commit).
/// Returns how many were left out.
pub fn leave_out_low_confidence(plans: &mut [GuidePlan]) -> usize {
    let mut left_out = 0;
    for t in plans.iter_mut().flat_map(|p| p.targets.iter_mut()).filter(|t| t.review && t.status() == Status::Insert) {
        t.outcome = Outcome::Skipped;
        left_out += 1;
        for f in t.findings.iter_mut().filter(|f| f.code == Code::PlacementLowConfidence) {
            f.set_severity(Severity::Warning);
            f.message = format!(
                "{}; left out (pass --accept-low-confidence to include it, or --pick / --at to choose the spot)",
                f.message.trim_end_matches(": review it before applying")
            );
        }
    }
    left_out
}

/// A target that edits an existing sentence (see [`crate::citation_edit`]): the plan with
/// the edit as its insertion and, first among the candidates, the spot before the edited
/// line; `None` when the target is not such an edit or its sentence is not found (then it
/// is placed as a block).
fn sentence_edit(
    book: &Store,
    path: &str,
    target: &Target,
    defined: &[String],
    plan: &mut TargetPlan,
    findings: &mut Vec<Finding>,
) -> Option<TargetPlan> {
    use crate::citation_edit as ce;
    let (anchor, near) = ce::quoted_sentence(target).or_else(|| ce::best_sentence(book, path, target))?;
    let sentence = ce::find(book, path, &anchor, near)?;
    let markup = Markup::from_path(&sentence.path).unwrap_or(Markup::Latex);
    let rendered = target.snippet.as_ref().map(|s| {
        let s = with_bibliography_case(book, s);
        render::render(&s, markup, &book.rules.environments, defined, (target.source.as_str(), s.line))
    });
    let kind = match ce::kind(target, &anchor, rendered.as_ref().map(|r| r.text.as_str()))? {
        // Keys as the bibliography spells them (a case-only difference is a warning elsewhere).
        ce::SentenceEdit::AddKeys(keys) => ce::SentenceEdit::AddKeys(
            keys.into_iter()
                .map(|k| match book.bib.status(&k) {
                    crate::bib::KeyStatus::CaseMismatch(actual) => actual,
                    _ => k,
                })
                .collect(),
        ),
        other => other,
    };
    let text = book.base_text(&sentence.path)?;
    let lines: Vec<&str> = text.lines().collect();
    let span = lines.get(sentence.first - 1..sentence.last)?.join("\n");
    let what = match &kind {
        ce::SentenceEdit::AddKeys(keys) => format!("{} added to it", keys.join(", ")),
        ce::SentenceEdit::Rewrite(_) => "rewritten as the guide gives it".into(),
        ce::SentenceEdit::Append(_) => "the guide's sentence follows it".into(),
    };
    let candidate = place::Candidate {
        path: sentence.path.clone(),
        after_line: sentence.first - 1,
        heading_path: place::heading_path_at(book, &sentence.path, sentence.first),
        // The quoted sentence is the strongest evidence there is: above every other spot.
        score: plan
            .candidates
            .first()
            .map_or(0.0, |c| c.score)
            .max(place::confidence(book.rules.scoring.place.anchor_text, book.rules.scoring.place.score_half)),
        signals: vec![place::Signal::Sentence {
            anchor: anchor.to_string(),
            found: sentence.first,
            guide_line: near,
            edit: what,
        }],
        cites_keys: Vec::new(),
    };
    // The same quoted text as a paragraph anchor is the same evidence: the edit replaces it.
    plan.candidates.retain(|c| {
        let same_spot = c.path == candidate.path && c.after_line == candidate.after_line;
        !same_spot && !c.signals.iter().any(|s| s.is_anchor_text(&anchor))
    });
    plan.candidates.insert(0, candidate);
    plan.candidates.truncate(book.rules.scoring.place.top);
    if let Some(r) = &rendered {
        findings.extend(r.findings.iter().cloned());
    }
    // Already applied: the sentence cites every key the edit adds.
    let keys = match &kind {
        ce::SentenceEdit::AddKeys(keys) => keys.clone(),
        _ => target.snippet.as_ref().map(|s| crate::guide::keys_in_snippet(&s.text)).unwrap_or_default(),
    };
    let mut out = plan.clone();
    let cites = |k: &str| {
        span.match_indices(k).any(|(at, _)| {
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            !word(span[..at].chars().next_back()) && !word(span[at + k.len()..].chars().next())
        })
    };
    if !keys.is_empty() && keys.iter().all(|k| cites(k)) {
        findings.push(
            Finding::new(
                Code::AlreadyApplied,
                format!(
                    "{} target is already applied: the sentence at {}:{} cites {}",
                    describe_rank(target.rank),
                    sentence.path,
                    sentence.first,
                    keys.join(", ")
                ),
            )
            .at(target.source.clone(), Some(target.line)),
        );
        out.outcome = Outcome::AlreadyApplied;
        return Some(out);
    }
    if findings.iter().any(|f| f.severity == Severity::Error) {
        return Some(out);
    }
    let cite = |keys: &[String]| ce::citation(markup, keys);
    out.outcome = Outcome::Insert {
        path: sentence.path.clone(),
        insertion: ce::apply(&text, &sentence, &kind, &cite),
        new_file: None,
    };
    Some(out)
}

/// The snippet with each citation key that matches a bibliography entry only when letter
/// case is ignored written as the bibliography spells it (never a duplicate entry).
fn with_bibliography_case(book: &Store, snippet: &crate::guide::Snippet) -> crate::guide::Snippet {
    let mut out = snippet.clone();
    for key in crate::guide::keys_in_snippet(&snippet.text) {
        if let crate::bib::KeyStatus::CaseMismatch(actual) = book.bib.status(&key) {
            let re = regex::Regex::new(&format!(r"(^|[^A-Za-z0-9_]){}($|[^A-Za-z0-9_])", regex::escape(&key))).unwrap();
            // Twice: adjacent matches share their boundary character.
            for _ in 0..2 {
                out.text = re.replace_all(&out.text, format!("${{1}}{actual}${{2}}")).into_owned();
            }
        }
    }
    out
}

/// Whether the target's content is in the book already: its label in the target file (or
/// one it includes, `applied_here`: the tool's own insertion, `already-applied`), or found
/// by [`integrated::judge_target`] (`already-integrated`). True with the outcome set when
/// it is; a partly integrated target gets its `partly-integrated` finding and goes on.
fn already_in_book(
    book: &Store,
    guide: &Guide,
    applied_here: &[&(String, String, usize)],
    closure: &[String],
    plan: &mut TargetPlan,
    findings: &mut Vec<Finding>,
) -> bool {
    let target = &plan.target;
    let where_ = (target.source.clone(), target.line);
    if let Some((l, p, line)) = applied_here.first() {
        findings.push(
            Finding::new(
                Code::AlreadyApplied,
                format!(
                    "{} target is already applied: label `{l}` is already defined at {p}:{line}",
                    describe_rank(target.rank)
                ),
            )
            .at(where_.0, Some(where_.1)),
        );
        plan.outcome = Outcome::AlreadyApplied;
        return true;
    }
    plan.integrated = integrated::judge_target(book, guide, target, (&plan.labels, plan.title.as_deref()), closure);
    match plan.integrated.state {
        integrated::State::Applied => {
            findings.push(integrated::already_integrated(&plan.integrated, target));
            plan.outcome = Outcome::AlreadyApplied;
            true
        }
        integrated::State::Partly => {
            findings.push(integrated::partly_integrated(&plan.integrated, target));
            false
        }
        integrated::State::Pending => false,
    }
}

/// `label-collision` within one run: two planned insertions that define the same label.
/// The later one is not inserted.
pub fn refuse_clashing_labels(plans: &mut [GuidePlan]) {
    let mut first: BTreeMap<String, String> = BTreeMap::new();
    for plan in plans.iter_mut() {
        let guide = plan.guide.path.clone();
        for t in plan.targets.iter_mut().filter(|t| t.status() == Status::Insert) {
            let clash = t.labels.iter().find(|l| first.contains_key(*l)).cloned();
            match clash {
                Some(label) => {
                    let rank = describe_rank(t.target.rank);
                    t.findings.push(
                        Finding::new(
                            Code::LabelCollision,
                            format!(
                                "label `{label}` of the {rank} target's snippet is also inserted by {}",
                                first[&label]
                            ),
                        )
                        .at(t.target.source.clone(), Some(t.target.line))
                        .help("rename one of the labels"),
                    );
                    t.outcome = Outcome::Skipped;
                }
                None => {
                    for l in &t.labels {
                        first.insert(l.clone(), format!("{guide}:{}", t.target.line));
                    }
                }
            }
        }
    }
}
