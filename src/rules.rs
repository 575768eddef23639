//! The tool's rule files: guide field names, environment mappings, scoring weights.
//!
//! Defaults are the files in the project's `rules/` folder, built into the binary. A book
//! overrides them with files of the same name in its own `rules/` folder: tables merge key
//! by key, any other value replaces the default. This module only loads and merges; the
//! stages that use a rule interpret it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

const GUIDE: &str = include_str!("../rules/guide.toml");
const ENVIRONMENTS: &str = include_str!("../rules/environments.toml");
const SCORING: &str = include_str!("../rules/scoring.toml");

/// All rules in force for one book.
#[derive(Debug, Clone, Deserialize)]
pub struct Rules {
    /// Guide field and heading names (`rules/guide.toml`).
    pub guide: GuideRules,
    /// Environment names per markup (`rules/environments.toml`).
    pub environments: EnvironmentRules,
    /// Resolution and placement weights (`rules/scoring.toml`).
    pub scoring: ScoringRules,
    /// The severities the book gives finding codes (`[severity]` of `chapter-integrator.toml`);
    /// none in the built-in rules.
    #[serde(skip)]
    pub severity_overrides: crate::finding::SeverityOverrides,
}

/// Field and heading names of guides and key-findings files.
#[derive(Debug, Clone, Deserialize)]
pub struct GuideRules {
    /// Field name lists, by field.
    pub fields: GuideFields,
    /// Heading name lists.
    pub headings: GuideHeadings,
    /// Key-findings section and field names.
    pub key_findings: KeyFindingsNames,
    /// Names and phrasings of guides without target headings.
    #[serde(default)]
    pub loose: LooseNames,
    /// Where drafted blocks take their sentences from.
    #[serde(default)]
    pub draft: DraftNames,
}

/// Where a block drafted for a target without snippet takes its sentences (`[draft]` of
/// `rules/guide.toml`; read by `guide::draft`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DraftNames {
    /// A heading holding one of these (any case) holds instructions or bookkeeping, not
    /// statements about the paper: its sentences are never drafted from.
    #[serde(default)]
    pub skip_headings: Vec<String>,
    /// A heading holding one of these (any case) holds statements about the paper ("Key
    /// Points to Convey", "Main Findings", "Warnings to Include"): its sentences are drafted
    /// from. Elsewhere only statement fields are.
    #[serde(default)]
    pub statement_headings: Vec<String>,
    /// `**Name:** value` / `- Name: value` lines whose value is a statement to draft from
    /// (`Evidence: ...`); every other field line is an instruction and is skipped.
    #[serde(default)]
    pub statement_fields: Vec<String>,
    /// First words of a sentence that instructs the integrator ("Add", "Cite", "Assess"):
    /// such a sentence is about the work on the book, not the paper.
    #[serde(default)]
    pub instruction_words: Vec<String>,
    /// Prefixes of a guide's or key-findings file's title dropped to name a drafted block
    /// ("Integration Guide:", "Key Findings:").
    #[serde(default)]
    pub title_prefixes: Vec<String>,
    /// How many sentences a drafted block holds at most.
    #[serde(default)]
    pub max_items: usize,
}

/// Names and phrasings of guides written without target headings (`[loose]` of
/// `rules/guide.toml`; read by `guide::loose`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LooseNames {
    /// Headings followed by the path (or list of paths) of the files the guide changes
    /// (`### File to modify`), matched whole, any case.
    #[serde(default)]
    pub file_list_headings: Vec<String>,
    /// First words of a heading that names a chapter by number (`### Chapter 20 (Biomarkers)`).
    #[serde(default)]
    pub chapter_words: Vec<String>,
    /// First words of a whole-bold line that says where a snippet goes
    /// (`**Insert after line 1333, before "X"**`).
    #[serde(default)]
    pub spot_verbs: Vec<String>,
}

