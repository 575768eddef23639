//! Whether a target's content is already in the book, even as rewritten since: another
//! label, paraphrased sentences, a LaTeX block ported to Typst.
//!
//! The evidence is read from the store's indexes, never by a scan of the book per target:
//! the sites where the book cites the target's own citation keys ([`CitationIndex`]) and
//! where it defines the snippet's labels, in either markup's form ([`LabelForms`]). Each
//! site is read as a block (the environment holding it, else its paragraph) and the block
//! is compared with the snippet (or, for a target without one, the key findings): the share
//! of their content terms they have in common ([`says`]), the environment kind, and the
//! title. Weighed together ([`judge`]):
//! - **applied**: a block carries the snippet's own label and says some of what it says,
//!   or a block of the target's chapter cites every one of the target's own keys and says
//!   what the snippet says (`[integrated]` in `rules/scoring.toml`);
//! - **partly**: weaker evidence (a key cited with less said, a label alone, a title):
//!   reported, and the target is still inserted;
//! - **pending**: nothing of it found.
//!
//! What it leaves out: whether the book's text is right, and sentence edits (a target that
//! adds a key to a sentence is judged by `crate::citation_edit`).

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

use crate::finding::{Code, Finding};
use crate::guide::{describe_rank, Guide, Target};
use crate::rules::IntegratedRules;
use crate::store::{loose_label, Store};
use crate::text;

/// How much of a target's content the book already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Nothing of it is found.
    Pending,
    /// Some evidence: reported, still inserted.
    Partly,
    /// The book says it already (strong evidence): not inserted again.
    Applied,
}

impl State {
    /// The state as JSON writes it: `applied`, `partly`, `pending`.
    pub fn code(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Partly => "partly",
            State::Pending => "pending",
        }
    }
}

/// One piece of evidence, at a block of the book (`path`, 1-based `line` of its first line).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Evidence {
    /// The block defines the snippet's label `label` (as `found` writes it: the same name or
    /// its other markup's form, [`loose_label`]).
    OwnLabel { label: String, found: String, path: String, line: usize },
    /// The block cites these of the target's citation keys; `in_target`: it is in the
    /// target's file or one it includes.
    KeysCited { keys: Vec<String>, path: String, line: usize, in_target: bool },
    /// The block holds `share` (in `[0, 1]`) of the snippet's content terms ([`says`]).
    Says { share: f64, path: String, line: usize },
    /// The block's environment title or enclosing heading matches the snippet's title.
    Title { title: String, path: String, line: usize },
    /// The block is an environment of the snippet's kind (`hypothesis`, ...).
    SameEnvironment { name: String, path: String, line: usize },
}

/// A block of the book: its file and 1-based first line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Site {
    /// Book path.
    pub path: String,
    /// 1-based first line of the block.
    pub line: usize,
}

/// The judgement of one target: its state, the block that says it (`place`), the evidence
/// there, and for `partly` what is missing.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Integration {
    /// Applied, partly, pending.
    pub state: State,
    /// The block that says it best, when any evidence was found.
    pub place: Option<Site>,
    /// The evidence at that block.
    pub evidence: Vec<Evidence>,
    /// What the book does not hold yet (for `partly`), as sentences.
    pub missing: Vec<String>,
}

impl Integration {
    /// No evidence.
    pub fn pending() -> Self {
        Integration { state: State::Pending, place: None, evidence: Vec::new(), missing: Vec::new() }
    }

    /// The evidence as words, for findings and the review summary (`; `-joined).
    pub fn describe(&self) -> String {
        let mut out = Vec::new();
        for e in &self.evidence {
            out.push(match e {
                Evidence::OwnLabel { label, found, .. } if label == found => format!("it defines the label `{label}`"),
                Evidence::OwnLabel { label, found, .. } => format!("it defines `{found}` (the label `{label}`)"),
                Evidence::KeysCited { keys, .. } => format!("it cites {}", keys.join(", ")),
                Evidence::Says { share, .. } => format!("it holds {:.0}% of the snippet's terms", share * 100.0),
                Evidence::Title { title, .. } => format!("its title matches \"{title}\""),
                Evidence::SameEnvironment { name, .. } => format!("it is a {name} environment"),
            });
        }
        out.join("; ")
    }
}

