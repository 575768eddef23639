//! Repairs of Typst snippets written with LaTeX or Markdown habits that Typst cannot parse:
//! script math in running text (`PGE$_2$`, `K$^+$`, `IC$_\text{50}$`, `AUC$_{0-t}$`, written
//! `PGE#sub[2]`, `K#super[+]`) and Markdown headings (`#### Title`, written `==== Title`:
//! one `=` for each `#`, the level the guide's author gave). Applied only to a snippet that
//! does not parse as it stands, so valid Typst math is never touched. Other repairs (labels,
//! `<` escapes) are left to `validate`.

use regex::{Captures, Regex};

/// `text` with script math and Markdown headings written as Typst, and how many were
/// rewritten (0: `text` unchanged).
pub(super) fn repair_typst(text: &str) -> (String, usize) {
    let (text, scripts) = scripts_to_typst(text);
    let (text, headings) = markdown_headings_to_typst(&text);
    (text, scripts + headings)
}

/// `$_2$`, `$^{+}$`, `$_\text{50}$` right after a word: a subscript or superscript of that
/// word in LaTeX; `#sub[2]`, `#super[+]` in Typst. A script holding another command
/// (`$_{0-\infty}$`) is left as it is. A `;` ends the call when `(` or `[` follows, which
/// Typst would take for more arguments.
fn scripts_to_typst(text: &str) -> (String, usize) {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"([\p{L}\p{N})\]])\$([_^])(?:\{(?:\\(?:text|mathrm)\{([^{}\\$]*)\}|([^{}\\$]*))\}|\\(?:text|mathrm)\{([^{}\\$]*)\}|([\p{L}\p{N}+\-−]))\$",
        )
        .unwrap()
    });
    let mut n = 0;
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for c in re.captures_iter(text) {
        let m = c.get(0).unwrap();
        out.push_str(&text[last..m.start()]);
        out.push_str(&c[1]);
        let body = (3..=6).find_map(|i| c.get(i)).map_or("", |g| g.as_str());
        let func = if &c[2] == "_" { "sub" } else { "super" };
        out.push_str(&format!("#{func}[{body}]"));
        if text[m.end()..].starts_with(['(', '[']) {
            out.push(';');
        }
        last = m.end();
        n += 1;
    }
    out.push_str(&text[last..]);
    (out, n)
}

/// A line `#### Title` (one to six `#`, a space, text): a Markdown heading, `==== Title`.
fn markdown_headings_to_typst(text: &str) -> (String, usize) {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?m)^(#{1,6})[ \t]+(\S[^\n]*)$").unwrap());
    let mut n = 0;
    let out = re.replace_all(text, |c: &Captures| {
        n += 1;
        format!("{} {}", "=".repeat(c[1].len()), &c[2])
    });
    (out.into_owned(), n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_math_after_a_word_becomes_sub_and_super() {
        let (out, n) = repair_typst("PGE$_2$ and K$^+$ and IC$_\\text{50}$, AUC$_{0-t}$ (x), CO$_2$(y)");
        assert_eq!(out, "PGE#sub[2] and K#super[+] and IC#sub[50], AUC#sub[0-t] (x), CO#sub[2];(y)");
        assert_eq!(n, 5);
    }

    #[test]
    fn scripts_holding_commands_and_real_math_are_left() {
        let (out, n) = repair_typst("AUC$_{0-\\infty}$ and $x_2$ and $-1.4$");
        assert_eq!(out, "AUC$_{0-\\infty}$ and $x_2$ and $-1.4$");
        assert_eq!(n, 0);
    }

    #[test]
    fn markdown_headings_become_typst_headings_of_the_same_level() {
        let (out, n) = repair_typst("#### Proposed mechanism\n#hypothesis[x]\n## Two");
        assert_eq!(out, "==== Proposed mechanism\n#hypothesis[x]\n== Two");
        assert_eq!(n, 2);
    }
}
