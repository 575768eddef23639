//! The one mechanism every kind of derived data goes through: [`Derived`] says how a kind is
//! named, kept and encoded; [`Cache`] holds its entries by key (a path, or `""` for a
//! whole-book value), decoded on first use from what the snapshot held, else built once, and
//! remembers what this run built so the next snapshot can hold it.
//!
//! Adding a kind of derived data is one `impl Derived` beside the type and one call of
//! [`super::Store::derived`]: nothing here or in the snapshot's format names a kind.
//!
//! What it leaves out: the snapshot's file format (see [`super::snapshot`]); what each kind
//! is and how it is built (beside its type).

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::book::Book;

/// Where a kind's stored entries live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In the snapshot itself, read with it when the book is opened.
    Snapshot,
    /// In a part of its own beside the snapshot (file extension [`Derived::NAME`]), read on
    /// the first use of the kind: for data only some runs need (the whole book's term table)
    /// or that grows run by run (section indexes).
    OwnPart,
    /// In a part kept across commits (see [`super::snapshot::Slot::across`]), each entry under
    /// the content of the book file it is derived from (its markup, text checksum and
    /// length), so a commit that changes a few files derives only theirs again. Only for a
    /// kind whose entry for a path is a function of that file's extension and text alone
    /// (outlines).
    AcrossCommits,
}

/// One kind of data derived from the book's texts, kept once built: in memory for the run,
/// and in the snapshot for later runs on the same commit and configuration.
pub trait Derived: Send + Sync + Sized + 'static {
    /// The kind's name in the snapshot; unique among kinds (the layering test keeps them
    /// apart by listing every `impl Derived`).
    const NAME: &'static str;
    /// Where its stored entries live.
    const PLACE: Place = Place::Snapshot;
    /// How many entries stay decoded in memory at most; the least recently used one goes
    /// first. Entries built this run are encoded at once when this is bounded (so the
    /// snapshot still gets them after they leave memory).
    const KEEP: usize = usize::MAX;

    /// The entry's bytes for the snapshot; `None` keeps it out (it is built again by the
    /// next run that needs it).
    fn encode(&self) -> Option<Vec<u8>>;

    /// The entry `bytes` hold, read back with `book`'s rules in force; `None` when they do
    /// not read back whole (the entry is then built as if it had not been stored).
    fn decode(bytes: &[u8], book: &Book) -> Option<Self>;
}

/// An entry decoded or built this run.
type Entry = Arc<dyn Any + Send + Sync>;

/// An entry built this run, kept for the snapshot: encoded already, or the value with the
/// function that encodes it.
enum Built {
    Encoded(Option<Vec<u8>>),
    Value(Entry, fn(&Entry) -> Option<Vec<u8>>),
}

/// An entry in memory: its cell (filled once), and the stamp of its last use.
type Live = (Arc<OnceLock<Entry>>, u64);

/// The entries of one kind built this run, with where the kind lives.
type BuiltKind = (Place, BTreeMap<String, Built>);

/// The stored entries of one kind: key -> encoded bytes, as read from the snapshot or an
/// own part.
type Stored = HashMap<String, Box<[u8]>>;

/// Every kind's entries, by kind name and key.
#[derive(Default)]
pub(crate) struct Cache {
    /// Entries in memory, each with the stamp of its last use; an entry's cell is filled by
    /// the one thread that builds it (others wait for it).
    live: Mutex<HashMap<&'static str, HashMap<String, Live>>>,
    /// Entries the snapshot held, still encoded, by kind.
    stored: HashMap<String, Stored>,
    /// Own parts as read (on first use of their kind); `None` when there is none to read.
    parts: Mutex<HashMap<&'static str, Arc<OnceLock<Option<Stored>>>>>,
    /// Entries built this run, by kind (with where the kind lives) then key.
    built: Mutex<BTreeMap<&'static str, BuiltKind>>,
    /// The running count that stamps uses.
    clock: AtomicU64,
    /// Whether entries built this run are kept for a snapshot (a book not read from a commit
    /// has none).
    keeps: bool,
    /// Reads the own part of the kind of this name from disk.
    read_part: Option<PartReader>,
}

/// Reads the part of a kind, by its name and place: `None` when there is none to read.
pub(crate) type PartReader = Box<dyn Fn(&str, Place) -> Option<Stored> + Send + Sync>;

impl Cache {
    /// A cache holding `stored`, the snapshot's entries by kind name (empty for a book read
    /// afresh), reading own parts with `read_part`; it keeps what it builds for a snapshot
    /// when there is one to write (`read_part` is given).
    pub(crate) fn new(stored: HashMap<String, Stored>, read_part: Option<PartReader>) -> Cache {
        Cache { stored, keeps: read_part.is_some(), read_part, ..Cache::default() }
    }