/// What is judged of one target.
pub struct Content<'a> {
    /// The snippet as the guide writes it, else the key findings.
    pub text: &'a str,
    /// Labels the snippet defines.
    pub labels: &'a [String],
    /// The snippet's environment title.
    pub title: Option<&'a str>,
    /// The target's own citation keys: those of the paper(s) the guide is about that the
    /// snippet cites (not the keys it quotes from the book around them), else the target's.
    pub keys: &'a [String],
    /// The canonical environment kind the guide asks for.
    pub environment: Option<&'a str>,
    /// The target file and those it includes (empty when unresolved).
    pub target_files: &'a [String],
}

/// A block of the book read around one or more sites.
#[derive(Debug, Default)]
struct Block {
    /// Keys of the target cited in it.
    keys: BTreeSet<String>,
    /// `(label, found)` of a snippet label it defines.
    label: Option<(String, String)>,
    /// The canonical kind of the environment it is, if it is one.
    env: Option<String>,
    /// Last 1-based line.
    end: usize,
}

/// A site of the book: `(path, 1-based line, the key cited there, (label, found) defined
/// there)`.
type SiteOf<'a> = (String, usize, Option<&'a str>, Option<(String, String)>);

/// Judges whether `c`'s content is in `book` (see the module header for the rules).
pub fn judge(book: &Store, c: &Content) -> Integration {
    let rules = &book.rules.scoring.integrated;
    if c.keys.is_empty() && c.labels.is_empty() {
        return Integration::pending();
    }
    let skip = book.config.book.annotated_bibliography.as_deref();
    let in_target = |p: &str| c.target_files.iter().any(|f| f == p);
    // Sites: (path, line) -> what is there.
    let mut sites: Vec<SiteOf> = Vec::new();
    if !c.labels.is_empty() {
        let forms = book.label_forms();
        for label in c.labels {
            for found in forms.0.get(&loose_label(label)).into_iter().flatten() {
                for (p, line) in book.find_label(found) {
                    sites.push((p, line, None, Some((label.clone(), found.clone()))));
                }
            }
        }
    }
    if !c.keys.is_empty() {
        let index = book.citations();
        for key in c.keys {
            let mut at: Vec<&(String, usize)> = index.sites(key).iter().collect();
            // The target's chapter first (a stable sort keeps path and line order).
            at.sort_by_key(|(p, _)| !in_target(p));
            for (p, line) in at.into_iter().take(rules.sites_per_key) {
                sites.push((p.clone(), *line, Some(key.as_str()), None));
            }
        }
    }
    sites.retain(|(p, ..)| Some(p.as_str()) != skip);
    if sites.is_empty() {
        return Integration::pending();
    }
    let mut blocks: BTreeMap<(String, usize), Block> = BTreeMap::new();
    // Each file's lines, split once however many sites it has.
    let mut texts: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (path, line, key, label) in sites {
        if !texts.contains_key(&path) {
            let Some(body) = book.sources.get(&path) else { continue };
            texts.insert(path.clone(), body.lines().collect());
        }
        let Some((start, end, env)) = block_at(book, (&path, &texts[&path]), line, rules) else { continue };
        let b = blocks.entry((path, start)).or_default();
        b.end = b.end.max(end);
        b.env = b.env.take().or(env);
        if let Some(k) = key {
            b.keys.insert(k.to_string());
        }
        if label.is_some() && b.label.is_none() {
            b.label = label;
        }
    }
    let wanted = content_terms(c.text, c.keys);
    let title_terms = c.title.map(text::title_terms).unwrap_or_default();
    let mut best: Option<(State, f64, Integration)> = None;
    for ((path, start), b) in &blocks {
        let Some(body) = texts.get(path) else { continue };
        let lines = body.get(start - 1..b.end.min(body.len())).unwrap_or_default();
        let terms = content_terms(&lines.join("\n"), c.keys);
        let share = says(&wanted, &terms);
        // Too few terms in common tell nothing, whatever the share (a one-sentence snippet).
        let share_told = if wanted.intersection(&terms).count() >= rules.says_terms { share } else { 0.0 };
        let titled = !title_terms.is_empty()
            && block_titles(book, path, *start, b.end)
                .iter()
                .any(|t| text::dice(&title_terms, &text::title_terms(t)) >= rules.title);
        let same_env = b.env.is_some() && b.env.as_deref() == c.environment;
        let all_keys = c.keys.iter().all(|k| b.keys.contains(k));
        let state = weigh(rules, b, (share, share_told), titled, (all_keys, in_target(path)));
        let mut evidence = Vec::new();
        if let Some((label, found)) = &b.label {
            evidence.push(Evidence::OwnLabel {
                label: label.clone(),
                found: found.clone(),
                path: path.clone(),
                line: *start,
            });
        }
        if !b.keys.is_empty() {
            let keys = b.keys.iter().cloned().collect();
            evidence.push(Evidence::KeysCited { keys, path: path.clone(), line: *start, in_target: in_target(path) });
        }
        evidence.push(Evidence::Says { share: (share * 1000.0).round() / 1000.0, path: path.clone(), line: *start });
        if titled {
            evidence.push(Evidence::Title {
                title: c.title.unwrap_or_default().to_string(),
                path: path.clone(),
                line: *start,
            });
        }
        if same_env {
            evidence.push(Evidence::SameEnvironment {
                name: b.env.clone().unwrap_or_default(),
                path: path.clone(),
                line: *start,
            });
        }
        // The strongest state wins; among equals the block saying the most, then the one in
        // the target's chapter (the map's order breaks the rest).
        let rank = share + if in_target(path) { 0.001 } else { 0.0 };
        if best.as_ref().is_none_or(|(s, r, _)| (state, rank) > (*s, *r)) {
            let missing = if state == State::Partly { missing(rules, c, b, share) } else { Vec::new() };
            let found =
                Integration { state, place: Some(Site { path: path.clone(), line: *start }), evidence, missing };
            best = Some((state, rank, found));
        }
    }
    match best {
        Some((State::Pending, ..)) | None => Integration::pending(),
        Some((_, _, found)) => found,
    }
}

