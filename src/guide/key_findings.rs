//! Key-findings files -> [`KeyFindings`]: the numbered main findings, limitations, sample
//! size / design / certainty, and the "Integration Points" that become targets when a
//! literature folder has no guide. Section and field names come from `rules/guide.toml`.

use super::markdown::{blocks, field_captures, field_is, quoted_or_whole, strip_md, Block};
use super::model::{Markup, Target};
use crate::rules::{GuideRules, Rules};
use crate::text::LineIndex;
use serde::Serialize;

/// What a key-findings file states about the paper.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KeyFindings {
    /// The numbered main findings, markup stripped of `**`.
    pub main: Vec<String>,
    /// Limitations, one per bullet.
    pub limitations: Vec<String>,
    /// Sample size as stated.
    pub sample_size: Option<String>,
    /// Study design as stated.
    pub design: Option<String>,
    /// Certainty as stated (`Low`, `0.55 (Medium)`).
    pub certainty: Option<String>,
    /// Bullets of the "Integration Points" section, or its sub-headings (`### Chapter 15:
    /// Medications`) with the bullets under each as details.
    pub integration_points: Vec<IntegrationPoint>,
    /// All prose of the file, for relevance scoring.
    pub text: String,
}

/// One integration point of a key-findings file.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct IntegrationPoint {
    /// The bullet or sub-heading text, markup kept.
    pub text: String,
    /// For a sub-heading: the bullets under it.
    pub details: Vec<String>,
    /// 1-based line in the file.
    pub line: usize,
    /// Whether it is a sub-heading (its bullets are details, not points of their own).
    pub heading: bool,
}

/// Parses a key-findings file.
pub fn parse_key_findings(text: &str, rules: &GuideRules) -> KeyFindings {
    let names = &rules.key_findings;
    let mut kf = KeyFindings { text: strip_md(text), ..Default::default() };
    let idx = LineIndex::new(text);
    let mut section = String::new();
    for block in blocks(text) {
        match block {
            Block::Heading { text: h, level, line } => {
                let is_points = names.integration_points.iter().any(|n| section.eq_ignore_ascii_case(n));
                if level <= 2 {
                    section = h.trim().trim_end_matches(':').to_string();
                } else if is_points {
                    // `### Chapter 15: Medications` under Integration Points names a target.
                    kf.integration_points.push(IntegrationPoint {
                        text: h.trim().to_string(),
                        details: Vec::new(),
                        line,
                        heading: true,
                    });
                }
            }
            Block::Text { range } => {
                let first_line = idx.line_of(range.start);
                let src = &text[range];
                let is = |list: &[String]| {
                    list.iter().any(|n| {
                        section.eq_ignore_ascii_case(n) || section.to_lowercase().starts_with(&n.to_lowercase())
                    })
                };
                for (i, line) in src.lines().enumerate() {
                    if let Some(c) = field_captures(line) {
                        let value = strip_md(&c[2]);
                        if field_is(&c[1], &names.sample_size) && kf.sample_size.is_none() {
                            kf.sample_size = Some(value);
                            continue;
                        } else if field_is(&c[1], &names.design) && kf.design.is_none() {
                            kf.design = Some(value);
                            continue;
                        } else if field_is(&c[1], &names.certainty) && kf.certainty.is_none() {
                            kf.certainty = Some(value);
                            continue;
                        }
                    }
                    let t = line.trim();
                    let item = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")).or_else(|| {
                        t.split_once(". ")
                            .filter(|(n, _)| n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty())
                            .map(|(_, r)| r)
                    });
                    let Some(item) = item else { continue };
                    if is(&names.main) && !line.starts_with(' ') {
                        kf.main.push(strip_md(item));
                    } else if is(&names.limitations) {
                        kf.limitations.push(strip_md(item));
                    } else if is(&names.integration_points) {
                        match kf.integration_points.last_mut().filter(|p| p.heading) {
                            Some(point) => point.details.push(strip_md(item)),
                            None => kf.integration_points.push(IntegrationPoint {
                                text: item.to_string(),
                                details: Vec::new(),
                                line: first_line + i,
                                heading: false,
                            }),
                        }
                    }
                }
            }
            _ => {}
        }
    }
    kf
}

