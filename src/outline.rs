//! Chapter files -> [`Outline`]: headings, environments, labels, citations, includes, and
//! the line ranges where no text may be inserted.
//!
//! LaTeX is scanned line by line: comments (`%`, not `\%`), `\iffalse...\fi`, `comment`
//! and verbatim-like environments are not content. Typst is parsed with `typst-syntax`.
//! Markdown files get headings only (no labels or citations yet). Parsers never
//! fail: a construct they do not understand is simply not listed.

use regex::Regex;
use typst_syntax::{LinkedNode, SyntaxKind};

use crate::guide::Markup;
use crate::text::LineIndex;

/// A heading. Levels are normalised: 0 = chapter (`\chapter`, Typst `=`), 1 = section, ...;
/// `\part` is -1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// Normalised level.
    pub level: i32,
    /// Title as written, markup kept (`\emph{x}` stays).
    pub title: String,
    /// Label attached to the heading, if any.
    pub label: Option<String>,
    /// 1-based line of the heading.
    pub line: usize,
}

/// An environment block (`\begin{x}...\end{x}`, Typst `#x(...)[...]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Env {
    /// Environment or function name as written (`achievement`, `warning-env`).
    pub name: String,
    /// 1-based first line.
    pub start: usize,
    /// 1-based last line.
    pub end: usize,
    /// Label inside (LaTeX) or right after (Typst), if any.
    pub label: Option<String>,
}

/// An include of another file, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    /// The path as written (`chapters/ch01`, `"sec-01.typ"` without quotes).
    pub target: String,
    /// 1-based line.
    pub line: usize,
}

/// The outline of one chapter file.
#[derive(Debug, Clone)]
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
    /// Citation keys (and, for Typst, `@refs` that may be cross-references) with lines.
    pub citations: Vec<(String, usize)>,
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
    /// Outlines `text` in the given markup. Markdown yields an outline with headings only.
    pub fn parse(markup: Markup, text: &str) -> Outline {
        // A byte-order mark is not text: without it the first line may be a heading. Line
        // numbers are unchanged.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        match markup {
            Markup::Latex => latex(text),
            Markup::Typst => typst(text),
            Markup::Markdown => markdown(text),
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
    static LATEX: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let latex = LATEX.get_or_init(|| {
        Regex::new(r"\\(chapter|section|subsection|subsubsection|paragraph)\*?\s*(?:\[[^\]]*\])?\s*\{([^}]*)\}")
            .unwrap()
    });
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        match markup {
            Markup::Latex if !t.starts_with('%') => {
                if let Some(c) = latex.captures(strip_latex_comment(line)) {
                    let level = ["chapter", "section", "subsection", "subsubsection", "paragraph"]
                        .iter()
                        .position(|k| *k == &c[1])
                        .unwrap_or(4) as i32;
                    out.push((level, c[2].trim().to_string()));
                }
            }
            Markup::Typst | Markup::Markdown => {
                let mark = if markup == Markup::Typst { '=' } else { '#' };
                let depth = t.chars().take_while(|&c| c == mark).count();
                if depth > 0 && t[depth..].starts_with(' ') && line.len() == t.len() {
                    let (title, _) = split_trailing_label(t[depth..].trim());
                    out.push((depth as i32 - 1, title.to_string()));
                }
            }
            Markup::Latex => {}
        }
    }
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
        includes: Vec::new(),
        blocked: Vec::new(),
        dead: Vec::new(),
    }
}

/// Environments whose content is not LaTeX (no headings, labels or citations inside).
const VERBATIM: &[&str] = &["verbatim", "verbatim*", "lstlisting", "minted", "comment", "Verbatim", "alltt"];

/// Everything before an unescaped `%` (a `%` preceded by an odd number of backslashes is text).
pub(crate) fn strip_latex_comment(line: &str) -> &str {
    let b = line.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'%' {
            let backslashes = b[..i].iter().rev().take_while(|&&x| x == b'\\').count();
            if backslashes % 2 == 0 {
                return &line[..i];
            }
        }
    }
    line
}

/// The content of the balanced `{...}` group starting at `s[0] == '{'`, and the rest.
fn braced(s: &str) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some((&s[1..i], &s[i + 1..]));
                }
            }
            _ => {}
        }
    }
    None
}

