//! Why a candidate ranks where it does: one typed [`Signal`] per contributing signal.
//!
//! Placement records signals as data; the words a reviewer reads ([`Signal`]'s `Display`,
//! printed as `reasons[]` in JSON and under each candidate in text) are made only when a
//! candidate is reported. Stages that need to know what placed a candidate (the plan
//! replacing a paragraph anchor by the sentence edit it proves) match on the variant, never
//! on the wording.

use std::fmt;

use super::LineShift;

/// One contributing signal of a [`super::Candidate`], with what it matched and how well
/// (similarities and relevance in `[0, 1]`, lines 1-based in today's file unless named
/// the guide's).
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    /// A section hint names the section's label exactly.
    HintLabel { label: String, heading: String },
    /// A section hint names the section's number (`§3.2`, `Section 7.3.2`).
    HintNumber { number: Vec<u32>, heading: String },
    /// A section hint's title matches the heading.
    HintTitle { hint: String, heading: String, similarity: f64 },
    /// An arrow-path hint (`A → B → C`) matches the heading, its upper parts along the
    /// heading's path or not.
    HintPath { path: Vec<String>, hint: String, heading: String, along: bool, similarity: f64 },
    /// The paper's subject (its folder's name) matches the heading.
    Subject { subject: String, heading: String, similarity: f64 },
    /// A hint's line number lies near the section (`line` corrected by `shift` when the
    /// guide's anchors measured one), or at the enclosing heading its title names.
    Line { line: usize, shift: Option<LineShift>, enclosing: Option<String>, nearness: f64 },
    /// A section hint matches a heading above this section.
    HintParent { hint: String, heading: String, similarity: f64 },
    /// BM25 relevance of the snippet and key findings, relative to the best section of the
    /// file; `terms` are the most weighty shared terms (filled in for the candidates kept).
    Relevance { terms: Vec<String>, relevance: f64 },
    /// The section already cites some of the guide's citation keys.
    CitesKeys(Vec<String>),
    /// The section holds environments of the target's kind.
    SameEnvironment(String),
    /// The guide asks for a new section: it goes after the section's subsections.
    AfterSubsections { line: usize },
    /// The target shares an earlier target's file and names no heading: right after that
    /// target's insertion point.
    FollowsEarlierTarget { line: usize },
    /// A section the guide adds joins the section whose subsections are the most relevant.
    JoinsSection { heading: String, top: usize, share: f64, line: usize },
    /// "After `\end{kind}` of the X one": the environment of that kind sharing most words.
    EnvironmentEnd { name: String, start: usize, end: usize, topic: Option<(String, usize, usize)> },
    /// A hint's quoted text (or the paragraph on its topic) found in today's file.
    Anchor { anchor: String, mentions: bool, found: usize, guide_line: Option<usize>, before: bool },
    /// A quoted sentence found for an in-place edit; `edit` says what happens to it.
    Sentence { anchor: String, found: usize, guide_line: Option<usize>, edit: String },
    /// No file matches the target's hint; the candidate is in the closest one.
    ClosestFile { path: String, confidence: f64 },
    /// The guide says the snippet replaces what is there, and the block carrying its label
    /// spans these 1-based lines.
    ReplacesLabeled { label: String, start: usize, end: usize },
    /// The end of the section's own text (before its first subsection or the next heading):
    /// the spot a section offers when nothing inside it is proposed.
    SectionEnd,
    /// Right after the text unit (paragraph or block) of the section's own text that is most
    /// related to the snippet by BM25 among the section's units, ending at `line`; `share`
    /// is its part of their summed scores in `[0, 1]`.
    RelatedParagraph { line: usize, share: f64 },
    /// Right after the section's last environment of the target's kind, ending at `line`.
    AfterSameKind { kind: String, line: usize },
    /// The guide expands or replaces the section its hint names: right after its heading
    /// (and label), at `line`.
    SectionStart { heading: String, line: usize },
    /// A reviewer chose this spot on the command line (`flag`: `--pick primary=2` or
    /// `--at primary=FILE:LINE`); `rank`: the candidate's rank before, when it was listed.
    Chosen { flag: String, rank: Option<usize> },
}

/// A signal's share of a candidate's score: the `[place]` weight of `rules/scoring.toml`
/// it takes (`rule`), that weight, and the signal's value in `[0, 1]` it multiplies. A
/// candidate's raw score is the sum of its signals' [`Weighed::contribution`]s
/// ([`super::confidence`] turns it into the score in `[0, 1]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weighed {
    /// The `[place]` key of `rules/scoring.toml`: `hint`, `hint_parent`, `subject`,
    /// `line_prior`, `line_shifted`, `relevance`, `cites_keys`, `same_environment`,
    /// `anchor_text`, `follows`, or a spot's `spot_end`, `spot_paragraph`,
    /// `spot_environment`, `spot_start`.
    pub rule: &'static str,
    /// The signal's value: a similarity, nearness or relevance in `[0, 1]`, 1 for a signal
    /// that holds or not (a label, a found anchor, a cited key).
    pub value: f64,
    /// The weight of `rule` in force.
    pub weight: f64,
}

