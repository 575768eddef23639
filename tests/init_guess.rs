//! What `init` guesses (issue #22, item 10): a root is a file no other file includes that
//! looks like a document root, so a scratch preview file is none; the annotated bibliography
//! appendix is found (and left commented when guides target it); the commented bibliography
//! line lists the files the root documents name.

mod common;

use common::*;

/// The fixture book without its configuration, with a scratch file that includes a chapter
/// to preview it, a staging .bib no root document names, and an annotated bibliography
/// appendix the Typst root includes.
fn unconfigured_book() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, book) = copy_book();
    std::fs::remove_file(book.join("chapter-integrator.toml")).unwrap();
    write(&book, "typst/test-part2.typ", "= Preview\n\n#include \"ch04-symptom-management.typ\"\n");
    write(&book, "ops/staging.bib", "@article{Staging2030x, title={Staged}, year={2030}}\n");
    write(&book, "typst/appendix-annotated-bibliography.typ", "= Annotated Bibliography\n\nEvery source, annotated.\n");
    let root = std::fs::read_to_string(book.join("typst/book.typ")).unwrap();
    let root = root.replace(
        "#include \"ch04-symptom-management.typ\"\n",
        "#include \"ch04-symptom-management.typ\"\n#include \"appendix-annotated-bibliography.typ\"\n",
    );
    std::fs::write(book.join("typst/book.typ"), root).unwrap();
    (dir, book)
}

fn init(book: &std::path::Path) -> String {
    let out = tool(book).args(["--book", ".", "init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::read_to_string(book.join("chapter-integrator.toml")).unwrap()
}

#[test]
fn a_scratch_file_that_includes_chapters_is_no_root() {
    let (_d, book) = unconfigured_book();
    let cfg = init(&book);
    assert!(cfg.contains("roots = [\"main.tex\", \"typst/book.typ\"]\n"), "{cfg}");
    assert!(cfg.contains("sets up a whole document"), "the rule is stated: {cfg}");
    // The book opened without a configuration sees the same roots.
    std::fs::remove_file(book.join("chapter-integrator.toml")).unwrap();
    let outline = stdout(&tool(&book).args(["--book", ".", "outline"]).output().unwrap());
    assert!(outline.starts_with("roots: main.tex, typst/book.typ\n"), "{outline}");
    // With no file that sets up a document, every file included by none that includes others
    // is a root, as before.
    let root = std::fs::read_to_string(book.join("typst/book.typ")).unwrap();
    std::fs::write(book.join("typst/book.typ"), root.replace("#bibliography(\"../references.bib\")\n", "")).unwrap();
    let outline = stdout(&tool(&book).args(["--book", ".", "outline"]).output().unwrap());
    assert!(outline.starts_with("roots: main.tex, typst/book.typ, typst/test-part2.typ\n"), "{outline}");
}

#[test]
fn the_commented_bibliography_is_what_the_root_documents_name() {
    let (_d, book) = unconfigured_book();
    let cfg = init(&book);
    assert!(cfg.contains("# bibliography = [\"references.bib\"]\n"), "{cfg}");
    assert!(!cfg.contains("staging.bib"), "{cfg}");
    assert!(
        cfg.contains("# those the root documents name (#bibliography, \\bibliography, \\addbibresource);"),
        "{cfg}"
    );
}

#[test]
fn the_annotated_bibliography_is_found_and_kept_commented_when_guides_target_it() {
    let (_d, book) = unconfigured_book();
    let cfg = init(&book);
    assert!(cfg.contains("# Detected by its name; no guide names it.\nannotated_bibliography = \"typst/appendix-annotated-bibliography.typ\"\n"), "{cfg}");
    let parsed: toml::Table = toml::from_str(&cfg).unwrap();
    assert_eq!(parsed["book"]["annotated_bibliography"].as_str(), Some("typst/appendix-annotated-bibliography.typ"));

    let (_d, book) = unconfigured_book();
    write(
        &book,
        "Literature/annotated/integration-guide.md",
        "# Guide\n\n## Paper Citation Key\n**BibTeX key:** `Younger2014ldn`\n\n### Primary Target: appendix-annotated-bibliography.typ\n**Section hint:** \"Annotated Bibliography\"\n",
    );
    let cfg = init(&book);
    assert!(
        cfg.contains(
            "# Detected by its name, but 1 guide(s) name it as a target, which setting it\n# would leave out; so it stays commented.\n\
             # annotated_bibliography = \"typst/appendix-annotated-bibliography.typ\"\n"
        ),
        "{cfg}"
    );
}
