//! What a guide's headings and `**Field:** value` lines say, one helper per question: does
//! a heading open a target, which rank does a field name, which file, section hints or new
//! heading does a value give, does it say "same file" or "new section". Also the
//! guide-wide lines read outside the walk ("✗" phrases to avoid, the certainty). Where a
//! field is in the guide, and so which target it belongs to, is the reader's concern.

use regex::Regex;

use super::markdown::{field_captures, field_is, plain_field_captures, quoted_or_whole, strip_md};
use crate::rules::GuideRules;

/// The rank of a target heading, and the rest of its text, or `None` when the heading does
/// not open a target.
pub(super) fn target_heading(text: &str, rules: &GuideRules) -> Option<(Option<usize>, String)> {
    // Case-insensitive prefix test on the original text: lowercasing may change byte
    // lengths, so offsets are never carried from a lowercased copy.
    let strip = |s: &'_ str, prefix: &str| -> Option<usize> {
        s.get(..prefix.len()).filter(|p| p.eq_ignore_ascii_case(prefix)).map(|_| prefix.len())
    };
    let tail_of = |rest: &str| {
        rest.trim_start_matches(|c: char| c == ':' || c == '—' || c == '-' || c.is_whitespace() || c.is_ascii_digit())
            .trim()
            .to_string()
    };
    for (i, word) in rules.headings.rank_words.iter().enumerate() {
        let Some(n) = strip(text, word) else { continue };
        let rest = text[n..].trim_start();
        let after = match strip(rest, "target") {
            Some(m) => &rest[m..],
            None if rest.starts_with([':', '—', '-']) => rest,
            None => continue,
        };
        return Some((Some(i + 1), tail_of(after)));
    }
    for prefix in &rules.headings.target_prefixes {
        if let Some(n) = strip(text, prefix) {
            return Some((None, tail_of(&text[n..])));
        }
    }
    None
}

/// The rank of a field that names a target by rank (`Primary`, `Secondary target`,
/// `Primary chapter`); `None` for other fields.
pub(super) fn rank_field(name: &str, g: &GuideRules) -> Option<usize> {
    let lower = name.trim().trim_end_matches(':').trim().to_lowercase();
    let mut words = lower.split_whitespace();
    let first = words.next()?;
    let rest: Vec<&str> = words.collect();
    let rank = g.headings.rank_words.iter().position(|w| w == first)? + 1;
    matches!(
        rest.as_slice(),
        [] | ["target"] | ["chapter"] | ["file"] | ["target", "file"] | ["location"] | ["placement"]
    )
    .then_some(rank)
}

/// A heading written as a field (`Insertion Point: After "X"`): `(name, value)` when the
/// part before the first colon is short and the value is not empty.
pub(super) fn heading_field(heading: &str) -> Option<(String, String)> {
    let (name, value) = heading.split_once(':')?;
    let name = name.trim();
    (!name.is_empty() && name.len() <= 30 && !value.trim().is_empty() && !name.contains(['`', '"']))
        .then(|| (name.to_string(), value.trim().to_string()))
}

/// A section hint from the guide heading a snippet sits under: `### 3. Pyruvate
/// Dehydrogenase Complex (PDC) — KEY SECTION` -> "Pyruvate Dehydrogenase Complex (PDC)".
/// Headings that only label the snippet ("Suggested LaTeX") give none.
pub(super) fn heading_hint(heading: &str) -> Option<String> {
    let h = heading.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace());
    let h = h.split(" — ").next().unwrap_or(h).split(" - ").next().unwrap_or(h).trim();
    let lower = h.to_lowercase();
    let generic = ["suggested", "snippet", "latex", "typst", "example", "integration", "recommended", "target"];
    (!h.is_empty() && !generic.iter().any(|g| lower.starts_with(g))).then(|| h.to_string())
}

/// The chapter shorthand a heading starts with (`ch02 — treatment options` -> `ch02`,
/// `ch01 / ch02 — ...` -> `ch01`).
pub(super) fn chapter_shorthand(heading: &str) -> Option<String> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?i)^(ch\d{1,3}[a-z]?)\b").unwrap());
    re.captures(heading.trim()).map(|c| c[1].to_string())
}

/// True for a line that continues the field value on the line before it: text of the
/// same paragraph, not another field, list item, table row, heading, fence or quote.
pub(super) fn continues_value(line: &str) -> bool {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let numbered = RE.get_or_init(|| Regex::new(r"^\d+[.)]\s").unwrap());
    let t = line.trim();
    !t.is_empty()
        && !t.starts_with(['-', '*', '+', '|', '#', '`', '>', '<', '\\'])
        && !numbered.is_match(t)
        && field_captures(line).is_none()
        && plain_field_captures(line).is_none()
}

