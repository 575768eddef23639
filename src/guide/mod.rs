//! Integration guides and key-findings files -> [`Guide`].
//!
//! Reads the per-paper template (`## Paper Citation Key` + `**BibTeX key:**`;
//! `### Primary/Secondary/... Target:` blocks with `**File:**`, `**Section hint:**`,
//! `**Environment type:**`, `**Rationale:**` and a fenced snippet), ```bibtex fences, and
//! citation keys that appear only inside snippets. Key findings give the numbered main
//! findings, limitations, sample size / design / certainty and, for folders without a
//! guide, the "Integration Points" that become targets.
//!
//! Markdown structure comes from pulldown-cmark (so headings inside fences or HTML blocks
//! are not headings); `**Field:**` lines are read from the source of paragraphs and list
//! items. Parsing never fails on content: what is not understood becomes a finding.
//! Resolving targets to files and placing them are later stages.
//!
//! The module is laid out in the order a guide is read: `files` locates and loads a
//! literature input, `reader` walks the guide's blocks (with `markdown` below it and the
//! `fields`, `snippet`, `keys` and `tables` helpers beside it; `loose` for guides without
//! target headings, `key_findings` for key-findings files), `model` holds what comes out,
//! and `folder` derives names (branch slug, citation key, subject) from a folder's name.

mod draft;
mod fields;
mod files;
mod folder;
mod key_findings;
mod keys;
mod loose;
mod markdown;
mod model;
mod reader;
mod snippet;
mod tables;

pub(crate) use draft::stems;
pub use fields::says_new_section;
pub use files::{is_guide_name, load, locate, GuideFiles};
pub use folder::{branch_slug, distinct_slugs, key_from_folder, key_from_folder_name, paper_subject, slugify};
pub use key_findings::{parse_key_findings, KeyFindings};
pub use keys::keys_in_snippet;
pub use model::{describe_rank, target_context, Guide, Markup, Snippet, SuppliedEntry, Target};
pub use reader::parse_guide;

#[cfg(test)]
mod tests;
