//! The book's bibliography: the .bib files it is read from (configured, else those the
//! documents name first, then every other .bib outside the literature folders), scanned on
//! every core.
//!
//! What it leaves out: parsing .bib entries (see [`crate::bib`]).

use std::collections::BTreeSet;

use regex::Regex;

use super::config::CONFIG_FILE;
use super::Book;
use crate::bib::Bibliography;
use crate::finding::{Code, Finding};
use crate::text::{join_rel, parent_dir};

impl Book {
    /// The .bib files the book's documents name (`\bibliography{a,b}`, `\addbibresource{x}`,
    /// Typst `#bibliography("a.bib")` or `(("a.bib", "b.bib"))`), resolved like includes.
    fn bibliography_in_use(&self) -> BTreeSet<String> {
        self.bibliography_named_by(&mut |_| true)
    }

    /// The .bib files the files the root documents reach name (every document file, when no
    /// root reaches any), as [`Book::read_bibliography`]'s documents-first order takes them;
    /// empty when they name none.
    pub(crate) fn bibliography_of_roots(&self) -> BTreeSet<String> {
        let reachable = &self.includes.reachable;
        self.bibliography_named_by(&mut |p| reachable.is_empty() || reachable.contains(p))
    }

    /// The .bib files the document files for which `include` holds name.
    fn bibliography_named_by(&self, include: &mut dyn FnMut(&str) -> bool) -> BTreeSet<String> {
        let latex = Regex::new(r"\\(?:bibliography|addbibresource)\s*\{([^}]+)\}").unwrap();
        let typst = Regex::new(r#"#bibliography\(\s*\(?([^)]*)"#).unwrap();
        let quoted = Regex::new(r#""([^"]+\.bib)""#).unwrap();
        let mut out = BTreeSet::new();
        for (path, text) in self.sources.iter().filter(|(p, _)| !p.ends_with(".bib") && include(p)) {
            let dir = parent_dir(path);
            let mut names: Vec<String> = Vec::new();
            if path.ends_with(".typ") {
                for c in typst.captures_iter(text) {
                    names.extend(quoted.captures_iter(&c[1]).map(|q| q[1].to_string()));
                }
            } else {
                for c in latex.captures_iter(text) {
                    names.extend(c[1].split(',').map(|n| {
                        let n = n.trim();
                        if n.ends_with(".bib") {
                            n.to_string()
                        } else {
                            format!("{n}.bib")
                        }
                    }));
                }
            }
            for name in names {
                let rooted = name.strip_prefix('/');
                let candidates = [rooted.and_then(|r| join_rel("", r)), join_rel(dir, &name), join_rel("", &name)];
                if let Some(found) = candidates.into_iter().flatten().find(|c| self.sources.contains_key(c)) {
                    out.insert(found);
                }
            }
        }
        out
    }

    /// Reads the bibliography: the configured files in order, else every .bib outside the
    /// literature folders, those the documents name first (a scratch .bib elsewhere must not
    /// win a duplicate key over the book's own bibliography), then by path.
    pub(crate) fn read_bibliography(&mut self, validate: bool) {
        self.bib_validated = validate;
        let bib_files: Vec<String> = if self.config.book.bibliography.is_empty() {
            let used = self.bibliography_in_use();
            let mut files: Vec<String> = self.sources.keys().filter(|p| p.ends_with(".bib")).cloned().collect();
            files.sort_by_key(|p| (!used.contains(p), p.clone()));
            files
        } else {
            self.config.book.bibliography.clone()
        };
        let mut bib = Bibliography::default();
        let texts: Vec<(&String, Option<&String>)> = bib_files.iter().map(|p| (p, self.sources.get(p))).collect();
        let scanned = crate::text::parallel_map(&texts, |(path, text)| {
            text.map(|t| crate::bib::ScannedFile::new(path, t, validate))
        });
        let mut missing = Vec::new();
        for ((path, _), file) in texts.iter().zip(scanned) {
            match file {
                Some(file) => bib.add_scanned(file),
                None => missing.push((*path).clone()),
            }
        }
        // With the bibliography's own findings: reading it again replaces them all.
        for path in missing {
            bib.findings.push(
                Finding::new(
                    Code::BibFileMissing,
                    format!("bibliography file `{path}` named in {CONFIG_FILE} does not exist"),
                )
                .at(CONFIG_FILE, None),
            );
        }
        self.bib = bib;
    }
}
