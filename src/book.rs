//! The book: root discovery, the files that make it up as of the base revision, and
//! [`Book`], which holds them with what is derived from them.
//!
//! "The file as it is now" is its content at the base revision (HEAD by default) when the
//! book is in git, else on disk. Nothing here writes but the book snapshot (see
//! [`crate::snapshot`]). Outlines are parsed on first use and shared. Markdown chapters are
//! not part of the book model yet.
//!
//! The parts, in the order a book is opened:
//! - `config`: `chapter-integrator.toml` and the rules in force;
//! - `base`: the git base, and reading the book's files from the base tree or disk
//!   (`clean`: the work-tree files whose bytes are their blob's);
//! - `stored`: the book from and to its snapshot;
//! - `includes`: the include graph and root documents;
//! - `bibliography`: the .bib files the bibliography is read from;
//! - `caches`: what is derived once from the texts (outlines, terms, labels, headings).
//!
//! What it leaves out: walking the book's folders on disk (see [`crate::walk`]); the rules
//! for reading a file from disk (see [`crate::disk`]).

mod base;
mod bibliography;
mod caches;
mod clean;
mod config;
mod includes;
mod stored;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

pub use base::GitBase;
pub use config::{BookConfig, BranchConfig, Config, LabelsConfig, ResolveConfig, RulesConfig, CONFIG_FILE};
pub use includes::nest;

use crate::bib::Bibliography;
use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::guide::Markup;
use crate::outline::Outline;
use crate::phrasing::PhrasingRules;
use crate::rules::Rules;
use crate::sources::Sources;
use stored::{Held, StoredSections};

/// Label -> every `(path, 1-based line)` defining it.
pub type LabelIndex = BTreeMap<String, Vec<(String, usize)>>;

/// Everything the later stages need to know about the book.
pub struct Book {
    /// Absolute book root.
    pub root: PathBuf,
    /// The book's configuration.
    pub config: Config,
    /// Rules in force (built-in merged with the book's `rules/`).
    pub rules: Rules,
    /// Phrasing rules in force (`rules/phrasing.toml`, merged by code).
    pub phrasing: PhrasingRules,
    /// Git repository and base commit, when the book is in git.
    pub git: Option<GitBase>,
    /// Chapter files (.tex, .typ) and .bib files, relative path -> text as of the base
    /// commit (read on first use when the book comes from a snapshot).
    pub sources: Sources,
    /// The chapter files among `sources` (see [`Book::chapter_files`]), listed once.
    chapters: Vec<String>,
    /// Root documents.
    pub roots: Vec<String>,
    /// Chapter files reachable from a root through includes.
    pub reachable: BTreeSet<String>,
    /// Child file -> (including file, 1-based line of the include), in path order.
    pub parents: BTreeMap<String, Vec<(String, usize)>>,
    /// Parent file -> resolved children in include order, with the include line.
    pub children: BTreeMap<String, Vec<(String, usize)>>,
    /// The book's bibliography.
    pub bib: Bibliography,
    /// Problems found while reading the book (unreadable files, includes leaving the book).
    pub findings: Vec<Finding>,
    /// Symlinked chapter files -> the book path they point to (links out of the book are
    /// left out, with a finding).
    pub symlinks: BTreeMap<String, String>,
    /// Chapter and .bib files left out because they are not UTF-8 text.
    pub not_text: BTreeSet<String>,
    outlines: Mutex<HashMap<String, Arc<Outline>>>,
    /// Outlines a snapshot holds, still encoded: decoded on first use (see [`Book::outline`]).
    stored_outlines: HashMap<String, Box<[u8]>>,
    /// Sections and their relevance index per resolved file (see `place`), built once.
    pub(crate) sections: Mutex<HashMap<String, (Arc<crate::place::SectionIndex>, u64)>>,
    /// Section indexes encoded for the snapshot's `sections` part: read and built.
    stored_sections: StoredSections,
    /// Content terms of each .bib file (see `bookkeeping`), built once.
    pub(crate) bib_terms: std::sync::OnceLock<Arc<BibFileTerms>>,
    labels: Mutex<Option<Arc<LabelIndex>>>,
    functions: Mutex<Option<Arc<Vec<String>>>>,
    /// Files the reachable documents import (see [`Book::imported`]).
    imported: std::sync::OnceLock<Arc<BTreeSet<String>>>,
    /// Where each label may be defined, by a pattern scan (see [`Book::find_label`]).
    label_sites: std::sync::OnceLock<Arc<LabelSites>>,
    /// The chapter files' terms as ids, tokenized on first need.
    terms: std::sync::OnceLock<Arc<crate::relevance::BookTerms>>,
    /// Whether the bibliography's entries were validated with the BibTeX parser.
    bib_validated: bool,
    /// Each chapter file's headings by a line scan (see [`Book::heading_titles`]).
    heading_titles: std::sync::OnceLock<Arc<HeadingTitles>>,
    /// Resolution's chapter documents, once built or read (see [`Book::content_docs`]).
    content_docs: std::sync::OnceLock<Arc<ContentDocs>>,
    /// Resolution's heading index, once built or read (see [`Book::heading_index`]).
    heading_index: std::sync::OnceLock<Arc<crate::resolve::HeadingIndex>>,
    /// Whether the term table came from the snapshot's term part.
    terms_read: std::sync::atomic::AtomicBool,
    /// Where this book's snapshot goes, and what the one read at opening held (see
    /// [`crate::snapshot`]); `None` when the book is not read from a git commit.
    snapshot: Option<(crate::snapshot::Slot, Option<Held>)>,
}

