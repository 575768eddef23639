//! Ranked insertion points: ([`Book`], target, guide context) -> [`Candidate`]s.
//!
//! Every section of the resolved file and of the files it includes is a candidate; its
//! insertion point is the end of the section's own text (before its first subsection or
//! include), moved up out of any environment, code, comment, math or table. Signals, each
//! in `[0, 1]` and weighted by `rules/scoring.toml`: the section hints against the heading
//! title (label anchors exactly), BM25 relevance of the snippet and key findings against
//! the section text, sections already citing the guide's keys, and sections holding
//! environments of the same kind. Every signal that contributes is given as a reason.

use std::sync::Arc;

use serde::Serialize;

use crate::guide::Target;
use crate::outline::patterns;
use crate::store::Store;
use crate::text::terms;

mod anchor;
mod hint;
mod new_file;
mod section;
mod signal;
mod spot;

use anchor::{anchor_candidates, env_end_candidates, find_anchor};
use hint::{hint_match, names_number, TitleForm};
pub use hint::{title_similarity, Hint};
pub use new_file::{new_file_site, NewFile};
pub use section::{heading_path_at, SectionIndex};
use section::{line_nearness, section_index, Section, LINE_HALF};
pub use signal::{Signal, Weighed};

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

    /// The raw weighted sum of the signals under the weights `w` (the sum of each
    /// [`Signal::weighed`] contribution, rounded to three decimals as ranking rounds it):
    /// [`confidence`] of it is [`Candidate::score`], except for a quoted sentence found
    /// for an in-place edit, which is placed first whatever its score.
    /// Spot signals ([`Signal::is_spot`]) are left out: they order the spots of one section.
    pub fn raw(&self, w: &crate::rules::PlaceWeights) -> f64 {
        let sum: f64 =
            self.signals.iter().filter(|s| !s.is_spot()).filter_map(|s| s.weighed(w)).map(|x| x.contribution()).sum();
        (sum * 1000.0).round() / 1000.0
    }

    /// The sum of the spot signals' contributions ([`Signal::is_spot`]), rounded to three
    /// decimals: candidates of equal [`Candidate::raw`] (the spots of one section) rank by it.
    pub fn spot(&self, w: &crate::rules::PlaceWeights) -> f64 {
        let sum: f64 =
            self.signals.iter().filter(|s| s.is_spot()).filter_map(|s| s.weighed(w)).map(|x| x.contribution()).sum();
        (sum * 1000.0).round() / 1000.0
    }
}

/// A paper's subject matching more section titles than this says nothing about which one.
const SUBJECT_SECTIONS: usize = 3;

/// A hint's title this similar to a heading names that section nearly exactly: enough for
/// its subsections to compete under `hint_parent`, and for a line number beside the title
/// to be that section's line.
const NAMES_SECTION: f64 = 0.85;

