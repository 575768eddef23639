//! The book to and from its snapshot (see [`crate::snapshot`]): a book rebuilt from a
//! stored one, what the stored one held, and writing a new one (with its term and section
//! parts) when this run learnt more.
//!
//! What it leaves out: the snapshot's format and where it lives (see [`crate::snapshot`]).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::base::GitBase;
use super::config::Config;
use super::{lock, Book, ContentDocs};
use crate::phrasing::PhrasingRules;
use crate::rules::Rules;
use crate::sources::Sources;

/// The section indexes of the snapshot's `sections` part (see [`crate::snapshot`]), each
/// encoded on its own: the part as read on first need (its bytes, and where each file's
/// index sits in them), and those this run built, to be added to it.
#[derive(Default)]
pub(super) struct StoredSections {
    read: std::sync::OnceLock<Option<SectionsRead>>,
    built: Mutex<BTreeMap<String, Vec<u8>>>,
}

/// A `sections` part as read: its bytes, and where each file's encoded index sits in them.
type SectionsRead = (Vec<u8>, HashMap<String, std::ops::Range<usize>>);

/// What a snapshot read at opening held: a later one is written only when the run added to
/// it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Held {
    outlines: usize,
    bib_validated: bool,
    heading_titles: bool,
    content_docs: bool,
    heading_index: bool,
    typst_functions: bool,
    label_sites: bool,
    imported: bool,
}

impl Book {
    /// The book a snapshot holds, with this run's configuration, rules and repository.
    // The parts of a book that do not come from the snapshot, one argument each.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn from_snapshot(
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

    /// The term table from the snapshot's term part, when it has this book's fingerprint.
    pub(super) fn read_terms_part(&self) -> Option<crate::relevance::BookTerms> {
        let (slot, _) = self.snapshot.as_ref()?;
        let part = slot.part("terms");
        let phase = crate::trace::Phase::start("read snapshot terms");
        let bytes = crate::snapshot::load(&part)?;
        let (fingerprint, parts) = crate::snapshot::decode_terms(&bytes)?;
        let terms = (fingerprint == part.fingerprint).then(|| crate::relevance::BookTerms::from_parts(parts)).flatten();
        phase.done();
        terms
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
}
