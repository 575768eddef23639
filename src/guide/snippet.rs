//! A guide's snippets: guessing a bare fence's markup, finding an unfenced Typst
//! environment and its end, telling an alternative wording from more content, the kind of
//! a snippet whose field lists several, and attaching a snippet to the target it belongs
//! to. Rendering a snippet into the book's markup is left to `render`.

use regex::Regex;

use super::fields::heading_hint;
use super::model::{Markup, Snippet, Target};
use crate::rules::Rules;

/// Gives `snippet` to the last target, or when it has one already, to a new target for the
/// same file placed by the heading the snippet sits under ("Alternative inline version:"
/// snippets are dropped: they are another wording, not more content). In the block that
/// opened the last target (`in_target_block`: no heading since), the new target also keeps
/// that block's section hints as [`Target::block_hints`]. False when the snippet was
/// dropped as an alternative (or there is no target).
pub(super) fn attach_snippet(
    targets: &mut Vec<Target>,
    snippet: Snippet,
    heading: &str,
    previous_text: &str,
    in_target_block: bool,
) -> bool {
    let n = targets.len();
    let Some(t) = targets.last_mut() else { return false };
    if t.snippet.is_none() {
        t.snippet = Some(snippet);
    } else if snippet_is_alternative(heading) || snippet_is_alternative(previous_text) {
        return false;
    } else {
        let mut more = t.clone();
        more.rank = n + 1;
        more.line = snippet.line;
        if in_target_block && more.block_hints.is_empty() {
            more.block_hints = t.section_hints.clone();
        } else if !in_target_block {
            more.block_hints.clear();
        }
        more.section_hints = heading_hint(heading).into_iter().collect();
        more.snippet = Some(snippet);
        targets.push(more);
    }
    true
}

/// Gives `snippet` to `targets[i]`, or when it has one already, to a new target for the same
/// file placed by `hints` (those given beside the fence, else its heading's), numbered after
/// the others. A target without hints of its own takes `hints`.
pub(super) fn attach_to(targets: &mut Vec<Target>, i: usize, snippet: Snippet, hints: Vec<String>) {
    let n = targets.len();
    let t = &mut targets[i];
    if t.snippet.is_none() {
        t.snippet = Some(snippet);
        if t.section_hints.is_empty() {
            t.section_hints = hints;
        }
        return;
    }
    let mut more = t.clone();
    more.rank = n + 1;
    more.line = snippet.line;
    more.block_hints.clear();
    more.section_hints = hints;
    more.snippet = Some(snippet);
    targets.push(more);
}

/// Whether a snippet is only the opening of an environment (`\begin{speculation}[Title]` and
/// its `\label`, `#hypothesis(title: [..])[`): it opens more environments or brackets than it
/// closes and has at most three non-blank lines. Such a stub shows a block's shape, not its
/// content.
pub(super) fn is_stub(snippet: &Snippet) -> bool {
    let text = &snippet.text;
    if text.lines().filter(|l| !l.trim().is_empty()).count() > 3 {
        return false;
    }
    match snippet.language {
        Some(Markup::Typst) => text.matches('[').count() > text.matches(']').count(),
        _ => text.matches("\\begin{").count() > text.matches("\\end{").count(),
    }
}

/// The labels a snippet defines (`\label{x}`, a Typst `<x>` ending a line), to tell two
/// fences of the same block apart from two blocks.
pub(super) fn fence_labels(snippet: &Snippet) -> Vec<String> {
    static TYPST: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = match snippet.language {
        Some(Markup::Typst) => TYPST.get_or_init(|| Regex::new(r"(?m)<([A-Za-z][A-Za-z0-9_:.\-]*)>\s*$").unwrap()),
        _ => crate::outline::patterns::latex_label(),
    };
    re.captures_iter(&snippet.text).map(|c| c[1].trim().to_string()).collect()
}

/// The title of a fence's environment (`\begin{env}[Title]`, Typst `title: [Title]`).
pub(super) fn fence_title(snippet: &Snippet) -> Option<String> {
    static LATEX: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    static TYPST: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = match snippet.language {
        Some(Markup::Typst) => TYPST.get_or_init(|| Regex::new(r"title:\s*\[([^\]]*)\]").unwrap()),
        _ => LATEX.get_or_init(|| Regex::new(r"\\begin\{[^}]+\}\s*\[([^\]]*)\]").unwrap()),
    };
    re.captures(&snippet.text).map(|c| c[1].trim().to_string())
}

