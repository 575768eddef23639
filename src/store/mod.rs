//! The book with what is derived from it: [`Store`] opens a [`Book`] (from its snapshot when
//! one is kept for its commit and configuration, else from its files) and keeps every kind of
//! derived data (outlines, term tables, heading and label indexes, section indexes) once
//! built, through the one mechanism in [`cache`], and writes the snapshot back when a run
//! built something it lacked.
//!
//! The parts:
//! - `cache`: the [`Derived`] kinds and their entries by key;
//! - `snapshot`: the snapshot's file format and where it lives;
//! - `derived`: the kinds the book model gives (outlines, terms, headings, labels, imports).
//!
//! What it leaves out: the book as plain data (see [`crate::book`]); kinds of derived data
//! that belong to a later stage (section indexes in `place`, the heading index in `resolve`)
//! are declared beside their types there.

mod cache;
mod derived;
pub mod snapshot;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

pub use cache::{Derived, Place};
pub use derived::{loose_label, CitationIndex, HeadingTitles, LabelForms, LabelIndex, LabelSites};

use crate::book::Book;
use crate::error::Result;
use cache::Cache;

/// The book, and what is derived from it, each kind built once and shared (see
/// [`Derived`]). Dereferences to the [`Book`].
pub struct Store {
    book: Book,
    cache: Cache,
    /// Where this book's snapshot goes, and whether the one read at opening had its
    /// bibliography validated (`None`: no snapshot was read); `None` when the book is not
    /// read from a git commit or snapshots are off.
    snapshot: Option<(snapshot::Slot, Option<bool>)>,
}

impl std::ops::Deref for Store {
    type Target = Book;

    fn deref(&self) -> &Book {
        &self.book
    }
}

impl Store {
    /// Opens the book at `root` as of `base_rev` (when in git).
    ///
    /// # Errors
    /// As [`Store::open_with`].
    pub fn open(root: &Path, base_rev: &str) -> Result<Store> {
        Self::open_with(root, base_rev, true)
    }

    /// [`Store::open`], validating .bib entries with the BibTeX parser only when
    /// `validate_bibliography` (the keys are read either way; validation only adds findings).
    /// The steps: the configuration and rules, the git base, the book from its snapshot when
    /// one is stored for this commit and configuration, else from the base tree (or disk),
    /// with its include graph and bibliography.
    ///
    /// # Errors
    /// [`crate::error::Error::Config`] for a malformed `chapter-integrator.toml` or rules
    /// file; [`crate::error::Error::Git`] when the repository holding the book cannot be
    /// opened (a malformed `.git/config`, "dubious ownership") or `base_rev` does not resolve
    /// in one that has commits; [`crate::error::Error::Io`] when the root cannot be listed.
    pub fn open_with(root: &Path, base_rev: &str, validate_bibliography: bool) -> Result<Store> {
        let opening = Book::opening(root, base_rev)?;
        let slot = opening.git.as_ref().and_then(|g| snapshot::slot(g, g.base?, &opening.config_bytes));
        let phase = crate::trace::Phase::start("read snapshot");
        let bytes = slot.as_ref().and_then(snapshot::load);
        phase.done();
        let read_part = |slot: &snapshot::Slot| -> cache::PartReader {
            let slot = slot.clone();
            Box::new(move |name, place| {
                let phase = crate::trace::Phase::start(format!("read snapshot {name}"));
                let part = match place {
                    Place::AcrossCommits => snapshot::load_part(&slot.across(name)),
                    _ => snapshot::load_part(&slot.part(name)),
                };
                phase.done();
                part
            })
        };
        let opening = match snapshot::book_from(bytes.as_deref(), slot.as_ref(), opening) {
            Ok((mut book, stored)) => {
                let phase = crate::trace::Phase::start("book from snapshot");
                let validated = book.bib_validated;
                if validate_bibliography && !book.bib_validated {
                    book.read_bibliography(true);
                }
                phase.done();
                let cache = Cache::new(stored, slot.as_ref().map(read_part));
                return Ok(Store { book, cache, snapshot: slot.map(|s| (s, Some(validated))) });
            }
            Err(opening) => opening,
        };
        let book = Book::read(*opening, validate_bibliography)?;
        let cache = Cache::new(Default::default(), slot.as_ref().map(read_part));
        Ok(Store { book, cache, snapshot: slot.map(|s| (s, None)) })
    }

