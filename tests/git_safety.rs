//! The user's branch, index and work tree never change, whatever state the repository is
//! in: a branch in use (checked out through symbolic refs, being rebased or bisected) is
//! refused; a repository git cannot open, an unusable identity, a stale ref lock or an
//! unwritable reflog is git's error (status 2) and nothing of the user's changes.

mod common;

use std::path::Path;
use std::process::Command;

use common::{assert_same, git, git_book, snapshot, snapshot_except, stderr, stdout, tool};

const KETAMINE: &str = "Literature/treatments/ketamine";

/// Runs the tool in `book` with `args`, asserting its exit status and that nothing under
/// `dir` (the repository and what lies beside it) changed but the branches `changing`;
/// returns stderr.
fn run_unchanged(dir: &Path, book: &Path, args: &[&str], status: i32, changing: &[&str]) -> String {
    let before = snapshot_except(dir, changing);
    let out = tool(book).args(args).timeout(std::time::Duration::from_secs(60)).output().unwrap();
    assert_eq!(out.status.code(), Some(status), "{args:?}: {}{}", stdout(&out), stderr(&out));
    assert_same(&before, &snapshot_except(dir, changing), &format!("{args:?}"));
    stderr(&out)
}

/// Runs git, returning whether it succeeded (for commands that stop on purpose).
fn git_may_fail(dir: &Path, args: &[&str]) -> bool {
    Command::new("git").args(args).current_dir(dir).output().unwrap().status.success()
}

#[test]
fn a_branch_checked_out_through_a_symbolic_ref_is_refused() {
    let (d, book) = git_book();
    git(&book, &["symbolic-ref", "refs/heads/master", "refs/heads/main"]);
    git(&book, &["symbolic-ref", "HEAD", "refs/heads/master"]);
    let err = run_unchanged(d.path(), &book, &["apply", KETAMINE, "--branch", "main", "--force"], 1, &[]);
    assert_eq!(
        err.lines().last().unwrap(),
        "error[branch-refused] branch `main` is checked out; the tool never writes to a branch in use"
    );
    let err = run_unchanged(d.path(), &book, &["apply", KETAMINE, "--branch", "master", "--force"], 1, &[]);
    assert_eq!(
        err.lines().last().unwrap(),
        "error[branch-refused] branch `master` is checked out; the tool never writes to a branch in use"
    );
    assert_eq!(git(&book, &["symbolic-ref", "--no-recurse", "HEAD"]), "refs/heads/master\n");
}

#[test]
fn a_symbolic_branch_ref_is_never_written_through() {
    let (d, book) = git_book();
    git(&book, &["branch", "target"]);
    git(&book, &["symbolic-ref", "refs/heads/alias", "refs/heads/target"]);
    let err = run_unchanged(d.path(), &book, &["apply", KETAMINE, "--branch", "alias", "--force"], 1, &[]);
    assert_eq!(
        err.lines().last().unwrap(),
        "error[branch-refused] branch `alias` is a symbolic ref (to `refs/heads/target`); the tool never writes through one"
    );
}

#[test]
fn a_branch_being_rebased_is_refused_and_the_rebase_can_finish() {
    let (d, book) = git_book();
    assert_eq!(tool(&book).args(["apply", KETAMINE]).output().unwrap().status.code(), Some(0));
    git(&book, &["checkout", "-q", "integrate/ketamine"]);
    // The user's rebase stops at its `exec false` step, HEAD detached.
    assert!(!git_may_fail(&book, &["rebase", "-q", "--force-rebase", "--exec", "false", "main"]));
    assert!(book.join(".git/rebase-merge/head-name").exists());
    let err = run_unchanged(d.path(), &book, &["apply", KETAMINE, "--base", "main", "--force"], 1, &[]);
    assert_eq!(
        err.lines().last().unwrap(),
        "error[branch-refused] branch `integrate/ketamine` is being rebased; the tool never writes to a branch in use"
    );
    git(&book, &["rebase", "--continue"]);
    assert_eq!(git(&book, &["symbolic-ref", "HEAD"]), "refs/heads/integrate/ketamine\n");
}

