//! Citation edits: a guide that asks to support an existing sentence (`**Location:** Line ~N,
//! text: "..."` with `**Edit:** Add @Key at the end of this sentence`, or a `**Suggested
//! inline citation:**` that rewrites or follows the sentence) changes that sentence in
//! place instead of inserting a block.
//!
//! The sentence is found by its quoted text, word by word across line breaks (the guide's
//! line number only picks among several matches); it ends at the first `.`, `!` or `?`
//! after the quoted text that is followed by a space or the line's end. The edit replaces
//! the lines the sentence spans and nothing else.

use crate::edit::Insertion;
use crate::guide::{Markup, Target};
use crate::place::Hint;
use crate::store::Store;

/// What a target does to the sentence it quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SentenceEdit {
    /// Cite these keys at the end of the sentence.
    AddKeys(Vec<String>),
    /// Replace the sentence (from the quoted text to its end) with this text, in the
    /// file's markup.
    Rewrite(String),
    /// Put this text (the file's markup) right after the sentence, in the same paragraph.
    Append(String),
}

/// A sentence of the book found by its quoted text: the file, the 1-based lines it spans,
/// the byte where the quoted text starts in the first line and the byte of its final
/// punctuation in the last (the line's length when it has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    /// File holding the sentence, relative to the book root.
    pub path: String,
    /// 1-based first line.
    pub first: usize,
    /// 1-based last line.
    pub last: usize,
    /// Byte offset of the quoted text in the first line.
    pub start: usize,
    /// Byte offset of the sentence's final punctuation in the last line.
    pub end: usize,
}

/// The quoted sentence of `target` (its first hint with quoted text that is not a
/// paragraph's topic) and the hint's line, when the guide asks to edit it: an `**Edit:**`
/// instruction or a `**Suggested inline citation:**` lead-in (`target.edit`). A quoted
/// heading or a snippet alone ("the existing \"X\" subsection") is not an edit.
pub fn quoted_sentence(target: &Target) -> Option<(String, Option<usize>)> {
    target.edit.as_ref()?;
    let hint = target.section_hints.iter().flat_map(|h| Hint::parse(h)).find(|h| h.anchor.is_some() && !h.mentions)?;
    Some((hint.anchor?, hint.line))
}

/// What `target` does to its sentence `anchor`, given its snippet rendered in the file's
/// markup (`rendered`); `None` when it is not an edit this module makes safely:
/// - no snippet: the keys the instruction names are cited ([`SentenceEdit::AddKeys`]);
/// - a snippet of plain prose that starts with the quoted words: it replaces the sentence
///   from there ([`SentenceEdit::Rewrite`]);
/// - a snippet of plain prose under an instruction to add a sentence ("inline citation",
///   "add ... after"): it follows the sentence ([`SentenceEdit::Append`]).
///
/// Blocks (environments, headings, lists, tables), reworded rewrites and rewrites of part
/// of a sentence are placed as blocks instead.
pub fn kind(target: &Target, anchor: &str, rendered: Option<&str>) -> Option<SentenceEdit> {
    let edit = target.edit.as_deref()?.to_lowercase();
    match rendered.map(str::trim).filter(|r| !r.is_empty()) {
        Some(text) if !is_prose(text) => None,
        Some(text) if starts_with_words(text, anchor) => Some(SentenceEdit::Rewrite(text.to_string())),
        Some(_) if contains_words(rendered.unwrap_or(""), anchor) => None,
        Some(text) if edit.contains("inline") || (edit.contains("add") && edit.contains("after")) => {
            Some(SentenceEdit::Append(text.to_string()))
        }
        Some(_) => None,
        None => {
            let keys = keys_in(target.edit.as_deref().unwrap_or(""));
            (!keys.is_empty()).then_some(SentenceEdit::AddKeys(keys))
        }
    }
}

/// Whether a rendered snippet is running prose that can sit inside a paragraph: no
/// environment, heading, list, table, display math or comment line.
fn is_prose(text: &str) -> bool {
    text.lines().map(str::trim_start).all(|l| {
        !(l.starts_with('#')
            || l.starts_with('=')
            || l.starts_with('\\')
            || l.starts_with('-')
            || l.starts_with('+')
            || l.starts_with('|')
            || l.starts_with('$')
            || l.starts_with('%')
            || l.starts_with("//")
            || l.starts_with('>'))
    }) && !text.contains("\n\n")
}

