//! Typst chapters -> [`Outline`], parsed with `typst-syntax`: headings with their labels,
//! top-level environment calls (`#name(title: [..])[..] <label>`), labels, `@name`
//! references and citations, `#cite(<key>)`, `#cite(label("key"))`, `#ref(<x>)` and
//! `#include "path"`. Nothing in comments, raw text or math counts.

use typst_syntax::{LinkedNode, SyntaxKind, SyntaxNode};

/// Functions that make inline text, never an environment, even at the start of a line.
const INLINE: &[&str] = &[
    "cite",
    "ref",
    "link",
    "footnote",
    "label",
    "emph",
    "strong",
    "text",
    "smallcaps",
    "underline",
    "highlight",
    "h",
    "v",
    "sym",
];

/// Where a syntax node sits, for what its labels mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    /// Markup or code: a `<label>` defines a label.
    Text,
    /// Directly in a call's arguments (`#cite(<key>)`): a label names one, it defines none.
    Argument,
    /// Inside an equation: `<` `>` are not labels.
    Math,
}

use super::{empty, split_trailing_label, Env, Heading, Include, Outline};
use crate::markup::Markup;
use crate::text::LineIndex;

/// Outlines a Typst file.
pub(super) fn outline(text: &str) -> Outline {
    if super::nesting::too_deep(text).is_some() {
        return unparsed(text);
    }
    let mut o = empty(Markup::Typst, text);
    let root = typst_syntax::parse(text);
    let idx = LineIndex::new(text);
    top_level(&mut o, text, &idx, &root);
    anywhere(&mut o, text, &idx, &root);
    o
}

/// The top level of the file: headings, environment calls (with the labels right after
/// them), comments and multi-line blocks.
fn top_level(o: &mut Outline, text: &str, idx: &LineIndex, root: &SyntaxNode) {
    let linked = LinkedNode::new(root);
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
                o.headings.push(Heading {
                    level: depth - 1,
                    title: title.to_string(),
                    label,
                    line: first,
                    short_title: None,
                    numbered: true,
                });
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
                // An environment starts its line; a call inside a paragraph is text.
                let starts_line =
                    text[..range.start].rsplit('\n').next().is_some_and(|l| l.trim() == "#" || l.trim().is_empty());
                if let Some(name) = call_name(node).filter(|n| starts_line && !INLINE.contains(&n.as_str())) {
                    let title = named_argument(node, "title");
                    o.envs.push(Env { name, start: first, end: last, label: None, title });
                }
                if last > first {
                    o.blocked.push((first, last));
                }
            }
        }
    }
}

/// Anywhere in the file: labels, references, includes, cite calls, and raw text and math
/// over lines (blocked). Walked over plain syntax nodes with offsets tracked by hand: a
/// `LinkedNode` per node costs a third of the parse.
fn anywhere(o: &mut Outline, text: &str, idx: &LineIndex, root: &SyntaxNode) {
    let mut stack: Vec<(&SyntaxNode, usize, Context)> = vec![(root, 0, Context::Text)];
    while let Some((node, offset, context)) = stack.pop() {
        let line = || idx.line_of(offset);
        match node.kind() {
            SyntaxKind::Label if context == Context::Text => {
                let label = node.text().trim_start_matches('<').trim_end_matches('>').to_string();
                o.labels.push((label, line()));
            }
            SyntaxKind::Ref => {
                let src = &text[offset..offset + node.len()];
                let key = src.trim_start_matches('@');
                let key = key.split('[').next().unwrap_or(key);
                o.citations.push((key.to_string(), line()));
            }
            SyntaxKind::ModuleInclude => {
                let src = &text[offset..offset + node.len()];
                if let Some(path) = src.split('"').nth(1) {
                    o.includes.push(Include { target: path.to_string(), line: line() });
                }
            }
            SyntaxKind::FuncCall => {
                let src = &text[offset..offset + node.len()];
                let called = match (src.strip_prefix("cite("), src.strip_prefix("ref(")) {
                    (Some(rest), _) => Some((true, rest)),
                    (_, Some(rest)) => Some((false, rest)),
                    _ => None,
                };
                if let Some((is_cite, rest)) = called {
                    let key = rest.trim_start().trim_start_matches("label(\"").trim_start_matches('<');
                    let key: String = key.chars().take_while(|&c| c != '>' && c != '"' && c != ')').collect();
                    if !key.is_empty() {
                        let at = (key, line());
                        if is_cite {
                            o.citations.push(at);
                        } else {
                            o.references.push(at);
                        }
                    }
                }
            }
            SyntaxKind::Raw | SyntaxKind::Equation => {
                let (a, b) = (line(), idx.line_of((offset + node.len()).saturating_sub(1)));
                if b > a {
                    o.blocked.push((a, b));
                }
            }
            _ => {}
        }
        // Children in reverse, so they are visited in document order.
        let child_context = match node.kind() {
            SyntaxKind::Equation => Context::Math,
            SyntaxKind::Args if context == Context::Text => Context::Argument,
            _ if context == Context::Argument => Context::Text,
            _ => context,
        };
        let mut at = offset + node.len();
        for child in node.children().rev() {
            at -= child.len();
            stack.push((child, at, child_context));
        }
    }
}

/// The outline of a text nested too deeply to be parsed (see [`super::nesting`]): its
/// headings by a line scan (a `=` line that is not indented), and the whole file blocked,
/// so an insertion goes before its first line or after its last, never inside the nesting.
fn unparsed(text: &str) -> Outline {
    let mut o = empty(Markup::Typst, text);
    for (i, line) in text.lines().enumerate() {
        if let Some((depth, rest)) = super::patterns::line_heading(line, '=') {
            let (title, label) = split_trailing_label(rest.trim());
            o.headings.push(Heading {
                level: depth as i32 - 1,
                title: title.to_string(),
                label,
                line: i + 1,
                short_title: None,
                numbered: true,
            });
        }
    }
    o.blocked.push((1, o.line_count));
    o
}

/// The callee of an embedded function call (`#achievement(...)[...]` -> `achievement`).
fn call_name(node: &LinkedNode) -> Option<String> {
    if node.kind() != SyntaxKind::FuncCall {
        return None;
    }
    let callee = node.children().next()?;
    Some(callee.get().clone().into_text().to_string()).filter(|n| !n.is_empty())
}

/// The text of a call's named argument (`title: [Energy envelope]` -> `Energy envelope`,
/// `title: "x"` -> `x`), trimmed; `None` when absent.
fn named_argument(call: &LinkedNode, name: &str) -> Option<String> {
    let args = call.children().find(|c| c.kind() == SyntaxKind::Args)?;
    let named = args.children().find(|c| {
        c.kind() == SyntaxKind::Named && c.children().next().is_some_and(|n| n.get().clone().into_text() == name)
    })?;
    let value = named.children().last()?;
    let text = value.get().clone().into_text();
    let text = text.trim();
    let inner = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .or_else(|| text.strip_prefix('"').and_then(|t| t.strip_suffix('"')))
        .unwrap_or(text);
    Some(inner.split_whitespace().collect::<Vec<_>>().join(" "))
}
