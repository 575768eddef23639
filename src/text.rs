//! Plain-text helpers shared by the parsers: line indexing, normalisation for matching.
//!
//! Spans elsewhere are byte offsets; this module turns them into 1-based lines for printing.
//! It knows nothing of markup.

/// Byte offsets of line starts, to turn byte offsets into 1-based line numbers.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text`; a line ends at `\n` (a preceding `\r` belongs to the line).
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// 1-based line holding byte `offset` (offsets past the end give the last line).
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// Byte offset where 1-based `line` starts; `None` past the end.
    pub fn start_of(&self, line: usize) -> Option<usize> {
        self.starts.get(line.checked_sub(1)?).copied()
    }

    /// Number of line starts (a text ending in `\n` counts an empty last line).
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Always false: every text has at least one line.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Lowercase words of `text` (Unicode lowercasing), for matching titles and hints.
///
/// LaTeX commands (`\emph`) and markup characters are dropped; words are runs of
/// alphanumerics. Accented letters are kept as they are.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            // A LaTeX command name is markup, not a word.
            while chars.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                chars.next();
            }
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if in_word(c) {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            out.push(nfc(std::mem::take(&mut cur)));
        }
    }
    if !cur.is_empty() {
        out.push(nfc(cur));
    }
    out
}

/// `s` in Unicode normalization form C (composed), unchanged when ASCII: names compare
/// equal however the file spells their accents (NFC or NFD).
pub fn nfc(s: String) -> String {
    use unicode_normalization::UnicodeNormalization;
    if s.is_ascii() {
        s
    } else {
        s.nfc().collect()
    }
}

/// Words that carry no meaning for matching titles ("and", "of", "the", ...).
pub fn is_stopword(w: &str) -> bool {
    static STOP: std::sync::OnceLock<rustc_hash::FxHashSet<&'static str>> = std::sync::OnceLock::new();
    STOP.get_or_init(|| STOPWORDS.iter().copied().collect()).contains(w)
}

/// English function words and fillers common in guides and chapters.
const STOPWORDS: &[&str] = &[
    "and",
    "of",
    "the",
    "a",
    "an",
    "as",
    "at",
    "by",
    "for",
    "from",
    "in",
    "into",
    "is",
    "on",
    "or",
    "to",
    "with",
    "vs",
    "via",
    "its",
    "their",
    "this",
    "that",
    "are",
    "be",
    "was",
    "were",
    "it",
    "not",
    "but",
    "can",
    "may",
    "has",
    "have",
    "than",
    "which",
    "these",
    "those",
    "also",
    "between",
    "within",
    "over",
    "under",
    "all",
    "any",
    "more",
    "most",
    "other",
    "such",
    "both",
    "each",
    "our",
    "we",
    "they",
    "them",
    "there",
    "when",
    "where",
    "who",
    "how",
    "what",
    "why",
    "if",
    "so",
    "no",
    "do",
    "does",
    "did",
    "been",
    "being",
    "already",
    "could",
    "would",
    "should",
    "might",
    "must",
    "will",
    "only",
    "very",
    "much",
    "many",
    "some",
    "often",
    "however",
    "thus",
    "therefore",
    "while",
    "after",
    "before",
    "about",
    "up",
    "out",
    "then",
    "here",
    "one",
    "two",
    "three",
    "new",
    "use",
    "used",
];

/// Content words of `text`: [`words`] without stopwords and one-letter words, crudely
/// stemmed (a trailing plural `s` is dropped from words longer than four letters).
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_term(text, |t| out.push(t.to_string()));
    out
}

/// [`terms`] of a title, with its one-digit words and one capital-letter words (but "A"):
/// in a heading they tell sections apart ("T Cell Dysfunction" is not "NK Cell
/// Dysfunction", "Type 1" not "Type 2", "Vitamin D" not "Vitamin B"). Lowercase single
/// letters are not such words: they are elisions ("patient's") and abbreviations ("e.g.").
pub fn title_terms(title: &str) -> Vec<String> {
    let mut out = terms(title);
    out.extend(title.split(|c: char| !c.is_alphanumeric()).filter_map(|w| {
        let mut chars = w.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_digit() || (c.is_uppercase() && c != 'A') => Some(c.to_lowercase().collect()),
            _ => None,
        }
    }));
    out
}