#[test]
fn a_branch_bisected_in_another_work_tree_is_refused() {
    let (d, book) = git_book();
    assert_eq!(tool(&book).args(["apply", KETAMINE]).output().unwrap().status.code(), Some(0));
    let other = d.path().join("wt2");
    git(&book, &["worktree", "add", "-q", other.to_str().unwrap(), "integrate/ketamine"]);
    git(&other, &["bisect", "start"]);
    git(&other, &["checkout", "-q", "--detach", "main"]);
    let err = run_unchanged(d.path(), &book, &["apply", KETAMINE, "--force"], 1, &[]);
    assert_eq!(
        err.lines().last().unwrap(),
        format!(
            "error[branch-refused] branch `integrate/ketamine` is being bisected in the work tree at {}; \
             the tool never writes to a branch in use",
            other.canonicalize().unwrap().display()
        )
    );
}

#[test]
fn a_repository_git_cannot_open_is_an_error_naming_why() {
    let (d, book) = git_book();
    std::fs::write(book.join(".git/config"), "[core\n\tbare = false\n").unwrap();
    for args in [&["plan", KETAMINE][..], &["diff", KETAMINE], &["check"]] {
        let err = run_unchanged(d.path(), &book, args, 2, &[]);
        assert!(err.starts_with("error: git: cannot open the git repository holding "), "{args:?}: {err}");
        assert!(err.contains("failed to parse config file"), "{args:?}: {err}");
    }
}

#[test]
fn a_repository_of_dubious_ownership_is_an_error_naming_why() {
    let (d, book) = git_book();
    // Owned by another user than the one running the tool: git refuses to open it.
    // Giving the repository to another user needs root, as CI and this workplace run; the
    // test says so rather than passing without checking anything.
    assert_eq!(euid(), 0, "this test chowns the repository to another user: run it as root");
    chown_tree(&book, 12345);
    for args in [&["plan", KETAMINE][..], &["diff", KETAMINE], &["check"]] {
        let err = run_unchanged(d.path(), &book, args, 2, &[]);
        assert!(err.starts_with("error: git: cannot open the git repository holding "), "{args:?}: {err}");
        assert!(err.contains("not owned by current user"), "{args:?}: {err}");
    }
}

#[test]
fn an_identity_git_cannot_write_is_an_error_and_writes_nothing() {
    for (name, what) in [("Ann\nOther", "holds a line break"), ("Ann <a@b>", "holds `<` or `>`"), ("  ", "is empty")] {
        let (d, book) = git_book();
        git(&book, &["config", "user.name", name]);
        let objects = count_objects(&book);
        let err = run_unchanged(d.path(), &book, &["apply", KETAMINE], 2, &[]);
        assert_eq!(
            err.lines().last().unwrap(),
            format!(
                "error: git's user.name {name:?} {what} and cannot be written into a commit; nothing was written. \
                 Set it with `git config user.name ...`"
            )
        );
        assert_eq!(count_objects(&book), objects, "objects were written");
        assert!(git_may_fail(&book, &["fsck", "--no-progress"]));
    }
}

#[test]
fn a_stale_ref_lock_is_git_error_naming_the_lock() {
    let (d, book) = git_book();
    std::fs::create_dir_all(book.join(".git/refs/heads/integrate")).unwrap();
    std::fs::write(book.join(".git/refs/heads/integrate/ketamine.lock"), "").unwrap();
    let err = run_unchanged(d.path(), &book, &["apply", KETAMINE], 2, &[]);
    let lock = book.canonicalize().unwrap().join(".git/refs/heads/integrate/ketamine.lock");
    assert_eq!(
        err.lines().last().unwrap(),
        format!(
            "error: git: cannot update refs/heads/integrate/ketamine (locked by another git process; if none is \
             running, delete the stale lock): failed to lock file '{}' for writing: ; class=Os (2); code=Locked (-14)",
            lock.display()
        )
    );
}

#[test]
fn an_unwritable_reflog_is_git_error_naming_the_path() {
    let (d, book) = git_book();
    // A file where the reflog's folder must go: git cannot write the branch's reflog.
    std::fs::write(book.join(".git/logs/refs/heads/integrate"), "").unwrap();
    let err = run_unchanged(d.path(), &book, &["apply", KETAMINE], 2, &[]);
    let log = book.canonicalize().unwrap().join(".git/logs/refs/heads/integrate/ketamine");
    assert_eq!(
        err.lines().last().unwrap(),
        format!(
            "error: git: cannot update refs/heads/integrate/ketamine: could not open '{}' for writing: Not a \
             directory; class=Os (2)",
            log.display()
        )
    );
}

