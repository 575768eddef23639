//! The texts of a book's files (chapters, .bib files), each read when first asked for.
//!
//! A book read from its commit holds every text from the start. A book read from a snapshot
//! (see [`crate::store`]) holds where each text sits in the snapshot's text part (offset,
//! length, checksum) and reads a text on its first use, so a plan for one guide reads the few
//! files it places into instead of the whole book. A stored text whose bytes fail their
//! checksum (a damaged part, or one another run replaced) is read from its blob in the base
//! commit instead: the snapshot only saves time, it never changes a text.
//!
//! Which files belong to the book, and their includes, are [`crate::book`]'s business.

use std::collections::BTreeMap;
use std::fs::File;
use std::hash::Hasher;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Serialize};

/// Book-relative path -> the file's text as of the base commit (or on disk outside git).
pub struct Sources {
    texts: BTreeMap<String, Text>,
    store: Option<TextPart>,
    /// Whether a stored text failed its checksum (the text part is then written anew).
    damaged: AtomicBool,
}

/// One file's text: read already, or where to read it.
struct Text {
    read: OnceLock<Option<String>>,
    stored: Option<Stored>,
}

/// Where a text sits in a snapshot's text part: byte `offset` from the part's start, `len`
/// bytes, and the [`checksum`] of those bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// Bytes from the start of the text part.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// Checksum of the text's bytes.
    pub sum: u64,
}

/// A snapshot's open text part, and the commit to fall back on.
pub(crate) struct TextPart {
    file: Mutex<File>,
    /// The repository's git directory, and the book's tree in the base commit: a text whose
    /// stored bytes fail their checksum is read from its blob there.
    repo: PathBuf,
    tree: git2::Oid,
}

impl TextPart {
    /// The text part `file` (opened before the run could replace it), backed by the book's
    /// tree `tree` in the repository at git directory `repo`.
    pub(crate) fn new(file: File, repo: &Path, tree: git2::Oid) -> TextPart {
        TextPart { file: Mutex::new(file), repo: repo.to_path_buf(), tree }
    }

    /// The text `at` describes, when its bytes read back whole and match its checksum.
    fn read(&self, at: Stored) -> Option<String> {
        let mut bytes = vec![0; usize::try_from(at.len).ok()?];
        {
            let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
            file.seek(SeekFrom::Start(at.offset)).ok()?;
            file.read_exact(&mut bytes).ok()?;
        }
        (checksum(&bytes) == at.sum).then_some(())?;
        String::from_utf8(bytes).ok()
    }

    /// The text of book file `path` from its blob in the base commit.
    fn read_from_commit(&self, path: &str) -> Option<String> {
        let repo = git2::Repository::open(&self.repo).ok()?;
        let tree = repo.find_tree(self.tree).ok()?;
        let blob = tree.get_path(Path::new(path)).ok()?.to_object(&repo).ok()?.peel_to_blob().ok()?;
        String::from_utf8(blob.content().to_vec()).ok()
    }
}

impl Sources {
    /// Texts read already, by path.
    pub fn from_texts(texts: BTreeMap<String, String>) -> Sources {
        let texts = texts.into_iter().map(|(p, t)| (p, Text { read: OnceLock::from(Some(t)), stored: None })).collect();
        Sources { texts, store: None, damaged: AtomicBool::new(false) }
    }

    /// Texts kept in a snapshot's text part `store`, at the places `index` gives.
    pub(crate) fn stored(index: Vec<(String, Stored)>, store: TextPart) -> Sources {
        let texts = index.into_iter().map(|(p, at)| (p, Text { read: OnceLock::new(), stored: Some(at) })).collect();
        Sources { texts, store: Some(store), damaged: AtomicBool::new(false) }
    }

    /// The text of `path`, read on first use. `None` when the book has no such file (or, for
    /// a stored text, when neither the snapshot nor the commit gives it back).
    pub fn get(&self, path: &str) -> Option<&String> {
        self.texts.get(path).and_then(|t| self.text(path, t))
    }

    /// [`Sources::get`] with the book's own copy of the path.
    pub fn get_key_value(&self, path: &str) -> Option<(&String, &String)> {
        let (p, t) = self.texts.get_key_value(path)?;
        Some((p, self.text(p, t)?))
    }

    /// True when the book has a file at `path` (its text is not read).
    pub fn contains_key(&self, path: &str) -> bool {
        self.texts.contains_key(path)
    }

    /// The paths, sorted (no text is read).
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.texts.keys()
    }

    /// Every `(path, text)`, sorted by path; each text is read as the iteration reaches it.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.texts.iter().filter_map(|(p, t)| Some((p, self.text(p, t)?)))
    }

    /// The number of files.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// True when the book has no files.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// What identifies the content of `path` without reading it when the snapshot gives it:
    /// its text's [`checksum`] and length in bytes. `None` when the book has no such file.
    pub fn content_id(&self, path: &str) -> Option<(u64, u64)> {
        let t = self.texts.get(path)?;
        match (t.read.get(), t.stored) {
            (None, Some(at)) => Some((at.sum, at.len)),
            _ => self.get(path).map(|text| (checksum(text.as_bytes()), text.len() as u64)),
        }
    }

    /// How many texts are in memory, and their bytes (for `CHAPTER_INTEGRATOR_TIMINGS`).
    pub fn read_so_far(&self) -> (usize, usize) {
        let read: Vec<usize> = self.texts.values().filter_map(|t| t.read.get()?.as_ref().map(String::len)).collect();
        (read.len(), read.iter().sum())
    }

    /// Where each text sits in the snapshot's text part, when these texts came from one and
    /// every text read from it so far matched its checksum.
    pub(crate) fn index(&self) -> Option<Vec<(&str, Stored)>> {
        if self.damaged() {
            return None;
        }
        self.texts.iter().map(|(p, t)| Some((p.as_str(), t.stored?))).collect()
    }

    /// True when a text read from the snapshot's text part failed its checksum.
    pub(crate) fn damaged(&self) -> bool {
        self.damaged.load(Ordering::Relaxed)
    }

    fn text<'a>(&'a self, path: &str, t: &'a Text) -> Option<&'a String> {
        t.read
            .get_or_init(|| {
                let store = self.store.as_ref()?;
                t.stored.and_then(|at| store.read(at)).or_else(|| {
                    self.damaged.store(true, Ordering::Relaxed);
                    store.read_from_commit(path)
                })
            })
            .as_ref()
    }
}

/// A 64-bit checksum of `bytes` (FxHash over 8-byte words: each step is a bijection of the
/// state for a fixed word, so one changed word always changes the sum).
pub fn checksum(bytes: &[u8]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        h.write_u64(u64::from_le_bytes(w.try_into().unwrap_or([0; 8])));
    }
    h.write(words.remainder());
    h.write_usize(bytes.len());
    h.finish()
}

impl std::ops::Index<&str> for Sources {
    type Output = String;

    /// # Panics
    /// When the book has no file at `path`, as a map's index does.
    fn index(&self, path: &str) -> &String {
        self.get(path).unwrap_or_else(|| panic!("no book file {path}"))
    }
}
