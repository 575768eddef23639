//! Every finding code the tool raises is documented in `rules/checks.toml` with the
//! severity it is raised at, and every documented code is raised somewhere.

use std::collections::BTreeSet;

use chapter_integrator::finding::{Code, Severity};

/// The text of every source file but `finding.rs` (which defines the codes).
fn sources_but_findings() -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut text = String::new();
    let mut stack = vec![root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n != "finding.rs") {
                text.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    text
}

#[test]
fn finding_codes_match_their_documentation() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc: toml::Table = toml::from_str(&std::fs::read_to_string(root.join("rules/checks.toml")).unwrap()).unwrap();
    let documented: BTreeSet<String> = doc.keys().cloned().collect();
    let coded: BTreeSet<String> = Code::ALL.iter().map(|c| c.as_str().to_string()).collect();
    assert_eq!(coded, documented);
    let severity = |name: &str| match name {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        "info" => Severity::Info,
        other => panic!("unknown severity {other}"),
    };
    for code in Code::ALL {
        let entry = &doc[code.as_str()];
        for field in ["severity", "what", "why", "fix"] {
            assert!(entry.get(field).and_then(|v| v.as_str()).is_some_and(|v| !v.is_empty()), "{code} lacks {field}");
        }
        assert_eq!(code.severity(), severity(entry["severity"].as_str().unwrap()), "{code}: severity");
        assert_eq!(code.also(), entry.get("also").and_then(|v| v.as_str()).map(severity), "{code}: also");
        assert_eq!(&Code::from_name(code.as_str()), code);
    }
    assert!(Code::ALL.len() > 20, "only {} codes", Code::ALL.len());
}

/// Every code is raised somewhere, and a severity is only ever set through the finding's
/// own constructor and setters (which keep to the documented ones): no finding is built
/// field by field and no severity is assigned outside `finding.rs`.
#[test]
fn every_code_is_raised_and_only_at_its_documented_severity() {
    let text = sources_but_findings();
    for code in Code::ALL {
        let variant = format!("Code::{code:?}");
        assert!(text.contains(&variant), "{code} ({variant}) is documented but never raised");
    }
    assert!(!text.contains(".severity = "), "a severity is assigned outside finding.rs");
    let literal = regex::Regex::new(r"Finding \{\s*code").unwrap();
    assert!(!literal.is_match(&text), "a finding is built field by field outside finding.rs");
}

#[test]
#[should_panic(expected = "is raised at error")]
fn a_severity_other_than_the_documented_ones_is_a_bug() {
    let _ = chapter_integrator::finding::Finding::new(Code::CitationKeyMissing, "x").with_severity(Severity::Info);
}

#[test]
fn the_calibration_table_maps_every_score_to_a_non_decreasing_probability() {
    let cal = chapter_integrator::rules::Rules::builtin().scoring.calibration;
    assert_eq!(cal.scores.len(), cal.right.len());
    assert_eq!(cal.scores.first(), Some(&0.0));
    assert!(cal.scores.windows(2).all(|w| w[0] < w[1]), "{:?}", cal.scores);
    assert!(cal.right.windows(2).all(|w| w[0] <= w[1]), "{:?}", cal.right);
    // A step function: each bound's probability holds up to the next bound.
    assert_eq!(cal.probability(cal.scores[1]), Some(cal.right[1]));
    assert_eq!(cal.probability(cal.scores[2] - 1e-9), Some(cal.right[1]));
    assert_eq!(cal.probability(1.0), cal.right.last().copied());
    // A relevance-only match (0.5) is less likely right than wrong: it is marked for review.
    assert!(cal.probability(0.5).unwrap() < cal.review_below);
    let empty = chapter_integrator::rules::Calibration::default();
    assert_eq!(empty.probability(0.9), None);
}
