//! The book: root discovery, configuration, the file index read from the base revision,
//! the include graph, the bibliography and the label index.
//!
//! "The file as it is now" is its content at the base revision (HEAD by default) when the
//! book is in git, else on disk. Nothing here writes but the book snapshot (see
//! [`crate::snapshot`]). Outlines are parsed on first use and
//! shared. Markdown chapters are not part of the book model yet.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use regex::Regex;
use serde::Deserialize;

use crate::bib::Bibliography;
use crate::error::{Error, Result};
use crate::finding::{Code, Finding};
use crate::guide::Markup;
use crate::outline::Outline;
use crate::phrasing::PhrasingRules;
use crate::rules::Rules;
use crate::sources::Sources;
use crate::text::{join_rel, parent_dir, slash_path, LineIndex};

/// Label -> every `(path, 1-based line)` defining it.
pub type LabelIndex = BTreeMap<String, Vec<(String, usize)>>;

/// Name of the book configuration file.
pub const CONFIG_FILE: &str = "chapter-integrator.toml";

/// `chapter-integrator.toml`: every field optional (README lists each with its default).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The `[book]` table.
    pub book: BookConfig,
    /// The `[branch]` table.
    pub branch: BranchConfig,
    /// The `[labels]` table.
    pub labels: LabelsConfig,
    /// The `[resolve]` table.
    pub resolve: ResolveConfig,
    /// The `[rules]` table.
    pub rules: RulesConfig,
}

/// `[labels]`: label prefixes per environment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabelsConfig {
    /// Canonical environment name -> label prefix (`achievement = "ach"`); merged over
    /// `rules/environments.toml` `[label_prefix]`.
    pub prefixes: BTreeMap<String, String>,
}

/// `[resolve]`: target resolution.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResolveConfig {
    /// Confidence below which a target is unresolved; default from `rules/scoring.toml` (0.45).
    pub threshold: Option<f64>,
}

/// `[rules]`: where the book's rule overrides live.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RulesConfig {
    /// Folder of rule files (`guide.toml`, `environments.toml`, `scoring.toml`,
    /// `phrasing.toml`), relative to the book root; default `rules`.
    pub dir: Option<String>,
}

/// `[book]`: which files make up the book.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BookConfig {
    /// Root documents, relative to the book root; default: discovered.
    pub roots: Vec<String>,
    /// Bibliography files; default: every .bib outside the literature folders.
    pub bibliography: Vec<String>,
    /// Folders of literature folders and guides; default `["Literature"]`.
    pub literature: Vec<String>,
    /// The annotated bibliography (a chapter that cites everything): never chosen as a
    /// target by name or content, and never an insertion point. Default: none.
    pub annotated_bibliography: Option<String>,
    /// The .bib file new entries are appended to. Default: the .bib file whose entries
    /// share most terms with the new entry.
    pub new_entries: Option<String>,
}

/// `[branch]`: naming of the tool's branches.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BranchConfig {
    /// Prefix of branch names; default `integrate/`.
    pub prefix: String,
}

impl BookConfig {
    /// The literature folders: as configured, else `["Literature"]`.
    pub fn literature(&self) -> Vec<String> {
        if self.literature.is_empty() {
            vec!["Literature".into()]
        } else {
            self.literature.clone()
        }
    }
}

impl Default for BranchConfig {
    fn default() -> Self {
        BranchConfig { prefix: "integrate/".into() }
    }
}

/// The git side of a book: the repository and the base commit files are read from.
pub struct GitBase {
    /// The repository.
    pub repo: Mutex<git2::Repository>,
    /// Work tree root.
    pub workdir: PathBuf,
    /// Book root relative to the work tree root (`""` when they are the same), `/` separated.
    pub prefix: String,
    /// The base commit, when the revision resolved (`None` for an unborn HEAD).
    pub base: Option<git2::Oid>,
    /// The base revision as the user gave it.
    pub base_rev: String,
}

impl GitBase {
    /// The repository, locked for this thread while the guard lives.
    pub fn repo(&self) -> MutexGuard<'_, git2::Repository> {
        lock(&self.repo)
    }

    /// Path relative to the work tree root for a book-relative path.
    pub fn repo_path(&self, rel: &str) -> String {
        if self.prefix.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{}", self.prefix, rel)
        }
    }
}

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

/// The section indexes of the snapshot's `sections` part (see [`crate::snapshot`]), each
/// encoded on its own: the part as read on first need (its bytes, and where each file's
/// index sits in them), and those this run built, to be added to it.
#[derive(Default)]
struct StoredSections {
    read: std::sync::OnceLock<Option<SectionsRead>>,
    built: Mutex<BTreeMap<String, Vec<u8>>>,
}

/// A `sections` part as read: its bytes, and where each file's encoded index sits in them.
type SectionsRead = (Vec<u8>, HashMap<String, std::ops::Range<usize>>);

