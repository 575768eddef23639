//! What the book derives from its texts once and shares: outlines, the term table, heading
//! titles and indexes, label sites and the label index, Typst imports and functions. Each is
//! built on first use (on every core where it scans the whole book) or taken from the
//! snapshot when it holds it.
//!
//! What it leaves out: reading and writing the snapshot (see [`super::stored`]); section
//! indexes, which `place` builds (their storage is in [`super::stored`]).

use std::collections::BTreeSet;
use std::sync::Arc;

use regex::Regex;

use super::{lock, Book, ContentDocs, HeadingTitles, LabelIndex, LabelSites};
use crate::markup::Markup;
use crate::outline::Outline;

impl Book {
    /// The outline of a chapter file, parsed once.
    /// Markdown files of the book that are not chapters are outlined too (for `outline`).
    pub fn outline(&self, path: &str) -> Option<Arc<Outline>> {
        if let Some(o) = lock(&self.outlines).get(path) {
            return Some(o.clone());
        }
        let markup = Markup::from_path(path)?;
        let stored = self.stored_outlines.get(path).and_then(|b| crate::snapshot::decode_outline(b));
        let o = match stored {
            Some(o) => Arc::new(o),
            None => Arc::new(Outline::parse(markup, self.sources.get(path)?)),
        };
        lock(&self.outlines).insert(path.to_string(), o.clone());
        Some(o)
    }

    /// True when `path`'s outline is parsed already.
    pub(crate) fn has_outline(&self, path: &str) -> bool {
        self.stored_outlines.contains_key(path) || lock(&self.outlines).contains_key(path)
    }

    /// Stores an outline parsed elsewhere (see [`Book::outline_all`]).
    pub(crate) fn insert_outline(&self, path: &str, outline: Outline) {
        lock(&self.outlines).insert(path.to_string(), Arc::new(outline));
    }

    /// The terms of every chapter file as ids, line by line (see
    /// [`crate::relevance::BookTerms`]); tokenized on every core on first use.
    pub fn terms(&self) -> Arc<crate::relevance::BookTerms> {
        self.terms
            .get_or_init(|| {
                if let Some(terms) = self.read_terms_part() {
                    self.terms_read.store(true, std::sync::atomic::Ordering::Relaxed);
                    return Arc::new(terms);
                }
                let phase = crate::trace::Phase::start("tokenize the book");
                let files: Vec<(&str, &str)> =
                    self.chapter_files().filter_map(|p| Some((p.as_str(), self.sources.get(p)?.as_str()))).collect();
                let terms = Arc::new(crate::relevance::BookTerms::build(&files));
                phase.done();
                terms
            })
            .clone()
    }

    /// Each chapter file's headings by a line scan ([`crate::outline::quick_headings`]),
    /// on every core on first use.
    pub fn heading_titles(&self) -> Arc<HeadingTitles> {
        self.heading_titles
            .get_or_init(|| {
                let heads = self.scan_chapters(crate::outline::quick_headings);
                Arc::new(heads.into_iter().map(|(p, h)| (p.clone(), h)).collect())
            })
            .clone()
    }

    /// Resolution's chapter documents for `chapters`, built by `build` once (or read from
    /// the snapshot when it holds them for the same chapters).
    pub fn content_docs(&self, chapters: &[String], build: impl FnOnce() -> ContentDocs) -> Arc<ContentDocs> {
        if let Some(c) = self.content_docs.get().filter(|c| c.chapters == chapters) {
            return c.clone();
        }
        let built = Arc::new(build());
        // The first chapters asked for are the ones kept (a book has one chapter list).
        let _ = self.content_docs.set(built.clone());
        built
    }

    /// Resolution's heading index for `chapters`, built by `build` once (or read from the
    /// snapshot when it holds one for the same chapters).
    pub fn heading_index(
        &self,
        chapters: &[String],
        build: impl FnOnce() -> crate::resolve::HeadingIndex,
    ) -> Arc<crate::resolve::HeadingIndex> {
        if let Some(h) = self.heading_index.get().filter(|h| h.chapters == chapters) {
            return h.clone();
        }
        let built = Arc::new(build());
        let _ = self.heading_index.set(built.clone());
        built
    }

