//! Book snapshots: the book model of one commit kept on disk, so that the next run on the
//! same commit reads a few files instead of reading and parsing thousands.
//!
//! Everything a snapshot holds (include graph, bibliography, outlines, heading titles, the
//! labels each file may define, the Typst function list, resolution's chapter documents and
//! heading index) is a function of three things: the book's tree in the base commit, the
//! book's `chapter-integrator.toml`, and this build of the tool. Their hash is the snapshot's
//! fingerprint; a snapshot is used only when the fingerprint matches, so a new commit, an
//! edited configuration or a rebuilt tool each start afresh. Rules files are not part of it:
//! nothing a snapshot holds depends on them.
//!
//! Three parts sit beside the snapshot, with the same fingerprint: `.texts`, the file texts
//! back to back (the snapshot gives each one's offset, length and checksum; see
//! [`crate::sources`], which reads them on first use); `.terms`, the term table of a
//! whole-book check, read only by runs that need it; and `.sections`, the section index of
//! each file placement searched (its sections and their BM25 documents, without the
//! rules' weights), each decoded on first use, the part written anew when a run adds one.
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
pub use crate::sources::Stored;

/// Bumped whenever the snapshot's layout changes (a tool built from other sources starts
/// afresh anyway: see [`slot`]).
const FORMAT: u32 = 2;

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
}

impl Slot {
    /// The slot of a part of the snapshot read only when needed (`terms`: the term table),
    /// beside the snapshot, with the same fingerprint.
    pub fn part(&self, name: &str) -> Slot {
        Slot { path: self.path.with_extension(name), ..self.clone() }
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
    let mut h = std::hash::DefaultHasher::new();
    (FORMAT, env!("CHAPTER_INTEGRATOR_SOURCE_HASH"), exe.len(), book_tree.as_bytes(), config).hash(&mut h);
    let fingerprint = h.finish();
    let mut name = std::hash::DefaultHasher::new();
    git.prefix.hash(&mut name);
    Some(Slot { path: dir.join(format!("book-{:016x}.snapshot", name.finish())), fingerprint, tree: book_tree })
}

/// The book model a snapshot holds (see [`crate::book::Book`] for each field).
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
    pub roots: Vec<String>,
    pub reachable: BTreeSet<String>,
    pub parents: BTreeMap<String, Vec<(String, usize)>>,
    pub children: BTreeMap<String, Vec<(String, usize)>>,
    pub bib: Bibliography,
    /// Whether the bibliography's entries were validated with the BibTeX parser.
    pub bib_validated: bool,
    /// Each outline encoded on its own, decoded on first use ([`decode_outline`]).
    #[serde(borrow)]
    pub outlines: Vec<(String, &'a [u8])>,
    pub heading_titles: Option<crate::book::HeadingTitles>,
    #[serde(borrow)]
    pub content: Option<ContentParts<'a>>,
    pub typst_functions: Option<Vec<String>>,
    pub label_sites: Option<crate::book::LabelSites>,
    pub imported: Option<BTreeSet<String>>,
    pub heading_index: Option<crate::resolve::HeadingIndex>,
}

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
    pub roots: &'a [String],
    pub reachable: &'a BTreeSet<String>,
    pub parents: &'a BTreeMap<String, Vec<(String, usize)>>,
    pub children: &'a BTreeMap<String, Vec<(String, usize)>>,
    pub bib: &'a Bibliography,
    pub bib_validated: bool,
    pub outlines: Vec<(&'a str, OutlineBytes<'a>)>,
    pub heading_titles: Option<&'a crate::book::HeadingTitles>,
    pub content: Option<ContentPartsRef<'a>>,
    pub typst_functions: Option<&'a [String]>,
    pub label_sites: Option<&'a crate::book::LabelSites>,
    pub imported: Option<&'a BTreeSet<String>>,
    pub heading_index: Option<&'a crate::resolve::HeadingIndex>,
}

/// The chapters' content documents of resolution (see [`crate::book::ContentDocs`]): the
/// chapters, the terms in local id order, the local ids in the terms' order, and per chapter
/// `(local id, count)` pairs as little-endian `u32` bytes.
#[derive(Deserialize)]
pub(crate) struct ContentParts<'a> {
    pub chapters: Vec<String>,
    pub names: Vec<String>,
    pub by_name: &'a [u8],
    #[serde(borrow)]
    pub docs: Vec<&'a [u8]>,
}

/// [`ContentParts`] for writing.
#[derive(Serialize)]
pub(crate) struct ContentPartsRef<'a> {
    pub chapters: &'a [String],
    pub names: &'a [String],
    pub by_name: crate::relevance::U32Bytes<'a>,
    pub docs: Vec<crate::relevance::U32Bytes<'a>>,
}

/// An outline as the snapshot keeps it: the bytes of its own encoding (read back as they
/// were, or made from a parsed outline while writing).
pub(crate) enum OutlineBytes<'a> {
    Encoded(&'a [u8]),
    Parsed(&'a Outline),
}

impl Serialize for OutlineBytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            OutlineBytes::Encoded(bytes) => s.serialize_bytes(bytes),
            OutlineBytes::Parsed(o) => {
                let bytes = postcard::to_allocvec(o).map_err(serde::ser::Error::custom)?;
                s.serialize_bytes(&bytes)
            }
        }
    }
}

/// The outline `bytes` encode ([`OutlineBytes`]), when they read back whole.
pub(crate) fn decode_outline(bytes: &[u8]) -> Option<Outline> {
    postcard::from_bytes(bytes).ok()
}

/// Bytes encoded already, written as they are.
pub(crate) struct Encoded<'a>(pub &'a [u8]);

impl Serialize for Encoded<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// The section index part: the fingerprint, then each resolved file's section index (see
/// `place`), encoded on its own, by path.
pub(crate) type SectionsPart<'a> = (u64, Vec<(String, &'a [u8])>);

/// [`SectionsPart`] for writing.
pub(crate) type SectionsPartRef<'a> = (u64, Vec<(&'a str, Encoded<'a>)>);

/// The section index part `bytes` hold, when they read back whole.
pub(crate) fn decode_sections(bytes: &[u8]) -> Option<SectionsPart<'_>> {
    postcard::from_bytes(bytes).ok()
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

/// A 64-bit checksum of `bytes` (FxHash over 8-byte words: each step is a bijection of the
/// state for a fixed word, so one changed word always changes the sum).
pub(crate) fn checksum(bytes: &[u8]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        h.write_u64(u64::from_le_bytes(w.try_into().unwrap_or([0; 8])));
    }
    h.write(words.remainder());
    h.write_usize(bytes.len());
    h.finish()
}

/// Removes the file of `slot`, when there is one (failures ignored, as for [`store`]).
pub(crate) fn remove(slot: &Slot) {
    let _ = std::fs::remove_file(&slot.path);
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
