//! Markdown -> LaTeX, for Markdown text going into a LaTeX file, or into a Typst file
//! through the LaTeX -> Typst conversion (one converter for citations, cross-references,
//! environments and escapes).
//!
//! Written as Pandoc writes LaTeX by default: paragraphs; `#`..`#####` headings ->
//! `\section` .. `\subparagraph` (`{#id}` -> `\label{id}`); `*x*` -> `\emph`, `**x**` ->
//! `\textbf`, `` `x` `` -> `\texttt`; lists -> `itemize` / `enumerate`; `> x` -> `quote`;
//! fenced code -> `verbatim`; `$x$` / `$$x$$` -> inline / display math; links -> `\href`
//! / `\url`; pipe tables -> `tabular`; Pandoc citations `[@a; @b, p. 3]` and `@a` ->
//! `\cite` (with the locator as its optional argument), where a name with a short prefix
//! before a colon (`@sec:x`, as [`crate::guide::keys_in_snippet`] tells them apart) is a
//! cross-reference -> `\ref`. LaTeX's special characters in text are escaped. Images, raw
//! HTML and rules have no form here: each is a `snippet-unconverted` finding.

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};
use regex::Regex;

use crate::finding::{Code, Finding};

/// A citation key or label after `@`, as [`crate::guide::keys_in_snippet`] reads one.
const NAME: &str = r"[A-Za-z][A-Za-z0-9_:\-./+]*[A-Za-z0-9_]";

/// `text` (Markdown) as LaTeX; constructs without a LaTeX form are findings at `where_`.
pub(super) fn markdown_to_latex(text: &str, findings: &mut Vec<Finding>, where_: (&str, usize)) -> String {
    let options = Options::ENABLE_MATH | Options::ENABLE_TABLES | Options::ENABLE_HEADING_ATTRIBUTES;
    let mut w = Writer::default();
    for event in Parser::new_ext(text, options) {
        w.event(event);
    }
    w.flush();
    for what in w.unconverted {
        findings.push(
            Finding::new(
                Code::SnippetUnconverted,
                format!("{what} in the Markdown text has no LaTeX form; the text is not inserted"),
            )
            .at(where_.0, Some(where_.1))
            .help("write it as text, or give the text in the target file's markup"),
        );
    }
    let blank = Regex::new(r"\n[ \t]*\n(?:[ \t]*\n)+").expect("valid pattern");
    blank.replace_all(w.out.trim(), "\n\n").into_owned()
}

/// The LaTeX written so far and what is open.
#[derive(Default)]
struct Writer {
    out: String,
    /// Text not yet written: consecutive text events, read for citations as one.
    text: String,
    /// Inside a code block or an autolink: text is written as it is (or not at all).
    verbatim: bool,
    skip_text: bool,
    /// The open table's cell count in its current row, and whether it is in the head.
    cells: usize,
    /// The label of the open heading.
    heading_label: Option<String>,
    /// Constructs without a LaTeX form, named for the finding.
    unconverted: Vec<&'static str>,
}

impl Writer {
    fn push(&mut self, s: &str) {
        self.flush();
        self.out.push_str(s);
    }

    /// Writes the pending text: escaped, its citations as `\cite` / `\ref`.
    fn flush(&mut self) {
        let text = std::mem::take(&mut self.text);
        if !text.is_empty() {
            self.out.push_str(&cited(&text));
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Text(t) if self.verbatim => self.out.push_str(&t),
            Event::Text(_) if self.skip_text => {}
            Event::Text(t) => self.text.push_str(&t),
            Event::Code(c) => self.push(&format!("\\texttt{{{}}}", escape(&c))),
            Event::InlineMath(m) => self.push(&format!("${m}$")),
            Event::DisplayMath(m) => self.push(&format!("\n\\[\n{}\n\\]\n", m.trim())),
            Event::SoftBreak => self.push("\n"),
            Event::HardBreak => self.push("\\\\\n"),
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Html(_) | Event::InlineHtml(_) => self.unconverted.push("raw HTML"),
            Event::Rule => self.unconverted.push("a horizontal rule"),
            Event::FootnoteReference(_) => self.unconverted.push("a footnote"),
            Event::TaskListMarker(_) => {}
        }
    }