#[test]
fn a_branch_whose_folder_is_a_branch_is_refused_by_name() {
    let (d, book) = git_book();
    git(&book, &["branch", "integrate"]);
    let err = run_unchanged(d.path(), &book, &["apply", KETAMINE], 1, &[]);
    assert_eq!(
        err.lines().last().unwrap(),
        "error[branch-refused] branch `integrate/ketamine` cannot be created: a ref with a clashing name exists \
         (`refs/heads/integrate`; git keeps refs as files and folders)"
    );
}

/// The number of loose objects and packs in `book`'s repository.
fn count_objects(book: &Path) -> String {
    git(book, &["count-objects"])
}

/// The effective user id of this process (from `/proc`, avoiding a libc dependency).
fn euid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

/// Gives every file under `dir` to `uid` (`chown -R`).
fn chown_tree(dir: &Path, uid: u32) {
    let out = Command::new("chown").args(["-R", &uid.to_string()]).arg(dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_snapshot_sees_other_branches() {
    let (d, book) = git_book();
    let before = snapshot(d.path());
    git(&book, &["branch", "other"]);
    assert_ne!(snapshot(d.path()), before);
}

const NMDA: &str = "chapters/ch02/sec-nmda-antagonists.tex";

/// Checks `NMDA` out again so the work tree has what the attributes in effect make of it.
fn check_out_again(worktree: &Path, path: &str) {
    std::fs::remove_file(worktree.join(path)).unwrap();
    git(worktree, &["checkout", "--", path]);
    assert!(std::fs::read_to_string(worktree.join(path)).unwrap().contains("\r\n"), "{path} has no CRLF");
    // An older modification time, recorded in the index: the file is clean by git's test
    // (not "racily clean", which would make the tool read the blob anyway).
    let file = std::fs::File::options().write(true).open(worktree.join(path)).unwrap();
    file.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000)).unwrap();
    git(worktree, &["update-index", "--refresh"]);
}

