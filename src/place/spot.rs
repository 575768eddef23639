//! The spot inside a section: besides the end of the section's own text, the insertion
//! points a person integrating the block would look at in it ([`section_spots`]): right after
//! the paragraph most related to the snippet, right after the section's last environment of
//! the target's kind, and where the section starts when the guide expands or replaces it.
//! Each is a typed [`Signal`] whose `spot_*` weight of `rules/scoring.toml` orders the spots
//! of one section; it adds nothing to the section's score (see [`super::Candidate::raw`]).

use super::section::Section;
use super::{Ranked, Signal, NAMES_SECTION};
use crate::relevance::Bm25;
use crate::store::Store;
use crate::text::terms;

/// One insertion point inside a section other than its end: the line after which the text
/// goes and the signals that propose it (one or more).
pub(super) struct Spot {
    pub(super) after_line: usize,
    pub(super) signals: Vec<Signal>,
}

/// What the spots of a target's sections are chosen by.
pub(super) struct SpotQuery<'a> {
    /// The snippet's and key findings' topic terms.
    pub(super) query: &'a [String],
    /// The target's environment kind (canonical), if any.
    pub(super) env_kind: Option<&'a str>,
    /// The guide says the snippet expands or replaces the section its hint names.
    pub(super) expands: bool,
}

/// Whether a section hint says the snippet expands, extends, replaces or rewrites the
/// section it names ("EXPAND EXISTING: §15.7.4 ...", "replaces the subsection on X").
pub(super) fn says_expands(hints: &[String]) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"(?i)\b(?:expand|expands|expanding|extend|extends|replace|replaces|rewrite|rewrites|revise|revises)\b",
        )
        .expect("valid pattern")
    });
    hints.iter().any(|h| re.is_match(h))
}

/// The spots of section `s` other than its end (`s.after_line`), each line once with every
/// signal that proposes it: after its most related paragraph
/// ([`Signal::RelatedParagraph`]: the text unit -- lines up to an insertable line followed
/// by a blank one -- of the section's own text scoring highest by BM25 against `q.query`
/// among its units, with its share of their summed scores), after its last environment of
/// `q.env_kind` ([`Signal::AfterSameKind`]), and, when `named` (a hint names the section)
/// and `q.expands`, right after its heading and label ([`Signal::SectionStart`]).
/// `lines`: the lines of the section's file.
pub(super) fn section_spots(book: &Store, s: &Section, lines: &[&str], q: &SpotQuery, named: bool) -> Vec<Spot> {
    let Some(o) = book.outline(&s.path) else { return Vec::new() };
    let blank = |l: usize| lines.get(l.wrapping_sub(1)).is_none_or(|t| t.trim().is_empty());
    let mut out: Vec<Spot> = Vec::new();
    let push = |out: &mut Vec<Spot>, after_line: usize, signal: Signal| {
        if after_line == s.after_line || after_line == 0 {
            return;
        }
        match out.iter_mut().find(|x| x.after_line == after_line) {
            Some(x) => x.signals.push(signal),
            None => out.push(Spot { after_line, signals: vec![signal] }),
        }
    };
    if named && q.expands {
        let mut l = s.first;
        while lines.get(l).is_some_and(|t| is_label_line(t)) {
            l += 1;
        }
        if l < s.last && o.can_insert_after(l) {
            push(&mut out, l, Signal::SectionStart { heading: s.title.clone(), line: l });
        }
    }
    // The text units of the section's own text, by their last line.
    let mut units: Vec<(usize, Vec<String>)> = Vec::new();
    let mut words = String::new();
    for &(a, b) in &s.text {
        for l in a..=b {
            if l == s.first || blank(l) {
                continue;
            }
            words.push_str(lines[l - 1]);
            words.push(' ');
            if blank(l + 1) && o.can_insert_after(l) && !is_label_line(lines[l - 1]) {
                units.push((l, terms(&std::mem::take(&mut words))));
            }
        }
    }
    if units.len() > 1 && !q.query.is_empty() {
        let w = &book.rules.scoring.place;
        let scores =
            Bm25::new(&units.iter().map(|u| u.1.clone()).collect::<Vec<_>>(), w.bm25_k1, w.bm25_b).scores(q.query);
        let total: f64 = scores.iter().sum();
        let best = (0..units.len()).max_by(|&i, &j| scores[i].total_cmp(&scores[j]).then(j.cmp(&i)));
        if let Some(i) = best.filter(|&i| total > 0.0 && scores[i] > 0.0) {
            let share = ((scores[i] / total) * 1000.0).round() / 1000.0;
            push(&mut out, units[i].0, Signal::RelatedParagraph { line: units[i].0, share });
        }
    }
    if let Some(kind) = q.env_kind {
        let envs = &book.rules.environments;
        let last = o
            .envs
            .iter()
            .filter(|e| e.start > s.first && e.start <= s.last && envs.canonical_of_macro(&e.name) == kind)
            .max_by_key(|e| e.end);
        if let Some(e) = last {
            let mut l = e.end;
            while lines.get(l).is_some_and(|t| is_label_line(t)) {
                l += 1;
            }
            while l > e.start && !o.can_insert_after(l) {
                l -= 1;
            }
            if o.can_insert_after(l) && l <= s.last {
                push(&mut out, l, Signal::AfterSameKind { kind: kind.to_string(), line: l });
            }
        }
    }
    out
}

