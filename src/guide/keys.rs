//! Citation-key extraction: keys in snippets (`\cite{..}`, `@key`), in prose and
//! backticks, in ```bibtex fences (with the entries), the test for what looks like a key,
//! and giving each target the keys of its part of the guide. Which keys the bibliography
//! holds is checked later (`check`).

use std::collections::BTreeSet;

use regex::Regex;

use super::model::Target;
use crate::text::LineIndex;

/// Citation keys in LaTeX `\cite{a,b}` (any natbib/biblatex variant) and Typst `@key` forms.
pub fn keys_in_snippet(text: &str) -> Vec<String> {
    static LATEX: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    static TYPST: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let latex =
        LATEX.get_or_init(|| Regex::new(r"\\[A-Za-z]*cite[A-Za-z]*\*?(?:\s*\[[^\]]*\]){0,2}\s*\{([^}]*)\}").unwrap());
    let typst = TYPST.get_or_init(|| Regex::new(r"(?:^|[\s(\[~])@([A-Za-z][A-Za-z0-9_:\-./+]*[A-Za-z0-9_])").unwrap());
    let mut keys = Vec::new();
    for c in latex.captures_iter(text) {
        keys.extend(c[1].split(',').map(|k| k.trim().to_string()).filter(|k| !k.is_empty()));
    }
    if !text.contains("\\begin{") && !text.contains("\\cite") {
        for c in typst.captures_iter(text) {
            let key = c[1].to_string();
            // `@sec:x` and friends are cross-references, not citations.
            if !key.contains(':') || key.split(':').next().is_some_and(|p| p.len() > 5) {
                keys.push(key);
            }
        }
    }
    keys
}

/// Keys written as `Key2024` in backticks inside prose (key-findings files).
pub(super) fn keys_in_text(text: &str) -> Vec<String> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"`([A-Z][A-Za-z]+[0-9]{4}[A-Za-z0-9_:\-]*)`").unwrap());
    let mut seen = BTreeSet::new();
    re.captures_iter(text).map(|c| c[1].to_string()).filter(|k| seen.insert(k.clone())).collect()
}

/// Typst-style citations in a guide's prose: `@Key` with a year in it, not preceded by a
/// letter or digit (an e-mail address), not escaped (`\\@`), not in a URL, a code span or
/// a fenced block of code (a fence labelled other than a snippet's `typst`, `latex`, `tex`
/// or nothing), in text order without duplicates.
pub(super) fn prose_citations(text: &str) -> Vec<String> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?:^|[^A-Za-z0-9_.])@([A-Za-z][A-Za-z0-9_:\-./+]*[A-Za-z0-9_])").unwrap());
    let prose = without_code(text);
    let mut seen = BTreeSet::new();
    re.captures_iter(&prose)
        .filter(|c| !crate::text::at_sign_is_literal(&prose, c.get(1).map_or(0, |m| m.start() - 1)))
        .map(|c| c[1].to_string())
        .filter(|k| looks_like_key(k) && seen.insert(k.clone()))
        .collect()
}

/// `text` with code spans and fenced code blocks (but snippet fences, see
/// [`prose_citations`]) blanked by spaces, lines and byte offsets kept.
fn without_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut fence: Option<(char, usize, bool)> = None;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let marker = t.chars().next().filter(|c| *c == '`' || *c == '~');
        let run = marker.map_or(0, |m| t.chars().take_while(|c| *c == m).count());
        match (fence, marker) {
            (None, Some(m)) if run >= 3 && line.len() - t.len() <= 3 => {
                let lang = t[run..].split_whitespace().next().unwrap_or("").to_ascii_lowercase();
                let snippet = matches!(lang.as_str(), "" | "typst" | "latex" | "tex");
                fence = Some((m, run, snippet));
                out.push_str(line);
                continue;
            }
            (Some((m, n, _)), Some(c)) if c == m && run >= n && t[run..].trim().is_empty() => {
                fence = None;
                out.push_str(line);
                continue;
            }
            _ => {}
        }
        match fence {
            Some((_, _, false)) => out.extend(line.chars().map(|c| if c == '\n' { c } else { ' ' })),
            Some((_, _, true)) => out.push_str(line),
            None => out.push_str(&blank_code_spans(line)),
        }
    }
    out
}

