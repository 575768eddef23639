//! Checks of rendered text: Typst parses (typst-syntax), LaTeX balances braces and
//! environments, and a stray Typst `<` is escaped before the parse is trusted.
//!
//! What is left out: converting the text ([`super::convert`]) and what a finding means
//! for the plan (the caller's).

use regex::Regex;

use crate::finding::{Code, Finding};

/// `text` with each `<` that opens no label (`<1% of cells`, which Typst reads as an
/// unclosed label) written `\<`, found by the parser's "unclosed label" errors; a
/// `snippet-escaped` info finding when any was changed. At most 50 repairs.
pub(super) fn escape_stray_angles(mut text: String, findings: &mut Vec<Finding>, where_: (&str, usize)) -> String {
    // Too deep to parse: [`typst_error`] says so.
    if crate::outline::nesting::too_deep(&text).is_some() {
        return text;
    }
    let mut fixed = 0;
    while fixed < 50 {
        let source = typst_syntax::Source::detached(text.clone());
        let Some(at) = source
            .root()
            .errors()
            .into_iter()
            .filter(|e| e.message.contains("unclosed label"))
            .filter_map(|e| source.range(e.span).map(|r| r.start))
            .find(|&at| text[at..].starts_with('<'))
        else {
            break;
        };
        text.insert(at, '\\');
        fixed += 1;
    }
    if fixed > 0 {
        findings.push(
            Finding::new(
                Code::SnippetEscaped,
                format!("{fixed} `<` that would open an unclosed Typst label written as `\\<`"),
            )
            .at(where_.0, Some(where_.1)),
        );
    }
    text
}

/// The first Typst syntax error in `text`: 1-based line and message.
pub fn typst_error(text: &str) -> Option<(usize, String)> {
    // Nested too deeply for the parser's recursion: not parsed at all.
    if let Some(line) = crate::outline::nesting::too_deep(text) {
        let max = crate::outline::nesting::MAX_NESTING;
        return Some((line, format!("the markup nests deeper than {max} levels")));
    }
    // A numbered source, so error spans map back to byte ranges.
    let source = typst_syntax::Source::detached(text);
    let err = source.root().errors().into_iter().next()?;
    let offset = source.range(err.span).map_or(0, |r| r.start);
    Some((text[..offset.min(text.len())].matches('\n').count() + 1, err.message.to_string()))
}

/// `None` when braces and `\begin`/`\end` balance, else what is wrong.
pub fn latex_balance(text: &str) -> Option<String> {
    let mut depth: i64 = 0;
    let mut prev_backslash = false;
    for c in text.chars() {
        match c {
            '{' if !prev_backslash => depth += 1,
            '}' if !prev_backslash => {
                depth -= 1;
                if depth < 0 {
                    return Some("a `}` closes nothing".into());
                }
            }
            _ => {}
        }
        prev_backslash = c == '\\' && !prev_backslash;
    }
    if depth != 0 {
        return Some(format!("{depth} unclosed `{{`"));
    }
    let re = Regex::new(r"\\(begin|end)\s*\{([^}]+)\}").unwrap();
    let mut stack = Vec::new();
    for c in re.captures_iter(text) {
        if &c[1] == "begin" {
            stack.push(c[2].to_string());
        } else if stack.pop().as_deref() != Some(&c[2]) {
            return Some(format!("`\\end{{{}}}` does not close the open environment", &c[2]));
        }
    }
    stack.first().map(|open| format!("`\\begin{{{open}}}` is never closed"))
}
