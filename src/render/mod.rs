//! Snippets -> text in the target file's markup.
//!
//! A LaTeX snippet goes into `.tex` as written and into `.typ` converted to the book's Typst
//! form: `\begin{env}[T]\label{x} ... \end{env}` -> `#env(title: [T])[ ... ] <x>` (function
//! names from `rules/environments.toml`), `\cite{a,b}` -> `@a @b` (keys that are not valid
//! Typst references -> `#cite(label("k"))`), `\ref` -> `@x`, `\textbf`/`\emph`/`\textit`/
//! `\texttt`, lists, `\href`/`\url`, escapes and inline math. A construct the converter does
//! not know is kept visibly in raw backticks and reported as `snippet-unconverted`. Output
//! is validated: Typst parses without errors (typst-syntax), LaTeX balances braces and
//! environments. Markdown text goes into LaTeX as Pandoc would write it (`markdown`), and into
//! Typst through that LaTeX. Typst text has no LaTeX form yet.
//!
//! Layout: this file holds [`render`] and what plans read off a snippet (its labels and
//! title); `convert` the LaTeX -> Typst walk, with `environment`, `math` and
//! `citation` for those constructs; `latex_labels` the label moves for LaTeX targets;
//! `latex_syntax` the brace and argument readers they share; `validate` the checks of
//! the result.

mod citation;
mod convert;
mod environment;
mod latex_labels;
mod latex_syntax;
mod markdown;
mod math;
mod typst_repair;
mod typst_snippet;
mod validate;

use regex::Regex;

pub use citation::{typst_label_ok, typst_ref_ok};
use convert::latex_to_typst;
use latex_labels::latex_labels_in_place;
use validate::escape_stray_angles;
pub use validate::{latex_balance, typst_error};

use crate::finding::{Code, Finding};
use crate::guide::{Markup, Snippet};
use crate::outline::patterns;
use crate::rules::EnvironmentRules;

/// A snippet rendered for one target file.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The text to insert, without surrounding blank lines, ending without newline.
    pub text: String,
    /// Problems met while rendering (unconverted constructs, invalid output).
    pub findings: Vec<Finding>,
}

/// Labels a snippet defines (`\label{x}`, Typst `<x>`, a Markdown heading's `{#x}`).
pub fn snippet_labels(snippet: &Snippet) -> Vec<String> {
    let own;
    let re = match snippet.language {
        Some(Markup::Typst) => {
            own = Regex::new(r"(?m)<([A-Za-z][A-Za-z0-9_:.\-]*)>\s*$").unwrap();
            &own
        }
        Some(Markup::Markdown) => {
            own = Regex::new(r"(?m)^#{1,6}\s.*\{[^}]*#([A-Za-z][A-Za-z0-9_:.\-]*)[^}]*\}\s*$").unwrap();
            &own
        }
        _ => patterns::latex_label(),
    };
    re.captures_iter(&snippet.text).map(|c| c[1].trim().to_string()).collect()
}

/// The title of a snippet's environment (`\begin{env}[Title]`, `title: [Title]`).
pub fn snippet_title(snippet: &Snippet) -> Option<String> {
    let re = match snippet.language {
        Some(Markup::Typst) => Regex::new(r"title:\s*\[([^\]]*)\]").unwrap(),
        _ => Regex::new(r"\\begin\{[^}]+\}\s*\[([^\]]*)\]").unwrap(),
    };
    re.captures(&snippet.text).map(|c| c[1].trim().to_string())
}

