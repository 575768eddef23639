//! The kinds of derived data the book model gives, and the [`Store`] methods that ask for
//! them: each chapter file's outline, the book's term table, heading titles, label sites and
//! label index, Typst imports and functions, and resolution's chapter documents. Each is
//! built on first use (on every core where it scans the whole book) or read back from the
//! snapshot.
//!
//! What it leaves out: how entries are kept and stored (see [`super::cache`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{Derived, Place, Store};
use crate::book::{nest, Book};
use crate::markup::Markup;
use crate::outline::Outline;
use crate::relevance::{BookTerms, ContentDocs, OwnedTermParts, U32Bytes};

/// Label -> every `(path, 1-based line)` defining it.
pub type LabelIndex = BTreeMap<String, Vec<(String, usize)>>;

/// Label name -> the chapter files whose text may define it, by
/// [`crate::outline::quick_labels`] (a superset of the files that do).
pub type LabelSites = HashMap<String, Vec<String>>;

/// Chapter file -> its headings as `(level, title)` in order, by
/// [`crate::outline::quick_headings`].
pub type HeadingTitles = HashMap<String, Vec<(i32, String)>>;

/// Citation key -> every `(path, 1-based line)` citing it, in path and line order; for Typst
/// and Markdown every `@name` counts (a cross-reference's name is no guide's key). Built
/// from the outlines; what [`crate::integrated`] looks keys up in, never a scan per target.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CitationIndex(pub BTreeMap<String, Vec<(String, usize)>>);

impl CitationIndex {
    /// Where `key` is cited: `(path, line)`, in path and line order; empty when nowhere.
    pub fn sites(&self, key: &str) -> &[(String, usize)] {
        self.0.get(key).map_or(&[], Vec::as_slice)
    }

    /// How many files cite `key` (its file frequency).
    pub fn files_citing(&self, key: &str) -> usize {
        let sites = self.sites(key);
        sites.iter().enumerate().filter(|(i, (p, _))| *i == 0 || sites[i - 1].0 != *p).count()
    }
}

/// Label in its loose form ([`loose_label`]) -> the labels of the book written so: a label
/// the Typst edition writes `ach-x` and the LaTeX edition `ach:x` is one label.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct LabelForms(pub BTreeMap<String, Vec<String>>);

/// A label without letter case and separators (`Ach:Nelson_2021-x` -> `achnelson2021x`).
pub fn loose_label(label: &str) -> String {
    label.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The files the reachable documents import, resolved like includes.
#[derive(Serialize, Deserialize)]
pub(crate) struct Imported(BTreeSet<String>);

/// The Typst functions the book defines, sorted.
#[derive(Serialize, Deserialize)]
pub(crate) struct TypstFunctions(Vec<String>);

/// Encodes `value` as postcard does (the encoding of every plain kind).
fn encode<T: Serialize>(value: &T) -> Option<Vec<u8>> {
    postcard::to_allocvec(value).ok()
}

/// Decodes what [`encode`] wrote.
fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Option<T> {
    postcard::from_bytes(bytes).ok()
}

impl Derived for Outline {
    const NAME: &'static str = "outline";
    // An outline is a function of its file's markup and text: a new commit reparses only
    // the files it changed.
    const PLACE: Place = Place::AcrossCommits;
    fn encode(&self) -> Option<Vec<u8>> {
        encode(self)
    }
    fn decode(bytes: &[u8], _: &Book) -> Option<Self> {
        decode(bytes)
    }
}

impl Derived for BookTerms {
    const NAME: &'static str = "terms";
    // Read only by runs that need the whole book's terms.
    const PLACE: Place = Place::OwnPart;
    fn encode(&self) -> Option<Vec<u8>> {
        encode(&self.parts())
    }
    fn decode(bytes: &[u8], _: &Book) -> Option<Self> {
        BookTerms::from_parts(decode::<OwnedTermParts>(bytes)?)
    }
}

impl Derived for HeadingTitles {
    const NAME: &'static str = "heading-titles";
    fn encode(&self) -> Option<Vec<u8>> {
        encode(self)
    }
    fn decode(bytes: &[u8], _: &Book) -> Option<Self> {
        decode(bytes)
    }
}

impl Derived for LabelSites {
    const NAME: &'static str = "label-sites";
    fn encode(&self) -> Option<Vec<u8>> {
        encode(self)
    }
    fn decode(bytes: &[u8], _: &Book) -> Option<Self> {
        decode(bytes)
    }
}

impl Derived for LabelIndex {
    const NAME: &'static str = "labels";
    // Built from the outlines, which the snapshot holds: not stored twice.
    fn encode(&self) -> Option<Vec<u8>> {
        None
    }
    fn decode(_: &[u8], _: &Book) -> Option<Self> {
        None
    }
}

impl Derived for CitationIndex {
    const NAME: &'static str = "citations";
    fn encode(&self) -> Option<Vec<u8>> {
        encode(self)
    }
    fn decode(bytes: &[u8], _: &Book) -> Option<Self> {
        decode(bytes)
    }
}

impl Derived for LabelForms {
    const NAME: &'static str = "label-forms";
    fn encode(&self) -> Option<Vec<u8>> {
        encode(self)
    }
    fn decode(bytes: &[u8], _: &Book) -> Option<Self> {
        decode(bytes)
    }
}

impl Derived for Imported {
    const NAME: &'static str = "imported";
    fn encode(&self) -> Option<Vec<u8>> {
        encode(self)
    }
    fn decode(bytes: &[u8], _: &Book) -> Option<Self> {
        decode(bytes)
    }
}

impl Derived for TypstFunctions {
    const NAME: &'static str = "typst-functions";
    fn encode(&self) -> Option<Vec<u8>> {
        encode(self)
    }
    fn decode(bytes: &[u8], _: &Book) -> Option<Self> {
        decode(bytes)
    }
}

/// [`ContentDocs`] as the snapshot keeps it: the chapters, the terms in id order, the ids in
/// the terms' order, and per chapter `(id, count)` pairs, the numbers as little-endian `u32`
/// bytes.
#[derive(Deserialize)]
struct ContentParts<'a> {
    chapters: Vec<String>,
    names: Vec<String>,
    by_name: &'a [u8],
    #[serde(borrow)]
    docs: Vec<&'a [u8]>,
}