impl Weighed {
    /// `weight * value`: what the signal adds to the candidate's raw score.
    pub fn contribution(&self) -> f64 {
        self.weight * self.value
    }
}

impl Signal {
    /// The signal's kind in snake case (`hint_title`, `relevance`, `anchor`, ...), as
    /// `plan --format json --explain` prints it.
    pub fn name(&self) -> &'static str {
        match self {
            Signal::HintLabel { .. } => "hint_label",
            Signal::HintNumber { .. } => "hint_number",
            Signal::HintTitle { .. } => "hint_title",
            Signal::HintPath { .. } => "hint_path",
            Signal::Subject { .. } => "subject",
            Signal::Line { .. } => "line",
            Signal::HintParent { .. } => "hint_parent",
            Signal::Relevance { .. } => "relevance",
            Signal::CitesKeys(_) => "cites_keys",
            Signal::SameEnvironment(_) => "same_environment",
            Signal::AfterSubsections { .. } => "after_subsections",
            Signal::FollowsEarlierTarget { .. } => "follows_earlier_target",
            Signal::JoinsSection { .. } => "joins_section",
            Signal::EnvironmentEnd { .. } => "environment_end",
            Signal::Anchor { .. } => "anchor",
            Signal::Sentence { .. } => "sentence",
            Signal::ClosestFile { .. } => "closest_file",
            Signal::ReplacesLabeled { .. } => "replaces_labeled",
            Signal::SectionEnd => "section_end",
            Signal::RelatedParagraph { .. } => "related_paragraph",
            Signal::AfterSameKind { .. } => "after_same_kind",
            Signal::SectionStart { .. } => "section_start",
            Signal::Chosen { .. } => "chosen",
        }
    }

    /// What the signal adds to its candidate's score under the weights `w`, or `None` for
    /// a signal that says where the text goes but adds nothing ([`Signal::AfterSubsections`],
    /// [`Signal::ClosestFile`]) and for a quoted sentence found for an in-place edit
    /// ([`Signal::Sentence`]), a labelled block the snippet replaces
    /// ([`Signal::ReplacesLabeled`]) or a spot the reviewer chose ([`Signal::Chosen`]),
    /// placed first whatever the weights. A line number
    /// takes `line_shifted` when the guide's anchors measured a shift, else `line_prior`; a
    /// section joined by a new one takes `relevance` for its subtree's share.
    pub fn weighed(&self, w: &crate::rules::PlaceWeights) -> Option<Weighed> {
        let (rule, weight, value) = match self {
            Signal::HintLabel { .. } | Signal::HintNumber { .. } => ("hint", w.hint, 1.0),
            Signal::HintTitle { similarity, .. } | Signal::HintPath { similarity, .. } => ("hint", w.hint, *similarity),
            Signal::Subject { similarity, .. } => ("subject", w.subject, *similarity),
            Signal::Line { shift: Some(_), nearness, .. } => ("line_shifted", w.line_shifted, *nearness),
            Signal::Line { shift: None, nearness, .. } => ("line_prior", w.line_prior, *nearness),
            Signal::HintParent { similarity, .. } => ("hint_parent", w.hint_parent, *similarity),
            Signal::Relevance { relevance, .. } => ("relevance", w.relevance, *relevance),
            Signal::JoinsSection { share, .. } => ("relevance", w.relevance, *share),
            Signal::CitesKeys(_) => ("cites_keys", w.cites_keys, 1.0),
            Signal::SameEnvironment(_) => ("same_environment", w.same_environment, 1.0),
            Signal::FollowsEarlierTarget { .. } => ("follows", w.follows, 1.0),
            Signal::EnvironmentEnd { .. } | Signal::Anchor { .. } => ("anchor_text", w.anchor_text, 1.0),
            Signal::SectionEnd => ("spot_end", w.spot_end, 1.0),
            Signal::RelatedParagraph { share, .. } => ("spot_paragraph", w.spot_paragraph, *share),
            Signal::AfterSameKind { .. } => ("spot_environment", w.spot_environment, 1.0),
            Signal::SectionStart { .. } => ("spot_start", w.spot_start, 1.0),
            Signal::AfterSubsections { .. }
            | Signal::Sentence { .. }
            | Signal::ClosestFile { .. }
            | Signal::ReplacesLabeled { .. }
            | Signal::Chosen { .. } => return None,
        };
        Some(Weighed { rule, value, weight })
    }

    /// Whether this signal says where inside its section the text goes ([`Signal::SectionEnd`],
    /// [`Signal::RelatedParagraph`], [`Signal::AfterSameKind`], [`Signal::SectionStart`]):
    /// its `spot_*` weight orders the spots of one section and adds nothing to the section's
    /// score ([`super::Candidate::raw`] leaves it out, [`super::Candidate::spot`] sums it).
    pub fn is_spot(&self) -> bool {
        matches!(
            self,
            Signal::SectionEnd
                | Signal::RelatedParagraph { .. }
                | Signal::AfterSameKind { .. }
                | Signal::SectionStart { .. }
        )
    }

    /// Whether this signal is the paragraph anchor `anchor` (not a paragraph topic).
    pub fn is_anchor_text(&self, wanted: &str) -> bool {
        matches!(self, Signal::Anchor { anchor, mentions: false, .. } if anchor == wanted)
    }
}

