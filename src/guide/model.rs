//! The guide as plain data: [`Guide`], its [`Target`]s and their [`Snippet`]s (with their
//! [`Markup`], defined in [`crate::markup`]), and the bibliography entries a guide supplies.
//! How a guide's text becomes these is left to the reader ([`super::parse_guide`]); what
//! the book makes of them to later stages.

use std::collections::BTreeMap;

use serde::Serialize;

use super::KeyFindings;
use crate::finding::Finding;
pub use crate::markup::Markup;

/// A snippet the guide suggests for one target.
#[derive(Debug, Clone, Serialize)]
pub struct Snippet {
    /// The snippet's markup; `None` for a bare fence whose content gives no clue.
    pub language: Option<Markup>,
    /// The snippet text as written in the guide, without the fence.
    pub text: String,
    /// 1-based line of the opening fence in the guide.
    pub line: usize,
}

/// One target of a guide: a file hint and what to put there.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Target {
    /// 1 = primary, 2 = secondary, ...; targets without a rank word count on in order.
    pub rank: usize,
    /// The file hint exactly as written (`**File:**`, else the heading's file name).
    pub file_hint: Option<String>,
    /// The target heading's text after "Primary Target:", e.g. "Chapter 6 - Mitochondria".
    pub title_hint: String,
    /// Section hints: each quoted alternative, or the whole value when nothing is quoted.
    pub section_hints: Vec<String>,
    /// The environment wording as written.
    pub environment_raw: Option<String>,
    /// The canonical environment name (`rules/environments.toml`).
    pub environment: Option<String>,
    /// Why this target; used as placement context.
    pub rationale: Option<String>,
    /// The suggested snippet, if any.
    pub snippet: Option<Snippet>,
    /// The guide asks for a new section here (`**New subsection:** Title`, a hint saying
    /// "add a new subsection", or a snippet opening with a heading): the new heading's title
    /// when the guide gives one, else empty.
    pub new_section: Option<String>,
    /// What the guide asks to change in an existing sentence, as written (`**Edit:** Add
    /// @Key at the end of this sentence`, a `**Suggested inline citation:**` lead-in).
    pub edit: Option<String>,
    /// The rank of the earlier target whose file this one says it shares (`**File:** Same as
    /// above`, a `### Secondary Target: Same file — X` heading): the nearest one before it
    /// that names a file of its own. Placement puts it right after that target when nothing
    /// else says where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follows: Option<usize>,
    /// For a later snippet of a target's block (a `### Chapter: X` block with one `**Section
    /// hint:**` and several snippets, no heading between): the block's section hints. They
    /// place the snippet like its own hints but are not part of its relevance context.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub block_hints: Vec<String>,
    /// The snippet is drafted from a sentence the guide gives in a field
    /// (`**Suggested text:** "..."`, `inline_text` in `rules/guide.toml`), not a fence.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub drafted: bool,
    /// That sentence, as a snippet of the guide's line, while the target has no fence; it
    /// becomes the snippet when no fence is paired with the target.
    #[serde(skip)]
    pub inline_text: Option<Snippet>,
    /// The guide says the snippet replaces what is there ("Replace current ... content
    /// with:"): when the book already defines the snippet's label, the block carrying it is
    /// put in its place rather than the target taken for already applied.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replace: bool,
    /// The citation keys this target cites: in a guide covering several papers, those of
    /// the paper section (`## Paper 2: ...`) the target sits in; else every key of the guide.
    pub keys: Vec<String>,
    /// 1-based line of the heading (or field) that opened the target in `source`.
    pub line: usize,
    /// The file the target was read from, relative to the book root.
    pub source: String,
}

/// What a target is about, for resolution and relevance: its heading, hints, rationale,
/// snippet and the key findings (`kf_text`), one per line.
pub fn target_context(target: &Target, kf_text: &str) -> String {
    let mut context = String::new();
    for part in [target.title_hint.as_str(), &target.section_hints.join(" "), target.rationale.as_deref().unwrap_or("")]
    {
        context.push_str(part);
        context.push('\n');
    }
    if let Some(s) = &target.snippet {
        context.push_str(&s.text);
        context.push('\n');
    }
    context.push_str(kf_text);
    context
}

/// "primary", "secondary", ... for ranks 1-4, else "#N".
pub fn describe_rank(rank: usize) -> String {
    match rank {
        1 => "primary".into(),
        2 => "secondary".into(),
        3 => "tertiary".into(),
        4 => "quaternary".into(),
        n => format!("#{n}"),
    }
}

/// A guide (or key-findings file) as the tool understood it.
#[derive(Debug, Clone, Serialize)]
pub struct Guide {
    /// The guide file, relative to the book root (`/` separators).
    pub path: String,
    /// Branch slug: the literature folder's name, else the guide's file stem, lowercased.
    pub slug: String,
    /// Citation keys in order of first mention, without duplicates.
    pub citation_keys: Vec<String>,
    /// Targets in rank order.
    pub targets: Vec<Target>,
    /// Key findings, when the folder has a `key-findings.md`.
    pub key_findings: Option<KeyFindings>,
    /// Full BibTeX entries the literature input supplies (```bibtex fences of the guide,
    /// `.bib` files of its folder), for adding to the bibliography.
    pub bib_entries: Vec<SuppliedEntry>,
    /// 1-based line of each citation key's first mention in the guide.
    pub key_lines: BTreeMap<String, usize>,
    /// Phrases the guide says to avoid ("✗" lines), with their 1-based line in the guide.
    pub avoid: Vec<(String, usize)>,
    /// Certainty the guide states (`**Certainty:** 0.55 (Medium)`), as written.
    pub certainty: Option<String>,
    /// The guide says it adds sections to the book ([`says_new_section`](super::says_new_section) anywhere in its
    /// text: `**Section: X (ADD NEW)**`, "new subsections", "no current section covers"):
    /// a target of it whose hints name no heading is taken for one of them.
    pub adds_sections: bool,
    /// What the parser could not understand.
    pub findings: Vec<Finding>,
}

/// A bibliography entry supplied by a guide or its folder.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SuppliedEntry {
    /// Its citation key.
    pub key: String,
    /// The whole entry as written (`@article{Key, ...}`), trimmed.
    pub text: String,
    /// Where it was found: the guide or the folder's .bib file, relative to the book root.
    pub source: String,
}

pub(super) fn empty_guide(path: &str) -> Guide {
    Guide {
        path: path.to_string(),
        slug: String::new(),
        citation_keys: Vec::new(),
        targets: Vec::new(),
        key_findings: None,
        bib_entries: Vec::new(),
        key_lines: BTreeMap::new(),
        avoid: Vec::new(),
        certainty: None,
        adds_sections: false,
        findings: Vec::new(),
    }
}