/// The state one block gives (see the module header): a label counts for `applied` as
/// written, or in its other form ([`loose_label`]) in the target's chapter; keys count only when
/// the block cites every one of the target's own keys and is in the target's chapter
/// (`in_target`); the same finding said in another chapter is at most `partly`, as
/// maintainers restate a finding where each chapter needs it.
///
/// `(share, told)`: what the block says ([`says`]), and the same when the block and the
/// snippet have at least `says_terms` terms in common, else 0 (what keys need for `applied`).
fn weigh(
    rules: &IntegratedRules,
    b: &Block,
    (share, told): (f64, f64),
    titled: bool,
    (all_keys, in_target): (bool, bool),
) -> State {
    let cited = !b.keys.is_empty();
    let labelled = b.label.is_some();
    // The label itself, or its other form in the target's chapter: a label that matches only
    // loosely elsewhere may name a block written alike and is weaker.
    let own_label = b.label.as_ref().is_some_and(|(label, found)| label == found || in_target);
    if (own_label && (share >= rules.says_own_label || titled)) || (all_keys && in_target && told >= rules.says) {
        State::Applied
    } else if labelled || ((cited || titled) && share >= rules.partly) {
        State::Partly
    } else {
        State::Pending
    }
}

/// What a partly integrated target lacks at its best block, as sentences.
fn missing(rules: &IntegratedRules, c: &Content, b: &Block, share: f64) -> Vec<String> {
    let mut out = Vec::new();
    let uncited: Vec<&String> = c.keys.iter().filter(|k| !b.keys.contains(*k)).collect();
    if !uncited.is_empty() {
        out.push(format!("{} not cited there", uncited.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")));
    }
    let need = if b.label.is_some() { rules.says_own_label } else { rules.says };
    if share < need {
        out.push(format!(
            "the text there holds {:.0}% of the snippet's terms ({:.0}% would say it)",
            share * 100.0,
            need * 100.0
        ));
    }
    if b.label.is_none() && !c.labels.is_empty() {
        out.push(format!("the label{} {} not defined", if c.labels.len() > 1 { "s" } else { "" }, c.labels.join(", ")));
    }
    out
}

/// The block around 1-based `line` of `path` (whose `lines` are given): `(first, last, environment kind)` of the
/// top-level environment holding it (at most `block_lines` long), else of its paragraph
/// (the lines up to a blank line or a heading, at most `block_lines / 2` either way).
fn block_at(
    book: &Store,
    (path, lines): (&str, &[&str]),
    line: usize,
    rules: &IntegratedRules,
) -> Option<(usize, usize, Option<String>)> {
    let outline = book.outline(path)?;
    if let Some(e) =
        outline.envs.iter().find(|e| e.start <= line && line <= e.end && e.end - e.start < rules.block_lines)
    {
        return Some((e.start, e.end, Some(book.rules.environments.canonical_of_macro(&e.name))));
    }
    let heading = |l: usize| outline.headings.iter().any(|h| h.line == l);
    let stop = |l: usize| lines.get(l - 1).is_none_or(|t| t.trim().is_empty()) || heading(l);
    let half = (rules.block_lines / 2).max(1);
    let (mut first, mut last) = (line, line);
    while first > 1 && line - first < half && !stop(first - 1) {
        first -= 1;
    }
    while last < lines.len() && last - line < half && !stop(last + 1) {
        last += 1;
    }
    Some((first, last, None))
}

/// The titles a block goes by: the titles of the environments inside it and the heading
/// right above it.
fn block_titles(book: &Store, path: &str, first: usize, last: usize) -> Vec<String> {
    let Some(o) = book.outline(path) else { return Vec::new() };
    let mut out: Vec<String> =
        o.envs.iter().filter(|e| e.start >= first && e.start <= last).filter_map(|e| e.title.clone()).collect();
    out.extend(o.headings.iter().rfind(|h| h.line <= last).map(|h| h.title.clone()));
    out
}

/// The content terms of `text` as a set: [`text::terms`] of its prose, with markup
/// (commands, function calls, labels, references, citations) and the citation keys left
/// out, so LaTeX and Typst writings of one block have the same terms.
pub fn content_terms(text: &str, keys: &[String]) -> BTreeSet<String> {
    static MARKUP: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let markup = MARKUP.get_or_init(|| {
        Regex::new(concat!(
            r"\\(?:label|ref|cref|Cref|eqref|autoref|[A-Za-z]*cite[A-Za-z]*|begin|end|input|include)\*?(?:\[[^\]]*\])*\{[^}]*\}",
            r"|\\[A-Za-z]+\*?|#[A-Za-z][A-Za-z0-9_-]*|<[A-Za-z][^<>\s]*>|@[A-Za-z][A-Za-z0-9_:.\-/+]*",
            r"|\b(?:title|label|supplement|kind):"
        ))
        .expect("valid pattern")
    });
    let prose = markup.replace_all(text, " ");
    let keys: BTreeSet<String> = keys.iter().map(|k| k.to_lowercase()).collect();
    text::terms(&prose).into_iter().filter(|t| !keys.contains(t)).collect()
}

/// How much of `wanted` (the snippet's content terms) `found` (a block's) says: the share
/// of their common terms in the smaller of the two, the block counted as at least 12 terms
/// (a one-line mention is no restatement). A block that holds the snippet scores 1, one
/// that condenses it to its own few sentences scores by how much of those sentences come
/// from it; 0 when `wanted` is empty.
pub fn says(wanted: &BTreeSet<String>, found: &BTreeSet<String>) -> f64 {
    const MIN_BLOCK_TERMS: usize = 12;
    if wanted.is_empty() {
        return 0.0;
    }
    let common = wanted.intersection(found).count();
    common as f64 / wanted.len().min(found.len().max(MIN_BLOCK_TERMS)) as f64
}

/// Judges `target` against the book ([`judge`]): its snippet (else the guide's
/// key findings), labels, title, own citation keys and environment, `files` being the
/// target file and those it includes.
///
/// `(labels, title)` are the snippet's.
pub fn judge_target(
    book: &Store,
    guide: &Guide,
    target: &Target,
    (labels, title): (&[String], Option<&str>),
    files: &[String],
) -> Integration {
    // Without a snippet, what the target is about: its hints, rationale and the key findings.
    let kf_text = guide.key_findings.as_ref().map(|k| k.main.join("\n")).unwrap_or_default();
    let about = crate::guide::target_context(target, &kf_text);
    let text = target.snippet.as_ref().map_or(about.as_str(), |s| s.text.as_str());
    // The target's own keys: the guide's papers as the snippet cites them; a key the snippet
    // quotes from the book's text around them is no evidence that the paper is in.
    let cited = target.snippet.as_ref().map(|s| crate::guide::keys_in_snippet(&s.text)).unwrap_or_default();
    let own = |k: &String| target.keys.iter().any(|t| t.eq_ignore_ascii_case(k));
    let mut keys: Vec<String> = cited.iter().filter(|k| own(k)).cloned().collect();
    if keys.is_empty() {
        keys = if target.keys.is_empty() { cited } else { target.keys.clone() };
    }
    // As the book cites them: a key the bibliography spells in another letter case.
    for k in &mut keys {
        if let crate::bib::KeyStatus::CaseMismatch(actual) = book.bib.status(k) {
            *k = actual;
        }
    }
    let content =
        Content { text, labels, title, keys: &keys, environment: target.environment.as_deref(), target_files: files };
    judge(book, &content)
}

/// `already-integrated`: the target's content is in the book at the judged place.
pub fn already_integrated(found: &Integration, target: &Target) -> Finding {
    let place = found.place.as_ref().map_or(String::new(), |p| format!(" at {}:{}", p.path, p.line));
    Finding::new(
        Code::AlreadyIntegrated,
        format!(
            "{} target is already integrated{place}: {}; nothing is inserted",
            describe_rank(target.rank),
            found.describe()
        ),
    )
    .at(target.source.clone(), Some(target.line))
    .help("nothing to do; if the book's block says something else, give the snippet a label of its own")
}

/// `partly-integrated`: some of the target's content is in the book; it is still inserted.
pub fn partly_integrated(found: &Integration, target: &Target) -> Finding {
    let place = found.place.as_ref().map_or(String::new(), |p| format!(" at {}:{}", p.path, p.line));
    Finding::new(
        Code::PartlyIntegrated,
        format!(
            "{} target is partly integrated{place} ({}); missing: {}; its snippet is still inserted",
            describe_rank(target.rank),
            found.describe(),
            found.missing.join("; ")
        ),
    )
    .at(target.source.clone(), Some(target.line))
    .help("review the diff beside that block: drop the snippet if the book says it already")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_keys_are_no_content_terms() {
        let latex = content_terms(
            "\\begin{hypothesis}[Slow Clearance]\\label{hyp:x}\nClearance falls by 40 percent \\cite{Doe2020}.\n\\end{hypothesis}",
            &["Doe2020".into()],
        );
        let typst = content_terms(
            "#hypothesis(title: [Slow Clearance])[\nClearance falls by 40 percent @Doe2020.\n] <hyp-x>",
            &["Doe2020".into()],
        );
        assert_eq!(latex, typst);
        assert!(latex.contains("clearance") && latex.contains("40"), "{latex:?}");
        assert!(!latex.contains("doe2020") && !latex.contains("hypothesi"), "{latex:?}");
    }

    #[test]
    fn says_counts_the_smaller_side_with_a_floor() {
        let set = |s: &str| s.split(' ').map(String::from).collect::<BTreeSet<_>>();
        let wanted = set("a b c d e f g h i j k l m n o p q r s t");
        assert!((says(&wanted, &wanted) - 1.0).abs() < 1e-9);
        // A short block of 3 terms all from the snippet counts against the floor of 12.
        assert!((says(&wanted, &set("a b c")) - 3.0 / 12.0).abs() < 1e-9);
        assert_eq!(says(&BTreeSet::new(), &wanted), 0.0);
    }
}