/// Ranks the insertion points for `target` in `path` and the files it includes.
/// `keys` are the guide's citation keys; `context` the snippet, rationale and key findings.
/// Returns the best `limit` candidates, best first (ties broken by path, then line).
pub fn rank(book: &Store, path: &str, target: &Target, keys: &[String], context: &str, limit: usize) -> Vec<Candidate> {
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
    /// The spot a reviewer chose (`--pick`, `--at`; it carries a [`Signal::Chosen`]): it
    /// leads the candidates, whatever its score.
    pub chosen: Option<&'a Candidate>,
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
pub fn line_shift(book: &Store, path: &str, targets: &[&Target]) -> Option<LineShift> {
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
    book: &Store,
    path: &str,
    target: &Target,
    keys: &[String],
    context: &str,
    limit: usize,
    priors: Priors,
) -> Vec<Candidate> {
    let w = &book.rules.scoring.place;
    let index = section_index(book, path);
    let (sections, bm25, forms) = (&index.sections, &index.bm25, &index.forms);
    if sections.is_empty() {
        return with_chosen(Vec::new(), priors.chosen, limit);
    }
    let query = terms(&topic_text(context, &book.rules.environments));
    let rel = bm25.scores(&query);
    let max_rel = rel.iter().cloned().fold(0.0, f64::max);
    let (hints, hint_forms) = section_hints(target, sections, forms, w);
    let line_weight = match priors.shift {
        Some(_) => (w.line_shifted, w.line_shifted_half),
        None => (w.line_prior, LINE_HALF),
    };
    let mut ranking = Ranking {
        book,
        path,
        keys,
        env_kind: target.environment.as_deref(),
        subject: paper_subject(target, forms, w),
        line_named: Vec::new(),
        hints,
        hint_forms,
        forms,
        rel: &rel,
        max_rel,
        shift: priors.shift,
        line_weight,
        new_section: wants_new_section(target),
    };
    ranking.line_named = ranking.line_named_sections(sections);
    let mut out: Vec<Ranked> = sections.iter().enumerate().map(|(i, s)| ranking.score_section(i, s)).collect();
    let hints = &ranking.hints;
    let mut anchors = anchor_candidates(book, path, hints, w.anchor_text);
    anchors.extend(env_end_candidates(book, path, hints, w.anchor_text));
    // A section the guide adds that nothing places joins the one whose subsections are about
    // it (a target that itself asks for a new section keeps the after-its-subsections rule
    // below: on the gold benchmark this moved two of them further from the maintainer's spot).
    let joins = w.new_section_top > 0
        && priors.adds_sections
        && !ranking.new_section
        && max_rel > 0.0
        && anchors.is_empty()
        && priors.follows.is_none()
        && !out.iter().any(|c| c.named);
    if joins {
        join_parent(&mut out, sections, &rel, max_rel, w);
    }
    if let Some(primary) = priors.follows.filter(|_| anchors.is_empty() && w.follows > 0.0) {
        ranking.follow_earlier(&mut out, sections, target, primary);
    }
    if !joins && !ranking.new_section {
        let q = spot::SpotQuery {
            query: &query,
            env_kind: ranking.env_kind,
            expands: spot::says_expands(&target.section_hints),
        };
        spot::add_spots(book, &mut out, sections, &q);
    }
    add_anchors(&mut out, &anchors);
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| b.spot.total_cmp(&a.spot))
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
    if limit != usize::MAX {
        // One spot per section: its best (`plan --explain`, listing every candidate, keeps all).
        let mut seen = std::collections::HashSet::new();
        out.retain(|c| c.group.is_none_or(|g| seen.insert(g)));
    }
    out.truncate(limit);
    let ranked = out
        .into_iter()
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
        .collect();
    with_chosen(ranked, priors.chosen, limit)
}

/// `ranked` with the reviewer's chosen spot first (in place of the candidate at the same
/// spot), at most `limit` long; `ranked` itself without one.
fn with_chosen(mut ranked: Vec<Candidate>, chosen: Option<&Candidate>, limit: usize) -> Vec<Candidate> {
    if let Some(c) = chosen {
        ranked.retain(|r| (r.path.as_str(), r.after_line) != (c.path.as_str(), c.after_line));
        ranked.insert(0, c.clone());
        ranked.truncate(limit.max(1));
    }
    ranked
}

/// The target's section and block hints, parsed, with their title forms. A hint naming a
/// section by number and title ("§15.6 Autonomic Medications") whose title names a heading
/// but not the numbered one loses its number and is placed by the title: section numbers go
/// stale when chapters are added or split, as they did when the real book moved to Typst. A
/// number picking one of two headings the title names stays.
fn section_hints(
    target: &Target,
    sections: &[Section],
    forms: &[(Arc<TitleForm>, Vec<Arc<TitleForm>>)],
    w: &crate::rules::PlaceWeights,
) -> (Vec<Hint>, Vec<TitleForm>) {
    let hints: Vec<Hint> =
        target.section_hints.iter().chain(&target.block_hints).flat_map(|h| Hint::parse(h)).collect();
    let hint_forms: Vec<TitleForm> =
        hints.iter().map(|h| TitleForm::new(&h.title).topic_among(forms, w.topic_word_headings)).collect();
    let hints = hints
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
    (hints, hint_forms)
}

/// For a target without section hints: the paper's subject (its folder's name) as a title
/// that may be a heading, unless more than [`SUBJECT_SECTIONS`] headings share it
/// ("Prognosis", "LDN" in a chapter about it names no one section).
fn paper_subject(
    target: &Target,
    forms: &[(Arc<TitleForm>, Vec<Arc<TitleForm>>)],
    w: &crate::rules::PlaceWeights,
) -> Option<(TitleForm, String)> {
    target
        .section_hints
        .is_empty()
        .then(|| crate::text::parent_dir(&target.source).rsplit('/').next().and_then(crate::guide::paper_subject))
        .flatten()
        .filter(|_| w.subject > 0.0)
        .map(|s| (TitleForm::new(&s), s))
        .filter(|(form, _)| forms.iter().filter(|f| form.similarity(&f.0) >= w.hint_min).count() <= SUBJECT_SECTIONS)
}

