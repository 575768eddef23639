//! The tool never changes the user's work tree, index or HEAD; it commits only to a branch
//! that is not checked out; it keeps file modes, line endings, BOMs and missing final
//! newlines; it reads nothing outside the book; it writes nothing on error.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{git, git_book, snapshot, stderr, stdout, tool};

const KETAMINE: &str = "Literature/treatments/ketamine";
const NMDA: &str = "chapters/ch02/sec-nmda-antagonists.tex";

#[test]
fn no_command_touches_work_tree_index_or_head() {
    let (_d, book) = git_book();
    // The user's own work in progress: a staged new file and an unstaged edit.
    std::fs::write(book.join("notes.txt"), "mine\n").unwrap();
    git(&book, &["add", "notes.txt"]);
    let ch = book.join("chapters/ch01-introduction.tex");
    let edited = std::fs::read_to_string(&ch).unwrap() + "Local unstaged edit.\n";
    std::fs::write(&ch, edited).unwrap();
    let status = git(&book, &["status", "--porcelain"]);
    assert_eq!(status, " M chapters/ch01-introduction.tex\nA  notes.txt\n");
    let before = snapshot(&book);
    let runs: [&[&str]; 7] = [
        &["plan", KETAMINE],
        &["plan", "--format", "json", KETAMINE],
        &["diff", KETAMINE],
        &["check"],
        &["check", "--diff"],
        &["apply", KETAMINE],
        &["apply", KETAMINE, "--force"],
    ];
    for args in runs {
        let out = tool(&book).args(args).output().unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}: {}", stderr(&out));
        assert_eq!(snapshot(&book), before, "{args:?} changed the work tree, index or HEAD");
    }
    assert_eq!(git(&book, &["status", "--porcelain"]), status);
    // The commit holds the base blob plus the insertion, never the user's edits.
    let changed = git(&book, &["diff", "--name-only", "main", "integrate/ketamine"]);
    assert!(!changed.contains("ch01-introduction") && !changed.contains("notes.txt"), "{changed}");
}

