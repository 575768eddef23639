//! `outline`: the book model as data: every chapter file (or those named) with its
//! headings, environments, labels, citations, cross-references and includes, every .bib
//! file with its entries, and the book's findings.
//!
//! What it leaves out: the parsers (`crate::outline`) and the guides.

use std::io::Write;
use std::path::Path;

use crate::cli::{Format, Settings};
use crate::error::{Error, Result};
use crate::finding::{Finding, Severity};
use crate::report::{self, Style};
use crate::store::Store;
use crate::{index, text};

/// Prints the outline; status 1 when a finding is an error.
///
/// # Errors
/// [`Error::Usage`] when a named file is not a file of the book; [`Error::Io`] when one
/// cannot be read or stdout cannot be written.
pub(super) fn run(book: &Store, s: &Settings, cwd: &Path, out: &mut dyn Write, style: Style) -> Result<i32> {
    let files = if s.paths.is_empty() { every_file(book) } else { named_files(book, &s.paths, cwd)? };
    // The whole book: its health; named files: their citations and cross-references.
    let health = if s.paths.is_empty() { index::health(book) } else { index::uses_health(book, &files) };
    let mut findings: Vec<Finding> = super::book_findings(book, &health);
    findings.sort_by(|a, b| (&a.path, a.line, &a.code, &a.message).cmp(&(&b.path, b.line, &b.code, &b.message)));
    let text = match s.format {
        Format::Json => report::outline_json(book, &files, &findings),
        Format::Text | Format::Github => report::outline_text(book, &files, &findings, style, !s.paths.is_empty()),
    };
    super::write_out(out, &text)?;
    Ok(i32::from(findings.iter().any(|f| f.severity == Severity::Error)))
}

/// Every chapter file (those reachable from a root first, in document order) and every
/// .bib file.
fn every_file(book: &Store) -> Vec<String> {
    let mut order = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for root in &book.includes.roots {
        for f in book.closure(root) {
            if seen.insert(f.clone()) {
                order.push(f);
            }
        }
    }
    let rest = book.chapter_files().chain(book.sources.keys().filter(|p| p.ends_with(".bib")));
    order.extend(rest.filter(|f| !seen.contains(*f)).cloned());
    order
}

/// The named files as book paths, in the order given.
fn named_files(book: &Store, paths: &[std::path::PathBuf], cwd: &Path) -> Result<Vec<String>> {
    let mut v = Vec::new();
    for p in paths {
        let abs = cwd.join(p).canonicalize().map_err(|e| Error::io("read", p, e))?;
        let rel = abs
            .strip_prefix(&book.root)
            .map(text::slash_path)
            .map_err(|_| Error::Usage(format!("{}: not a file of the book at {}", p.display(), book.root.display())))?;
        if !book.sources.contains_key(&rel) {
            return Err(Error::Usage(format!(
                "{}: not a chapter, Markdown or .bib file of the book (or inside a literature folder)",
                p.display()
            )));
        }
        v.push(rel);
    }
    Ok(v)
}
