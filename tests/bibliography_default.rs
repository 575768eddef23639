//! Without `[book] bibliography` the bibliography is the .bib files the root documents name
//! (`\bibliography{}`, `#bibliography(...)`); a staging .bib outside it is no part of it,
//! only a source for the entries of keys the bibliography lacks.

mod common;
use common::*;

/// Staging entries: one duplicating a key of the bibliography, one the bibliography lacks,
/// one that does not parse.
const STAGING: &str = "@article{Walitt2021ketamine,\n  title = {A second copy},\n  year = {2021}\n}\n\n@article{Staged2024sleep,\n  author = {Nobody, Ann},\n  title = {Sleep Architecture After Exertion},\n  journal = {Invented Journal of Sleep},\n  year = {2024}\n}\n\n@article{Broken2024x, title = {unclosed\n";

/// A guide whose only key's entry lies in the staging file.
const GUIDE: &str = "# Integration Guide: Staged sleep paper\n\n**BibTeX key:** `Staged2024sleep`\n\n## Recommended Chapters for Integration\n\n### Primary Target: ch02-treatments.tex\n**File:** `chapters/ch02-treatments.tex`\n**Section hint:** \"Pacing and Energy Management\"\n\n```latex\nSleep after exertion changes its architecture~\\cite{Staged2024sleep}.\n```\n";

/// The fixture book without a configuration, with `ops/staging.bib` beside its
/// `references.bib` (which both root documents name) and a guide citing a staged key.
fn book_with_staging() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, book) = copy_book();
    std::fs::remove_file(book.join("chapter-integrator.toml")).unwrap();
    write(&book, "ops/staging.bib", STAGING);
    write(&book, "Literature/treatments/staged-sleep/integration-guide.md", GUIDE);
    commit_all((dir, book))
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

#[test]
fn check_without_config_reports_nothing_about_a_staging_bib_file() {
    let (_d, book) = book_with_staging();
    let out = tool(&book).args(["check", "--format", "json"]).output().unwrap();
    let doc = json(&out);
    let book_findings = doc["book_findings"].as_array().unwrap();
    let about_staging: Vec<&serde_json::Value> =
        book_findings.iter().filter(|f| f["path"].as_str() == Some("ops/staging.bib")).collect();
    assert!(about_staging.is_empty(), "{about_staging:?}");
    // The duplicate key is no duplicate: the staging file is not read as bibliography.
    assert!(!book_findings.iter().any(|f| f["code"] == "bib-duplicate-key"), "{book_findings:?}");
    // The bibliography is references.bib alone.
    let out = tool(&book).args(["outline", "--format", "json"]).output().unwrap();
    let refs = std::fs::read_to_string(book.join("references.bib")).unwrap();
    let entries = refs.lines().filter(|l| l.starts_with('@') && !l.starts_with("@string")).count();
    assert_eq!(json(&out)["summary"]["bibliography_entries"], entries);
}

#[test]
fn a_key_only_in_a_staging_file_is_added_to_the_bibliography_the_root_names() {
    let (_d, book) = book_with_staging();
    let out = tool(&book).args(["diff", "Literature/treatments/staged-sleep"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let patch = stdout(&out);
    assert!(patch.contains("+++ b/references.bib"), "{patch}");
    assert!(patch.contains("+@article{Staged2024sleep,"), "{patch}");
    assert!(patch.contains("+Sleep after exertion changes its architecture~\\cite{Staged2024sleep}."), "{patch}");
    assert!(!patch.contains("ops/staging.bib"), "the staging file is not edited:\n{patch}");
    let err = stderr(&out);
    assert!(err.is_empty() || !err.contains("citation-key-missing"), "{err}");
    let out = tool(&book).args(["-v", "plan", "Literature/treatments/staged-sleep"]).output().unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("citation key `Staged2024sleep` is not in the bibliography; its entry from ops/staging.bib is added to references.bib"),
        "{text}"
    );
}

#[test]
fn a_chapter_citing_a_key_only_in_a_staging_file_is_reported() {
    let (dir, book) = copy_book();
    std::fs::remove_file(book.join("chapter-integrator.toml")).unwrap();
    write(&book, "ops/staging.bib", STAGING);
    let ch = book.join("chapters/ch01-introduction.tex");
    let mut text = std::fs::read_to_string(&ch).unwrap();
    text.push_str("\nSleep changes after exertion~\\cite{Staged2024sleep}.\n");
    std::fs::write(&ch, text).unwrap();
    let (_d, book) = commit_all((dir, book));
    let out = tool(&book).args(["check", "--format", "json"]).output().unwrap();
    let doc = json(&out);
    let undefined: Vec<&serde_json::Value> = doc["book_findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "citation-undefined" && f["message"].as_str().unwrap().contains("Staged2024sleep"))
        .collect();
    assert_eq!(undefined.len(), 1, "{doc}");
    assert_eq!(undefined[0]["path"], "chapters/ch01-introduction.tex");
}

#[test]
fn a_bib_file_a_root_names_that_the_book_lacks_is_reported_at_its_line() {
    let (dir, book) = copy_book();
    std::fs::remove_file(book.join("chapter-integrator.toml")).unwrap();
    let main = book.join("main.tex");
    let text = std::fs::read_to_string(&main)
        .unwrap()
        .replace("\\bibliography{references}", "\\bibliography{references,extra}");
    std::fs::write(&main, text).unwrap();
    let (_d, book) = commit_all((dir, book));
    let out = tool(&book).args(["check", "--format", "json"]).output().unwrap();
    let doc = json(&out);
    let missing: Vec<&serde_json::Value> =
        doc["book_findings"].as_array().unwrap().iter().filter(|f| f["code"] == "bib-file-missing").collect();
    assert_eq!(missing.len(), 1, "{doc}");
    assert_eq!(missing[0]["path"], "main.tex");
    assert_eq!(missing[0]["line"], 22);
    assert!(missing[0]["message"].as_str().unwrap().contains("`extra.bib`"), "{}", missing[0]);
}

#[test]
fn with_no_bibliography_named_every_bib_outside_the_literature_counts() {
    let (dir, book) = copy_book();
    std::fs::remove_file(book.join("chapter-integrator.toml")).unwrap();
    let main = book.join("main.tex");
    let text = std::fs::read_to_string(&main).unwrap().replace("\\bibliography{references}", "");
    std::fs::write(&main, text).unwrap();
    let typ = book.join("typst/book.typ");
    let text = std::fs::read_to_string(&typ).unwrap().replace("#bibliography(\"../references.bib\")", "");
    std::fs::write(&typ, text).unwrap();
    write(&book, "ops/staging.bib", STAGING);
    let (_d, book) = commit_all((dir, book));
    let out = tool(&book).args(["check", "--format", "json"]).output().unwrap();
    let doc = json(&out);
    let dups: Vec<&serde_json::Value> =
        doc["book_findings"].as_array().unwrap().iter().filter(|f| f["code"] == "bib-duplicate-key").collect();
    // Read by path, the staging file first: the bibliography's copy is the duplicate.
    assert_eq!(dups.len(), 1, "{doc}");
    assert_eq!(dups[0]["path"], "references.bib");
}
