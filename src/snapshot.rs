//! Book snapshots: the book model of one commit kept on disk, so that the next run on the
//! same commit reads one file instead of reading and parsing thousands.
//!
//! Everything a snapshot holds (file texts, include graph, bibliography, outlines, the term
//! table) is a function of three things: the book's tree in the base commit, the book's
//! `chapter-integrator.toml`, and this build of the tool. Their hash is the snapshot's
//! fingerprint; a snapshot is used only when the fingerprint matches, so a new commit, an
//! edited configuration or a rebuilt tool each start afresh. Rules files are not part of it:
//! nothing a snapshot holds depends on them.
//!
//! Snapshots live in the repository's git directory, `.git/chapter-integrator/`, one per
//! book folder (the next commit's replaces it): never in the work tree, the index or a
//! branch. A snapshot that cannot be read or written is skipped without a word: it only
//! saves time. `CHAPTER_INTEGRATOR_NO_SNAPSHOT=1` turns snapshots off.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::bib::Bibliography;
use crate::book::GitBase;
use crate::finding::Finding;
use crate::outline::Outline;
use crate::relevance::{OwnedTermParts, TermParts};

/// Bumped whenever the snapshot's layout changes (a rebuilt tool starts afresh anyway).
const FORMAT: u32 = 1;

/// The environment variable that turns snapshots off when set to anything but `0` or empty.
pub const OFF_VARIABLE: &str = "CHAPTER_INTEGRATOR_NO_SNAPSHOT";

/// Where one book's snapshot lives and the fingerprint it must carry.
#[derive(Debug, Clone)]
pub struct Slot {
    pub path: PathBuf,
    pub fingerprint: u64,
}

impl Slot {
    /// The slot of a part of the snapshot read only when needed (`terms`: the term table),
    /// beside the snapshot, with the same fingerprint.
    pub fn part(&self, name: &str) -> Slot {
        Slot { path: self.path.with_extension(name), fingerprint: self.fingerprint }
    }
}

/// The slot of the book in `git` at `base`, with configuration file bytes `config`.
/// `None` when snapshots are off, the base tree or the tool's executable cannot be read.
pub fn slot(git: &GitBase, base: git2::Oid, config: &[u8]) -> Option<Slot> {
    if std::env::var_os(OFF_VARIABLE).is_some_and(|v| !v.is_empty() && v != "0") {
        return None;
    }
    let repo = git.repo();
    let tree = repo.find_commit(base).ok()?.tree().ok()?;
    let book_tree = if git.prefix.is_empty() { tree.id() } else { tree.get_path(Path::new(&git.prefix)).ok()?.id() };
    let dir = repo.path().join("chapter-integrator");
    drop(tree);
    drop(repo);
    // This build of the tool: its executable's size and modification time.
    let exe = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
    let built = exe.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    let mut h = std::hash::DefaultHasher::new();
    (FORMAT, exe.len(), built.as_nanos(), book_tree.as_bytes(), config).hash(&mut h);
    let fingerprint = h.finish();
    let mut name = std::hash::DefaultHasher::new();
    git.prefix.hash(&mut name);
    Some(Slot { path: dir.join(format!("book-{:016x}.snapshot", name.finish())), fingerprint })
}

/// The book model a snapshot holds (see [`crate::book::Book`] for each field).
#[derive(Deserialize)]
pub(crate) struct Snapshot<'a> {
    pub fingerprint: u64,
    pub sources: BTreeMap<String, String>,
    pub chapters: Vec<String>,
    pub symlinks: BTreeMap<String, String>,
    pub not_text: BTreeSet<String>,
    #[serde(with = "crate::finding::records")]
    pub findings: Vec<Finding>,
    pub roots: Vec<String>,
    pub reachable: BTreeSet<String>,
    pub parents: BTreeMap<String, Vec<(String, usize)>>,
    pub children: BTreeMap<String, Vec<(String, usize)>>,
    pub bib: Bibliography,
    /// Whether the bibliography's entries were validated with the BibTeX parser.
    pub bib_validated: bool,
    pub outlines: Vec<(String, Outline)>,
    pub heading_titles: Option<crate::book::HeadingTitles>,
    #[serde(borrow)]
    pub content: Option<ContentParts<'a>>,
}

