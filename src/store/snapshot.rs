//! Book snapshots: the book model of one commit kept on disk, so that the next run on the
//! same commit reads a few files instead of reading and parsing thousands.
//!
//! Everything a snapshot holds (the book's files, include graph and bibliography, and every
//! kind of derived data a run built: see [`super::cache`]) is a function of three things: the
//! book's tree in the base commit, the book's `chapter-integrator.toml`, and this build of the
//! tool. Their hash is the snapshot's fingerprint; a snapshot is used only when the
//! fingerprint matches, so a new commit, an edited configuration or a rebuilt tool each start
//! afresh. Rules files are not part of it: a kind that depends on the rules reads them back
//! with the rules in force ([`super::Derived::decode`]).
//!
//! Parts sit beside the snapshot, with the same fingerprint: `.texts`, the file texts back
//! to back (the snapshot gives each one's offset, length and checksum; see
//! [`crate::sources`], which reads them on first use), and one part for each kind of derived
//! data kept in a part of its own ([`super::Place::OwnPart`]), named by the kind, read on
//! the kind's first use and written anew when a run adds to it.
//!
//! Snapshots live in the repository's git directory, `.git/chapter-integrator/`, one per
//! book folder (the next commit's replaces it): never in the work tree, the index or a
//! branch. A snapshot that cannot be read or written is skipped without a word: it only
//! saves time. `CHAPTER_INTEGRATOR_NO_SNAPSHOT=1` turns snapshots off.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::bib::Bibliography;
use crate::book::{Book, GitBase, IncludeGraph, Opening};
use crate::finding::Finding;
use crate::sources::{checksum, Sources, Stored, TextPart};

/// Bumped whenever the snapshot's layout changes (a tool built from other sources starts
/// afresh anyway: see [`slot`]).
const FORMAT: u32 = 3;

/// The environment variable that turns snapshots off when set to anything but `0` or empty.
pub const OFF_VARIABLE: &str = "CHAPTER_INTEGRATOR_NO_SNAPSHOT";

/// Where one book's snapshot lives and the fingerprint it must carry.
#[derive(Debug, Clone)]
pub struct Slot {
    /// The snapshot file: `<git dir>/chapter-integrator/book-<16 hex digits>.snapshot`, the
    /// digits a hash of the book's folder in the repository.
    pub path: PathBuf,
    /// The hash of what the snapshot's content depends on (see [`slot`]).
    pub fingerprint: u64,
    /// The book's tree in the base commit (texts a snapshot fails to give back are read
    /// from it).
    pub tree: git2::Oid,
    /// The hash of this build of the tool alone: the fingerprint of the parts kept across
    /// commits (see [`Slot::across`]).
    pub build: u64,
}

impl Slot {
    /// The slot of a part of the snapshot read only when needed (`texts`, or a kind of
    /// derived data kept in its own part), beside the snapshot, with the same fingerprint.
    pub fn part(&self, name: &str) -> Slot {
        Slot { path: self.path.with_extension(name), ..self.clone() }
    }

    /// The slot of the part kept across commits for the kind of derived data `name` (see
    /// [`super::Place::AcrossCommits`]): beside the snapshot, named
    /// `book-<digits>.across-<name>`, its fingerprint that of the tool's build alone (its
    /// entries are keyed by the content they are derived from).
    pub fn across(&self, name: &str) -> Slot {
        Slot { path: self.path.with_extension(format!("across-{name}")), fingerprint: self.build, ..self.clone() }
    }
}

/// The slot of the book in `git` at `base`, with configuration file bytes `config`.
/// `None` when snapshots are off, the base tree or the tool's executable cannot be read.
/// Temporary files that killed runs left in the snapshot folder are removed on the way.
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
    remove_stale_temporaries(&dir);
    // This build of the tool: a hash of the sources it was built from (build.rs), and the
    // executable's size (another compiler or profile).
    let exe = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
    let this_build = (FORMAT, env!("CHAPTER_INTEGRATOR_SOURCE_HASH"), exe.len());
    let mut h = std::hash::DefaultHasher::new();
    this_build.hash(&mut h);
    let build = h.finish();
    (book_tree.as_bytes(), config).hash(&mut h);
    let fingerprint = h.finish();
    let mut name = std::hash::DefaultHasher::new();
    git.prefix.hash(&mut name);
    Some(Slot { path: dir.join(format!("book-{:016x}.snapshot", name.finish())), fingerprint, tree: book_tree, build })
}