/// [`ContentParts`] for writing.
#[derive(Serialize)]
struct ContentPartsRef<'a> {
    chapters: &'a [String],
    names: &'a [String],
    by_name: U32Bytes<'a>,
    docs: Vec<U32Bytes<'a>>,
}

impl Derived for ContentDocs {
    const NAME: &'static str = "content-docs";
    fn encode(&self) -> Option<Vec<u8>> {
        let docs = self.docs.iter().map(|d| U32Bytes::owned(d.iter().flat_map(|&(t, n)| [t, n]).collect())).collect();
        encode(&ContentPartsRef {
            chapters: &self.chapters,
            names: &self.names,
            by_name: U32Bytes::of(&self.by_name),
            docs,
        })
    }
    fn decode(bytes: &[u8], _: &Book) -> Option<Self> {
        let c: ContentParts = decode(bytes)?;
        let docs: Option<Vec<Vec<(u32, u32)>>> = c
            .docs
            .iter()
            .map(|d| {
                let n = crate::relevance::u32s_of(d)?;
                (n.len() % 2 == 0).then(|| n.chunks_exact(2).map(|p| (p[0], p[1])).collect())
            })
            .collect();
        let by_name = crate::relevance::u32s_of(c.by_name)?;
        ContentDocs::read_back(c.chapters, c.names, docs?, by_name)
    }
}

impl Store {
    /// The outline of a chapter file, parsed once.
    /// Markdown files of the book that are not chapters are outlined too (for `outline`).
    pub fn outline(&self, path: &str) -> Option<Arc<Outline>> {
        if let Some(o) = self.derived_if_built::<Outline>(path) {
            return Some(o);
        }
        let markup = Markup::from_path(path)?;
        let text = self.sources.get(path)?;
        Some(self.derived(path, || Outline::parse(markup, text)))
    }

    /// Parses the outline of every chapter file not parsed yet, split over the machine's
    /// cores; later [`Store::outline`] calls return the parsed outlines.
    pub fn outline_all(&self) {
        let todo: Vec<(&String, Markup, &str)> = self
            .chapter_files()
            .filter(|p| !self.has_derived::<Outline>(p))
            .filter_map(|p| Some((p, Markup::from_path(p)?, self.sources[p].as_str())))
            .collect();
        let parsed = crate::text::parallel_map(&todo, |(_, m, text)| Outline::parse(*m, text));
        for ((path, ..), outline) in todo.into_iter().zip(parsed) {
            self.insert_derived(path, outline);
        }
    }

    /// The terms of every chapter file as ids, line by line (see [`BookTerms`]); tokenized
    /// on every core on first use.
    pub fn terms(&self) -> Arc<BookTerms> {
        self.derived("", || {
            let phase = crate::trace::Phase::start("tokenize the book");
            let files: Vec<(&str, &str)> =
                self.chapter_files().filter_map(|p| Some((p.as_str(), self.sources.get(p)?.as_str()))).collect();
            let terms = BookTerms::build(&files);
            phase.done();
            terms
        })
    }

    /// [`Store::terms`] when something already needed the whole book's terms.
    pub fn terms_if_built(&self) -> Option<Arc<BookTerms>> {
        self.derived_if_built("")
    }

    /// Each chapter file's headings by a line scan ([`crate::outline::quick_headings`]),
    /// on every core on first use.
    pub fn heading_titles(&self) -> Arc<HeadingTitles> {
        self.derived("", || {
            let heads = self.scan_chapters(crate::outline::quick_headings);
            heads.into_iter().map(|(p, h)| (p.clone(), h)).collect()
        })
    }

