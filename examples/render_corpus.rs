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
    for (k, n) in &kinds {
        println!("{n:5}  {k}   e.g. {}", examples[k].join(", "));
    }
}
