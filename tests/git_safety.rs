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
    let uid = if euid() == 0 { 12345 } else { return };
    chown_tree(&book, uid);
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
