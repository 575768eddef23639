//! Ranked insertion points: ([`Book`], target, guide context) -> [`Candidate`]s.
//!
//! Every section of the resolved file and of the files it includes is a candidate; its
//! insertion point is the end of the section's own text (before its first subsection or
//! include), moved up out of any environment, code, comment, math or table. Signals, each
//! in `[0, 1]` and weighted by `rules/scoring.toml`: the section hints against the heading
//! title (label anchors exactly), BM25 relevance of the snippet and key findings against
//! the section text, sections already citing the guide's keys, and sections holding
//! environments of the same kind. Every signal that contributes is given as a reason.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use crate::book::Book;
use crate::guide::Target;
use crate::relevance::Bm25;
use crate::text::{dice_of_sets, terms, words};

mod signal;

pub use signal::Signal;

/// One ranked insertion point.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Candidate {
    /// File that receives the text, relative to the book root.
    pub path: String,
    /// 1-based line of that file after which the text goes.
    pub after_line: usize,
    /// Headings from the chapter down to the one enclosing the insertion point.
    pub heading_path: Vec<String>,
    /// The weighted sum of the signals as a score in `[0, 1]` (see [`confidence`]).
    pub score: f64,
    /// Why: one typed signal per contributing signal, printed as `reasons[]` (its words).
    #[serde(rename = "reasons", serialize_with = "signal::as_reasons")]
    pub signals: Vec<Signal>,
    /// The section already cites one of the guide's citation keys.
    #[serde(skip)]
    pub cites_keys: Vec<String>,
}

impl Candidate {
    /// The reasons a reviewer reads: each signal in words, in order.
    pub fn reasons(&self) -> Vec<String> {
        self.signals.iter().map(ToString::to_string).collect()
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Section {
    path: String,
    heading_path: Vec<String>,
    title: String,
    label: Option<String>,
    /// 1-based first and last line of the section's own text (heading included).
    first: usize,
    last: usize,
    after_line: usize,
    /// The last line of the section's subsections too: where a new section after them goes.
    subtree_after: usize,
    /// The section's number within its chapter (`[3, 2]` for 3.2); empty when unnumbered.
    number: Vec<u32>,
    /// The section's own text: 1-based line ranges of `path` (comments and skipped blocks
    /// left out).
    text: Vec<(usize, usize)>,
    /// Files without headings that the section includes (their whole text is its text).
    included: Vec<String>,
    cites: Vec<String>,
    envs: Vec<String>,
}

/// The sections of a resolved file (and the files it includes) with their BM25 index:
/// built once per file and shared by every target placed there.
pub struct SectionIndex {
    sections: Vec<Section>,
    bm25: Bm25,
    /// Per section: its title and each heading of its path, tokenized.
    forms: Vec<(Arc<TitleForm>, Vec<Arc<TitleForm>>)>,
}

/// A paper's subject matching more section titles than this says nothing about which one.
const SUBJECT_SECTIONS: usize = 3;

/// A hint's title this similar to a heading names that section nearly exactly: enough for
/// its subsections to compete under `hint_parent`, and for a line number beside the title
/// to be that section's line.
const NAMES_SECTION: f64 = 0.85;

/// How many resolved files' [`SectionIndex`] the book keeps.
const SECTION_CACHE: usize = 32;

/// A [`SectionIndex`] as the snapshot keeps it: no rules' weights, no title forms.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredSectionIndex {
    sections: Vec<Section>,
    bm25: crate::relevance::Bm25Parts,
}

/// The [`SectionIndex`] of `path`, from the book's cache, read from its snapshot, or built
/// now.
fn section_index(book: &Book, path: &str) -> std::sync::Arc<SectionIndex> {
    // Uses are stamped with a running count: the least recently used index goes first.
    let stamp = crate::book::lock(&book.sections).values().map(|(_, s)| *s).max().unwrap_or(0) + 1;
    if let Some((i, used)) = crate::book::lock(&book.sections).get_mut(path) {
        *used = stamp;
        return i.clone();
    }
    let w = &book.rules.scoring.place;
    let stored =
        book.stored_section_index(path).and_then(|bytes| postcard::from_bytes::<StoredSectionIndex>(bytes).ok());
    let (sections, bm25) = match stored
        .and_then(|s| Some(s.sections).zip(Bm25::from_parts(s.bm25, w.bm25_k1, w.bm25_b)))
        .filter(|(sections, bm25)| sections.len() == bm25.len())
    {
        Some(read) => read,
        None => {
            let (sections, bm25) = build_section_index(book, path);
            // Encoded as the fields of a StoredSectionIndex, in order.
            book.keep_section_index(path, || postcard::to_allocvec(&(&sections, bm25.parts())).ok());
            (sections, bm25)
        }
    };
    // Each distinct title tokenized once: sections share the headings above them.
    let mut seen: HashMap<String, Arc<TitleForm>> = HashMap::new();
    let mut form = |t: &String| seen.entry(t.clone()).or_insert_with(|| Arc::new(TitleForm::new(t))).clone();
    let forms = sections.iter().map(|s| (form(&s.title), s.heading_path.iter().map(&mut form).collect())).collect();
    let index = std::sync::Arc::new(SectionIndex { sections, bm25, forms });
    let mut cache = crate::book::lock(&book.sections);
    // Bounded: a whole-book check resolves to hundreds of files; the targets of one guide
    // reuse a few.
    if cache.len() >= SECTION_CACHE {
        if let Some(oldest) = cache.iter().min_by_key(|(_, (_, used))| *used).map(|(p, _)| p.clone()) {
            cache.remove(&oldest);
        }
    }
    cache.insert(path.to_string(), (index.clone(), stamp));
    index
}

/// The sections of `path` ([`sections_of`]) and their BM25 index.
fn build_section_index(book: &Book, path: &str) -> (Vec<Section>, Bm25) {
    let w = &book.rules.scoring.place;
    let sections = sections_of(book, path);
    // The whole book's terms when they are tokenized already; else just these files'.
    let terms = book.terms_if_built().unwrap_or_else(|| {
        let files: Vec<(&str, &str)> = book
            .closure(path)
            .into_iter()
            .filter_map(|f| book.sources.get_key_value(&f).map(|(p, t)| (p.as_str(), t.as_str())))
            .collect();
        std::sync::Arc::new(crate::relevance::BookTerms::build(&files))
    });
    let mut counter = crate::relevance::Counter::new(terms.vocab.len());
    let docs: Vec<Vec<(u32, u32)>> = sections
        .iter()
        .map(|s| {
            // Heading titles weigh above body text: counted three times.
            let title: Vec<u32> = crate::text::terms(&s.title).iter().filter_map(|t| terms.vocab.id(t)).collect();
            counter.add(&title, 3);
            for &(a, b) in &s.text {
                counter.add(terms.lines(&s.path, a, b), 1);
            }
            for f in &s.included {
                counter.add(terms.file(f), 1);
            }
            counter.take()
        })
        .collect();
    let bm25 = Bm25::from_ids(docs, terms.vocab.clone(), w.bm25_k1, w.bm25_b);
    (sections, bm25)
}

/// Ranks the insertion points for `target` in `path` and the files it includes.
/// `keys` are the guide's citation keys; `context` the snippet, rationale and key findings.
/// Returns the best `limit` candidates, best first (ties broken by path, then line).
pub fn rank(book: &Book, path: &str, target: &Target, keys: &[String], context: &str, limit: usize) -> Vec<Candidate> {
    rank_with(book, path, target, keys, context, limit, Priors::default())
}

/// What a guide's other targets say about one target's spot.
#[derive(Debug, Clone, Copy, Default)]
pub struct Priors<'a> {
    /// How far the guide's line numbers for the file went stale ([`line_shift`]).
    pub shift: Option<LineShift>,
    /// The best insertion point of the target this one says it shares a file with (`Same
    /// file — X`, `**File:** Same as above`; [`Target::follows`]).
    pub follows: Option<&'a Candidate>,
    /// The guide says it adds sections ([`crate::guide::Guide::adds_sections`]).
    pub adds_sections: bool,
}

/// How far a guide's line numbers for one file are off today's file, measured on the
/// quoted anchors next to them that are found in it (`after line 1333 ("X")` with "X" now at
/// line 921: -412).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineShift {
    /// Lines to add to the guide's line numbers (negative when the file shrank above them).
    pub by: i64,
    /// How many found anchors agree on it (2 at least).
    pub anchors: usize,
}

/// Most lines the anchors measuring one [`LineShift`] may disagree by.
const SHIFT_SPREAD: i64 = 10;

/// The [`LineShift`] of `path` measured on the line-anchored hints of `targets` (all placed
/// in `path`): the median of (found line - guide's line) over the distinct quoted anchors
/// found in `path` itself; `None` with fewer than two or when they disagree by more than
/// 10 lines (a stale number is then no evidence of where the others moved).
pub fn line_shift(book: &Book, path: &str, targets: &[&Target]) -> Option<LineShift> {
    // Hints with a line number and its quoted text; the file is read only when there are two.
    let hints: Vec<Hint> = targets
        .iter()
        .flat_map(|t| t.section_hints.iter().flat_map(|h| Hint::parse(h)))
        .filter(|h| !h.mentions && h.line.is_some() && h.anchor.is_some())
        .collect();
    if hints.len() < 2 {
        return None;
    }
    let (text, o) = (book.sources.get(path)?, book.outline(path)?);
    let lines: Vec<&str> = text.lines().collect();
    let mut pairs: Vec<(usize, usize)> =
        hints.iter().filter_map(|h| Some((find_anchor(&lines, &o, h)?, h.line?))).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut shifts: Vec<i64> = pairs.iter().map(|(found, said)| *found as i64 - *said as i64).collect();
    shifts.sort_unstable();
    let median = *shifts.get(shifts.len() / 2)?;
    let agree = shifts.iter().all(|s| (s - median).abs() <= SHIFT_SPREAD);
    (shifts.len() >= 2 && agree).then_some(LineShift { by: median, anchors: shifts.len() })
}