fn latex_res() -> &'static [Regex; 6] {
    static RES: std::sync::OnceLock<[Regex; 6]> = std::sync::OnceLock::new();
    RES.get_or_init(|| {
        [
            Regex::new(r"\\(part|chapter|section|subsection|subsubsection|paragraph)\*?\s*(\[[^\]]*\])?\s*(\{|$)")
                .unwrap(),
            Regex::new(r"\\label\s*\{([^}]+)\}").unwrap(),
            Regex::new(r"\\[A-Za-z]*cite[A-Za-z]*\*?((?:\s*\[[^\]]*\]){0,2})\s*\{([^}]*)\}").unwrap(),
            Regex::new(r"\\(?:input|include|subfile)\s*(?:\{([^}]+)\}|\s+([^\s{}%]+))").unwrap(),
            Regex::new(r"\\begin\s*\{([^}]+)\}").unwrap(),
            Regex::new(r"\\end\s*\{([^}]+)\}").unwrap(),
        ]
    })
}

fn latex(text: &str) -> Outline {
    let mut o = empty(Markup::Latex, text);
    let [heading_re, label_re, cite_re, include_re, begin_re, end_re] = latex_res();
    let lines: Vec<&str> = text.lines().collect();
    // Stack of open environments: (name, start line, label).
    let mut stack: Vec<(String, usize, Option<String>)> = Vec::new();
    let mut skip: Option<(String, usize)> = None; // inside \iffalse or a verbatim-like env
    let mut i = 0;
    while i < lines.len() {
        let n = i + 1;
        let raw = lines[i];
        i += 1;
        if let Some((end, start)) = &skip {
            let closes = if end == "\\fi" {
                strip_latex_comment(raw).trim_start().starts_with("\\fi")
            } else {
                raw.contains(&format!("\\end{{{end}}}"))
            };
            if closes {
                o.blocked.push((*start, n));
                o.dead.push((*start, n));
                skip = None;
            }
            continue;
        }
        let line = strip_latex_comment(raw);
        if line.len() < raw.len() && line.trim().is_empty() {
            o.dead.push((n, n));
        }
        if line.trim_start().starts_with("\\iffalse") {
            skip = Some(("\\fi".into(), n));
            continue;
        }
        for c in begin_re.captures_iter(line) {
            let name = c[1].trim().to_string();
            if VERBATIM.contains(&name.as_str()) {
                skip = Some((name, n));
            } else if name != "document" {
                stack.push((name, n, None));
            }
        }
        if skip.is_some() {
            continue;
        }
        if let Some(c) = heading_re.captures(line) {
            let level = match &c[1] {
                "part" => -1,
                "chapter" => 0,
                "section" => 1,
                "subsection" => 2,
                "subsubsection" => 3,
                _ => 4,
            };
            let mut rest = line[c.get(0).unwrap().end() - c[3].len()..].to_string();
            // The title may start on the next line (`\section\n{Title}`) or run over lines.
            let mut extra = 0;
            while braced(&rest).is_none() && extra < 3 && i + extra < lines.len() {
                rest.push(' ');
                rest.push_str(strip_latex_comment(lines[i + extra]).trim());
                extra += 1;
            }
            let rest = rest.trim_start();
            if let Some((title, _)) = braced(rest) {
                o.headings.push(Heading {
                    level,
                    title: title.split_whitespace().collect::<Vec<_>>().join(" "),
                    label: None,
                    line: n,
                });
            }
        }
        for c in label_re.captures_iter(line) {
            let label = c[1].trim().to_string();
            o.labels.push((label.clone(), n));
            if let Some(top) = stack.last_mut().filter(|t| t.2.is_none()) {
                top.2 = Some(label.clone());
            } else if let Some(h) = o.headings.last_mut().filter(|h| h.label.is_none() && n <= h.line + 1) {
                h.label = Some(label);
            }
        }
        for c in cite_re.captures_iter(line) {
            for key in c[2].split(',').map(str::trim).filter(|k| !k.is_empty()) {
                o.citations.push((key.to_string(), n));
            }
        }
        if let Some(c) = include_re.captures(line) {
            let target = c.get(1).or_else(|| c.get(2)).unwrap().as_str().trim().trim_matches('"').to_string();
            o.includes.push(Include { target, line: n });
        }
        for c in end_re.captures_iter(line) {
            let name = c[1].trim();
            if let Some(pos) = stack.iter().rposition(|(open, _, _)| open == name) {
                let (name, start, label) = stack.remove(pos);
                if pos == 0 || stack.is_empty() {
                    o.blocked.push((start, n));
                    o.envs.push(Env { name, start, end: n, label });
                }
                stack.truncate(pos);
            }
        }
    }
    // An environment, `\iffalse` or verbatim block never closed runs to the end of the
    // file, past its last line: nothing may be inserted anywhere after its start.
    let past_end = lines.len() + 1;
    if let Some((_, start, _)) = stack.first() {
        o.blocked.push((*start, past_end));
    }
    if let Some((_, start)) = skip {
        o.blocked.push((start, past_end));
        o.dead.push((start, past_end));
    }
    // Display math `\[ ... \]` and `$$ ... $$` spanning lines.
    block_pairs(&lines, "\\[", "\\]", &mut o.blocked);
    o
}

