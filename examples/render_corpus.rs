//! Renders every snippet of every guide of a book into the markup of each file it could
//! land in, and counts how many render cleanly (parse-checked with typst-syntax, or with
//! balanced LaTeX braces and environments) and the findings of the rest by kind.
//!
//! Usage: `cargo run --release --example render_corpus -- BOOK_DIR`
//! A measurement for the closing note of the rendering issue, not a test: the real book is
//! not part of the project.

use std::collections::BTreeMap;
use std::path::Path;

use chapter_integrator::book::find_guides;
use chapter_integrator::guide::{self, Markup};
use chapter_integrator::render;
use chapter_integrator::store::Store;

fn main() {
    let root = std::env::args().nth(1).expect("usage: render_corpus BOOK_DIR");
    let book = Store::open(Path::new(&root), "HEAD").expect("book opens");
    let defined = book.typst_functions();
    // The markups of the book's documents (the files its roots reach): a snippet must
    // render into each of them.
    let mut markups: Vec<Markup> = book.document_files().iter().filter_map(|p| Markup::from_path(p)).collect();
    markups.sort();
    markups.dedup();
    let (mut total, mut clean) = (0usize, 0usize);
    // Typst texts that would be committed (no error finding) and those among them still
    // holding a LaTeX command (`\\name`, raw or not): raw LaTeX in a committed .typ file.
    let (mut committed, mut with_latex) = (0usize, 0usize);
    let latex_command = regex::Regex::new(r"\\[A-Za-z]{2,}").unwrap();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut examples: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in find_guides(&book.root).expect("guides listed") {
        let Ok(files) = guide::locate(&path) else { continue };
        let Ok(g) = guide::load(&files, &book.rules, &book.root) else { continue };
        for t in &g.targets {
            let Some(s) = &t.snippet else { continue };
            for &m in &markups {
                total += 1;
                let r = render::render(s, m, &book.rules.environments, &defined, (&t.source, s.line));
                let codes: Vec<&str> = r.findings.iter().map(|f| f.code.as_str()).collect();
                let refused = r.findings.iter().any(|f| f.severity == chapter_integrator::finding::Severity::Error);
                if m == Markup::Typst && !refused && !r.text.is_empty() {
                    committed += 1;
                    if let Some(c) = latex_command.find(&r.text) {
                        with_latex += 1;
                        if std::env::var_os("SHOW_LATEX").is_some() {
                            eprintln!("--- {}:{}: {}", t.source, s.line, c.as_str());
                        }
                    }
                }
                if codes.is_empty() {
                    clean += 1;
                    continue;
                }
                if std::env::var_os("SHOW").is_some() {
                    eprintln!("--- {}:{} -> {m:?}\n{}\n{:?}", t.source, s.line, r.text, codes);
                }
                for f in &r.findings {
                    let kind = format!("{} -> {:?}: {}", f.code, m, f.message.split(':').next().unwrap_or(""));
                    *kinds.entry(kind.clone()).or_default() += 1;
                    let ex = examples.entry(kind).or_default();
                    if ex.len() < 3 {
                        ex.push(format!("{}:{}", t.source, s.line));
                    }
                }
            }
        }
    }
    println!("markups: {markups:?}");
    println!("snippet renderings: {total}, clean: {clean}, with findings: {}", total - clean);
    println!("typst texts committed: {committed}, holding a LaTeX command: {with_latex}");
    for (k, n) in &kinds {
        println!("{n:5}  {k}   e.g. {}", examples[k].join(", "));
    }
}