/// [`rank`] with what the guide's other targets say. The guide's line numbers for `path`
/// corrected by `priors.shift` are a strong prior (`line_shifted` in rules/scoring.toml),
/// sharply decaying with distance. A target that says it shares the file of an earlier one
/// (`priors.follows`) and whose hints and heading name no heading (none reaches `hint_min`)
/// and no found anchor goes right after that target's insertion point (`follows`): where
/// the guide's author put the text they wrote for one spot.
pub fn rank_with(
    book: &Book,
    path: &str,
    target: &Target,
    keys: &[String],
    context: &str,
    limit: usize,
    priors: Priors,
) -> Vec<Candidate> {
    let shift = priors.shift;
    let w = &book.rules.scoring.place;
    let index = section_index(book, path);
    let (sections, bm25, forms) = (&index.sections, &index.bm25, &index.forms);
    if sections.is_empty() {
        return Vec::new();
    }
    let query = terms(&topic_text(context, &book.rules.environments));
    let rel = bm25.scores(&query);
    let max_rel = rel.iter().cloned().fold(0.0, f64::max);
    let env_kind = target.environment.as_deref();
    let hints: Vec<Hint> =
        target.section_hints.iter().chain(&target.block_hints).flat_map(|h| Hint::parse(h)).collect();
    let hint_forms: Vec<TitleForm> =
        hints.iter().map(|h| TitleForm::new(&h.title).topic_among(forms, w.topic_word_headings)).collect();
    // A hint naming a section by number and title ("§15.6 Autonomic Medications") whose
    // title names a heading but not the numbered one is placed by the title: section
    // numbers go stale when chapters are added or split, as they did when the real book
    // moved to Typst. A number picking one of two headings the title names stays.
    let hints: Vec<Hint> = hints
        .into_iter()
        .zip(&hint_forms)
        .map(|(mut h, form)| {
            if let Some(n) = h.number.as_ref().filter(|_| !h.title.is_empty()) {
                let titled = |f: &TitleForm| form.similarity(f) >= w.hint_min;
                let numbered_titled = sections
                    .iter()
                    .zip(forms.iter())
                    .any(|(s, (f, _))| !s.number.is_empty() && names_number(n, &s.number) && titled(f));
                if !numbered_titled && forms.iter().any(|(f, _)| titled(f)) {
                    h.number = None;
                }
            }
            h
        })
        .collect();
    let new_section = wants_new_section(target);
    // A target without hints: the paper's subject (its folder's name) may be a heading.
    let subject = target
        .section_hints
        .is_empty()
        .then(|| crate::text::parent_dir(&target.source).rsplit('/').next().and_then(crate::guide::paper_subject))
        .flatten()
        .filter(|_| w.subject > 0.0)
        .map(|s| (TitleForm::new(&s), s))
        // A subject many headings share ("Prognosis", "LDN" in a chapter about it) names no
        // one section.
        .filter(|(form, _)| forms.iter().filter(|f| form.similarity(&f.0) >= w.hint_min).count() <= SUBJECT_SECTIONS);
    // A hint's line number, corrected by the shift the guide's found anchors measure.
    let shifted = |l: usize| shift.map_or(l, |sh| (l as i64 + sh.by).max(1) as usize);
    let line_weight = match shift {
        Some(_) => (w.line_shifted, w.line_shifted_half),
        None => (w.line_prior, LINE_HALF),
    };
    // A hint's line number at the heading its title names ("\subsection{Viral Persistence}
    // (line ~697)") gives that section's line: its subsections, which the title's match
    // also reaches (`hint_parent`), are as near to it as the section. Per such section: its
    // heading path, the line and its nearness.
    let line_named: Vec<(&[String], usize, f64)> = hints
        .iter()
        .zip(&hint_forms)
        .filter(|(h, _)| !h.title.is_empty())
        .filter_map(|(h, form)| Some((h.line?, form)))
        .map(|(l, form)| (shifted(l), form))
        .flat_map(|(l, form)| {
            sections
                .iter()
                .zip(forms.iter())
                .filter(|(s, f)| s.path == path && form.similarity(&f.0) >= NAMES_SECTION)
                .map(move |(s, _)| (s.heading_path.as_slice(), l, line_nearness(l, s, line_weight.1)))
                .filter(|x| x.2 >= 0.5)
        })
        .collect();
    // Each candidate with, when it is relevant, (index of its relevance reason, section, r):
    // the shared terms are only looked up for the candidates kept.
    let mut out: Vec<Ranked> = sections
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut score = 0.0;
            let mut signals = Vec::new();
            let mut relevance = None;
            // Whether a hint, line number or the paper's subject points at this section.
            let mut named = false;
            if let (hint_sim, Some(hint_signal)) =
                hint_match(&hints, &hint_forms, s, &forms[i].0, &forms[i].1, w.hint_min)
            {
                score += w.hint * hint_sim;
                signals.push(hint_signal);
                named = true;
            }
            if let Some((form, name)) = &subject {
                let sim = form.similarity(&forms[i].0);
                if sim >= w.hint_min {
                    named = true;
                    score += w.subject * sim;
                    signals.push(Signal::Subject { subject: name.clone(), heading: s.title.clone(), similarity: sim });
                }
            }
            // A line number in a hint is a weak prior: lines go stale as the file grows.
            // Corrected by the shift its found anchors measure, it is a strong one.
            let (weight, half) = line_weight;
            let inherited = line_named
                .iter()
                .filter(|(named, _, _)| s.heading_path.len() > named.len() && s.heading_path.starts_with(named))
                .map(|&(named, line, near)| (line, near, named.last().map(String::as_str)));
            if let Some((line, near, enclosing)) = hints
                .iter()
                .filter_map(|h| h.line)
                .filter(|_| s.path == path)
                .map(shifted)
                .map(|l| (l, line_nearness(l, s, half), None))
                .chain(inherited)
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .filter(|x| x.1 > 0.0)
            {
                named = true;
                score += weight * near;
                signals.push(Signal::Line { line, shift, enclosing: enclosing.map(str::to_string), nearness: near });
            }
            let parent_sim = hints
                .iter()
                .zip(&hint_forms)
                .map(|(h, f)| (&h.title, f))
                .filter(|(t, _)| !t.is_empty())
                .flat_map(|(h, hf)| {
                    s.heading_path.iter().zip(&forms[i].1).rev().skip(1).map(move |(p, pf)| (h, p, hf.similarity(pf)))
                })
                .filter(|x| x.2 >= w.hint_min)
                .max_by(|a, b| a.2.total_cmp(&b.2));
            // A new section joining the named one goes after its subsections, not into them.
            if let Some((h, p, sim)) = parent_sim.filter(|x| x.2 >= NAMES_SECTION && !new_section) {
                named = true;
                score += w.hint_parent * sim;
                signals.push(Signal::HintParent { hint: h.clone(), heading: p.clone(), similarity: sim });
            }
            if max_rel > 0.0 && rel[i] > 0.0 {
                let r = rel[i] / max_rel;
                score += w.relevance * r;
                relevance = Some(i);
                signals.push(Signal::Relevance { terms: Vec::new(), relevance: r });
            }
            let cites: Vec<String> = keys.iter().filter(|k| s.cites.contains(k)).cloned().collect();
            if !cites.is_empty() {
                score += w.cites_keys;
                signals.push(Signal::CitesKeys(cites.clone()));
            }
            if let Some(kind) =
                env_kind.filter(|k| s.envs.iter().any(|e| book.rules.environments.canonical_of_macro(e) == *k))
            {
                score += w.same_environment;
                signals.push(Signal::SameEnvironment(kind.to_string()));
            }
            // A new section goes after the subsections of the one it joins, not into its text.
            let after_line = if new_section && s.subtree_after != s.after_line {
                signals.push(Signal::AfterSubsections { line: s.subtree_after });
                s.subtree_after
            } else {
                s.after_line
            };
            Ranked {
                path: &s.path,
                heading_path: &s.heading_path,
                after_line,
                score: (score * 1000.0).round() / 1000.0,
                signals,
                cites_keys: cites,
                relevance,
                named,
            }
        })
        .collect();
    let mut anchors = anchor_candidates(book, path, &hints, w.anchor_text);
    anchors.extend(env_end_candidates(book, path, &hints, w.anchor_text));
    // A section the guide adds that nothing places joins the one whose subsections are about
    // it (a target that itself asks for a new section keeps the after-its-subsections rule
    // below: on the gold benchmark this moved two of them further from the maintainer's spot).
    let joins = w.new_section_top > 0
        && priors.adds_sections
        && !new_section
        && max_rel > 0.0
        && anchors.is_empty()
        && priors.follows.is_none()
        && !out.iter().any(|c| c.named);
    if joins {
        join_parent(&mut out, sections, &rel, max_rel, w);
    }
    let in_file = |p: &&Candidate| out.iter().any(|c| c.path == p.path);
    if let Some(primary) = priors.follows.filter(in_file).filter(|_| anchors.is_empty() && w.follows > 0.0) {
        // The heading's own words after "Same file —" may still name a section.
        let title = target.title_hint.split_once(" — ").map_or("", |(_, t)| t);
        let title_form = TitleForm::new(title);
        let named = sections.iter().enumerate().any(|(i, s)| {
            hint_match(&hints, &hint_forms, s, &forms[i].0, &forms[i].1, w.hint_min).0 > 0.0
                || title_form.similarity(&forms[i].0) >= w.hint_min
        });
        if !named {
            // The section holding that spot adds its own signals.
            let own = out
                .iter()
                .find(|c| c.path == primary.path && c.heading_path == primary.heading_path.as_slice())
                .map(|c| (c.score, c.signals.clone(), c.cites_keys.clone(), c.relevance));
            let (score, mut signals, cites_keys, relevance) = own.unwrap_or_default();
            signals.insert(0, Signal::FollowsEarlierTarget { line: primary.after_line });
            out.retain(|c| !(c.path == primary.path && c.after_line == primary.after_line));
            out.push(Ranked {
                path: &primary.path,
                heading_path: &primary.heading_path,
                after_line: primary.after_line,
                score: ((score + w.follows) * 1000.0).round() / 1000.0,
                signals,
                cites_keys,
                relevance,
                named: true,
            });
        }
    }
    // A found anchor outranks every section; the section holding it adds its own signals.
    for a in &anchors {
        let mut ranked = Ranked {
            path: &a.path,
            heading_path: &a.heading_path,
            after_line: a.after_line,
            score: a.score,
            signals: a.signals.clone(),
            cites_keys: a.cites_keys.clone(),
            relevance: None,
            named: true,
        };
        if let Some(c) = out.iter().find(|c| c.path == a.path && c.heading_path == a.heading_path.as_slice()) {
            ranked.score = ((a.score + c.score) * 1000.0).round() / 1000.0;
            // The section's relevance is not part of the anchor's evidence.
            ranked.signals.extend(c.signals.iter().filter(|s| !matches!(s, Signal::Relevance { .. })).cloned());
            ranked.cites_keys = c.cites_keys.clone();
        }
        out.retain(|c| !(c.path == a.path && c.after_line == a.after_line));
        out.push(ranked);
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.path.cmp(b.path))
            .then_with(|| a.after_line.cmp(&b.after_line))
            // The innermost of nested sections ending at the same line.
            .then_with(|| b.heading_path.len().cmp(&a.heading_path.len()))
    });
    if joins {
        // Nested sections ending together give one insertion point: the better one's.
        let mut seen = std::collections::HashSet::new();
        out.retain(|c| seen.insert((c.path, c.after_line)));
    }
    out.truncate(limit);
    out.into_iter()
        .map(|c| {
            let mut signals = c.signals;
            if let Some(i) = c.relevance {
                for signal in &mut signals {
                    if let Signal::Relevance { terms, .. } = signal {
                        *terms = bm25.shared_terms(i, &query, 5);
                    }
                }
            }
            Candidate {
                path: c.path.to_string(),
                after_line: c.after_line,
                heading_path: c.heading_path.to_vec(),
                score: confidence(c.score, w.score_half),
                signals,
                cites_keys: c.cites_keys,
            }
        })
        .collect()
}

