//! The include graph: includes (`\\input`, `\\include`, `\\subfile`, Typst `#include`)
//! resolved to book files as the markup's tool would, the root documents, the files they
//! reach, and the heading context an included file starts under.
//!
//! What it leaves out: the bibliography files the documents name (see
//! [`super::bibliography`]) and the imports of Typst files (derived data, see [`crate::store`]).

use std::collections::BTreeSet;

use regex::Regex;

use super::config::CONFIG_FILE;
use super::Book;
use crate::finding::{Code, Finding};
use crate::markup::Markup;
use crate::text::{join_rel, parent_dir, LineIndex};

impl Book {
    /// The including file and include line of `path`; a reachable parent is preferred.
    pub fn parent_of(&self, path: &str) -> Option<(String, usize)> {
        let ps = self.includes.parents.get(path)?;
        ps.iter().find(|(p, _)| self.includes.reachable.contains(p)).or_else(|| ps.first()).cloned()
    }

    /// `path` and every file it includes, transitively, in document order.
    pub fn closure(&self, path: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        self.closure_into(path, &mut out, &mut seen);
        out
    }

    fn closure_into(&self, path: &str, out: &mut Vec<String>, seen: &mut BTreeSet<String>) {
        if !seen.insert(path.to_string()) {
            return;
        }
        out.push(path.to_string());
        for (child, _) in self.includes.children.get(path).into_iter().flatten() {
            self.closure_into(child, out, seen);
        }
    }

    /// Resolves an include written in `from` to a book file, as the markup's tool would:
    /// relative to the including file, then (LaTeX) to each root's folder and the book root;
    /// Typst `/x` is relative to the book root. LaTeX adds `.tex` when the name has no
    /// extension. `None` when no such file is in the book (or the path leaves the book).
    pub fn resolve_include(&self, from: &str, target: &str) -> Option<String> {
        let markup = Markup::from_path(from)?;
        let mut bases: Vec<String> = Vec::new();
        let target = target.trim();
        let (target, rooted) = match target.strip_prefix('/') {
            Some(t) => (t, true),
            None => (target, false),
        };
        if rooted {
            bases.push(String::new());
            bases.extend(self.includes.roots.iter().map(|r| parent_dir(r).to_string()));
        } else if markup == Markup::Latex {
            // TeX resolves against its working directory: the root document's folder.
            bases.extend(self.includes.roots.iter().filter(|r| r.ends_with(".tex")).map(|r| parent_dir(r).to_string()));
            bases.push(String::new());
            bases.push(parent_dir(from).to_string());
        } else {
            bases.push(parent_dir(from).to_string());
        }
        let names: Vec<String> = if markup == Markup::Latex && Markup::from_path(target).is_none() {
            vec![format!("{target}.tex"), target.to_string()]
        } else {
            vec![target.to_string()]
        };
        for base in &bases {
            for name in &names {
                if let Some(p) = join_rel(base, name).and_then(|p| self.file(&p)) {
                    return Some(p);
                }
            }
        }
        None
    }

