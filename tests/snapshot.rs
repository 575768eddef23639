//! Book snapshots (`.git/chapter-integrator/`): a run on a commit the last run read gives the
//! same output from the snapshot; a new commit, an edited configuration or a damaged snapshot
//! starts afresh; `CHAPTER_INTEGRATOR_NO_SNAPSHOT=1` writes none.

mod common;

use std::path::{Path, PathBuf};

use common::{git, git_book, git_book_with_families, stderr, stdout, tool};

const KETAMINE: &str = "Literature/treatments/ketamine";
const NMDA: &str = "chapters/ch02/sec-nmda-antagonists.tex";

/// Runs the tool with phase timings on; returns (stdout, whether the book came from a
/// snapshot).
fn run(book: &Path, args: &[&str]) -> (String, bool) {
    let out = tool(book).env("CHAPTER_INTEGRATOR_TIMINGS", "1").args(args).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}: {}", stderr(&out));
    (stdout(&out), stderr(&out).contains("timing: book from snapshot"))
}

/// Runs again: the run must read the snapshot and print `expected`.
fn again_from_snapshot(book: &Path, args: &[&str], expected: &str) {
    let (again, from_snapshot) = run(book, args);
    assert!(from_snapshot, "{args:?}: the run did not read the snapshot");
    assert_eq!(again, expected, "{args:?}");
}

/// The same run with snapshots off: the reference output.
fn fresh(book: &Path, args: &[&str]) -> String {
    let out = tool(book).env("CHAPTER_INTEGRATOR_NO_SNAPSHOT", "1").args(args).output().unwrap();
    stdout(&out)
}