    /// The entry of kind `T` for `key`: in memory, else decoded from its stored bytes (an
    /// own part is read on first use), else `build()`.
    pub(crate) fn get<T: Derived>(&self, book: &Book, key: &str, build: impl FnOnce() -> T) -> Arc<T> {
        let cell = self.cell(T::NAME, key, T::KEEP);
        let entry = cell.get_or_init(|| {
            let stored = match T::PLACE {
                Place::Snapshot => self.stored.get(T::NAME).and_then(|s| s.get(key)).and_then(|b| T::decode(b, book)),
                Place::OwnPart => {
                    let part = self.part::<T>();
                    part.get().and_then(Option::as_ref).and_then(|s| s.get(key)).and_then(|b| T::decode(b, book))
                }
                Place::AcrossCommits => {
                    let part = self.part::<T>();
                    let bytes = content_key(book, key).and_then(|k| part.get()?.as_ref()?.get(&k));
                    bytes.and_then(|b| T::decode(b, book))
                }
            };
            match stored {
                Some(value) => Arc::new(value) as Entry,
                None => {
                    let value: Entry = Arc::new(build());
                    self.keep_built::<T>(key, &value);
                    value
                }
            }
        });
        downcast(entry)
    }

    /// The entry of kind `T` for `key` when it is in memory already (built or read).
    pub(crate) fn peek<T: Derived>(&self, key: &str) -> Option<Arc<T>> {
        let live = super::lock(&self.live);
        live.get(T::NAME)?.get(key)?.0.get().map(downcast)
    }

    /// True when the entry of kind `T` for `key` is in memory or stored.
    pub(crate) fn has<T: Derived>(&self, book: &Book, key: &str) -> bool {
        let stored = match T::PLACE {
            Place::Snapshot => self.stored.get(T::NAME).is_some_and(|s| s.contains_key(key)),
            Place::OwnPart => self.part::<T>().get().and_then(Option::as_ref).is_some_and(|s| s.contains_key(key)),
            Place::AcrossCommits => content_key(book, key)
                .is_some_and(|k| self.part::<T>().get().and_then(Option::as_ref).is_some_and(|s| s.contains_key(&k))),
        };
        stored || super::lock(&self.live).get(T::NAME).and_then(|k| k.get(key)).is_some_and(|(c, _)| c.get().is_some())
    }

    /// Puts `value`, built elsewhere, in as the entry of kind `T` for `key` (kept for the
    /// snapshot as built entries are); an entry there already stays.
    pub(crate) fn insert<T: Derived>(&self, key: &str, value: T) {
        let cell = self.cell(T::NAME, key, T::KEEP);
        let value: Entry = Arc::new(value);
        if cell.set(value.clone()).is_ok() {
            self.keep_built::<T>(key, &value);
        }
    }

    /// True when kind `T`'s own part holds any entry (the part is read).
    pub(crate) fn has_stored_part<T: Derived>(&self) -> bool {
        self.part::<T>().get().and_then(Option::as_ref).is_some_and(|s| !s.is_empty())
    }

    /// The snapshot's entries of each kind kept in the snapshot itself, by kind and key:
    /// those read from the snapshot as they were, with those this run built. Own parts come
    /// from [`Cache::parts_to_write`].
    pub(crate) fn snapshot_entries(&self) -> BTreeMap<String, BTreeMap<String, Vec<u8>>> {
        let mut all: BTreeMap<String, BTreeMap<String, Vec<u8>>> = BTreeMap::new();
        for (kind, entries) in &self.stored {
            let kind = all.entry(kind.clone()).or_default();
            kind.extend(entries.iter().map(|(k, b)| (k.clone(), b.to_vec())));
        }
        for (kind, (place, entries)) in self.encoded_built() {
            if place == Place::Snapshot {
                all.entry(kind.to_string()).or_default().extend(entries);
            }
        }
        all
    }

