//! Shared helpers: a fresh git copy of the fixture book per test, with a fixed identity.

#![allow(dead_code)] // reason: each test binary uses a different subset of the helpers

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Fixed commit time for reproducible commit ids (2024-01-01T00:00:00Z).
pub const EPOCH: &str = "1704067200";

/// Copies `fixtures/book` into a new temp dir.
pub fn copy_book() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("book");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/book"), &dest);
    (dir, dest)
}

/// Copies the fixture book and commits it to a new git repository (branch `main`).
pub fn git_book() -> (tempfile::TempDir, PathBuf) {
    commit_all(copy_book())
}

/// Leaves the ketamine guide's tertiary target without an environment type (the line stays,
/// empty, so line numbers hold): it has no snippet and nothing to draft from, so it gets
/// `snippet-missing` (a warning), the fixture's target without content.
pub fn without_drafted_target(book: &Path) {
    let guide = book.join("Literature/treatments/ketamine/integration-guide.md");
    let text = std::fs::read_to_string(&guide).unwrap();
    assert!(text.contains("**Environment type:** warning\n"), "the fixture's tertiary target names its environment");
    std::fs::write(&guide, text.replace("**Environment type:** warning\n", "\n")).unwrap();
}

/// The fixture book, committed, its ketamine tertiary target without content
/// ([`without_drafted_target`]).
pub fn git_book_with_a_target_without_content() -> (tempfile::TempDir, PathBuf) {
    let (dir, book) = copy_book();
    without_drafted_target(&book);
    commit_all((dir, book))
}

/// The fixture book with the guide families, committed (see [`git_book`]).
pub fn git_book_with_families() -> (tempfile::TempDir, PathBuf) {
    commit_all(book_with_families())
}

pub fn commit_all((dir, book): (tempfile::TempDir, PathBuf)) -> (tempfile::TempDir, PathBuf) {
    git(&book, &["init", "-q", "-b", "main"]);
    git(&book, &["config", "user.name", "Test Author"]);
    git(&book, &["config", "user.email", "test@example.invalid"]);
    git(&book, &["add", "-A"]);
    git(&book, &["commit", "-q", "-m", "book"]);
    (dir, book)
}

/// Runs git in `dir` with a fixed date; panics on failure; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The tool as a command, run from `dir`, never coloured, with a fixed commit time.
pub fn tool(dir: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("chapter-integrator").unwrap();
    cmd.current_dir(dir).env("SOURCE_DATE_EPOCH", EPOCH).env("NO_COLOR", "1").env_remove("GITHUB_STEP_SUMMARY");
    cmd
}

/// Stdout of a finished command as text.
pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Stderr of a finished command as text.
pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// Copies the fixture book with the guide-family fixtures in `Literature/families`.
pub fn book_with_families() -> (tempfile::TempDir, PathBuf) {
    let (dir, book) = copy_book();
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/guide-families"), &book.join("Literature/families"));
    (dir, book)
}

/// Writes `text` to `root/rel`, creating folders.
pub fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Asserts that `patch` applies to the work tree of `book` (`git apply --check`).
pub fn assert_applies(book: &Path, patch: &str) {
    use std::io::Write;
    let mut apply = Command::new("git")
        .args(["apply", "--check", "-"])
        .current_dir(book)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    apply.stdin.take().unwrap().write_all(patch.as_bytes()).unwrap();
    assert!(apply.wait().unwrap().success(), "the patch does not apply:\n{patch}");
}

/// Every byte git and the user could see under `root` (a repository's work tree, or the
/// temp dir holding it and what lies beside it): HEAD, index, config, every ref and reflog
/// and every other file with its mode; the tool's own branches (`integrate/...`) aside. The
/// object store (new objects change nothing anyone sees) and the tool's book snapshots
/// (`.git/chapter-integrator/`, `.git/worktrees/*/chapter-integrator/`: a cache git
/// ignores) are not the user's.
pub fn snapshot(root: &Path) -> BTreeMap<String, (u32, Vec<u8>)> {
    snapshot_except(root, &["integrate"])
}

