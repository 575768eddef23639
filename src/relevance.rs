//! BM25 relevance of a query against a set of documents (sections or chapters).
//!
//! Okapi BM25 (Robertson & Zaragoza 2009, "The Probabilistic Relevance Framework"), with
//! `k1` and `b` from `rules/scoring.toml`. Documents are term lists from
//! [`crate::text::terms`], counted as ids of a [`Vocabulary`] (for a book, the one of its
//! [`BookTerms`]); IDF is computed over the given documents only.

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

/// Terms numbered once: BM25 indexes and the book's term table count ids, not strings.
#[derive(Debug, Default)]
pub struct Vocabulary {
    ids: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Vocabulary {
    /// The id of `term`, when it is known.
    pub fn id(&self, term: &str) -> Option<u32> {
        self.ids.get(term).copied()
    }

    /// The term numbered `id`. Panics for an id this vocabulary did not give.
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    /// How many terms are numbered.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no term is numbered.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The id of `term`, numbering it when new.
    fn intern(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.ids.get(term) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(term.into());
        self.ids.insert(term.into(), id);
        id
    }
}

/// The terms ([`crate::text::terms`]) of every chapter file of a book as ids, line by line:
/// tokenized once, then any line range's terms are a slice. A file of 16 MB of text is about
/// 2.5 million ids (10 MB).
#[derive(Debug, Default)]
pub struct BookTerms {
    /// The ids' terms.
    pub vocab: Arc<Vocabulary>,
    files: HashMap<String, FileTerms>,
}

#[derive(Debug, Default)]
struct FileTerms {
    ids: Vec<u32>,
    /// Index into `ids` where each line begins (1-based line `l` at `line_start[l - 1]`),
    /// plus the end.
    line_start: Vec<u32>,
}

impl BookTerms {
    /// Tokenizes `files` (path, text) on every core, each thread numbering terms in its own
    /// vocabulary, then renumbers them in one (in the threads' order: ids depend on the
    /// scheduling, the counts they give do not).
    pub fn build(files: &[(&str, &str)]) -> Self {
        // Per thread: each word seen -> its term's id (`None` for a stopword), so a word
        // costs one lookup however often it occurs.
        let init = || (Vocabulary::default(), HashMap::<Box<str>, Option<u32>>::default());
        let (local, vocabs) = crate::text::parallel_map_states(files, init, |(vocab, words), (_, text)| {
            let mut ids = Vec::new();
            let mut line_start = Vec::new();
            for line in text.split('\n') {
                line_start.push(ids.len() as u32);
                crate::text::for_each_word(line, |w| {
                    let id = match words.get(w) {
                        Some(&id) => id,
                        None => {
                            let id = crate::text::term_of_word(w).map(|t| vocab.intern(t));
                            words.insert(w.into(), id);
                            id
                        }
                    };
                    ids.extend(id);
                });
            }
            line_start.push(ids.len() as u32);
            ids.shrink_to_fit();
            (ids, line_start)
        });
        let mut vocab = Vocabulary::default();
        let remaps: Vec<Vec<u32>> =
            vocabs.iter().map(|(v, _)| v.names.iter().map(|n| vocab.intern(n)).collect()).collect();
        let mut out = HashMap::default();
        for ((path, _), (thread, (mut ids, line_start))) in files.iter().zip(local) {
            for id in &mut ids {
                *id = remaps[thread][*id as usize];
            }
            out.insert(path.to_string(), FileTerms { ids, line_start });
        }
        BookTerms { vocab: Arc::new(vocab), files: out }
    }

    /// The term ids of 1-based lines `first..=last` of `path` (clamped to the file).
    pub fn lines(&self, path: &str, first: usize, last: usize) -> &[u32] {
        let Some(f) = self.files.get(path) else { return &[] };
        let lines = f.line_start.len() - 1;
        let (a, b) = (first.clamp(1, lines + 1) - 1, last.min(lines));
        if a >= b {
            return &[];
        }
        &f.ids[f.line_start[a] as usize..f.line_start[b] as usize]
    }

    /// The term ids of the whole of `path`.
    pub fn file(&self, path: &str) -> &[u32] {
        self.files.get(path).map_or(&[], |f| &f.ids)
    }