/// Whether `text` begins with the words of `anchor` (as [`contains_words`] compares them).
fn starts_with_words(text: &str, anchor: &str) -> bool {
    let a = comparable_anchor(anchor);
    !a.is_empty() && comparable(text).starts_with(&a)
}

/// Words lowercased, emphasis marks `*_` dropped, joined by single spaces.
fn comparable(s: &str) -> String {
    s.split_whitespace()
        .map(|w| w.trim_matches(['*', '_']).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// [`comparable`] without the quoted sentence's own final punctuation (it may now follow a
/// citation).
fn comparable_anchor(anchor: &str) -> String {
    comparable(anchor).trim_end_matches(['.', '!', '?', ',', ';', ':']).to_string()
}

/// Citation keys written in an edit instruction: `@Key`, `\cite{A,B}`, or a code span
/// holding a key.
fn keys_in(text: &str) -> Vec<String> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"@([A-Za-z][\w:.-]*[\w])|\\cite\w*\{([^}]+)\}|`([A-Z][A-Za-z-]*\d{4}[\w-]*)`").unwrap()
    });
    let mut out: Vec<String> = Vec::new();
    for c in re.captures_iter(text) {
        let keys: Vec<&str> = match (c.get(1), c.get(2), c.get(3)) {
            (Some(k), _, _) | (_, _, Some(k)) => vec![k.as_str()],
            (_, Some(list), _) => list.as_str().split(',').map(str::trim).collect(),
            _ => Vec::new(),
        };
        for k in keys {
            if !k.is_empty() && !out.iter().any(|o| o == k) {
                out.push(k.to_string());
            }
        }
    }
    out
}

/// For a target that asks to cite keys without quoting a sentence ("Add `@Key` as the
/// precedent", no snippet; see `guide::draft::mark_cite_instructions`): the sentence of
/// `path` or the files it includes that best states what the target's rationale, hints and
/// title say, as an anchor (its first eight words) and its 1-based line. A sentence scores
/// one per shared word stem, three more when it cites a key the rationale names besides
/// the ones to add ("alongside `@Other`"); at least three is needed. Each paragraph and
/// each list item is read on its own; sentences of headings, comments, code, environment or
/// function lines and sentences holding math are not candidates.
pub fn best_sentence(book: &Store, path: &str, target: &Target) -> Option<(String, Option<usize>)> {
    if target.snippet.is_some() {
        return None;
    }
    let adding = keys_in(target.edit.as_deref()?);
    if adding.is_empty() {
        return None;
    }
    let mut topic = target.rationale.clone().unwrap_or_default();
    for h in target.section_hints.iter().chain([&target.title_hint]) {
        topic.push(' ');
        topic.push_str(h);
    }
    let named: Vec<String> = keys_in(&topic).into_iter().filter(|k| !adding.contains(k)).collect();
    let wanted = crate::guide::stems(&topic);
    let mut best: Option<(usize, String, usize)> = None;
    for file in book.closure(path) {
        let (Some(text), Some(outline)) = (book.sources.get(&file), book.outline(&file)) else { continue };
        let lines: Vec<&str> = text.lines().collect();
        let usable = |i: usize| {
            let t = lines[i].trim_start();
            !t.is_empty()
                && !outline.is_dead(i + 1)
                && !outline.headings.iter().any(|h| h.line == i + 1)
                && !t.starts_with(['#', '=', '\\', '%', ']', '<', '/', '|', '$'])
        };
        let mut i = 0;
        while i < lines.len() {
            if !usable(i) {
                i += 1;
                continue;
            }
            // A paragraph, or one list item: an item's first line starts the next one.
            let item = |i: usize| {
                let t = lines[i].trim_start();
                t.starts_with("- ") || t.starts_with("+ ") || t.starts_with("\\item")
            };
            let start = i;
            let mut para = String::new();
            while i < lines.len() && usable(i) && (i == start || !item(i)) {
                para.push_str(lines[i].trim_start().trim_start_matches(['-', '+']));
                para.push(' ');
                i += 1;
            }
            for sentence in para.split(". ") {
                let words: Vec<&str> = sentence.split_whitespace().collect();
                // Math is not matched word for word: such a sentence is no anchor.
                if words.len() < 6 || sentence.contains('$') {
                    continue;
                }
                let shared = crate::guide::stems(sentence).intersection(&wanted).count();
                let beside = if named.iter().any(|k| sentence.contains(k.as_str())) { 3 } else { 0 };
                let score = shared + beside;
                if score >= 3 && best.as_ref().is_none_or(|(b, _, _)| score > *b) {
                    let anchor = words.iter().take(8).copied().collect::<Vec<_>>().join(" ");
                    best = Some((score, anchor, start + 1));
                }
            }
        }
        // The target's own file first: an included file's sentence only when it has none.
        if best.is_some() {
            break;
        }
    }
    best.map(|(_, anchor, line)| (anchor, Some(line)))
}

