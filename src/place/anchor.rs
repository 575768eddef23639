//! Candidates that come from text found in today's file rather than from a heading: a
//! hint's quoted anchor or paragraph topic ([`anchor_candidates`], [`find_anchor`]) and
//! the end of the environment a hint names ([`env_end_candidates`]).

use super::hint::Hint;
use super::section::heading_path_at;
use super::{Candidate, Signal};
use crate::store::Store;
use crate::text::terms;

/// Candidates right after the environment each hint's [`Hint::env_end`] names, in `path` or
/// the files it includes: of the environments of that kind, the one whose title, text and
/// enclosing headings share most of the hint's words (at least one; with no words, the only
/// one of its kind), scored `weight`.
pub(super) fn env_end_candidates(book: &Store, path: &str, hints: &[Hint], weight: f64) -> Vec<Candidate> {
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

/// The 0-based lines from which a match of the squashed text `wanted` within three lines
/// could start: those up to two lines before a line holding its longest word, lowercased (a
/// match of [`squash`]ed lines holds every word of `wanted`, the first and last perhaps as
/// parts of words, and no word spans two lines). Every line when `wanted` has no word.
pub(super) fn match_starts(lines: &[&str], wanted: &str) -> Vec<usize> {
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
pub(super) fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Candidates at the spots where a hint's anchor text is found in `path` or the files it
/// includes: right after the paragraph holding it (or right before it), each with the
/// reason naming where it was found and the line the guide gave.
pub(super) fn anchor_candidates(book: &Store, path: &str, hints: &[Hint], weight: f64) -> Vec<Candidate> {
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
pub(super) fn find_anchor(lines: &[&str], o: &crate::outline::Outline, h: &Hint) -> Option<usize> {
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