    /// The table as plain data for a book snapshot: the vocabulary's terms in id order, and
    /// per file `(path, ids, line starts)`, the numbers as little-endian `u32` bytes.
    pub(crate) fn parts(&self) -> TermParts<'_> {
        TermParts {
            names: self.vocab.names.iter().map(|n| &**n).collect(),
            files: self
                .files
                .iter()
                .map(|(p, f)| (p.as_str(), U32Bytes::of(&f.ids), U32Bytes::of(&f.line_start)))
                .collect(),
        }
    }

    /// The table [`BookTerms::parts`] gave. `None` when an id or line start is out of range
    /// (a damaged snapshot).
    pub(crate) fn from_parts(parts: OwnedTermParts) -> Option<Self> {
        let mut vocab = Vocabulary::default();
        for n in parts.names {
            let id = vocab.names.len() as u32;
            vocab.ids.insert(n.clone(), id);
            vocab.names.push(n);
        }
        let n = vocab.names.len() as u32;
        let mut files = HashMap::default();
        for (path, ids, line_start) in parts.files {
            let (ids, line_start) = (u32s_of(ids)?, u32s_of(line_start)?);
            let sound = ids.iter().all(|&i| i < n)
                && line_start.windows(2).all(|w| w[0] <= w[1])
                && line_start.last().is_some_and(|&end| end as usize == ids.len());
            if !sound {
                return None;
            }
            files.insert(path, FileTerms { ids, line_start });
        }
        Some(BookTerms { vocab: Arc::new(vocab), files })
    }
}

/// Numbers written as one run of little-endian bytes (one length, then the bytes), not one
/// by one; the bytes are made while writing, one run at a time.
pub(crate) struct U32Bytes<'a>(std::borrow::Cow<'a, [u32]>);

impl<'a> U32Bytes<'a> {
    /// `numbers`, borrowed.
    pub(crate) fn of(numbers: &'a [u32]) -> Self {
        U32Bytes(std::borrow::Cow::Borrowed(numbers))
    }

    /// `numbers`, owned.
    pub(crate) fn owned(numbers: Vec<u32>) -> Self {
        U32Bytes(std::borrow::Cow::Owned(numbers))
    }
}

/// The numbers [`U32Bytes`] wrote; `None` when the length is not a multiple of four.
pub(crate) fn u32s_of(bytes: &[u8]) -> Option<Vec<u32>> {
    (bytes.len() % 4 == 0)
        .then(|| bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

impl serde::Serialize for U32Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = self.0.iter().flat_map(|n| n.to_le_bytes()).collect();
        s.serialize_bytes(&bytes)
    }
}

/// [`BookTerms`] as plain data (see [`BookTerms::parts`]).
#[derive(serde::Serialize)]
pub(crate) struct TermParts<'a> {
    names: Vec<&'a str>,
    files: Vec<(&'a str, U32Bytes<'a>, U32Bytes<'a>)>,
}

/// [`TermParts`] as read back, the numbers borrowed from the snapshot's bytes.
#[derive(serde::Deserialize)]
pub(crate) struct OwnedTermParts<'a> {
    names: Vec<Box<str>>,
    #[serde(borrow)]
    files: Vec<(String, &'a [u8], &'a [u8])>,
}

/// Counts term ids into a document: `(id, count)` sorted by id. One dense table of the
/// vocabulary's size, reused for every document.
pub struct Counter {
    counts: Vec<u32>,
    touched: Vec<u32>,
}

impl Counter {
    /// A counter for ids below `n`.
    pub fn new(n: usize) -> Self {
        Counter { counts: vec![0; n], touched: Vec::new() }
    }

    /// Counts each id of `ids` `times` times.
    pub fn add(&mut self, ids: &[u32], times: u32) {
        for &id in ids {
            let c = &mut self.counts[id as usize];
            if *c == 0 {
                self.touched.push(id);
            }
            *c += times;
        }
    }

    /// The document counted so far, and a fresh start.
    pub fn take(&mut self) -> Vec<(u32, u32)> {
        self.touched.sort_unstable();
        let doc = self.touched.iter().map(|&id| (id, std::mem::take(&mut self.counts[id as usize]))).collect();
        self.touched.clear();
        doc
    }
}

