//! A guide's Typst snippet as the compiler would take it: a fence labelled `typst` that
//! holds LaTeX (`\begin{hypothesis}`, `\cite{}`) is LaTeX and converted as such; Typst
//! mixed with LaTeX commands is refused, as is a call of a function that neither Typst nor
//! the book defines (the nearest book function suggested).
//!
//! What is left out: whether the calls are in scope in the target file (`plan::scope`) and
//! the parse of the result ([`super::validate`]).

use std::collections::BTreeSet;

use regex::Regex;
use typst_syntax::{SyntaxKind, SyntaxNode};

use crate::finding::{Code, Finding};
use crate::rules::EnvironmentRules;

/// What a Typst snippet is, judged by its text outside raw spans.
#[derive(Debug, PartialEq)]
pub(super) enum Kind {
    /// Typst (no LaTeX command in it).
    Typst,
    /// LaTeX only (LaTeX commands, no Typst markup): convert it as LaTeX.
    Latex,
    /// Typst markup and the LaTeX command named here: not convertible as a whole.
    Mixed(String),
}

/// The text of `node` without raw spans (`` `...` ``, fenced raw), leaves in order.
fn text_outside_raw(node: &SyntaxNode, out: &mut String) {
    if node.kind() == SyntaxKind::Raw {
        out.push(' ');
        return;
    }
    if node.children().len() == 0 {
        out.push_str(node.text());
    }
    for child in node.children() {
        text_outside_raw(child, out);
    }
}

/// Judges `text`, a snippet from a `typst` fence.
pub(super) fn kind(text: &str) -> Kind {
    static LATEX: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    static TYPST: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    // A control word of two letters or more (`\u{..}` is Typst's own escape).
    let latex = LATEX.get_or_init(|| Regex::new(r"\\[A-Za-z]{2,}").expect("valid pattern"));
    // Typst markup: a call, a heading, a label, a reference or citation.
    let typst = TYPST.get_or_init(|| {
        Regex::new(r"(?m)#[A-Za-z]|^\s*=+ |<[A-Za-z][\w:.\-]*>|(?:^|[\s(\[])@[A-Za-z]").expect("valid pattern")
    });
    let mut plain = String::new();
    text_outside_raw(&typst_syntax::parse(text), &mut plain);
    match latex.find(&plain) {
        None => Kind::Typst,
        Some(_) if !typst.is_match(&plain) => Kind::Latex,
        Some(cmd) => Kind::Mixed(cmd.as_str().to_string()),
    }
}

/// Typst's own functions and keywords that a snippet may call with `#name(` / `#name[`
/// (the Typst reference's model, text, layout, visualize, introspection, data loading and
/// foundations categories).
const TYPST_FUNCTIONS: &[&str] = &[
    "align",
    "array",
    "assert",
    "bibliography",
    "block",
    "box",
    "cbor",
    "circle",
    "cite",
    "colbreak",
    "columns",
    "context",
    "counter",
    "csv",
    "curve",
    "datetime",
    "document",
    "ellipse",
    "emph",
    "enum",
    "eval",
    "figure",
    "footnote",
    "for",
    "grid",
    "h",
    "heading",
    "hide",
    "highlight",
    "if",
    "image",
    "import",
    "include",
    "json",
    "label",
    "layout",
    "let",
    "line",
    "linebreak",
    "link",
    "list",
    "locate",
    "lorem",
    "lower",
    "luma",
    "measure",
    "metadata",
    "move",
    "numbering",
    "outline",
    "overline",
    "pad",
    "page",
    "pagebreak",
    "par",
    "parbreak",
    "path",
    "place",
    "polygon",
    "query",
    "quote",
    "range",
    "raw",
    "read",
    "rect",
    "ref",
    "repeat",
    "return",
    "rgb",
    "rotate",
    "scale",
    "set",
    "show",
    "smallcaps",
    "smartquote",
    "square",
    "stack",
    "state",
    "str",
    "strike",
    "strong",
    "sub",
    "super",
    "table",
    "terms",
    "text",
    "toml",
    "underline",
    "upper",
    "v",
    "while",
    "xml",
    "yaml",
    "calc",
    "cmyk",
    "color",
    "int",
    "float",
    "type",
    "repr",
    "panic",
    "regex",
    "version",
    "dictionary",
    "none",
    "auto",
    "true",
    "false",
    "sym",
    "emoji",
    "math",
    "here",
    "selector",
    "skew",
    "title",
    "upright",
];

/// `text` with the calls of functions that neither Typst ([`TYPST_FUNCTIONS`]), the book
/// (`defined`) nor the snippet itself (`#let`) defines resolved: a generic environment name
/// whose book function `rules/environments.toml` names (`#warning[` -> `#warning-env[`) is
/// renamed (`snippet-environment-mapped`, info); any other is an `environment-unknown`
/// error with the nearest book function. Not checked when `defined` is empty (the book's
/// functions are not known).
pub(super) fn unknown_calls(
    text: String,
    env: &EnvironmentRules,
    defined: &[String],
    where_: (&str, usize),
) -> (String, Vec<Finding>) {
    if defined.is_empty() {
        return (text, Vec::new());
    }
    static CALL: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    static LET: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let call = CALL.get_or_init(|| Regex::new(r"#([A-Za-z_][\w-]*)[\[(]").expect("valid pattern"));
    let bind = LET.get_or_init(|| Regex::new(r"#let\s+([A-Za-z_][\w-]*)").expect("valid pattern"));
    let mut plain = String::new();
    text_outside_raw(&typst_syntax::parse(&text), &mut plain);
    let own: BTreeSet<&str> = bind.captures_iter(&plain).filter_map(|c| c.get(1)).map(|m| m.as_str()).collect();
    let mut unknown: Vec<&str> = call
        .captures_iter(&plain)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str())
        .filter(|n| !TYPST_FUNCTIONS.contains(n) && !defined.iter().any(|d| d == n) && !own.contains(n))
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    let mut findings = Vec::new();
    let mut renamed = text.clone();
    for name in unknown {
        let mapped = env.typst_name(&env.canonical_of_macro(name)).to_string();
        if mapped != name && defined.contains(&mapped) {
            let call = Regex::new(&format!(r"#{}([\[(])", regex::escape(name))).expect("escaped name");
            renamed = call.replace_all(&renamed, format!("#{mapped}$1").as_str()).into_owned();
            findings.push(
                Finding::new(
                    Code::SnippetEnvironmentMapped,
                    format!("the snippet's `#{name}` is the book's environment `#{mapped}`"),
                )
                .at(where_.0, Some(where_.1)),
            );
            continue;
        }
        let near = crate::text::nearest(name, defined.iter().map(String::as_str));
        findings.push(
            Finding::new(
                Code::EnvironmentUnknown,
                format!("the book defines no Typst function `{name}` that the snippet calls"),
            )
            .at(where_.0, Some(where_.1))
            .help(match near {
                Some(near) => format!("did you mean `{near}`? Fix the call in the guide's snippet"),
                None => "fix the call in the guide's snippet, or define the function in the book".to_string(),
            }),
        );
    }
    (renamed, findings)
}
