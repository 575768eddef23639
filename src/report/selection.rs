//! What `check` reports and how tersely, as ruff does: which finding codes (`--select`,
//! `--ignore`), one line per finding (`--output-format concise`), and the count of each code
//! at the end.
//!
//! What it leaves out: the findings themselves and their severities (the book's `[severity]`
//! table is applied before, see [`crate::finding::SeverityOverrides`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Style;
use crate::error::{Error, Result};
use crate::finding::{Code, Finding, Severity};

/// One `--select` / `--ignore` item: a code, or every code starting with a prefix
/// (`snippet-*`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    /// Exactly this code.
    Code(String),
    /// Every code starting with this.
    Prefix(String),
}

impl Pattern {
    fn matches(&self, code: &str) -> bool {
        match self {
            Pattern::Code(c) => c == code,
            Pattern::Prefix(p) => code.starts_with(p.as_str()),
        }
    }
}

/// Which finding codes are reported: those `--select` names (every code when it names none),
/// less those `--ignore` names. Built by [`Selection::new`], which refuses a name that is no
/// code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    select: Vec<Pattern>,
    ignore: Vec<Pattern>,
}

impl Selection {
    /// The selection of `select` and `ignore` (codes, or prefixes ending in `*`), checked
    /// against `known`: every code of the tool and of the phrasing rules in force.
    ///
    /// # Errors
    /// [`Error::Usage`] for a name no known code has (or a prefix none starts with), naming
    /// the option and the nearest code.
    pub fn new(select: &[String], ignore: &[String], known: &[&str]) -> Result<Selection> {
        let parse = |option: &str, items: &[String]| -> Result<Vec<Pattern>> {
            let mut out = Vec::new();
            for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
                let pattern = match item.strip_suffix('*') {
                    Some(prefix) => Pattern::Prefix(prefix.to_string()),
                    None => Pattern::Code(item.to_string()),
                };
                if !known.iter().any(|k| pattern.matches(k)) {
                    let near = crate::text::closest(item.trim_end_matches('*'), known.iter().copied()).unwrap_or("");
                    return Err(Error::Usage(format!(
                        "--{option} {item}: no finding code {}; the nearest is `{near}` (every code: rules/checks.toml, rules/phrasing.toml)",
                        if matches!(pattern, Pattern::Prefix(_)) { "starts so" } else { "is named so" }
                    )));
                }
                out.push(pattern);
            }
            Ok(out)
        };
        Ok(Selection { select: parse("select", select)?, ignore: parse("ignore", ignore)? })
    }

    /// Whether findings of `code` are reported.
    pub fn keeps(&self, code: &Code) -> bool {
        let code = code.as_str();
        (self.select.is_empty() || self.select.iter().any(|p| p.matches(code)))
            && !self.ignore.iter().any(|p| p.matches(code))
    }

    /// Whether every code is reported (neither option given).
    pub fn is_all(&self) -> bool {
        self.select.is_empty() && self.ignore.is_empty()
    }
}

/// One finding on one line, for editors and grep: `path:line: severity[code] message`
/// (`path: ...` without a line, `severity[code] message` without a path). Findings carry a
/// line, not a column. A message's line breaks become spaces.
pub fn finding_concise(f: &Finding, style: Style) -> String {
    let loc = match (&f.path, f.line) {
        (Some(p), Some(l)) => format!("{p}:{l}: "),
        (Some(p), None) => format!("{p}: "),
        _ => String::new(),
    };
    format!("{loc}{}[{}] {}\n", style.severity(f.severity), f.code, f.message.replace('\n', " "))
}

/// The count of each code among `findings`, as `check` prints it at the end: one line per
/// code, the most frequent first (ties by code), with its severities when it has several:
///
/// ```text
/// findings by code:
///     12  target-resolved-loosely  warning
///      3  target-unresolved        error 1, warning 2
/// ```
///
/// Empty when there are no findings.
pub fn code_summary(findings: &[&Finding], style: Style) -> String {
    let mut by_code: BTreeMap<&Code, BTreeMap<Severity, usize>> = BTreeMap::new();
    for f in findings {
        *by_code.entry(&f.code).or_default().entry(f.severity).or_default() += 1;
    }
    if by_code.is_empty() {
        return String::new();
    }
    let mut rows: Vec<(usize, &Code, &BTreeMap<Severity, usize>)> =
        by_code.iter().map(|(c, s)| (s.values().sum(), *c, s)).collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let count_width = rows[0].0.to_string().len().max(5);
    let code_width = rows.iter().map(|r| r.1.as_str().len()).max().unwrap_or(0);
    let mut out = String::from("findings by code:\n");
    for (n, code, severities) in rows {
        // Most severe first.
        let sev: Vec<String> = if severities.len() == 1 {
            severities.keys().map(|s| style.severity(*s)).collect()
        } else {
            severities.iter().rev().map(|(s, n)| format!("{} {n}", style.severity(*s))).collect()
        };
        let _ = writeln!(out, "{n:>count_width$}  {:code_width$}  {}", code.as_str(), sev.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<&'static str> {
        vec!["snippet-missing", "snippet-stub", "target-unresolved", "phrasing-proves"]
    }

    #[test]
    fn select_and_ignore_take_codes_and_prefixes() {
        let s = Selection::new(&["snippet-*".into()], &["snippet-stub".into()], &known()).unwrap();
        assert!(s.keeps(&Code::SnippetMissing));
        assert!(!s.keeps(&Code::SnippetStub));
        assert!(!s.keeps(&Code::TargetUnresolved));
        let all = Selection::new(&[], &[], &known()).unwrap();
        assert!(all.is_all() && all.keeps(&Code::Phrasing("phrasing-proves".into())));
    }

    #[test]
    fn an_unknown_code_names_the_nearest() {
        let e = Selection::new(&["snipet-missing".into()], &[], &known()).unwrap_err().to_string();
        assert_eq!(
            e,
            "--select snipet-missing: no finding code is named so; the nearest is `snippet-missing` (every code: rules/checks.toml, rules/phrasing.toml)"
        );
        let e = Selection::new(&[], &["nothing-*".into()], &known()).unwrap_err().to_string();
        assert!(e.starts_with("--ignore nothing-*: no finding code starts so; the nearest is `"), "{e}");
    }

    #[test]
    fn the_code_summary_is_sorted_by_count_then_code() {
        let f = |c: Code| Finding::new(c, "m");
        let a = [f(Code::SnippetMissing), f(Code::SnippetMissing), f(Code::SnippetStub), f(Code::TargetUnresolved)];
        let mut b = a.to_vec();
        b.push(f(Code::TargetUnresolved).with_severity(Severity::Warning));
        let refs: Vec<&Finding> = b.iter().collect();
        assert_eq!(
            code_summary(&refs, Style { color: false }),
            "findings by code:\n    2  snippet-missing    warning\n    2  target-unresolved  error 1, warning 1\n    1  snippet-stub       info\n"
        );
    }

    #[test]
    fn a_concise_finding_is_one_line() {
        let f = Finding::new(Code::SnippetMissing, "no snippet\nhere").at("g.md", Some(3)).help("add one");
        assert_eq!(finding_concise(&f, Style { color: false }), "g.md:3: warning[snippet-missing] no snippet here\n");
    }
}