/// A BM25 index over a fixed set of documents of one [`Vocabulary`]'s terms. Inside, the
/// terms that occur are renumbered densely (an index over a chapter's sections holds a few
/// thousand of a book's hundred thousand terms).
pub struct Bm25 {
    /// Per document: `(local id, count)`, sorted by id.
    docs: Vec<Vec<(u32, u32)>>,
    lengths: Vec<f64>,
    /// The terms the local ids stand for.
    terms: LocalTerms,
    /// Local id -> number of documents holding the term.
    df: Vec<u32>,
    /// Local id -> `(document, count)` of each document holding the term, by document.
    postings: Vec<Vec<(u32, u32)>>,
    avg_len: f64,
    k1: f64,
    b: f64,
}

/// What a [`Bm25`] index's local ids stand for.
enum LocalTerms {
    /// Terms of a book's vocabulary: vocabulary id -> local id, and local id -> vocabulary id.
    Book { vocab: Arc<Vocabulary>, local: HashMap<u32, u32>, terms: Vec<u32> },
    /// The index's own terms, numbered as the local ids (read back from [`Bm25Parts`]).
    Own(OwnTerms),
}

/// Terms back to back in one string, found by the hash of their text: reading an index
/// back allocates no string per term.
struct OwnTerms {
    text: String,
    /// Local id -> the end of its term in `text` (its start is the previous one's end).
    ends: Vec<u32>,
    /// FxHash of a term -> its local id; terms whose hash another term has are not in it.
    by_hash: HashMap<u64, u32>,
    /// Local ids of terms sharing a hash with another (almost never any): searched one by one.
    shared_hash: Vec<u32>,
}

impl OwnTerms {
    fn hash(term: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        term.hash(&mut h);
        h.finish()
    }

    fn new(text: String, ends: Vec<u32>) -> Option<Self> {
        let sound = ends.windows(2).all(|w| w[0] <= w[1])
            && ends.last().is_none_or(|&e| e as usize == text.len())
            && ends.iter().all(|&e| text.is_char_boundary(e as usize));
        if !sound {
            return None;
        }
        let mut terms = OwnTerms { text, ends, by_hash: HashMap::default(), shared_hash: Vec::new() };
        let mut clashes: Vec<u64> = Vec::new();
        for id in 0..terms.ends.len() as u32 {
            let h = Self::hash(terms.name(id));
            if let Some(other) = terms.by_hash.insert(h, id) {
                terms.shared_hash.extend([other, id]);
                clashes.push(h);
            }
        }
        for h in clashes {
            terms.by_hash.remove(&h);
        }
        terms.shared_hash.sort_unstable();
        terms.shared_hash.dedup();
        Some(terms)
    }

    fn name(&self, id: u32) -> &str {
        let end = self.ends[id as usize] as usize;
        let start = if id == 0 { 0 } else { self.ends[id as usize - 1] as usize };
        &self.text[start..end]
    }

    fn id(&self, term: &str) -> Option<u32> {
        match self.by_hash.get(&Self::hash(term)) {
            Some(&id) if self.name(id) == term => Some(id),
            _ => self.shared_hash.iter().copied().find(|&id| self.name(id) == term),
        }
    }
}

impl LocalTerms {
    /// The term of local id `id`.
    fn name(&self, id: u32) -> &str {
        match self {
            LocalTerms::Book { vocab, terms, .. } => vocab.name(terms[id as usize]),
            LocalTerms::Own(own) => own.name(id),
        }
    }
}

/// A [`Bm25`] index without a vocabulary: the terms back to back in `names`, local id `id`
/// ending at `ends[id]`; each document is `(local id, count)` sorted by id.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Bm25Parts {
    names: String,
    ends: Vec<u32>,
    docs: Vec<Vec<(u32, u32)>>,
}

impl Bm25 {
    /// Indexes `docs` (each a list of terms).
    pub fn new(docs: &[Vec<String>], k1: f64, b: f64) -> Self {
        let mut vocab = Vocabulary::default();
        let ids: Vec<Vec<u32>> = docs.iter().map(|d| d.iter().map(|t| vocab.intern(t)).collect()).collect();
        let mut counter = Counter::new(vocab.len());
        let docs = ids
            .iter()
            .map(|d| {
                counter.add(d, 1);
                counter.take()
            })
            .collect();
        Self::from_ids(docs, Arc::new(vocab), k1, b)
    }