/// Targets named by a key-findings file's "Integration Points": each bullet, or each
/// sub-heading with the bullets under it. A backticked path is the file hint, else the text
/// before ":" of a bullet (a chapter name) or the whole sub-heading (`Chapter 15:
/// Medications - Antivirals`), resolved by number and title. A detail naming an
/// environment (`Cite as: **observation**`) gives the target's environment.
pub(crate) fn targets_from_integration_points(kf: &KeyFindings, path: &str, rules: &Rules) -> Vec<Target> {
    kf.integration_points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let item = &p.text;
            let file = item.split('`').nth(1).filter(|s| Markup::from_path(s).is_some() || s.contains('/'));
            let (head, tail) =
                if p.heading { (item.as_str(), "") } else { item.split_once(':').unwrap_or((item.as_str(), "")) };
            let head_clean = strip_md(head);
            let name = head_clean.split(" (").next().unwrap_or(&head_clean).trim().to_string();
            let environment_raw = p
                .details
                .iter()
                .find(|d| {
                    let lower = d.to_lowercase();
                    let names_env =
                        (lower.starts_with("cite") && lower.contains(" as")) || lower.starts_with("environment");
                    names_env && rules.environments.normalize(d).is_some()
                })
                .cloned();
            // Details naming a spot: `Subsection "Folate (B9)" (~line 667): ...` (quoted
            // titles, with their line as a prior) and `Could support: <topic>`.
            let mut detail_hints: Vec<String> = Vec::new();
            for d in &p.details {
                let (head, rest) = d.split_once(':').unwrap_or((d.as_str(), ""));
                if head.contains('"') || head.contains('“') {
                    detail_hints.extend(super::fields::section_hints(head.trim()));
                } else if head.trim().eq_ignore_ascii_case("could support") && !rest.trim().is_empty() {
                    detail_hints.push(rest.trim().to_string());
                }
            }
            let mut rationale = strip_md(item);
            for d in &p.details {
                rationale.push('\n');
                rationale.push_str(d);
            }
            Target {
                rank: i + 1,
                file_hint: Some(file.map(str::to_string).unwrap_or_else(|| name.clone())),
                title_hint: name,
                section_hints: if detail_hints.is_empty() {
                    quoted_or_whole(tail.split(" (").next().unwrap_or(tail).trim())
                } else {
                    detail_hints
                },
                environment: environment_raw.as_deref().and_then(|e| rules.environments.normalize(e)),
                environment_raw,
                rationale: Some(rationale),
                line: p.line,
                source: path.to_string(),
                ..Target::default()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    #[test]
    fn key_findings_fields_and_lists() {
        let text = "# KF\n## Main Findings\n1. **A:** one\n2. **B:** two\n## Study\n- **Sample size:** n=12\n- **Certainty:** Low\n## Limitations\n- small\n## Integration Points\n- Treatment chapter (`ch/t.tex`): drugs\n";
        let kf = parse_key_findings(text, &Rules::builtin().guide);
        assert_eq!(kf.main, vec!["A: one", "B: two"]);
        assert_eq!(kf.sample_size.as_deref(), Some("n=12"));
        assert_eq!(kf.certainty.as_deref(), Some("Low"));
        assert_eq!(kf.limitations, vec!["small"]);
        let t = targets_from_integration_points(&kf, "kf.md", &Rules::builtin());
        assert_eq!(t[0].file_hint.as_deref(), Some("ch/t.tex"));
        assert_eq!(t[0].section_hints, vec!["drugs"]);
        assert_eq!(t[0].line, 11);
        let text = "# KF\n## Integration Points\n### Chapter 15: Medications - Antivirals\n- Primary evidence\n- Cite as: **observation** (RCT)\n### Appendix: Protocols\n- Dosing\n";
        let t = targets_from_integration_points(
            &parse_key_findings(text, &Rules::builtin().guide),
            "kf.md",
            &Rules::builtin(),
        );
        let got: Vec<(&str, Option<&str>, usize)> =
            t.iter().map(|t| (t.file_hint.as_deref().unwrap(), t.environment.as_deref(), t.line)).collect();
        assert_eq!(
            got,
            vec![("Chapter 15: Medications - Antivirals", Some("observation"), 3), ("Appendix: Protocols", None, 6)]
        );
        let text = "# KF\n## Integration Points\n### ch16-supplements.tex\n- Subsection \"Folate (B9)\" (~line 667): dosing\n- Cites as: **hypothesis**\n### Chapter 8\n- Could support: Brainstem control\n";
        let t = targets_from_integration_points(
            &parse_key_findings(text, &Rules::builtin().guide),
            "kf.md",
            &Rules::builtin(),
        );
        assert_eq!(t[0].section_hints, vec!["Subsection \"Folate (B9)\" (~line 667)"]);
        assert_eq!(t[0].environment.as_deref(), Some("hypothesis"));
        assert_eq!(t[1].section_hints, vec!["Brainstem control"]);
    }
}