/// A candidate while ranking: borrowing its file and heading path from the section (or
/// anchor) it comes from, so that only the candidates kept are copied out.
struct Ranked<'a> {
    path: &'a str,
    heading_path: &'a [String],
    after_line: usize,
    /// The raw weighted sum (see [`confidence`]).
    score: f64,
    signals: Vec<Signal>,
    cites_keys: Vec<String>,
    /// The section whose shared terms the [`Signal::Relevance`] lists, once it is kept.
    relevance: Option<usize>,
    /// A hint, line number or the paper's subject points at it.
    named: bool,
}

/// For a target of a guide that says it adds sections ([`Priors::adds_sections`]) that no
/// hint, line number or subject places: the target is one of the new sections, and it
/// becomes the last subsection of the section whose subtree is the most relevant. Only
/// sections with subsections compete, not the file's outermost heading (the chapter: the
/// file is already chosen); each by the mean relevance of the `new_section_top`
/// (rules/scoring.toml) most relevant sections of its subtree, itself included (a smaller
/// subtree counts the missing ones as 0), in place of its own relevance; its insertion point
/// is after its last subsection. Nothing changes when no section has subsections. `out`
/// holds one candidate per section of `sections`, in the same order.
fn join_parent(out: &mut Vec<Ranked>, sections: &[Section], rel: &[f64], max_rel: f64, w: &crate::rules::PlaceWeights) {
    let k = w.new_section_top;
    let outermost = sections.iter().map(|s| s.heading_path.len()).min().unwrap_or(0);
    let r = |i: usize| rel[i] / max_rel;
    // Per section with subsections (not the outermost): the mean of its subtree's k best.
    let subtree: Vec<Option<f64>> = sections
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if s.heading_path.len() <= outermost {
                return None;
            }
            let mut rels: Vec<f64> = sections
                .iter()
                .enumerate()
                .filter(|(_, d)| {
                    d.heading_path.len() > s.heading_path.len()
                        && d.heading_path.starts_with(&s.heading_path)
                        && (d.path != s.path || (d.first > s.first && d.first <= s.subtree_after))
                })
                .map(|(j, _)| r(j))
                .collect();
            if rels.is_empty() {
                return None;
            }
            rels.push(r(i));
            rels.sort_by(|a, b| b.total_cmp(a));
            Some(rels.iter().take(k).sum::<f64>() / k as f64)
        })
        .collect();
    let best = subtree.iter().flatten().cloned().fold(0.0, f64::max);
    if best <= 0.0 {
        return;
    }
    let mut kept = Vec::new();
    for (i, c) in std::mem::take(out).into_iter().enumerate() {
        let (Some(a), s) = (subtree[i], &sections[i]) else { continue };
        let mut c = c;
        let own = if rel[i] > 0.0 { w.relevance * r(i) } else { 0.0 };
        if c.relevance.take().is_some() {
            c.signals.retain(|s| !matches!(s, Signal::Relevance { .. }));
        }
        let share = a / best;
        c.signals.insert(0, Signal::JoinsSection { heading: s.title.clone(), top: k, share, line: s.subtree_after });
        c.score = ((c.score - own + w.relevance * share) * 1000.0).round() / 1000.0;
        c.after_line = s.subtree_after;
        kept.push(c);
    }
    *out = kept;
}

/// Whether `target` asks for a new section rather than text inside an existing one: a
/// `**New subsection:**` field, a hint saying so ("add a new subsection", "no current
/// section discusses ..."), or a snippet that opens with a heading.
pub fn wants_new_section(target: &Target) -> bool {
    let snippet_heading = target.snippet.as_ref().is_some_and(|s| {
        s.text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('%') && !l.starts_with("//"))
            .is_some_and(|l| {
                l.starts_with("\\section")
                    || l.starts_with("\\subsection")
                    || l.starts_with("\\subsubsection")
                    || (l.starts_with('=') && l.trim_start_matches('=').starts_with(' '))
                    || (l.starts_with('#') && l.trim_start_matches('#').starts_with(' '))
            })
    });
    target.new_section.is_some()
        || snippet_heading
        || target.section_hints.iter().any(|h| crate::guide::says_new_section(h))
}

/// A raw weighted sum of placement signals as a score in `[0, 1]`: `raw / (raw + half)`
/// (`score_half` in rules/scoring.toml), rounded to three decimals. Monotonic: the ranking
/// is the raw one.
pub fn confidence(raw: f64, half: f64) -> f64 {
    let s = if raw <= 0.0 { 0.0 } else { raw / (raw + half.max(f64::MIN_POSITIVE)) };
    (s * 1000.0).round() / 1000.0
}

/// The part of a target's context that says what it is about, for relevance: without
/// labels and cross-references (`\label{x}`, `<hyp:x>`, `@sec:x`), environment markup and
/// names (the book's environment aliases), file names, "et al." and "certainty", which
/// appear in every snippet and match sections by form, not topic.
fn topic_text(context: &str, env: &crate::rules::EnvironmentRules) -> String {
    static RES: std::sync::OnceLock<Vec<regex::Regex>> = std::sync::OnceLock::new();
    let res = RES.get_or_init(|| {
        [
            r"\\(?:label|ref|cref|Cref|autoref|eqref|begin|end)\s*\{[^}]*\}",
            r"<[A-Za-z][\w-]*:[^>\s]*>",
            r"@[A-Za-z][\w-]*:[\w:.-]+",
            r"[\w./-]+\.(?:tex|typ|md|bib)\b",
            r"(?i)\bet al\b\.?",
            r"(?i)\bcertainty\b",
        ]
        .iter()
        .map(|r| regex::Regex::new(r).expect("valid pattern"))
        .collect()
    });
    let mut out = context.to_string();
    for re in res {
        out = re.replace_all(&out, " ").into_owned();
    }
    let names: std::collections::BTreeSet<String> = env
        .aliases
        .iter()
        .flat_map(|(k, v)| std::iter::once(k.clone()).chain(v.iter().cloned()))
        .flat_map(|n| terms(&n))
        .collect();
    out.split_whitespace().filter(|w| !terms(w).iter().any(|t| names.contains(t))).collect::<Vec<_>>().join(" ")
}