/// A file hint from a field value: a backticked span, else a file name in the text, else
/// the text before a dash or parenthesis (a chapter name, resolved by title).
pub(super) fn file_value(value: &str) -> String {
    if value.contains('`') {
        return path_value(value);
    }
    if let Some(f) = file_in_text(value) {
        return f;
    }
    let head = value.split(" — ").next().unwrap_or(value);
    head.split(" (").next().unwrap_or(head).trim().to_string()
}

/// The first backticked span of a field value, else the value up to a parenthesis.
pub(super) fn path_value(value: &str) -> String {
    if let Some(start) = value.find('`') {
        if let Some(len) = value[start + 1..].find('`') {
            // `a.tex, b.typ` names several files: the first is the target.
            let span = value[start + 1..start + 1 + len].trim();
            return span.split([',', ';']).next().unwrap_or(span).trim().to_string();
        }
    }
    value.split(" (").next().unwrap_or(value).trim().to_string()
}

/// A file name in a heading ("Primary Target: ch14b-plans.tex (if exists)").
pub(super) fn file_in_text(text: &str) -> Option<String> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"[A-Za-z0-9_./\-]+\.(?:tex|typ|md)\b").unwrap());
    re.find(text).map(|m| m.as_str().to_string())
}

/// Section hints of a field value: each quoted alternative, or the whole value; a value
/// with a line number (`After line 14 (... "text")`) stays whole, so placement gets the
/// number and the quoted text that verifies it.
pub(super) fn section_hints(value: &str) -> Vec<String> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?i)\blines?\s*~?\s*\d+").unwrap());
    if re.is_match(value) {
        vec![strip_md(value)]
    } else {
        quoted_or_whole(value)
    }
}

/// Whether a field value of another kind still says where the text goes: "(after the X
/// paragraph at ~line N)", "after line N".
pub(super) fn names_a_spot(value: &str) -> bool {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?i)^\(?\s*(?:insert\s+)?after (?:the |line )").unwrap());
    re.is_match(value.trim())
}

/// The title of a new heading as a guide writes it: `` `=== Title` ``, `\\subsection{Title}`,
/// `"Title"` or plain text -> `Title`.
pub(super) fn new_heading_title(value: &str) -> String {
    let v = strip_md(value.trim());
    let v = v.trim().trim_matches('`').trim().trim_start_matches(['=', '#']).trim();
    let v = match v.strip_prefix('\\') {
        Some(cmd) => cmd.split_once('{').map_or(v, |(_, rest)| rest.split('}').next().unwrap_or(rest)),
        None => v,
    };
    v.trim().trim_matches('"').trim().to_string()
}

/// Whether a file value (`value` true: "Same as above", "(same file)", "same") or a target
/// heading's title ("Same file — Case Definitions") says the target shares the file of the
/// one before: it opens with one of `phrases` (`[headings] same_file` of rules/guide.toml),
/// whole words, any case. A title must open with a phrase of two words or more ("Same
/// mechanism in ..." is a title).
pub(super) fn says_same_file(text: &str, phrases: &[String], value: bool) -> bool {
    let lower = text.trim().trim_start_matches('(').trim().to_lowercase();
    phrases
        .iter()
        .map(|p| p.to_lowercase())
        .filter(|p| value || p.contains(' '))
        .any(|p| lower.strip_prefix(p.as_str()).is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric())))
}

/// Whether `text` asks for a section that does not exist yet: "new section", "new
/// subsection(s)", "new heading", "no current (or existing) section ...", or an `(ADD NEW)`
/// marker after a section's name (`**Section: Carnitine shuttle (ADD NEW)**`). Any case.
pub fn says_new_section(text: &str) -> bool {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?i)\bnew\s+(?:sub)*(?:sections?|headings?)\b|\bno\s+(?:current|existing)\s+(?:sub)*section\b|\(\s*add\s+new\b",
        )
        .unwrap()
    })
    .is_match(text)
}

/// "✗" lines of a guide: the quoted phrase (or the line's text) and its 1-based line.
/// Source: the "Avoid overstating" lists of the real book's guides (`- ✗ "Proves X"`).
pub(super) fn avoid_lines(text: &str) -> Vec<(String, usize)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let rest = line.trim_start().trim_start_matches(['-', '*', ' ']).strip_prefix('✗')?;
            let phrase = quoted_or_whole(rest.trim()).into_iter().next()?;
            // "Proves PEM is caused by X" (suggests, ...): the commentary is not the phrase.
            let phrase = phrase.split(" (").next().unwrap_or(&phrase).trim().to_string();
            (!phrase.is_empty()).then_some((phrase, i + 1))
        })
        .collect()
}

/// The first `**Certainty:**`-like field of a text.
pub(super) fn certainty_line(text: &str, names: &[String]) -> Option<String> {
    text.lines().find_map(|line| {
        let c = field_captures(line)?;
        field_is(&c[1], names).then(|| strip_md(&c[2])).filter(|v| !v.is_empty())
    })
}