    /// Indexes documents given as `(vocabulary id, count)` lists (see [`Counter`]).
    pub fn from_ids(docs: Vec<Vec<(u32, u32)>>, vocab: Arc<Vocabulary>, k1: f64, b: f64) -> Self {
        let mut local: HashMap<u32, u32> = HashMap::default();
        let mut terms: Vec<u32> = Vec::new();
        let mut df: Vec<u32> = Vec::new();
        let mut lengths = Vec::with_capacity(docs.len());
        let mut out = Vec::with_capacity(docs.len());
        for doc in docs {
            let mut len = 0u32;
            let mut mine: Vec<(u32, u32)> = doc
                .into_iter()
                .map(|(t, c)| {
                    let id = *local.entry(t).or_insert_with(|| {
                        terms.push(t);
                        df.push(0);
                        terms.len() as u32 - 1
                    });
                    df[id as usize] += 1;
                    len += c;
                    (id, c)
                })
                .collect();
            mine.sort_unstable();
            lengths.push(len as f64);
            out.push(mine);
        }
        Self::indexed(out, lengths, LocalTerms::Book { vocab, local, terms }, df, k1, b)
    }

    /// [`Bm25`] of documents in local ids (each sorted by id) whose document frequencies
    /// are counted: the postings built.
    fn indexed(
        docs: Vec<Vec<(u32, u32)>>,
        lengths: Vec<f64>,
        terms: LocalTerms,
        df: Vec<u32>,
        k1: f64,
        b: f64,
    ) -> Self {
        let avg_len = if docs.is_empty() { 1.0 } else { (lengths.iter().sum::<f64>() / docs.len() as f64).max(1.0) };
        let mut postings: Vec<Vec<(u32, u32)>> = df.iter().map(|&n| Vec::with_capacity(n as usize)).collect();
        for (d, doc) in docs.iter().enumerate() {
            for &(id, c) in doc {
                postings[id as usize].push((d as u32, c));
            }
        }
        Bm25 { docs, lengths, terms, df, postings, avg_len, k1, b }
    }

    /// How many documents the index holds.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether the index holds no document.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The index as a snapshot keeps it: its own terms and documents, no vocabulary.
    pub fn parts(&self) -> Bm25Parts {
        let mut names = String::new();
        let ends = (0..self.df.len() as u32)
            .map(|id| {
                names.push_str(self.terms.name(id));
                names.len() as u32
            })
            .collect();
        Bm25Parts { names, ends, docs: self.docs.clone() }
    }

    /// The index [`Bm25::parts`] gave, with weights `k1` and `b`; `None` when the parts do
    /// not fit together (an id outside the names, a document not sorted by id).
    pub fn from_parts(parts: Bm25Parts, k1: f64, b: f64) -> Option<Self> {
        let n = parts.ends.len();
        let mut df = vec![0u32; n];
        let mut lengths = Vec::with_capacity(parts.docs.len());
        for doc in &parts.docs {
            if doc.iter().any(|&(id, _)| id as usize >= n) || doc.windows(2).any(|w| w[0].0 >= w[1].0) {
                return None;
            }
            doc.iter().for_each(|&(id, _)| df[id as usize] += 1);
            lengths.push(doc.iter().map(|&(_, c)| c).sum::<u32>() as f64);
        }
        let own = OwnTerms::new(parts.names, parts.ends)?;
        Some(Self::indexed(parts.docs, lengths, LocalTerms::Own(own), df, k1, b))
    }

    /// The local id of a query term.
    fn local_id(&self, term: &str) -> Option<u32> {
        match &self.terms {
            LocalTerms::Book { vocab, local, .. } => vocab.id(term).and_then(|t| local.get(&t).copied()),
            LocalTerms::Own(own) => own.id(term),
        }
    }

    /// The count of term `id` in document `doc`.
    fn count(&self, doc: usize, id: u32) -> u32 {
        let d = &self.docs[doc];
        d.binary_search_by_key(&id, |&(t, _)| t).map_or(0, |i| d[i].1)
    }