/// [`snapshot`] with only the branches `changing` (names below `refs/heads/`, or folders of
/// them) left out: every other branch, the tool's included, is compared.
pub fn snapshot_except(root: &Path, changing: &[&str]) -> BTreeMap<String, (u32, Vec<u8>)> {
    let skipped = |rel: &str| {
        let in_git = |tail: &str| rel.ends_with(tail) && (rel == tail || rel.ends_with(&format!("/{tail}")));
        in_git(".git/objects")
            || in_git(".git/chapter-integrator")
            || (rel.contains(".git/worktrees/") && rel.ends_with("/chapter-integrator"))
            || changing.iter().any(|b| {
                let b = b.trim_end_matches('/');
                [format!(".git/refs/heads/{b}"), format!(".git/logs/refs/heads/{b}")].iter().any(|p| in_git(p))
            })
    };
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().to_string();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if skipped(&rel) {
                continue;
            }
            if meta.is_dir() {
                out.insert(format!("{rel}/"), (meta.permissions().mode(), Vec::new()));
                stack.push(p);
            } else if meta.file_type().is_symlink() {
                out.insert(rel, (0, std::fs::read_link(&p).unwrap().to_string_lossy().as_bytes().to_vec()));
            } else {
                // A FIFO or device is recorded by its mode alone: reading it could block.
                let bytes = if meta.is_file() { std::fs::read(&p).unwrap() } else { Vec::new() };
                out.insert(rel, (meta.permissions().mode(), bytes));
            }
        }
    }
    out
}

/// Asserts two [`snapshot`]s are equal, naming the paths that differ rather than printing
/// every byte.
pub fn assert_same(before: &BTreeMap<String, (u32, Vec<u8>)>, after: &BTreeMap<String, (u32, Vec<u8>)>, what: &str) {
    let differ: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(differ.is_empty(), "{what} changed {differ:?}");
}

/// How the compile tests run the Typst compiler: the `typst` Python package (the compiler
/// itself, bound to Python; `.ci/run` installs the pinned version). Exit 0: compiled; 3: the
/// compiler's error, printed as its message and trace; anything else: no compiler.
const TYPST_COMPILE: &str = r#"
import sys
try:
    import typst
except ImportError as e:
    print(f"the Python package `typst` is not installed: {e}", file=sys.stderr)
    sys.exit(2)
try:
    typst.compile(sys.argv[1], root=sys.argv[2], format="pdf")
except typst.TypstError as e:
    print(e.message, *e.hints, *e.trace, sep="\n")
    sys.exit(3)
"#;

/// Compiles the Typst document `main` (a path relative to `root`, the project root the
/// compiler may read in) with the real Typst compiler: `Ok(())`, or `Err` with the
/// compiler's first error, its hints and trace, one a line. Panics when there is no
/// compiler: a compile test never passes without compiling (`.ci/run` installs it with
/// `pip install typst`).
pub fn typst_compile(root: &Path, main: &str) -> Result<(), String> {
    let out =
        Command::new("python3").args(["-c", TYPST_COMPILE, main, "."]).current_dir(root).output().unwrap_or_else(|e| {
            panic!("the compile tests need python3 with the `typst` package (.ci/run installs it): {e}")
        });
    match out.status.code() {
        Some(0) => Ok(()),
        Some(3) => Err(String::from_utf8_lossy(&out.stdout).into_owned()),
        _ => panic!(
            "the Typst compiler did not run on {main} (`pip install typst`; .ci/run installs it): {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The tree of `rev` in `repo` written out into a new temp dir (what a commit holds, not
/// the work tree).
pub fn export_tree(repo: &Path, rev: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let archive = Command::new("git").args(["archive", "--format=tar", rev]).current_dir(repo).output().unwrap();
    assert!(archive.status.success(), "git archive {rev}: {}", String::from_utf8_lossy(&archive.stderr));
    let tar = std::io::Cursor::new(archive.stdout);
    let mut untar =
        Command::new("tar").args(["-x", "-C"]).arg(dir.path()).stdin(std::process::Stdio::piped()).spawn().unwrap();
    std::io::copy(&mut tar.clone(), untar.stdin.as_mut().unwrap()).unwrap();
    drop(untar.stdin.take());
    assert!(untar.wait().unwrap().success(), "tar -x of {rev}");
    dir
}

/// Runs `python3 bench/SCRIPT ARGS...` from the repository root; panics unless it succeeds;
/// its stdout as JSON (the bench scripts' `tests/fit.rs`, `tests/selfsup.rs` form).
pub fn bench_json(script: &str, args: &[&str]) -> serde_json::Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("bench").join(script))
        .args(args)
        .current_dir(root)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}
