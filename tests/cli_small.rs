//! The smaller things a new user hit (issue #22, item 11): a chapter file passed as a guide,
//! `diff --format github`, `diff -o`'s confirmation, a bad `--base`, the man pages the main
//! page refers to, compact `--help`, and README's account of resolution methods.

mod common;

use common::*;

const KETAMINE: &str = "Literature/treatments/ketamine";

#[test]
fn a_chapter_file_passed_as_a_guide_is_refused() {
    let (_d, book) = git_book();
    for (path, what) in [
        ("chapters/ch02-treatments.tex", "a chapter file"),
        ("typst/ch04-symptom-management.typ", "a chapter file"),
        ("references.bib", "a bibliography file"),
    ] {
        let out = tool(&book).args(["plan", path]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{path}");
        let err = stderr(&out);
        assert!(err.contains(&format!("{path}: {what}")), "{err}");
        assert!(err.contains("pass a guide") || err.contains("pass the guide"), "{err}");
        assert!(out.stdout.is_empty());
    }
    // A chapter of a Markdown book is a Markdown file, and no guide either.
    write(&book, "notes/intro.md", "# Introduction\n\nText.\n");
    let config = std::fs::read_to_string(book.join("chapter-integrator.toml")).unwrap();
    let config = config.replace("roots = [\"main.tex\", \"typst/book.typ\"]", "roots = [\"notes/intro.md\"]");
    std::fs::write(book.join("chapter-integrator.toml"), config).unwrap();
    git(&book, &["add", "-A"]);
    git(&book, &["commit", "-qm", "markdown"]);
    let out = tool(&book).args(["plan", "notes/intro.md"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("notes/intro.md: a chapter file of the book, not an integration guide"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn diff_in_github_format_annotates_findings_and_keeps_the_patch_plain() {
    let (_d, book) = git_book_with_a_target_without_content();
    let out = tool(&book).args(["diff", "--format", "github", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "::warning file=Literature/treatments/ketamine/integration-guide.md,line=42,title=snippet-missing::"
        ),
        "{err}"
    );
    assert!(!err.contains("warning[snippet-missing]"), "{err}");
    let patch = stdout(&out);
    assert!(patch.starts_with("diff --git "), "{patch}");
    assert!(!patch.contains("::warning"), "{patch}");
    assert_applies(&book, &patch);
}

#[test]
fn diff_output_confirms_what_it_wrote() {
    let (dir, book) = git_book_with_a_target_without_content();
    let file = dir.path().join("ketamine.patch");
    let out = tool(&book).args(["diff", KETAMINE, "-o"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let patch = std::fs::read_to_string(&file).unwrap();
    let files = patch.matches("diff --git ").count();
    assert_eq!(files, 2, "{patch}");
    assert!(stderr(&out).contains(&format!("wrote {}: 2 file(s) changed, ", file.display())), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let quiet = tool(&book).args(["diff", "-q", KETAMINE, "-o"]).arg(dir.path().join("q.patch")).output().unwrap();
    assert!(!stderr(&quiet).contains("wrote "), "{}", stderr(&quiet));
}

#[test]
fn a_bad_base_is_a_clear_message() {
    let (_d, book) = git_book();
    let out = tool(&book).args(["plan", "--base", "no-such-branch", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("--base no-such-branch: is no branch, tag or commit in the repository at "), "{err}");
    assert!(!err.contains("class=") && !err.contains("code=NotFound"), "a raw git error: {err}");
    let out = tool(&book).args(["plan", "--base", "HEAD^{tree}", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--base HEAD^{tree}: names a tree, not a commit"), "{}", stderr(&out));
    let out = tool(&book).args(["check", "--changed-since", "nowhere"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--changed-since nowhere: is no branch, tag or commit"), "{}", stderr(&out));
}

#[test]
fn every_page_the_man_page_refers_to_is_generated() {
    let here = std::path::Path::new(".");
    let main = stdout(&tool(here).arg("man").output().unwrap());
    let refs: Vec<String> = regex::Regex::new(r"chapter\\-integrator\\-([a-z]+)\(1\)")
        .unwrap()
        .captures_iter(&main)
        .map(|c| c[1].to_string())
        .collect();
    assert!(refs.len() >= 9, "{main}");
    for name in &refs {
        let out = tool(here).args(["man", name]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}");
        let page = stdout(&out);
        assert!(page.contains(&format!(".TH chapter-integrator-{name} 1")), "{page}");
        assert!(page.contains(".SH SYNOPSIS") && page.contains(".SH DESCRIPTION"), "{page}");
    }
    // The list of pages is every command.
    let listed: std::collections::BTreeSet<&str> = chapter_integrator::cli::MAN_PAGES.iter().copied().collect();
    let referred: std::collections::BTreeSet<&str> = refs.iter().map(String::as_str).collect();
    assert_eq!(listed, referred);
    let out = tool(here).args(["man", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn each_command_help_keeps_the_global_options_short_under_their_heading() {
    let here = std::path::Path::new(".");
    for cmd in chapter_integrator::cli::MAN_PAGES.iter().filter(|c| **c != "help") {
        let text = stdout(&tool(here).args([cmd, "--help"]).output().unwrap());
        let (own, global) = text.split_once("\nGlobal options:\n").unwrap_or_else(|| panic!("{cmd}: {text}"));
        assert!(own.contains("Usage: chapter-integrator "), "{cmd}: {text}");
        // One line per global option: --book, --base, --format, --color, --fail-on, -q, -v.
        assert_eq!(global.lines().filter(|l| !l.is_empty()).count(), 7, "{cmd}: {global}");
        assert!(text.lines().count() <= 30, "{cmd}: {} lines\n{text}", text.lines().count());
    }
}

#[test]
fn readme_explains_every_resolution_method() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for method in ["exact", "live-edition", "moved", "slug", "directory", "fuzzy"] {
        assert!(readme.contains(&format!("| `{method}` |")), "README does not explain `{method}`");
    }
    assert!(readme.contains("no root document includes"), "live-edition is not explained");
}
