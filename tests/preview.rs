//! `diff` previews `apply`: both show the same change, a low-confidence target is left out
//! of both with the same warning, and `--accept-low-confidence` puts it into both.

mod common;
use common::*;

const KETAMINE: &str = "Literature/treatments/ketamine";
const PACING: &str = "Literature/treatments/pacing-note";

/// The fixture book with a second guide whose only target is placed by shared words alone
/// (no section hint, no anchor): a low-confidence target.
fn book_with_low_confidence_guide() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, book) = copy_book();
    write(
        &book,
        &format!("{PACING}/integration-guide.md"),
        "# Integration Guide: pacing note\n\n## Citation Key\n`Walitt2021ketamine`\n\n\
         ### Primary Target: treatments chapter\n**File:** `chapters/ch02-treatments.tex`\n**Environment type:** observation\n\n\
         ```latex\n\\begin{observation}[Infusion Tolerance]\nInfusions were tolerated~\\cite{Walitt2021ketamine}.\n\\end{observation}\n```\n",
    );
    commit_all((dir, book))
}

/// Applies `patch` to the work tree of `book` and asserts that the work tree then equals
/// `branch`: the diff showed exactly the branch's change.
fn assert_patch_is_branch(book: &std::path::Path, patch: &str, branch: &str) {
    assert_applies(book, patch);
    let file = book.join("../preview.patch");
    std::fs::write(&file, patch).unwrap();
    git(book, &["apply", file.to_str().unwrap()]);
    assert_eq!(git(book, &["diff", branch, "--stat"]), "", "the diff is not the commit of {branch}");
    git(book, &["checkout", "-q", "--", "."]);
}

#[test]
fn diff_shows_the_change_apply_commits_and_the_target_it_leaves_out() {
    let (_d, book) = book_with_low_confidence_guide();
    let diff = tool(&book).args(["diff", KETAMINE, PACING]).output().unwrap();
    assert_eq!(diff.status.code(), Some(0), "{}", stderr(&diff));
    let patch = stdout(&diff);
    assert!(!patch.contains("Infusions were tolerated"), "the low-confidence target is left out:\n{patch}");
    assert!(patch.contains("hyp:ketamine-central-sensitization"), "{patch}");
    let apply = tool(&book).args(["apply", KETAMINE, PACING]).output().unwrap();
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    // The same warning in both, naming the flag that includes it.
    let left_out = |err: &str| -> Vec<String> {
        err.lines().filter(|l| l.starts_with("warning[placement-low-confidence]")).map(str::to_string).collect()
    };
    let (in_diff, in_apply) = (left_out(&stderr(&diff)), left_out(&stderr(&apply)));
    assert_eq!(in_diff.len(), 1, "{}", stderr(&diff));
    assert_eq!(in_diff, in_apply);
    assert!(in_diff[0].contains("left out (pass --accept-low-confidence to include it"), "{}", in_diff[0]);
    assert_patch_is_branch(&book, &patch, "integrate/ketamine-and-1-more");
}

#[test]
fn accept_low_confidence_includes_the_target_in_diff_and_apply_alike() {
    let (_d, book) = book_with_low_confidence_guide();
    let diff = tool(&book).args(["diff", "--accept-low-confidence", KETAMINE, PACING]).output().unwrap();
    assert_eq!(diff.status.code(), Some(0), "{}", stderr(&diff));
    let patch = stdout(&diff);
    assert!(patch.contains("+Infusions were tolerated~\\cite{Walitt2021ketamine}."), "{patch}");
    assert!(!stderr(&diff).contains("left out"), "{}", stderr(&diff));
    let apply = tool(&book).args(["apply", "--accept-low-confidence", KETAMINE, PACING]).output().unwrap();
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert_patch_is_branch(&book, &patch, "integrate/ketamine-and-1-more");
}

#[test]
fn a_diff_of_only_left_out_targets_is_empty_like_the_apply() {
    let (_d, book) = book_with_low_confidence_guide();
    let out = tool(&book).args(["diff", PACING]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("warning[placement-low-confidence]"), "{}", stderr(&out));
    // `plan` still shows where it would go, marked for review.
    let out = tool(&book).args(["plan", PACING]).output().unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("low confidence (") && text.contains("→ insert after chapters/ch02-treatments.tex:"),
        "{text}"
    );
}
