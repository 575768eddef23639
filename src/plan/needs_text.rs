//! What a target with no content needs for its text to be written elsewhere (by the
//! calling workflow, then supplied with `--texts`): its insertion point, the section's
//! current text around it, and the key findings that bear on it.
//!
//! What it leaves out: writing the text, and taking it back ([`super::supplied`]).

use crate::guide::{Guide, Target};
use crate::place::Candidate;
use crate::relevance::Bm25;
use crate::store::Store;
use crate::text::terms;

/// Lines of the section's text given at most: enough to match its voice and see what it
/// already says, short enough to read in a prompt. Our choice.
pub const SECTION_LINES: usize = 40;

/// Of those, the lines at most before the insertion point (the text follows them); the
/// rest come after it. Our choice.
const BEFORE_LINES: usize = 30;

/// Key-findings paragraphs given at most. Our choice.
pub const EXCERPTS: usize = 3;

/// A target that still has no content: where its text would go and what to write it from.
#[derive(Debug, Clone, PartialEq)]
pub struct NeedsText {
    /// The file the text goes into (relative to the book root).
    pub path: String,
    /// 1-based line after which it goes, in the file at the base revision.
    pub after_line: usize,
    /// Headings from the chapter down to the insertion point.
    pub heading_path: Vec<String>,
    /// 1-based line of `section_text`'s first line.
    pub section_line: usize,
    /// The section holding the insertion point (from its heading to the next heading), at
    /// most [`SECTION_LINES`] lines around the insertion point, as written.
    pub section_text: String,
    /// The key-findings paragraphs most relevant to the target (BM25, best first, at most
    /// [`EXCERPTS`]; none without a key-findings file or a shared term).
    pub key_findings: Vec<String>,
}

/// The [`NeedsText`] of `target` of `guide` placed at `best`.
pub fn needs_text(book: &Store, guide: &Guide, target: &Target, best: &Candidate) -> NeedsText {
    let text = book.base_text(&best.path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let headings: Vec<usize> =
        book.outline(&best.path).map(|o| o.headings.iter().map(|h| h.line).collect()).unwrap_or_default();
    let (first, last) = section_window(&headings, lines.len(), best.after_line);
    let section_text = lines.get(first.saturating_sub(1)..last).map(|l| l.join("\n")).unwrap_or_default();
    let mut query = format!("{}\n{}\n", target.title_hint, target.section_hints.join("\n"));
    query.push_str(target.rationale.as_deref().unwrap_or(""));
    query.push('\n');
    query.push_str(&best.heading_path.join("\n"));
    let paragraphs = guide.key_findings.as_ref().map(|k| paragraphs(&k.text)).unwrap_or_default();
    let w = &book.rules.scoring.place;
    NeedsText {
        path: best.path.clone(),
        after_line: best.after_line,
        heading_path: best.heading_path.clone(),
        section_line: first,
        section_text,
        key_findings: most_relevant(&paragraphs, &query, (w.bm25_k1, w.bm25_b), EXCERPTS),
    }
}

/// The 1-based lines `(first, last)` of the section around the insertion after line
/// `after` of a file of `n` lines whose headings are at `headings`: from the last heading at
/// or before it (else line 1) to the line before the next heading (else the end), cut to
/// [`SECTION_LINES`] lines of which at most [`BEFORE_LINES`] are up to `after`.
fn section_window(headings: &[usize], n: usize, after: usize) -> (usize, usize) {
    let start = headings.iter().copied().filter(|&h| h <= after.max(1)).max().unwrap_or(1);
    let end = headings.iter().copied().filter(|&h| h > after.max(start)).min().map_or(n, |h| h - 1);
    let first = start.max((after + 1).saturating_sub(BEFORE_LINES)).max(1);
    (first, end.min(first + SECTION_LINES - 1).min(n))
}

/// The paragraphs of a key-findings text: blocks between blank lines, each list item a
/// paragraph of its own, headings left out.
fn paragraphs(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for line in text.lines().map(str::trim) {
        let item = line.starts_with("- ")
            || line.starts_with("* ")
            || line.split_once(". ").is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if line.is_empty() || line.starts_with('#') {
            open = false;
        } else if item || !open {
            out.push(line.to_string());
            open = true;
        } else if let Some(last) = out.last_mut() {
            last.push(' ');
            last.push_str(line);
        }
    }
    out
}

/// The `k` of `paragraphs` most relevant to `query` by BM25 (`(k1, b)`), best first (ties in
/// text order); those sharing no term with it are left out.
fn most_relevant(paragraphs: &[String], query: &str, (k1, b): (f64, f64), k: usize) -> Vec<String> {
    let docs: Vec<Vec<String>> = paragraphs.iter().map(|p| terms(p)).collect();
    let scores = Bm25::new(&docs, k1, b).scores(&terms(query));
    let mut order: Vec<usize> = (0..paragraphs.len()).filter(|&i| scores[i] > 0.0).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order.into_iter().take(k).map(|i| paragraphs[i].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_the_section_around_the_insertion_point() {
        // Headings at 1, 10 and 60 of 100 lines.
        let h = [1, 10, 60];
        assert_eq!(section_window(&h, 100, 12), (10, 49));
        assert_eq!(section_window(&h, 100, 59), (30, 59));
        assert_eq!(section_window(&h, 100, 5), (1, 9));
        assert_eq!(section_window(&[], 3, 3), (1, 3));
        assert_eq!(section_window(&h, 100, 0), (1, 9));
    }

    #[test]
    fn paragraphs_and_the_most_relevant_ones() {
        let text = "# Key Findings\n\n## Main\n\n1. Sleep improved\n   in most patients.\n2. Pain fell.\n\n- Orthostatic intolerance rose.\n\nA closing remark on sleep and pain.\n";
        let p = paragraphs(text);
        assert_eq!(
            p,
            [
                "1. Sleep improved in most patients.",
                "2. Pain fell.",
                "- Orthostatic intolerance rose.",
                "A closing remark on sleep and pain."
            ]
        );
        let best = most_relevant(&p, "sleep quality", (1.2, 0.75), 3);
        assert_eq!(best, ["1. Sleep improved in most patients.", "A closing remark on sleep and pain."]);
    }
}