/// The book model a snapshot holds (see [`crate::book::Book`] for each field), and every
/// kind of derived data kept in the snapshot itself: kind name -> key -> encoded entry.
#[derive(Deserialize)]
pub(crate) struct Snapshot<'a> {
    pub fingerprint: u64,
    /// Where each file's text sits in the text part (see [`store_texts`]).
    pub sources: Vec<(String, Stored)>,
    pub chapters: Vec<String>,
    pub symlinks: BTreeMap<String, String>,
    pub not_text: BTreeSet<String>,
    #[serde(with = "crate::finding::records")]
    pub findings: Vec<Finding>,
    pub includes: IncludeGraph,
    pub bib: Bibliography,
    /// Whether the bibliography's entries were validated with the BibTeX parser.
    pub bib_validated: bool,
    #[serde(borrow)]
    pub derived: Vec<(String, Entries<'a>)>,
}

/// Entries of one kind of derived data: key -> encoded entry.
pub(crate) type Entries<'a> = Vec<(String, &'a [u8])>;

/// [`Snapshot`] borrowed from a book, for writing (the same fields in the same order).
#[derive(Serialize)]
pub(crate) struct SnapshotRef<'a> {
    pub fingerprint: u64,
    pub sources: Vec<(&'a str, Stored)>,
    pub chapters: &'a [String],
    pub symlinks: &'a BTreeMap<String, String>,
    pub not_text: &'a BTreeSet<String>,
    #[serde(with = "crate::finding::records")]
    pub findings: &'a [Finding],
    pub includes: &'a IncludeGraph,
    pub bib: &'a Bibliography,
    pub bib_validated: bool,
    pub derived: &'a BTreeMap<String, BTreeMap<String, Vec<u8>>>,
}

/// A kind's own part: the fingerprint, then its entries (key -> encoded entry).
type Part<'a> = (u64, Entries<'a>);

/// The entries of the own part in `part`, copied out, when it carries the part's
/// fingerprint and reads back whole.
pub(crate) fn load_part(part: &Slot) -> Option<std::collections::HashMap<String, Box<[u8]>>> {
    let bytes = load(part)?;
    let (fingerprint, entries): Part = postcard::from_bytes(&bytes).ok()?;
    (fingerprint == part.fingerprint).then(|| entries.into_iter().map(|(k, b)| (k, Box::from(b))).collect())
}

/// Writes the own part `entries` (key -> encoded entry) to `part`.
pub(crate) fn store_part(part: &Slot, entries: &BTreeMap<String, Vec<u8>>) {
    store(part, &(part.fingerprint, entries));
}

