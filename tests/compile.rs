//! The real Typst compiler on the fixture book: it compiles as committed, and every branch
//! `apply` writes for a fixture guide still compiles. A commit that stops the book compiling
//! fails here; a file made broken on purpose shows the check can fail. The compiler is the
//! `typst` Python package (`.ci/run` installs it); without it these tests fail, never skip.

mod common;

use std::path::Path;

use common::{export_tree, git, git_book_with_families, stderr, tool, typst_compile, write};

/// The Typst root document of the fixture book, relative to the book.
const MAIN: &str = "typst/book.typ";

/// Applies the guide folder `folder` to branch `branch`; the branch's tree compiles.
/// Returns the `.typ` files the branch changed.
fn apply_and_compile(book: &Path, folder: &str, branch: &str) -> Vec<String> {
    let out = tool(book).args(["apply", "--branch", branch, folder]).output().unwrap();
    let exists = git(book, &["branch", "--list", branch]);
    if exists.trim().is_empty() {
        return Vec::new();
    }
    let tree = export_tree(book, branch);
    if let Err(e) = typst_compile(tree.path(), MAIN) {
        let diff = git(book, &["diff", "main", branch]);
        panic!("{folder}: the committed book no longer compiles:\n{e}\n{diff}\n{}", stderr(&out));
    }
    git(book, &["diff", "--name-only", "main", branch])
        .lines()
        .filter(|p| p.ends_with(".typ"))
        .map(String::from)
        .collect()
}

#[test]
fn the_fixture_book_compiles_before_and_after_each_apply() {
    let (_d, book) = git_book_with_families();
    let committed = export_tree(&book, "main");
    typst_compile(committed.path(), MAIN).expect("the fixture book compiles as committed");
    let mut folders =
        vec!["Literature/treatments/ketamine".to_string(), "Literature/treatments/low-dose-naltrexone".into()];
    let mut families: Vec<String> = std::fs::read_dir(book.join("Literature/families"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| format!("Literature/families/{}", e.file_name().to_string_lossy()))
        .collect();
    families.sort();
    folders.extend(families);
    let mut typ_changed = Vec::new();
    for (i, folder) in folders.iter().enumerate() {
        typ_changed.extend(apply_and_compile(&book, folder, &format!("compile/{i}")));
    }
    typ_changed.sort();
    typ_changed.dedup();
    // The check is only worth something when the guides change Typst chapters.
    assert!(typ_changed.len() >= 3, "{typ_changed:?}");
}

#[test]
fn a_broken_chapter_fails_the_compile_check() {
    let (_d, book) = common::copy_book();
    write(&book, "typst/ch04-symptom-management.typ", "= Symptom Management\n\n#obsrvation[Not defined here.]\n");
    let err = typst_compile(&book, MAIN).unwrap_err();
    assert!(err.starts_with("unknown variable: obsrvation\n"), "{err}");
}
