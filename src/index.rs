//! The book-wide index: every chapter file's outline (parsed once, on all cores), each
//! `@name` sorted into citation or cross-reference, and the book's own health as a LaTeX
//! language server or the Typst compiler would report it: undefined citation keys,
//! duplicate labels, undefined cross-references (unreadable includes are found when the
//! book is opened).
//!
//! What it leaves out: macro expansion and conditional compilation (`\ifdefined`, Typst
//! `if`): every label and citation written in content counts.

use std::collections::{BTreeMap, BTreeSet};

use crate::bib::KeyStatus;
use crate::finding::{Code, Finding};
use crate::markup::Markup;
use crate::store::Store;

/// A file's citations and cross-references, each `(name, 1-based line)` in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uses {
    /// Citation keys.
    pub citations: Vec<(String, usize)>,
    /// Cross-references to labels.
    pub references: Vec<(String, usize)>,
}

impl Store {
    /// The citations and cross-references of `path`. LaTeX tells them apart by command;
    /// a Typst or Pandoc `@name` is a cross-reference when the book defines the label
    /// `name`, else a citation.
    pub fn uses(&self, path: &str) -> Uses {
        let Some(o) = self.outline(path) else { return Uses::default() };
        let labels = self.labels();
        let mut uses = Uses { citations: Vec::new(), references: o.references.clone() };
        for (name, line) in &o.citations {
            if o.markup != Markup::Latex && labels.contains_key(name) {
                uses.references.push((name.clone(), *line));
            } else {
                uses.citations.push((name.clone(), *line));
            }
        }
        uses.references.sort_by_key(|r| r.1);
        uses
    }

    /// The files whose problems are the book's: those reachable from a root, or every
    /// chapter file when no root is known.
    pub fn document_files(&self) -> Vec<String> {
        if self.includes.reachable.is_empty() {
            self.chapter_files().cloned().collect()
        } else {
            self.includes.reachable.iter().cloned().collect()
        }
    }
}

/// The book's own problems, in path and line order: `citation-undefined` for a key with no
/// bibliography entry, `reference-undefined` for a cross-reference to a label no document
/// file defines, `label-duplicate` for each further definition of a label within one root
/// document (the first definition is the one LaTeX and Typst use), all warnings (the book
/// builds, with `??` or a compiler error at that place); `file-unreachable` (info) for
/// files beside the documents that no root includes.
///
/// Files outside the documents (a legacy edition no root includes) are not checked.
pub fn health(book: &Store) -> Vec<Finding> {
    book.outline_all();
    let mut out = uses_health(book, &book.document_files());
    out.extend(duplicate_labels(book));
    out.extend(unreachable_files(book));
    out.sort_by(|a, b| (&a.path, a.line, &a.code, &a.message).cmp(&(&b.path, b.line, &b.code, &b.message)));
    out.dedup();
    out
}

/// `citation-undefined` and `reference-undefined` findings of `files` (see [`health`]).
pub fn uses_health(book: &Store, files: &[String]) -> Vec<Finding> {
    let mut out = Vec::new();
    // A Typst `@x` that is neither label nor key is a cross-reference when x has the
    // prefix of the book's labels (`sec:`, `hyp:`), else a citation.
    let labels = book.labels();
    let prefixes: BTreeSet<&str> = labels.keys().filter_map(|l| l.split_once(':').map(|(p, _)| p)).collect();
    let looks_like_label = |name: &str| name.split_once(':').is_some_and(|(p, _)| prefixes.contains(p));
    for path in files {
        let markup = Markup::from_path(path);
        let uses = book.uses(path);
        for (key, line) in &uses.citations {
            let status = book.bib.status(key);
            if status == KeyStatus::Found {
                continue;
            }
            if markup != Some(Markup::Latex) && looks_like_label(key) {
                out.push(undefined_reference(path, key, *line));
                continue;
            }
            let finding =
                Finding::new(Code::CitationUndefined, format!("citation key `{key}` has no bibliography entry"))
                    .at(path.clone(), Some(*line));
            out.push(match (status, longer_key(book, key)) {
                (KeyStatus::CaseMismatch(actual), _) => {
                    finding.help(format!("the bibliography has `{actual}`: fix the case"))
                }
                // Pandoc ends a bare key at repeated or final punctuation: `@HFH+:WEKA:09`
                // cites `HFH`. Braces keep the whole key.
                (_, Some(full)) if markup == Some(Markup::Markdown) => {
                    finding.help(format!("the bibliography has `{full}`: write it braced, `[@{{{full}}}]`"))
                }
                (_, Some(full)) => finding.help(format!("the bibliography has `{full}`: cite it whole")),
                _ => finding.help("add the entry to a .bib file of the book, or fix the key"),
            });
        }
        for (name, line) in &uses.references {
            if !labels.contains_key(name) {
                out.push(undefined_reference(path, name, *line));
            }
        }
    }
    out
}

