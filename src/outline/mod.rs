//! Chapter files -> [`Outline`]: headings, environments, labels, citations, includes, and
//! the line ranges where no text may be inserted.
//!
//! LaTeX ([`latex`]) is scanned line by line: comments (`%`, not `\%`), `\iffalse...\fi`,
//! `comment` and verbatim-like environments and macro definitions are not content. Typst
//! ([`typst`]) is parsed with `typst-syntax`; Markdown ([`markdown`]) with pulldown-cmark
//! (Pandoc citations, `{#id}` heading labels, front matter is metadata). Parsers never
//! fail: a construct they do not understand is simply not listed.
//!
//! What is left out: whether a Typst `@name` is a citation or a cross-reference depends on
//! the whole book (its labels and bibliography); the outline lists it under
//! [`Outline::citations`] and [`crate::store::Store`] sorts it out.

mod latex;
mod markdown;
pub mod nesting;
pub mod patterns;
mod typst;

use regex::Regex;

use crate::markup::Markup;

pub(crate) use latex::strip_latex_comment;
pub use markdown::{pandoc_bare_key, pandoc_citations};

/// A heading. Levels are normalised: 0 = chapter (`\chapter`, Typst `=`), 1 = section, ...;
/// `\part` is -1.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Heading {
    /// Normalised level.
    pub level: i32,
    /// Title as written, markup kept (`\emph{x}` stays).
    pub title: String,
    /// Label attached to the heading, if any.
    pub label: Option<String>,
    /// 1-based line of the heading.
    pub line: usize,
    /// LaTeX's optional short title (`\section[Short]{Long}` -> `Short`).
    pub short_title: Option<String>,
    /// False for unnumbered headings (`\section*`, Typst `numbering: none` is not seen).
    pub numbered: bool,
}

/// An environment block (`\begin{x}...\end{x}`, Typst `#x(...)[...]`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Env {
    /// Environment or function name as written (`achievement`, `warning-env`).
    pub name: String,
    /// 1-based first line.
    pub start: usize,
    /// 1-based last line.
    pub end: usize,
    /// Label inside (LaTeX) or right after (Typst), if any.
    pub label: Option<String>,
    /// Title: LaTeX's optional argument (`\begin{x}[Title]`), Typst's `title:` argument.
    pub title: Option<String>,
}

/// An include of another file, as written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Include {
    /// The path as written (`chapters/ch01`, `"sec-01.typ"` without quotes).
    pub target: String,
    /// 1-based line.
    pub line: usize,
}

/// The outline of one chapter file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Outline {
    /// The file's markup.
    pub markup: Markup,
    /// Number of lines (a final line without newline counts).
    pub line_count: usize,
    /// Headings in order.
    pub headings: Vec<Heading>,
    /// Top-level environments in order.
    pub envs: Vec<Env>,
    /// Labels with their 1-based line.
    pub labels: Vec<(String, usize)>,
    /// Citation keys with lines; for Typst and Markdown also every `@name`, which may be a
    /// cross-reference (see the module header).
    pub citations: Vec<(String, usize)>,
    /// Cross-references that cannot be citations (`\ref`, `\cref`, Typst `#ref(<x>)`).
    pub references: Vec<(String, usize)>,
    /// Includes in order.
    pub includes: Vec<Include>,
    /// Inclusive 1-based line ranges `(first, last)` of blocks (environments, code,
    /// comments, math, tables); inserting after a line `l` with `first <= l < last` would
    /// split the block.
    pub blocked: Vec<(usize, usize)>,
    /// Lines that are not content (comments, skipped blocks), for relevance scoring.
    pub dead: Vec<(usize, usize)>,
}

