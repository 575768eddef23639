//! Small readers of LaTeX syntax shared by the converter and the label mover: balanced
//! `{...}` groups, optional and mandatory arguments, brace depth, `\begin{..}` lines and
//! the start of a `\caption`.
//!
//! What is left out: the constructs' meaning (the converter's) and the patterns the
//! outline shares ([`crate::outline::patterns`]).

use regex::Regex;

/// Unescaped `{` minus unescaped `}` in LaTeX text (comments not removed).
pub(super) fn brace_depth(text: &str) -> i64 {
    let mut depth = 0;
    let mut escaped = false;
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
    }
    depth
}

/// `\begin{name}[title]rest` at the start of a (trimmed) line.
pub(super) fn begin_env(line: &str) -> Option<(String, Option<String>, String)> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^\\begin\{([^}]+)\}\s*(?:\[([^\]]*)\])?(.*)$").unwrap());
    let c = re.captures(line)?;
    Some((c[1].to_string(), c.get(2).map(|m| m.as_str().to_string()), c[3].to_string()))
}

/// Optional `[...]` arguments right after a command, and where the mandatory ones start.
pub(super) fn optional_args(after: &str) -> (Vec<String>, usize) {
    let mut opts = Vec::new();
    let mut at = 0;
    loop {
        let s = &after[at..];
        let skip = s.len() - s.trim_start().len();
        if !s[skip..].starts_with('[') {
            return (opts, at);
        }
        match s[skip..].find(']') {
            Some(end) => {
                opts.push(s[skip + 1..skip + end].trim().to_string());
                at += skip + end + 1;
            }
            None => return (opts, at),
        }
    }
}

/// `2` when `after` starts with `{}` (the empty argument of `\ldots{}`), else `0`.
pub(super) fn eat_empty_braces(after: &str) -> usize {
    if after.starts_with("{}") {
        2
    } else {
        0
    }
}

/// The content of a balanced `{...}` group at the start of `s`, and the bytes it spans.
pub(super) fn braced(s: &str) -> Option<(&str, usize)> {
    if !s.starts_with('{') {
        return None;
    }
    let mut depth = 0usize;
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        match c {
            '{' if prev != '\\' => depth += 1,
            '}' if prev != '\\' => {
                depth -= 1;
                if depth == 0 {
                    return Some((&s[1..i], i + 1));
                }
            }
            _ => {}
        }
        prev = c;
    }
    None
}

/// The mandatory `{...}` argument starting at byte `at` of `after` (after any spaces):
/// its content and the byte of `after` just past it.
pub(super) fn mandatory_arg(after: &str, at: usize) -> Option<(&str, usize)> {
    let s = &after[at..];
    let skip = s.len() - s.trim_start().len();
    braced(&s[skip..]).map(|(inner, used)| (inner, at + skip + used))
}

/// The start of a `\caption[short]{`, up to and with its opening brace.
pub(super) fn latex_caption() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\\caption\s*(?:\[[^\]]*\])?\s*\{").unwrap())
}