/// Whether `text` holds the words of `anchor` in order (whitespace, case, markup characters
/// `*_` and the anchor's final punctuation ignored).
fn contains_words(text: &str, anchor: &str) -> bool {
    let a = comparable_anchor(anchor);
    !a.is_empty() && comparable(text).contains(&a)
}

/// Finds the sentence holding `anchor` in `path` or the files it includes: the match
/// nearest `near_line` (when given) in the first file that has one.
pub fn find(book: &Store, path: &str, anchor: &str, near_line: Option<usize>) -> Option<Sentence> {
    let words: Vec<&str> = anchor.split_whitespace().collect();
    if words.is_empty() {
        return None;
    }
    for file in book.closure(path) {
        let (Some(text), Some(outline)) = (book.sources.get(&file), book.outline(&file)) else { continue };
        let lines: Vec<&str> = text.lines().collect();
        let markup_is_latex = Markup::from_path(&file) == Some(Markup::Latex);
        // Every word of the file with its (0-based line, byte offset).
        let mut all: Vec<(usize, usize, &str)> = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            let mut off = 0;
            for w in l.split_whitespace() {
                let at = l[off..].find(w).map_or(off, |p| off + p);
                all.push((i, at, w));
                off = at + w.len();
            }
        }
        // Emphasis marks and trailing punctuation aside (`*TRPV1 (receptors):*`).
        fn bare(w: &str) -> &str {
            w.trim_matches(['*', '_']).trim_end_matches(['.', ',', ';', ':'])
        }
        let same = |a: &str, b: &str| bare(a) == bare(b);
        let found: Vec<usize> = (0..all.len().saturating_sub(words.len() - 1))
            .filter(|&i| {
                let (l0, _, w0) = all[i];
                // The first and last quoted words may be parts of the book's words.
                (bare(w0).ends_with(bare(words[0])) || same(w0, words[0]))
                    && (1..words.len()).all(|k| {
                        let w = all[i + k].2;
                        if k == words.len() - 1 {
                            bare(w).starts_with(bare(words[k])) || same(w, words[k])
                        } else {
                            same(w, words[k])
                        }
                    })
                    && !outline.is_dead(l0 + 1)
                    && !outline.headings.iter().any(|h| h.line == l0 + 1)
            })
            .collect();
        let Some(&i) = found.iter().min_by_key(|&&i| near_line.map_or(0, |n| all[i].0.abs_diff(n.saturating_sub(1))))
        else {
            continue;
        };
        let (first, start_word, w0) = all[i];
        let start = start_word + w0.find(words[0].trim_matches(['*', '_'])).unwrap_or(0);
        let (last_word_line, last_word_at, last_word) = all[i + words.len() - 1];
        // The sentence ends at the first . ! ? from the last quoted word on, followed by
        // a space or the end of its line; else at the end of that line.
        let mut last = last_word_line;
        let mut from = last_word_at;
        let end = loop {
            let l = lines[last];
            // A LaTeX comment ends the line's text.
            let text_end = if markup_is_latex { latex_comment_start(l).unwrap_or(l.len()) } else { l.len() };
            let hit = l[from.min(text_end)..text_end]
                .char_indices()
                .map(|(p, c)| (from.min(text_end) + p, c))
                .find(|&(p, c)| matches!(c, '.' | '!' | '?') && ends_sentence(l, p));
            if let Some((p, _)) = hit {
                break p;
            }
            if text_end < l.len() {
                last = last.max(last_word_line);
                break text_end.max(from).min(l.len());
            }
            // The sentence runs on to the next line of the same paragraph.
            if last + 1 < lines.len() && !lines[last + 1].trim().is_empty() && last < last_word_line + 3 {
                last += 1;
                from = 0;
            } else {
                last = last_word_line;
                break (last_word_at + last_word.len()).min(lines[last].len());
            }
        };
        return Some(Sentence { path: file, first: first + 1, last: last + 1, start, end });
    }
    None
}