    /// Each own part (`place` [`Place::OwnPart`]) or part kept across commits
    /// ([`Place::AcrossCommits`]) this run built entries for, whole: its entries read from
    /// disk with those this run built, by key. A part kept across commits keeps only the
    /// entries of `book`'s files as they are now (so it does not grow commit by commit).
    pub(crate) fn parts_to_write(
        &self,
        book: &Book,
        place: Place,
    ) -> BTreeMap<&'static str, BTreeMap<String, Vec<u8>>> {
        let mut out = BTreeMap::new();
        let current: Option<std::collections::HashSet<String>> =
            (place == Place::AcrossCommits).then(|| book.sources.keys().filter_map(|p| content_key(book, p)).collect());
        for (kind, (kind_place, built)) in self.encoded_built() {
            if kind_place != place {
                continue;
            }
            let read = self.part_of(kind, place);
            let mut entries: BTreeMap<String, Vec<u8>> = read
                .get()
                .and_then(Option::as_ref)
                .map(|s| {
                    let now = |k: &String| current.as_ref().is_none_or(|c| c.contains(k));
                    s.iter().filter(|(k, _)| now(k)).map(|(k, b)| (k.clone(), b.to_vec())).collect()
                })
                .unwrap_or_default();
            match place {
                Place::AcrossCommits => {
                    entries.extend(built.into_iter().filter_map(|(path, b)| Some((content_key(book, &path)?, b))))
                }
                _ => entries.extend(built),
            }
            out.insert(kind, entries);
        }
        out
    }

    /// Whether this run built an entry that encodes (one the snapshot lacks) of a kind kept
    /// at `place`.
    pub(crate) fn built_any(&self, place: Place) -> bool {
        self.encoded_built().values().any(|(p, entries)| *p == place && !entries.is_empty())
    }

    /// The entries built this run, encoded, by kind; kinds with none that encodes are left
    /// out.
    fn encoded_built(&self) -> BTreeMap<&'static str, (Place, BTreeMap<String, Vec<u8>>)> {
        let built = super::lock(&self.built);
        let mut out = BTreeMap::new();
        for (kind, (place, entries)) in built.iter() {
            let encoded: BTreeMap<String, Vec<u8>> = entries
                .iter()
                .filter_map(|(key, b)| {
                    let bytes = match b {
                        Built::Encoded(bytes) => bytes.clone(),
                        Built::Value(value, encode) => encode(value),
                    };
                    Some((key.clone(), bytes?))
                })
                .collect();
            if !encoded.is_empty() {
                out.insert(*kind, (*place, encoded));
            }
        }
        out
    }

    /// How many entries of each kind this run built, by kind name.
    pub(crate) fn built_counts(&self) -> BTreeMap<&'static str, usize> {
        super::lock(&self.built).iter().map(|(kind, (_, entries))| (*kind, entries.len())).collect()
    }

    /// Remembers `value`, the entry of kind `T` for `key` built this run, for the snapshot.
    fn keep_built<T: Derived>(&self, key: &str, value: &Entry) {
        if !self.keeps {
            return;
        }
        let built = if T::KEEP == usize::MAX {
            Built::Value(value.clone(), |v| (**v).downcast_ref::<T>().and_then(T::encode))
        } else {
            Built::Encoded((**value).downcast_ref::<T>().and_then(T::encode))
        };
        let mut all = super::lock(&self.built);
        all.entry(T::NAME).or_insert_with(|| (T::PLACE, BTreeMap::new())).1.insert(key.to_string(), built);
    }

    /// The cell of kind `name`'s entry for `key`, stamped with this use; when the kind keeps
    /// at most `keep` entries, the least recently used one goes to make room.
    fn cell(&self, name: &'static str, key: &str, keep: usize) -> Arc<OnceLock<Entry>> {
        let stamp = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut live = super::lock(&self.live);
        let entries = live.entry(name).or_default();
        if let Some((cell, used)) = entries.get_mut(key) {
            *used = stamp;
            return cell.clone();
        }
        if entries.len() >= keep {
            if let Some(oldest) = entries.iter().min_by_key(|(_, (_, used))| *used).map(|(k, _)| k.clone()) {
                entries.remove(&oldest);
            }
        }
        let cell = Arc::new(OnceLock::new());
        entries.insert(key.to_string(), (cell.clone(), stamp));
        cell
    }

    /// The part of kind `T`, read on first use.
    fn part<T: Derived>(&self) -> Arc<OnceLock<Option<Stored>>> {
        self.part_of(T::NAME, T::PLACE)
    }

    /// The part of the kind named `name`, kept at `place`, read on first use.
    fn part_of(&self, name: &'static str, place: Place) -> Arc<OnceLock<Option<Stored>>> {
        let cell = super::lock(&self.parts).entry(name).or_default().clone();
        cell.get_or_init(|| self.read_part.as_ref().and_then(|read| read(name, place)));
        cell
    }
}

/// The key of the entry for book file `path` in a part kept across commits: its extension
/// (which decides its markup), its text's checksum and its length, e.g. `typ:0123…:4711`.
/// `None` when the book has no such file.
fn content_key(book: &Book, path: &str) -> Option<String> {
    let (sum, len) = book.sources.content_id(path)?;
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    Some(format!("{ext}:{sum:016x}:{len}"))
}

/// The entry as its kind's type (every entry of a kind's name is of that kind's type).
fn downcast<T: Derived>(entry: &Entry) -> Arc<T> {
    entry.clone().downcast::<T>().unwrap_or_else(|_| panic!("derived kind {} holds another type", T::NAME))
}