/// Similarity of a hint to a heading title in `[0, 1]`: 1.0 when equal after
/// normalisation, 0.9 when all of the hint's words are in the title, else Dice of terms.
pub fn title_similarity(hint: &str, title: &str) -> f64 {
    TitleForm::new(hint).similarity(&TitleForm::new(title))
}

/// A title tokenized once for [`title_similarity`]: its words and content terms.
#[derive(Debug, Clone)]
struct TitleForm {
    words: Vec<String>,
    /// The title's [`crate::text::title_terms`] as a set: sorted, without repeats.
    terms: Vec<String>,
    /// Whether a title holding all of these terms among others is named by them (0.9);
    /// false for a one-word hint that several headings hold ([`TitleForm::topic_among`]).
    names_containing: bool,
}

impl TitleForm {
    fn new(title: &str) -> Self {
        let mut terms = crate::text::title_terms(title);
        terms.sort_unstable();
        terms.dedup();
        TitleForm { words: words(title), terms, names_containing: true }
    }

    /// `self` (a hint) as a topic rather than a heading when it is one word that at least
    /// `headings` of the sections' titles (`forms`) hold among other words: "neuroinflammation"
    /// in "Microglial Activation and Neuroinflammation" and "Consequences for
    /// Neuroinflammation" says what the text is about, not which of them receives it. A
    /// heading that is the word itself is still named by it. `headings` 0 turns this off.
    fn topic_among(mut self, forms: &[(Arc<TitleForm>, Vec<Arc<TitleForm>>)], headings: usize) -> Self {
        // One word, not one term: "IL-6" is two words, "il" and "6".
        let one_word = self.words.iter().filter(|w| !crate::text::is_stopword(w)).count() == 1;
        if let (true, [term]) = (one_word, self.terms.as_slice()) {
            let holding =
                forms.iter().filter(|(f, _)| f.words != self.words && f.terms.binary_search(term).is_ok()).count();
            self.names_containing = headings == 0 || holding < headings;
        }
        self
    }

    /// [`title_similarity`] of `self` (the hint) to `title`.
    fn similarity(&self, title: &TitleForm) -> f64 {
        if !self.words.is_empty() && self.words == title.words {
            return 1.0;
        }
        if self.names_containing
            && !self.terms.is_empty()
            && self.terms.iter().all(|t| title.terms.binary_search(t).is_ok())
        {
            return 0.9;
        }
        dice_of_sets(&self.terms, &title.terms)
    }
}

/// One alternative of a section hint: a title to match, a label anchor, a line prior.
#[derive(Debug, Clone, PartialEq)]
pub struct Hint {
    /// The title to match against headings (markup, line references, a leading directive
    /// such as `EXPAND EXISTING:` and section numbers removed).
    pub title: String,
    /// A label the hint names (`\label{sec:x}`, `<sec:x>`, `@sec:x`).
    pub label: Option<String>,
    /// A line number the hint names (`line ~76`, `After line 616`), 1-based.
    pub line: Option<usize>,
    /// The quoted text next to a line number (`After line 14 (... "as their condition
    /// changes.")`): what the spot held when the guide was written.
    pub anchor: Option<String>,
    /// The anchor is the text to insert before (`before "== Sleep"`), not after.
    pub before: bool,
    /// The anchor names what a paragraph is about (`after the substance P/mast cell
    /// paragraph`), not its words: found by its terms, nearest the hint's line.
    pub mentions: bool,
    /// The headings above [`Hint::title`] in an arrow path (`Immune → Cytokines → IL-6`:
    /// `["Immune", "Cytokines"]`), outermost first.
    pub path: Vec<String>,
    /// A section number the hint names (`Section 7.3.2`, `§3.2`): its parts.
    pub number: Option<Vec<u32>>,
    /// The environment whose end the text goes after (`After \end{warning} of the dosing
    /// limits warning`): its name as written and the words saying which one ("dosing limits").
    pub env_end: Option<(String, String)>,
}

impl Hint {
    /// Splits a guide's section hint into alternatives: LaTeX sectioning commands and
    /// Typst heading markers give titles; "A or B", "A / B" and "A and/or B" give two;
    /// `(line ~N)` a line prior; a title in parentheses after a section number
    /// (`§15.6 (Autonomic medications)`) the title.
    pub fn parse(hint: &str) -> Vec<Hint> {
        static RES: std::sync::OnceLock<[regex::Regex; 4]> = std::sync::OnceLock::new();
        let [line_re, section_re, typst_re, paren_re] = RES.get_or_init(|| {
            [
                regex::Regex::new(r"(?i)\blines?\s*~?\s*(\d+)(?:\s*(?:-|–|--|to)\s*~?\d+)?").unwrap(),
                regex::Regex::new(r"\\(?:sub)*section\*?\s*\{([^}]*)\}").unwrap(),
                regex::Regex::new(r"(?:^|\s)={1,6}\s+([^,;()]+)").unwrap(),
                regex::Regex::new(r"\([^)]*\)").unwrap(),
            ]
        });
        let line = line_re.captures(hint).and_then(|c| c[1].parse().ok());
        let label = label_anchor(hint);
        // With a line number, quoted text is the anchor to verify it by; "after the X
        // paragraph" names the paragraph by its topic.
        let (mut anchor, before) = match line {
            Some(_) => anchor_text(hint),
            None => (None, false),
        };
        let mut mentions = false;
        if anchor.is_none() {
            anchor = paragraph_topic(hint);
            mentions = anchor.is_some();
        }
        let number = section_number(hint);
        let env_end = env_end(hint);
        // `A → B → C`: C is the section, A and B the headings above it.
        let mut path: Vec<String> = Vec::new();
        if let Some(parts) = arrow_path(hint) {
            path = parts;
            let title = path.pop().unwrap_or_default();
            return vec![Hint { title, label, line, anchor, before, mentions, path, number, env_end }];
        }
        let mut titles: Vec<String> = section_re.captures_iter(hint).map(|c| c[1].trim().to_string()).collect();
        if titles.is_empty() {
            titles.extend(typst_re.captures_iter(hint).map(|c| c[1].trim().to_string()));
        }
        if titles.is_empty() && label.is_none() && anchor.is_none() && env_end.is_none() {
            let cleaned = paren_re.replace_all(hint, " ");
            let cleaned = line_re.replace_all(&cleaned, " ");
            let cleaned = title_of_directive(&cleaned);
            // "After §15.6 (Autonomic medications)": with the number gone, the words in
            // parentheses are the title (each its own, "(A) or §15.7 (B)"); not a line
            // reference or a pointer ("(see Table 4)").
            let cleaned = if crate::text::title_terms(&cleaned).is_empty() {
                paren_re
                    .find_iter(hint)
                    .map(|m| m.as_str().trim_matches(['(', ')']).trim())
                    .filter(|p| !line_re.is_match(p) && !p.to_lowercase().starts_with("see "))
                    .collect::<Vec<_>>()
                    .join(" or ")
            } else {
                cleaned
            };
            // "A or B", "A / B" and "A and/or B" name alternatives ("AMPK/mTOR" is one word).
            let cleaned = cleaned.replace(" and/or ", " or ").replace(" / ", " or ");
            titles.extend(
                cleaned
                    .split(" or ")
                    .map(|t| t.trim().trim_start_matches([',', ';', ':', ' ']).trim_end_matches(['.', ',']).trim())
                    .map(|t| t.trim_end_matches(" section").trim_end_matches(" subsection").trim())
                    .map(|t| {
                        // "existing section on X" / "the subsection about X" name X.
                        let lower = t.to_lowercase();
                        let lead = [
                            "existing section on ",
                            "existing subsection on ",
                            "existing section ",
                            "existing subsection ",
                            "the section on ",
                            "section on ",
                            "subsection on ",
                        ];
                        let cut = lead.iter().find(|l| lower.starts_with(*l)).map_or(0, |l| l.len());
                        t.get(cut..).unwrap_or(t).trim_start_matches([',', ' ']).to_string()
                    })
                    .filter(|t| !t.is_empty()),
            );
        }
        if titles.is_empty() {
            titles.push(String::new());
        }
        titles
            .into_iter()
            .map(|title| Hint {
                title,
                label: label.clone(),
                line,
                anchor: anchor.clone(),
                before,
                mentions,
                path: path.clone(),
                number: number.clone(),
                env_end: env_end.clone(),
            })
            .collect()
    }
}

/// The parts of an arrow path in a hint (`A → B`, `A -> B`, `A > B`, `A › B`), each without
/// quotes and markup; `None` without an arrow.
fn arrow_path(hint: &str) -> Option<Vec<String>> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"\s*(?:→|->|›|\s>\s)\s*").unwrap());
    if !re.is_match(hint) {
        return None;
    }
    let parts: Vec<String> = re
        .split(hint)
        .map(|p| p.trim().trim_matches(['"', '\'', '`', '*', '“', '”']).trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    (parts.len() >= 2).then_some(parts)
}