/// Calls `f` with each of [`terms`] of `text`, in order.
pub(crate) fn for_each_term(text: &str, mut f: impl FnMut(&str)) {
    for_each_word(text, |w| {
        if let Some(t) = term_of_word(w) {
            f(t)
        }
    });
}

/// The term a lowercase word of [`for_each_word`] counts as: `None` for one-letter words and
/// stopwords, else its stem.
pub(crate) fn term_of_word(w: &str) -> Option<&str> {
    (w.len() > 1 && !is_stopword(w)).then(|| stem(w))
}

/// Calls `f` with each lowercase word of `text`, in order. Words are runs of alphanumeric
/// characters; a LaTeX command name (`\\emph`) is markup, not a word. ASCII words are
/// sliced from `text` (lowercased into a reused buffer only when they hold capitals);
/// words with other letters go through Unicode lowercasing.
pub(crate) fn for_each_word(text: &str, mut emit: impl FnMut(&str)) {
    let bytes = text.as_bytes();
    let mut buf = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\\' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
        } else if b.is_ascii_alphanumeric() {
            let start = i;
            let mut upper = false;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                upper |= bytes[i].is_ascii_uppercase();
                i += 1;
            }
            if i < bytes.len() && bytes[i] >= 0x80 && text[i..].chars().next().is_some_and(in_word) {
                i = unicode_word(text, start, &mut buf);
                emit(&buf);
            } else if upper {
                buf.clear();
                buf.extend(text[start..i].bytes().map(|c| char::from(c.to_ascii_lowercase())));
                emit(&buf);
            } else {
                emit(&text[start..i]);
            }
        } else if b >= 0x80 {
            let c = text[i..].chars().next().unwrap_or(' ');
            if c.is_alphanumeric() {
                i = unicode_word(text, i, &mut buf);
                emit(&buf);
            } else {
                i += c.len_utf8();
            }
        } else {
            i += 1;
        }
    }
}

/// Whether `c` belongs to a word: alphanumeric, or a combining mark (the accent of a
/// decomposed letter, NFD `u` + U+0308).
fn in_word(c: char) -> bool {
    c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)
}

/// Lowercases the word of alphanumeric characters (and combining marks) starting at byte
/// `start` of `text` into `buf`, composed (NFC: a decomposed `ü` is the same word as the
/// composed one); returns the byte after it.
fn unicode_word(text: &str, start: usize, buf: &mut String) -> usize {
    use unicode_normalization::UnicodeNormalization;
    buf.clear();
    let mut end = start;
    let mut marks = false;
    for c in text[start..].chars() {
        if !in_word(c) {
            break;
        }
        if c.is_ascii() {
            buf.push(c.to_ascii_lowercase());
        } else {
            marks |= unicode_normalization::char::is_combining_mark(c);
            buf.extend(c.to_lowercase());
        }
        end += c.len_utf8();
    }
    if marks {
        *buf = buf.nfc().collect();
    }
    end
}

/// Drops a plural `s` (not `ss`, `us`, `is`) from words longer than four letters.
fn stem(w: &str) -> &str {
    if w.len() > 4 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        &w[..w.len() - 1]
    } else {
        w
    }
}

/// Dice coefficient of two term lists as sets, in `[0, 1]`; 0 when either is empty.
pub fn dice(a: &[String], b: &[String]) -> f64 {
    fn set(v: &[String]) -> Vec<&str> {
        let mut v: Vec<&str> = v.iter().map(String::as_str).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
    dice_of_sets(&set(a), &set(b))
}

/// [`dice`] of two term sets given sorted and without repeats (no sorting: one merge walk).
pub fn dice_of_sets<S: AsRef<str>>(a: &[S], b: &[S]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].as_ref().cmp(b[j].as_ref()) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    2.0 * common as f64 / (a.len() + b.len()) as f64
}

