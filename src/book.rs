//! The book as plain data: root discovery, the files that make it up as of the base
//! revision, their include graph and the bibliography, in [`Book`].
//!
//! "The file as it is now" is its content at the base revision (HEAD by default) when the
//! book is in git, else on disk. Nothing here writes. Markdown chapters are not part of the
//! book model yet.
//!
//! The parts, in the order a book is read:
//! - `config`: `chapter-integrator.toml` and the rules in force;
//! - `base`: the git base, and reading the book's files from the base tree or disk
//!   (`clean`: the work-tree files whose bytes are their blob's);
//! - `includes`: the include graph and root documents;
//! - `bibliography`: the .bib files the bibliography is read from.
//!
//! What it leaves out: what is derived from the texts and kept once built (outlines, term
//! tables, indexes), and the snapshot a book is read back from: both in [`crate::store`];
//! walking the book's folders on disk (see [`crate::walk`]); the rules for reading a file
//! from disk (see [`crate::disk`]).

mod base;
mod bibliography;
mod clean;
mod config;
mod includes;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub(crate) use base::bad_revision;
pub use base::GitBase;
pub use config::{BookConfig, BranchConfig, Config, LabelsConfig, ResolveConfig, RulesConfig, CONFIG_FILE};
pub use includes::nest;

use crate::bib::Bibliography;
use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::markup::Markup;
use crate::phrasing::PhrasingRules;
use crate::rules::Rules;
use crate::sources::Sources;

/// The book as plain data: its files as of the base revision, their include graph and the
/// bibliography. What is derived from them and kept once built is [`crate::store::Store`]'s.
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
    pub(crate) chapters: Vec<String>,
    /// The root documents and their includes.
    pub includes: IncludeGraph,
    /// The book's bibliography.
    pub bib: Bibliography,
    /// Whether the bibliography's entries were validated with the BibTeX parser.
    pub(crate) bib_validated: bool,
    /// Problems found while reading the book (unreadable files, includes leaving the book).
    pub findings: Vec<Finding>,
    /// Symlinked chapter files -> the book path they point to (links out of the book are
    /// left out, with a finding).
    pub symlinks: BTreeMap<String, String>,
    /// Chapter and .bib files left out because they are not UTF-8 text.
    pub not_text: BTreeSet<String>,
}

/// The include graph: the root documents, the files they reach, and each include.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct IncludeGraph {
    /// Root documents.
    pub roots: Vec<String>,
    /// Chapter files reachable from a root through includes.
    pub reachable: BTreeSet<String>,
    /// Child file -> (including file, 1-based line of the include), in path order.
    pub parents: BTreeMap<String, Vec<(String, usize)>>,
    /// Parent file -> resolved children in include order, with the include line.
    pub children: BTreeMap<String, Vec<(String, usize)>>,
}

/// What opening a book reads before its files: the root, the configuration (with the bytes
/// it was read from, for the snapshot's fingerprint), the rules in force, the git base, and
/// the findings of reading them.
pub(crate) struct Opening {
    pub root: PathBuf,
    pub config: Config,
    pub config_bytes: Vec<u8>,
    pub rules: Rules,
    pub phrasing: PhrasingRules,
    pub git: Option<GitBase>,
    pub findings: Vec<Finding>,
}

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
    /// The configuration, rules in force and git base of the book at `root`, as of
    /// `base_rev` (when in git).
    ///
    /// # Errors
    /// [`Error::Config`] for a malformed `chapter-integrator.toml` or rules file;
    /// [`Error::Git`] when the repository holding the book cannot be opened (a malformed
    /// `.git/config`, "dubious ownership"); [`Error::Usage`] when `base_rev` does not resolve
    /// to a commit in one that has commits; [`Error::Io`] when the root cannot be read.
    pub(crate) fn opening(root: &Path, base_rev: &str) -> Result<Opening> {
        let root = root.canonicalize().map_err(|e| Error::io("read", root, e))?;
        let (config, mut config_bytes, mut findings) = config::read_config(&root)?;
        let (rules, phrasing) = config::rules_in_force(&root, &config, &mut config_bytes, &mut findings)?;
        let git = base::open_git(&root, base_rev)?;
        Ok(Opening { root, config, config_bytes, rules, phrasing, git, findings })
    }

    /// Reads the book `opening` describes from its base tree (or disk), then links its
    /// includes and reads its bibliography, validating .bib entries with the BibTeX parser
    /// only when `validate_bibliography` (the keys are read either way; validation only adds
    /// findings).
    ///
    /// # Errors
    /// [`Error::Io`] when the root cannot be listed.
    pub(crate) fn read(opening: Opening, validate_bibliography: bool) -> Result<Book> {
        let Opening { root, config, rules, phrasing, git, mut findings, .. } = opening;
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
            includes: IncludeGraph::default(),
            bib: Bibliography::default(),
            bib_validated: false,
            findings,
            symlinks: files.symlinks,
            not_text: files.not_text,
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
    find_guides_under(root, root, false)
}

/// The guides under the folder `start` of the book at `root`, as [`find_guides`] finds them;
/// with `key_findings`, also each `key-findings.md` whose folder holds no guide (a literature
/// folder read from its key findings alone), in path order. A topic folder
/// (`Literature/treatments`) is read so: every guide below it.
///
/// # Errors
/// [`Error::Io`] when the root or a folder cannot be read, or the configuration is bad.
pub fn find_guides_under(root: &Path, start: &Path, key_findings: bool) -> Result<Vec<PathBuf>> {
    let real = root.canonicalize().map_err(|e| Error::io("read", root, e))?;
    let (config, _, _) = config::read_config(&real)?;
    let found = crate::walk::files(start, &real, &config.book.literature())?;
    let found: Vec<crate::walk::Found> = found.into_iter().filter(|f| !f.link).collect();
    let is_guide = |f: &crate::walk::Found| crate::guide::is_guide_name(&f.name().to_lowercase());
    let with_guide: std::collections::BTreeSet<&Path> =
        found.iter().filter(|f| is_guide(f)).filter_map(|f| f.path.parent()).collect();
    let mut out: Vec<PathBuf> = found
        .iter()
        .filter(|f| {
            is_guide(f)
                || (key_findings
                    && f.name().eq_ignore_ascii_case("key-findings.md")
                    && f.path.parent().is_some_and(|d| !with_guide.contains(d)))
        })
        .map(|f| f.path.clone())
        .collect();
    out.sort();
    Ok(out)
}