/// Names of `**Field:**` lines in guides, each a list of accepted spellings.
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)] // reason: each field is the guide field of the same name
pub struct GuideFields {
    pub citation_key: Vec<String>,
    pub file: Vec<String>,
    pub section_hint: Vec<String>,
    pub environment: Vec<String>,
    pub rationale: Vec<String>,
    pub title: Vec<String>,
    #[serde(default)]
    pub table_file: Vec<String>,
    #[serde(default)]
    pub new_section: Vec<String>,
    #[serde(default)]
    pub edit: Vec<String>,
    /// Fields whose value is the text to insert (`**Suggested text:** "..."`).
    #[serde(default)]
    pub inline_text: Vec<String>,
}

/// Heading names that open citation-key sections and targets.
#[derive(Debug, Clone, Deserialize)]
pub struct GuideHeadings {
    /// Headings that open a citation-key section.
    pub citation_keys: Vec<String>,
    /// Phrases that, contained in a heading (any case), also open one ("Bib Keys Produced").
    #[serde(default)]
    pub citation_key_phrases: Vec<String>,
    /// Endings that make a table header cell a citation-key column (`Bib Key`).
    #[serde(default)]
    pub key_column_suffixes: Vec<String>,
    /// Rank words ("primary", ...); position + 1 is the rank.
    pub rank_words: Vec<String>,
    /// Other heading prefixes that open a target.
    pub target_prefixes: Vec<String>,
    /// Phrases opening a file value or target title that say the target shares the file of
    /// the one before ("Same as above", "Same file — X").
    #[serde(default)]
    pub same_file: Vec<String>,
    /// Words that, contained in a heading (any case), say the fences under it are content
    /// to insert ("Suggested LaTeX Content", "Proposed New Section").
    #[serde(default)]
    pub content_words: Vec<String>,
    /// Words that, in the line before a fence or its heading, say the snippet replaces what
    /// is there ("Replace current ... content with:").
    #[serde(default)]
    pub replace_words: Vec<String>,
}

/// Section and field names of key-findings files.
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)] // reason: each field is the key-findings part of the same name
pub struct KeyFindingsNames {
    pub main: Vec<String>,
    pub limitations: Vec<String>,
    pub integration_points: Vec<String>,
    pub sample_size: Vec<String>,
    pub design: Vec<String>,
    pub certainty: Vec<String>,
}

/// Environment names: guide wording to canonical name, canonical name to markup macro.
#[derive(Debug, Clone, Deserialize)]
pub struct EnvironmentRules {
    /// Canonical name -> accepted spellings (lowercase).
    pub aliases: BTreeMap<String, Vec<String>>,
    /// Canonical name -> Typst function name, where they differ.
    pub typst: BTreeMap<String, String>,
    /// Canonical name -> LaTeX environment name, where they differ.
    pub latex: BTreeMap<String, String>,
    /// Canonical name -> label prefix.
    pub label_prefix: BTreeMap<String, String>,
}

impl EnvironmentRules {
    /// The canonical environment name for a guide's wording (`"Observation"`, `` `#warning-env` ``,
    /// `"hypothesis or speculation"` → the first that is known); `None` when nothing matches.
    pub fn normalize(&self, raw: &str) -> Option<String> {
        // `\begin{observation}[Title]` names `observation`.
        let cleaned = raw.replace(['`', '#', '*', '\\', '{', '}', '[', ']'], " ").to_lowercase();
        let parts =
            cleaned.split(['+', '/', ',', '(', ';']).flat_map(|p| p.split(" or ")).flat_map(|p| p.split(" and "));
        for part in parts {
            let part = part.trim().trim_end_matches(['.', ':']).trim();
            if part.is_empty() {
                continue;
            }
            for (name, spellings) in &self.aliases {
                if spellings.iter().any(|s| s == part) {
                    return Some(name.clone());
                }
            }
            // "achievement environment" -> first word that is a known spelling.
            for word in part.split_whitespace() {
                for (name, spellings) in &self.aliases {
                    if spellings.iter().any(|s| s == word) {
                        return Some(name.clone());
                    }
                }
            }
        }
        None
    }

    /// The Typst function for a canonical environment name.
    pub fn typst_name<'a>(&'a self, canonical: &'a str) -> &'a str {
        self.typst.get(canonical).map_or(canonical, String::as_str)
    }

    /// The LaTeX environment for a canonical environment name.
    pub fn latex_name<'a>(&'a self, canonical: &'a str) -> &'a str {
        self.latex.get(canonical).map_or(canonical, String::as_str)
    }

