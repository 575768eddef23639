//! Targets of guides written without target headings: the second reading of a guide, used
//! only when the first ([`super::parse_guide`]'s target headings, fields and tables) finds
//! no target.
//!
//! Such guides name their files in other ways: a `### File to modify` heading followed by a
//! path, a `**Location:**` or `- Chapter:` line holding a path, a `### Files Modified` list
//! of bold paths, or a `### Chapter 20 (Biomarkers) — Topic` heading with no path at all.
//! Their snippets sit under headings of their own (`### Addition 2: Title`), and the spot
//! for a snippet may be given under a sibling heading with the same number (`### Gap 2:
//! Title` with `**Location:** Within "X" section (lines a-b)`) or in a bold line of its
//! own (`**Insert after line N, before "X"**`). Every name and phrasing comes from
//! `rules/guide.toml` (`[loose]`). Which spot is chosen is left to placement.

use regex::Regex;

use super::fields::{file_in_text, path_value, section_hints};
use super::keys::keys_in_snippet;
use super::markdown::{blocks, field_captures, field_is, strip_md, Block};
use super::model::{Markup, Snippet, Target};
use super::snippet::sniff_markup;
use crate::rules::{GuideRules, Rules};
use crate::text::LineIndex;

/// A file a part of the guide names, with the spot hints written under it.
#[derive(Debug, Default)]
struct FileRef {
    hint: String,
    line: usize,
    section_hints: Vec<String>,
}

/// What the guide holds between one heading and the next.
#[derive(Debug, Default)]
struct Part {
    heading: String,
    line: usize,
    /// The heading names a file list (`### File to modify`).
    file_list: bool,
    /// The file a chapter heading names (`Chapter 20 (Biomarkers)`), resolved by number or title.
    chapter: Option<String>,
    /// The spot the chapter heading names after its dash (`— HSAT2 Section`).
    chapter_spot: Option<String>,
    files: Vec<FileRef>,
    section_hints: Vec<String>,
    environment_raw: Option<String>,
    prose: Vec<String>,
    snippets: Vec<Snippet>,
}

/// Targets of a guide without target headings (see the module header), in guide order,
/// ranked 1, 2, ... Keys are left empty for the caller to assign. Empty when the guide
/// names neither a file nor a chapter.
pub(super) fn loose_targets(text: &str, path: &str, rules: &Rules) -> Vec<Target> {
    let parts = read_parts(text, rules);
    // A `### File to modify` heading naming one file: the file of every snippet that names none.
    let listed: Vec<&FileRef> = parts.iter().filter(|p| p.file_list).flat_map(|p| &p.files).collect();
    let default_file = match listed.as_slice() {
        [only] => Some(only.hint.clone()),
        _ => None,
    };
    let any_snippet = parts.iter().any(|p| !p.snippets.is_empty());
    let mut out: Vec<Target> = Vec::new();
    let base = |file: &str, title: &str, line: usize| Target {
        file_hint: Some(file.to_string()),
        title_hint: title.to_string(),
        line,
        source: path.to_string(),
        ..Target::default()
    };
    for (i, part) in parts.iter().enumerate() {
        let env = |t: &mut Target| {
            t.environment_raw.clone_from(&part.environment_raw);
            t.environment = part.environment_raw.as_deref().and_then(|e| rules.environments.normalize(e));
            t.rationale = Some(part.prose.join(" ")).filter(|r| !r.is_empty());
        };
        if !part.snippets.is_empty() {
            let own = part.files.last().map(|f| f.hint.clone()).or_else(|| part.chapter.clone());
            let Some(file) = own.or_else(|| default_file.clone()) else { continue };
            let mut hints: Vec<String> = part.files.last().map(|f| f.section_hints.clone()).unwrap_or_default();
            hints.extend(part.section_hints.iter().cloned());
            hints.extend(part.chapter_spot.iter().cloned());
            hints.extend(partner_hints(&parts, i));
            for snippet in &part.snippets {
                let mut t = base(&file, &part.heading, part.line);
                t.section_hints.clone_from(&hints);
                t.snippet = Some(snippet.clone());
                env(&mut t);
                out.push(t);
            }
        } else if part.file_list && any_snippet && default_file.is_some() {
            // The file list names the snippets' file; it is no target of its own.
        } else if !part.files.is_empty() {
            for f in &part.files {
                let mut t = base(&f.hint, &part.heading, f.line);
                t.section_hints = f.section_hints.iter().chain(&part.section_hints).cloned().collect();
                env(&mut t);
                out.push(t);
            }
        } else if let Some(chapter) = &part.chapter {
            let mut t = base(chapter, &part.heading, part.line);
            t.section_hints = part.section_hints.iter().chain(&part.chapter_spot).cloned().collect();
            env(&mut t);
            out.push(t);
        }
    }
    for (i, t) in out.iter_mut().enumerate() {
        t.rank = i + 1;
    }
    out
}