/// [`Snapshot`] borrowed from a book, for writing (the same fields in the same order).
#[derive(Serialize)]
pub(crate) struct SnapshotRef<'a> {
    pub fingerprint: u64,
    pub sources: &'a BTreeMap<String, String>,
    pub chapters: &'a [String],
    pub symlinks: &'a BTreeMap<String, String>,
    pub not_text: &'a BTreeSet<String>,
    #[serde(with = "crate::finding::records")]
    pub findings: &'a [Finding],
    pub roots: &'a [String],
    pub reachable: &'a BTreeSet<String>,
    pub parents: &'a BTreeMap<String, Vec<(String, usize)>>,
    pub children: &'a BTreeMap<String, Vec<(String, usize)>>,
    pub bib: &'a Bibliography,
    pub bib_validated: bool,
    pub outlines: Vec<(&'a str, &'a Outline)>,
    pub heading_titles: Option<&'a crate::book::HeadingTitles>,
    pub content: Option<ContentPartsRef<'a>>,
}

/// The chapters' content documents of resolution (see [`crate::book::ContentDocs`]): the
/// chapters, the terms in local id order, and per chapter `(local id, count)` pairs as
/// little-endian `u32` bytes.
#[derive(Deserialize)]
pub(crate) struct ContentParts<'a> {
    pub chapters: Vec<String>,
    pub names: Vec<String>,
    #[serde(borrow)]
    pub docs: Vec<&'a [u8]>,
}

/// [`ContentParts`] for writing.
#[derive(Serialize)]
pub(crate) struct ContentPartsRef<'a> {
    pub chapters: &'a [String],
    pub names: &'a [String],
    pub docs: Vec<crate::relevance::U32Bytes<'a>>,
}

/// The term table part: the fingerprint, then the table.
pub(crate) fn decode_terms(bytes: &[u8]) -> Option<(u64, OwnedTermParts<'_>)> {
    postcard::from_bytes(bytes).ok()
}

/// The term table part for writing.
pub(crate) type TermsPartRef<'a> = (u64, TermParts<'a>);

/// The bytes of the snapshot in `slot`, when there is one with its fingerprint (see
/// [`decode`]).
pub(crate) fn load(slot: &Slot) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(&slot.path).ok()?;
    // The fingerprint is written first: a stale snapshot is refused before reading it all.
    let mut head = [0u8; 10];
    let n = file.read(&mut head).ok()?;
    let (fingerprint, _) = postcard::take_from_bytes::<u64>(&head[..n]).ok()?;
    if fingerprint != slot.fingerprint {
        return None;
    }
    let size = file.metadata().ok()?.len() as usize;
    let mut bytes = Vec::with_capacity(size.max(n));
    bytes.extend_from_slice(&head[..n]);
    file.read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// The snapshot `bytes` hold, when they read back whole.
pub(crate) fn decode(bytes: &[u8]) -> Option<Snapshot<'_>> {
    postcard::from_bytes::<Snapshot>(bytes).ok()
}

/// Writes `snapshot` (which begins with the slot's fingerprint) to its slot: to a temporary
/// file first, then renamed over the old one, so a reader sees the old snapshot or the new
/// one, never half of one. Failures are ignored (a read-only repository simply has no
/// snapshots).
pub(crate) fn store<T: Serialize>(slot: &Slot, snapshot: &T) {
    use std::io::Write;
    let Some(dir) = slot.path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = slot.path.with_extension(format!("tmp{}", std::process::id()));
    // Written as it is encoded: the snapshot is never whole in memory a second time.
    let written = std::fs::File::create(&tmp).ok().and_then(|file| {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        postcard::to_io(snapshot, &mut out).ok()?;
        out.flush().ok()
    });
    if written.is_some() && std::fs::rename(&tmp, &slot.path).is_ok() {
        return;
    }
    let _ = std::fs::remove_file(&tmp);
}