    /// The canonical name for a LaTeX environment or Typst function used in a book
    /// (`warning-env` → `warning`, `openquestion` → `open-question`).
    pub fn canonical_of_macro(&self, name: &str) -> String {
        let lower = name.to_lowercase();
        for (canon, mapped) in self.typst.iter().chain(self.latex.iter()) {
            if *mapped == lower {
                return canon.clone();
            }
        }
        let base = lower.trim_end_matches("-unnumbered").trim_end_matches('*');
        self.normalize(base).unwrap_or_else(|| base.to_string())
    }
}

/// Weights and thresholds (see `rules/scoring.toml` for the meaning and source of each).
#[derive(Debug, Clone, Deserialize)]
pub struct ScoringRules {
    /// Target resolution.
    pub resolve: ResolveWeights,
    /// Insertion-point ranking.
    pub place: PlaceWeights,
    /// Thresholds of the already-integrated judgement ([`crate::integrated`]).
    pub integrated: IntegratedRules,
    /// Placement scores as estimated probabilities of being right.
    #[serde(default)]
    pub calibration: Calibration,
}

/// Thresholds that say when a target's content is already in the book, each a share in
/// `[0, 1]` (see `[integrated]` in `rules/scoring.toml` for the source of each).
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)] // reason: documented in rules/scoring.toml
pub struct IntegratedRules {
    pub says: f64,
    pub says_terms: usize,
    pub says_own_label: f64,
    pub partly: f64,
    pub title: f64,
    pub block_lines: usize,
    pub sites_per_key: usize,
}

/// A step function from a target's best placement score to the estimated probability that
/// it is in the right section (`[calibration]` of rules/scoring.toml, fitted by
/// bench/calibrate.py): `scores` are ascending lower bounds in `[0, 1]`, `right[i]` the
/// probability for a score from `scores[i]` up to the next bound. Empty: no estimate.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Calibration {
    /// Ascending lower bounds of score ranges, the first 0.
    #[serde(default)]
    pub scores: Vec<f64>,
    /// The estimated probability of being right for each range of `scores`.
    #[serde(default)]
    pub right: Vec<f64>,
    /// A target whose estimated probability is below this is marked for review.
    #[serde(default)]
    pub review_below: f64,
}

impl Calibration {
    /// The estimated probability in `[0, 1]` for a score, or `None` when the table is empty,
    /// its two lists differ in length, or no bound is at or below the score.
    pub fn probability(&self, score: f64) -> Option<f64> {
        if self.scores.len() != self.right.len() {
            return None;
        }
        self.scores.iter().zip(&self.right).rev().find(|(lo, _)| score >= **lo).map(|(_, p)| *p)
    }
}

/// Confidences of target resolution methods, each in `[0, 1]`.
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)] // reason: documented in rules/scoring.toml
pub struct ResolveWeights {
    pub threshold: f64,
    pub exact: f64,
    pub moved: f64,
    pub slug: f64,
    pub content: f64,
    pub unreachable: f64,
    #[serde(default = "one")]
    pub claimed: f64,
}

fn one() -> f64 {
    1.0
}

fn two() -> f64 {
    2.0
}

/// Weights of the placement signals.
#[derive(Debug, Clone, Deserialize)]
#[allow(missing_docs)] // reason: documented in rules/scoring.toml
pub struct PlaceWeights {
    pub hint: f64,
    pub hint_parent: f64,
    pub line_prior: f64,
    #[serde(default)]
    pub line_shifted: f64,
    #[serde(default = "one")]
    pub line_shifted_half: f64,
    #[serde(default)]
    pub follows: f64,
    #[serde(default)]
    pub anchor_text: f64,
    #[serde(default)]
    pub hint_min: f64,
    #[serde(default)]
    pub topic_word_headings: usize,
    pub relevance: f64,
    pub cites_keys: f64,
    pub same_environment: f64,
    #[serde(default)]
    pub subject: f64,
    #[serde(default)]
    pub new_section_top: usize,
    /// Spot weights ([`crate::place::Signal::is_spot`]): they order the insertion points
    /// inside one section and add nothing to its score.
    #[serde(default)]
    pub spot_end: f64,
    #[serde(default)]
    pub spot_paragraph: f64,
    #[serde(default)]
    pub spot_environment: f64,
    #[serde(default)]
    pub spot_start: f64,
    pub top: usize,
    #[serde(default = "two")]
    pub score_half: f64,
    #[serde(default)]
    pub review_below: f64,
    pub bm25_k1: f64,
    pub bm25_b: f64,
}

