//! BM25 relevance of a query against a set of documents (sections or chapters).
//!
//! Okapi BM25 (Robertson & Zaragoza 2009, "The Probabilistic Relevance Framework"), with
//! `k1` and `b` from `rules/scoring.toml`. Documents are term lists from
//! [`crate::text::terms`]; IDF is computed over the given documents only.

use crate::text::TermCounts;
use rustc_hash::FxHashMap as HashMap;

/// A BM25 index over a fixed set of documents.
pub struct Bm25 {
    docs: Vec<HashMap<String, u32>>,
    lengths: Vec<f64>,
    df: HashMap<String, u32>,
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
        let mut df: HashMap<String, u32> = HashMap::default();
        let mut lengths = Vec::with_capacity(docs.len());
        for tf in &docs {
            for t in tf.keys() {
                match df.get_mut(t) {
                    Some(c) => *c += 1,
                    None => {
                        df.insert(t.clone(), 1);
                    }
                }
            }
            lengths.push(tf.values().sum::<u32>() as f64);
        }
        let avg_len = if docs.is_empty() { 1.0 } else { (lengths.iter().sum::<f64>() / docs.len() as f64).max(1.0) };
        Bm25 { docs, lengths, df, avg_len, k1, b }
    }

    /// BM25 score of each document for `query` (terms counted once each), in document order.
    pub fn scores(&self, query: &[String]) -> Vec<f64> {
        let n = self.docs.len() as f64;
        let mut unique: Vec<&String> = query.iter().collect();
        unique.sort();
        unique.dedup();
        let idf: Vec<(&String, f64)> = unique
            .into_iter()
            .filter_map(|t| {
                let df = *self.df.get(t)? as f64;
                Some((t, ((n - df + 0.5) / (df + 0.5) + 1.0).ln()))
            })
            .collect();
        self.docs
            .iter()
            .zip(&self.lengths)
            .map(|(tf, len)| {
                idf.iter()
                    .map(|(t, idf)| {
                        let f = *tf.get(*t).unwrap_or(&0) as f64;
                        if f == 0.0 {
                            return 0.0;
                        }
                        idf * f * (self.k1 + 1.0) / (f + self.k1 * (1.0 - self.b + self.b * len / self.avg_len))
                    })
                    .sum()
            })
            .collect()
    }

    /// The query terms that occur in document `i`, most informative (rarest) first.
    pub fn shared_terms(&self, i: usize, query: &[String], limit: usize) -> Vec<String> {
        let mut shared: Vec<&String> = query.iter().filter(|t| self.docs[i].contains_key(*t)).collect();
        shared.sort();
        shared.dedup();
        shared.sort_by_key(|t| (self.df.get(*t).copied().unwrap_or(0), (*t).clone()));
        shared.into_iter().take(limit).cloned().collect()
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
