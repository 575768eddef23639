//! One pattern per markup construct, for every scan of chapter text or snippets: the LaTeX
//! `\label{x}`, the LaTeX include (`\input`, `\include`, `\subfile`), LaTeX sectioning
//! commands and Typst / Markdown heading lines. The outline parsers, the quick scans of the
//! book, the snippet renderer and the placement hints all call these, so a construct is
//! recognised the same way everywhere.
//!
//! What is left out: what a caller does with a match (which sectioning commands it takes,
//! whether it reads the first include on a line or all) stays with the caller; Typst
//! headings proper come from `typst-syntax` (`outline/typst.rs`), Markdown ones from
//! pulldown-cmark (`outline/markdown.rs`); a heading or label named in a guide's prose hint
//! (`after == Energy envelope, ...`) is read by [`crate::place`]'s hint patterns.

use regex::{Captures, Regex};

/// LaTeX `\label{x}`: group 1 is the name, untrimmed (`\label{ x }` -> ` x `). A name runs
/// to the first `}`; an empty `\label{}` is no label.
pub const LATEX_LABEL: &str = r"\\label\s*\{([^}]+)\}";

/// [`LATEX_LABEL`], compiled.
pub fn latex_label() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(LATEX_LABEL).expect("valid pattern"))
}

/// LaTeX include: `\input{x}`, `\include{x}`, `\subfile{x}`, or TeX's bare form
/// `\input x` (the name ends at a space, brace, `%` or the next command's `\`). Read the
/// target with [`include_target`].
pub const LATEX_INCLUDE: &str = r"\\(?:input|include|subfile)\s*(?:\{([^}]+)\}|\s+([^\s{}%\\]+))";

/// [`LATEX_INCLUDE`], compiled.
pub fn latex_include() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(LATEX_INCLUDE).expect("valid pattern"))
}

/// The path a [`latex_include`] match names, trimmed and without surrounding quotes
/// (`\input{"my file"}` -> `my file`).
pub fn include_target<'t>(c: &Captures<'t>) -> &'t str {
    c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str()).trim().trim_matches('"')
}

/// LaTeX sectioning commands and their normalised heading levels (as
/// [`super::Heading::level`]: `\part` -1, `\chapter` 0, ... `\paragraph` 4).
pub const LATEX_SECTIONING: &[(&str, i32)] =
    &[("part", -1), ("chapter", 0), ("section", 1), ("subsection", 2), ("subsubsection", 3), ("paragraph", 4)];

/// The start of a LaTeX sectioning command, up to its title's opening brace:
/// `\section*[Short]{`. Groups: 1 the command (`section`), 2 the star (`*` or empty), 3 the
/// short title with its brackets (`[Short]`), 4 `{`, or empty when the line ends first (the
/// title is on the next line). The title itself is read by the caller (balanced braces, or
/// over lines).
pub fn latex_heading() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        let names: Vec<&str> = LATEX_SECTIONING.iter().map(|(name, _)| *name).collect();
        Regex::new(&format!(r"\\({})(\*?)\s*(\[[^\]]*\])?\s*(\{{|$)", names.join("|"))).expect("valid pattern")
    })
}

/// The heading level of sectioning command `name` (see [`LATEX_SECTIONING`]); a name not
/// listed counts as `\paragraph`.
pub fn latex_heading_level(name: &str) -> i32 {
    LATEX_SECTIONING.iter().find(|(n, _)| *n == name).map_or(4, |&(_, level)| level)
}

/// A heading line of Typst (`mark` `=`) or Markdown (`#`): the marks start `line` and a
/// space follows them. Returns how many marks (1 = a Typst chapter or Markdown `#`) and
/// the text after them, untrimmed. Indentation is the caller's concern: pass the line as
/// it stands to refuse indented headings.
pub fn line_heading(line: &str, mark: char) -> Option<(usize, &str)> {
    let depth = line.chars().take_while(|&c| c == mark).count();
    let rest = &line[depth * mark.len_utf8()..];
    (depth > 0 && rest.starts_with(' ')).then_some((depth, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latex_label_needs_a_name() {
        let names: Vec<&str> = latex_label()
            .captures_iter(r"\label{a} \label {b:c} \label{} \label{x}")
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        // `\label{}` names nothing: the pattern skips it rather than reading an empty label
        // (the snippet renderer's label move once took it as one).
        assert_eq!(names, ["a", "b:c", "x"]);
    }

    #[test]
    fn latex_include_ends_a_bare_name_at_the_next_command() {
        let targets: Vec<&str> = latex_include()
            .captures_iter("\\input{ch/a} \\include{\"b c\"} \\input d.tex\\relax \\subfile e")
            .map(|c| include_target(&c))
            .collect();
        // `\input d.tex\relax`: TeX's file name stops at the control sequence (the outline's
        // copy once read `d.tex\relax`).
        assert_eq!(targets, ["ch/a", "b c", "d.tex", "e"]);
    }

    #[test]
    fn latex_heading_reads_command_star_short_title_and_brace() {
        let c = latex_heading().captures(r"\subsection*[Short]{Long}").unwrap();
        assert_eq!((&c[1], &c[2], &c[3], &c[4]), ("subsection", "*", "[Short]", "{"));
        let c = latex_heading().captures(r"\section").unwrap();
        assert_eq!((&c[1], &c[4]), ("section", ""));
        assert!(latex_heading().captures(r"\sectionmark{x}").is_none());
        assert_eq!(latex_heading_level("part"), -1);
        assert_eq!(latex_heading_level("subsubsection"), 3);
    }

    #[test]
    fn line_heading_wants_marks_then_a_space() {
        assert_eq!(line_heading("== Title <x>", '='), Some((2, " Title <x>")));
        assert_eq!(line_heading("### T", '#'), Some((3, " T")));
        assert_eq!(line_heading("#import \"x.typ\"", '#'), None);
        assert_eq!(line_heading("  = Indented", '='), None);
        assert_eq!(line_heading("==", '='), None);
    }
}