/// A hint's words without the directive around its title: a leading `EXPAND EXISTING:`,
/// `ADD NEW:`, `New Section:` (what to do, not which heading) and section numbers in the
/// forms [`section_number`] reads (`§15.7.4`, `Section 3.2`, a leading `3.2`): a number
/// is matched as a number, its digits are no words of the title.
/// "EXPAND EXISTING: §15.7.4 Low-Dose Aripiprazole" -> "Low-Dose Aripiprazole".
fn title_of_directive(hint: &str) -> String {
    static RES: std::sync::OnceLock<[regex::Regex; 2]> = std::sync::OnceLock::new();
    let [lead, number] = RES.get_or_init(|| {
        [
            regex::Regex::new(
                r"(?i)^\s*(?:expand|extend|update|revise|add|insert|create)?\s*(?:new|existing)?\s*(?:major\s+)?(?:section|subsection)?\s*:\s*",
            )
            .unwrap(),
            regex::Regex::new(
                r"(?i)(?:\b(?:after|before|within|in)\s+)?(?:§\s*|\b(?:sub)*sections?\s+|\bsec\.\s*)\d+(?:\.\d+)*\b|^\s*\d+(?:\.\d+)+\s",
            )
            .unwrap(),
        ]
    });
    let rest = lead.replace(hint, "");
    number.replace_all(&rest, " ").trim().to_string()
}

/// A section number named in a hint: `Section 7.3.2`, `§3.2`, `sec. 4.1`, or a hint opening
/// with `3.2 Title` -> its parts.
fn section_number(hint: &str) -> Option<Vec<u32>> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"(?i)(?:§\s*|\b(?:sub)*sections?\s+|\bsec\.\s*)(\d+(?:\.\d+)*)\b|^\s*(\d+(?:\.\d+)+)\s")
            .unwrap()
    });
    let c = re.captures(hint)?;
    let m = c.get(1).or_else(|| c.get(2))?;
    m.as_str().split('.').map(|p| p.parse().ok()).collect()
}

/// The quoted anchor text of a line-anchored hint, and whether the text goes before it
/// (`before "..."`). Straight and curly double quotes.
fn anchor_text(hint: &str) -> (Option<String>, bool) {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r#"(?i)(\bbefore\s*:?\s*)?(?:"([^"]{4,})"|“([^”]{4,})”)"#).unwrap());
    let Some(c) = re.captures(hint) else { return (None, false) };
    let text = c.get(2).or_else(|| c.get(3)).map(|m| m.as_str().trim().to_string());
    (text, c.get(1).is_some())
}

/// The environment named by "after `\end{warning}` of the X warning" / "after \end{keypoint}
/// for X" in a hint: its name and the words after "of"/"for" (empty when none follow).
fn env_end(hint: &str) -> Option<(String, String)> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"(?i)\bafter\s+(?:the\s+)?`?\\end\{([A-Za-z*-]+)\}`?(?:\s+(?:of|for)\s+(?:the\s+)?([^,;()]{3,80}))?",
        )
        .unwrap()
    });
    let c = re.captures(hint)?;
    Some((c[1].to_string(), c.get(2).map_or(String::new(), |m| m.as_str().trim().to_string())))
}

/// Candidates right after the environment each hint's [`Hint::env_end`] names, in `path` or
/// the files it includes: of the environments of that kind, the one whose title, text and
/// enclosing headings share most of the hint's words (at least one; with no words, the only
/// one of its kind), scored `weight`.
fn env_end_candidates(book: &Book, path: &str, hints: &[Hint], weight: f64) -> Vec<Candidate> {
    let envs = &book.rules.environments;
    let mut out = Vec::new();
    for h in hints {
        let Some((name, topic)) = h.env_end.as_ref() else { continue };
        let kind = envs.canonical_of_macro(name);
        let words = terms(topic);
        // (shared words, file, environment's last line, first line)
        let mut best: Option<(usize, String, usize, usize)> = None;
        let mut seen = 0;
        for file in book.closure(path) {
            let (Some(text), Some(o)) = (book.sources.get(&file), book.outline(&file)) else { continue };
            let lines: Vec<&str> = text.lines().collect();
            for e in o.envs.iter().filter(|e| envs.canonical_of_macro(&e.name) == kind) {
                seen += 1;
                let mut around = lines[e.start.saturating_sub(1)..e.end.min(lines.len())].join(" ");
                around.push(' ');
                around.push_str(&heading_path_at(book, &file, e.start).join(" "));
                let here = terms(&around);
                let shared = words.iter().filter(|w| here.contains(w)).count();
                if best.as_ref().is_none_or(|b| shared > b.0) {
                    best = Some((shared, file.clone(), e.end, e.start));
                }
            }
        }
        let Some((shared, file, mut end, start)) = best else { continue };
        if (words.is_empty() && seen != 1) || (!words.is_empty() && shared == 0) {
            continue;
        }
        // An environment inside a list or another block: the nearest insertable line above.
        if let Some(o) = book.outline(&file) {
            while end > 0 && !o.can_insert_after(end) {
                end -= 1;
            }
        }
        if end == 0 {
            continue;
        }
        let topic = (!words.is_empty()).then(|| (topic.clone(), shared, words.len()));
        out.push(Candidate {
            path: file.clone(),
            after_line: end,
            heading_path: heading_path_at(book, &file, end),
            score: weight,
            signals: vec![Signal::EnvironmentEnd { name: name.clone(), start, end, topic }],
            cites_keys: Vec::new(),
        });
    }
    out
}

/// The topic of "after the paragraph on X" / "after the X paragraph" in a hint; words
/// that only point ("existing", "first") are not topic.
fn paragraph_topic(hint: &str) -> Option<String> {
    static RES: std::sync::OnceLock<[regex::Regex; 2]> = std::sync::OnceLock::new();
    let [on, before] = RES.get_or_init(|| {
        [
            regex::Regex::new(r"(?i)\bafter the (?:\w+ )?paragraph (?:on|about|mentioning|discussing) ([^,;()]{3,60})")
                .unwrap(),
            regex::Regex::new(r"(?i)\bafter the ([^,;()]{3,60}?) paragraph\b").unwrap(),
        ]
    });
    let topic = on.captures(hint).or_else(|| before.captures(hint))?.get(1)?.as_str().trim();
    const POINTERS: &[&str] = &["existing", "first", "last", "current", "new", "previous", "next", "final"];
    let kept: Vec<&str> = topic.split_whitespace().filter(|w| !POINTERS.contains(&w.to_lowercase().as_str())).collect();
    let topic = kept.join(" ");
    (!terms(&topic).is_empty()).then_some(topic)
}

/// The 0-based lines from which a match of the squashed text `wanted` within three lines
/// could start: those up to two lines before a line holding its longest word, lowercased (a
/// match of [`squash`]ed lines holds every word of `wanted`, the first and last perhaps as
/// parts of words, and no word spans two lines). Every line when `wanted` has no word.
fn match_starts(lines: &[&str], wanted: &str) -> Vec<usize> {
    let Some(word) = wanted.split(' ').max_by_key(|w| w.len()).filter(|w| !w.is_empty()) else {
        return (0..lines.len()).collect();
    };
    let holds = |line: &str| {
        if line.is_ascii() {
            // ASCII lowercases byte for byte; `word` is lowercase already.
            line.as_bytes().windows(word.len()).any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
        } else {
            line.to_lowercase().contains(word)
        }
    };
    let mut starts: Vec<usize> =
        (0..lines.len()).filter(|&h| holds(lines[h])).flat_map(|h| h.saturating_sub(2)..=h).collect();
    starts.sort_unstable();
    starts.dedup();
    starts
}

/// Whitespace-normalised, lowercased text for finding an anchor in a file.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Candidates at the spots where a hint's anchor text is found in `path` or the files it
/// includes: right after the paragraph holding it (or right before it), each with the
/// reason naming where it was found and the line the guide gave.
fn anchor_candidates(book: &Book, path: &str, hints: &[Hint], weight: f64) -> Vec<Candidate> {
    let mut out = Vec::new();
    for h in hints {
        let Some(anchor) = h.anchor.as_deref() else { continue };
        for file in book.closure(path) {
            let Some(text) = book.sources.get(&file) else { continue };
            let Some(o) = book.outline(&file) else { continue };
            let lines: Vec<&str> = text.lines().collect();
            let Some(found) = find_anchor(&lines, &o, h) else { continue };
            let heading_at = o.headings.iter().find(|hd| hd.line == found);
            let mut after = if h.before {
                found - 1
            } else if let Some(hd) = heading_at {
                // "After <heading>": after that whole section, before the next heading at
                // its level or above.
                o.headings.iter().find(|n| n.line > found && n.level <= hd.level).map_or(lines.len(), |n| n.line - 1)
            } else {
                // The end of the paragraph holding the anchor.
                let mut l = found;
                while l < lines.len() && !lines[l].trim().is_empty() && !o.headings.iter().any(|hd| hd.line == l + 1) {
                    l += 1;
                }
                l
            };
            while after > 0
                && (!o.can_insert_after(after)
                    || ((h.before || heading_at.is_some()) && lines[after - 1].trim().is_empty()))
            {
                after -= 1;
            }
            if after == 0 {
                continue;
            }
            let heading_path = heading_path_at(book, &file, after);
            out.push(Candidate {
                path: file.clone(),
                after_line: after,
                heading_path,
                score: weight,
                signals: vec![Signal::Anchor {
                    anchor: anchor.to_string(),
                    mentions: h.mentions,
                    found,
                    guide_line: h.line,
                    before: h.before,
                }],
                cites_keys: Vec::new(),
            });
            break;
        }
    }
    out
}