    /// Where `label` is defined: `(path, 1-based line)` in path order. Only the files
    /// [`Store::label_sites`] names for it are outlined.
    pub fn find_label(&self, label: &str) -> Vec<(String, usize)> {
        // Once the whole book's label index is built (a whole-book check), it answers.
        if let Some(index) = self.derived_if_built::<LabelIndex>("") {
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
        self.derived("", || {
            let mut sites = LabelSites::new();
            for (path, labels) in self.scan_chapters(crate::outline::quick_labels) {
                for label in labels {
                    sites.entry(label).or_default().push(path.clone());
                }
            }
            sites
        })
    }

    /// The files that the reachable documents import (`#import "shared/environments.typ": *`),
    /// resolved like includes; scanned once (or read from the snapshot).
    pub fn imported(&self) -> Arc<BTreeSet<String>> {
        let imported = self.derived("", || {
            let import = Regex::new(r#"#import\s+"([^"]+\.typ)""#).expect("valid pattern");
            let found = self
                .includes
                .reachable
                .iter()
                .filter_map(|p| Some((p, self.sources.get(p)?)))
                .flat_map(|(p, text)| {
                    import.captures_iter(text).filter_map(|c| self.resolve_include(p, &c[1])).collect::<Vec<_>>()
                })
                .collect();
            Imported(found)
        });
        Arc::new(imported.0.clone())
    }

    /// Typst functions the book defines with `#let name(` (its environment functions among
    /// them), sorted; scanned once.
    pub fn typst_functions(&self) -> Arc<Vec<String>> {
        let functions = self.derived("", || {
            let re = Regex::new(r"(?m)^#let\s+([A-Za-z][A-Za-z0-9_-]*)\s*\(").unwrap();
            let mut names: Vec<String> = self
                .sources
                .iter()
                .filter(|(p, t)| p.ends_with(".typ") && t.contains("#let"))
                .flat_map(|(_, t)| re.captures_iter(t).map(|c| c[1].to_string()).collect::<Vec<_>>())
                .collect();
            names.sort();
            names.dedup();
            TypstFunctions(names)
        });
        Arc::new(functions.0.clone())
    }

    /// Every label of the book's chapter files -> where it is defined.
    pub fn labels(&self) -> Arc<LabelIndex> {
        if let Some(l) = self.derived_if_built::<LabelIndex>("") {
            return l;
        }
        self.outline_all();
        self.derived("", || {
            let mut map = LabelIndex::new();
            for path in self.chapter_files() {
                if let Some(o) = self.outline(path) {
                    for (label, line) in &o.labels {
                        map.entry(label.clone()).or_default().push((path.clone(), *line));
                    }
                }
            }
            map
        })
    }

    /// Every citation of the book's chapter files, by key ([`CitationIndex`]); built once
    /// from the outlines (parsed on every core) or read back from the snapshot.
    pub fn citations(&self) -> Arc<CitationIndex> {
        if let Some(c) = self.derived_if_built::<CitationIndex>("") {
            return c;
        }
        if !self.has_derived::<CitationIndex>("") {
            self.outline_all();
        }
        self.derived("", || {
            let mut map: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
            for path in self.chapter_files() {
                if let Some(o) = self.outline(path) {
                    for (key, line) in &o.citations {
                        map.entry(key.clone()).or_default().push((path.clone(), *line));
                    }
                }
            }
            for sites in map.values_mut() {
                sites.sort();
                sites.dedup();
            }
            CitationIndex(map)
        })
    }

    /// The book's labels by their loose form ([`LabelForms`]), from [`Store::labels`].
    pub fn label_forms(&self) -> Arc<LabelForms> {
        self.derived("", || {
            let labels = self.labels();
            let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for label in labels.keys() {
                map.entry(loose_label(label)).or_default().push(label.clone());
            }
            LabelForms(map)
        })
    }

    /// Headings above the start of `path` through the include chain, outermost first, as
    /// `(level, title)`: the including file's enclosing headings at the include line,
    /// recursively, each file's stack nested under its parent's by level.
    pub fn context_of(&self, path: &str) -> Vec<(i32, String)> {
        let mut chain = Vec::new();
        let mut current = path.to_string();
        let mut seen = BTreeSet::new();
        while let Some((parent, line)) = self.parent_of(&current) {
            if !seen.insert(parent.clone()) {
                break;
            }
            chain.push((parent.clone(), line));
            current = parent;
        }
        let mut stack: Vec<(i32, String)> = Vec::new();
        for (parent, line) in chain.iter().rev() {
            if let Some(o) = self.outline(parent) {
                for h in o.heading_stack_at(*line) {
                    nest(&mut stack, h.level, &h.title);
                }
            }
        }
        stack
    }
}
