//! Counts the fenced `latex`/`typst` blocks of every guide and key-findings file of a book
//! and what the guide reader made of each: attached to a target (its snippet), reported by
//! a finding at the fence's line (`snippet-unpaired`, `snippet-stub`, `snippet-alternative`,
//! ...), or neither (silently dropped: the number issue #24 wants at zero).
//!
//! Usage: `cargo run --release --example fence_count -- BOOK_DIR` (`SHOW=1` lists the
//! silently dropped fences with file and line).
//! A measurement for the acceptance, not a test: the real book is not part of the
//! project. Fences are found line by line (an opening line of three or more backticks or
//! tildes whose info string starts with `latex`, `tex` or `typst`, inside or outside list
//! items, up to the closing line of the same character), which is how the guides write them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chapter_integrator::book::find_guides;
use chapter_integrator::guide;
use chapter_integrator::store::Store;

/// 1-based lines of the opening lines of the `latex`/`tex`/`typst` fences of `text`.
fn fences(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut open: Option<(char, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let Some(c) = t.chars().next().filter(|c| *c == '`' || *c == '~') else { continue };
        let run = t.chars().take_while(|x| *x == c).count();
        if run < 3 {
            continue;
        }
        match open {
            Some((oc, orun)) if oc == c && run >= orun && t[run..].trim().is_empty() => open = None,
            Some(_) => {}
            None => {
                let info = t[run..].trim().to_lowercase();
                if ["latex", "tex", "typst", "typ"].iter().any(|l| info.split_whitespace().next() == Some(l)) {
                    out.push(i + 1);
                }
                open = Some((c, run));
            }
        }
    }
    out
}

fn main() {
    let root = std::env::args().nth(1).expect("usage: fence_count BOOK_DIR");
    let book = Store::open(Path::new(&root), "HEAD").expect("book opens");
    let show = std::env::var_os("SHOW").is_some();
    let (mut total, mut attached, mut reported, mut silent) = (0usize, 0usize, 0usize, 0usize);
    let mut by_code: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for path in find_guides(&book.root).expect("guides listed") {
        let Ok(files) = guide::locate(&path) else { continue };
        let Ok(g) = guide::load(&files, &book.rules, &book.root) else { continue };
        for file in files.guide.iter().chain(&files.key_findings) {
            let rel = file.strip_prefix(&book.root).unwrap_or(file).to_string_lossy().replace('\\', "/");
            if !seen.insert(rel.clone()) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(file) else { continue };
            for line in fences(&text) {
                total += 1;
                let is_attached =
                    g.targets.iter().any(|t| t.source == rel && t.snippet.as_ref().is_some_and(|s| s.line == line));
                let finding =
                    g.findings.iter().find(|f| f.path.as_deref() == Some(rel.as_str()) && f.line == Some(line));
                if is_attached {
                    attached += 1;
                } else if let Some(f) = finding {
                    reported += 1;
                    *by_code.entry(f.code.as_str().to_string()).or_default() += 1;
                } else {
                    silent += 1;
                    if show {
                        println!("silent {rel}:{line}");
                    }
                }
            }
        }
    }
    println!("fences {total}: attached {attached}, reported {reported}, silently dropped {silent}");
    for (code, n) in by_code {
        println!("  reported {code}: {n}");
    }
}