/// The guide's parts, one per heading (and one before the first heading).
fn read_parts(text: &str, rules: &Rules) -> Vec<Part> {
    let g = &rules.guide;
    let idx = LineIndex::new(text);
    let mut parts = vec![Part { line: 1, ..Part::default() }];
    for block in blocks(text) {
        match block {
            Block::Heading { text: heading, line, .. } => {
                let file_list = g.loose.file_list_headings.iter().any(|h| heading.eq_ignore_ascii_case(h.trim()));
                let (chapter, chapter_spot) = chapter_heading(&heading, g).unzip();
                let mut part =
                    Part { heading, line, file_list, chapter, chapter_spot: chapter_spot.flatten(), ..Part::default() };
                // `## Section 1: ch07-immune.typ - New Content`.
                if let Some(file) = file_in_text(&part.heading) {
                    part.files.push(FileRef { hint: file, line, ..FileRef::default() });
                }
                parts.push(part);
            }
            Block::Text { range } => {
                let first_line = idx.line_of(range.start);
                // A list item naming a snippet's heading (`1. **Addition 1: Title**`): the
                // items under it say where that snippet goes.
                let mut linked: Option<usize> = None;
                for (i, line) in text[range].lines().enumerate() {
                    if let Some(item) = bold_item(line) {
                        // The same heading, or the same word and number (`Addition 4`).
                        let names = |p: &Part| {
                            p.heading.eq_ignore_ascii_case(&item)
                                || numbered(&item).is_some_and(|n| numbered(&p.heading) == Some(n))
                        };
                        linked = parts.iter().position(|p| !p.snippets.is_empty() && names(p));
                        if linked.is_some() {
                            continue;
                        }
                    } else if let Some(at) = linked {
                        let sub = line.trim_start();
                        if line.starts_with(char::is_whitespace) && sub.starts_with(['-', '*', '+']) {
                            let said = strip_md(sub.trim_start_matches(['-', '*', '+']).trim());
                            parts[at].section_hints.extend(section_hints(&said));
                            continue;
                        }
                        linked = None;
                    }
                    let part = parts.last_mut().expect("one part at least");
                    read_line(part, line, first_line + i, rules);
                }
            }
            Block::Code { info, text: code, line, fenced, .. } => {
                let part = parts.last_mut().expect("one part at least");
                let lang = info.split_whitespace().next().unwrap_or("").to_lowercase();
                let language = Markup::from_fence(&info).or_else(|| sniff_markup(&code));
                if fenced && language.is_some() && lang != "bibtex" && lang != "bib" {
                    part.snippets.push(Snippet { language, text: code, line });
                }
            }
        }
    }
    parts
}

/// Reads one line of prose into `part`: file fields, spot hints, environment, prose.
fn read_line(part: &mut Part, line: &str, line_no: usize, rules: &Rules) {
    let g = &rules.guide;
    let known = |name: &str| {
        [&g.fields.file, &g.fields.section_hint, &g.fields.table_file, &g.fields.environment, &g.fields.citation_key]
            .iter()
            .any(|names| field_is(name, names))
    };
    if let Some(spot) = bold_spot(line, g) {
        spot_hints(part).extend(section_hints(&spot));
        return;
    }
    let field = field_captures(line).or_else(|| list_field_re().captures(line));
    // In a file list, `2. **`ch19.typ`**` is a path, not a field named by it.
    let field = field.filter(|c| !part.file_list || known(&c[1]));
    if let Some(c) = field {
        let (name, value) = (c[1].trim().to_string(), c[2].trim().to_string());
        let file = (field_is(&name, &g.fields.file)
            || field_is(&name, &g.fields.section_hint)
            || field_is(&name, &g.fields.table_file))
        .then(|| value_file(&value))
        .flatten();
        if let Some(hint) = file {
            part.files.push(FileRef { hint, line: line_no, section_hints: Vec::new() });
        } else if field_is(&name, &g.fields.section_hint) {
            spot_hints(part).extend(section_hints(&value));
        } else if field_is(&name, &g.fields.environment) {
            part.environment_raw = Some(value);
        } else if !field_is(&name, &g.fields.citation_key) {
            part.prose.push(strip_md(&format!("{name}: {value}")));
        }
        return;
    }
    if part.file_list {
        // `2. **`src/ch19-approaches.typ`**` or a bare backticked path under the heading.
        if let Some(hint) = value_file(line) {
            part.files.push(FileRef { hint, line: line_no, section_hints: Vec::new() });
            return;
        }
    }
    let prose = strip_md(line.trim().trim_start_matches(['-', '*', '+']).trim());
    if !prose.is_empty() {
        part.prose.push(prose);
    }
}