/// Removes every part beside `slot`'s snapshot that is not one of `keep` (by name): parts an
/// older commit wrote, once this commit's first snapshot is written.
pub(crate) fn remove_other_parts(slot: &Slot, keep: &[&str]) {
    let (Some(dir), Some(stem)) = (slot.path.parent(), slot.path.file_stem()) else { return };
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let stem = stem.to_string_lossy();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(ext) = name.strip_prefix(&*stem).and_then(|r| r.strip_prefix('.')) else { continue };
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        // Parts kept across commits stay (their entries are rewritten to this commit's files).
        if regular && ext != "snapshot" && !ext.starts_with("across-") && !keep.contains(&ext) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The book the snapshot `bytes` (read from `slot`) hold, with `opening`'s configuration,
/// rules and repository, and the entries of derived data kept in the snapshot itself (kind
/// name -> key -> encoded entry); its texts are read from the text part on first need. The
/// opening back when there is no snapshot, it does not decode, its fingerprint is another
/// configuration's or its text part cannot be opened.
#[allow(clippy::type_complexity)]
pub(crate) fn book_from(
    bytes: Option<&[u8]>,
    slot: Option<&Slot>,
    opening: Opening,
) -> Result<(Book, HashMap<String, HashMap<String, Box<[u8]>>>), Box<Opening>> {
    let phase = crate::trace::Phase::start("decode snapshot");
    let snap = bytes.and_then(decode).filter(|s| Some(s.fingerprint) == slot.map(|s| s.fingerprint));
    phase.done();
    // The texts stay in the snapshot's text part until asked for.
    let texts = snap.as_ref().zip(slot).and_then(|(_, slot)| {
        let texts = open_texts(&slot.part("texts"))?;
        let repo = opening.git.as_ref()?.repo().path().to_path_buf();
        Some(TextPart::new(texts, &repo, slot.tree))
    });
    let Some((snap, texts)) = snap.zip(texts) else { return Err(Box::new(opening)) };
    let derived = snap
        .derived
        .into_iter()
        .map(|(kind, entries)| (kind, entries.into_iter().map(|(k, b)| (k, Box::from(b))).collect()))
        .collect();
    let Opening { root, config, rules, phrasing, git, .. } = opening;
    let book = Book {
        root,
        config,
        rules,
        phrasing,
        git,
        sources: Sources::stored(snap.sources, texts),
        chapters: snap.chapters,
        includes: snap.includes,
        bib: snap.bib,
        bib_validated: snap.bib_validated,
        findings: snap.findings,
        symlinks: snap.symlinks,
        not_text: snap.not_text,
    };
    Ok((book, derived))
}

/// Writes `book`'s snapshot to `slot`, with `derived` (kind name -> key -> encoded entry).
/// A commit's texts are written once, with its first snapshot; later snapshots of the same
/// commit point into that part.
pub(crate) fn save_book(slot: &Slot, book: &Book, derived: &BTreeMap<String, BTreeMap<String, Vec<u8>>>) {
    let index = match book.sources.index() {
        Some(index) => index,
        None => {
            let phase = crate::trace::Phase::start("write snapshot texts");
            let index = store_texts(&slot.part("texts"), book.sources.iter().map(|(p, t)| (p.as_str(), t.as_str())));
            phase.done();
            let Some(index) = index else { return };
            index
        }
    };
    let phase = crate::trace::Phase::start("write snapshot");
    let snapshot = SnapshotRef {
        fingerprint: slot.fingerprint,
        sources: index,
        chapters: &book.chapters,
        symlinks: &book.symlinks,
        not_text: &book.not_text,
        findings: &book.findings,
        includes: &book.includes,
        bib: &book.bib,
        bib_validated: book.bib_validated,
        derived,
    };
    store(slot, &snapshot);
    phase.done();
}

/// The bytes of the snapshot in `slot`, when there is one with its fingerprint (see
/// [`decode`]).
pub(crate) fn load(slot: &Slot) -> Option<Vec<u8>> {
    use std::io::Read;
    // Only a regular file: a FIFO or device put in its place is never waited on.
    let mut file = crate::disk::open_regular(&slot.path).ok()?;
    // The fingerprint is written first: a stale snapshot is refused before reading it all.
    // Ten bytes hold any u64 as postcard writes it (a varint of 7 bits a byte).
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
    // The last eight bytes are the checksum of the others: damaged bytes are never used.
    let at = bytes.len().checked_sub(8)?;
    let sum = u64::from_le_bytes(bytes[at..].try_into().ok()?);
    bytes.truncate(at);
    (checksum(&bytes) == sum).then_some(bytes)
}

/// The snapshot `bytes` hold, when they read back whole.
pub(crate) fn decode(bytes: &[u8]) -> Option<Snapshot<'_>> {
    postcard::from_bytes::<Snapshot>(bytes).ok()
}

/// Writes `snapshot` (which begins with the slot's fingerprint) to its slot, followed by the
/// checksum of its bytes (see [`write_atomically`]).
pub(crate) fn store<T: Serialize>(slot: &Slot, snapshot: &T) {
    write_atomically(&slot.path, |file| {
        let mut out = ChecksumWriter { inner: file, sum: Sum::default() };
        postcard::to_io(snapshot, &mut out).ok()?;
        let sum = out.sum.finish();
        out.inner.write_all(&sum.to_le_bytes()).ok()
    });
}

