//! BM25 relevance of a query against a set of documents (sections or chapters).
//!
//! Okapi BM25 (Robertson & Zaragoza 2009, "The Probabilistic Relevance Framework"), with
//! `k1` and `b` from `rules/scoring.toml`. Documents are term lists from
//! [`crate::text::terms`]; IDF is computed over the given documents only.

use crate::text::TermCounts;
use rustc_hash::FxHashMap as HashMap;

/// A BM25 index over a fixed set of documents. Terms are numbered once per index, so each
/// document is a sorted list of `(term id, count)`: an index over a whole book's sections
/// holds each term's text once.
pub struct Bm25 {
    /// Per document: `(term id, count)`, sorted by id.
    docs: Vec<Vec<(u32, u32)>>,
    lengths: Vec<f64>,
    /// Term -> id.
    ids: HashMap<String, u32>,
    /// Id -> term.
    names: Vec<String>,
    /// Id -> number of documents holding the term.
    df: Vec<u32>,
    /// Id -> `(document, count)` of each document holding the term, by document.
    postings: Vec<Vec<(u32, u32)>>,
    avg_len: f64,
    k1: f64,
    b: f64,
}

impl Bm25 {
    /// Indexes `docs` (each a list of terms).
    pub fn new(docs: &[Vec<String>], k1: f64, b: f64) -> Self {
        let counts = docs
            .iter()
            .map(|d| {
                let mut tf = TermCounts::default();
                for t in d {
                    *tf.entry(t.clone()).or_default() += 1;
                }
                tf
            })
            .collect();
        Self::from_counts(counts, k1, b)
    }

    /// Indexes documents given as term counts (see [`crate::text::count_terms`]).
    pub fn from_counts(docs: Vec<TermCounts>, k1: f64, b: f64) -> Self {
        let mut ids: HashMap<String, u32> = HashMap::default();
        let mut names: Vec<String> = Vec::new();
        let mut df: Vec<u32> = Vec::new();
        let mut lengths = Vec::with_capacity(docs.len());
        let mut out = Vec::with_capacity(docs.len());
        for tf in docs {
            let mut doc: Vec<(u32, u32)> = Vec::with_capacity(tf.len());
            let mut len = 0u32;
            for (t, c) in tf {
                let id = match ids.get(&t) {
                    Some(&id) => id,
                    None => {
                        let id = names.len() as u32;
                        names.push(t.clone());
                        ids.insert(t, id);
                        df.push(0);
                        id
                    }
                };
                df[id as usize] += 1;
                len += c;
                doc.push((id, c));
            }
            doc.sort_unstable();
            lengths.push(len as f64);
            out.push(doc);
        }
        let avg_len = if out.is_empty() { 1.0 } else { (lengths.iter().sum::<f64>() / out.len() as f64).max(1.0) };
        let mut postings: Vec<Vec<(u32, u32)>> = df.iter().map(|&n| Vec::with_capacity(n as usize)).collect();
        for (d, doc) in out.iter().enumerate() {
            for &(id, c) in doc {
                postings[id as usize].push((d as u32, c));
            }
        }
        Bm25 { docs: out, lengths, ids, names, df, postings, avg_len, k1, b }
    }

    /// The count of term `id` in document `doc`.
    fn count(&self, doc: usize, id: u32) -> u32 {
        let d = &self.docs[doc];
        d.binary_search_by_key(&id, |&(t, _)| t).map_or(0, |i| d[i].1)
    }

    /// BM25 score of each document for `query` (terms counted once each), in document order.
    pub fn scores(&self, query: &[String]) -> Vec<f64> {
        let n = self.docs.len() as f64;
        let mut unique: Vec<u32> = query.iter().filter_map(|t| self.ids.get(t).copied()).collect();
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
            query.iter().filter_map(|t| self.ids.get(t).copied()).filter(|&id| self.count(i, id) > 0).collect();
        shared.sort_unstable();
        shared.dedup();
        shared.sort_by_key(|&id| (self.df[id as usize], self.names[id as usize].clone()));
        shared.into_iter().take(limit).map(|id| self.names[id as usize].clone()).collect()
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
}
