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