    /// BM25 score of each document for `query` (terms counted once each), in document order.
    pub fn scores(&self, query: &[String]) -> Vec<f64> {
        let n = self.docs.len() as f64;
        let mut unique: Vec<u32> = query.iter().filter_map(|t| self.local_id(t)).collect();
        unique.sort_unstable();
        unique.dedup();
        let idf: Vec<(u32, f64)> = unique
            .into_iter()
            .map(|id| {
                let df = self.df[id as usize] as f64;
                (id, ((n - df + 0.5) / (df + 0.5) + 1.0).ln())
            })
            .collect();
        // Each query term adds to the documents on its postings list only.
        let mut scores = vec![0.0; self.docs.len()];
        for (id, idf) in idf {
            for &(d, f) in &self.postings[id as usize] {
                let (d, f) = (d as usize, f as f64);
                let norm = self.k1 * (1.0 - self.b + self.b * self.lengths[d] / self.avg_len);
                scores[d] += idf * f * (self.k1 + 1.0) / (f + norm);
            }
        }
        scores
    }

    /// The query terms that occur in document `i`, most informative (rarest) first.
    pub fn shared_terms(&self, i: usize, query: &[String], limit: usize) -> Vec<String> {
        let mut shared: Vec<u32> =
            query.iter().filter_map(|t| self.local_id(t)).filter(|&id| self.count(i, id) > 0).collect();
        shared.sort_unstable();
        shared.dedup();
        let name = |id: u32| self.terms.name(id);
        shared.sort_by_key(|&id| (self.df[id as usize], name(id)));
        shared.into_iter().take(limit).map(|id| name(id).to_string()).collect()
    }
}

/// Resolution's content documents: per chapter (its include closure), `(term id, count)`
/// sorted by id, with the terms the ids stand for. Scored with BM25 ([`ContentDocs::scores`])
/// through postings built from the documents on first use: the ids are dense already, and a
/// query term is found by binary search in `by_name`, so no vocabulary is built.
#[derive(Debug, Clone)]
pub struct ContentDocs {
    /// The chapters, in the order of `docs`.
    pub chapters: Vec<String>,
    /// Term id -> term.
    pub names: Vec<String>,
    /// Per chapter: `(term id, count)`, sorted by id.
    pub docs: Vec<Vec<(u32, u32)>>,
    /// The term ids sorted by their terms (a query term is found by binary search).
    pub by_name: Vec<u32>,
    /// Per chapter: the sum of its counts (the document length of BM25).
    lengths: Vec<f64>,
    /// Term id -> `(chapter, count)` of each chapter holding it, by chapter: the entries of
    /// id `t` are `entries[starts[t]..starts[t + 1]]`.
    postings: std::sync::OnceLock<Postings>,
}

/// Postings laid out by term id: `(starts, entries)`, the entries of id `t` being
/// `entries[starts[t]..starts[t + 1]]`, each `(document, count)`.
type Postings = (Vec<u32>, Vec<(u32, u32)>);

impl PartialEq for ContentDocs {
    fn eq(&self, other: &Self) -> bool {
        (&self.chapters, &self.names, &self.docs, &self.by_name)
            == (&other.chapters, &other.names, &other.docs, &other.by_name)
    }
}

impl ContentDocs {
    /// The documents `docs` over the terms `names` (ids index `names`), one per chapter.
    ///
    /// # Panics
    /// When a document holds an id outside `names`.
    pub fn new(chapters: Vec<String>, names: Vec<String>, docs: Vec<Vec<(u32, u32)>>) -> ContentDocs {
        let mut by_name: Vec<u32> = (0..names.len() as u32).collect();
        by_name.sort_unstable_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
        Self::read_back(chapters, names, docs, by_name).expect("content document ids index their names")
    }

