//! Phrasing checks on the text that would be inserted: the guide's own "avoid" (✗) lines
//! and the rule files (`rules/phrasing.toml`, Vale-like existence and substitution rules,
//! optionally only at low or medium certainty).
//!
//! Matching is case-insensitive on word boundaries. This module only reports; it never
//! rewrites the snippet.

use std::collections::BTreeMap;
use std::path::Path;

use regex::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::finding::{Code, Finding, Severity};
use crate::guide::Guide;

const BUILTIN: &str = include_str!("../rules/phrasing.toml");

/// The certainty a guide states, in three levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Certainty {
    /// "Low", "very low", or a number below 0.4.
    Low,
    /// "Medium", "moderate", or a number from 0.4 to below 0.7.
    Medium,
    /// "High", "very high", or a number from 0.7.
    High,
}

impl Certainty {
    /// Reads `Low`, `0.55 (Medium)`, `Very High`, `A+`...; `None` when it says nothing
    /// recognisable. A number wins over a word (thresholds 0.4 and 0.7).
    pub fn parse(text: &str) -> Option<Certainty> {
        let lower = text.to_lowercase();
        let number = number_re().captures(&lower).and_then(|c| c[1].parse::<f64>().ok());
        if let Some(n) = number {
            return Some(if n < 0.4 {
                Certainty::Low
            } else if n < 0.7 {
                Certainty::Medium
            } else {
                Certainty::High
            });
        }
        if lower.contains("low") {
            Some(Certainty::Low)
        } else if lower.contains("medium") || lower.contains("moderate") {
            Some(Certainty::Medium)
        } else if lower.contains("high") {
            Some(Certainty::High)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Certainty::Low => "low",
            Certainty::Medium => "medium",
            Certainty::High => "high",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<Rule>,
}

/// One phrasing rule (see `rules/phrasing.toml` for the fields).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable code, reported as the finding's code.
    pub code: String,
    /// `existence` or `substitution`.
    pub kind: String,
    /// `info`, `warning` or `error`.
    pub level: String,
    /// Levels of certainty at which the rule applies; empty: always.
    #[serde(default)]
    pub certainty: Vec<String>,
    /// Phrases to report (existence rules).
    #[serde(default)]
    pub tokens: Vec<String>,
    /// Phrase -> suggested wording (substitution rules).
    #[serde(default)]
    pub swap: BTreeMap<String, String>,
    /// Message; `{match}`, `{suggestion}` and `{certainty}` are filled in.
    pub message: String,
    /// Why the rule exists.
    pub why: String,
    /// How to fix a finding.
    pub fix: String,
}

/// The rules in force: built-in, merged with a book's `rules/phrasing.toml` by code.
#[derive(Debug, Clone)]
pub struct PhrasingRules {
    /// The rules, in file order.
    pub rules: Vec<Rule>,
    /// Where the book's own rules came from, for findings' help.
    pub source: String,
}

impl PhrasingRules {
    /// The built-in rules plus the book's `rules/phrasing.toml` when `book_rules` holds one.
    ///
    /// # Errors
    /// [`Error::Config`] when a rules file is not TOML of the documented shape.
    pub fn load(book_rules: Option<&Path>) -> Result<Self> {
        let parse = |text: &str, path: &Path| -> Result<Vec<Rule>> {
            let file: RuleFile =
                toml::from_str(text).map_err(|e| Error::Config { path: path.to_path_buf(), message: e.to_string() })?;
            Ok(file.rule)
        };
        let mut rules = parse(BUILTIN, Path::new("rules/phrasing.toml"))?;
        let mut source = "rules/phrasing.toml".to_string();
        if let Some(path) = book_rules.map(|d| d.join("phrasing.toml")).filter(|p| p.is_file()) {
            let text = crate::rules::read_text(&path)?;
            for rule in parse(&text, &path)? {
                match rules.iter_mut().find(|r| r.code == rule.code) {
                    Some(slot) => *slot = rule,
                    None => rules.push(rule),
                }
            }
            source = format!("rules/phrasing.toml and {}", path.display());
        }
        Ok(PhrasingRules { rules, source })
    }