fn block_pairs(lines: &[&str], open: &str, close: &str, blocked: &mut Vec<(usize, usize)>) {
    let mut start = None;
    for (i, l) in lines.iter().enumerate() {
        let l = strip_latex_comment(l);
        match start {
            None if l.contains(open) && !l[l.find(open).unwrap()..].contains(close) => start = Some(i + 1),
            Some(s) if l.contains(close) => {
                blocked.push((s, i + 1));
                start = None;
            }
            _ => {}
        }
    }
}

fn typst(text: &str) -> Outline {
    let mut o = empty(Markup::Typst, text);
    let root = typst_syntax::parse(text);
    let idx = LineIndex::new(text);
    let linked = LinkedNode::new(&root);
    // Top level: headings, environment calls, multi-line blocks.
    let children: Vec<LinkedNode> = linked.children().collect();
    for node in &children {
        let range = node.range();
        let (first, last) = (idx.line_of(range.start), idx.line_of(range.end.saturating_sub(1).max(range.start)));
        match node.kind() {
            SyntaxKind::Heading => {
                let src = &text[range.clone()];
                let depth = src.chars().take_while(|&c| c == '=').count() as i32;
                let title = src.trim_start_matches('=').trim();
                let (title, label) = split_trailing_label(title);
                o.headings.push(Heading { level: depth - 1, title: title.to_string(), label, line: first });
            }
            SyntaxKind::Label => {
                let label = node.text().trim_start_matches('<').trim_end_matches('>').to_string();
                // A label right after a heading or environment belongs to it.
                if let Some(h) =
                    o.headings.last_mut().filter(|h| h.label.is_none() && (first == h.line || first == h.line + 1))
                {
                    h.label = Some(label.clone());
                } else if let Some(e) = o.envs.last_mut().filter(|e| e.label.is_none() && first == e.end) {
                    e.label = Some(label.clone());
                }
            }
            SyntaxKind::LineComment | SyntaxKind::BlockComment => {
                o.dead.push((first, last));
                if last > first {
                    o.blocked.push((first, last));
                }
            }
            SyntaxKind::Hash | SyntaxKind::Space | SyntaxKind::Parbreak => {}
            _ => {
                if let Some(name) = call_name(node) {
                    o.envs.push(Env { name, start: first, end: last, label: None });
                }
                if last > first {
                    o.blocked.push((first, last));
                }
            }
        }
    }
    // Anywhere: labels, references, includes, cite calls.
    walk(&linked, &mut |node| match node.kind() {
        SyntaxKind::Label => {
            let label = node.text().trim_start_matches('<').trim_end_matches('>').to_string();
            if !inside_math(node) {
                o.labels.push((label, idx.line_of(node.offset())));
            }
        }
        SyntaxKind::Ref => {
            let src = &text[node.range()];
            let key = src.trim_start_matches('@');
            let key = key.split('[').next().unwrap_or(key);
            o.citations.push((key.to_string(), idx.line_of(node.offset())));
        }
        SyntaxKind::ModuleInclude => {
            let src = &text[node.range()];
            if let Some(path) = src.split('"').nth(1) {
                o.includes.push(Include { target: path.to_string(), line: idx.line_of(node.offset()) });
            }
        }
        SyntaxKind::FuncCall => {
            let src = &text[node.range()];
            if let Some(rest) = src.strip_prefix("cite(") {
                let key = rest.trim_start_matches("label(\"").trim_start_matches('<');
                let key: String = key.chars().take_while(|&c| c != '>' && c != '"' && c != ')').collect();
                if !key.is_empty() {
                    o.citations.push((key, idx.line_of(node.offset())));
                }
            }
        }
        SyntaxKind::Raw | SyntaxKind::Equation => {
            let (a, b) = (idx.line_of(node.offset()), idx.line_of(node.range().end.saturating_sub(1)));
            if b > a {
                o.blocked.push((a, b));
            }
        }
        _ => {}
    });
    o
}

