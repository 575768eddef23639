//! Include resolution as TeX and Typst do it, on a tiny book written here.

use chapter_integrator::store::Store;

mod common;

use common::write;

fn headings(book: &Store) -> Vec<String> {
    let mut out = Vec::new();
    for root in &book.includes.roots {
        for f in book.closure(root) {
            out.extend(book.outline(&f).unwrap().headings.iter().map(|h| h.title.clone()));
        }
    }
    out
}

#[test]
fn latex_includes_resolve_against_the_root_folder() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "main.tex", "\\documentclass{book}\n\\begin{document}\n\\include{parts/one}\n\\input parts/two\n\\input{\"parts/with space\"}\n\\input{parts/missing}\n\\end{document}\n");
    write(r, "parts/one.tex", "\\chapter{One}\\label{ch:one}\n\\input{notes}\n\\input{parts/data.ltx}\n");
    write(r, "notes.tex", "\\section{Notes at the root}\n");
    write(r, "parts/notes.tex", "\\section{Decoy beside the including file}\n");
    write(r, "parts/data.ltx", "\\section{Data}\n");
    write(r, "parts/two.tex", "\\chapter{Two}\n");
    write(r, "parts/with space.tex", "\\section{Spaced}\n");
    let book = Store::open(r, "HEAD").unwrap();
    assert_eq!(headings(&book), vec!["One", "Notes at the root", "Data", "Two", "Spaced"]);
    let missing: Vec<_> = book.findings.iter().filter(|f| f.code == "include-missing").collect();
    assert_eq!(missing.len(), 1);
    assert_eq!((missing[0].path.as_deref(), missing[0].line), (Some("main.tex"), Some(6)));
}

#[test]
fn typst_includes_are_relative_to_the_including_file_or_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "main.typ", "#include \"chapters/ch1.typ\"\n");
    write(r, "chapters/ch1.typ", "= Chapter one <ch1>\n#include \"sections/s1.typ\"\n#include \"/appendix/a.typ\"\n");
    write(r, "chapters/sections/s1.typ", "== Section one point one <s11>\n");
    write(r, "sections/s1.typ", "== WRONG: resolved against the root\n");
    write(r, "appendix/a.typ", "= Appendix <app>\n");
    write(r, "chapters/appendix/a.typ", "= WRONG: rooted path resolved against the including file\n");
    let book = Store::open(r, "HEAD").unwrap();
    assert_eq!(book.includes.roots, vec!["main.typ"]);
    assert_eq!(headings(&book), vec!["Chapter one", "Section one point one", "Appendix"]);
    assert!(!book.includes.reachable.contains("sections/s1.typ"));
}