    /// Findings for `text` (the snippet as it will be inserted) of `guide`, located at
    /// `where_` (guide path, line).
    pub fn check(&self, text: &str, guide: &Guide, where_: (&str, usize)) -> Vec<Finding> {
        let certainty = guide
            .certainty
            .as_deref()
            .or_else(|| guide.key_findings.as_ref().and_then(|k| k.certainty.as_deref()))
            .and_then(Certainty::parse)
            .or_else(|| certainty_re().captures(text).and_then(|c| Certainty::parse(&c[1])));
        let mut out = Vec::new();
        for (phrase, line) in &guide.avoid {
            if let Some(m) = find(text, phrase) {
                out.push(
                    Finding::new(
                        Code::PhrasingAvoid,
                        format!("the snippet says `{m}`, which the guide's line {line} says to avoid"),
                    )
                    .at(where_.0, Some(where_.1))
                    .help(format!("rephrase as the guide's ✓ lines suggest (see {}:{line})", guide.path)),
                );
            }
        }
        for rule in &self.rules {
            let applies = rule.certainty.is_empty()
                || certainty.is_some_and(|c| rule.certainty.iter().any(|r| r.eq_ignore_ascii_case(c.name())));
            if !applies {
                continue;
            }
            let level = match rule.level.as_str() {
                "error" => Severity::Error,
                "info" => Severity::Info,
                _ => Severity::Warning,
            };
            let pairs: Vec<(&str, &str)> = match rule.kind.as_str() {
                "substitution" => rule.swap.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
                _ => rule.tokens.iter().map(|t| (t.as_str(), "")).collect(),
            };
            for (phrase, suggestion) in pairs {
                if let Some(m) = find(text, phrase) {
                    let message = rule
                        .message
                        .replace("{match}", &m)
                        .replace("{suggestion}", suggestion)
                        .replace("{certainty}", certainty.map_or("unknown", Certainty::name));
                    out.push(
                        Finding::new(Code::Phrasing(rule.code.clone()), message)
                            .with_severity(level)
                            .at(where_.0, Some(where_.1))
                            .help(format!("{} (rule `{}` in {})", rule.fix, rule.code, self.source)),
                    );
                }
            }
        }
        out
    }
}

fn number_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\b(0?\.\d+|1\.0|0|1)\b").unwrap())
}

fn certainty_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?i)certainty:\s*([^,;.)]+)").unwrap())
}

/// The first case-insensitive, whole-word occurrence of `phrase` in `text`, as written there.
fn find(text: &str, phrase: &str) -> Option<String> {
    // A cheap case-insensitive containment test first: most phrases are absent.
    let needle = phrase.trim().to_lowercase();
    if needle.is_empty() || !text.to_lowercase().contains(&needle) {
        return None;
    }
    let re =
        RegexBuilder::new(&format!(r"\b{}\b", regex::escape(phrase.trim()))).case_insensitive(true).build().ok()?;
    re.find(text).map(|m| m.as_str().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    fn guide(text: &str) -> Guide {
        crate::guide::parse_guide(text, "g.md", &Rules::builtin())
    }

    #[test]
    fn certainty_levels() {
        assert_eq!(Certainty::parse("0.55 (Medium)"), Some(Certainty::Medium));
        assert_eq!(Certainty::parse("Very High"), Some(Certainty::High));
        assert_eq!(Certainty::parse("VERY LOW (no trials)"), Some(Certainty::Low));
        assert_eq!(Certainty::parse("0.85"), Some(Certainty::High));
        assert_eq!(Certainty::parse("unclear"), None);
    }

    #[test]
    fn overstating_fires_at_low_certainty_and_not_at_high() {
        let rules = PhrasingRules::load(None).unwrap();
        let low = guide("# G\n**Certainty:** Low\n");
        let text = "This trial proves that ketamine cures fatigue in all patients.";
        let codes: Vec<String> = rules.check(text, &low, ("g.md", 9)).into_iter().map(|f| f.code.to_string()).collect();
        assert_eq!(codes, vec!["phrasing-proves", "phrasing-cures", "phrasing-all-patients"]);
        let high = guide("# G\n**Certainty:** High\n");
        let codes: Vec<String> =
            rules.check(text, &high, ("g.md", 9)).into_iter().map(|f| f.code.to_string()).collect();
        assert_eq!(codes, vec!["phrasing-all-patients"]);
        let calm = "Small studies suggest ketamine may improve fatigue in some patients.";
        assert!(rules.check(calm, &low, ("g.md", 9)).is_empty());
    }

    #[test]
    fn the_guides_own_avoid_lines_fire() {
        let rules = PhrasingRules::load(None).unwrap();
        let g = guide("# G\n- ✗ \"Ketamine treats ME/CFS\"\n");
        let f = rules.check("We note that ketamine treats ME/CFS well.", &g, ("g.md", 7));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, "phrasing-avoid");
        assert!(f[0].message.contains("line 2"), "{}", f[0].message);
        assert_eq!(f[0].line, Some(7));
    }

    #[test]
    fn book_rules_replace_and_add() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("phrasing.toml"),
            "[[rule]]\ncode = \"phrasing-proves\"\nkind = \"existence\"\nlevel = \"error\"\ntokens = [\"demonstrates\"]\nmessage = \"no `{match}`\"\nwhy = \"w\"\nfix = \"f\"\n",
        )
        .unwrap();
        let rules = PhrasingRules::load(Some(dir.path())).unwrap();
        let g = guide("# G\n");
        let f = rules.check("It demonstrates and proves.", &g, ("g.md", 1));
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].code.as_str(), f[0].severity), ("phrasing-proves", Severity::Error));
    }
}