/// Where a spot hint of `part` goes: under the last file it named, else the part's own.
fn spot_hints(part: &mut Part) -> &mut Vec<String> {
    match part.files.last_mut() {
        Some(f) => &mut f.section_hints,
        None => &mut part.section_hints,
    }
}

/// A chapter file named in a field value or list line: a backticked or plain path ending in
/// `.tex`, `.typ` or `.md`; `None` for folders and other files (`references.bib`).
fn value_file(value: &str) -> Option<String> {
    let candidate = if value.contains('`') { path_value(value) } else { value.to_string() };
    file_in_text(&candidate)
}

/// The bold text of a list item that is nothing else (`1. **Addition 1: Title**`).
fn bold_item(line: &str) -> Option<String> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^(?:\d+\.|[-*+])\s+\*\*([^*]+?)\*\*:?\s*$").unwrap());
    re.captures(line).map(|c| c[1].trim().to_string())
}

/// `- Location: text` / `2. Chapter: text` (a plain field in a list item): name and value.
fn list_field_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^\s*(?:[-*+]\s+|\d+\.\s+)?([A-Z][A-Za-z ]{2,30}):\s+(.+?)\s*$").unwrap())
}

/// The spot a whole-bold line names (`**Insert after line 1333, before paragraph "X"**`):
/// its text, when it opens with a verb of `[loose] spot_verbs` and holds a position word.
fn bold_spot(line: &str, g: &GuideRules) -> Option<String> {
    let inner = line.trim().strip_prefix("**")?.strip_suffix("**")?.trim();
    let first = inner.split_whitespace().next()?.to_lowercase();
    let lower = inner.to_lowercase();
    let says_where = [" after ", " before ", " within ", " into ", " at line"].iter().any(|w| lower.contains(w));
    (g.loose.spot_verbs.iter().any(|v| v.eq_ignore_ascii_case(&first)) && says_where).then(|| inner.to_string())
}

/// A heading naming a chapter (`Chapter 20 (Biomarkers) — HSAT2 Section`, `Chapter 7: Viral
/// Perspectives`): the file hint (the heading before its dash) and the spot after the dash.
fn chapter_heading(heading: &str, g: &GuideRules) -> Option<(String, Option<String>)> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^\s*(\p{L}+)\s+\d+[A-Za-z]?\b").unwrap());
    let word = re.captures(heading)?.get(1)?.as_str();
    if !g.loose.chapter_words.iter().any(|w| w.eq_ignore_ascii_case(word)) {
        return None;
    }
    let (file, spot) = match heading.split_once(" — ").or_else(|| heading.split_once(" - ")) {
        Some((a, b)) => (a.trim(), Some(b.trim().to_string()).filter(|s| !s.is_empty())),
        None => (heading.trim(), None),
    };
    Some((file.to_string(), spot))
}

/// `Addition 2: Title` -> ("addition", 2).
fn numbered(heading: &str) -> Option<(String, u32)> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^\s*(\p{L}+)\s+(\d+)\s*[:.—–-]").unwrap());
    let c = re.captures(heading)?;
    Some((c[1].to_lowercase(), c[2].parse().ok()?))
}

/// The spot hints of the parts that describe part `i`'s snippet under another heading with
/// the same number (`### Gap 2: ...` with a `**Location:**` for `### Addition 2: ...`):
/// parts with no snippet and no file of their own.
fn partner_hints(parts: &[Part], i: usize) -> Vec<String> {
    let Some((word, n)) = numbered(&parts[i].heading) else { return Vec::new() };
    parts
        .iter()
        .filter(|p| p.snippets.is_empty() && p.files.is_empty() && p.chapter.is_none())
        .filter(|p| numbered(&p.heading).is_some_and(|(w, m)| m == n && w != word))
        .flat_map(|p| p.section_hints.iter().cloned())
        .collect()
}

/// Citation keys in the snippets of `targets`, for the guide's key list.
pub(super) fn snippet_keys(targets: &[Target]) -> Vec<String> {
    targets.iter().filter_map(|t| t.snippet.as_ref()).flat_map(|s| keys_in_snippet(&s.text)).collect()
}