#[test]
fn detached_head_gives_a_branch_from_that_commit() {
    let (_d, book) = git_book();
    let first = git(&book, &["rev-parse", "HEAD"]).trim().to_string();
    std::fs::write(book.join("later.txt"), "x\n").unwrap();
    git(&book, &["add", "later.txt"]);
    git(&book, &["commit", "-q", "-m", "later"]);
    git(&book, &["checkout", "-q", "--detach", &first]);
    let main_before = git(&book, &["rev-parse", "main"]);
    let out = tool(&book).args(["apply", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(git(&book, &["rev-parse", "integrate/ketamine~1"]).trim(), first);
    assert_eq!(git(&book, &["rev-parse", "HEAD"]).trim(), first);
    assert_eq!(std::fs::read_to_string(book.join(".git/HEAD")).unwrap().trim(), first);
    assert_eq!(git(&book, &["rev-parse", "main"]), main_before);
}

#[test]
fn unborn_head_is_a_clear_error_that_writes_nothing() {
    let (_d, book) = common::copy_book();
    git(&book, &["init", "-q", "-b", "main"]);
    let out = tool(&book).args(["apply", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("has no commits yet"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(book.join(".git/HEAD")).unwrap(), "ref: refs/heads/main\n");
    assert!(!book.join(".git/refs/heads/main").exists());
    assert!(!book.join(".git/refs/heads/integrate").exists());
    assert!(!book.join(".git/index").exists());
    // Planning still works from the files on disk.
    let out = tool(&book).args(["diff", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn executable_mode_is_kept_in_the_commit() {
    let (_d, book) = git_book();
    let p = book.join(NMDA);
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    git(&book, &["add", NMDA]);
    git(&book, &["commit", "-q", "-m", "exec"]);
    assert_eq!(tool(&book).args(["apply", KETAMINE]).output().unwrap().status.code(), Some(0));
    let entry = git(&book, &["ls-tree", "integrate/ketamine", NMDA]);
    assert!(entry.starts_with("100755 blob"), "{entry}");
}

#[test]
fn branch_updates_are_compare_and_swap() {
    let (_d, book) = git_book();
    let repo = git2::Repository::open(&book).unwrap();
    let head = repo.head().unwrap().target().unwrap();
    let name = "refs/heads/integrate/x";
    assert!(chapter_integrator::git::update_branch(&repo, name, head, None, "t").unwrap());
    // A second creator loses: the ref exists now.
    assert!(!chapter_integrator::git::update_branch(&repo, name, head, None, "t").unwrap());
    // An update expecting another old tip loses too, and the ref keeps its value.
    let first_parent = git(&book, &["rev-parse", "HEAD"]);
    assert!(!chapter_integrator::git::update_branch(&repo, name, head, Some(git2::Oid::zero()), "t").unwrap());
    assert_eq!(git(&book, &["rev-parse", "integrate/x"]), first_parent);
}

#[test]
fn crlf_from_gitattributes_is_not_a_whole_file_change() {
    let (_d, book) = git_book();
    std::fs::write(book.join(".gitattributes"), "*.tex text eol=crlf\n*.typ text eol=crlf\n").unwrap();
    git(&book, &["add", ".gitattributes"]);
    git(&book, &["commit", "-q", "-m", "eol"]);
    // Check the files out again so the work tree has CRLF.
    std::fs::remove_file(book.join(NMDA)).unwrap();
    git(&book, &["checkout", "--", NMDA]);
    assert!(std::fs::read_to_string(book.join(NMDA)).unwrap().contains("\r\n"));
    let out = tool(&book).args(["diff", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!stderr(&out).contains("worktree-differs"), "{}", stderr(&out));
    let patch = stdout(&out);
    assert_eq!(patch.lines().filter(|l| l.starts_with('-') && !l.starts_with("---")).count(), 0, "{patch}");
    assert!(!patch.contains('\r'));
    assert_eq!(tool(&book).args(["apply", KETAMINE]).output().unwrap().status.code(), Some(0));
    let stat = git(&book, &["diff", "--numstat", "main", "integrate/ketamine"]);
    assert_eq!(
        stat,
        "5\t0\tchapters/ch02/sec-nmda-antagonists.tex\n7\t0\ttypst/ch03-mechanisms/sec-01-neuroinflammation.typ\n"
    );
}

#[test]
fn crlf_bom_and_missing_final_newline_are_kept() {
    let (_d, book) = git_book();
    let p = book.join(NMDA);
    let text = std::fs::read_to_string(&p).unwrap();
    let crlf = format!("\u{feff}{}", text.trim_end().replace('\n', "\r\n"));
    std::fs::write(&p, &crlf).unwrap();
    git(&book, &["add", NMDA]);
    git(&book, &["commit", "-q", "-m", "crlf"]);
    assert_eq!(tool(&book).args(["apply", KETAMINE]).output().unwrap().status.code(), Some(0));
    let new = git(&book, &["show", &format!("integrate/ketamine:{NMDA}")]);
    assert!(new.starts_with('\u{feff}'));
    assert!(!new.ends_with('\n'));
    assert_eq!(new.matches('\n').count(), new.matches("\r\n").count(), "a bare LF was written");
    assert!(new.contains("\\label{hyp:ketamine-central-sensitization}\r\n"));
}

#[test]
fn symlinked_chapters_are_edited_at_their_target_and_links_out_are_refused() {
    let (dir, book) = git_book();
    let real = "chapters/ch02/sec-nmda-antagonists.tex";
    // The chapter includes a link; the link points at the real section file.
    std::fs::rename(book.join(real), book.join("chapters/ch02/real-nmda.tex")).unwrap();
    std::os::unix::fs::symlink("real-nmda.tex", book.join(real)).unwrap();
    std::fs::write(dir.path().join("outside.tex"), "\\section{Outside}\n").unwrap();
    std::os::unix::fs::symlink("../../outside.tex", book.join("chapters/escape.tex")).unwrap();
    git(&book, &["add", "-A"]);
    git(&book, &["commit", "-q", "-m", "links"]);
    let out = tool(&book).args(["diff", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("diff --git a/chapters/ch02/real-nmda.tex b/chapters/ch02/real-nmda.tex"),
        "{}",
        stdout(&out)
    );
    let out = tool(&book).args(["check", "-v"]).output().unwrap();
    let text = stdout(&out);
    assert!(text.contains("warning[path-outside-book] chapters/escape.tex: symlink points outside the book"), "{text}");
    assert!(!text.contains("Outside"), "{text}");
}

#[test]
fn worktree_edits_are_reported_and_not_used() {
    let (_d, book) = git_book();
    let p = book.join(NMDA);
    std::fs::write(&p, std::fs::read_to_string(&p).unwrap() + "User edit.\n").unwrap();
    let out = tool(&book).args(["diff", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains(&format!("warning[worktree-differs] {NMDA}")), "{}", stderr(&out));
    assert!(!stdout(&out).contains("User edit."));
}

#[test]
fn non_utf8_chapters_are_reported_not_crashed_on() {
    let (_d, book) = git_book();
    std::fs::write(book.join("chapters/latin1.tex"), b"\\section{Caf\xe9}\n").unwrap();
    git(&book, &["add", "-A"]);
    git(&book, &["commit", "-q", "-m", "latin1"]);
    let out = tool(&book).args(["check", "-v"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("warning[file-not-utf8] chapters/latin1.tex"), "{}", stdout(&out));
}

#[test]
fn nothing_is_written_on_error() {
    let (_d, book) = git_book();
    let guide = book.join("Literature/treatments/ketamine/integration-guide.md");
    let text = std::fs::read_to_string(&guide).unwrap().replace("`Walitt2021ketamine`", "`Nobody1999`");
    std::fs::write(&guide, text).unwrap();
    let out = tool(&book).args(["apply", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nothing was written"), "{}", stderr(&out));
    assert_eq!(git(&book, &["branch", "--list", "integrate/*"]), "");
    let patch = book.join("../k.patch");
    let out = tool(&book).args(["diff", KETAMINE, "--output", "../k.patch"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!patch.exists());
}

#[test]
fn odd_inputs_give_findings_not_crashes() {
    let (_d, book) = git_book();
    // A deeply nested Typst chapter, an empty one, and a .bib entry cut off mid-character.
    let deep = format!("= Deep\n== Z\n{}x{}\n", "#strong[".repeat(20000), "]".repeat(20000));
    std::fs::write(book.join("typst/deep.typ"), deep).unwrap();
    std::fs::write(book.join("typst/empty.typ"), "").unwrap();
    let bib = std::fs::read_to_string(book.join("references.bib")).unwrap() + "@article{Cut2021, title = {caf\u{e9}";
    std::fs::write(book.join("references.bib"), bib).unwrap();
    let dir = book.join("Literature/odd");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("integration-guide.md"),
        "# G\n## Paper Citation Key\n**BibTeX key:** `Younger2014ldn`\n### Primary Target: e\n**File:** `typst/empty.typ`\n```typst\n#observation[Pilot data @Younger2014ldn.]\n```\n### Secondary Target: d\n**File:** `typst/deep.typ`\n```latex\n\\begin{observation}\nx~\\cite{Younger2014ldn}\n",
    )
    .unwrap();
    git(&book, &["add", "-A"]);
    git(&book, &["commit", "-q", "-m", "odd"]);
    let out = tool(&book).args(["plan", "Literature/odd"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    // The unclosed fence is an error, so nothing is inserted from it.
    assert!(text.contains("error[snippet-fence-unclosed] Literature/odd/integration-guide.md:11"), "{text}");
    assert!(text.contains("→ insert after typst/empty.typ:0"), "{text}");
    let out = tool(&book).args(["check"]).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let out = tool(&book).args(["diff", "Literature/odd"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("+#observation[Pilot data @Younger2014ldn.]"), "{}", stdout(&out));
}

#[test]
fn non_chapter_and_empty_file_hints_are_errors() {
    let (_d, book) = git_book();
    let dir = book.join("Literature/bad-hints");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("integration-guide.md"),
        "# G\n## Paper Citation Key\n**BibTeX key:** `Younger2014ldn`\n### Primary Target: a\n**File:** `Literature/treatments/ketamine/key-findings.md`\n### Secondary Target: b\n**File:** ``\n",
    )
    .unwrap();
    let out = tool(&book).args(["plan", "Literature/bad-hints"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("error[target-not-chapter] Literature/bad-hints/integration-guide.md:4"), "{text}");
    assert!(!text.contains("target-resolved-loosely"), "{text}");
}

#[test]
fn config_paths_outside_the_book_are_refused() {
    let (dir, book) = common::copy_book();
    std::fs::write(dir.path().join("outside.bib"), "@article{Outside2020, title={x}}\n").unwrap();
    std::fs::write(dir.path().join("outside.tex"), "\\documentclass{book}\n\\chapter{Outside}\n").unwrap();
    std::fs::write(
        book.join("chapter-integrator.toml"),
        "[book]\nroots = [\"../outside.tex\", \"main.tex\"]\nbibliography = [\"../outside.bib\", \"references.bib\"]\n",
    )
    .unwrap();
    let out = tool(&book).args(["check", "-v"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("error[root-missing] chapter-integrator.toml: root document `../outside.tex`"), "{text}");
    assert!(
        text.contains("error[bib-file-missing] chapter-integrator.toml: bibliography file `../outside.bib`"),
        "{text}"
    );
    let out = tool(&book).args(["plan", "--format", "json", KETAMINE]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v.to_string().contains("Outside"), "something outside the book was read");
}

#[test]
fn the_base_text_is_the_committed_blob_even_when_the_work_tree_copy_looks_clean() {
    // A committed-but-different work-tree copy: the blob is normalised to LF by the
    // attributes, the work tree keeps CRLF, and git's stat data says "unchanged".
    let (_d, book) = common::git_book();
    // In a subfolder of the book, where only the tree walk sees it.
    std::fs::write(book.join("chapters/.gitattributes"), "*.tex text\n").unwrap();
    for rel in ["chapters/ch02-treatments.tex", "chapters/ch02/sec-nmda-antagonists.tex"] {
        let path = book.join(rel);
        let crlf = std::fs::read_to_string(&path).unwrap().replace('\n', "\r\n");
        std::fs::write(&path, crlf).unwrap();
        // Older than the index: git's stat test trusts the file (not "racily clean").
        let past = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(past).unwrap();
    }
    common::git(&book, &["add", "-A"]);
    common::git(&book, &["commit", "-q", "-m", "attributes"]);
    let blob = common::git(&book, &["show", "HEAD:chapters/ch02/sec-nmda-antagonists.tex"]);
    assert!(!blob.contains('\r'));
    let out = common::tool(&book).args(["diff", "Literature/treatments/ketamine"]).output().unwrap();
    let patch = common::stdout(&out);
    assert!(patch.contains("+++ b/chapters/ch02/sec-nmda-antagonists.tex"), "{patch}");
    // Context lines come from the blob: no carriage returns.
    assert!(!patch.contains('\r'), "{patch}");
}

#[test]
fn an_uncommitted_same_size_edit_with_its_old_time_is_not_planned_against() {
    let (_d, book) = common::git_book();
    let path = book.join("chapters/ch02/sec-nmda-antagonists.tex");
    let past = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(past).unwrap();
    // The index records the old time (as after a checkout long ago).
    common::git(&book, &["update-index", "--refresh"]);
    // Same size, same modification time: only the status-change time tells.
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen("NMDA", "XXXX", 1);
    assert_eq!(edited.len(), text.len());
    std::fs::write(&path, &edited).unwrap();
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(past).unwrap();
    let out = common::tool(&book).args(["diff", "Literature/treatments/ketamine"]).output().unwrap();
    let patch = common::stdout(&out);
    assert!(patch.contains("+++ b/chapters/ch02/sec-nmda-antagonists.tex"), "{patch}");
    assert!(!patch.contains("XXXX"), "{patch}");
    // And the user is told the work-tree copy differs.
    assert!(common::stderr(&out).contains("worktree-differs"), "{}", common::stderr(&out));
}