/// The 1-based line where hint `h`'s anchor is found in `lines` (outline `o`): for an
/// anchor naming a paragraph's topic, the line (with the next two) holding every term of
/// it nearest the hint's line, not a heading; else the first line holding the text (which
/// may wrap over the next two lines). `None` without an anchor or when it is not found.
fn find_anchor(lines: &[&str], o: &crate::outline::Outline, h: &Hint) -> Option<usize> {
    let anchor = h.anchor.as_deref()?;
    let wanted = squash(anchor);
    let found = if h.mentions {
        // The line (with the next two) holding every term of the topic, nearest the
        // hint's line; not a heading.
        let topic: Vec<String> = terms(anchor);
        (0..lines.len())
            .filter(|&i| !o.is_dead(i + 1) && !o.headings.iter().any(|hd| hd.line == i + 1))
            .filter(|&i| {
                // The line and the next two of the same paragraph.
                let end = (i + 1..(i + 3).min(lines.len()))
                    .find(|&j| lines[j].trim().is_empty())
                    .unwrap_or((i + 3).min(lines.len()));
                let window = terms(&lines[i..end].join(" "));
                topic.iter().all(|t| window.contains(t))
            })
            .min_by_key(|&i| h.line.map_or(i, |l| i.abs_diff(l.saturating_sub(1))))
    } else {
        // Text may wrap: look in each line joined with the next two, starting only where
        // the anchor's longest word is near (one pass without copying the file rules most
        // files out).
        // A quote shortened with an ellipsis ("chemical sensitivity...reported by 70–90%")
        // is found by its parts, in order.
        let wanted = wanted.replace("...", "…");
        let parts: Vec<&str> =
            wanted.split('…').map(str::trim).filter(|p| p.chars().any(char::is_alphanumeric)).collect();
        if parts.is_empty() {
            return None;
        }
        let holds = |text: &str| {
            let mut rest = text;
            parts.iter().all(|p| match rest.find(p) {
                Some(at) => {
                    rest = &rest[at + p.len()..];
                    true
                }
                None => false,
            })
        };
        let longest = parts.iter().copied().max_by_key(|p| p.len()).unwrap_or("");
        match_starts(lines, longest).into_iter().find(|&i| {
            holds(&squash(lines[i]))
                || (!squash(lines[i]).is_empty()
                    && holds(&squash(&lines[i..(i + 3).min(lines.len())].join(" ")))
                    && !holds(&squash(&lines[i + 1..(i + 3).min(lines.len())].join(" "))))
        })
    };
    found.map(|i| i + 1)
}

/// The headings enclosing 1-based `line` of `file`, from the book's outermost (through the
/// files including it) down.
pub fn heading_path_at(book: &Book, file: &str, line: usize) -> Vec<String> {
    let mut path: Vec<String> = book.context_of(file).into_iter().map(|(_, t)| t).collect();
    if let Some(o) = book.outline(file) {
        path.extend(o.heading_stack_at(line).iter().map(|h| h.title.clone()));
    }
    path
}

/// Lines from a section at which a guide's (uncorrected) line number counts half.
const LINE_HALF: f64 = 50.0;

/// How near a section is to a line in `[0, 1]`: 1 inside it, decaying with distance
/// (half at `half` lines).
fn line_nearness(line: usize, s: &Section, half: f64) -> f64 {
    let d = s.first.saturating_sub(line).max(line.saturating_sub(s.last));
    1.0 / (1.0 + d as f64 / half)
}

/// The best match of any section hint against a section: label anchors and section numbers
/// exactly, titles by [`title_similarity`]; an arrow path's upper parts must match headings
/// above the section, or the match counts 0.8 of itself. `above` are the forms of the
/// section's heading path (outermost first, the section's own last).
fn hint_match(
    hints: &[Hint],
    hint_forms: &[TitleForm],
    s: &Section,
    title: &TitleForm,
    above: &[Arc<TitleForm>],
    min: f64,
) -> (f64, Option<Signal>) {
    let mut best = (0.0, None);
    for (h, form) in hints.iter().zip(hint_forms) {
        if let Some(label) = &h.label {
            if s.label.as_deref() == Some(label.as_str()) {
                return (1.0, Some(Signal::HintLabel { label: label.clone(), heading: s.title.clone() }));
            }
            continue;
        }
        if let Some(n) = h.number.as_ref().filter(|n| !s.number.is_empty() && names_number(n, &s.number)) {
            return (1.0, Some(Signal::HintNumber { number: n.clone(), heading: s.title.clone() }));
        }
        // A number still in the hint is the one its title agrees with (see `rank_with`):
        // another section of the same title is not named.
        if h.number.is_some() {
            continue;
        }
        // A weak match (one shared common word: "interventions", "dysfunction") says
        // nothing about the section.
        let mut sim = form.similarity(title);
        if sim < min || sim <= best.0 {
            continue;
        }
        if h.path.is_empty() {
            best = (sim, Some(Signal::HintTitle { hint: h.title.clone(), heading: s.title.clone(), similarity: sim }));
            continue;
        }
        let parents = &above[..above.len().saturating_sub(1)];
        let on_path = h.path.iter().all(|p| {
            let pf = TitleForm::new(p);
            parents.iter().any(|a| pf.similarity(a) >= min)
        });
        if !on_path {
            sim *= 0.8;
        }
        if sim > best.0 {
            let signal = Signal::HintPath {
                path: h.path.clone(),
                hint: h.title.clone(),
                heading: s.title.clone(),
                along: on_path,
                similarity: sim,
            };
            best = (sim, Some(signal));
        }
    }
    best
}

/// Whether hint number `hint` names a section numbered `own` within its chapter: the same
/// parts, or the same after the hint's first part (the chapter's number).
fn names_number(hint: &[u32], own: &[u32]) -> bool {
    hint == own || (hint.len() == own.len() + 1 && &hint[1..] == own)
}

/// `\label{sec:x}`, `<sec:x>` or `@sec:x` in a hint -> `sec:x`.
fn label_anchor(hint: &str) -> Option<String> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    // `\label{x}`, `<x>`, `@x:y`, or a bare `sec:x` written in prose.
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"\\label\{([^}]+)\}|<([A-Za-z][^>\s]*)>|(?:^|\s)@([A-Za-z][\w:.-]*:[\w:.-]+)|(?:^|[\s(])((?:sec|subsec|ch|chap|app):[\w.-]*[\w])",
        )
        .unwrap()
    });
    let c = re.captures(hint)?;
    c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3)).or_else(|| c.get(4)).map(|m| m.as_str().to_string())
}

/// The sections of `path` and every file it includes, in document order.
///
/// A file without headings (one environment per file, or a paragraph split out) is part
/// of the section that includes it: its text counts for that section, and that section's
/// own text runs on past its include line. Such a file gets no section of its own unless
/// it is the resolved file itself.
fn sections_of(book: &Book, path: &str) -> Vec<Section> {
    let mut out = Vec::new();
    let numbers = section_numbers(book, path);
    let mut has_headings: HashMap<String, bool> = HashMap::new();
    for file in book.closure(path) {
        if file != path && !subtree_has_headings(book, &file, &mut has_headings) {
            continue;
        }
        if book.config.book.annotated_bibliography.as_deref() == Some(file.as_str()) {
            continue;
        }
        let Some(o) = book.outline(&file) else { continue };
        let Some(text) = book.sources.get(&file) else { continue };
        let lines: Vec<&str> = text.lines().collect();
        // Per line (1-based; 0 unused): a comment or a skipped block.
        let mut dead = vec![false; lines.len() + 2];
        for &(a, b) in &o.dead {
            if let Some(range) = dead.get_mut(a..=b.min(lines.len())) {
                range.fill(true);
            }
        }
        let context = book.context_of(&file);
        let children: Vec<(String, usize)> = book.children.get(&file).cloned().unwrap_or_default();
        // Includes that bring in headings end a section's own text; the others extend it.
        let breaking: Vec<usize> = children
            .iter()
            .filter(|(c, _)| subtree_has_headings(book, c, &mut has_headings))
            .map(|(_, l)| *l)
            .collect();
        // The headings enclosing each heading (itself last), in one pass.
        let mut stacks: Vec<Vec<&crate::outline::Heading>> = Vec::with_capacity(o.headings.len());
        let mut stack: Vec<&crate::outline::Heading> = Vec::new();
        for h in &o.headings {
            while stack.last().is_some_and(|top| top.level >= h.level) {
                stack.pop();
            }
            stack.push(h);
            stacks.push(stack.clone());
        }
        let mut starts: Vec<Option<usize>> = (0..o.headings.len()).map(Some).collect();
        let first_heading_line = o.headings.first().map_or(usize::MAX, |h| h.line);
        let has_preamble_text = lines.iter().take(first_heading_line.saturating_sub(1)).any(|l| is_prose(l));
        // A file without headings is one section; so is the resolved file when it is empty.
        if (has_preamble_text && (!context.is_empty() || o.headings.is_empty())) || (file == path && starts.is_empty())
        {
            starts.insert(0, None);
        }
        for start in starts {
            let mut path_stack = context.clone();
            let (first, title, label, level) = match start {
                Some(i) => {
                    let h = &o.headings[i];
                    for above in &stacks[i] {
                        crate::book::nest(&mut path_stack, above.level, &above.title);
                    }
                    (h.line, h.title.clone(), h.label.clone(), h.level)
                }
                None => (1, context.last().map(|c| c.1.clone()).unwrap_or_default(), None, i32::MIN),
            };
            let next_heading = o.headings.iter().map(|h| h.line).find(|&l| l > first).unwrap_or(lines.len() + 1);
            let next_include = breaking.iter().copied().find(|&l| l > first && l < next_heading);
            let end = next_include.unwrap_or(next_heading);
            let last = end.saturating_sub(1).max(first);
            let after = last_insertable(&lines, &o, first, last + 1).unwrap_or(first).min(lines.len());
            if !o.can_insert_after(after) {
                continue;
            }
            let subtree_end =
                o.headings.iter().find(|h| h.line > first && h.level <= level).map_or(lines.len() + 1, |h| h.line);
            let subtree_after = last_insertable(&lines, &o, first, subtree_end.max(end)).unwrap_or(after);
            let heading_path: Vec<String> = path_stack.into_iter().map(|(_, t)| t).collect();
            let in_range = |l: usize| l >= first && l <= last;
            // Comments and skipped blocks say nothing about the section.
            let mut own: Vec<(usize, usize)> = Vec::new();
            for l in (first..=last.min(lines.len())).filter(|&l| !dead[l]) {
                match own.last_mut() {
                    Some((_, b)) if *b + 1 == l => *b = l,
                    _ => own.push((l, l)),
                }
            }
            let mut included = Vec::new();
            let mut cites: Vec<String> = o.citations.iter().filter(|c| in_range(c.1)).map(|c| c.0.clone()).collect();
            let mut envs: Vec<String> = o.envs.iter().filter(|e| in_range(e.start)).map(|e| e.name.clone()).collect();
            for (child, _) in children.iter().filter(|(_, l)| in_range(*l)) {
                for f in book.closure(child) {
                    let Some(co) = book.outline(&f) else { continue };
                    cites.extend(co.citations.iter().map(|c| c.0.clone()));
                    envs.extend(co.envs.iter().map(|e| e.name.clone()));
                    included.push(f);
                }
            }
            out.push(Section {
                path: file.clone(),
                heading_path,
                title,
                label,
                first,
                last,
                after_line: after,
                subtree_after,
                number: start
                    .and_then(|i| numbers.get(&(file.clone(), o.headings[i].line)).cloned())
                    .unwrap_or_default(),
                text: own,
                included,
                cites,
                envs,
            });
        }
    }
    out
}