/// Each section's candidate (at the end of its own text) gets [`Signal::SectionEnd`], and
/// beside it one candidate per spot inside the section ([`section_spots`]) with the
/// section's signals and score and its own spot signal, weighted by the `spot_*` weights.
pub(super) fn add_spots<'a>(book: &Store, out: &mut Vec<Ranked<'a>>, sections: &'a [Section], q: &SpotQuery) {
    let w = &book.rules.scoring.place;
    let mut extra = Vec::new();
    // Each file's lines, split once: a large file has hundreds of sections.
    let mut lines_of: std::collections::HashMap<&str, Vec<&str>> = std::collections::HashMap::new();
    for c in out.iter_mut() {
        let Some(i) = c.group else { continue };
        let named = c.signals.iter().any(|s| match s {
            Signal::HintLabel { .. } | Signal::HintNumber { .. } => true,
            Signal::HintTitle { similarity, .. } | Signal::HintPath { similarity, .. } => *similarity >= NAMES_SECTION,
            _ => false,
        });
        let path = sections[i].path.as_str();
        let lines = match book.sources.get(path) {
            Some(text) => lines_of.entry(path).or_insert_with(|| text.lines().collect()).as_slice(),
            None => &[],
        };
        let spots = if lines.is_empty() { Vec::new() } else { section_spots(book, &sections[i], lines, q, named) };
        for sp in spots {
            let mut signals = c.signals.clone();
            let spot: f64 = sp.signals.iter().filter_map(|s| s.weighed(w)).map(|x| x.contribution()).sum();
            signals.extend(sp.signals);
            extra.push(Ranked {
                path: c.path,
                heading_path: c.heading_path,
                after_line: sp.after_line,
                score: c.score,
                signals,
                cites_keys: c.cites_keys.clone(),
                relevance: c.relevance,
                named: c.named,
                spot: (spot * 1000.0).round() / 1000.0,
                group: Some(i),
            });
        }
        c.signals.push(Signal::SectionEnd);
        c.spot = w.spot_end;
    }
    out.extend(extra);
}

/// A line holding only a label (`<sec:x>`, `\label{x}`).
fn is_label_line(line: &str) -> bool {
    let t = line.trim();
    (t.starts_with('<') && t.ends_with('>') && !t.contains(' ')) || (t.starts_with("\\label{") && t.ends_with('}'))
}
