//! Key-findings files -> [`KeyFindings`]: the numbered main findings, limitations, sample
//! size / design / certainty, and the "Integration Points" that become targets when a
//! literature folder has no guide. Section and field names come from `rules/guide.toml`.

use super::markdown::{blocks, field_is, field_re, quoted_or_whole, strip_md, Block};
use super::{Markup, Target};
use crate::rules::GuideRules;
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
    /// Bullets of the "Integration Points" section.
    pub integration_points: Vec<(String, usize)>,
    /// All prose of the file, for relevance scoring.
    pub text: String,
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
                    kf.integration_points.push((h.trim().to_string(), line));
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
                    if let Some(c) = field_re().captures(line) {
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
                        kf.integration_points.push((item.to_string(), first_line + i));
                    }
                }
            }
            _ => {}
        }
    }
    kf
}

/// Targets named by a key-findings file's "Integration Points" bullets: a backticked path
/// is the file hint, else the text before ":" (a chapter name, resolved by title).
pub(crate) fn targets_from_integration_points(kf: &KeyFindings, path: &str) -> Vec<Target> {
    kf.integration_points
        .iter()
        .enumerate()
        .map(|(i, (item, line))| {
            let file = item.split('`').nth(1).filter(|s| Markup::from_path(s).is_some() || s.contains('/'));
            let (head, tail) = item.split_once(':').unwrap_or((item.as_str(), ""));
            let head_clean = strip_md(head);
            let name = head_clean.split(" (").next().unwrap_or(&head_clean).trim().to_string();
            Target {
                rank: i + 1,
                file_hint: Some(file.map(str::to_string).unwrap_or_else(|| name.clone())),
                title_hint: name,
                section_hints: quoted_or_whole(tail.split(" (").next().unwrap_or(tail).trim()),
                environment_raw: None,
                environment: None,
                rationale: Some(strip_md(item)),
                snippet: None,
                keys: Vec::new(),
                line: *line,
                source: path.to_string(),
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
        let t = targets_from_integration_points(&kf, "kf.md");
        assert_eq!(t[0].file_hint.as_deref(), Some("ch/t.tex"));
        assert_eq!(t[0].section_hints, vec!["drugs"]);
        assert_eq!(t[0].line, 11);
    }
}