/// Relative path with `/` separators (Windows separators turned around).
pub fn slash_path(p: &std::path::Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// Normalises `a/./b/../c` to `a/c`; `None` when `..` climbs above the start.
pub fn normalize_rel(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Directory part of a `/`-separated relative path ("" for a top-level file).
pub fn parent_dir(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// Joins a `/`-separated directory and a relative path, normalising `.` and `..`.
pub fn join_rel(dir: &str, rel: &str) -> Option<String> {
    if dir.is_empty() {
        normalize_rel(rel)
    } else {
        normalize_rel(&format!("{dir}/{rel}"))
    }
}

/// Stack size of [`parallel_map`]'s threads, in bytes: 64 MiB of address space (only the
/// pages touched are committed), 32 times the default.
const WORKER_STACK: usize = 64 << 20;

/// `f` over `items` on all available cores (scoped threads), results in item order. Items
/// are handed out one at a time, so a few large ones do not leave a core idle.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    parallel_map_with(items, || (), |_, item| f(item))
}

/// [`parallel_map`] where each thread first builds its own state with `init` (a handle that
/// cannot be shared between threads, like a git repository) and passes it to `f`.
pub fn parallel_map_with<T: Sync, S: Send, R: Send>(
    items: &[T],
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R> {
    parallel_map_states(items, init, f).0.into_iter().map(|(_, r)| r).collect()
}

/// [`parallel_map_with`] that also returns each thread's final state: the results in item
/// order, each with the index of the state that made it, and the states.
pub fn parallel_map_states<T: Sync, S: Send, R: Send>(
    items: &[T],
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, &T) -> R + Sync,
) -> (Vec<(usize, R)>, Vec<S>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len()).max(1);
    let next = AtomicUsize::new(0);
    let work = || {
        let mut state = init();
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            done.push((i, f(&mut state, item)));
        }
        (done, state)
    };
    let per_thread: Vec<(Vec<(usize, R)>, S)> = std::thread::scope(|scope| {
        // The parsers recurse once per level of nesting: a stack far larger than the
        // nesting `outline::nesting::MAX_NESTING` lets through needs, whatever the default
        // (RUST_MIN_STACK) is; a thread that cannot have it gets the default.
        let spawn = || {
            std::thread::Builder::new()
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, work)
                .unwrap_or_else(|_| scope.spawn(work))
        };
        let handles: Vec<_> = (0..threads).map(|_| spawn()).collect();
        handles.into_iter().map(|h| h.join().expect("worker threads do not panic")).collect()
    });
    let mut all = Vec::with_capacity(items.len());
    let mut states = Vec::with_capacity(per_thread.len());
    for (t, (done, state)) in per_thread.into_iter().enumerate() {
        all.extend(done.into_iter().map(|(i, r)| (i, (t, r))));
        states.push(state);
    }
    all.sort_by_key(|(i, _)| *i);
    (all.into_iter().map(|(_, r)| r).collect(), states)
}

