//! What the tool reads from disk and where it writes: only regular files inside the book
//! are read (a symlink leading out, a FIFO or a device is a finding and is not read); an
//! output file is never the git directory, a tracked file or one of the run's inputs.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{git, git_book, snapshot, stderr, stdout, tool, write};

const KETAMINE: &str = "Literature/treatments/ketamine";
const GUIDE: &str = "Literature/treatments/ketamine/integration-guide.md";

/// Long enough for any run on the fixture; a run that blocks fails instead of hanging.
const TIMEOUT: Duration = Duration::from_secs(60);

/// A guide of our own, outside the book, with a marker that must never appear in output.
const OUTSIDE_GUIDE: &str = "# Outside\n\n## Paper Citation Key\n**BibTeX key:** `Walitt2021ketamine`\n\n### Primary Target: x\n**File:** `chapters/ch02-treatments.tex`\n**Section hint:** \"NMDA Receptor Antagonists\"\n\n```latex\nMARKER-FROM-OUTSIDE~\\cite{Walitt2021ketamine}.\n```\n";

fn commit(book: &Path, message: &str) {
    git(book, &["add", "-A"]);
    git(book, &["commit", "-q", "-m", message]);
}

fn refs(book: &Path) -> String {
    git(book, &["for-each-ref"])
}

fn mkfifo(path: &Path) {
    assert!(std::process::Command::new("mkfifo").arg(path).status().unwrap().success());
}