/// `keys` cited in `markup`, to put right before a sentence's final punctuation: Typst
/// ` @A @B` (`#cite(label("k"))` for a key Typst cannot write after `@`), LaTeX
/// `~\cite{A,B}`, Markdown ` [@A; @B]`.
pub fn citation(markup: Markup, keys: &[String]) -> String {
    match markup {
        Markup::Typst => keys
            .iter()
            .map(|k| {
                let plain = k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.'));
                if plain && !k.ends_with(['.', ':']) {
                    format!(" @{k}")
                } else {
                    format!(" #cite(label(\"{k}\"))")
                }
            })
            .collect(),
        Markup::Latex => format!("~\\cite{{{}}}", keys.join(",")),
        Markup::Markdown => format!(" [{}]", keys.iter().map(|k| format!("@{k}")).collect::<Vec<_>>().join("; ")),
    }
}

/// Whether the `.`, `!` or `?` at byte `p` of `line` ends a sentence: followed (after any
/// closing quotes, brackets or emphasis marks) by a space or the line's end, and not the
/// dot of an abbreviation ("e.g.", "et al.", "approx.", "Fig.") or a single initial.
fn ends_sentence(line: &str, p: usize) -> bool {
    let after = line[p + 1..].trim_start_matches(['"', '\'', '”', '’', ')', ']', '}', '*', '_']);
    if !after.chars().next().is_none_or(char::is_whitespace) {
        return false;
    }
    if !line[p..].starts_with('.') {
        return true;
    }
    let word: String = line[..p]
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    const ABBREVIATIONS: &[&str] = &[
        "e.g", "i.e", "et al", "al", "approx", "vs", "cf", "fig", "figs", "eq", "ref", "refs", "no", "vol", "ca",
        "resp", "dr", "prof",
    ];
    let lower = word.to_lowercase();
    !(ABBREVIATIONS.contains(&lower.as_str())
        || lower.contains('.')
        || (word.chars().count() == 1 && word.chars().all(char::is_uppercase)))
}

/// The byte where a LaTeX comment starts in `line` (a `%` not escaped as `\%`).
fn latex_comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    (0..bytes.len()).find(|&i| bytes[i] == b'%' && (i == 0 || bytes[i - 1] != b'\\'))
}