/// What a snapshot read at opening held: a later one is written only when the run added to
/// it.
#[derive(Debug, Clone, Copy)]
struct Held {
    outlines: usize,
    bib_validated: bool,
    heading_titles: bool,
    content_docs: bool,
    heading_index: bool,
    typst_functions: bool,
    label_sites: bool,
    imported: bool,
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
    ///
    /// # Errors
    /// As [`Book::open`].
    pub fn open_with(root: &Path, base_rev: &str, validate_bibliography: bool) -> Result<Book> {
        let root = root.canonicalize().map_err(|e| Error::io("read", root, e))?;
        let (config, mut config_bytes, mut refused) = read_config(&root)?;
        let dir = config.rules.dir.clone().unwrap_or_else(|| "rules".into());
        let dir = crate::text::normalize_rel(&dir).ok_or_else(|| Error::Config {
            path: root.join(CONFIG_FILE),
            message: format!("[rules] dir = \"{dir}\" points outside the book"),
        })?;
        let rules_dir = rules_dir(&root, &dir, &mut refused);
        // What was refused decides what the snapshot holds (its findings, the rules
        // left out), so it is part of the snapshot's fingerprint.
        for f in &refused {
            config_bytes.extend(format!("\0{}: {}", f.path.as_deref().unwrap_or(""), f.message).bytes());
        }
        let mut rules = Rules::load(rules_dir.as_deref())?;
        let phrasing = PhrasingRules::load(rules_dir.as_deref())?;
        if let Some(t) = config.resolve.threshold {
            rules.scoring.resolve.threshold = t;
        }
        rules.environments.label_prefix.extend(config.labels.prefixes.clone());
        let git = open_git(&root, base_rev)?;
        let slot = git.as_ref().and_then(|g| crate::snapshot::slot(g, g.base?, &config_bytes));
        let phase = crate::trace::Phase::start("read snapshot");
        let bytes = slot.as_ref().and_then(crate::snapshot::load);
        phase.done();
        let phase = crate::trace::Phase::start("decode snapshot");
        let snap = bytes
            .as_deref()
            .and_then(crate::snapshot::decode)
            .filter(|s| Some(s.fingerprint) == slot.as_ref().map(|s| s.fingerprint));
        phase.done();
        // The texts stay in the snapshot's text part until asked for.
        let store = snap.as_ref().zip(slot.as_ref()).and_then(|(_, slot)| {
            let texts = crate::snapshot::open_texts(&slot.part("texts"))?;
            let repo = git.as_ref()?.repo().path().to_path_buf();
            Some(crate::sources::Store::new(texts, &repo, slot.tree))
        });
        if let Some((snap, store)) = snap.zip(store) {
            let phase = crate::trace::Phase::start("book from snapshot");
            let mut book = Book::from_snapshot(root, config, rules, phrasing, git, snap, store, slot);
            if validate_bibliography && !book.bib_validated {
                book.read_bibliography(true);
            }
            phase.done();
            return Ok(book);
        }
        let mut findings = refused;
        let literature = config.book.literature();
        let in_literature = |p: &str| literature.iter().any(|l| p == l || p.starts_with(&format!("{l}/")));
        let wanted = |p: &str| {
            let ext = p.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
            matches!(ext.as_str(), "tex" | "ltx" | "typ" | "bib" | "md") && !in_literature(p)
        };
        let phase = crate::trace::Phase::start("read files");
        let raw = match git.as_ref().and_then(|g| g.base.map(|b| (g, b))) {
            Some((g, base)) => read_tree(g, base, &wanted)?,
            None => read_disk(&root, &wanted)?,
        };
        phase.done();
        let mut sources = BTreeMap::new();
        let mut symlinks = BTreeMap::new();
        let mut not_text = BTreeSet::new();
        for RawFile { path, bytes, link } in raw {
            if link {
                // A symlink is followed only to a file inside the book.
                let target = String::from_utf8_lossy(&bytes).to_string();
                match (!target.starts_with('/')).then(|| join_rel(parent_dir(&path), &target)).flatten() {
                    Some(t) => {
                        symlinks.insert(path, t);
                    }
                    None => findings.push(
                        Finding::new(
                            Code::SymlinkOutsideBook,
                            format!("symlink points outside the book (to `{target}`); it is not followed"),
                        )
                        .at(path, None)
                        .help("replace the symlink with the file, or point it inside the book"),
                    ),
                }
                continue;
            }
            match String::from_utf8(bytes) {
                Ok(text) => {
                    if Markup::from_path(&path) == Some(Markup::Typst) {
                        findings.extend(crate::outline::nesting::finding(&path, &text));
                    }
                    sources.insert(path, text);
                }
                Err(_) => {
                    not_text.insert(path.clone());
                    findings.push(
                        Finding::new(Code::FileNotUtf8, "file is not UTF-8 text; it is left out of the book")
                            .at(path, None)
                            .help("convert the file to UTF-8"),
                    );
                }
            }
        }
        let markdown_book = config.book.roots.iter().any(|r| r.ends_with(".md"));
        let chapters = sources
            .keys()
            .filter(|p| Markup::from_path(p).is_some_and(|m| m != Markup::Markdown || markdown_book))
            .cloned()
            .collect();
        let mut book = Book {
            root,
            config,
            rules,
            phrasing,
            git,
            sources: Sources::from_texts(sources),
            chapters,
            roots: Vec::new(),
            reachable: BTreeSet::new(),
            parents: BTreeMap::new(),
            children: BTreeMap::new(),
            bib: Bibliography::default(),
            findings,
            symlinks,
            not_text,
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

    /// The .bib files the book's documents name (`\bibliography{a,b}`, `\addbibresource{x}`,
    /// Typst `#bibliography("a.bib")` or `(("a.bib", "b.bib"))`), resolved like includes.
    fn bibliography_in_use(&self) -> BTreeSet<String> {
        let latex = Regex::new(r"\\(?:bibliography|addbibresource)\s*\{([^}]+)\}").unwrap();
        let typst = Regex::new(r#"#bibliography\(\s*\(?([^)]*)"#).unwrap();
        let quoted = Regex::new(r#""([^"]+\.bib)""#).unwrap();
        let mut out = BTreeSet::new();
        for (path, text) in self.sources.iter().filter(|(p, _)| !p.ends_with(".bib")) {
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

    /// The book a snapshot holds, with this run's configuration, rules and repository.
    // The parts of a book that do not come from the snapshot, one argument each.
    #[allow(clippy::too_many_arguments)]
    fn from_snapshot(
        root: PathBuf,
        config: Config,
        rules: Rules,
        phrasing: PhrasingRules,
        git: Option<GitBase>,
        snap: crate::snapshot::Snapshot<'_>,
        store: crate::sources::Store,
        slot: Option<crate::snapshot::Slot>,
    ) -> Book {
        let held = Held {
            outlines: snap.outlines.len(),
            bib_validated: snap.bib_validated,
            heading_titles: snap.heading_titles.is_some(),
            content_docs: snap.content.is_some(),
            heading_index: snap.heading_index.is_some(),
            typst_functions: snap.typst_functions.is_some(),
            label_sites: snap.label_sites.is_some(),
            imported: snap.imported.is_some(),
        };
        let content_docs = std::sync::OnceLock::new();
        if let Some(c) = snap.content {
            let docs: Option<Vec<Vec<(u32, u32)>>> = c
                .docs
                .iter()
                .map(|d| {
                    let n = crate::relevance::u32s_of(d)?;
                    (n.len() % 2 == 0).then(|| n.chunks_exact(2).map(|p| (p[0], p[1])).collect())
                })
                .collect();
            let by_name = crate::relevance::u32s_of(c.by_name);
            if let Some(docs) = docs.zip(by_name).and_then(|(d, o)| ContentDocs::read_back(c.chapters, c.names, d, o)) {
                let _ = content_docs.set(Arc::new(docs));
            }
        }
        let heading_titles = std::sync::OnceLock::new();
        if let Some(h) = snap.heading_titles {
            let _ = heading_titles.set(Arc::new(h));
        }
        let heading_index = std::sync::OnceLock::new();
        if let Some(h) = snap.heading_index.filter(crate::resolve::HeadingIndex::is_sound) {
            let _ = heading_index.set(Arc::new(h));
        }
        let label_sites = std::sync::OnceLock::new();
        if let Some(l) = snap.label_sites {
            let _ = label_sites.set(Arc::new(l));
        }
        Book {
            root,
            config,
            rules,
            phrasing,
            git,
            sources: Sources::stored(snap.sources, store),
            chapters: snap.chapters,
            roots: snap.roots,
            reachable: snap.reachable,
            parents: snap.parents,
            children: snap.children,
            bib: snap.bib,
            findings: snap.findings,
            symlinks: snap.symlinks,
            not_text: snap.not_text,
            outlines: Mutex::new(HashMap::new()),
            stored_outlines: snap.outlines.into_iter().map(|(p, o)| (p, Box::from(o))).collect(),
            sections: Mutex::new(HashMap::new()),
            stored_sections: StoredSections::default(),
            bib_terms: std::sync::OnceLock::new(),
            labels: Mutex::new(None),
            functions: Mutex::new(snap.typst_functions.map(Arc::new)),
            label_sites,
            imported: snap.imported.map(|i| std::sync::OnceLock::from(Arc::new(i))).unwrap_or_default(),
            terms: std::sync::OnceLock::new(),
            bib_validated: snap.bib_validated,
            heading_titles,
            content_docs,
            heading_index,
            terms_read: std::sync::atomic::AtomicBool::new(false),
            snapshot: slot.map(|s| (s, Some(held))),
        }
    }

    /// Writes this book's snapshot (see [`crate::snapshot`]) when it is read from a git
    /// commit and this run learnt something the stored one lacks: a first snapshot, more
    /// outlines, the term table, a validated bibliography.
    pub fn save_snapshot(&self) {
        let Some((slot, held)) = &self.snapshot else { return };
        self.save_section_indexes(slot, held.is_none());
        // The term table is a part of its own, read only by runs that need it; an older
        // commit's part goes when this commit's snapshot is first written.
        match self.terms.get() {
            Some(terms) if !self.terms_read.load(std::sync::atomic::Ordering::Relaxed) => {
                let phase = crate::trace::Phase::start("write snapshot terms");
                let part: crate::snapshot::TermsPartRef = (slot.fingerprint, terms.parts());
                crate::snapshot::store(&slot.part("terms"), &part);
                phase.done();
            }
            None if held.is_none() => crate::snapshot::remove(&slot.part("terms")),
            _ => {}
        }
        let outlines = lock(&self.outlines);
        let known = self.stored_outlines.len()
            + outlines.keys().filter(|p| !self.stored_outlines.contains_key(p.as_str())).count();
        let heading_titles = self.heading_titles.get();
        let content = self.content_docs.get();
        let heading_index = self.heading_index.get();
        let functions = lock(&self.functions).clone();
        let label_sites = self.label_sites.get();
        let imported = self.imported.get();
        let news = match held {
            None => true,
            Some(h) => {
                known > h.outlines
                    || (self.bib_validated && !h.bib_validated)
                    || (heading_titles.is_some() && !h.heading_titles)
                    || (content.is_some() && !h.content_docs)
                    || (heading_index.is_some() && !h.heading_index)
                    || (functions.is_some() && !h.typst_functions)
                    || (label_sites.is_some() && !h.label_sites)
                    || (imported.is_some() && !h.imported)
                    || self.sources.damaged()
            }
        };
        if !news {
            return;
        }
        // A commit's texts are written once, with its first snapshot; later snapshots of the
        // same commit point into that part.
        let index = match self.sources.index() {
            Some(index) => index,
            None => {
                let phase = crate::trace::Phase::start("write snapshot texts");
                let index = crate::snapshot::store_texts(
                    &slot.part("texts"),
                    self.sources.iter().map(|(p, t)| (p.as_str(), t.as_str())),
                );
                phase.done();
                let Some(index) = index else { return };
                index
            }
        };
        let phase = crate::trace::Phase::start("write snapshot");
        let snapshot = crate::snapshot::SnapshotRef {
            fingerprint: slot.fingerprint,
            sources: index,
            chapters: &self.chapters,
            symlinks: &self.symlinks,
            not_text: &self.not_text,
            findings: &self.findings,
            roots: &self.roots,
            reachable: &self.reachable,
            parents: &self.parents,
            children: &self.children,
            bib: &self.bib,
            bib_validated: self.bib_validated,
            // Outlines read from the snapshot go back as they were; new ones are encoded.
            outlines: self
                .stored_outlines
                .iter()
                .map(|(p, o)| (p.as_str(), crate::snapshot::OutlineBytes::Encoded(o)))
                .chain(
                    outlines
                        .iter()
                        .filter(|(p, _)| !self.stored_outlines.contains_key(p.as_str()))
                        .map(|(p, o)| (p.as_str(), crate::snapshot::OutlineBytes::Parsed(o))),
                )
                .collect(),
            heading_titles: heading_titles.map(|h| &**h),
            content: content.map(|c| crate::snapshot::ContentPartsRef {
                chapters: &c.chapters,
                names: &c.names,
                by_name: crate::relevance::U32Bytes::of(&c.by_name),
                docs: c
                    .docs
                    .iter()
                    .map(|d| crate::relevance::U32Bytes::owned(d.iter().flat_map(|&(t, n)| [t, n]).collect()))
                    .collect(),
            }),
            typst_functions: functions.as_deref().map(Vec::as_slice),
            label_sites: label_sites.map(|l| &**l),
            imported: imported.map(|i| &**i),
            heading_index: heading_index.map(|h| &**h),
        };
        crate::snapshot::store(slot, &snapshot);
        phase.done();
    }

    /// Reads the bibliography: the configured files in order, else every .bib outside the
    /// literature folders, those the documents name first (a scratch .bib elsewhere must not
    /// win a duplicate key over the book's own bibliography), then by path.
    fn read_bibliography(&mut self, validate: bool) {
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

    /// The book file at `path`: the path itself, or for a symlink the file it points to
    /// inside the book; `None` when there is no such file.
    pub fn file(&self, path: &str) -> Option<String> {
        if self.sources.contains_key(path) {
            return Some(path.to_string());
        }
        self.symlinks.get(path).filter(|t| self.sources.contains_key(t)).cloned()
    }

    /// The git submodule holding book path `path` (the submodule's book-relative path, which
    /// may be `path` itself), by the base tree: a submodule is a commit entry there, and its
    /// files are in another repository, never read or written. `None` when no folder on the
    /// way is a submodule, or the book is not read from git.
    pub fn submodule_of(&self, path: &str) -> Option<String> {
        let g = self.git.as_ref()?;
        let repo = g.repo();
        let tree = repo.find_commit(g.base?).ok()?.tree().ok()?;
        let mut at = String::new();
        for part in path.split('/') {
            if !at.is_empty() {
                at.push('/');
            }
            at.push_str(part);
            // Only a folder of the tree can hold a submodule further down.
            match tree.get_path(Path::new(&g.repo_path(&at))).ok()?.kind() {
                Some(git2::ObjectType::Commit) => return Some(at),
                Some(git2::ObjectType::Tree) => {}
                _ => return None,
            }
        }
        None
    }

    /// Chapter files (.tex, .typ; .md too in a Markdown book, i.e. when a configured root
    /// is a .md file), sorted.
    pub fn chapter_files(&self) -> impl Iterator<Item = &String> {
        self.chapters.iter()
    }

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

    /// The term table from the snapshot's term part, when it has this book's fingerprint.
    fn read_terms_part(&self) -> Option<crate::relevance::BookTerms> {
        let (slot, _) = self.snapshot.as_ref()?;
        let part = slot.part("terms");
        let phase = crate::trace::Phase::start("read snapshot terms");
        let bytes = crate::snapshot::load(&part)?;
        let (fingerprint, parts) = crate::snapshot::decode_terms(&bytes)?;
        let terms = (fingerprint == part.fingerprint).then(|| crate::relevance::BookTerms::from_parts(parts)).flatten();
        phase.done();
        terms
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

    /// The encoded section index of `path` (see `place`) that the snapshot's `sections`
    /// part holds; the part is read on first call.
    pub(crate) fn stored_section_index(&self, path: &str) -> Option<&[u8]> {
        let (bytes, at) = self.read_sections_part()?;
        at.get(path).map(|r| &bytes[r.clone()])
    }

    /// Whether the snapshot's `sections` part holds any section index.
    pub(crate) fn has_stored_section_indexes(&self) -> bool {
        self.read_sections_part().is_some_and(|(_, at)| !at.is_empty())
    }

    /// Keeps the encoded section index of `path`, built by this run, for the snapshot.
    pub(crate) fn keep_section_index(&self, path: &str, encoded: impl FnOnce() -> Option<Vec<u8>>) {
        if self.snapshot.is_some() && self.stored_section_index(path).is_none() {
            if let Some(bytes) = encoded() {
                lock(&self.stored_sections.built).insert(path.to_string(), bytes);
            }
        }
    }

    fn read_sections_part(&self) -> Option<&SectionsRead> {
        self.stored_sections
            .read
            .get_or_init(|| {
                let (slot, _) = self.snapshot.as_ref()?;
                let part = slot.part("sections");
                let phase = crate::trace::Phase::start("read snapshot sections");
                let bytes = crate::snapshot::load(&part)?;
                let (fingerprint, entries) = crate::snapshot::decode_sections(&bytes)?;
                phase.done();
                let base = bytes.as_ptr() as usize;
                let at = entries
                    .into_iter()
                    .map(|(p, b)| {
                        let start = b.as_ptr() as usize - base;
                        (p, start..start + b.len())
                    })
                    .collect();
                (fingerprint == part.fingerprint).then_some((bytes, at))
            })
            .as_ref()
    }

    /// Writes the `sections` part when this run built section indexes it lacks: those it
    /// holds go back as they were.
    /// A first snapshot of a commit that built none takes an older commit's part away.
    fn save_section_indexes(&self, slot: &crate::snapshot::Slot, first: bool) {
        let built = lock(&self.stored_sections.built);
        if built.is_empty() {
            if first {
                crate::snapshot::remove(&slot.part("sections"));
            }
            return;
        }
        let phase = crate::trace::Phase::start("write snapshot sections");
        let mut entries: Vec<(&str, crate::snapshot::Encoded)> =
            built.iter().map(|(p, b)| (p.as_str(), crate::snapshot::Encoded(b))).collect();
        if let Some((bytes, at)) = self.read_sections_part() {
            entries.extend(
                at.iter()
                    .filter(|(p, _)| !built.contains_key(*p))
                    .map(|(p, r)| (p.as_str(), crate::snapshot::Encoded(&bytes[r.clone()]))),
            );
        }
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let part: crate::snapshot::SectionsPartRef = (slot.fingerprint, entries);
        crate::snapshot::store(&slot.part("sections"), &part);
        phase.done();
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

    /// The including file and include line of `path`; a reachable parent is preferred.
    pub fn parent_of(&self, path: &str) -> Option<(String, usize)> {
        let ps = self.parents.get(path)?;
        ps.iter().find(|(p, _)| self.reachable.contains(p)).or_else(|| ps.first()).cloned()
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
        for (child, _) in self.children.get(path).into_iter().flatten() {
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
            bases.extend(self.roots.iter().map(|r| parent_dir(r).to_string()));
        } else if markup == Markup::Latex {
            // TeX resolves against its working directory: the root document's folder.
            bases.extend(self.roots.iter().filter(|r| r.ends_with(".tex")).map(|r| parent_dir(r).to_string()));
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

    fn link_includes(&mut self) {
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
        self.roots = if self.config.book.roots.is_empty() { latex_roots } else { self.config.book.roots.clone() };
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
            self.parents.entry(child.clone()).or_default().push((from.clone(), line));
            self.children.entry(from).or_default().push((child, line));
        }
        if !configured {
            for path in &files {
                let is_typst_root =
                    path.ends_with(".typ") && self.children.contains_key(path) && !self.parents.contains_key(path);
                if is_typst_root {
                    self.roots.push(path.clone());
                }
            }
        }
        let mut stack: Vec<String> = self.roots.clone();
        while let Some(p) = stack.pop() {
            if self.reachable.insert(p.clone()) {
                stack.extend(self.children.get(&p).into_iter().flatten().map(|(c, _)| c.clone()));
            }
        }
        // A missing include in a file no root reaches (a legacy edition) is not the book's
        // problem; with no root at all, every file counts.
        if !self.reachable.is_empty() {
            let reachable = &self.reachable;
            self.findings.retain(|f| {
                !matches!(f.code, Code::IncludeMissing | Code::IncludeOutsideBook)
                    || f.line.is_none()
                    || f.path.as_ref().is_none_or(|p| reachable.contains(p))
            });
        }
    }

    /// The text of any file of the book (chapters and .bib files, and also files in
    /// literature folders) as of the base revision, else from disk; `None` when it does
    /// not exist or is not UTF-8.
    pub fn base_text(&self, rel: &str) -> Option<String> {
        if let Some(t) = self.sources.get(rel) {
            return Some(t.clone());
        }
        let bytes = match self.git.as_ref().and_then(|g| g.base.map(|b| (g, b))) {
            Some((g, base)) => {
                let repo = g.repo();
                let tree = repo.find_commit(base).and_then(|c| c.tree()).ok()?;
                let entry = tree.get_path(Path::new(&g.repo_path(rel))).ok()?;
                let bytes = repo.find_blob(entry.id()).ok()?.content().to_vec();
                bytes
            }
            None => crate::disk::read_in(&self.root, &self.root.join(rel)).ok()?,
        };
        String::from_utf8(bytes).ok()
    }

    /// The text of a book file as it is on disk (for comparing with the base revision);
    /// `None` unless it is a regular file inside the book ([`crate::disk::read_in`]).
    pub fn disk_text(&self, rel: &str) -> Option<Vec<u8>> {
        crate::disk::read_in(&self.root, &self.root.join(rel)).ok()
    }
}

/// Pushes a heading onto a heading stack, first popping every heading at its level or below.
pub fn nest(stack: &mut Vec<(i32, String)>, level: i32, title: &str) {
    while stack.last().is_some_and(|(l, _)| *l >= level) {
        stack.pop();
    }
    stack.push((level, title.to_string()));
}

/// The book's configuration, and the file's bytes (empty when there is none) for the
/// snapshot fingerprint: read once, so both describe the same file. A configuration file
/// that leads outside the book or is not a regular file is not read: the default
/// configuration and the finding saying why ([`crate::disk::read_in`]).
fn read_config(root: &Path) -> Result<(Config, Vec<u8>, Vec<Finding>)> {
    let path = root.join(CONFIG_FILE);
    if !path.exists() {
        return Ok((Config::default(), Vec::new(), Vec::new()));
    }
    let bytes = match crate::disk::read_in(root, &path) {
        Ok(bytes) => bytes,
        Err(crate::disk::Refusal::Unreadable(e)) => return Err(Error::io("read", &path, e)),
        Err(refused) => return Ok((Config::default(), Vec::new(), refused.finding(CONFIG_FILE).into_iter().collect())),
    };
    let text = String::from_utf8(bytes)
        .map_err(|e| Error::io("read", &path, std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error())))?;
    let config = toml::from_str(&text).map_err(|e: toml::de::Error| {
        let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
        Error::Config {
            path: path.clone(),
            message: format!("{}{}", line.map(|l| format!("line {l}: ")).unwrap_or_default(), e.message()),
        }
    })?;
    Ok((config, text.into_bytes(), Vec::new()))
}

/// The book's rules folder `dir` (relative to `root`, already normalised), when it exists
/// and it and each rules file in it are regular files inside the book; else `None`, with a
/// finding in `refused` for each one that is not ([`crate::disk::inside`]): the built-in
/// rules are used then.
fn rules_dir(root: &Path, dir: &str, refused: &mut Vec<Finding>) -> Option<PathBuf> {
    let path = root.join(dir);
    if !path.is_dir() {
        return None;
    }
    if !path.canonicalize().is_ok_and(|real| real.starts_with(root)) {
        refused.extend(crate::disk::Refusal::Outside.finding(dir));
        return None;
    }
    let before = refused.len();
    for name in crate::rules::FILES {
        let file = path.join(name);
        if file.exists() {
            if let Err(r) = crate::disk::inside(root, &file) {
                refused.extend(r.finding(&format!("{dir}/{name}")));
            }
        }
    }
    (refused.len() == before).then_some(path)
}

fn open_git(root: &Path, base_rev: &str) -> Result<Option<GitBase>> {
    // Reading a blob re-hashes it by default (SHA-1 with collision detection: a fifth of
    // the time to read a large book). git itself does not verify objects on read either.
    git2::opts::strict_hash_verification(false);
    // Only a book in no repository is read from disk: a repository git cannot open (a
    // malformed config, "dubious ownership") is an error, not a book without git.
    let repo = match git2::Repository::discover(root) {
        Ok(repo) => repo,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(Error::git(format!("open the git repository holding {}", root.display()), e)),
    };
    let Some(workdir) = repo.workdir().map(|w| w.canonicalize().unwrap_or_else(|_| w.to_path_buf())) else {
        return Ok(None);
    };
    let prefix = root.strip_prefix(&workdir).map(slash_path).unwrap_or_default();
    let base = match repo.revparse_single(base_rev) {
        Ok(obj) => Some(
            obj.peel_to_commit().map_err(|e| Error::git(format!("resolve revision {base_rev} to a commit"), e))?.id(),
        ),
        Err(e)
            if base_rev == "HEAD"
                && (e.code() == git2::ErrorCode::UnbornBranch || e.code() == git2::ErrorCode::NotFound) =>
        {
            None
        }
        Err(e) => return Err(Error::git(format!("resolve revision {base_rev}"), e)),
    };
    // A book whose files are not in the base commit (new, untracked) is read from disk.
    let tracked = match base {
        Some(oid) => {
            let tree = repo.find_commit(oid).and_then(|c| c.tree()).map_err(|e| Error::git("read base tree", e))?;
            prefix.is_empty() || tree.get_path(Path::new(&prefix)).is_ok()
        }
        None => false,
    };
    Ok(Some(GitBase {
        repo: Mutex::new(repo),
        workdir,
        prefix,
        base: if tracked { base } else { None },
        base_rev: base_rev.to_string(),
    }))
}

/// A file as listed from the base tree or the disk; a symlink's bytes are its target path.
struct RawFile {
    path: String,
    bytes: Vec<u8>,
    link: bool,
}

fn read_tree(g: &GitBase, base: git2::Oid, wanted: &dyn Fn(&str) -> bool) -> Result<Vec<RawFile>> {
    let repo = g.repo();
    let commit = repo.find_commit(base).map_err(|e| Error::git("read base commit", e))?;
    let mut tree = commit.tree().map_err(|e| Error::git("read base tree", e))?;
    if !g.prefix.is_empty() {
        let entry = tree
            .get_path(Path::new(&g.prefix))
            .map_err(|e| Error::git(format!("find {} in base tree", g.prefix), e))?;
        tree = repo.find_tree(entry.id()).map_err(|e| Error::git("read book tree", e))?;
    }
    // List first, then read the blobs on every core (each thread opens the repository: a
    // handle is not shared between threads).
    let phase = crate::trace::Phase::start("list base tree");
    let mut listed: Vec<(String, git2::Oid, bool)> = Vec::new();
    let mut attributes = false;
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        let name = entry.name().unwrap_or("");
        attributes |= name == ".gitattributes";
        if entry.kind() == Some(git2::ObjectType::Tree) {
            return if name.starts_with('.') { git2::TreeWalkResult::Skip } else { git2::TreeWalkResult::Ok };
        }
        let path = format!("{dir}{name}");
        if entry.kind() == Some(git2::ObjectType::Blob) && wanted(&path) {
            listed.push((path, entry.id(), entry.filemode() == i32::from(git2::FileMode::Link)));
        }
        git2::TreeWalkResult::Ok
    })
    .map_err(|e| Error::git("walk base tree", e))?;
    let git_dir = repo.path().to_path_buf();
    drop(tree);
    drop(commit);
    drop(repo);
    phase.done();
    let phase = crate::trace::Phase::start("read index");
    // Attributes may convert line endings or run filters on checkout: then only the blob is
    // the base text. A `.gitattributes` in the base tree may differ from the work tree's.
    let clean = if attributes { None } else { clean_in_work_tree(g) };
    phase.done();
    let prefix = g.prefix.clone();
    // Each thread opens the repository: a handle is not shared between threads.
    let read = crate::text::parallel_map_with(
        &listed,
        || git2::Repository::open(&git_dir).map_err(|e| Error::git("open repository", e)),
        |repo, (path, id, link)| -> Result<RawFile> {
            if !*link {
                let repo_path = if prefix.is_empty() { path.clone() } else { format!("{prefix}/{path}") };
                if let Some(bytes) = clean.as_ref().and_then(|c| c.read(&repo_path, *id)) {
                    return Ok(RawFile { path: path.clone(), bytes, link: false });
                }
            }
            let repo = repo.as_ref().map_err(|e| Error::Usage(format!("cannot read {path}: {e}")))?;
            let blob = repo.find_blob(*id).map_err(|e| Error::git(format!("read blob {path}"), e))?;
            Ok(RawFile { path: path.clone(), bytes: blob.content().to_vec(), link: *link })
        },
    );
    let out: Vec<RawFile> = read.into_iter().collect::<Result<_>>()?;
    Ok(out)
}

/// The work-tree files known to hold exactly their blob, by the test git itself uses
/// (`git status`): the index records the blob and the file's size and modification time at
/// checkout, and the file still has them. Reading those from disk skips inflating the
/// blob. Files modified in the same second as the index was written ("racily clean") are
/// not trusted, nor is anything when `core.autocrlf` may convert line endings; and a file's
/// bytes are used only when they hash to its blob id. Attributes from any source (nested or
/// untracked `.gitattributes`, `core.attributesFile`, the `info/attributes` linked work trees
/// share, filters) may have converted a checked-out file without changing its stat: hashing
/// costs about what inflating the blob would (measured on a 4,000-file book), where git2's
/// per-path attribute lookup (no attribute session in its API) costs ten times that.
struct CleanFiles {
    workdir: PathBuf,
    /// Repository path -> the index's record of it.
    entries: HashMap<String, Stat>,
}

/// What git's index records of a checked-out file: its blob, size, modification and
/// status-change times, and inode (as git truncates them to 32 bits).
struct Stat {
    id: git2::Oid,
    size: u32,
    mtime: (i32, u32),
    ctime: (i32, u32),
    ino: u32,
}

impl CleanFiles {
    /// The bytes of `repo_path` from disk when the file is clean and its blob is `id`:
    /// size, modification and status-change times and inode as the index recorded them (a
    /// rewrite that restores the modification time still changes the status-change time).
    #[cfg(unix)]
    fn read(&self, repo_path: &str, id: git2::Oid) -> Option<Vec<u8>> {
        use std::os::unix::fs::MetadataExt;
        let st = self.entries.get(repo_path)?;
        if st.id != id {
            return None;
        }
        let path = self.workdir.join(repo_path);
        let meta = std::fs::symlink_metadata(&path).ok()?;
        let same = meta.is_file()
            && meta.len() as u32 == st.size
            && (meta.mtime() as i32, meta.mtime_nsec() as u32) == st.mtime
            && (meta.ctime() as i32, meta.ctime_nsec() as u32) == st.ctime
            && meta.ino() as u32 == st.ino;
        if !same {
            return None;
        }
        let bytes = crate::disk::read_regular(&path).ok().filter(|b| b.len() as u32 == st.size)?;
        // The base text must be the blob byte for byte, or diff and commit disagree.
        (git2::Oid::hash_object(git2::ObjectType::Blob, &bytes).ok()? == id).then_some(bytes)
    }

    /// Elsewhere the blob is always read.
    #[cfg(not(unix))]
    fn read(&self, _repo_path: &str, _id: git2::Oid) -> Option<Vec<u8>> {
        None
    }
}

fn clean_in_work_tree(g: &GitBase) -> Option<CleanFiles> {
    let repo = g.repo();
    let config = repo.config().ok()?;
    // Any value but false (true, input) may mean the blob and the file differ.
    let autocrlf = config.get_string("core.autocrlf").map(|v| v.to_lowercase());
    let autocrlf = match autocrlf {
        Ok(v) => !matches!(v.as_str(), "false" | "no" | "off" | "0" | ""),
        Err(_) => false,
    };
    if autocrlf {
        return None;
    }
    let index = repo.index().ok()?;
    let written = std::fs::metadata(repo.path().join("index")).ok()?.modified().ok()?;
    let written = written.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i32;
    let entries = index
        .iter()
        .filter(|e| e.mtime.seconds() < written)
        .filter_map(|e| {
            let path = String::from_utf8(e.path).ok()?;
            let stat = Stat {
                id: e.id,
                size: e.file_size,
                mtime: (e.mtime.seconds(), e.mtime.nanoseconds()),
                ctime: (e.ctime.seconds(), e.ctime.nanoseconds()),
                ino: e.ino,
            };
            Some((path, stat))
        })
        .collect();
    Some(CleanFiles { workdir: g.workdir.clone(), entries })
}

fn read_disk(root: &Path, wanted: &dyn Fn(&str) -> bool) -> Result<Vec<RawFile>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io("list", &dir, e))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with('.') || name == "target" || name == "node_modules" {
                continue;
            }
            let path = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            // Symlinked folders are not followed: they may lead out of the book.
            let rel = slash_path(path.strip_prefix(root).unwrap_or(&path));
            if ft.is_dir() {
                stack.push(path);
            } else if ft.is_file() && wanted(&rel) {
                out.push(RawFile {
                    bytes: crate::disk::read_regular(&path).map_err(|e| Error::io("read", &path, e))?,
                    path: rel,
                    link: false,
                });
            } else if ft.is_symlink() && wanted(&rel) {
                let target = std::fs::read_link(&path).map_err(|e| Error::io("read", &path, e))?;
                out.push(RawFile { path: rel, bytes: target.to_string_lossy().into_owned().into_bytes(), link: true });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Every integration guide of the book on disk: files named `integration-guide.md` or
/// `*integration*guide*.md` (case-insensitive), hidden folders and `target/` skipped; sorted.
///
/// # Errors
/// [`Error::Io`] when a folder cannot be listed.
pub fn find_guides(root: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io("list", &dir, e))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with('.') || name == "target" || name == "node_modules" {
                continue;
            }
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                stack.push(entry.path());
            } else if ft.is_file() && crate::guide::is_guide_name(&name.to_lowercase()) {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Locks one of the book's caches. A cache poisoned by a panicking thread is still
/// consistent (entries are inserted whole), so the poison is ignored.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
