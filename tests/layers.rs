//! The crate's layering: every module imports only from modules below it in [`ORDER`], so
//! there is no import circle and each module can be read (and tested) with only what is
//! below it. A module that is not listed fails the test, so a new module takes its place in
//! the order on purpose.

use std::collections::BTreeSet;
use std::path::Path;

/// The top-level modules, bottom first. A module may use those before it.
/// - core: findings and errors, text helpers, timings, safe disk reads, git, rules, BM25
///   relevance, the markup kinds;
/// - model: outlines (one set of patterns per markup), the bibliography, the one disk walker,
///   file texts; guides (plain data and their reader) and the phrasing rules that check them;
///   the book as plain data;
/// - store: what is derived from the book, kept once built and in the snapshot;
/// - pipeline: the book's index of uses, resolution, placement, edits, rendering, citation
///   edits, bibliography bookkeeping, checks, the plan, diffs;
/// - report, the guide inventory, the workflow; the command line and one module per command.
const ORDER: &[&str] = &[
    "finding",
    "error",
    "text",
    "trace",
    "disk",
    "git",
    "rules",
    "relevance",
    "markup",
    "outline",
    "bib",
    "walk",
    "sources",
    "guide",
    "phrasing",
    "book",
    "store",
    "index",
    "resolve",
    "place",
    "edit",
    "render",
    "citation_edit",
    "bookkeeping",
    "check",
    "integrated",
    "plan",
    "diff",
    "report",
    "inventory",
    "workflow",
    "cli",
    "app",
];

/// The code of a source file as the compiler reads it for the library: line comments and
/// doc comments removed, and the unit tests (`#[cfg(test)]` onwards, as every file keeps
/// them last) left out, since tests may use any module.
fn library_code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines()
        .map(|l| match l.find("//") {
            // `//` inside a string (a URL in a pattern, say) is not a comment; a quote before
            // it on the line is taken to open such a string.
            Some(at) if !l[..at].contains('"') => &l[..at],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules `code` names through `crate::` paths: `crate::a::x`, and each
/// first-level name of `use crate::{a, b::{c, d}}`.
fn modules_named(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The group's items at its first level, split at its commas.
            let (mut depth, mut items, mut item) = (1, Vec::new(), String::new());
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => {
                        items.push(std::mem::take(&mut item));
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                item.push(c);
            }
            items.push(item);
            for item in items {
                let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out.retain(|m| m != "self");
    out
}

/// Each `(file, module, module it names)` in `src/` that is not below the file's module in
/// [`ORDER`]; a module missing from the order is reported with itself.
fn upward_imports(src: &Path) -> Vec<(String, String, String)> {
    let rank = |m: &str| ORDER.iter().position(|o| *o == m);
    let mut bad = Vec::new();
    let mut files = Vec::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    for path in files {
        let rel = path.strip_prefix(src).unwrap().to_string_lossy().replace('\\', "/");
        // The crate root and the binary sit above every module; unit-test files use any.
        if rel == "lib.rs" || rel == "main.rs" || rel.ends_with("tests.rs") {
            continue;
        }
        let module = rel.split('/').next().unwrap().trim_end_matches(".rs").to_string();
        let Some(own) = rank(&module) else {
            bad.push((rel.clone(), module.clone(), module.clone()));
            continue;
        };
        for named in modules_named(&library_code(&std::fs::read_to_string(&path).unwrap())) {
            if named != module && rank(&named).is_none_or(|r| r >= own) {
                bad.push((rel.clone(), module.clone(), named));
            }
        }
    }
    bad
}

#[test]
fn every_module_imports_only_from_modules_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let bad = upward_imports(&src);
    assert!(bad.is_empty(), "imports that are not downward (file, its module, module named): {bad:#?}");
}

#[test]
fn an_upward_import_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir(src.join("book")).unwrap();
    // `book` naming `store` (above it) in both forms, and in a comment that does not count.
    std::fs::write(src.join("book/mod.rs"), "use crate::{text, store::Store};\n// crate::plan\n").unwrap();
    std::fs::write(src.join("text.rs"), "fn f() { crate::place::rank(); }\n").unwrap();
    std::fs::write(src.join("novel.rs"), "use crate::text;\n").unwrap();
    let bad = upward_imports(src);
    let found: Vec<(&str, &str)> = bad.iter().map(|(f, _, m)| (f.as_str(), m.as_str())).collect();
    assert_eq!(found, [("book/mod.rs", "store"), ("novel.rs", "novel"), ("text.rs", "place")]);
}

#[test]
fn every_kind_of_derived_data_has_its_own_name() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut names = Vec::new();
    let mut dirs = vec![src];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for block in text.split("Derived for ").skip(1) {
                let name = block.split("const NAME: &'static str = \"").nth(1).and_then(|r| r.split('"').next());
                names.push(name.expect("an impl Derived names its kind").to_string());
            }
        }
    }
    let distinct: BTreeSet<&String> = names.iter().collect();
    assert!(names.len() >= 10, "kinds found: {names:?}");
    assert_eq!(distinct.len(), names.len(), "kinds: {names:?}");
}
