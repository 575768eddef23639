//! Every finding code the source emits is documented in `rules/checks.toml`, and every
//! documented code is emitted somewhere.

use std::collections::BTreeSet;

#[test]
fn finding_codes_match_their_documentation() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let re = regex::Regex::new(r#"Finding::new\(\s*"([a-z0-9-]+)""#).unwrap();
    let mut used = BTreeSet::new();
    let mut stack = vec![root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                used.extend(re.captures_iter(&text).map(|c| c[1].to_string()));
            }
        }
    }
    let doc: toml::Table = toml::from_str(&std::fs::read_to_string(root.join("rules/checks.toml")).unwrap()).unwrap();
    let documented: BTreeSet<String> = doc.keys().cloned().collect();
    assert_eq!(used, documented);
    for (code, entry) in &doc {
        for field in ["severity", "what", "why", "fix"] {
            assert!(entry.get(field).and_then(|v| v.as_str()).is_some_and(|v| !v.is_empty()), "{code} lacks {field}");
        }
    }
    assert!(used.len() > 20, "only {} codes found", used.len());
}
