//! Property: the unified diff of an edit, applied to the original with `git apply`, gives
//! exactly the edited text (line endings, final newline and all).

use chapter_integrator::{diff, edit};
use proptest::prelude::*;

fn git_apply(original: &str, patch: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.tex"), original).unwrap();
    std::fs::write(dir.path().join("p.diff"), patch).unwrap();
    let out = std::process::Command::new("git").args(["apply", "p.diff"]).current_dir(dir.path()).output().unwrap();
    assert!(out.status.success(), "git apply: {}\n{patch}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(dir.path().join("f.tex")).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn git_apply_reproduces_the_edit(
        lines in proptest::collection::vec("[a-z \\\\{}%]{0,12}", 1..30),
        points in proptest::collection::vec((0usize..30, "[A-Za-z ]{1,10}"), 1..4),
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut original = lines.join(eol);
        if final_newline {
            original.push_str(eol);
        }
        let n = original.split_inclusive('\n').count();
        let inserts: Vec<edit::Insertion> = points
            .into_iter()
            .map(|(at, text)| edit::Insertion { after_line: at.min(n), text: format!("\\begin{{x}}\n{text}\n\\end{{x}}"), tight: false, replaces: 0 })
            .collect();
        let new = edit::apply(&original, &inserts).unwrap();
        let patch = diff::unified("f.tex", &original, &new);
        prop_assert_eq!(git_apply(&original, &patch), new);
    }
}