    /// [`ContentDocs::new`] from parts kept in a snapshot (`by_name` as written); `None` when
    /// they do not fit together (a document or `by_name` naming an id outside `names`, or
    /// the counts of documents and chapters differ).
    pub fn read_back(
        chapters: Vec<String>,
        names: Vec<String>,
        docs: Vec<Vec<(u32, u32)>>,
        by_name: Vec<u32>,
    ) -> Option<ContentDocs> {
        let n = names.len();
        let fits = docs.len() == chapters.len()
            && by_name.len() == n
            && by_name.iter().all(|&t| (t as usize) < n)
            && docs.iter().flatten().all(|&(t, _)| (t as usize) < n);
        let lengths = docs.iter().map(|d| d.iter().map(|&(_, c)| c as f64).sum()).collect();
        fits.then_some(ContentDocs { chapters, names, docs, by_name, lengths, postings: Default::default() })
    }

    /// The id of `term`, when some chapter holds it.
    fn id(&self, term: &str) -> Option<u32> {
        let at = self.by_name.binary_search_by(|&t| self.names[t as usize].as_str().cmp(term)).ok()?;
        Some(self.by_name[at])
    }

    /// BM25 score of each chapter for `query` (terms, repeats counted once), in the order of
    /// `chapters`; the same numbers as [`Bm25::scores`] over these documents (the same sums,
    /// added in the same order: by term id, then by chapter).
    pub fn scores(&self, query: &[String], k1: f64, b: f64) -> Vec<f64> {
        let mut ids: Vec<u32> = query.iter().filter_map(|t| self.id(t)).collect();
        ids.sort_unstable();
        ids.dedup();
        let (starts, entries) = self.postings.get_or_init(|| self.build_postings());
        let n = self.docs.len() as f64;
        let avg_len = if self.docs.is_empty() { 1.0 } else { (self.lengths.iter().sum::<f64>() / n).max(1.0) };
        let mut scores = vec![0.0; self.docs.len()];
        for id in ids {
            let list = &entries[starts[id as usize] as usize..starts[id as usize + 1] as usize];
            let df = list.len() as f64;
            let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
            for &(d, c) in list {
                let (d, f) = (d as usize, c as f64);
                let norm = k1 * (1.0 - b + b * self.lengths[d] / avg_len);
                scores[d] += idf * f * (k1 + 1.0) / (f + norm);
            }
        }
        scores
    }

