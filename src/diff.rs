//! Unified diffs with git headers (`diff --git a/P b/P`), which `git apply` accepts from
//! the work tree root.
//!
//! Built with `similar` (Myers, line-based, 3 lines of context) under a deadline, so a
//! near-disjoint pair of large files finishes in bounded time. A missing final newline is
//! marked `\ No newline at end of file`.

use std::time::Duration;

use similar::TextDiff;

/// How long the line diff may search for a minimal edit script before settling.
const DEADLINE: Duration = Duration::from_secs(5);

/// The unified diff of one file, or an empty string when `old == new`. `path` is relative
/// to the git work tree root (`/` separators).
pub fn unified(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let diff = TextDiff::configure().algorithm(similar::Algorithm::Myers).timeout(DEADLINE).diff_lines(old, new);
    let body = diff
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(true)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string();
    format!("diff --git a/{path} b/{path}\n{body}")
}

/// The unified diff creating a file at `path` with `text` (`new file mode 100644`,
/// `--- /dev/null`), as git writes it.
pub fn unified_new(path: &str, text: &str) -> String {
    let diff = TextDiff::configure().algorithm(similar::Algorithm::Myers).timeout(DEADLINE).diff_lines("", text);
    let body = diff
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(true)
        .header("/dev/null", &format!("b/{path}"))
        .to_string();
    format!("diff --git a/{path} b/{path}\nnew file mode 100644\n{body}")
}

/// `(files changed, lines added, lines removed)` of a set of `(old, new)` pairs.
pub fn stat<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> (usize, usize, usize) {
    let (mut files, mut add, mut del) = (0, 0, 0);
    for (old, new) in pairs {
        if old == new {
            continue;
        }
        files += 1;
        let d = TextDiff::configure().timeout(DEADLINE).diff_lines(old, new);
        for change in d.iter_all_changes() {
            match change.tag() {
                similar::ChangeTag::Insert => add += 1,
                similar::ChangeTag::Delete => del += 1,
                similar::ChangeTag::Equal => {}
            }
        }
    }
    (files, add, del)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_headers_and_no_newline_marker() {
        let d = unified("ch/a.tex", "a\nb", "a\nb\n\nX");
        assert_eq!(d, "diff --git a/ch/a.tex b/ch/a.tex\n--- a/ch/a.tex\n+++ b/ch/a.tex\n@@ -1,2 +1,4 @@\n a\n-b\n\\ No newline at end of file\n+b\n+\n+X\n\\ No newline at end of file\n");
        assert_eq!(unified("x", "same", "same"), "");
    }

    #[test]
    fn near_disjoint_large_files_give_a_complete_diff() {
        // The deadline bounds the search; whatever it settles on must still be a full diff.
        let old: String = (0..1000).map(|i| format!("old line {i}\n")).collect();
        let new: String = (0..1000)
            .map(|i| if i % 97 == 0 { format!("old line {i}\n") } else { format!("new line {i}\n") })
            .collect();
        let d = unified("big.tex", &old, &new);
        let removed = d.lines().filter(|l| l.starts_with('-') && !l.starts_with("---")).count();
        let added = d.lines().filter(|l| l.starts_with('+') && !l.starts_with("+++")).count();
        assert_eq!(added - removed, 0);
        assert!(added >= 1000 - 11, "{added}");
        assert_eq!(stat([(old.as_str(), new.as_str())].into_iter()).0, 1);
    }

    #[test]
    fn stat_counts_lines() {
        assert_eq!(stat([("a\n", "a\nb\n"), ("c\n", "c\n")].into_iter()), (1, 1, 0));
    }
}