/// `line` with each code span (a run of backticks to the next run of the same length)
/// blanked by spaces; an unclosed run is text.
fn blank_code_spans(line: &str) -> String {
    let mut out = line.to_string();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'`' {
            i += 1;
            continue;
        }
        let run = b[i..].iter().take_while(|&&c| c == b'`').count();
        let ticks = "`".repeat(run);
        let body = i + run;
        let Some(close) = line[body..].find(&ticks) else {
            i = body;
            continue;
        };
        let end = body + close + run;
        out.replace_range(i..end, &" ".repeat(end - i));
        i = end;
    }
    out
}

/// Whether a word looks like a citation key: optional `@`, a letter first, a four-digit
/// year inside, no spaces (`Park2024fatigueSeverity`, `@smith2020`).
pub(super) fn looks_like_key(word: &str) -> bool {
    let w = word.trim_matches('`').trim_start_matches('@').trim_end_matches([':', ',', ';', '.']);
    w.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && w.chars().all(|c| c.is_ascii_alphanumeric() || "_:-./+".contains(c))
        && w.as_bytes().windows(4).any(|b| b.iter().all(u8::is_ascii_digit))
}

pub(super) fn push_key(keys: &mut Vec<String>, key: &str) {
    let key = key.trim().trim_matches(['`', '{', '}', ',', ';']).trim().trim_start_matches('@');
    let valid = !key.is_empty() && !key.contains(char::is_whitespace) && key.chars().any(|c| c.is_ascii_alphanumeric());
    if valid && !keys.iter().any(|k| k == key) {
        keys.push(key.to_string());
    }
}

/// `(key, entry text)` of each `@type{key, ...}` in a ```bibtex fence.
pub(super) fn bibtex_entries(code: &str) -> Vec<(String, String)> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?m)^\s*@([A-Za-z]+)\s*[{(]\s*([^,\s]+)\s*,").unwrap());
    let starts: Vec<(usize, String, String)> = re
        .captures_iter(code)
        .map(|c| (c.get(0).unwrap().start(), c[1].to_lowercase(), c[2].to_string()))
        .filter(|(_, kind, _)| !matches!(kind.as_str(), "string" | "comment" | "preamble"))
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(i, (start, _, key))| {
            let end = starts.get(i + 1).map_or(code.len(), |s| s.0);
            (key.clone(), code[*start..end].trim().to_string())
        })
        .collect()
}

/// Gives each target the citation keys of its part of the guide (the text between two
/// headings of level 1 or 2 holding it) when the guide's parts name different keys, as
/// batch guides with one `## Paper N` section per paper do; else every key of the guide.
pub(super) fn assign_part_keys(text: &str, idx: &LineIndex, starts: &[usize], keys: &[String], targets: &mut [Target]) {
    let mut starts = starts.to_vec();
    starts.sort_unstable();
    starts.dedup();
    let part_text = |i: usize| {
        let from = idx.start_of(starts[i]).unwrap_or(text.len());
        let to = starts.get(i + 1).and_then(|l| idx.start_of(*l)).unwrap_or(text.len());
        &text[from..to.max(from)]
    };
    let mentions = |part: &str, key: &str| {
        part.match_indices(key).any(|(at, _)| {
            let before = part[..at].chars().next_back();
            let after = part[at + key.len()..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            !word(before) && !word(after)
        })
    };
    let part_keys: Vec<Vec<String>> =
        (0..starts.len()).map(|i| keys.iter().filter(|k| mentions(part_text(i), k)).cloned().collect()).collect();
    let distinct: std::collections::BTreeSet<&Vec<String>> = part_keys.iter().filter(|k| !k.is_empty()).collect();
    // A target that names its own keys (a row of a claims table) keeps them.
    for t in targets.iter_mut().filter(|t| t.keys.is_empty()) {
        let part = starts.partition_point(|s| *s <= t.line).saturating_sub(1);
        t.keys = match part_keys.get(part) {
            Some(own) if distinct.len() > 1 && !own.is_empty() => own.clone(),
            _ => keys.to_vec(),
        };
    }
}