#[test]
fn a_guide_symlinked_outside_the_book_is_a_finding_and_is_not_read() {
    let (dir, book) = git_book();
    write(dir.path(), "outside/integration-guide.md", OUTSIDE_GUIDE);
    std::fs::create_dir_all(book.join("Literature/linked")).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("outside/integration-guide.md"),
        book.join("Literature/linked/integration-guide.md"),
    )
    .unwrap();
    commit(&book, "linked guide");
    let out = tool(&book).args(["plan", "Literature/linked"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).lines().find(|l| l.contains('[')).unwrap(),
        "error[path-outside-book] Literature/linked/integration-guide.md: the file's real path is outside the book (through a symlink, or as named); it is not read"
    );
    assert!(!stdout(&out).contains("MARKER-FROM-OUTSIDE"), "{}", stdout(&out));
    let before = (snapshot(&book), refs(&book));
    let out = tool(&book).args(["apply", "Literature/linked"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!((snapshot(&book), refs(&book)), before);
    // The same for a key-findings file and a README beside a guide of the book.
    write(dir.path(), "outside/README.md", "# Outside\nMARKER-FROM-OUTSIDE\n");
    write(dir.path(), "outside/key-findings.md", "# Key findings\nMARKER-FROM-OUTSIDE\n");
    for name in ["key-findings.md", "README.md"] {
        std::fs::remove_file(book.join(KETAMINE).join(name)).unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside").join(name), book.join(KETAMINE).join(name)).unwrap();
    }
    let out = tool(&book).args(["--format", "json", "guides", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(&str, &str)> = v["guides"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["findings"].as_array().unwrap())
        .map(|f| (f["code"].as_str().unwrap(), f["path"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            ("path-outside-book", "Literature/treatments/ketamine/key-findings.md"),
            ("path-outside-book", "Literature/treatments/ketamine/README.md"),
        ],
        "{v}"
    );
    assert!(!v.to_string().contains("MARKER-FROM-OUTSIDE"), "{v}");
}

#[test]
fn a_literature_folder_symlinked_outside_is_not_read_and_no_path_is_absolute() {
    let (dir, book) = git_book();
    write(dir.path(), "outside/integration-guide.md", OUTSIDE_GUIDE);
    write(dir.path(), "outside/key-findings.md", "# Key findings\nMARKER-FROM-OUTSIDE\n");
    write(dir.path(), "outside/new.bib", "@article{Outside2020, title = {MARKER-FROM-OUTSIDE}}\n");
    std::os::unix::fs::symlink(dir.path().join("outside"), book.join("Literature/linked")).unwrap();
    commit(&book, "linked folder");
    let out = tool(&book).args(["--format", "json", "plan", "Literature/linked"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let g = &v["guides"][0];
    assert_eq!(g["guide"], "Literature/linked/integration-guide.md");
    let codes: Vec<&str> = g["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["path-outside-book"]);
    assert!(!v.to_string().contains("MARKER-FROM-OUTSIDE"), "{v}");
    assert!(!v.to_string().contains(&dir.path().to_string_lossy().to_string()), "an absolute path: {v}");
    // A guide named on the command line outside the book shows as its way there.
    let out = tool(&book).args(["--format", "json", "plan", "../outside"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["guides"][0]["guide"], "../outside/integration-guide.md");
    assert!(!v.to_string().contains("MARKER-FROM-OUTSIDE"), "{v}");
}

#[test]
fn a_folder_bib_symlinked_outside_is_not_appended_to_the_bibliography() {
    let (dir, book) = git_book();
    write(dir.path(), "outside.bib", "@article{Outside2020, title = {MARKER-FROM-OUTSIDE}}\n");
    std::os::unix::fs::symlink(dir.path().join("outside.bib"), book.join(KETAMINE).join("new.bib")).unwrap();
    commit(&book, "linked bib");
    let before = (snapshot(&book), refs(&book));
    let out = tool(&book).args(["apply", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("error[path-outside-book] {KETAMINE}/new.bib: the file's real path is outside")),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!((snapshot(&book), refs(&book)), before);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("outside.bib")).unwrap(),
        "@article{Outside2020, title = {MARKER-FROM-OUTSIDE}}\n"
    );
}

#[test]
fn check_changed_since_never_echoes_a_guide_linked_to_proc() {
    let (_d, book) = git_book();
    std::fs::create_dir_all(book.join("Literature/environ")).unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", book.join("Literature/environ/integration-guide.md")).unwrap();
    commit(&book, "environ");
    let out = tool(&book)
        .env("CI_SECRET_FOR_TEST", "MARKER-SECRET-VALUE")
        .args(["check", "--changed-since", "HEAD~1"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out) + &stderr(&out);
    assert!(text.contains("error[path-outside-book] Literature/environ/integration-guide.md"), "{text}");
    assert!(!text.contains("MARKER-SECRET-VALUE") && !text.contains("CI_SECRET_FOR_TEST"), "{text}");
    // A guide committed as a symlink to a device is reported too, not dropped.
    std::fs::create_dir_all(book.join("Literature/zero")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", book.join("Literature/zero/integration-guide.md")).unwrap();
    commit(&book, "zero");
    let out = tool(&book).args(["check", "--changed-since", "HEAD~1"]).timeout(TIMEOUT).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("error[path-outside-book] Literature/zero/integration-guide.md"), "{}", stdout(&out));
}

#[test]
fn a_bib_linked_to_dev_zero_or_a_fifo_is_refused_without_blocking() {
    let (_d, book) = git_book();
    std::os::unix::fs::symlink("/dev/zero", book.join(KETAMINE).join("zero.bib")).unwrap();
    commit(&book, "zero");
    let out = tool(&book).args(["check", KETAMINE]).timeout(TIMEOUT).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("error[path-outside-book] {KETAMINE}/zero.bib")), "{}", stdout(&out));
    std::fs::remove_file(book.join(KETAMINE).join("zero.bib")).unwrap();
    // git cannot commit a FIFO: it sits in the work tree beside the guide.
    mkfifo(&book.join(KETAMINE).join("pipe.bib"));
    let out = tool(&book).args(["plan", KETAMINE]).timeout(TIMEOUT).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!(
            "error[file-not-regular] {KETAMINE}/pipe.bib: the file is not a regular file but a FIFO; it is not read"
        )),
        "{}",
        stdout(&out)
    );
    // A FIFO as the guide itself, named on the command line.
    std::fs::remove_file(book.join(KETAMINE).join("pipe.bib")).unwrap();
    mkfifo(&book.join("Literature/pipe-integration-guide.md"));
    let out = tool(&book).args(["plan", "Literature/pipe-integration-guide.md"]).timeout(TIMEOUT).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("error[file-not-regular] Literature/pipe-integration-guide.md"), "{}", stdout(&out));
}

#[test]
fn a_fifo_in_place_of_a_snapshot_part_is_skipped() {
    let (_d, book) = git_book();
    let first = tool(&book).args(["diff", KETAMINE]).output().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let dir = book.join(".git/chapter-integrator");
    let mut parts: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    parts.sort();
    assert!(parts.iter().any(|p| p.extension().is_some_and(|x| x == "texts")), "{parts:?}");
    for p in &parts {
        std::fs::remove_file(p).unwrap();
        mkfifo(p);
    }
    let again = tool(&book).args(["diff", KETAMINE]).timeout(TIMEOUT).output().unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(stdout(&again), stdout(&first));
}

#[test]
fn a_config_or_rules_folder_symlinked_outside_is_a_finding_and_is_not_read() {
    let (dir, book) = git_book();
    write(dir.path(), "outside.toml", "[branch]\nprefix = \"outside/\"\n");
    std::fs::remove_file(book.join("chapter-integrator.toml")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("outside.toml"), book.join("chapter-integrator.toml")).unwrap();
    commit(&book, "linked config");
    let before = (snapshot(&book), refs(&book));
    let out = tool(&book).args(["apply", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!((snapshot(&book), refs(&book)), before);
    let out = tool(&book).args(["check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("error[path-outside-book] chapter-integrator.toml: the file's real path is outside"),
        "{}",
        stdout(&out)
    );
    // The same run again, now from the snapshot, says the same.
    let again = tool(&book).args(["check"]).output().unwrap();
    assert_eq!(stdout(&again), stdout(&out));

    let (dir, book) = git_book();
    write(dir.path(), "rules/scoring.toml", "[place]\ntop = 1\n");
    std::os::unix::fs::symlink(dir.path().join("rules"), book.join("rules")).unwrap();
    commit(&book, "linked rules");
    let out = tool(&book).args(["check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("error[path-outside-book] rules: the file's real path is outside"),
        "{}",
        stdout(&out)
    );
    // One rules file linked out of a rules folder of the book.
    std::fs::remove_file(book.join("rules")).unwrap();
    std::fs::create_dir_all(book.join("rules")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("rules/scoring.toml"), book.join("rules/scoring.toml")).unwrap();
    commit(&book, "linked rules file");
    let out = tool(&book).args(["check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("error[path-outside-book] rules/scoring.toml: the file's real path is outside"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn outputs_are_never_the_git_dir_tracked_files_or_inputs() {
    let (_d, book) = git_book();
    // An untracked guide is an input too.
    write(&book, "Literature/untracked/integration-guide.md", &std::fs::read_to_string(book.join(GUIDE)).unwrap());
    std::os::unix::fs::symlink(".git/HEAD", book.join("link.patch")).unwrap();
    let before = (snapshot(&book), refs(&book));
    let cases = [
        (".git/HEAD", "is inside the repository's git directory"),
        (".git/index", "is inside the repository's git directory"),
        (".git/config", "is inside the repository's git directory"),
        (".git/refs/heads/main", "is inside the repository's git directory"),
        ("link.patch", "is inside the repository's git directory"),
        ("chapters/ch02-treatments.tex", "is a file tracked by the repository"),
        ("main.tex", "is a file tracked by the repository"),
        ("Literature/untracked/integration-guide.md", "is one of this run's input files"),
    ];
    for (path, why) in cases {
        for args in
            [["diff", "Literature/untracked", "--output", path], ["apply", "Literature/untracked", "--summary", path]]
        {
            let out = tool(&book).args(args).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
            assert_eq!(stderr(&out), format!("error: {path}: {why}; it was not written\n"), "{args:?}");
            assert_eq!((snapshot(&book), refs(&book)), before, "{args:?}");
        }
    }
    // Outside git, the book's own files are the run's inputs.
    let (_d, book) = common::copy_book();
    let main = std::fs::read(book.join("main.tex")).unwrap();
    let out = tool(&book).args(["diff", KETAMINE, "--output", "main.tex"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), "error: main.tex: is one of this run's input files; it was not written\n");
    assert_eq!(std::fs::read(book.join("main.tex")).unwrap(), main);
}

#[test]
fn diff_output_with_nothing_to_write_leaves_the_file_alone() {
    let (_d, book) = git_book();
    assert_eq!(tool(&book).args(["apply", KETAMINE]).output().unwrap().status.code(), Some(0));
    write(&book, "mine.patch", "my own notes\n");
    let out = tool(&book)
        .args(["--base", "integrate/ketamine", "diff", KETAMINE, "--output", "mine.patch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).ends_with(
            "nothing to write: every target is already applied or has nothing to insert; mine.patch was not written\n"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(book.join("mine.patch")).unwrap(), "my own notes\n");
}
#[test]
fn init_never_writes_through_a_symlink() {
    let (dir, book) = git_book();
    std::fs::remove_file(book.join("chapter-integrator.toml")).unwrap();
    let outside = dir.path().join("created-outside.toml");
    std::os::unix::fs::symlink(&outside, book.join("chapter-integrator.toml")).unwrap();
    commit(&book, "dangling config link");
    let before = (snapshot(&book), refs(&book));
    for args in [&["--book", ".", "init"][..], &["--book", ".", "init", "--force"]] {
        let out = tool(&book).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out)
                .ends_with("chapter-integrator.toml is a symlink; it is not written through (remove it first)\n"),
            "{}",
            stderr(&out)
        );
        assert!(!outside.exists(), "{args:?} wrote outside the repository");
        assert_eq!((snapshot(&book), refs(&book)), before);
    }
}