    /// The postings of every term id, laid out by id (counted first, then filled).
    fn build_postings(&self) -> Postings {
        let mut starts = vec![0u32; self.names.len() + 1];
        for &(t, _) in self.docs.iter().flatten() {
            starts[t as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut entries = vec![(0, 0); starts[self.names.len()] as usize];
        for (d, doc) in self.docs.iter().enumerate() {
            for &(t, c) in doc {
                entries[next[t as usize] as usize] = (d as u32, c);
                next[t as usize] += 1;
            }
        }
        (starts, entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::terms;

    #[test]
    fn the_document_sharing_rare_terms_ranks_first() {
        let docs = vec![
            terms("pacing energy envelope heart rate"),
            terms("microglia cytokine inflammation brain"),
            terms("energy brain"),
        ];
        let idx = Bm25::new(&docs, 1.2, 0.75);
        let s = idx.scores(&terms("ketamine reduces microglia cytokine release"));
        assert!(s[1] > s[0] && s[1] > s[2], "{s:?}");
        assert_eq!(s[0], 0.0);
        assert_eq!(idx.shared_terms(1, &terms("microglia cytokine"), 5), vec!["cytokine", "microglia"]);
    }

    #[test]
    fn an_index_read_back_from_its_parts_scores_as_the_built_one() {
        let docs = vec![terms("pacing energy envelope pacing"), terms("microglia cytokine brain energy"), Vec::new()];
        let built = Bm25::new(&docs, 1.2, 0.75);
        let encoded = postcard::to_allocvec(&built.parts()).unwrap();
        let read = Bm25::from_parts(postcard::from_bytes(&encoded).unwrap(), 1.2, 0.75).unwrap();
        assert_eq!(read.len(), 3);
        for query in ["brain energy pacing", "microglia microglia", "nothing here"] {
            let q = terms(query);
            assert_eq!(read.scores(&q), built.scores(&q), "{query}");
            assert_eq!(read.shared_terms(1, &q, 5), built.shared_terms(1, &q, 5), "{query}");
        }
        assert!(read.scores(&terms("pacing"))[0] > 0.0);
        // Parts that do not fit together are refused: an id outside the names, an unsorted
        // document.
        let parts = |docs: Vec<Vec<(u32, u32)>>| Bm25Parts { names: "pacingenergy".into(), ends: vec![6, 12], docs };
        assert!(Bm25::from_parts(parts(vec![vec![(0, 1), (2, 1)]]), 1.2, 0.75).is_none());
        assert!(Bm25::from_parts(parts(vec![vec![(1, 1), (0, 1)]]), 1.2, 0.75).is_none());
        assert!(Bm25::from_parts(parts(vec![vec![(0, 2), (1, 1)]]), 1.2, 0.75).is_some());
        // Term ends past the text or out of order.
        let bad = Bm25Parts { names: "pacing".into(), ends: vec![6, 12], docs: Vec::new() };
        assert!(Bm25::from_parts(bad, 1.2, 0.75).is_none());
        let bad = Bm25Parts { names: "pacingenergy".into(), ends: vec![12, 6], docs: Vec::new() };
        assert!(Bm25::from_parts(bad, 1.2, 0.75).is_none());
        // Terms with one hash (here: the same term twice) are still found, the first first.
        let own = OwnTerms::new("abab".into(), vec![2, 4]).unwrap();
        assert_eq!((own.id("ab"), own.id("ba"), own.name(1)), (Some(0), None, "ab"));
    }

    #[test]
    fn content_docs_score_as_the_inverted_index_does() {
        let texts = [
            "pacing energy envelope heart rate pacing",
            "microglia cytokine inflammation brain energy",
            "energy brain brain",
            "",
        ];
        let docs: Vec<Vec<String>> = texts.iter().map(|t| terms(t)).collect();
        // Ids in first-seen order, each document's (id, count) sorted by id.
        let mut names: Vec<String> = Vec::new();
        let ids: Vec<Vec<(u32, u32)>> = docs
            .iter()
            .map(|d| {
                let mut counts: std::collections::BTreeMap<u32, u32> = Default::default();
                for t in d {
                    let id = names.iter().position(|n| n == t).unwrap_or_else(|| {
                        names.push(t.clone());
                        names.len() - 1
                    });
                    *counts.entry(id as u32).or_default() += 1;
                }
                counts.into_iter().collect()
            })
            .collect();
        let chapters: Vec<String> = (0..texts.len()).map(|i| format!("ch{i}.typ")).collect();
        let content = ContentDocs::new(chapters, names, ids);
        let index = Bm25::new(&docs, 1.2, 0.75);
        for query in ["brain energy pacing", "microglia microglia heart", "nothing here", ""] {
            let q = terms(query);
            assert_eq!(content.scores(&q, 1.2, 0.75), index.scores(&q), "{query}");
        }
        assert!(content.scores(&terms("brain"), 1.2, 0.75)[2] > 0.0);
    }

    #[test]
    fn book_terms_slice_lines_and_count_like_the_text() {
        let a = "Pacing keeps \\emph{energy} use low.\n\nEnergy envelopes: pacing.\n";
        let b = "Microglia and energy";
        let t = BookTerms::build(&[("a.tex", a), ("b.typ", b)]);
        let names = |ids: &[u32]| ids.iter().map(|&i| t.vocab.name(i).to_string()).collect::<Vec<_>>();
        assert_eq!(names(t.lines("a.tex", 1, 1)), terms("Pacing keeps \\emph{energy} use low."));
        assert_eq!(names(t.lines("a.tex", 2, 3)), vec!["energy", "envelope", "pacing"]);
        assert_eq!(names(t.lines("a.tex", 3, 99)), vec!["energy", "envelope", "pacing"]);
        assert!(t.lines("a.tex", 5, 9).is_empty() && t.lines("missing.tex", 1, 2).is_empty());
        assert_eq!(names(t.file("b.typ")), vec!["microglia", "energy"]);
        let mut c = Counter::new(t.vocab.len());
        c.add(t.file("a.tex"), 1);
        c.add(t.file("b.typ"), 2);
        let doc = c.take();
        let energy = t.vocab.id("energy").unwrap();
        assert_eq!(doc.iter().find(|(id, _)| *id == energy), Some(&(energy, 4)));
        assert!(doc.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(c.take().is_empty());
    }
}