/// The last line before `end` (1-based, exclusive) and after `first` that is not blank and
/// after which text may go (outside environments, comments, code and math).
fn last_insertable(lines: &[&str], o: &crate::outline::Outline, first: usize, end: usize) -> Option<usize> {
    (first + 1..end.min(lines.len() + 1))
        .rev()
        .find(|&l| lines.get(l - 1).is_some_and(|t| !t.trim().is_empty()) && o.can_insert_after(l))
}

/// The numbers of the numbered headings below chapter level in `path` and the files it
/// includes, counted in document order (an include's headings where its include line is),
/// as LaTeX and Typst number them within a chapter: (file, heading line) -> `[3, 2]`.
fn section_numbers(book: &Book, path: &str) -> HashMap<(String, usize), Vec<u32>> {
    fn walk(book: &Book, file: &str, seen: &mut Vec<String>, out: &mut Vec<(String, usize, i32)>) {
        if seen.iter().any(|f| f == file) {
            return;
        }
        seen.push(file.to_string());
        let Some(o) = book.outline(file) else { return };
        let mut items: Vec<(usize, Option<&str>, i32)> =
            o.headings.iter().filter(|h| h.numbered).map(|h| (h.line, None, h.level)).collect();
        let children = book.children.get(file).cloned().unwrap_or_default();
        items.extend(children.iter().map(|(c, l)| (*l, Some(c.as_str()), 0)));
        items.sort_by_key(|i| i.0);
        for (line, child, level) in items {
            match child {
                Some(c) => walk(book, c, seen, out),
                None => out.push((file.to_string(), line, level)),
            }
        }
    }
    let mut order = Vec::new();
    walk(book, path, &mut Vec::new(), &mut order);
    let mut counters: Vec<u32> = Vec::new();
    let mut out = HashMap::new();
    for (file, line, level) in order {
        if level < 1 {
            counters.clear();
            continue;
        }
        let depth = level as usize;
        counters.resize(depth, 0);
        counters[depth - 1] += 1;
        out.insert((file, line), counters.clone());
    }
    out
}

/// Whether `file` or anything it includes has a heading.
fn subtree_has_headings(book: &Book, file: &str, memo: &mut HashMap<String, bool>) -> bool {
    if let Some(&v) = memo.get(file) {
        return v;
    }
    memo.insert(file.to_string(), false);
    let own = book.outline(file).is_some_and(|o| !o.headings.is_empty());
    let children: Vec<String> = book.children.get(file).into_iter().flatten().map(|(c, _)| c.clone()).collect();
    let v = own || children.iter().any(|c| subtree_has_headings(book, c, memo));
    memo.insert(file.to_string(), v);
    v
}

fn is_prose(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty()
        && !t.starts_with("#import")
        && !t.starts_with("//")
        && !t.starts_with('%')
        && !t.starts_with("#include")
}

/// An environment file included by a section: (path, include line, label, canonical kind).
type Sibling = (String, usize, Option<String>, String);

/// A new file for one environment, where the book keeps one environment per file: the file
/// to create, its text, and the `#include` line to add to the including file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// The new file, relative to the book root.
    pub path: String,
    /// Its text: the siblings' `#import` lines, then the environment.
    pub text: String,
    /// The file that gets the include line.
    pub parent: String,
    /// 1-based line of `parent` after which the include line goes.
    pub after_line: usize,
    /// The include line, written as the siblings' are.
    pub include: String,
}