/// Label name -> the chapter files whose text may define it, by
/// [`crate::outline::quick_labels`] (a superset of the files that do).
pub type LabelSites = HashMap<String, Vec<String>>;

pub use crate::relevance::ContentDocs;

/// The .bib files holding the bibliography's entries (in the order their first entry comes
/// by citation key), each with its content terms longer than three letters (see `bookkeeping`).
pub type BibFileTerms = Vec<(String, std::collections::HashSet<String>)>;

/// Chapter file -> its headings as `(level, title)` in order, by
/// [`crate::outline::quick_headings`].
pub type HeadingTitles = HashMap<String, Vec<(i32, String)>>;

/// Finds the book root: the first folder holding `chapter-integrator.toml`, walking up from
/// `start`, else the git work tree root enclosing `start`.
pub fn discover_root(start: &Path) -> Option<PathBuf> {
    let start = start.canonicalize().ok()?;
    let mut dir = if start.is_dir() { start.clone() } else { start.parent()?.to_path_buf() };
    loop {
        if dir.join(CONFIG_FILE).is_file() {
            return Some(dir);
        }
        if !dir.pop() {
            break;
        }
    }
    let repo = git2::Repository::discover(&start).ok()?;
    repo.workdir().map(|w| w.canonicalize().unwrap_or_else(|_| w.to_path_buf()))
}

impl Book {
    /// Reads the book at `root` as of `base_rev` (when in git).
    ///
    /// # Errors
    /// [`Error::Config`] for a malformed `chapter-integrator.toml` or rules file;
    /// [`Error::Git`] when the repository holding the book cannot be opened (a malformed
    /// `.git/config`, "dubious ownership") or `base_rev` does not resolve in one that has
    /// commits; [`Error::Io`] when the root cannot be listed.
    pub fn open(root: &Path, base_rev: &str) -> Result<Book> {
        Self::open_with(root, base_rev, true)
    }

    /// [`Book::open`], validating .bib entries with the BibTeX parser only when
    /// `validate_bibliography` (the keys are read either way; validation only adds findings).
    /// The steps: the configuration and rules, the git base, the book from its snapshot when
    /// one is stored for this commit and configuration, else from the base tree (or disk),
    /// then the include graph and the bibliography.
    ///
    /// # Errors
    /// As [`Book::open`].
    pub fn open_with(root: &Path, base_rev: &str, validate_bibliography: bool) -> Result<Book> {
        let root = root.canonicalize().map_err(|e| Error::io("read", root, e))?;
        let (config, mut config_bytes, mut refused) = config::read_config(&root)?;
        let (rules, phrasing) = config::rules_in_force(&root, &config, &mut config_bytes, &mut refused)?;
        let git = base::open_git(&root, base_rev)?;
        let slot = git.as_ref().and_then(|g| crate::snapshot::slot(g, g.base?, &config_bytes));
        let phase = crate::trace::Phase::start("read snapshot");
        let bytes = slot.as_ref().and_then(crate::snapshot::load);
        phase.done();
        if let Some((snap, store)) = stored_book(bytes.as_deref(), slot.as_ref(), git.as_ref()) {
            let phase = crate::trace::Phase::start("book from snapshot");
            let mut book = Book::from_snapshot(root, config, rules, phrasing, git, snap, store, slot);
            if validate_bibliography && !book.bib_validated {
                book.read_bibliography(true);
            }
            phase.done();
            return Ok(book);
        }
        let mut findings = refused;
        let files = base::read_files(&root, &config, git.as_ref(), &mut findings)?;
        let chapters = chapter_list(&config, &files.sources);
        let mut book = Book {
            root,
            config,
            rules,
            phrasing,
            git,
            sources: Sources::from_texts(files.sources),
            chapters,
            roots: Vec::new(),
            reachable: BTreeSet::new(),
            parents: BTreeMap::new(),
            children: BTreeMap::new(),
            bib: Bibliography::default(),
            findings,
            symlinks: files.symlinks,
            not_text: files.not_text,
            outlines: Mutex::new(HashMap::new()),
            stored_outlines: HashMap::new(),
            sections: Mutex::new(HashMap::new()),
            stored_sections: StoredSections::default(),
            bib_terms: std::sync::OnceLock::new(),
            labels: Mutex::new(None),
            functions: Mutex::new(None),
            label_sites: std::sync::OnceLock::new(),
            imported: std::sync::OnceLock::new(),
            terms: std::sync::OnceLock::new(),
            bib_validated: false,
            heading_titles: std::sync::OnceLock::new(),
            content_docs: std::sync::OnceLock::new(),
            heading_index: std::sync::OnceLock::new(),
            terms_read: std::sync::atomic::AtomicBool::new(false),
            snapshot: slot.map(|s| (s, None)),
        };
        let phase = crate::trace::Phase::start("link includes");
        book.link_includes();
        phase.done();
        let phase = crate::trace::Phase::start("read bibliography");
        book.read_bibliography(validate_bibliography);
        phase.done();
        Ok(book)
    }