fn inside_math(node: &LinkedNode) -> bool {
    let mut p = node.parent();
    while let Some(n) = p {
        if n.kind() == SyntaxKind::Equation {
            return true;
        }
        p = n.parent();
    }
    false
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

/// The callee of an embedded function call (`#achievement(...)[...]` -> `achievement`).
fn call_name(node: &LinkedNode) -> Option<String> {
    if node.kind() != SyntaxKind::FuncCall {
        return None;
    }
    let callee = node.children().next()?;
    Some(callee.get().clone().into_text().to_string()).filter(|n| !n.is_empty())
}

/// Visits every node, depth first, without recursion (documents can nest deeply).
fn walk<'a>(node: &LinkedNode<'a>, f: &mut dyn FnMut(&LinkedNode<'a>)) {
    let mut stack = vec![node.clone()];
    while let Some(n) = stack.pop() {
        f(&n);
        let children: Vec<LinkedNode<'a>> = n.children().collect();
        stack.extend(children.into_iter().rev());
    }
}

fn markdown(text: &str) -> Outline {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut o = empty(Markup::Markdown, text);
    let idx = LineIndex::new(text);
    let mut current: Option<(i32, String, usize)> = None;
    let options = pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                current = Some((level as i32 - 1, String::new(), idx.line_of(range.start)))
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(c) = current.as_mut() {
                    c.1.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, title, line)) = current.take() {
                    o.headings.push(Heading { level, title: title.trim().to_string(), label: None, line });
                }
            }
            Event::Start(Tag::CodeBlock(_)) | Event::Start(Tag::Table(_)) | Event::Start(Tag::HtmlBlock) => {
                let (a, b) = (idx.line_of(range.start), idx.line_of(range.end.saturating_sub(1)));
                if b > a {
                    o.blocked.push((a, b));
                }
            }
            _ => {}
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latex_comments_and_skipped_blocks_hold_no_headings() {
        let text = "\\chapter{Main}\\label{ch:main}\n% \\section{Commented}\n40\\% of \\cite{A2020} % \\cite{Hidden}\n\\iffalse\n\\section{Skipped}\n\\fi\n\\begin{verbatim}\n\\section{Verb}\n\\end{verbatim}\n\\section[Short]{Long \\emph{Title}}\n\\label{sec:long}\n\\subsection*\n{Next Line}\n";
        let o = Outline::parse(Markup::Latex, text);
        let titles: Vec<(&str, i32, usize)> = o.headings.iter().map(|h| (h.title.as_str(), h.level, h.line)).collect();
        assert_eq!(titles, vec![("Main", 0, 1), ("Long \\emph{Title}", 1, 10), ("Next Line", 2, 12)]);
        assert_eq!(o.headings[0].label.as_deref(), Some("ch:main"));
        assert_eq!(o.headings[1].label.as_deref(), Some("sec:long"));
        assert_eq!(o.citations, vec![("A2020".to_string(), 3)]);
        assert!(!o.can_insert_after(4) && !o.can_insert_after(7) && o.can_insert_after(9));
    }

    #[test]
    fn unclosed_skipped_blocks_run_past_the_end() {
        let o = Outline::parse(Markup::Latex, "\\section{Intro}\nText.\n\\iffalse\n\\section{Hidden}\nhidden\n");
        assert_eq!(o.headings.len(), 1);
        assert!(o.can_insert_after(2));
        assert!(!o.can_insert_after(3) && !o.can_insert_after(5));
        assert!(o.is_dead(4) && !o.is_dead(2));
        let o = Outline::parse(Markup::Latex, "\\section{A}\n\\begin{verbatim}\nx\n");
        assert!(!o.can_insert_after(3));
    }

    #[test]
    fn latex_environments_block_insertion_and_carry_labels() {
        let text = "\\section{S}\n\\begin{achievement}[T]\n\\label{ach:x}\nText \\citep[p.~2]{K1, K2}.\n\\begin{itemize}\n\\item a\n\\end{itemize}\n\\end{achievement}\nAfter.\n\\input{sec/a}\n\\input sec/b.tex\n";
        let o = Outline::parse(Markup::Latex, text);
        assert_eq!(o.envs, vec![Env { name: "achievement".into(), start: 2, end: 8, label: Some("ach:x".into()) }]);
        assert!(!o.can_insert_after(2) && !o.can_insert_after(7) && o.can_insert_after(8));
        assert_eq!(o.citations.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(), vec!["K1", "K2"]);
        let inc: Vec<&str> = o.includes.iter().map(|i| i.target.as_str()).collect();
        assert_eq!(inc, vec!["sec/a", "sec/b.tex"]);
    }

    #[test]
    fn typst_headings_envs_labels_refs_includes() {
        let text = "#import \"env.typ\": *\n= Chapter\n<ch:x>\n\n== Section <sec:y>\nText @Key2020 and @sec:y.\n\n#observation(title: [T])[\n  Body @Other2021\n] <obs:z>\n\n// == Not a heading\n#include \"sub/a.typ\"\n";
        let o = Outline::parse(Markup::Typst, text);
        let h: Vec<(&str, i32, Option<&str>, usize)> =
            o.headings.iter().map(|h| (h.title.as_str(), h.level, h.label.as_deref(), h.line)).collect();
        assert_eq!(h, vec![("Chapter", 0, Some("ch:x"), 2), ("Section", 1, Some("sec:y"), 5)]);
        assert_eq!(o.envs.len(), 1);
        assert_eq!((o.envs[0].name.as_str(), o.envs[0].start, o.envs[0].end), ("observation", 8, 10));
        assert_eq!(o.envs[0].label.as_deref(), Some("obs:z"));
        let cites: Vec<&str> = o.citations.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(cites, vec!["Key2020", "sec:y", "Other2021"]);
        assert_eq!(o.includes, vec![Include { target: "sub/a.typ".into(), line: 13 }]);
        assert!(!o.can_insert_after(8) && !o.can_insert_after(9) && o.can_insert_after(10));
        let labels: Vec<&str> = o.labels.iter().map(|l| l.0.as_str()).collect();
        assert_eq!(labels, vec!["ch:x", "sec:y", "obs:z"]);
    }

    #[test]
    fn a_bom_does_not_hide_the_first_heading() {
        let o = Outline::parse(Markup::Typst, "\u{feff}= Odd\n== Z\n");
        let h: Vec<(&str, usize)> = o.headings.iter().map(|h| (h.title.as_str(), h.line)).collect();
        assert_eq!(h, vec![("Odd", 1), ("Z", 2)]);
        let o = Outline::parse(Markup::Markdown, "\u{feff}# Title\ntext\n");
        assert_eq!(o.headings[0].title, "Title");
    }

    #[test]
    fn quick_headings_agree_with_the_parse_on_plain_files() {
        let tex = "\\chapter{C}\n% \\section{No}\n\\section[S]{Sec \\emph{x}}\n";
        assert_eq!(quick_headings(Markup::Latex, tex), vec![(0, "C".to_string()), (1, "Sec \\emph{x".to_string())]);
        let typ = "= Chapter <ch:x>\ntext = not\n== Section\n  == indented is text\n";
        assert_eq!(quick_headings(Markup::Typst, typ), vec![(0, "Chapter".to_string()), (1, "Section".to_string())]);
    }

    #[test]
    fn heading_stack_follows_levels() {
        let o = Outline::parse(Markup::Latex, "\\chapter{C}\n\\section{A}\n\\subsection{A1}\n\\section{B}\ntext\n");
        let s: Vec<&str> = o.heading_stack_at(5).iter().map(|h| h.title.as_str()).collect();
        assert_eq!(s, vec!["C", "B"]);
    }
}