impl Outline {
    /// Outlines `text` in the given markup.
    pub fn parse(markup: Markup, text: &str) -> Outline {
        // A byte-order mark is not text: without it the first line may be a heading. Line
        // numbers are unchanged.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        match markup {
            Markup::Latex => latex::outline(text),
            Markup::Typst => typst::outline(text),
            Markup::Markdown => markdown::outline(text),
        }
    }

    /// True when 1-based `line` is not content (a comment or a skipped block).
    pub fn is_dead(&self, line: usize) -> bool {
        self.dead.iter().any(|&(a, b)| a <= line && line <= b)
    }

    /// True when text may go after 1-based line `line` without splitting a block.
    pub fn can_insert_after(&self, line: usize) -> bool {
        !self.blocked.iter().any(|&(a, b)| a <= line && line < b)
    }

    /// The headings enclosing 1-based `line` (the last heading of each level above it),
    /// from the outermost down.
    pub fn heading_stack_at(&self, line: usize) -> Vec<&Heading> {
        let mut stack: Vec<&Heading> = Vec::new();
        for h in self.headings.iter().take_while(|h| h.line <= line) {
            while stack.last().is_some_and(|top| top.level >= h.level) {
                stack.pop();
            }
            stack.push(h);
        }
        stack
    }
}

/// Heading titles found by a line scan, without a full parse: `(level, title)` in order.
/// Faster than [`Outline::parse`] and good enough for matching titles; comment lines are
/// skipped, but skipped blocks and verbatim are not known here.
pub fn quick_headings(markup: Markup, text: &str) -> Vec<(i32, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        match markup {
            Markup::Latex if !t.starts_with('%') => {
                // The first sectioning command with its title closed on the line; a title
                // runs to the first `}`. `\part` is not a heading to match titles by.
                let code = strip_latex_comment(line);
                let heading = patterns::latex_heading()
                    .captures_iter(code)
                    .filter(|c| &c[1] != "part" && &c[4] == "{")
                    .find_map(|c| {
                        let rest = &code[c.get(0).map_or(0, |m| m.end())..];
                        rest.find('}').map(|end| (patterns::latex_heading_level(&c[1]), rest[..end].trim().to_string()))
                    });
                out.extend(heading);
            }
            Markup::Typst | Markup::Markdown => {
                let mark = if markup == Markup::Typst { '=' } else { '#' };
                // Not indented: the line as it stands.
                if let Some((depth, rest)) = patterns::line_heading(line, mark) {
                    let (title, _) = split_trailing_label(rest.trim());
                    out.push((depth as i32 - 1, title.to_string()));
                }
            }
            Markup::Latex => {}
        }
    }
    out
}

/// Names that may be labels defined in `text`, by a pattern scan without a full parse,
/// sorted and deduplicated: a superset of [`Outline::parse`]'s `labels` (comments, verbatim
/// and math are not known here). LaTeX `\label{x}`; Typst `<x>`; Markdown `#x` inside a
/// `{...}` attribute block.
pub fn quick_labels(markup: Markup, text: &str) -> Vec<String> {
    static TYPST: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    static MARKDOWN: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let mut out: Vec<String> = match markup {
        Markup::Latex => patterns::latex_label().captures_iter(text).map(|c| c[1].trim().to_string()).collect(),
        Markup::Typst => {
            let re = TYPST.get_or_init(|| Regex::new(r"<([^\s<>]+)>").unwrap());
            re.captures_iter(text).map(|c| c[1].to_string()).collect()
        }
        Markup::Markdown => {
            let re = MARKDOWN.get_or_init(|| Regex::new(r"\{([^{}]*)\}").unwrap());
            re.captures_iter(text)
                .flat_map(|c| {
                    c[1].split_whitespace().filter_map(|w| w.strip_prefix('#')).map(str::to_string).collect::<Vec<_>>()
                })
                .collect()
        }
    };
    out.sort();
    out.dedup();
    out
}

fn empty(markup: Markup, text: &str) -> Outline {
    Outline {
        markup,
        line_count: text.lines().count().max(1),
        headings: Vec::new(),
        envs: Vec::new(),
        labels: Vec::new(),
        citations: Vec::new(),
        references: Vec::new(),
        includes: Vec::new(),
        blocked: Vec::new(),
        dead: Vec::new(),
    }
}

/// `Title <label>` -> ("Title", Some("label")).
fn split_trailing_label(title: &str) -> (&str, Option<String>) {
    if title.ends_with('>') {
        if let Some(i) = title.rfind('<') {
            let label = &title[i + 1..title.len() - 1];
            if !label.is_empty() && !label.contains(' ') {
                return (title[..i].trim(), Some(label.to_string()));
            }
        }
    }
    (title, None)
}

#[cfg(test)]
mod tests;
