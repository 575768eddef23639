//! A configuration naming what the book lacks stops every command first, with status 2 and
//! one message per problem naming the line, before any finding is printed.

mod common;
use common::*;

const KETAMINE: &str = "Literature/treatments/ketamine";

/// The fixture book, committed, with `config` as its `chapter-integrator.toml`.
fn book_with_config(config: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, book) = copy_book();
    std::fs::write(book.join("chapter-integrator.toml"), config).unwrap();
    commit_all((dir, book))
}

#[test]
fn a_bad_bibliography_entry_stops_every_command_first() {
    let (_d, book) =
        book_with_config("[book]\nroots = [\"main.tex\", \"typst/book.typ\"]\nbibliography = [\"referenses.bib\"]\n");
    let commands: [&[&str]; 8] = [
        &["check"],
        &["check", KETAMINE],
        &["plan", KETAMINE],
        &["diff", KETAMINE],
        &["apply", KETAMINE],
        &["status"],
        &["guides"],
        &["outline"],
    ];
    for args in commands {
        let out = tool(&book).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "{args:?}: nothing but the error is printed");
        let err = stderr(&out);
        assert!(
            err.starts_with("error: ")
                && err.contains(
                    "chapter-integrator.toml: line 3: [book] bibliography: `referenses.bib` is not a .bib file of the book (did you mean `references.bib`?)"
                ),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{args:?}: only the configuration error: {err}");
    }
    // No branch was made.
    assert!(!git(&book, &["branch", "--list"]).contains("integrate/"));
}

#[test]
fn every_configuration_problem_is_listed_with_its_line() {
    let (_d, book) = book_with_config(
        "[book]\nroots = [\"main.tex\", \"typst/bok.typ\"]\nliterature = [\"Literature\", \"Notes\"]\nannotated_bibliography = \"chapters/annotated.tex\"\nnew_entries = \"other.bib\"\n\n[resolve]\nthreshold = 4.5\n\n[branch]\nprefix = \"in tegrate/\"\n",
    );
    let out = tool(&book).args(["plan", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let expected = [
        "6 problems:",
        "  line 2: [book] roots: `typst/bok.typ` is not a chapter file of the book (did you mean `typst/book.typ`?)",
        "  line 3: [book] literature: `Notes` is not a folder of the book",
        "  line 4: [book] annotated_bibliography: `chapters/annotated.tex` is not a chapter file of the book",
        "  line 5: [book] new_entries: `other.bib` is not a file of the bibliography (references.bib)",
        "  [resolve] threshold = 4.5: a confidence is between 0 and 1",
        "  line 11: [branch] prefix: `in tegrate/` cannot start a git branch name",
    ];
    for line in expected {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
}

#[test]
fn init_force_replaces_a_broken_configuration() {
    let (_d, book) = book_with_config("[book]\nbibliography = [\"gone.bib\"]\n");
    let out = tool(&book).args(["init", "--force"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = tool(&book).args(["plan", KETAMINE]).output().unwrap();
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
}