/// The edit of `sentence`'s lines in `text` (the file's text): an [`Insertion`] replacing
/// them. `cite` renders keys in the file's markup.
pub fn apply(text: &str, sentence: &Sentence, edit: &SentenceEdit, cite: &dyn Fn(&[String]) -> String) -> Insertion {
    let lines: Vec<&str> = text.lines().collect();
    let span: Vec<&str> = lines[sentence.first - 1..sentence.last].to_vec();
    let joined = span.join("\n");
    // Byte offsets of the sentence's start and end within the joined lines.
    let start = sentence.start;
    let end = span[..span.len() - 1].iter().map(|l| l.len() + 1).sum::<usize>() + sentence.end;
    let has_stop = joined[end..].starts_with(['.', '!', '?']);
    let new = match edit {
        SentenceEdit::AddKeys(keys) => format!("{}{}{}", &joined[..end], cite(keys), &joined[end..]),
        SentenceEdit::Rewrite(t) => {
            let rest = if has_stop { &joined[end + 1..] } else { &joined[end..] };
            format!("{}{}{}", &joined[..start], t, rest)
        }
        SentenceEdit::Append(t) => {
            let cut = if has_stop { end + 1 } else { end };
            format!("{} {}{}", &joined[..cut], t, &joined[cut..])
        }
    };
    Insertion { after_line: sentence.first - 1, text: new, tight: true, replaces: sentence.last - sentence.first + 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_from_edit_instructions() {
        assert_eq!(keys_in("Add `@Nijs2012sensitization` at the end of this sentence."), vec!["Nijs2012sensitization"]);
        assert_eq!(keys_in("Append \\cite{A2020, B2021}"), vec!["A2020", "B2021"]);
        assert_eq!(keys_in("Cite `Smith2024Trial` here"), vec!["Smith2024Trial"]);
        assert!(keys_in("Change the sentence to:").is_empty());
    }

    #[test]
    fn sentences_end_at_a_full_stop_not_at_an_abbreviation() {
        let l = "Pain falls, e.g. after rest (Smith et al. 2020). Then it rises.";
        let ends: Vec<usize> =
            l.match_indices(['.', '!', '?']).map(|(p, _)| p).filter(|&p| ends_sentence(l, p)).collect();
        assert_eq!(ends, vec![l.find("). ").unwrap() + 1, l.len() - 1]);
        assert!(ends_sentence("He said \"stop.\" Then", 13));
        assert!(!ends_sentence("a 1.5 fold", 3));
        assert_eq!(latex_comment_start("50\\% of cases % note"), Some(14));
    }

    #[test]
    fn only_an_instruction_makes_an_edit_and_blocks_are_never_spliced() {
        let mut t = Target {
            rank: 1,
            file_hint: Some("ch.typ".into()),
            section_hints: vec!["the existing \"Pain Thresholds\" subsection (line ~12)".into()],
            line: 1,
            source: "g.md".into(),
            ..Default::default()
        };
        t.snippet = Some(crate::guide::Snippet {
            language: Some(Markup::Typst),
            text: "#hypothesis[Pain Thresholds drop]".into(),
            line: 3,
        });
        assert_eq!(quoted_sentence(&t), None);
        t.edit = Some("Change the sentence to:".into());
        let anchor = quoted_sentence(&t).unwrap().0;
        assert_eq!(kind(&t, &anchor, Some("#hypothesis[Pain Thresholds drop]")), None);
        // Reworded: not the same sentence, so not spliced in for it.
        assert_eq!(kind(&t, &anchor, Some("Thresholds for pain drop after exercise.")), None);
        assert_eq!(
            kind(&t, &anchor, Some("Pain Thresholds fall @K.")),
            Some(SentenceEdit::Rewrite("Pain Thresholds fall @K.".into()))
        );
        t.edit = Some("Add one sentence after this one.".into());
        assert_eq!(kind(&t, &anchor, Some("More @K.")), Some(SentenceEdit::Append("More @K.".into())));
    }

    #[test]
    fn citations_in_each_markup() {
        let k = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(citation(Markup::Typst, &k(&["A2020", "B/2021"])), " @A2020 #cite(label(\"B/2021\"))");
        assert_eq!(citation(Markup::Latex, &k(&["A2020", "B2021"])), "~\\cite{A2020,B2021}");
        assert_eq!(citation(Markup::Markdown, &k(&["A2020", "B2021"])), " [@A2020; @B2021]");
    }

    #[test]
    fn words_match_across_lines_and_markup() {
        assert!(contains_words("A central *player* in\nthis amplification.", "central player in this"));
        assert!(!contains_words("A central player", "central actor"));
        assert!(contains_words("are small, and open-label~\\cite{B2021}.", "small, and open-label."));
    }

    fn sentence(first: usize, last: usize, start: usize, end: usize) -> Sentence {
        Sentence { path: "x.typ".into(), first, last, start, end }
    }

    #[test]
    fn edits_replace_the_sentence_lines_only() {
        let text = "Intro.\nExercise dampens pain for a\nshort while. Then more.\n";
        let s = sentence(2, 3, 0, 11);
        let cite = |k: &[String]| format!(" @{}", k.join(" @"));
        let add = apply(text, &s, &SentenceEdit::AddKeys(vec!["Nijs2012".into()]), &cite);
        assert_eq!((add.after_line, add.replaces), (1, 2));
        assert_eq!(add.text, "Exercise dampens pain for a\nshort while @Nijs2012. Then more.");
        let rewrite = apply(text, &s, &SentenceEdit::Rewrite("Exercise dampens pain @K.".into()), &cite);
        assert_eq!(rewrite.text, "Exercise dampens pain @K. Then more.");
        let append = apply(text, &s, &SentenceEdit::Append("One more @K.".into()), &cite);
        assert_eq!(append.text, "Exercise dampens pain for a\nshort while. One more @K. Then more.");
    }
}