    pub(super) fn link_includes(&mut self) {
        let typst = Regex::new(r#"^[ \t]*#include\s+"([^"]+)""#).unwrap();
        let latex = crate::outline::patterns::latex_include();
        let documentclass = Regex::new(r"(?m)^[ \t]*\\documentclass").unwrap();
        let files: Vec<String> = self.chapter_files().cloned().collect();
        let mut raw: Vec<(String, String, usize)> = Vec::new();
        let mut latex_roots = Vec::new();
        for path in &files {
            let text = &self.sources[path];
            match Markup::from_path(path) {
                Some(Markup::Typst) => {
                    // Found by the literal first, then the regex at line starts only: a
                    // regex anchored at `^` over the whole book is several times slower.
                    let mut idx = None;
                    for (at, _) in text.match_indices("#include") {
                        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                        if let Some(c) = typst.captures(&text[line_start..]) {
                            let idx = idx.get_or_insert_with(|| LineIndex::new(text));
                            raw.push((path.clone(), c[1].to_string(), idx.line_of(at)));
                        }
                    }
                }
                Some(Markup::Latex) => {
                    if documentclass.is_match(text) {
                        latex_roots.push(path.clone());
                    }
                    for (i, line) in text.lines().enumerate() {
                        let code = crate::outline::strip_latex_comment(line);
                        for c in latex.captures_iter(code) {
                            let t = c.get(1).or_else(|| c.get(2)).unwrap().as_str().trim().trim_matches('"');
                            raw.push((path.clone(), t.to_string(), i + 1));
                        }
                    }
                }
                _ => {}
            }
        }
        self.includes.roots =
            if self.config.book.roots.is_empty() { latex_roots } else { self.config.book.roots.clone() };
        let configured = !self.config.book.roots.is_empty();
        for root in &self.config.book.roots {
            if !self.sources.contains_key(root) {
                self.findings.push(
                    Finding::new(
                        Code::RootMissing,
                        format!("root document `{root}` named in {CONFIG_FILE} is not a chapter file of the book"),
                    )
                    .at(CONFIG_FILE, None)
                    .help("name a .tex or .typ file inside the book, relative to the book root"),
                );
            }
        }
        // Resolve against the LaTeX roots known so far; Typst roots come from the graph.
        let mut edges = Vec::new();
        for (from, target, line) in &raw {
            match self.resolve_include(from, target) {
                Some(child) => edges.push((from.clone(), child, *line)),
                None if target.contains("..") && join_rel(parent_dir(from), target).is_none() => {
                    self.findings.push(
                        Finding::new(
                            Code::IncludeOutsideBook,
                            format!("include `{target}` points outside the book; it is not followed"),
                        )
                        .at(from.clone(), Some(*line)),
                    );
                }
                None => self.findings.push(
                    Finding::new(Code::IncludeMissing, format!("included file `{target}` is not in the book"))
                        .at(from.clone(), Some(*line))
                        .help("fix the include path, or add the file"),
                ),
            }
        }
        for (from, child, line) in edges {
            self.includes.parents.entry(child.clone()).or_default().push((from.clone(), line));
            self.includes.children.entry(from).or_default().push((child, line));
        }
        if !configured {
            self.includes.roots.extend(self.typst_roots(&files));
        }
        let mut stack: Vec<String> = self.includes.roots.clone();
        while let Some(p) = stack.pop() {
            if self.includes.reachable.insert(p.clone()) {
                stack.extend(self.includes.children.get(&p).into_iter().flatten().map(|(c, _)| c.clone()));
            }
        }
        // A missing include in a file no root reaches (a legacy edition) is not the book's
        // problem; with no root at all, every file counts.
        if !self.includes.reachable.is_empty() {
            let reachable = &self.includes.reachable;
            self.findings.retain(|f| {
                !matches!(f.code, Code::IncludeMissing | Code::IncludeOutsideBook)
                    || f.line.is_none()
                    || f.path.as_ref().is_none_or(|p| reachable.contains(p))
            });
        }
    }
}

impl Book {
    /// The Typst root documents among `files`: a file no other file includes that includes
    /// others and sets up a whole document (`#set document(..)`, `#set page(..)`, a
    /// `#show: template` rule, an `#outline(..)` or a `#bibliography(..)`), as a book's main
    /// file does and a scratch
    /// file that includes a few chapters to preview them (`test-part2.typ`) does not. When no
    /// such file sets up a document, every file included by none that includes others.
    fn typst_roots(&self, files: &[String]) -> Vec<String> {
        let setup = Regex::new(
            r"(?m)^[ \t]*#(?:set[ \t]+(?:document|page)[ \t]*\(|show[ \t]*:|outline[ \t]*\(|bibliography[ \t]*\()",
        )
        .unwrap();
        let tops: Vec<&String> = files
            .iter()
            .filter(|p| {
                p.ends_with(".typ")
                    && self.includes.children.contains_key(*p)
                    && !self.includes.parents.contains_key(*p)
            })
            .collect();
        let documents: Vec<String> =
            tops.iter().filter(|p| setup.is_match(&self.sources[p.as_str()])).map(|p| p.to_string()).collect();
        if documents.is_empty() {
            tops.into_iter().cloned().collect()
        } else {
            documents
        }
    }
}

/// Pushes a heading onto a heading stack, first popping every heading at its level or below.
pub fn nest(stack: &mut Vec<(i32, String)>, level: i32, title: &str) {
    while stack.last().is_some_and(|(l, _)| *l >= level) {
        stack.pop();
    }
    stack.push((level, title.to_string()));
}