/// Where the book puts one environment per file (as the real book's `hypotheses/`,
/// `warnings/` folders do): when the section of `candidate` includes at least two sibling
/// files that each hold one environment and no heading, in one folder, `rendered` (a
/// Typst environment labelled `label` or titled `title`) goes to a new file beside them,
/// named as they are (`hyp-<label>.typ` when their names end with their labels, else the
/// siblings' common prefix and the title's slug), included after the last sibling. At
/// least half the siblings must hold environments of `kind` (the snippet's canonical
/// environment). `None` when the book does not do this there, or the name is taken.
pub fn new_file_site(
    book: &Book,
    candidate: &Candidate,
    kind: Option<&str>,
    label: Option<&str>,
    title: Option<&str>,
    rendered: &str,
) -> Option<NewFile> {
    let parent = &candidate.path;
    let o = book.outline(parent)?;
    // The section holding the insertion point: from the heading above it to the next one.
    let start = o.headings.iter().rev().find(|h| h.line <= candidate.after_line).map_or(0, |h| h.line);
    let end = o.headings.iter().find(|h| h.line > candidate.after_line).map_or(usize::MAX, |h| h.line);
    let mut groups: std::collections::BTreeMap<String, Vec<Sibling>> = Default::default();
    for (child, line) in book.children.get(parent).into_iter().flatten() {
        if *line < start || *line >= end {
            continue;
        }
        let Some(co) = book.outline(child) else { continue };
        if co.envs.len() != 1 || !co.headings.is_empty() {
            continue;
        }
        let env = &co.envs[0];
        let canonical = book.rules.environments.canonical_of_macro(&env.name);
        groups.entry(crate::text::parent_dir(child).to_string()).or_default().push((
            child.clone(),
            *line,
            env.label.clone(),
            canonical,
        ));
    }
    let same_kind = |g: &Vec<Sibling>| kind.is_some_and(|k| g.iter().filter(|s| s.3 == k).count() * 2 >= g.len());
    // Only siblings of the snippet's own kind: a hypothesis does not go among figures.
    let (dir, siblings) = groups
        .into_iter()
        .filter(|(_, g)| g.len() >= 2 && same_kind(g))
        .max_by_key(|(dir, g)| (g.len(), std::cmp::Reverse(dir.clone())))?;
    let stem = |p: &str| p.rsplit('/').next().unwrap_or(p).trim_end_matches(".typ").to_string();
    // Named after their labels (`hypothesis-hyp:x.typ`, `hyp-x.typ` for `hyp:x`)?
    let label_tail = |l: &str| l.split_once(':').map_or(l, |(_, t)| t).to_string();
    let by_label = siblings.iter().all(|(p, _, l, _)| {
        l.as_ref().is_some_and(|l| stem(p).ends_with(l.as_str()) || stem(p).ends_with(&label_tail(l)))
    });
    let stems: Vec<String> = siblings.iter().map(|(p, ..)| stem(p)).collect();
    let name = if by_label {
        let (p, _, l, _) = &siblings[0];
        let l = l.as_deref().unwrap_or_default();
        let (prefix, whole) = match stem(p).strip_suffix(l) {
            Some(prefix) => (prefix.to_string(), true),
            None => (stem(p).strip_suffix(&label_tail(l)).unwrap_or_default().to_string(), false),
        };
        let own = label?;
        format!("{prefix}{}", if whole { own.to_string() } else { label_tail(own) })
    } else {
        let common = stems.iter().skip(1).fold(stems[0].clone(), |acc, s| {
            acc.chars().zip(s.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a).collect()
        });
        let prefix = match common.rfind('-') {
            Some(i) => common[..=i].to_string(),
            None => String::new(),
        };
        let slug = crate::guide::slugify(title.or(label.map(|l| l.split_once(':').map_or(l, |(_, t)| t)))?);
        format!("{prefix}{slug}")
    };
    let path = if dir.is_empty() { format!("{name}.typ") } else { format!("{dir}/{name}.typ") };
    if book.sources.contains_key(&path) || book.disk_text(&path).is_some() {
        return None;
    }
    // The include line as the last sibling's, with the new name.
    let (last, last_line, ..) = siblings.iter().max_by_key(|s| s.1)?;
    let parent_text = book.sources.get(parent)?;
    let written = parent_text.lines().nth(last_line - 1)?;
    let old_name = last.rsplit('/').next()?;
    let include = written.replacen(old_name, &format!("{name}.typ"), 1);
    let imports: Vec<&str> =
        book.sources.get(last)?.lines().take_while(|l| l.trim().is_empty() || l.starts_with("#import")).collect();
    let imports = imports.join("\n");
    let imports = imports.trim();
    let text = if imports.is_empty() { format!("{rendered}\n") } else { format!("{imports}\n\n{rendered}\n") };
    Some(NewFile { path, text, parent: parent.clone(), after_line: *last_line, include })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_anchor_is_searched_from_up_to_two_lines_before_its_longest_word() {
        let lines = ["Intro line.", "Patients showed", "reduced OXYGEN", "uptake at peak.", "", "Oxygen again."];
        let wanted = squash("showed reduced oxygen uptake");
        // "reduced", the longest word, is on line 2.
        assert_eq!(match_starts(&lines, &wanted), [0, 1, 2]);
        assert_eq!(match_starts(&lines, &squash("oxygen")), [0, 1, 2, 3, 4, 5]);
        assert_eq!(match_starts(&lines, &squash("peak uptake")), [1, 2, 3]);
        assert!(match_starts(&lines, &squash("ventilatory threshold")).is_empty());
        // Non-ASCII lines are lowercased before the search.
        assert_eq!(match_starts(&["Ça ÉNERGIE", "x"], &squash("énergie")), [0]);
    }

    #[test]
    fn title_similarity_prefers_exact_then_contained() {
        assert_eq!(title_similarity("Microglial Activation", "Microglial activation"), 1.0);
        assert_eq!(title_similarity("Activation", "Microglial Activation"), 0.9);
        assert!(title_similarity("Sleep", "Pain") < 0.01);
        // One-letter words tell cell types and vitamins apart.
        assert_eq!(title_similarity("T Cell Dysfunction", "T Cell Metabolic Dysfunction"), 0.9);
        assert_eq!(title_similarity("T Cell Dysfunction", "Clinical Significance of NK Cell Dysfunction"), 0.5);
        assert_eq!(title_similarity("Vitamin D", "Vitamin B12 and Folate"), 0.4);
    }

    #[test]
    fn a_one_word_hint_held_by_several_titles_names_none_but_a_word_and_number_does() {
        let titles = [
            "IL-6 Signalling",
            "IL-2 as Emerging Target",
            "Microglia and Neuroinflammation",
            "Neuroinflammation Markers",
        ];
        let forms: Vec<(Arc<TitleForm>, Vec<Arc<TitleForm>>)> =
            titles.iter().map(|t| (Arc::new(TitleForm::new(t)), Vec::new())).collect();
        let topic = TitleForm::new("neuroinflammation").topic_among(&forms, 2);
        assert!(topic.similarity(&forms[2].0) < 0.7 && topic.similarity(&forms[3].0) < 0.7);
        assert_eq!(topic.similarity(&TitleForm::new("Neuroinflammation")), 1.0);
        // "IL-6" is one term ("il", the digit is too short to be one) but two words.
        assert_eq!(TitleForm::new("IL-6").topic_among(&forms, 2).similarity(&forms[0].0), 0.9);
        assert_eq!(TitleForm::new("neuroinflammation").topic_among(&forms, 0).similarity(&forms[3].0), 0.9);
    }

    #[test]
    fn hints_split_into_alternatives() {
        let h = Hint::parse("\\subsection{Glial Cells} or \\subsection{Blood-Brain Barrier} (line ~76)");
        assert_eq!(h.iter().map(|h| h.title.as_str()).collect::<Vec<_>>(), vec!["Glial Cells", "Blood-Brain Barrier"]);
        assert!(h.iter().all(|h| h.line == Some(76)));
        let h = Hint::parse("Line ~468, existing subsection === TRP Channel Sensitization by ROS");
        assert_eq!((h[0].title.as_str(), h[0].line), ("TRP Channel Sensitization by ROS", Some(468)));
        let h = Hint::parse("Hypothalamic dysfunction / Sleep-wake regulation and/or AMPK/mTOR signalling");
        assert_eq!(
            h.iter().map(|h| h.title.as_str()).collect::<Vec<_>>(),
            vec!["Hypothalamic dysfunction", "Sleep-wake regulation", "AMPK/mTOR signalling"]
        );
        let h = Hint::parse("Age-Dependent Recovery or Vicious Cycles section");
        assert_eq!(
            h.iter().map(|h| h.title.as_str()).collect::<Vec<_>>(),
            vec!["Age-Dependent Recovery", "Vicious Cycles"]
        );
        let h = Hint::parse("Line ~296-330, existing section on MCAS overlap and mast-microglia loop.");
        assert_eq!((h[0].title.as_str(), h[0].line), ("MCAS overlap and mast-microglia loop", Some(296)));
        let h = Hint::parse("\\label{sec:pem} in ch03");
        assert_eq!(h[0].label.as_deref(), Some("sec:pem"));
    }

    #[test]
    fn a_directive_and_a_section_number_are_not_words_of_the_title() {
        let h = Hint::parse("EXPAND EXISTING: §15.7.4 Low-Dose Aripiprazole (LDA)");
        assert_eq!((h[0].title.as_str(), h[0].number.clone()), ("Low-Dose Aripiprazole", Some(vec![15, 7, 4])));
        let h = Hint::parse("After §15.6 (Autonomic medications)");
        assert_eq!((h[0].title.as_str(), h[0].number.clone()), ("Autonomic medications", Some(vec![15, 6])));
        assert_eq!(Hint::parse("New Section: Viral Persistence")[0].title, "Viral Persistence");
        assert_eq!(Hint::parse("Pacing: heart rate")[0].title, "Pacing: heart rate");
        assert_eq!(Hint::parse("Section 3.2")[0].title, "");
        assert_eq!(Hint::parse("3.2 Activity Thresholds")[0].title, "Activity Thresholds");
        let h = Hint::parse("After §15.6 (Autonomic medications) or §15.7 (Sleep aids)");
        assert_eq!(h.iter().map(|h| h.title.as_str()).collect::<Vec<_>>(), vec!["Autonomic medications", "Sleep aids"]);
        assert_eq!(Hint::parse("Section 3.2 (see Table 4)")[0].title, "");
    }

    #[test]
    fn a_paragraph_named_by_its_topic_is_an_anchor() {
        let h = Hint::parse("(after the substance P/mast cell paragraph at ~line 327)");
        assert_eq!(
            (h[0].anchor.as_deref(), h[0].line, h[0].mentions),
            (Some("substance P/mast cell"), Some(327), true)
        );
        assert_eq!(h[0].title, "");
        let h = Hint::parse("after the paragraph on orexin signalling");
        assert_eq!((h[0].anchor.as_deref(), h[0].mentions), (Some("orexin signalling"), true));
        let h = Hint::parse("After the existing paragraph on Hoel 2026 proteomics (around line 260+), add more");
        assert_eq!(h[0].anchor.as_deref(), Some("Hoel 2026 proteomics"));
        assert_eq!(Hint::parse("after the existing paragraph")[0].anchor, None);
        let h = Hint::parse("After line 14 (\"as their condition changes.\")");
        assert_eq!((h[0].anchor.as_deref(), h[0].mentions), (Some("as their condition changes."), false));
    }

    #[test]
    fn label_anchors_are_recognised() {
        assert_eq!(label_anchor("\\label{sec:pem} in ch03").as_deref(), Some("sec:pem"));
        assert_eq!(label_anchor("after <sec:x>").as_deref(), Some("sec:x"));
        assert_eq!(label_anchor("see @sec:y").as_deref(), Some("sec:y"));
        assert_eq!(label_anchor("Crash Dose-Response"), None);
        assert_eq!(
            label_anchor("the PEM section (sec:ch15-metabolic-danger, ~line 510)").as_deref(),
            Some("sec:ch15-metabolic-danger")
        );
    }

    #[test]
    fn arrow_paths_and_section_numbers_are_read() {
        let h = &Hint::parse("Immune → \"Cytokines\" -> IL-6 Signalling")[0];
        assert_eq!((h.title.as_str(), h.path.clone()), ("IL-6 Signalling", vec!["Immune".into(), "Cytokines".into()]));
        assert_eq!(Hint::parse("Chapter 7 > Limitations")[0].path, vec!["Chapter 7".to_string()]);
        assert_eq!(section_number("Section 7.3.2 (Cytokines)"), Some(vec![7, 3, 2]));
        assert_eq!(section_number("see §3.2"), Some(vec![3, 2]));
        assert_eq!(section_number("4.1 Thresholds and ceilings"), Some(vec![4, 1]));
        assert_eq!(section_number("after line 412"), None);
        assert!(names_number(&[7, 3, 2], &[3, 2]) && names_number(&[3, 2], &[3, 2]) && !names_number(&[7, 3], &[3, 2]));
    }
}
