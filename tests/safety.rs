//! The tool never changes the user's work tree, index or HEAD; it commits only to a branch
//! that is not checked out; it keeps file modes, line endings, BOMs and missing final
//! newlines; it reads nothing outside the book; it writes nothing on error.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

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
        "5\t0\tchapters/ch02/sec-nmda-antagonists.tex\n7\t0\ttypst/ch03-mechanisms/sec-01-neuroinflammation.typ\n7\t0\ttypst/ch04-symptom-management.typ\n"
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
    assert!(
        text.contains("warning[symlink-outside-book] chapters/escape.tex: symlink points outside the book"),
        "{text}"
    );
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
    // An empty file's only spot scores low: `diff`, like `apply`, leaves it out unless accepted.
    let out = tool(&book).args(["diff", "Literature/odd"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!stdout(&out).contains("Pilot data"), "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("warning[placement-low-confidence]"), "{}", stderr(&out));
    let out = tool(&book).args(["diff", "--accept-low-confidence", "Literature/odd"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("+#observation[Pilot data @Younger2014ldn.]"), "{}{}", stdout(&out), stderr(&out));
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
    // A configuration error stops every command before anything is printed (status 2).
    for args in [&["check", "-v"][..], &["plan", "--format", "json", KETAMINE][..]] {
        let out = tool(&book).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {}", stdout(&out));
        let err = stderr(&out);
        assert!(err.contains("line 2: [book] roots: `../outside.tex` is not a chapter file of the book"), "{err}");
        assert!(err.contains("line 3: [book] bibliography: `../outside.bib` is not a .bib file of the book"), "{err}");
        assert!(!err.contains("Outside2020"), "something outside the book was read: {err}");
    }
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

/// An `apply` that also rewrites a literature folder's README status line (a file that is
/// not a chapter) returns, and its commit holds the README, the bibliography entry and the
/// snippet. It used to wait forever on the repository handle it still held.
#[test]
fn apply_that_updates_a_readme_status_line_returns() {
    let (_d, book) = common::git_book_with_families();
    let before = snapshot(&book);
    let out = tool(&book)
        .args(["apply", "Literature/families/bib-supplied"])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("branch integrate/bib-supplied\n"), "{}", stdout(&out));
    assert_eq!(snapshot(&book), before);
    let changed = git(&book, &["diff", "--name-only", "main", "integrate/bib-supplied"]);
    assert_eq!(
        changed,
        "Literature/families/bib-supplied/README.md\nreferences.bib\ntypst/ch04-symptom-management.typ\n"
    );
    let readme = git(&book, &["show", "integrate/bib-supplied:Literature/families/bib-supplied/README.md"]);
    assert!(!readme.contains("**References.bib entries:** Pending"), "{readme}");
}

/// `check` and `status` over ten guides finish when standard error is a terminal (the
/// progress bar draws from the threads that plan the guides); run under a pseudo-terminal
/// by `script`, which gives the tool a terminal on stdin, stdout and stderr.
#[test]
fn check_and_status_under_a_terminal_finish() {
    let (_d, book) = common::git_book_with_families();
    let bin = assert_cmd::cargo::cargo_bin("chapter-integrator");
    let guides = chapter_integrator::book::find_guides(&book).unwrap().len();
    assert!(guides >= 10, "the pseudo-terminal test needs ten guides or more, the book has {guides}");
    for (command, last_line) in [("check", format!("checked {guides} guide(s): ")), ("status", "total".to_string())] {
        let shell = format!("'{}' --color never {command}", bin.display());
        let out = assert_cmd::Command::new("script")
            .args(["-qec", &shell, "/dev/null"])
            .current_dir(&book)
            .env("SOURCE_DATE_EPOCH", common::EPOCH)
            .env("TERM", "xterm")
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .unwrap();
        let text = stdout(&out);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{command} under a terminal: {:?}\n{text}", out.status);
        // The progress bar was drawn: the run took the terminal's path.
        assert!(text.contains(&format!("/{guides} ")), "{command}: no progress bar drawn:\n{text}");
        assert!(text.contains(&last_line), "{command}: no closing line `{last_line}`:\n{text}");
    }
}

/// Every ref of the repository with its target (`git for-each-ref`), but `except`.
fn refs_but(root: &Path, except: &str) -> String {
    let all = git(root, &["for-each-ref", "--format=%(refname) %(objectname)"]);
    all.lines().filter(|l| l.split(' ').next() != Some(except)).map(|l| format!("{l}\n")).collect()
}

#[test]
fn two_guides_supplying_the_same_missing_entry_append_it_once() {
    let (_d, book) = common::git_book_with_families();
    let supplied = std::fs::read_to_string(book.join("Literature/families/bib-supplied/refs.bib")).unwrap();
    let guide = |file: &str, section: &str, snippet: &str| {
        format!("# G\n\n**BibTeX key:** `Haldorsen2025teens`\n\n### Primary Target: t\n**File:** `{file}`\n**Section hint:** \"{section}\"\n\n{snippet}\n")
    };
    common::write(&book, "Literature/dup-a/refs.bib", &supplied);
    common::write(
        &book,
        "Literature/dup-a/integration-guide.md",
        &guide(
            "typst/ch04-symptom-management.typ",
            "Sleep",
            "```typst\n#observation(title: [Evenings])[\n  Standing up is harder in the evening @Haldorsen2025teens.\n] <obs:dup-a-evenings>\n```",
        ),
    );
    common::write(&book, "Literature/dup-b/refs.bib", &supplied);
    common::write(
        &book,
        "Literature/dup-b/integration-guide.md",
        &guide(
            "chapters/ch02-treatments.tex",
            "Pacing and Energy Management",
            "```latex\nEvening plans may need more rest~\\cite{Haldorsen2025teens}.\n```",
        ),
    );
    git(&book, &["add", "-A"]);
    git(&book, &["commit", "-q", "-m", "two guides"]);
    let before = common::snapshot_except(&book, &["ci"]);
    let refs = refs_but(&book, "refs/heads/ci/dup");
    let out = tool(&book)
        .args(["apply", "--branch", "ci/dup", "--accept-low-confidence", "Literature/dup-a", "Literature/dup-b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(common::snapshot_except(&book, &["ci"]), before);
    assert_eq!(refs_but(&book, "refs/heads/ci/dup"), refs);
    let bib = git(&book, &["show", "ci/dup:references.bib"]);
    assert_eq!(bib.matches("@article{Haldorsen2025teens,").count(), 1, "{bib}");
    // One commit per guide; the entry goes in with the first and is not added again.
    assert_eq!(git(&book, &["rev-list", "--count", "main..ci/dup"]), "2\n");
    let first = git(&book, &["diff", "--name-only", "ci/dup~2", "ci/dup~1"]);
    let second = git(&book, &["diff", "--name-only", "ci/dup~1", "ci/dup"]);
    assert_eq!(first, "references.bib\ntypst/ch04-symptom-management.typ\n");
    assert_eq!(second, "chapters/ch02-treatments.tex\n");
    // `diff` of both shows the entry once too.
    let out = tool(&book).args(["diff", "Literature/dup-a", "Literature/dup-b"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).matches("+@article{Haldorsen2025teens,").count(), 1, "{}", stdout(&out));
}

#[test]
fn a_target_inside_a_git_submodule_is_a_finding_naming_it_and_nothing_stands_in() {
    let (_d, book) = git_book();
    // A submodule at `vendor/extra` holding a file named like one of the book's chapters:
    // without the check the target would be "moved" to typst/ch03-mechanisms/.
    let sub = book.join("vendor/extra");
    std::fs::create_dir_all(&sub).unwrap();
    git(&sub, &["init", "-q", "-b", "main"]);
    common::write(&sub, "ch03-mechanisms.typ", "= Someone else's chapter\n");
    git(&sub, &["add", "-A"]);
    git(&sub, &["-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "sub"]);
    common::write(&book, ".gitmodules", "[submodule \"vendor/extra\"]\n\tpath = vendor/extra\n\turl = ./extra\n");
    common::write(
        &book,
        "Literature/sub/integration-guide.md",
        "# G\n\n**BibTeX key:** `Younger2014ldn`\n\n### Primary Target: t\n**File:** `vendor/extra/ch03-mechanisms.typ`\n**Section hint:** \"Neuroinflammation\"\n\n```typst\nLow doses calm glial cells @Younger2014ldn.\n```\n",
    );
    git(&book, &["add", "-A"]);
    git(&book, &["commit", "-q", "-m", "submodule"]);
    assert!(git(&book, &["ls-tree", "HEAD", "vendor/extra"]).starts_with("160000 commit "));
    let before = snapshot(&book);
    let refs = git(&book, &["for-each-ref"]);
    let out = tool(&book).args(["plan", "--format", "json", "Literature/sub"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &doc["guides"][0]["targets"][0];
    assert_eq!(t["resolved"], serde_json::Value::Null, "{t}");
    assert_eq!(t["status"], "skipped");
    assert_eq!(t["candidates"], serde_json::json!([]), "{t}");
    let codes: Vec<&str> = t["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["target-in-submodule"], "{t}");
    assert_eq!(
        t["findings"][0]["message"],
        "primary target `vendor/extra/ch03-mechanisms.typ` is inside the git submodule `vendor/extra`; its files belong to another repository and are not edited"
    );
    // The submodule folder itself is no target either.
    let guide = std::fs::read_to_string(book.join("Literature/sub/integration-guide.md")).unwrap();
    common::write(&book, "Literature/sub/integration-guide.md", &guide.replace("/ch03-mechanisms.typ", ""));
    let out = tool(&book).args(["plan", "Literature/sub"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("error[target-in-submodule] Literature/sub/integration-guide.md:5: primary target `vendor/extra` is inside the git submodule `vendor/extra`"),
        "{}",
        stdout(&out)
    );
    common::write(&book, "Literature/sub/integration-guide.md", &guide);
    let out = tool(&book).args(["apply", "--branch", "ci/sub", "Literature/sub"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing was written"), "{}", stderr(&out));
    assert_eq!(snapshot(&book), before);
    assert_eq!(git(&book, &["for-each-ref"]), refs);
}

#[test]
fn a_typst_file_nested_thousands_deep_is_a_finding_not_an_abort() {
    let (_d, book) = git_book();
    // Each form nests 5,000 levels on line 4: calls, operator chains, strong/emph.
    let forms = [
        format!("{}x{}", "#strong[".repeat(5000), "]".repeat(5000)),
        format!("#let a = {}1", "-".repeat(5000)),
        format!("{}x{}", "_*".repeat(5000), "*_".repeat(5000)),
    ];
    for (i, form) in forms.iter().enumerate() {
        common::write(&book, &format!("typst/deep{i}.typ"), &format!("= Deep\n\n== Part\n{form}\n"));
    }
    git(&book, &["add", "-A"]);
    git(&book, &["commit", "-q", "-m", "deep"]);
    let expected = |i: usize| {
        serde_json::json!({
            "code": "nesting-too-deep", "severity": "warning", "path": format!("typst/deep{i}.typ"), "line": 4,
            "message": "the Typst markup nests deeper than 256 levels here; the file is not parsed: only its headings are read, and nothing is inserted inside it",
            "help": "flatten the nesting (split the construct, or generate it with a loop)",
        })
    };
    for i in 0..forms.len() {
        let file = format!("typst/deep{i}.typ");
        let out = tool(&book).args(["outline", "--format", "json", &file, "--book", "."]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["files"][0]["findings"], serde_json::json!([expected(i)]));
        // Its headings, by a line scan.
        let titles: Vec<(&str, u64)> = doc["files"][0]["headings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h["title"].as_str().unwrap(), h["line"].as_u64().unwrap()))
            .collect();
        assert_eq!(titles, [("Deep", 1), ("Part", 3)]);
    }
    let out = tool(&book).args(["check", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let deep: Vec<&serde_json::Value> =
        doc["book_findings"].as_array().unwrap().iter().filter(|f| f["code"] == "nesting-too-deep").collect();
    assert_eq!(deep, (0..forms.len()).map(expected).collect::<Vec<_>>().iter().collect::<Vec<_>>());
    // The rest of the book is still worked on: a guide applies, and only its branch moves.
    let before = common::snapshot_except(&book, &["ci"]);
    let refs = refs_but(&book, "refs/heads/ci/k");
    let out = tool(&book).args(["apply", "--branch", "ci/k", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(common::snapshot_except(&book, &["ci"]), before);
    assert_eq!(refs_but(&book, "refs/heads/ci/k"), refs);
    assert_eq!(
        git(&book, &["diff", "--name-only", "main", "ci/k"]),
        format!("{NMDA}\ntypst/ch03-mechanisms/sec-01-neuroinflammation.typ\ntypst/ch04-symptom-management.typ\n")
    );
    // A guide's Typst snippet nested as deep is not parsed either: an error, nothing inserted.
    common::write(
        &book,
        "Literature/deep/integration-guide.md",
        &format!(
            "# G\n\n**BibTeX key:** `Younger2014ldn`\n\n### Primary Target: t\n**File:** `typst/ch04-symptom-management.typ`\n**Section hint:** \"Sleep\"\n\n```typst\n#observation[\n{}x @Younger2014ldn.{}\n]\n```\n",
            "#emph[".repeat(3000),
            "]".repeat(3000)
        ),
    );
    let out = tool(&book).args(["plan", "Literature/deep"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("error[snippet-unbalanced] Literature/deep/integration-guide.md:9: the rendered snippet is not valid: the guide's Typst snippet does not parse: the markup nests deeper than 256 levels (line 2 of the snippet)"), "{}", stdout(&out));
}