/// What scoring each section of one target needs: the target's parsed hints and the file's
/// sections' title forms and relevance.
struct Ranking<'a> {
    book: &'a Store,
    path: &'a str,
    keys: &'a [String],
    env_kind: Option<&'a str>,
    hints: Vec<Hint>,
    hint_forms: Vec<TitleForm>,
    forms: &'a [(Arc<TitleForm>, Vec<Arc<TitleForm>>)],
    /// BM25 relevance per section, and its maximum.
    rel: &'a [f64],
    max_rel: f64,
    subject: Option<(TitleForm, String)>,
    /// Per section a hint's line number names by its title: its heading path, the line and
    /// its nearness ([`Ranking::line_named_sections`]).
    line_named: Vec<(&'a [String], usize, f64)>,
    shift: Option<LineShift>,
    /// `(weight, half distance)` of a hint's line number.
    line_weight: (f64, f64),
    new_section: bool,
}

impl<'a> Ranking<'a> {
    /// A hint's line number, corrected by the shift the guide's found anchors measure.
    fn shifted(&self, l: usize) -> usize {
        self.shift.map_or(l, |sh| (l as i64 + sh.by).max(1) as usize)
    }

    /// A hint's line number at the heading its title names ("\subsection{Viral Persistence}
    /// (line ~697)") gives that section's line: its subsections, which the title's match
    /// also reaches (`hint_parent`), are as near to it as the section. Per such section: its
    /// heading path, the line and its nearness.
    fn line_named_sections(&self, sections: &'a [Section]) -> Vec<(&'a [String], usize, f64)> {
        let half = self.line_weight.1;
        self.hints
            .iter()
            .zip(&self.hint_forms)
            .filter(|(h, _)| !h.title.is_empty())
            .filter_map(|(h, form)| Some((self.shifted(h.line?), form)))
            .flat_map(|(l, form)| {
                sections
                    .iter()
                    .zip(self.forms.iter())
                    .filter(move |(s, f)| s.path == self.path && form.similarity(&f.0) >= NAMES_SECTION)
                    .map(move |(s, _)| (s.heading_path.as_slice(), l, line_nearness(l, s, half)))
                    .filter(|x| x.2 >= 0.5)
            })
            .collect()
    }