/// Renders `snippet` for a file in `target` markup. `defined` lists the Typst functions
/// the book defines (empty: not checked). `where_` names the guide and line for findings.
pub fn render(
    snippet: &Snippet,
    target: Markup,
    env: &EnvironmentRules,
    defined: &[String],
    where_: (&str, usize),
) -> Rendered {
    let text = snippet.text.trim_end().to_string();
    let mut findings = Vec::new();
    let lang = snippet.language.unwrap_or(target);
    let Some((text, lang)) = judged_typst(text, lang, &mut findings, where_) else {
        return Rendered { text: String::new(), findings };
    };
    let out = match (lang, target) {
        (Markup::Latex, Markup::Latex) => latex_labels_in_place(text, &mut findings, where_),
        (Markup::Typst, Markup::Typst) => {
            let (text, found) = typst_snippet::unknown_calls(text, env, defined, where_);
            findings.extend(found);
            text
        }
        (Markup::Markdown, Markup::Markdown) => text,
        (Markup::Markdown, Markup::Latex) => {
            let latex = markdown::markdown_to_latex(&text, &mut findings, where_);
            latex_labels_in_place(latex, &mut findings, where_)
        }
        (Markup::Markdown, Markup::Typst) => {
            let latex = markdown::markdown_to_latex(&text, &mut findings, where_);
            latex_to_typst(&latex, env, defined, &mut findings, where_)
        }
        (Markup::Latex, Markup::Typst) => {
            if let Some(problem) = latex_balance(&text) {
                findings.push(
                    Finding::new(Code::SnippetUnbalanced, format!("the guide's LaTeX snippet is not valid: {problem}"))
                        .at(where_.0, Some(where_.1))
                        .help("fix the snippet in the guide"),
                );
                return Rendered { text: String::new(), findings };
            }
            latex_to_typst(&text, env, defined, &mut findings, where_)
        }
        (from, to) => {
            findings.push(
                Finding::new(
                    Code::SnippetUnrenderable,
                    format!("a {from:?} snippet cannot be rendered into a {to:?} file yet"),
                )
                .at(where_.0, Some(where_.1))
                .help("give the snippet in the target file's markup"),
            );
            return Rendered { text: String::new(), findings };
        }
    };
    let out = if target == Markup::Typst { escape_stray_angles(out, &mut findings, where_) } else { out };
    let problem = match target {
        Markup::Typst => typst_error(&out).map(|(line, msg)| {
            let what =
                if lang == Markup::Typst { "the guide's Typst snippet" } else { "the Typst text rendered from it" };
            format!("{what} does not parse: {msg} (line {line} of the snippet)")
        }),
        Markup::Latex => latex_balance(&out),
        Markup::Markdown => None,
    };
    if let Some(problem) = problem {
        findings.push(
            Finding::new(Code::SnippetUnbalanced, format!("the rendered snippet is not valid: {problem}"))
                .at(where_.0, Some(where_.1))
                .help("fix the snippet in the guide"),
        );
    }
    Rendered { text: out, findings }
}

/// `text` in `lang` as the compiler would take it: a `typst` snippet written in LaTeX is
/// LaTeX (`snippet-language-latex`); one that does not parse is repaired first
/// ([`repaired_typst`]); `None` (a `snippet-unconverted` finding) when Typst markup and a
/// LaTeX command are still mixed after that. Other languages pass as given.
fn judged_typst(
    text: String,
    lang: Markup,
    findings: &mut Vec<Finding>,
    where_: (&str, usize),
) -> Option<(String, Markup)> {
    if lang != Markup::Typst {
        return Some((text, lang));
    }
    if typst_snippet::kind(&text) == typst_snippet::Kind::Latex {
        findings.push(
            Finding::new(
                Code::SnippetLanguageLatex,
                "the `typst` snippet is written in LaTeX; it is converted as LaTeX",
            )
            .at(where_.0, Some(where_.1)),
        );
        return Some((text, Markup::Latex));
    }
    let text = repaired_typst(text, findings, where_);
    if let typst_snippet::Kind::Mixed(cmd) = typst_snippet::kind(&text) {
        findings.push(
            Finding::new(Code::SnippetUnconverted, format!("the Typst snippet holds the LaTeX command `{cmd}`"))
                .at(where_.0, Some(where_.1))
                .help("write the snippet in Typst throughout"),
        );
        return None;
    }
    Some((text, Markup::Typst))
}

/// A guide's Typst snippet that does not parse, with LaTeX script math and Markdown
/// headings written as Typst when that is what broke it (a finding says so); else as given.
fn repaired_typst(text: String, findings: &mut Vec<Finding>, where_: (&str, usize)) -> String {
    if typst_error(&text).is_none() {
        return text;
    }
    let (repaired, n) = typst_repair::repair_typst(&text);
    if n == 0 {
        return text;
    }
    findings.push(
        Finding::new(
            Code::SnippetRewritten,
            format!(
                "{n} LaTeX-style script (`X$_2$`) or Markdown heading (`####`) of the Typst snippet written as Typst"
            ),
        )
        .at(where_.0, Some(where_.1)),
    );
    repaired
}

#[cfg(test)]
mod tests;