    fn start(&mut self, tag: Tag) {
        match tag {
            Tag::Paragraph | Tag::HtmlBlock => {}
            Tag::Heading { level, id, .. } => {
                let command = match level {
                    HeadingLevel::H1 => "section",
                    HeadingLevel::H2 => "subsection",
                    HeadingLevel::H3 => "subsubsection",
                    HeadingLevel::H4 => "paragraph",
                    _ => "subparagraph",
                };
                self.heading_label = id.map(|id| id.to_string());
                self.push(&format!("\n\\{command}{{"));
            }
            Tag::BlockQuote(_) => self.push("\n\\begin{quote}\n"),
            Tag::CodeBlock(kind) => {
                if let CodeBlockKind::Fenced(info) = &kind {
                    if matches!(info.trim(), "math" | "latex" | "tex") {
                        self.unconverted.push("a fenced code block of LaTeX or math (write math as $$...$$)");
                    }
                }
                self.push("\n\\begin{verbatim}\n");
                self.verbatim = true;
            }
            Tag::List(Some(_)) => self.push("\n\\begin{enumerate}\n"),
            Tag::List(None) => self.push("\n\\begin{itemize}\n"),
            Tag::Item => self.push("  \\item "),
            Tag::Emphasis => self.push("\\emph{"),
            Tag::Strong => self.push("\\textbf{"),
            Tag::Link { link_type: LinkType::Autolink | LinkType::Email, dest_url, .. } => {
                self.push(&format!("\\url{{{}}}", url(&dest_url)));
                self.skip_text = true;
            }
            Tag::Link { dest_url, .. } => self.push(&format!("\\href{{{}}}{{", url(&dest_url))),
            Tag::Table(aligns) => {
                let spec: String = aligns
                    .iter()
                    .map(|a| match a {
                        Alignment::Center => 'c',
                        Alignment::Right => 'r',
                        _ => 'l',
                    })
                    .collect();
                self.push(&format!("\n\\begin{{tabular}}{{{spec}}}\n"));
            }
            Tag::TableHead | Tag::TableRow => self.cells = 0,
            Tag::TableCell => {
                if self.cells > 0 {
                    self.push(" & ");
                }
                self.cells += 1;
            }
            Tag::Image { .. } => {
                self.unconverted.push("an image");
                self.skip_text = true;
            }
            Tag::Strikethrough | Tag::Superscript | Tag::Subscript => self.unconverted.push("struck or raised text"),
            _ => self.unconverted.push("a footnote, definition list or metadata block"),
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.push("\n\n"),
            TagEnd::Heading(_) => {
                let label = self.heading_label.take().map(|l| format!("\\label{{{l}}}")).unwrap_or_default();
                self.push(&format!("}}{label}\n\n"));
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                let trimmed = self.out.trim_end().len();
                self.out.truncate(trimmed);
                self.out.push_str("\n\\end{quote}\n\n");
            }
            TagEnd::CodeBlock => {
                self.verbatim = false;
                if !self.out.ends_with('\n') {
                    self.out.push('\n');
                }
                self.push("\\end{verbatim}\n\n");
            }
            TagEnd::List(true) => self.push("\\end{enumerate}\n\n"),
            TagEnd::List(false) => self.push("\\end{itemize}\n\n"),
            TagEnd::Item => {
                self.flush();
                let trimmed = self.out.trim_end().len();
                self.out.truncate(trimmed);
                self.out.push('\n');
            }
            TagEnd::Emphasis | TagEnd::Strong => self.push("}"),
            TagEnd::Link if self.skip_text => self.skip_text = false,
            TagEnd::Image => self.skip_text = false,
            TagEnd::Link => self.push("}"),
            TagEnd::Table => self.push("\\end{tabular}\n\n"),
            TagEnd::TableHead => self.push(" \\\\\n\\hline\n"),
            TagEnd::TableRow => self.push(" \\\\\n"),
            _ => self.flush(),
        }
    }
}

/// LaTeX's special characters in text escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '%' | '&' | '#' | '_' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            _ => out.push(c),
        }
    }
    out
}

/// A URL as `\href` and `\url` take it: `%` and `#` escaped.
fn url(u: &str) -> String {
    u.replace('%', "\\%").replace('#', "\\#")
}

/// Whether `@name` is a cross-reference (`sec:x`: a prefix of at most five characters
/// before a colon) rather than a citation key.
fn is_reference(name: &str) -> bool {
    name.split_once(':').is_some_and(|(p, _)| p.len() <= 5)
}

/// Text with Pandoc citations as `\cite` / `\ref`, the rest escaped: `[@a; @b, p. 3]`
/// (prefix words before a key stay as text), `@a` not preceded by a word character.
fn cited(text: &str) -> String {
    static BRACKET: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    static BARE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let bracket = BRACKET.get_or_init(|| Regex::new(r"\[([^\[\]]*@[^\[\]]*)\]").expect("valid pattern"));
    let bare = BARE.get_or_init(|| Regex::new(&format!(r"(^|[^\w@.\\])@({NAME})")).expect("valid pattern"));
    let mut out = String::new();
    let mut last = 0;
    for c in bracket.captures_iter(text) {
        let (whole, inner) = (c.get(0).expect("match"), &c[1]);
        let Some(cites) = bracketed(inner) else { continue };
        out.push_str(&bare_cited(&text[last..whole.start()], bare));
        out.push_str(&cites);
        last = whole.end();
    }
    out.push_str(&bare_cited(&text[last..], bare));
    out
}