/// `snippet` without the comment line naming its file ([`first_line_file`]): an instruction
/// to the reader, not text of the book.
pub(super) fn drop_file_comment(mut snippet: Snippet) -> Snippet {
    let text = snippet.text.trim_start_matches(['\n', '\r']);
    let skip = text.find('\n').map_or(text.len(), |i| i + 1);
    snippet.text = text[skip..].to_string();
    snippet
}

/// The file a snippet's first line names in a comment (`% In appendix-h-entries.tex`,
/// `// ch08-neurological.typ`): the snippet goes to that file, not to the target above it.
pub(super) fn first_line_file(snippet: &Snippet) -> Option<String> {
    let first = snippet.text.lines().find(|l| !l.trim().is_empty())?.trim();
    let comment = first.strip_prefix('%').or_else(|| first.strip_prefix("//"))?;
    super::fields::file_in_text(comment)
}

/// Whether the heading above a snippet marks it as an alternative wording of the one before.
pub(super) fn snippet_is_alternative(heading: &str) -> bool {
    let lower = heading.to_lowercase();
    lower.contains("alternative")
        || lower.contains("alternatively")
        || lower.contains("option b")
        || lower.contains("shorter")
}

/// The kind of `target`'s snippet when its environment field lists two or more kinds
/// ("`achievement`, `hypothesis`, `observation`" over a block of three snippets) and the
/// snippet is exactly one environment of one of them. `None` when the field names one kind
/// or none (the field's kind then stands) or the snippet is not such an environment.
pub(super) fn listed_snippet_kind(target: &Target, envs: &crate::rules::EnvironmentRules) -> Option<String> {
    let raw = target.environment_raw.as_deref()?;
    let listed: std::collections::BTreeSet<String> =
        raw.split([',', '/', ';', '+']).flat_map(|p| p.split(" or ")).filter_map(|p| envs.normalize(p)).collect();
    if listed.len() < 2 {
        return None;
    }
    let snippet = target.snippet.as_ref()?;
    let o = crate::outline::Outline::parse(snippet.language.unwrap_or(Markup::Latex), &snippet.text);
    let [env] = o.envs.as_slice() else { return None };
    let kind = envs.canonical_of_macro(&env.name);
    listed.contains(&kind).then_some(kind)
}

/// Guesses the markup of a bare fence: `\begin{` or `\cite` is LaTeX, `#name(` or `@key` Typst.
pub(super) fn sniff_markup(code: &str) -> Option<Markup> {
    if code.contains("\\begin{") || code.contains("\\cite") || code.contains("\\label{") {
        Some(Markup::Latex)
    } else if typst_call_re().is_match(code) {
        Some(Markup::Typst)
    } else {
        None
    }
}

/// A Typst function call in markup: `#name(` or `#name[`.
pub(super) fn typst_call_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?m)(^|\s)#[a-z][a-z-]*[\[(]").unwrap())
}

/// Whether a paragraph starts with a Typst call of a known environment (`#hypothesis(`,
/// `#warning-env[`).
pub(super) fn unfenced_typst(paragraph: &str, rules: &Rules) -> bool {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^#([A-Za-z][A-Za-z0-9_-]*)\s*[(\[]").unwrap());
    re.captures(paragraph.trim_start()).is_some_and(|c| rules.environments.normalize(&c[1]).is_some())
}

/// An unfenced Typst environment call starting at byte `start` of `text` (`#hypothesis(title:
/// [..])[ .. ] <label>`, as Typst-era guides paste them): its end offset, after the
/// balanced brackets and an optional trailing label; `None` when the brackets never close.
pub(super) fn typst_block_end(text: &str, start: usize) -> Option<usize> {
    let mut depth = 0i32;
    let mut closed_content = false;
    let mut end = None;
    for (i, c) in text[start..].char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => {
                depth -= 1;
                if c == ']' {
                    closed_content = true;
                }
            }
            '\n' if depth == 0 && closed_content => {
                end = Some(start + i);
                break;
            }
            _ => {}
        }
        if depth < 0 {
            return None;
        }
    }
    let end = match end {
        Some(e) => e,
        None if depth == 0 && closed_content => text.len(),
        None => return None,
    };
    Some(end)
}
