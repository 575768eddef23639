//! The Markdown layer of guide reading: blocks in document order (via pulldown-cmark, so
//! headings inside fences or HTML blocks are not headings) and `**Field:** value` lines.
//! What the fields mean is decided in the parent module.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use regex::Regex;

use crate::text::LineIndex;

/// A Markdown block the parser looks at, in document order.
pub(crate) enum Block {
    Heading { level: u8, text: String, line: usize },
    Code { info: String, text: String, line: usize, fenced: bool, closed: bool },
    Text { range: Range<usize> },
}

fn src_last_line(s: &str) -> &str {
    s.trim_end().rsplit('\n').next().unwrap_or("").trim()
}

pub(crate) fn blocks(text: &str) -> Vec<Block> {
    let source = text;
    let idx = LineIndex::new(text);
    let mut out = Vec::new();
    let mut heading: Option<(u8, String, usize)> = None;
    let mut code: Option<(String, String, usize, bool)> = None;
    let mut item_depth = 0usize;
    for (event, range) in
        Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS).into_offset_iter()
    {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((level as u8, String::new(), idx.line_of(range.start)))
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, text, line)) = heading.take() {
                    out.push(Block::Heading { level, text: text.trim().to_string(), line });
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let (info, fenced) = match kind {
                    CodeBlockKind::Fenced(info) => (info.to_string(), true),
                    CodeBlockKind::Indented => (String::new(), false),
                };
                code = Some((info, String::new(), idx.line_of(range.start), fenced));
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((info, text, line, fenced)) = code.take() {
                    // A fence left open runs to the end of the document.
                    let last = src_last_line(&source[range.clone()]);
                    let closed = !fenced || last.starts_with("```") || last.starts_with("~~~");
                    out.push(Block::Code { info, text, line, fenced, closed });
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.1.push_str(&t);
                } else if let Some(c) = code.as_mut() {
                    c.1.push_str(&t);
                }
            }
            Event::Start(Tag::Item) => item_depth += 1,
            Event::End(TagEnd::Item) => item_depth = item_depth.saturating_sub(1),
            Event::Start(Tag::Paragraph) if item_depth == 0 => out.push(Block::Text { range }),
            Event::Start(Tag::List(_)) if item_depth == 0 => out.push(Block::Text { range }),
            Event::Start(Tag::Table(_)) => out.push(Block::Text { range }),
            _ => {}
        }
    }
    out
}

/// A `**Name:** value` line (also `**Name**: value`, `- **Name:** value`).
pub(crate) fn field_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^\s*(?:[-*+]\s+|\d+\.\s+)?\*\*([^*\n]{1,60}?)\s*:?\s*\*\*\s*:?\s*(.*?)\s*$").unwrap()
    })
}

/// [`field_re`]'s captures of `line`; a line without `**` is not searched.
pub(crate) fn field_captures(line: &str) -> Option<regex::Captures<'_>> {
    if line.contains("**") {
        field_re().captures(line)
    } else {
        None
    }
}

/// [`plain_field_re`]'s captures of `line`; a line without `:` is not searched.
pub(crate) fn plain_field_captures(line: &str) -> Option<regex::Captures<'_>> {
    if line.contains(':') {
        plain_field_re().captures(line)
    } else {
        None
    }
}

/// A plain `Name: value` line (no bold), for section hints written without markup.
pub(crate) fn plain_field_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^\s*([A-Z][A-Za-z ]{2,30}):\s+(.+?)\s*$").unwrap())
}

pub(crate) fn field_is(name: &str, names: &[String]) -> bool {
    let name = name.trim().trim_end_matches(':').trim();
    names.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// Quoted alternatives in a hint ("A" or "B"), else the whole value without markup.
pub(crate) fn quoted_or_whole(value: &str) -> Vec<String> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r#""([^"]+)"|“([^”]+)”"#).unwrap());
    let quoted: Vec<String> = re
        .captures_iter(value)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)))
        .map(|m| m.as_str().trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if !quoted.is_empty() {
        return quoted;
    }
    let whole = value.replace('`', "").trim().to_string();
    if whole.is_empty() {
        vec![]
    } else {
        vec![whole]
    }
}

/// Markdown text with `**`, `__`, backticks and leading list markers removed.
pub(crate) fn strip_md(text: &str) -> String {
    text.replace("**", "").replace("__", "").replace('`', "").trim().to_string()
}