/// The bibliography key that `key` is a cut-off prefix of (`HFH` of `HFH+:WEKA:09`): the
/// first, in key order, that continues `key` with punctuation.
fn longer_key(book: &Store, key: &str) -> Option<String> {
    book.bib
        .entries
        .range(key.to_string()..)
        .take_while(|(k, _)| k.starts_with(key))
        .find(|(k, _)| k[key.len()..].starts_with(|c: char| !c.is_alphanumeric() && c != '_'))
        .map(|(k, _)| k.clone())
}

/// `file-unreachable` (info): chapter files in a root document's folder tree, in its
/// markup, that no root includes: content written but never built (a figure ported and
/// never included). A legacy edition in another markup or folder is not reported.
fn unreachable_files(book: &Store) -> Vec<Finding> {
    if book.includes.roots.is_empty() {
        return Vec::new();
    }
    // Files a document imports (`#import "shared/environments.typ": *`) are used too.
    let imported = book.imported();
    book.chapter_files()
        .filter(|p| !book.includes.reachable.contains(*p) && !imported.contains(*p))
        .filter(|p| {
            book.includes.roots.iter().any(|r| {
                let dir = crate::text::parent_dir(r);
                Markup::from_path(r) == Markup::from_path(p) && (dir.is_empty() || p.starts_with(&format!("{dir}/")))
            })
        })
        .map(|p| {
            Finding::new(Code::FileUnreachable, "no root document includes this file; it is not part of the book")
                .at(p.clone(), None)
                .help("include it where it belongs, or delete it")
        })
        .collect()
}

fn undefined_reference(path: &str, name: &str, line: usize) -> Finding {
    Finding::new(Code::ReferenceUndefined, format!("cross-reference to `{name}`, a label no document file defines"))
        .at(path, Some(line))
        .help("define the label, or fix the reference")
}

/// `label-duplicate` findings: within each root's document (the root and what it
/// includes), every definition of a label after its first.
fn duplicate_labels(book: &Store) -> Vec<Finding> {
    let documents: Vec<Vec<String>> = if book.includes.roots.is_empty() {
        vec![book.chapter_files().cloned().collect()]
    } else {
        book.includes.roots.iter().map(|r| book.closure(r)).collect()
    };
    let mut out = Vec::new();
    for files in documents {
        let mut first: BTreeMap<String, (String, usize)> = BTreeMap::new();
        for path in &files {
            let Some(o) = book.outline(path) else { continue };
            for (label, line) in &o.labels {
                match first.get(label) {
                    Some((p, l)) => out.push(
                        Finding::new(
                            Code::LabelDuplicate,
                            format!("label `{label}` is defined again; the first definition is at {p}:{l}"),
                        )
                        .at(path.clone(), Some(*line))
                        .help("rename one of the labels and update its cross-references"),
                    ),
                    None => {
                        first.insert(label.clone(), (path.clone(), *line));
                    }
                }
            }
        }
    }
    out
}