    /// Section `i` (`s`) as a candidate with every signal that points at it.
    fn score_section(&self, i: usize, s: &'a Section) -> Ranked<'a> {
        let w = &self.book.rules.scoring.place;
        let (forms, hints, hint_forms) = (self.forms, &self.hints, &self.hint_forms);
        let mut score = 0.0;
        let mut signals = Vec::new();
        let mut relevance = None;
        // Whether a hint, line number or the paper's subject points at this section.
        let mut named = false;
        if let (hint_sim, Some(hint_signal)) = hint_match(hints, hint_forms, s, &forms[i].0, &forms[i].1, w.hint_min) {
            score += w.hint * hint_sim;
            signals.push(hint_signal);
            named = true;
        }
        if let Some((form, name)) = &self.subject {
            let sim = form.similarity(&forms[i].0);
            if sim >= w.hint_min {
                named = true;
                score += w.subject * sim;
                signals.push(Signal::Subject { subject: name.clone(), heading: s.title.clone(), similarity: sim });
            }
        }
        if let Some((weight, signal)) = self.line_signal(s) {
            named = true;
            score += weight;
            signals.push(signal);
        }
        let parent_sim = hints
            .iter()
            .zip(hint_forms)
            .map(|(h, f)| (&h.title, f))
            .filter(|(t, _)| !t.is_empty())
            .flat_map(|(h, hf)| {
                s.heading_path.iter().zip(&forms[i].1).rev().skip(1).map(move |(p, pf)| (h, p, hf.similarity(pf)))
            })
            .filter(|x| x.2 >= w.hint_min)
            .max_by(|a, b| a.2.total_cmp(&b.2));
        // A new section joining the named one goes after its subsections, not into them.
        if let Some((h, p, sim)) = parent_sim.filter(|x| x.2 >= NAMES_SECTION && !self.new_section) {
            named = true;
            score += w.hint_parent * sim;
            signals.push(Signal::HintParent { hint: h.clone(), heading: p.clone(), similarity: sim });
        }
        if self.max_rel > 0.0 && self.rel[i] > 0.0 {
            let r = self.rel[i] / self.max_rel;
            score += w.relevance * r;
            relevance = Some(i);
            signals.push(Signal::Relevance { terms: Vec::new(), relevance: r });
        }
        let cites: Vec<String> = self.keys.iter().filter(|k| s.cites.contains(k)).cloned().collect();
        if !cites.is_empty() {
            score += w.cites_keys;
            signals.push(Signal::CitesKeys(cites.clone()));
        }
        let envs = &self.book.rules.environments;
        if let Some(kind) = self.env_kind.filter(|k| s.envs.iter().any(|e| envs.canonical_of_macro(e) == *k)) {
            score += w.same_environment;
            signals.push(Signal::SameEnvironment(kind.to_string()));
        }
        // A new section goes after the subsections of the one it joins, not into its text.
        let after_line = if self.new_section && s.subtree_after != s.after_line {
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
            spot: 0.0,
            group: (after_line == s.after_line).then_some(i),
        }
    }

    /// The nearest of the hints' line numbers to section `s`, or the line its enclosing
    /// heading was named at: `(weighted nearness, signal)`. A line number in a hint is a
    /// weak prior (lines go stale as the file grows); corrected by the shift its found
    /// anchors measure, it is a strong one.
    fn line_signal(&self, s: &Section) -> Option<(f64, Signal)> {
        let (weight, half) = self.line_weight;
        let inherited = self
            .line_named
            .iter()
            .filter(|(named, _, _)| s.heading_path.len() > named.len() && s.heading_path.starts_with(named))
            .map(|&(named, line, near)| (line, near, named.last().map(String::as_str)));
        let (line, near, enclosing) = self
            .hints
            .iter()
            .filter_map(|h| h.line)
            .filter(|_| s.path == self.path)
            .map(|l| self.shifted(l))
            .map(|l| (l, line_nearness(l, s, half), None))
            .chain(inherited)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .filter(|x| x.1 > 0.0)?;
        let signal = Signal::Line { line, shift: self.shift, enclosing: enclosing.map(str::to_string), nearness: near };
        Some((weight * near, signal))
    }

    /// A target that shares the file of an earlier one (`primary`, its best candidate) and
    /// whose hints and heading name no heading goes right after that target's insertion
    /// point; the section holding that spot adds its own signals.
    fn follow_earlier(&self, out: &mut Vec<Ranked<'a>>, sections: &[Section], target: &Target, primary: &'a Candidate) {
        let w = &self.book.rules.scoring.place;
        if !out.iter().any(|c| c.path == primary.path) {
            return;
        }
        // The heading's own words after "Same file —" may still name a section.
        let title = target.title_hint.split_once(" — ").map_or("", |(_, t)| t);
        let title_form = TitleForm::new(title);
        let forms = self.forms;
        let named = sections.iter().enumerate().any(|(i, s)| {
            hint_match(&self.hints, &self.hint_forms, s, &forms[i].0, &forms[i].1, w.hint_min).0 > 0.0
                || title_form.similarity(&forms[i].0) >= w.hint_min
        });
        if named {
            return;
        }
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
            spot: 0.0,
            group: None,
        });
    }
}

/// A found anchor outranks every section; the section holding it adds its own signals,
/// its relevance among them.
fn add_anchors<'a>(out: &mut Vec<Ranked<'a>>, anchors: &'a [Candidate]) {
    for a in anchors {
        let mut ranked = Ranked {
            path: &a.path,
            heading_path: &a.heading_path,
            after_line: a.after_line,
            score: a.score,
            signals: a.signals.clone(),
            cites_keys: a.cites_keys.clone(),
            relevance: None,
            named: true,
            spot: 0.0,
            group: None,
        };
        if let Some(c) = out.iter().find(|c| c.path == a.path && c.heading_path == a.heading_path.as_slice()) {
            ranked.score = ((a.score + c.score) * 1000.0).round() / 1000.0;
            ranked.signals.extend(c.signals.iter().filter(|s| !s.is_spot()).cloned());
            ranked.cites_keys = c.cites_keys.clone();
            ranked.relevance = c.relevance;
        }
        out.retain(|c| !(c.path == a.path && c.after_line == a.after_line));
        out.push(ranked);
    }
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
    /// The spot signals' contribution ([`Candidate::spot`]): orders the spots of one section.
    spot: f64,
    /// The section (its index) whose spot this is, for a section's own candidate and the
    /// spots inside it ([`spot::add_spots`]); `None` for anchors and followed targets.
    group: Option<usize>,
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
                let latex = patterns::latex_heading().captures(l).is_some_and(|c| {
                    c.get(0).is_some_and(|m| m.start() == 0)
                        && matches!(&c[1], "section" | "subsection" | "subsubsection")
                });
                latex || patterns::line_heading(l, '=').is_some() || patterns::line_heading(l, '#').is_some()
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::anchor::{match_starts, squash};
    use super::hint::{label_anchor, section_number};
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