/// The edit distance (Levenshtein, in chars, case-insensitive) between `a` and `b`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The name of `candidates` closest to `name` by [`edit_distance`], however far; ties go to
/// the first candidate. `None` only when there is no candidate.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(name, c);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// The name of `candidates` closest to `name` by edit distance (Levenshtein, in chars;
/// case-insensitive), when it is within a third of the longer name's length (at least 1):
/// the "did you mean" of a compiler. Ties go to the first candidate.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = name.to_lowercase().chars().count();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(name, c);
        let limit = (len.max(c.to_lowercase().chars().count()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Whether the `@` at byte `at` of `text` is escaped (`\\@`) or part of a URL (a token
/// holding `://`, or starting `www.` or `mailto:`, as `https://host/@user2024`): no
/// citation, in Markdown as in Typst.
pub fn at_sign_is_literal(text: &str, at: usize) -> bool {
    let before = &text[..at];
    if before.ends_with('\\') {
        return true;
    }
    let token = before.rsplit(|c: char| c.is_whitespace() || "<(\"'".contains(c)).next().unwrap_or(before);
    token.contains("://") || token.starts_with("www.") || token.starts_with("mailto:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_compare_equal_in_nfc_and_nfd() {
        assert_eq!(words("Mu\u{308}ller Sto\u{308}rung"), ["m\u{fc}ller", "st\u{f6}rung"]);
        assert_eq!(words("M\u{fc}ller St\u{f6}rung"), ["m\u{fc}ller", "st\u{f6}rung"]);
        assert_eq!(terms("U\u{308}bersicht"), terms("\u{dc}bersicht"));
    }

    #[test]
    fn escaped_and_url_at_signs_are_literal() {
        let text = "see \\@Smith2020, https://host.org/@Lee2021 and <www.x.org/@Kim2022> but @Park2023";
        let at = |k: &str| text.find(k).unwrap() - 1;
        assert!(at_sign_is_literal(text, at("Smith2020")));
        assert!(at_sign_is_literal(text, at("Lee2021")));
        assert!(at_sign_is_literal(text, at("Kim2022")));
        assert!(!at_sign_is_literal(text, at("Park2023")));
    }

    #[test]
    fn title_terms_keep_digits_and_capital_letters_but_not_elisions_or_abbreviations() {
        assert_eq!(title_terms("T Cell Dysfunction"), vec!["cell", "dysfunction", "t"]);
        assert_eq!(title_terms("Type 1 Diabetes: A Patient's View"), vec!["type", "diabete", "patient", "view", "1"]);
        assert_eq!(title_terms("'T Cell' triggers, e.g. heat"), vec!["cell", "trigger", "heat", "t"]);
        assert_eq!(title_terms("Don\u{2019}t Push"), vec!["don", "push"]);
        assert_eq!(terms("T Cell Dysfunction"), vec!["cell", "dysfunction"]);
    }

    #[test]
    fn line_index_maps_offsets_to_lines() {
        let idx = LineIndex::new("ab\ncd\n\nef");
        assert_eq!(idx.line_of(0), 1);
        assert_eq!(idx.line_of(2), 1);
        assert_eq!(idx.line_of(3), 2);
        assert_eq!(idx.line_of(6), 3);
        assert_eq!(idx.line_of(7), 4);
        assert_eq!(idx.start_of(4), Some(7));
    }

    #[test]
    fn terms_drop_markup_stopwords_and_plurals() {
        assert_eq!(terms("The \\emph{Microglial} Cytokines and IL-6"), vec!["microglial", "cytokine", "il"]);
    }

    #[test]
    fn dice_of_reordered_slugs_is_high() {
        let a = terms("mild-moderate-action-plans");
        let b = terms("action-mild-moderate");
        assert!((dice(&a, &b) - 6.0 / 7.0).abs() < 1e-9);
    }

    #[test]
    fn normalize_rel_refuses_to_climb_out() {
        assert_eq!(normalize_rel("a/./b/../c").as_deref(), Some("a/c"));
        assert_eq!(normalize_rel("../x"), None);
        assert_eq!(join_rel("a/b", "../c.tex").as_deref(), Some("a/c.tex"));
    }

    /// The first tokenizer, char by char: the reference the fast one must agree with.
    fn reference_terms(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut buf = String::new();
        let mut emit = |buf: &mut String| {
            if buf.len() > 1 && !is_stopword(buf) {
                out.push(stem(buf).to_string());
            }
            buf.clear();
        };
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\\' {
                while chars.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                    chars.next();
                }
                emit(&mut buf);
            } else if c.is_ascii_alphanumeric() {
                buf.push(c.to_ascii_lowercase());
            } else if c.is_alphanumeric() {
                buf.extend(c.to_lowercase());
            } else if !buf.is_empty() {
                emit(&mut buf);
            }
        }
        emit(&mut buf);
        out
    }

    proptest::proptest! {
        #[test]
        fn fast_terms_agree_with_the_reference(text in "([A-Za-z0-9 \\\\{}~.,-]|ä|É|ß|İ|—|µ|²|日本|\\n){0,80}") {
            proptest::prop_assert_eq!(terms(&text), reference_terms(&text));
        }
    }
}