    /// The rules in force, to change before the run asks for derived data (a kind that
    /// depends on the rules, like section indexes, reads them when it is built or read back).
    pub fn rules_mut(&mut self) -> &mut crate::rules::Rules {
        &mut self.book.rules
    }

    /// The entry of kind `T` for `key` (a book path, or `""` for a whole-book value): kept
    /// already, read back from the snapshot, or `build()` now (once: other threads asking
    /// for it meanwhile wait for it).
    pub fn derived<T: Derived>(&self, key: &str, build: impl FnOnce() -> T) -> std::sync::Arc<T> {
        self.cache.get(&self.book, key, build)
    }

    /// [`Store::derived`] when the entry kept `fits`; else `build()` for this use alone (the
    /// first entry built or read is the one kept: a book has one chapter list, say).
    pub fn derived_if<T: Derived>(
        &self,
        key: &str,
        fits: impl Fn(&T) -> bool,
        build: impl FnOnce() -> T,
    ) -> std::sync::Arc<T> {
        let mut build = Some(build);
        let kept = self.derived(key, || build.take().expect("built once")());
        match build {
            Some(build) if !fits(&kept) => std::sync::Arc::new(build()),
            _ => kept,
        }
    }

    /// The entry of kind `T` for `key` when it is in memory already (built or read back).
    pub fn derived_if_built<T: Derived>(&self, key: &str) -> Option<std::sync::Arc<T>> {
        self.cache.peek::<T>(key)
    }

    /// True when the entry of kind `T` for `key` is kept (in memory or in the snapshot).
    pub fn has_derived<T: Derived>(&self, key: &str) -> bool {
        self.cache.has::<T>(&self.book, key)
    }

    /// Keeps `value`, built elsewhere (on every core, say), as the entry of kind `T` for
    /// `key`; an entry kept already stays.
    pub fn insert_derived<T: Derived>(&self, key: &str, value: T) {
        self.cache.insert(key, value)
    }

    /// True when the snapshot holds entries of kind `T` in its own part (see [`Place`]).
    pub fn has_stored<T: Derived>(&self) -> bool {
        self.cache.has_stored_part::<T>()
    }

    /// Writes this book's snapshot (see [`snapshot`]) when it is read from a git commit and
    /// this run learnt something the stored one lacks: a first snapshot, an entry of a kind
    /// of derived data, a validated bibliography. A kind kept in a part of its own has the
    /// part written when this run built entries of it; a commit's first snapshot takes an
    /// older commit's parts away.
    pub fn save_snapshot(&self) {
        let Some((slot, held)) = &self.snapshot else { return };
        for (kind, n) in self.cache.built_counts() {
            crate::trace::note(|| format!("built {kind} {n}"));
        }
        if held.is_none() {
            snapshot::remove_other_parts(slot, &[]);
        }
        for place in [Place::OwnPart, Place::AcrossCommits] {
            for (kind, entries) in self.cache.parts_to_write(&self.book, place) {
                let phase = crate::trace::Phase::start(format!("write snapshot {kind}"));
                let part = if place == Place::OwnPart { slot.part(kind) } else { slot.across(kind) };
                snapshot::store_part(&part, &entries);
                phase.done();
            }
        }
        let news = match held {
            None => true,
            Some(validated) => {
                self.cache.built_any(Place::Snapshot)
                    || (self.book.bib_validated && !validated)
                    || self.book.sources.damaged()
            }
        };
        if news {
            snapshot::save_book(slot, &self.book, &self.cache.snapshot_entries());
        }
    }
}

/// Locks one of the store's tables. A table poisoned by a panicking thread is still
/// consistent (entries are inserted whole), so the poison is ignored.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