/// Writes the text part of a snapshot to `part`: the fingerprint (8 bytes, little-endian),
/// then each of `texts` back to back. Returns where each text went (offsets count from the
/// part's start), or `None` when the part could not be written.
pub(crate) fn store_texts<'a>(
    part: &Slot,
    texts: impl Iterator<Item = (&'a str, &'a str)>,
) -> Option<Vec<(&'a str, Stored)>> {
    let mut index = Vec::new();
    write_atomically(&part.path, |file| {
        file.write_all(&part.fingerprint.to_le_bytes()).ok()?;
        let mut offset = 8;
        for (path, text) in texts {
            file.write_all(text.as_bytes()).ok()?;
            let len = text.len() as u64;
            index.push((path, Stored { offset, len, sum: checksum(text.as_bytes()) }));
            offset += len;
        }
        Some(())
    })?;
    Some(index)
}

/// The text part in `part`, opened, when it carries the part's fingerprint.
pub(crate) fn open_texts(part: &Slot) -> Option<std::fs::File> {
    use std::io::Read;
    let mut file = crate::disk::open_regular(&part.path).ok()?;
    let mut head = [0u8; 8];
    file.read_exact(&mut head).ok()?;
    (u64::from_le_bytes(head) == part.fingerprint).then_some(file)
}

/// The prefix of the temporary files [`write_atomically`] writes before renaming them.
const TEMPORARY_PREFIX: &str = ".snapshot-";

/// How long a temporary file of [`write_atomically`] may go unmodified before it counts as
/// left behind by a run that was killed (no destructor ran to remove it): ten minutes. A
/// live writer streams in 1 MiB pieces, so even a 20 MB part is modified every few
/// milliseconds; ten minutes leaves room for a stopped or very slow machine.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

/// Removes the temporary files in the snapshot folder `dir` that runs killed while writing
/// left behind (see [`STALE_AFTER`]); nothing else in the folder is touched, and failures
/// are ignored as for [`store`].
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let now = std::time::SystemTime::now();
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(TEMPORARY_PREFIX) {
            continue;
        }
        // The entry itself (a symlink is not followed), and only a regular file.
        let Ok(meta) = entry.metadata() else { continue };
        let stale = meta.modified().ok().and_then(|m| now.duration_since(m).ok()).is_some_and(|age| age > STALE_AFTER);
        if meta.is_file() && stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes a file through `write`: to a temporary file of a unique name beside `path` first
/// (removed again when the run ends before the rename; one a killed run left is removed by
/// the next run's [`slot`], see [`remove_stale_temporaries`]), then renamed over `path`, so a reader
/// sees the old file or the new one, never half of one. Failures are ignored and give `None`
/// (a read-only repository simply has no snapshots).
fn write_atomically(path: &Path, write: impl FnOnce(&mut dyn std::io::Write) -> Option<()>) -> Option<()> {
    use std::io::Write;
    let dir = path.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    let tmp = tempfile::Builder::new().prefix(TEMPORARY_PREFIX).tempfile_in(dir).ok()?;
    // Written as it is encoded: the snapshot is never whole in memory a second time.
    let mut out = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file());
    write(&mut out)?;
    out.flush().ok()?;
    drop(out);
    tmp.persist(path).ok().map(drop)
}

/// The running [`checksum`] of bytes written in pieces of any size.
#[derive(Default)]
struct Sum {
    h: rustc_hash::FxHasher,
    pending: Vec<u8>,
    len: usize,
}

impl Sum {
    fn update(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len();
        if !self.pending.is_empty() {
            let take = (8 - self.pending.len()).min(bytes.len());
            self.pending.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.pending.len() < 8 {
                return;
            }
            let word = u64::from_le_bytes(self.pending[..].try_into().unwrap_or([0; 8]));
            self.h.write_u64(word);
            self.pending.clear();
        }
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.h.write_u64(u64::from_le_bytes(w.try_into().unwrap_or([0; 8])));
        }
        self.pending.extend_from_slice(words.remainder());
    }

    fn finish(mut self) -> u64 {
        self.h.write(&self.pending);
        self.h.write_usize(self.len);
        self.h.finish()
    }
}

/// A writer that keeps the [`checksum`] of what passes through it.
struct ChecksumWriter<W: std::io::Write> {
    inner: W,
    sum: Sum,
}

impl<W: std::io::Write> std::io::Write for ChecksumWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sum.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
