//! Markdown chapters -> [`Outline`], parsed with pulldown-cmark: headings (with Pandoc
//! `{#id}` labels), Pandoc citations (`[@a; @b, p. 4]`, `@a`, `-@a`, `@{key}`), code,
//! tables and HTML blocks as places nothing may be inserted into. YAML front matter is
//! metadata, not a heading. Citations are read from prose only: not from code, HTML,
//! link destinations or e-mail addresses.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::{empty, Heading, Outline};
use crate::markup::Markup;
use crate::text::LineIndex;

/// Outlines a Markdown file.
pub(super) fn outline(text: &str) -> Outline {
    let mut o = empty(Markup::Markdown, text);
    let idx = LineIndex::new(text);
    let mut current: Option<(i32, String, usize, Option<String>)> = None;
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS | Options::ENABLE_HEADING_ATTRIBUTES;
    // Byte ranges of prose, merged when adjacent: pulldown-cmark splits text at `_`, `[`...
    let mut prose: Vec<std::ops::Range<usize>> = Vec::new();
    // Text inside a code block is code, not prose.
    let mut in_code = false;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                current = Some((level as i32 - 1, String::new(), idx.line_of(range.start), id.map(|i| i.to_string())))
            }
            Event::Start(Tag::CodeBlock(_)) if !in_code => {
                in_code = true;
                let (a, b) = (idx.line_of(range.start), idx.line_of(range.end.saturating_sub(1)));
                if b > a {
                    o.blocked.push((a, b));
                }
            }
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Text(_) if in_code => {}
            Event::Text(t) => {
                if let Some(c) = current.as_mut() {
                    c.1.push_str(&t);
                }
                match prose.last_mut() {
                    Some(last) if last.end == range.start => last.end = range.end,
                    _ => prose.push(range),
                }
            }
            Event::Code(t) => {
                if let Some(c) = current.as_mut() {
                    c.1.push_str(&t);
                }
            }
            // A heading's text over a soft line break (a setext heading's two lines) keeps a
            // space between its parts, as the rendered heading does.
            Event::SoftBreak | Event::HardBreak => {
                if let Some(c) = current.as_mut() {
                    c.1.push(' ');
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, title, line, label)) = current.take() {
                    if let Some(l) = &label {
                        o.labels.push((l.clone(), line));
                    }
                    o.headings.push(Heading {
                        level,
                        title: title.split_whitespace().collect::<Vec<_>>().join(" "),
                        label,
                        line,
                        short_title: None,
                        numbered: true,
                    });
                }
            }
            Event::Start(Tag::CodeBlock(_))
            | Event::Start(Tag::Table(_))
            | Event::Start(Tag::HtmlBlock)
            | Event::Start(Tag::MetadataBlock(_)) => {
                let (a, b) = (idx.line_of(range.start), idx.line_of(range.end.saturating_sub(1)));
                if b > a {
                    o.blocked.push((a, b));
                }
            }
            _ => {}
        }
    }
    for r in prose {
        for (key, offset) in pandoc_citations(&text[r.clone()]) {
            // An escape's backslash lies before the text event that holds the `@`.
            if !crate::text::at_sign_is_literal(text, r.start + offset) {
                o.citations.push((key, idx.line_of(r.start + offset)));
            }
        }
    }
    o
}

/// Pandoc citation keys in `text` with their byte offsets (of the `@`). Rules from the
/// Pandoc manual ("Citation syntax"): a key starts with a letter, digit or `_` and goes on
/// with alphanumerics, `_` and single internal punctuation among `:.#$%&-+?<>~/` (so
/// `smith:2020/a` is one key, `HFH+:WEKA` stops before `+:`, and a final `.` is not part
/// of the key); `@{...}` braces any key. The `@` must not follow a letter or digit (an
/// e-mail address is not a citation), nor be escaped (`\\@`) or inside a URL.
pub fn pandoc_citations(text: &str) -> Vec<(String, usize)> {
    const INTERNAL: &[char] = &[':', '.', '#', '$', '%', '&', '-', '+', '?', '<', '>', '~', '/'];
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        i += 1;
        if c != '@' || (i >= 2 && (chars[i - 2].1.is_alphanumeric() || chars[i - 2].1 == '_')) {
            continue;
        }
        if crate::text::at_sign_is_literal(text, at) {
            continue;
        }
        if chars.get(i).is_some_and(|&(_, c)| c == '{') {
            let start = chars[i].0 + 1;
            if let Some(end) = text[start..].find('}') {
                let key = &text[start..start + end];
                if !key.is_empty() {
                    out.push((key.to_string(), at));
                }
            }
            continue;
        }
        let word = |c: char| c.is_alphanumeric() || c == '_';
        if !chars.get(i).is_some_and(|&(_, c)| word(c)) {
            continue;
        }
        let start = chars[i].0;
        let mut end = start;
        while i < chars.len() {
            let c = chars[i].1;
            if word(c) {
                end = chars[i].0 + c.len_utf8();
                i += 1;
            } else if INTERNAL.contains(&c) && chars.get(i + 1).is_some_and(|&(_, n)| word(n)) {
                i += 1;
            } else {
                break;
            }
        }
        out.push((text[start..end].to_string(), at));
    }
    out
}

/// Whether `key` can be written as a bare Pandoc citation (`@key`); otherwise it needs
/// braces (`@{key}`). Same rules as [`pandoc_citations`].
pub fn pandoc_bare_key(key: &str) -> bool {
    pandoc_citations(&format!("@{key}")).first().is_some_and(|(k, _)| k == key)
}