    /// The book file at `path`: the path itself, or for a symlink the file it points to
    /// inside the book, or the file whose name differs only in Unicode normalization (NFC /
    /// NFD), as the book spells it; `None` when there is no such file.
    pub fn file(&self, path: &str) -> Option<String> {
        if self.sources.contains_key(path) {
            return Some(path.to_string());
        }
        if let Some(t) = self.symlinks.get(path).filter(|t| self.sources.contains_key(t)) {
            return Some(t.clone());
        }
        // A name written in the other Unicode normalization form (NFD `ü` for NFC): the
        // file as the book spells it.
        if path.is_ascii() {
            return None;
        }
        let wanted = crate::text::nfc(path.to_string());
        self.sources
            .iter()
            .map(|(p, _)| p)
            .find(|p| !p.is_ascii() && crate::text::nfc(p.to_string()) == wanted)
            .cloned()
    }

    /// Chapter files (.tex, .typ; .md too in a Markdown book, i.e. when a configured root
    /// is a .md file), sorted.
    pub fn chapter_files(&self) -> impl Iterator<Item = &String> {
        self.chapters.iter()
    }

    /// The text of a book file as it is on disk (for comparing with the base revision);
    /// `None` unless it is a regular file inside the book ([`crate::disk::read_in`]).
    pub fn disk_text(&self, rel: &str) -> Option<Vec<u8>> {
        crate::disk::read_in(&self.root, &self.root.join(rel)).ok()
    }
}

/// The snapshot stored for this commit and configuration (`bytes`, as read from `slot`),
/// decoded, with the store its texts are read from on first need; `None` when there is
/// none, it does not decode or its fingerprint is another configuration's.
fn stored_book<'a>(
    bytes: Option<&'a [u8]>,
    slot: Option<&crate::snapshot::Slot>,
    git: Option<&GitBase>,
) -> Option<(crate::snapshot::Snapshot<'a>, crate::sources::Store)> {
    let phase = crate::trace::Phase::start("decode snapshot");
    let snap = bytes.and_then(crate::snapshot::decode).filter(|s| Some(s.fingerprint) == slot.map(|s| s.fingerprint));
    phase.done();
    // The texts stay in the snapshot's text part until asked for.
    let store = snap.as_ref().zip(slot).and_then(|(_, slot)| {
        let texts = crate::snapshot::open_texts(&slot.part("texts"))?;
        let repo = git?.repo().path().to_path_buf();
        Some(crate::sources::Store::new(texts, &repo, slot.tree))
    });
    snap.zip(store)
}

/// The chapter files among `sources`: .tex and .typ files, and .md files too in a Markdown
/// book (a configured root is a .md file); sorted.
fn chapter_list(config: &Config, sources: &BTreeMap<String, String>) -> Vec<String> {
    let markdown_book = config.book.roots.iter().any(|r| r.ends_with(".md"));
    sources
        .keys()
        .filter(|p| Markup::from_path(p).is_some_and(|m| m != Markup::Markdown || markdown_book))
        .cloned()
        .collect()
}

/// Every integration guide of the book on disk: regular files named `integration-guide.md`
/// or `*integration*guide*.md` (case-insensitive) that [`crate::walk::files`] finds, the
/// literature roots taken from the book's configuration (so a hidden literature root is
/// walked); sorted.
///
/// # Errors
/// [`Error::Io`] when a folder cannot be listed; [`Error::Config`] for a malformed
/// `chapter-integrator.toml`.
pub fn find_guides(root: &Path) -> Result<Vec<PathBuf>> {
    let real = root.canonicalize().map_err(|e| Error::io("read", root, e))?;
    let (config, _, _) = config::read_config(&real)?;
    let found = crate::walk::files(root, &real, &config.book.literature())?;
    Ok(found
        .into_iter()
        .filter(|f| !f.link && crate::guide::is_guide_name(&f.name().to_lowercase()))
        .map(|f| f.path)
        .collect())
}

/// Locks one of the book's caches. A cache poisoned by a panicking thread is still
/// consistent (entries are inserted whole), so the poison is ignored.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