    /// [`Book::terms`] when something already needed the whole book's terms.
    pub fn terms_if_built(&self) -> Option<Arc<crate::relevance::BookTerms>> {
        self.terms.get().cloned()
    }

    /// Where `label` is defined: `(path, 1-based line)` in path order. Only the files
    /// [`Book::label_sites`] names for it are outlined.
    pub fn find_label(&self, label: &str) -> Vec<(String, usize)> {
        // Once the whole book's label index is built (a whole-book check), it answers.
        if let Some(index) = lock(&self.labels).as_ref() {
            return index.get(label).cloned().unwrap_or_default();
        }
        let sites = self.label_sites();
        sites
            .get(label)
            .into_iter()
            .flatten()
            .filter_map(|p| self.outline(p).map(|o| (p, o)))
            .flat_map(|(p, o)| {
                o.labels.iter().filter(|(l, _)| l == label).map(|(_, line)| (p.clone(), *line)).collect::<Vec<_>>()
            })
            .collect()
    }

    /// `scan` of every chapter file's markup and text, on every core, in path order.
    fn scan_chapters<T: Send>(&self, scan: impl Fn(Markup, &str) -> T + Sync) -> Vec<(&String, T)> {
        let files: Vec<(&String, Markup, &str)> = self
            .chapter_files()
            .filter_map(|p| Some((p, Markup::from_path(p)?, self.sources.get(p)?.as_str())))
            .collect();
        let found = crate::text::parallel_map(&files, |(_, m, t)| scan(*m, t));
        files.into_iter().map(|(p, ..)| p).zip(found).collect()
    }

    /// Label name -> the chapter files (in path order) whose text may define it, by a
    /// pattern scan of every chapter file on every core on first use (or from the snapshot).
    pub fn label_sites(&self) -> Arc<LabelSites> {
        self.label_sites
            .get_or_init(|| {
                let mut sites = LabelSites::new();
                for (path, labels) in self.scan_chapters(crate::outline::quick_labels) {
                    for label in labels {
                        sites.entry(label).or_default().push(path.clone());
                    }
                }
                Arc::new(sites)
            })
            .clone()
    }

    /// The files that the reachable documents import (`#import "shared/environments.typ": *`),
    /// resolved like includes; scanned once (or read from the snapshot).
    pub fn imported(&self) -> Arc<BTreeSet<String>> {
        self.imported
            .get_or_init(|| {
                let import = Regex::new(r#"#import\s+"([^"]+\.typ)""#).expect("valid pattern");
                let found = self
                    .reachable
                    .iter()
                    .filter_map(|p| Some((p, self.sources.get(p)?)))
                    .flat_map(|(p, text)| {
                        import.captures_iter(text).filter_map(|c| self.resolve_include(p, &c[1])).collect::<Vec<_>>()
                    })
                    .collect();
                Arc::new(found)
            })
            .clone()
    }

    /// Typst functions the book defines with `#let name(` (its environment functions among
    /// them), sorted; scanned once.
    pub fn typst_functions(&self) -> Arc<Vec<String>> {
        if let Some(f) = lock(&self.functions).as_ref() {
            return f.clone();
        }
        let re = Regex::new(r"(?m)^#let\s+([A-Za-z][A-Za-z0-9_-]*)\s*\(").unwrap();
        let mut names: Vec<String> = self
            .sources
            .iter()
            .filter(|(p, t)| p.ends_with(".typ") && t.contains("#let"))
            .flat_map(|(_, t)| re.captures_iter(t).map(|c| c[1].to_string()).collect::<Vec<_>>())
            .collect();
        names.sort();
        names.dedup();
        let rc = Arc::new(names);
        *lock(&self.functions) = Some(rc.clone());
        rc
    }

    /// Every label of the book's chapter files -> where it is defined.
    pub fn labels(&self) -> Arc<LabelIndex> {
        if let Some(l) = lock(&self.labels).as_ref() {
            return l.clone();
        }
        self.outline_all();
        let mut map = LabelIndex::new();
        let paths: Vec<String> = self.chapter_files().cloned().collect();
        for path in paths {
            if let Some(o) = self.outline(&path) {
                for (label, line) in &o.labels {
                    map.entry(label.clone()).or_default().push((path.clone(), *line));
                }
            }
        }
        let rc = Arc::new(map);
        *lock(&self.labels) = Some(rc.clone());
        rc
    }
}