/// `diff` and the commit of `apply` (run in `book`) change the same lines: the patch's added
/// and removed lines per file are the commit's `--numstat`, and only the insertions (5 lines
/// in `NMDA`, 7 in the Typst section) with no carriage return added.
fn assert_diff_and_commit_agree(dir: &Path, book: &Path) {
    let before = snapshot(dir);
    let out = tool(book).args(["diff", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("worktree-differs"), "{}", stderr(&out));
    let patch = stdout(&out);
    assert!(!patch.contains('\r'), "{patch}");
    let mut counted = String::new();
    for file in patch.split("diff --git ").skip(1) {
        let path = file.lines().find_map(|l| l.strip_prefix("+++ b/")).unwrap();
        let added = file.lines().filter(|l| l.starts_with('+') && !l.starts_with("+++")).count();
        let removed = file.lines().filter(|l| l.starts_with('-') && !l.starts_with("---")).count();
        counted.push_str(&format!("{added}\t{removed}\t{path}\n"));
    }
    let prefix = git(book, &["rev-parse", "--show-prefix"]).trim_end().to_string();
    let nmda = format!("{prefix}{NMDA}");
    let typ = format!("{prefix}typst/ch03-mechanisms/sec-01-neuroinflammation.typ");
    let warning = format!("{prefix}typst/ch04-symptom-management.typ");
    assert_eq!(counted, format!("5\t0\t{nmda}\n7\t0\t{typ}\n7\t0\t{warning}\n"));
    let out = tool(book).args(["apply", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_same(&before, &snapshot(dir), "diff and apply");
    assert_eq!(git(book, &["diff", "--numstat", "HEAD", "integrate/ketamine"]), counted);
}

#[test]
fn core_attributes_file_line_endings_are_not_a_whole_file_change() {
    let (d, book) = git_book();
    let attributes = d.path().join("attributes");
    std::fs::write(&attributes, "*.tex text eol=crlf\n").unwrap();
    git(&book, &["config", "core.attributesFile", attributes.to_str().unwrap()]);
    check_out_again(&book, NMDA);
    assert_diff_and_commit_agree(d.path(), &book);
}

#[test]
fn nested_gitattributes_line_endings_are_not_a_whole_file_change() {
    let (d, book) = git_book();
    // Not committed (so not in the base tree): git applies it on checkout all the same.
    std::fs::write(book.join("chapters/ch02/.gitattributes"), "*.tex text eol=crlf\n").unwrap();
    check_out_again(&book, NMDA);
    assert_diff_and_commit_agree(d.path(), &book);
}

#[test]
fn gitattributes_above_a_book_folder_are_git_own() {
    // The book is a folder of the repository; the attributes file sits at its root.
    let (d, book) = common::copy_book();
    let repo = d.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    std::fs::rename(&book, repo.join("book")).unwrap();
    let book = repo.join("book");
    std::fs::write(repo.join(".gitattributes"), "book/chapters/**/*.tex text eol=crlf\n").unwrap();
    common::commit_all((tempfile::tempdir().unwrap(), repo.clone()));
    check_out_again(&repo, &format!("book/{NMDA}"));
    assert_diff_and_commit_agree(d.path(), &book);
}

#[test]
fn a_linked_work_tree_shared_attributes_are_git_own() {
    let (d, book) = git_book();
    let other = d.path().join("wt2");
    git(&book, &["worktree", "add", "-q", "--detach", other.to_str().unwrap(), "main"]);
    // The repository's own attributes, shared by every work tree.
    std::fs::create_dir_all(book.join(".git/info")).unwrap();
    std::fs::write(book.join(".git/info/attributes"), "*.tex text eol=crlf\n").unwrap();
    check_out_again(&other, NMDA);
    assert_diff_and_commit_agree(d.path(), &other);
}

#[test]
fn a_nul_byte_in_a_snippet_is_an_error_and_nothing_is_inserted() {
    let (d, book) = git_book();
    let guide = book.join(KETAMINE).join("integration-guide.md");
    let text = std::fs::read_to_string(&guide).unwrap();
    let text = text.replacen("has eased pain", "has eased\0pain", 1);
    std::fs::write(&guide, text).unwrap();
    git(&book, &["commit", "-q", "-am", "guide with a NUL byte"]);
    let nul = "error[text-nul] Literature/treatments/ketamine/integration-guide.md:19: the primary target's snippet \
               holds a NUL byte; inserted into chapters/ch02/sec-nmda-antagonists.tex it would make the file binary, \
               so nothing is inserted";
    let err = run_unchanged(d.path(), &book, &["diff", KETAMINE], 1, &[]);
    assert!(err.contains(nul), "{err}");
    let err = run_unchanged(d.path(), &book, &["apply", KETAMINE], 1, &[]);
    assert!(err.contains(nul), "{err}");
    assert!(err.ends_with("nothing was written: fix the errors above first\n"), "{err}");
    assert_eq!(git(&book, &["branch", "--list", "integrate/*"]), "");
}

#[test]
fn a_nul_byte_in_a_supplied_bibliography_entry_is_an_error_and_nothing_is_written() {
    let (d, book) = common::git_book_with_families();
    let rel = "Literature/families/batch/EXERTION_INTEGRATION_GUIDE.md";
    let text = std::fs::read_to_string(book.join(rel)).unwrap();
    std::fs::write(book.join(rel), text.replacen("Daily Activity", "Daily\0Activity", 1)).unwrap();
    git(&book, &["commit", "-q", "-am", "entry with a NUL byte"]);
    let err = run_unchanged(d.path(), &book, &["apply", rel], 1, &[]);
    assert!(
        err.contains(&format!(
            "error[text-nul] {rel}: the bibliography entry `Lindahl2024diary` it supplies holds a NUL byte; \
             inserted into references.bib it would make the file binary, so nothing is inserted"
        )),
        "{err}"
    );
    assert!(err.ends_with("nothing was written: fix the errors above first\n"), "{err}");
}

/// A copy of the ketamine guide in `Literature/treatments/<folder>`, its snippet labels
/// suffixed with `tag` so that it inserts text of its own; committed.
fn ketamine_copy(book: &Path, folder: &str, tag: &str) -> String {
    let rel = format!("Literature/treatments/{folder}");
    let text = std::fs::read_to_string(book.join(KETAMINE).join("integration-guide.md")).unwrap();
    let text = text
        .replace("hyp:ketamine-central-sensitization", &format!("hyp:ketamine-{tag}"))
        .replace("obs:ketamine-microglia", &format!("obs:ketamine-{tag}"));
    common::write(book, &format!("{rel}/integration-guide.md"), &text);
    git(book, &["add", "-A"]);
    git(book, &["commit", "-q", "-m", &format!("guide {folder}")]);
    rel
}

#[test]
fn folders_differing_in_non_ascii_letters_get_their_own_branches() {
    let (_d, book) = git_book();
    let a = ketamine_copy(&book, "Studie_Müde", "a");
    let b = ketamine_copy(&book, "Studie_Möde", "b");
    let c = ketamine_copy(&book, "Усталость", "c");
    for rel in [&a, &b, &c] {
        let out = tool(&book).args(["apply", rel]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{rel}: {}", stderr(&out));
    }
    assert_eq!(
        git(&book, &["for-each-ref", "--format=%(refname)", "refs/heads/integrate"]),
        "refs/heads/integrate/studie-möde\nrefs/heads/integrate/studie-müde\nrefs/heads/integrate/усталость\n"
    );
}

#[test]
fn force_replaces_only_commits_made_for_the_same_guide() {
    let (d, book) = git_book();
    let a = ketamine_copy(&book, "Fatigue Study", "a");
    let b = ketamine_copy(&book, "fatigue-study", "b");
    assert_eq!(tool(&book).args(["apply", &a]).output().unwrap().status.code(), Some(0));
    let tip = git(&book, &["rev-parse", "integrate/fatigue-study"]);
    for args in [&["apply", &b][..], &["apply", &b, "--force"]] {
        let err = run_unchanged(d.path(), &book, args, 1, &[]);
        assert_eq!(
            err.lines().last().unwrap(),
            format!(
                "error[branch-refused] branch `integrate/fatigue-study` has commit {} made by chapter-integrator \
                 for another guide ({a}/integration-guide.md); it is only rebuilt for that guide: pass --branch NAME",
                &tip[..12]
            )
        );
    }
    // The guide it was made for still rebuilds it.
    let out = tool(&book).args(["apply", &a, "--force"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn guides_of_one_run_with_one_slug_get_distinct_slugs() {
    let (_d, book) = git_book();
    let a = ketamine_copy(&book, "Fatigue Study", "a");
    let b = ketamine_copy(&book, "fatigue-study", "b");
    let c = ketamine_copy(&book, "fatigue-study-2", "c");
    let out = tool(&book).args(["plan", "--format", "json", &b, &c, &a]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let slugs: Vec<(&str, &str)> = doc["guides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["guide"].as_str().unwrap(), g["slug"].as_str().unwrap()))
        .collect();
    let guide = |rel: &str| format!("{rel}/integration-guide.md");
    assert_eq!(
        slugs,
        vec![
            (guide(&b).as_str(), "fatigue-study-3"),
            (guide(&c).as_str(), "fatigue-study-2"),
            (guide(&a).as_str(), "fatigue-study"),
        ]
    );
}

#[test]
fn a_branch_a_rebase_will_move_is_refused() {
    let (d, book) = git_book();
    assert_eq!(tool(&book).args(["apply", KETAMINE]).output().unwrap().status.code(), Some(0));
    git(&book, &["checkout", "-q", "-b", "topic", "integrate/ketamine"]);
    common::write(&book, "notes.txt", "mine\n");
    git(&book, &["add", "notes.txt"]);
    git(&book, &["commit", "-q", "-m", "my notes"]);
    // The rebase of `topic` stops after its first step; it will move `integrate/ketamine`.
    assert!(!git_may_fail(&book, &["rebase", "-q", "--force-rebase", "--update-refs", "--exec", "false", "main"]));
    assert!(book.join(".git/rebase-merge/update-refs").exists());
    let err = run_unchanged(d.path(), &book, &["apply", KETAMINE, "--base", "main", "--force"], 1, &[]);
    assert_eq!(
        err.lines().last().unwrap(),
        "error[branch-refused] branch `integrate/ketamine` is to be moved by a rebase --update-refs; the tool never \
         writes to a branch in use"
    );
}