/// `, guide said line N`, or nothing.
fn guide_said(line: Option<usize>) -> String {
    line.map_or(String::new(), |l| format!(", guide said line {l}"))
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signal::HintLabel { label, heading } => write!(f, "section hint names label <{label}> of \"{heading}\""),
            Signal::HintNumber { number, heading } => {
                let n: Vec<String> = number.iter().map(u32::to_string).collect();
                write!(f, "section hint names section {} (\"{heading}\")", n.join("."))
            }
            Signal::HintTitle { hint, heading, similarity } => {
                write!(f, "section hint \"{hint}\" matches heading \"{heading}\" ({similarity:.2})")
            }
            Signal::HintPath { path, hint, heading, along, similarity } => {
                let along = if *along { "along" } else { "not along" };
                write!(
                    f,
                    "section hint \"{} → {hint}\" matches heading \"{heading}\" {along} its path ({similarity:.2})",
                    path.join(" → ")
                )
            }
            Signal::Subject { subject, heading, similarity } => {
                write!(f, "the paper's subject \"{subject}\" matches heading \"{heading}\" ({similarity:.2})")
            }
            Signal::Line { line, shift, enclosing, nearness } => {
                match shift {
                    Some(sh) => write!(
                        f,
                        "the guide's line ~{}, moved by {} as {} found anchors moved,",
                        *line as i64 - sh.by,
                        sh.by,
                        sh.anchors
                    )?,
                    None => write!(f, "the guide's line ~{line}")?,
                }
                match enclosing {
                    Some(title) => write!(f, " lies at the enclosing heading \"{title}\" ({nearness:.2})"),
                    None => write!(f, " lies near this section ({nearness:.2})"),
                }
            }
            Signal::HintParent { hint, heading, similarity } => {
                write!(f, "section hint \"{hint}\" matches enclosing heading \"{heading}\" ({similarity:.2})")
            }
            Signal::Relevance { terms, relevance } => write!(
                f,
                "shares terms with the snippet and key findings: {} (relevance {relevance:.2})",
                terms.join(", ")
            ),
            Signal::CitesKeys(keys) => write!(f, "already cites {}", keys.join(", ")),
            Signal::SameEnvironment(kind) => write!(f, "holds {kind} environments already"),
            Signal::AfterSubsections { line } => {
                write!(f, "the guide asks for a new section: after this section's subsections (line {line})")
            }
            Signal::FollowsEarlierTarget { line } => write!(
                f,
                "the guide puts this in the file of an earlier target and names no heading here: right after that target's insertion point (line {line})"
            ),
            Signal::JoinsSection { heading, top, share, line } => write!(
                f,
                "new section: the subsections of \"{heading}\" are the most relevant (mean of its {top} best {share:.2}); after the last of them (line {line})"
            ),
            Signal::EnvironmentEnd { name, start, end, topic } => {
                let about = topic
                    .as_ref()
                    .map_or(String::new(), |(topic, shared, words)| format!(" (\"{topic}\": {shared} of {words} words)"));
                write!(f, "the {name} environment at lines {start}-{end} is the one the guide names{about}: insert after it")
            }
            Signal::Anchor { anchor, mentions, found, guide_line, before } => {
                let what = if *mentions { "paragraph on" } else { "anchor text" };
                let side = if *before { "before" } else { "after the paragraph of" };
                write!(f, "{what} \"{anchor}\" found at line {found}{}: insert {side} it", guide_said(*guide_line))
            }
            Signal::Sentence { anchor, found, guide_line, edit } => {
                write!(f, "sentence \"{anchor}\" found at line {found}{}: {edit}", guide_said(*guide_line))
            }
            Signal::ClosestFile { path, confidence } => {
                write!(f, "no file matches the target; {path} is the closest ({confidence:.2})")
            }
            Signal::ReplacesLabeled { label, start, end } => {
                write!(f, "the guide replaces the block labelled `{label}` (lines {start}-{end})")
            }
            Signal::SectionEnd => write!(f, "at the end of the section's own text"),
            Signal::RelatedParagraph { line, share } => write!(
                f,
                "right after the section's paragraph most related to the snippet (ending at line {line}; {share:.2} of the section's relevance)"
            ),
            Signal::AfterSameKind { kind, line } => {
                write!(f, "right after the section's last {kind} environment (line {line})")
            }
            Signal::SectionStart { heading, line } => {
                write!(f, "the guide expands or replaces \"{heading}\": where it starts (after line {line})")
            }
            Signal::Chosen { flag, rank } => match rank {
                Some(r) => write!(f, "chosen by the reviewer with {flag} (ranked {r} by the tool)"),
                None => write!(f, "chosen by the reviewer with {flag} (not among the tool's candidates)"),
            },
        }
    }
}

/// Serializes signals as the reasons a reviewer reads (`reasons[]` in JSON).
pub(crate) fn as_reasons<S: serde::Serializer>(signals: &[Signal], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(signals.iter().map(ToString::to_string))
}