fn snapshots(book: &Path) -> Vec<PathBuf> {
    let dir = book.join(".git/chapter-integrator");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

#[test]
fn a_second_run_reads_the_snapshot_and_says_the_same() {
    let (_d, book) = git_book();
    for args in [&["check", "--format", "json"][..], &["plan", "--format", "json", KETAMINE][..]] {
        let reference = fresh(&book, args);
        let (first, _) = run(&book, args);
        let (second, from_snapshot) = run(&book, args);
        assert!(from_snapshot, "{args:?}: the second run did not read the snapshot");
        assert_eq!(first, reference, "{args:?}");
        assert_eq!(second, reference, "{args:?}");
    }
    // One snapshot per book, its texts, the outlines kept across commits and the section
    // indexes placement built beside it (a check of a few guides builds no term table).
    assert_eq!(extensions(&book), ["across-outline", "sections", "snapshot", "texts"]);
}

fn extensions(book: &Path) -> Vec<String> {
    snapshots(book).iter().map(|f| f.extension().unwrap().to_string_lossy().into()).collect()
}

#[test]
fn a_whole_book_check_keeps_its_term_table_beside_the_snapshot() {
    let (_d, book) = git_book_with_families();
    let args = ["check", "--format", "json"];
    let reference = fresh(&book, &args);
    assert_eq!(run(&book, &args).0, reference);
    assert_eq!(extensions(&book), ["across-outline", "sections", "snapshot", "terms", "texts"]);
    // The next check reads the section indexes; with them, it needs no term table.
    let out = tool(&book).env("CHAPTER_INTEGRATOR_TIMINGS", "1").args(args).output().unwrap();
    assert!(stderr(&out).contains("timing: read snapshot sections"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("timing: read snapshot terms"), "{}", stderr(&out));
    assert_eq!(stdout(&out), reference);
    // A new commit's first snapshot takes the old commit's term table and section indexes
    // away; the outlines kept across commits stay.
    std::fs::write(book.join("notes.txt"), "new\n").unwrap();
    git(&book, &["add", "notes.txt"]);
    git(&book, &["commit", "-q", "-m", "notes"]);
    run(&book, &["outline", "--format", "json"]);
    assert_eq!(extensions(&book), ["across-outline", "snapshot", "texts"]);
}

#[test]
fn a_changed_byte_in_the_section_indexes_is_never_used_and_the_part_is_written_anew() {
    let (_d, book) = git_book_with_families();
    // One letter of a heading title kept in a section index.
    run_over_damaged_part(&book, &["check", "--format", "json"], "sections");
}

/// Runs `args` once (writing the snapshot), changes one letter of "Antagonists" in the part
/// with `extension`, runs again: that run reads the snapshot, prints the reference output
/// and writes the part anew; the run after it reads the snapshot again.
fn run_over_damaged_part(book: &Path, args: &[&str], extension: &str) {
    let reference = fresh(book, args);
    run(book, args);
    let file = part(book, extension);
    let whole = std::fs::read(&file).unwrap();
    let mut bytes = whole.clone();
    let at = bytes.windows(11).position(|w| w == b"Antagonists").expect("\"Antagonists\" in the part");
    bytes[at + 2] = b'E';
    std::fs::write(&file, &bytes).unwrap();
    let (out, from_snapshot) = run(book, args);
    assert!(from_snapshot, "the snapshot itself is sound");
    assert_eq!(out, reference, "the damaged .{extension} part must not be used");
    assert!(std::fs::read(&file).unwrap() == whole, "the .{extension} part is written anew");
    again_from_snapshot(book, args, &reference);
}

#[test]
fn a_new_commit_is_read_afresh() {
    let (_d, book) = git_book();
    let args = ["plan", "--format", "json", KETAMINE];
    let (before, _) = run(&book, &args);
    // The section the guide names is renamed and committed.
    let text = std::fs::read_to_string(book.join(NMDA)).unwrap();
    assert!(text.contains("NMDA Receptor Antagonists"), "fixture changed: {text}");
    std::fs::write(book.join(NMDA), text.replace("NMDA Receptor Antagonists", "Glutamate Modulators")).unwrap();
    git(&book, &["commit", "-q", "-am", "rename the NMDA section"]);
    let (after, from_snapshot) = run(&book, &args);
    assert!(!from_snapshot, "a new commit must not be read from the old commit's snapshot");
    assert_ne!(after, before);
    assert_eq!(after, fresh(&book, &args));
    assert!(after.contains("Glutamate Modulators"), "{after}");
    assert_eq!(
        extensions(&book),
        ["across-outline", "sections", "snapshot", "texts"],
        "the new commit's snapshot replaces the old one"
    );
    again_from_snapshot(&book, &args, &after);
}

#[test]
fn an_edited_configuration_is_read_afresh() {
    let (_d, book) = git_book();
    let args = ["check", "--format", "json"];
    run(&book, &args);
    let config = book.join("chapter-integrator.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("# edited\n{text}")).unwrap();
    let (out, from_snapshot) = run(&book, &args);
    assert!(!from_snapshot, "an edited chapter-integrator.toml must not use the old snapshot");
    assert_eq!(out, fresh(&book, &args));
}

/// The file of the snapshot part with `extension` (`snapshot`, `texts`, `terms`, `sections`).
fn part(book: &Path, extension: &str) -> PathBuf {
    let found = snapshots(book).into_iter().find(|f| f.extension().is_some_and(|e| e == extension));
    found.unwrap_or_else(|| panic!("no .{extension} part in {:?}", snapshots(book)))
}

/// Plans once (writing the snapshot), changes the snapshot's bytes with `damage`, plans
/// again: that run must not read the snapshot and must print the reference output; the run
/// after it reads the snapshot written anew.
fn plan_over_damaged_snapshot(damage: impl Fn(Vec<u8>) -> Vec<u8>) {
    let (_d, book) = git_book();
    let args = ["plan", "--format", "json", KETAMINE];
    let reference = fresh(&book, &args);
    run(&book, &args);
    let file = part(&book, "snapshot");
    std::fs::write(&file, damage(std::fs::read(&file).unwrap())).unwrap();
    let (out, from_snapshot) = run(&book, &args);
    assert!(!from_snapshot, "a damaged snapshot must not be read");
    assert_eq!(out, reference);
    // The damaged snapshot is written anew.
    again_from_snapshot(&book, &args, &reference);
}

#[test]
fn a_cut_and_garbled_snapshot_is_ignored_and_replaced() {
    plan_over_damaged_snapshot(|bytes| {
        // The fingerprint (first bytes) kept, the rest cut and garbled.
        let mut damaged = bytes[..bytes.len() / 2].to_vec();
        for b in damaged.iter_mut().skip(16).step_by(7) {
            *b ^= 0x5a;
        }
        damaged
    });
}

#[test]
fn one_changed_byte_is_never_used() {
    plan_over_damaged_snapshot(|mut bytes| {
        // The same length, one letter of a file path changed: it still decodes.
        let at = bytes.windows(8).position(|w| w == b"chapters").expect("a chapter path in the snapshot");
        bytes[at + 2] = b'E';
        bytes
    });
}

#[test]
fn a_changed_byte_in_the_texts_is_read_from_the_commit_and_the_texts_written_anew() {
    let (_d, book) = git_book();
    // A diff reads the text of the chapter it changes (a plan may need none: the section
    // indexes are in the snapshot too); the letter is in that chapter's heading.
    run_over_damaged_part(&book, &["diff", KETAMINE], "texts");
}

#[test]
fn a_refused_apply_or_diff_output_writes_no_snapshot() {
    let (_d, book) = git_book();
    let guide = book.join(KETAMINE).join("integration-guide.md");
    let text = std::fs::read_to_string(&guide).unwrap();
    std::fs::write(&guide, text.replace("`Walitt2021ketamine`", "`Nobody1999`")).unwrap();
    let out = tool(&book).args(["apply", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing was written"), "{}", stderr(&out));
    assert!(!book.join(".git/chapter-integrator").exists());
    let patch = book.join("../k.patch");
    let out = tool(&book).args(["diff", KETAMINE, "--output"]).arg(&patch).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!patch.exists() && !book.join(".git/chapter-integrator").exists());
    // A diff printed with its errors is what was asked for: that run keeps its snapshot.
    let out = tool(&book).args(["diff", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(extensions(&book), ["across-outline", "sections", "snapshot", "texts"]);
}

#[test]
fn snapshots_can_be_turned_off() {
    let (_d, book) = git_book();
    let out = tool(&book).env("CHAPTER_INTEGRATOR_NO_SNAPSHOT", "1").args(["check"]).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert!(!book.join(".git/chapter-integrator").exists());
}

#[test]
fn a_temporary_file_a_killed_run_left_is_removed_by_the_next_run() {
    let (_d, book) = git_book();
    let args = ["plan", "--format", "json", KETAMINE];
    let (expected, _) = run(&book, &args);
    let dir = book.join(".git/chapter-integrator");
    // What a run killed while writing leaves: a temporary file last written long ago; and
    // one a live run is writing now, which stays.
    let stale = dir.join(".snapshot-Kd3xQ9");
    std::fs::write(&stale, vec![7u8; 1 << 16]).unwrap();
    let past = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
    std::fs::File::options().write(true).open(&stale).unwrap().set_modified(past).unwrap();
    let live = dir.join(".snapshot-Zp81aB");
    std::fs::write(&live, b"partial").unwrap();
    // The next run has nothing to write (the snapshot is current) and still removes it.
    again_from_snapshot(&book, &args, &expected);
    let parts = ["across-outline", "sections", "snapshot", "texts"].map(|p| part(&book, p));
    assert_eq!(snapshots(&book), [vec![live], parts.to_vec()].concat());
}

/// How many entries of the kind `kind` a run built (its `timing: built <kind> N` line), 0 when
/// it built none.
fn built(stderr: &str, kind: &str) -> usize {
    let line = stderr.lines().find_map(|l| l.strip_prefix(&format!("timing: built {kind} ")));
    line.map_or(0, |n| n.trim().parse().unwrap())
}

#[test]
fn a_commit_changing_one_file_parses_only_that_file_again() {
    let (_d, book) = git_book();
    let args = ["outline", "--format", "json"];
    let first = tool(&book).env("CHAPTER_INTEGRATOR_TIMINGS", "1").args(args).output().unwrap();
    let chapters = built(&stderr(&first), "outline");
    assert!(chapters > 5, "the first run parses every chapter file: {}", stderr(&first));
    let text = std::fs::read_to_string(book.join(NMDA)).unwrap();
    std::fs::write(book.join(NMDA), text.replace("NMDA Receptor Antagonists", "Glutamate Modulators")).unwrap();
    git(&book, &["commit", "-q", "-am", "rename the NMDA section"]);
    let out = tool(&book).env("CHAPTER_INTEGRATOR_TIMINGS", "1").args(args).output().unwrap();
    assert!(!stderr(&out).contains("timing: book from snapshot"), "a new commit is read afresh");
    assert_eq!(built(&stderr(&out), "outline"), 1, "{}", stderr(&out));
    assert_eq!(stdout(&out), fresh(&book, &args));
    assert!(stdout(&out).contains("Glutamate Modulators"));
    // Back to the first text: its outline is parsed again (the part keeps this commit's).
    git(&book, &["revert", "--no-edit", "HEAD"]);
    let out = tool(&book).env("CHAPTER_INTEGRATOR_TIMINGS", "1").args(args).output().unwrap();
    assert_eq!(built(&stderr(&out), "outline"), 1, "{}", stderr(&out));
    assert_eq!(stdout(&out), stdout(&first));
}