/// The files a book's rules folder may hold, each overriding the built-in one.
pub const FILES: [&str; 4] = ["guide.toml", "environments.toml", "scoring.toml", "phrasing.toml"];

impl Rules {
    /// The built-in rules, with no book overrides.
    ///
    /// # Panics
    /// Never for a correct build: the built-in files are tested to parse.
    pub fn builtin() -> Self {
        Self::load(None).expect("built-in rules parse")
    }

    /// Built-in rules merged with the book's `rules/*.toml` files, when `book_rules` is given
    /// and holds them.
    ///
    /// # Errors
    /// [`Error::Config`] when a book rules file is unreadable, not TOML, or of the wrong shape.
    pub fn load(book_rules: Option<&Path>) -> Result<Self> {
        let guide = merged(GUIDE, book_rules, "guide.toml")?;
        let environments = merged(ENVIRONMENTS, book_rules, "environments.toml")?;
        let scoring = merged(SCORING, book_rules, "scoring.toml")?;
        let mut all = toml::Table::new();
        all.insert("guide".into(), guide);
        all.insert("environments".into(), environments);
        all.insert("scoring".into(), scoring);
        toml::Value::Table(all).try_into().map_err(|e: toml::de::Error| Error::Config {
            path: book_rules.map(|p| p.to_path_buf()).unwrap_or_else(|| "rules/".into()),
            message: e.to_string(),
        })
    }
}

fn merged(builtin: &str, dir: Option<&Path>, name: &str) -> Result<toml::Value> {
    let mut base: toml::Value = toml::from_str(builtin)
        .map_err(|e| Error::Config { path: format!("rules/{name}").into(), message: e.to_string() })?;
    if let Some(dir) = dir {
        let path = dir.join(name);
        if path.is_file() {
            let text = read_text(&path)?;
            let over: toml::Value =
                toml::from_str(&text).map_err(|e| Error::Config { path: path.clone(), message: e.to_string() })?;
            merge(&mut base, over);
        }
    }
    Ok(base)
}

/// A rules file's text, read only when it is a regular file ([`crate::disk::read_regular`]).
pub(crate) fn read_text(path: &Path) -> Result<String> {
    let bytes = crate::disk::read_regular(path).map_err(|e| Error::io("read", path, e))?;
    String::from_utf8(bytes)
        .map_err(|e| Error::io("read", path, std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error())))
}

fn merge(base: &mut toml::Value, over: toml::Value) {
    match (base, over) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_parse() {
        let r = Rules::builtin();
        assert!(r.guide.fields.file.iter().any(|f| f == "File"));
        assert_eq!(r.scoring.place.top, 5);
    }

    #[test]
    fn environment_wording_is_normalised() {
        let env = Rules::builtin().environments;
        assert_eq!(env.normalize("Observation").as_deref(), Some("observation"));
        assert_eq!(env.normalize("`#warning-env`").as_deref(), Some("warning"));
        assert_eq!(env.normalize("hypothesis or speculation").as_deref(), Some("hypothesis"));
        assert_eq!(env.normalize("keypoint + achievement").as_deref(), Some("key-point"));
        assert_eq!(env.normalize("paragraph text"), None);
        assert_eq!(env.typst_name("warning"), "warning-env");
        assert_eq!(env.canonical_of_macro("warning-env"), "warning");
    }

    #[test]
    fn book_rules_override_single_keys() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("scoring.toml"), "[place]\ntop = 3\n").unwrap();
        let r = Rules::load(Some(dir.path())).unwrap();
        assert_eq!(r.scoring.place.top, 3);
        assert!((r.scoring.place.hint - 4.0).abs() < 1e-9);
    }

    #[test]
    fn malformed_book_rules_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("guide.toml"), "[fields\n").unwrap();
        let err = Rules::load(Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("guide.toml"), "{err}");
    }
}