/// A bracketed citation's inside (`see @a, p. 3; @b`) as LaTeX, `None` when a part holds
/// no `@name`.
fn bracketed(inner: &str) -> Option<String> {
    static PART: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let part = PART.get_or_init(|| {
        Regex::new(&format!(r"^\s*(?:(.*?)\s+)?-?@({NAME})\s*(?:,\s*(.*?))?\s*$")).expect("valid pattern")
    });
    let mut out = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let close = |keys: &mut Vec<String>, out: &mut Vec<String>| {
        if !keys.is_empty() {
            out.push(format!("\\cite{{{}}}", keys.join(",")));
            keys.clear();
        }
    };
    for p in inner.split(';') {
        let c = part.captures(p)?;
        let prefix = c.get(1).map(|m| escape(m.as_str()));
        let (name, locator) = (&c[2], c.get(3).map(|m| m.as_str()).filter(|l| !l.is_empty()));
        if prefix.is_some() || locator.is_some() || is_reference(name) {
            close(&mut keys, &mut out);
        }
        let cite = match (is_reference(name), locator) {
            (true, _) => format!("\\ref{{{name}}}"),
            (false, Some(l)) => format!("\\cite[{}]{{{name}}}", escape(l)),
            (false, None) if prefix.is_none() => {
                keys.push(name.to_string());
                continue;
            }
            (false, None) => format!("\\cite{{{name}}}"),
        };
        out.push(prefix.map_or(cite.clone(), |p| format!("{p} {cite}")));
    }
    close(&mut keys, &mut out);
    Some(out.join(", "))
}

/// Text with bare `@name` citations and references as LaTeX, the rest escaped.
fn bare_cited(text: &str, bare: &Regex) -> String {
    let mut out = String::new();
    let mut last = 0;
    for c in bare.captures_iter(text) {
        let (lead, name) = (c.get(1).expect("group"), &c[2]);
        out.push_str(&escape(&text[last..lead.end()]));
        if is_reference(name) {
            out.push_str(&format!("\\ref{{{name}}}"));
        } else {
            out.push_str(&format!("\\cite{{{name}}}"));
        }
        last = c.get(0).expect("match").end();
    }
    out.push_str(&escape(&text[last..]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latex(md: &str) -> (String, Vec<Finding>) {
        let mut f = Vec::new();
        (markdown_to_latex(md, &mut f, ("g.md", 1)), f)
    }

    #[test]
    fn paragraphs_emphasis_headings_and_lists() {
        let md = "## Sleep and Pain {#sec:sleep}\n\nSleep *improved* in **most** patients\n(50% of them) and `IL-6` fell.\n\n- first\n- second item\n\n1. one\n";
        let (out, f) = latex(md);
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(
            out,
            "\\subsection{Sleep and Pain}\\label{sec:sleep}\n\nSleep \\emph{improved} in \\textbf{most} patients\n(50\\% of them) and \\texttt{IL-6} fell.\n\n\\begin{itemize}\n  \\item first\n  \\item second item\n\\end{itemize}\n\n\\begin{enumerate}\n  \\item one\n\\end{enumerate}"
        );
    }

    #[test]
    fn pandoc_citations_and_references() {
        let (out, _) = latex("As shown [@Smith2020; @Lee2021, p. 4], see @Kim2019 and @sec:pain. Mail a@b.org.");
        assert_eq!(
            out,
            "As shown \\cite{Smith2020}, \\cite[p. 4]{Lee2021}, see \\cite{Kim2019} and \\ref{sec:pain}. Mail a@b.org."
        );
        let (out, _) = latex("Two [@A2020; @B2021] and [see @C2022].");
        assert_eq!(out, "Two \\cite{A2020,B2021} and see \\cite{C2022}.");
    }

    #[test]
    fn math_links_tables_and_what_has_no_form() {
        let (out, f) = latex("Ratio $a_1/b$ at [the site](https://x.org/a%20b#c) or <https://y.org>.\n\n$$x^2$$\n");
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(
            out,
            "Ratio $a_1/b$ at \\href{https://x.org/a\\%20b\\#c}{the site} or \\url{https://y.org}.\n\n\\[\nx^2\n\\]"
        );
        let (out, _) = latex("| A | B |\n|---|--:|\n| 1 | 2 |\n");
        assert_eq!(out, "\\begin{tabular}{lr}\nA & B \\\\\n\\hline\n1 & 2 \\\\\n\\end{tabular}");
        let (_, f) = latex("![plot](p.png)\n\n<div>x</div>\n");
        let msgs: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "an image in the Markdown text has no LaTeX form; the text is not inserted",
                "raw HTML in the Markdown text has no LaTeX form; the text is not inserted"
            ]
        );
    }
}
