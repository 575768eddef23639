//! Target file hints -> [`ResolvedTarget`]: which book file a guide's target means.
//!
//! In order: the exact path; the same file name elsewhere in the book ("moved"); the same
//! chapter slug (the part after `chNN-`, any extension, "slug"); else a fuzzy score mixing
//! name similarity (file stem and chapter title against the hint and the target heading)
//! with content relevance (the snippet and rationale against each chapter's text). Files no
//! root reaches (a legacy edition) are demoted. Below the threshold in `rules/scoring.toml`
//! a target is unresolved and the closest files are reported. Placement inside the file is
//! the next stage.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::guide::{Markup, Target};
use crate::store::Store;
use crate::text::{normalize_rel, terms};

/// Where a target's file hint points in today's book.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ResolvedTarget {
    /// Path relative to the book root.
    pub path: String,
    /// How it was found: `exact`, `moved`, `slug`, `fuzzy`.
    pub method: &'static str,
    /// Confidence in `[0, 1]`.
    pub confidence: f64,
}

/// The outcome of resolving one target: the file, or the closest files with scores.
#[derive(Debug, Clone)]
pub enum Resolution {
    /// A file was found.
    Resolved(ResolvedTarget),
    /// Nothing scored above the threshold; the best few, best first.
    Unresolved(Vec<(String, f64)>),
    /// The hint points outside the book root; nothing there is read.
    Outside(String),
    /// The hint names a file of the book that is not a chapter file (.tex, .typ).
    NotChapter(String),
    /// The hint names a chapter file that is not UTF-8 text.
    NotText(String),
    /// The hint names a path inside a git submodule: `(hint, submodule)`, both relative to
    /// the book root. The submodule's files are another repository's; no other file stands in.
    InSubmodule(String, String),
}

/// The headings of the book's files as term sets, for matching section hints against
/// chapters (see [`Resolver::heading_similarity`]); kept with the book (and so in its
/// snapshot).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct HeadingIndex {
    /// The chapters, in the order of `closures`.
    pub chapters: Vec<String>,
    /// Per chapter: the files of its include closure, as indexes into `sizes`.
    closures: Vec<Vec<u32>>,
    /// Per file: the number of distinct terms of each of its headings.
    sizes: Vec<Vec<u32>>,
    /// Heading term -> `(file, heading)` of every heading holding it.
    postings: HashMap<String, Vec<(u32, u32)>>,
}

impl HeadingIndex {
    /// True when every index points inside the index (a snapshot's copy is checked so).
    pub fn is_sound(&self) -> bool {
        let files = self.sizes.len();
        self.closures.len() == self.chapters.len()
            && self.closures.iter().flatten().all(|&f| (f as usize) < files)
            && self
                .postings
                .values()
                .flatten()
                .all(|&(f, k)| self.sizes.get(f as usize).is_some_and(|s| (k as usize) < s.len()))
    }
}

impl crate::store::Derived for HeadingIndex {
    const NAME: &'static str = "heading-index";
    fn encode(&self) -> Option<Vec<u8>> {
        postcard::to_allocvec(self).ok()
    }
    fn decode(bytes: &[u8], _: &crate::book::Book) -> Option<Self> {
        postcard::from_bytes::<HeadingIndex>(bytes).ok().filter(HeadingIndex::is_sound)
    }
}

/// Chapter-level files: included directly by a root, or named like `chNN-...`.
#[derive(Clone)]
pub struct Resolver<'b> {
    book: &'b Store,
    chapters: Vec<String>,
    chapter_terms: std::sync::Arc<Vec<NameTerms>>,
    title_terms: std::sync::Arc<Vec<NameTerms>>,
    /// The headings of each chapter's include closure; built on first need.
    headings: Option<std::sync::Arc<HeadingIndex>>,
    /// Inverse document frequency of each name term over the chapters' names and titles.
    idf: HashMap<String, f64>,
    /// The largest IDF: the weight of terms in no chapter name.
    idf_max: f64,
    /// Terms of each chapter's part folders (`part2-pathophysiology/` -> pathophysiology).
    part_terms: std::sync::Arc<Vec<NameTerms>>,
    content: Option<std::sync::Arc<crate::relevance::ContentDocs>>,
    /// Files the current guide's more confident targets resolved to, with their file hints
    /// as normalised for resolution (see [`Resolver::resolve_guide`]).
    claimed: Vec<(String, String)>,
    /// The last file hint resolved, as normalised (`./`, the book root, another machine's
    /// folders removed): what `claimed` compares.
    last_hint: String,
    /// The content scores of the current guide's contexts (see [`Resolver::content_scores`]):
    /// a guide naming several files resolves each target twice.
    content_memo: Vec<(String, Option<Vec<f64>>)>,
    /// File stem (name without extension) -> the chapter files of the book with it, sorted.
    by_stem: std::sync::Arc<HashMap<String, Vec<String>>>,
    /// The book's top folders that hold files (`contents`, `src`).
    top_folders: std::sync::Arc<BTreeSet<String>>,
}

/// The chapter slug of a file name: the stem without a `chNN-`/`chNNa-` prefix.
pub fn chapter_slug(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let lower = stem.to_lowercase();
    if let Some(rest) = lower.strip_prefix("ch") {
        // `chXX-name` is a guide's placeholder for an unknown number.
        if let Some(name) = rest.strip_prefix("xx-").or_else(|| rest.strip_prefix("nn-")) {
            return name.to_string();
        }
        let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        if digits.len() < rest.len() {
            let rest = digits.trim_start_matches(|c: char| c.is_ascii_lowercase() && digits.find('-') == Some(1));
            return rest.trim_start_matches(['-', '_']).to_string();
        }
    }
    lower
}

fn is_chapter_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_lowercase();
    name.strip_prefix("ch").is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
}

impl<'b> Resolver<'b> {
    /// Prepares name and title indexes over the book's chapter-level files.
    pub fn new(book: &'b Store) -> Self {
        let mut chapters: Vec<String> = book
            .chapter_files()
            .filter(|p| {
                is_chapter_name(p)
                    || book
                        .includes
                        .roots
                        .iter()
                        .any(|r| book.includes.children.get(r).is_some_and(|c| c.iter().any(|(c, _)| c == *p)))
            })
            .cloned()
            .collect();
        chapters.sort();
        chapters.dedup();
        // The annotated bibliography matches every guide by content; it is never a target.
        chapters.retain(|c| book.config.book.annotated_bibliography.as_deref() != Some(c.as_str()));
        let chapter_terms: Vec<Vec<String>> = chapters.iter().map(|p| name_terms(&chapter_slug(p))).collect();
        // Chapter titles by a line scan: parsing every chapter fully is not needed to match names.
        let titles = book.heading_titles();
        let title_terms: Vec<Vec<String>> = chapters
            .iter()
            .map(|p| {
                let heads = titles.get(p).map_or(&[][..], |h| &h[..]);
                name_terms(heads.iter().find(|(l, _)| *l <= 0).map_or("", |(_, t)| t.as_str()))
            })
            .collect();
        let mut df: HashMap<String, f64> = HashMap::new();
        for (a, b) in chapter_terms.iter().zip(&title_terms) {
            let set: BTreeSet<&String> = a.iter().chain(b.iter()).collect();
            for t in set {
                *df.entry(t.clone()).or_default() += 1.0;
            }
        }
        let n = chapters.len().max(1) as f64;
        let idf: HashMap<String, f64> = df.into_iter().map(|(t, d)| (t, (1.0 + n / d).ln())).collect();
        let idf_max = idf.values().cloned().fold(1.0, f64::max);
        // Term lists as sets (sorted, no repeats): similarity walks them in order.
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v.dedup();
            v
        };
        let weigh = |v: Vec<String>| NameTerms::new(sorted(v), &idf, idf_max);
        let chapter_terms = std::sync::Arc::new(chapter_terms.into_iter().map(weigh).collect());
        let title_terms = std::sync::Arc::new(title_terms.into_iter().map(weigh).collect());
        let part_terms = std::sync::Arc::new(
            chapters
                .iter()
                .map(|p| weigh(p.split('/').filter(|d| d.starts_with("part")).flat_map(name_terms).collect()))
                .collect(),
        );
        let mut by_stem: HashMap<String, Vec<String>> = HashMap::new();
        for p in book.chapter_files() {
            let file = p.rsplit('/').next().unwrap_or(p);
            let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
            by_stem.entry(stem.to_string()).or_default().push(p.clone());
        }
        let top_folders =
            book.sources.keys().filter_map(|p| p.split_once('/').map(|(top, _)| top.to_string())).collect();
        Resolver {
            book,
            chapters,
            by_stem: std::sync::Arc::new(by_stem),
            top_folders: std::sync::Arc::new(top_folders),
            chapter_terms,
            title_terms,
            headings: None,
            idf,
            idf_max,
            part_terms,
            content: None,
            claimed: Vec::new(),
            last_hint: String::new(),
            content_memo: Vec::new(),
        }
    }

    /// Resolves one target on its own. `context` is the snippet, rationale and key findings
    /// text used when the name alone does not decide.
    pub fn resolve(&mut self, target: &Target, context: &str) -> Resolution {
        self.claimed.clear();
        self.resolve_unclaimed(target, context)
    }

    /// Resolves the targets of one guide, each with its context (see [`Resolver::resolve`]),
    /// in their order. A file a more confident target naming another file resolved to scores
    /// `claimed` (rules/scoring.toml) times its fuzzy score: a guide naming two files means
    /// two files. Titles ("Chapter: Neurology - Basal Ganglia") claim nothing: they often
    /// name sections of one chapter.
    pub fn resolve_guide(&mut self, targets: &[(&Target, String)]) -> Vec<Resolution> {
        self.content_memo.clear();
        let mut out: Vec<Resolution> = targets.iter().map(|(t, c)| self.resolve(t, c)).collect();
        let file_name =
            |t: &Target| t.file_hint.as_ref().map(|h| h.trim().to_string()).filter(|h| Markup::from_path(h).is_some());
        if targets.iter().filter_map(|(t, _)| file_name(t)).collect::<BTreeSet<_>>().len() < 2 {
            return out;
        }
        let confidence = |r: &Resolution| if let Resolution::Resolved(r) = r { r.confidence } else { 0.0 };
        let mut order: Vec<usize> = (0..targets.len()).collect();
        order.sort_by(|&a, &b| confidence(&out[b]).total_cmp(&confidence(&out[a])));
        self.claimed.clear();
        for i in order {
            let (t, c) = &targets[i];
            let Some(hint) = file_name(t) else { continue };
            self.last_hint.clear();
            out[i] = self.resolve_unclaimed(t, c);
            if let Resolution::Resolved(r) = &out[i] {
                let hint = if self.last_hint.is_empty() { hint } else { self.last_hint.clone() };
                self.claimed.push((hint, r.path.clone()));
            }
        }
        self.claimed.clear();
        out
    }

    fn resolve_unclaimed(&mut self, target: &Target, context: &str) -> Resolution {
        let r = &self.book.rules.scoring.resolve;
        let Some(hint) = target.file_hint.as_deref() else { return Resolution::Unresolved(Vec::new()) };
        let hint = hint.trim();
        // An absolute path inside the book is made relative; one elsewhere is refused.
        let root = crate::text::slash_path(&self.book.root);
        let hint = match hint.strip_prefix(&format!("{root}/")) {
            Some(rel) => rel,
            // `/x` is the book's `x` when the book has it; otherwise it is a path elsewhere
            // on the machine, which is not looked at.
            // `/x/...` is the book's `x/...` when the book has a top folder `x` (a stale path
            // in it is still resolved); otherwise it is a path elsewhere, never looked at.
            // A path from another machine (`/home/me/book/contents/ch01.tex`) is the book's
            // `contents/ch01.tex` when the book has a top folder `contents`; a chapter file
            // name under no such folder is looked for by its name.
            None if hint.starts_with('/') => {
                let rel = hint.trim_start_matches('/');
                let is_top = |top: &str| self.top_folders.contains(top);
                let in_book = is_top(rel.split('/').next().unwrap_or(""))
                    || normalize_rel(rel).and_then(|p| self.book.file(&p)).is_some();
                let parts: Vec<&str> = rel.split('/').collect();
                let name = parts.last().copied().unwrap_or("");
                match (in_book, (1..parts.len()).find(|&i| is_top(parts[i]))) {
                    (true, _) => rel,
                    (false, Some(i)) => &rel[parts[..i].iter().map(|p| p.len() + 1).sum::<usize>()..],
                    (false, None) if Markup::from_path(name).is_some_and(|m| m != Markup::Markdown) => name,
                    (false, None) => return Resolution::Outside(hint.to_string()),
                }
            }
            None => hint.trim_start_matches("./"),
        };
        if hint.contains("..") && normalize_rel(hint).is_none() {
            return Resolution::Outside(hint.to_string());
        }
        self.last_hint = hint.to_string();
        if let Some((p, sub)) = normalize_rel(hint).and_then(|p| self.book.submodule_of(&p).map(|s| (p, s))) {
            return Resolution::InSubmodule(p, sub);
        }
        if let Some(p) = normalize_rel(hint).filter(|p| self.book.not_text.contains(p)) {
            return Resolution::NotText(p);
        }
        // A file that is not a chapter (a guide, a .bib) is not redirected to a look-alike.
        let last = hint.rsplit('/').next().unwrap_or(hint);
        let has_ext = last.rsplit_once('.').is_some_and(|(stem, ext)| {
            !stem.is_empty() && ext.len() <= 4 && ext.chars().all(|c| c.is_ascii_alphanumeric())
        });
        if has_ext && Markup::from_path(last).is_none_or(|m| m == Markup::Markdown) {
            return Resolution::NotChapter(hint.to_string());
        }
        let book = self.book;
        let reach = |p: &str| reach_of(book, r.unreachable, p);
        if let Some(p) = normalize_rel(hint).and_then(|p| self.book.file(&p)) {
            return Resolution::Resolved(match self.live_edition(&p) {
                Some(live) => live,
                None => ResolvedTarget { path: p, method: "exact", confidence: r.exact },
            });
        }
        let name = hint.rsplit('/').next().unwrap_or(hint);
        let is_file_hint = Markup::from_path(name).is_some();
        let left_behind = |p: &str| left_behind(book, name, p);
        if is_file_hint {
            // The same file name elsewhere, or the same stem in the other markup (an edition
            // ported from LaTeX to Typst keeps its file names).
            let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
            let moved: Vec<&String> =
                self.by_stem.get(stem).map(|v| v.iter().filter(|p| !left_behind(p)).collect()).unwrap_or_default();
            if let Some(best) = best_by_path(&moved, hint, &reach) {
                return Resolution::Resolved(match self.live_edition(best) {
                    Some(live) => live,
                    None => ResolvedTarget { path: best.clone(), method: "moved", confidence: r.moved * reach(best) },
                });
            }
            let slug = chapter_slug(name);
            let same_slug: Vec<&String> =
                self.chapters.iter().filter(|p| chapter_slug(p) == slug && !left_behind(p)).collect();
            if let Some(best) = best_by_path(&same_slug, hint, &reach) {
                return Resolution::Resolved(ResolvedTarget {
                    path: best.clone(),
                    method: "slug",
                    confidence: r.slug * reach(best),
                });
            }
        }
        // A folder hint (`contents/part3-treatment/`): its chapters, chosen by content.
        let dir = hint.trim_end_matches('/');
        let in_dir: Vec<usize> =
            (0..self.chapters.len()).filter(|&i| self.chapters[i].starts_with(&format!("{dir}/"))).collect();
        if !is_file_hint && !in_dir.is_empty() {
            if let Some(content) = self.content_scores(context) {
                let best = in_dir.iter().copied().max_by(|&a, &b| content[a].total_cmp(&content[b]).then(b.cmp(&a)));
                if let Some(i) = best.filter(|&i| content[i] > 0.0) {
                    let path = self.chapters[i].clone();
                    let confidence = round3(r.content * reach(&path));
                    return Resolution::Resolved(ResolvedTarget { path, method: "directory", confidence });
                }
            }
        }
        self.fuzzy(target, hint, is_file_hint, context)
    }

    /// The chapter whose name (or title, or part folder) is most like `hint` (and the
    /// target's heading), mixed with content relevance of `context` when there is one and
    /// the hints' section headings, with a chapter number and the hint's folder as weak
    /// priors; `Unresolved` with the three closest below the threshold.
    fn fuzzy(&mut self, target: &Target, hint: &str, is_file_hint: bool, context: &str) -> Resolution {
        let r = &self.book.rules.scoring.resolve;
        let book = self.book;
        let name = hint.rsplit('/').next().unwrap_or(hint);
        let reach = |p: &str| reach_of(book, r.unreachable, p);
        let left_behind = |p: &str| left_behind(book, name, p);
        // Fuzzy: name similarity, mixed with content relevance when there is context.
        let as_set = |mut v: Vec<String>| {
            v.sort();
            v.dedup();
            v
        };
        // Words that name no chapter's subject: the word "chapter", numbers, extensions.
        let topical = |t: &String| {
            t != "chapter" && !t.chars().all(|c| c.is_ascii_digit()) && !t.ends_with("tex") && !t.ends_with("typ")
        };
        // A hint in words ("Chapter 8: Mitochondrial Dysfunction", "pediatric ME/CFS
        // chapter") is a title, not a path: a slash in it separates no folders, and only
        // its topical words count (a word no chapter name holds weighs as the rarest).
        let name_hint = if is_file_hint || !hint.contains(char::is_whitespace) {
            name_terms(&chapter_slug(name))
        } else {
            let mut words = terms(hint);
            words.retain(topical);
            name_terms(&words.join(" "))
        };
        let hint_terms = NameTerms::new(as_set(name_hint), &self.idf, self.idf_max);
        let number = chapter_number(hint).or_else(|| chapter_number(&target.title_hint));
        let mut heading_terms = terms(&target.title_hint);
        heading_terms.retain(topical);
        let heading_terms = NameTerms::new(as_set(name_terms(&heading_terms.join(" "))), &self.idf, self.idf_max);
        let hint_dir = crate::text::parent_dir(hint);
        let content = self.content_scores(context);
        let heading_best = self.heading_similarity(&target.section_hints);
        let sim = |a: &NameTerms, b: &NameTerms| weighted_dice(a, b, &self.idf, self.idf_max);
        // The part folder counts too (`ch06-pathophysiology` -> `part2-pathophysiology/`),
        // below the chapter's own name.
        let name_sims: Vec<f64> = (0..self.chapters.len())
            .map(|i| {
                sim(&hint_terms, &self.chapter_terms[i])
                    .max(sim(&hint_terms, &self.title_terms[i]))
                    .max(0.9 * sim(&heading_terms, &self.title_terms[i]))
                    .max(0.9 * sim(&heading_terms, &self.chapter_terms[i]))
                    .max(0.5 * sim(&hint_terms, &self.part_terms[i]))
            })
            .collect();
        let best_name = name_sims.iter().cloned().fold(0.0, f64::max);
        // Chapter indexes with scores: the chapters are sorted, so an index orders as its path.
        let mut scored: Vec<(usize, f64)> = self
            .chapters
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let name_sim = name_sims[i];
                // A chapter number in the hint is a weak prior: chapters get renumbered, so
                // it only counts where the names leave a choice ("Chapter 8: Mitochondrial
                // Dysfunction" is the mitochondria chapter, whatever its number now).
                let number_bonus = match number {
                    Some(n) if file_number(p) == Some(n) && name_sim >= best_name - 1e-9 => 0.1,
                    _ => 0.0,
                };
                // A chapter holding a heading like the section hint is likelier.
                let heading_sim = heading_best[i];
                // So is a chapter in the folder the hint names, when that folder exists.
                let folder_bonus =
                    if !hint_dir.is_empty() && p.starts_with(&format!("{hint_dir}/")) { 0.1 } else { 0.0 };
                let priors = number_bonus + folder_bonus;
                let score = match &content {
                    Some(c) => 0.5 * name_sim + 0.3 * c[i] + 0.2 * heading_sim + priors,
                    None => 0.8 * name_sim + 0.2 * heading_sim + priors,
                };
                let claimed = is_file_hint && self.claimed.iter().any(|(h, c)| c == p && h != hint);
                let claimed = if claimed { r.claimed } else { 1.0 };
                let kept = if left_behind(p) { 0.0 } else { 1.0 };
                (i, score * reach(p) * claimed * kept)
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let path = |i: usize| self.chapters[i].clone();
        match scored.first() {
            Some(&(i, s)) if s >= r.threshold => {
                Resolution::Resolved(ResolvedTarget { path: path(i), method: "fuzzy", confidence: confidence_of(s) })
            }
            _ => Resolution::Unresolved(scored.into_iter().take(3).map(|(i, s)| (path(i), confidence_of(s))).collect()),
        }
    }

    /// For each chapter, the best Dice similarity of any section hint's terms to any heading
    /// in the chapter's include closure; only headings sharing a term are compared (through
    /// a term index), so a hint costs its postings, not the book. Each file's best is found
    /// once, then each chapter takes the best of its closure's files.
    fn heading_similarity(&mut self, hints: &[String]) -> Vec<f64> {
        let index = self.chapter_headings();
        let mut file_best = vec![0.0; index.sizes.len()];
        for h in hints {
            let h: BTreeSet<String> = terms(h).into_iter().collect();
            if h.is_empty() {
                continue;
            }
            let mut shared: HashMap<(u32, u32), u32> = HashMap::new();
            for t in &h {
                for &at in index.postings.get(t).into_iter().flatten() {
                    *shared.entry(at).or_default() += 1;
                }
            }
            for ((f, k), n) in shared {
                let len = index.sizes[f as usize][k as usize] as usize;
                let dice = 2.0 * n as f64 / (h.len() + len) as f64;
                if dice > file_best[f as usize] {
                    file_best[f as usize] = dice;
                }
            }
        }
        index.closures.iter().map(|files| files.iter().map(|&f| file_best[f as usize]).fold(0.0, f64::max)).collect()
    }

    /// The terms of every heading (a line scan), and each chapter's include closure; built
    /// once per book.
    fn chapter_headings(&mut self) -> std::sync::Arc<HeadingIndex> {
        if self.headings.is_none() {
            let book = self.book;
            let chapters = &self.chapters;
            self.headings = Some(book.derived_if(
                "",
                |h: &HeadingIndex| &h.chapters == chapters,
                || {
                    let titles = book.heading_titles();
                    let mut index = HeadingIndex { chapters: chapters.clone(), ..HeadingIndex::default() };
                    let mut file_ids: HashMap<String, u32> = HashMap::new();
                    for chapter in chapters {
                        let mut closure = Vec::new();
                        for f in book.closure(chapter) {
                            let Some(heads) = titles.get(&f) else { continue };
                            // A file's headings are tokenized once, though the file is in the
                            // closure of every chapter above it.
                            let id = *file_ids.entry(f).or_insert_with(|| {
                                let id = index.sizes.len() as u32;
                                let mut sizes = Vec::with_capacity(heads.len());
                                for (k, (_, title)) in heads.iter().enumerate() {
                                    let mut set = terms(title);
                                    set.sort_unstable();
                                    set.dedup();
                                    sizes.push(set.len() as u32);
                                    for t in set {
                                        index.postings.entry(t).or_default().push((id, k as u32));
                                    }
                                }
                                index.sizes.push(sizes);
                                id
                            });
                            closure.push(id);
                        }
                        index.closures.push(closure);
                    }
                    index
                },
            ));
        }
        self.headings.clone().unwrap_or_default()
    }

    /// For a file that no root reaches (a legacy edition), the reachable chapter with the
    /// same slug, when there is one: the book has moved on to that edition.
    fn live_edition(&self, path: &str) -> Option<ResolvedTarget> {
        let reachable = |p: &str| self.book.includes.reachable.is_empty() || self.book.includes.reachable.contains(p);
        if reachable(path) {
            return None;
        }
        let slug = chapter_slug(path);
        let live = self.chapters.iter().find(|c| reachable(c) && chapter_slug(c) == slug)?;
        Some(ResolvedTarget {
            path: live.clone(),
            method: "live-edition",
            confidence: self.book.rules.scoring.resolve.slug,
        })
    }

    /// Content relevance of `context` to each chapter (its whole include closure), scaled
    /// so the best chapter has 1.0; `None` when the context is empty.
    fn content_scores(&mut self, context: &str) -> Option<Vec<f64>> {
        if let Some((_, scores)) = self.content_memo.iter().find(|(c, _)| c == context) {
            return scores.clone();
        }
        let scores = self.content_scores_now(context);
        if self.content_memo.len() >= 16 {
            self.content_memo.clear();
        }
        self.content_memo.push((context.to_string(), scores.clone()));
        scores
    }

    fn content_scores_now(&mut self, context: &str) -> Option<Vec<f64>> {
        let query = terms(context);
        if query.is_empty() {
            return None;
        }
        self.build_content_index();
        let p = &self.book.rules.scoring.place;
        let scores = self.content.as_ref()?.scores(&query, p.bm25_k1, p.bm25_b);
        let max = scores.iter().cloned().fold(0.0, f64::max);
        Some(scores.iter().map(|s| if max > 0.0 { s / max } else { 0.0 }).collect())
    }

    /// Builds the indexes resolution needs on first use (chapter contents, headings) now:
    /// clones of this resolver share them (one per thread when guides are planned on every
    /// core).
    pub fn build_indexes(&mut self) {
        self.build_content_index();
        self.chapter_headings();
    }

    /// The BM25 index over each chapter's include closure, built once (its documents are
    /// kept with the book, and so in its snapshot).
    fn build_content_index(&mut self) {
        if self.content.is_none() {
            let phase = crate::trace::Phase::start("chapter content index");
            let book = self.book;
            let chapters = &self.chapters;
            let docs = book.derived_if(
                "",
                |c: &crate::relevance::ContentDocs| &c.chapters == chapters,
                || {
                    // The terms of each chapter's include closure, renumbered densely.
                    let terms = book.terms();
                    let mut counter = crate::relevance::Counter::new(terms.vocab.len());
                    let mut local: HashMap<u32, u32> = HashMap::new();
                    let mut names = Vec::new();
                    let docs = chapters
                        .iter()
                        .map(|c| {
                            for f in book.closure(c) {
                                counter.add(terms.file(&f), 1);
                            }
                            let mut doc: Vec<(u32, u32)> = counter
                                .take()
                                .into_iter()
                                .map(|(t, n)| {
                                    let id = *local.entry(t).or_insert_with(|| {
                                        names.push(terms.vocab.name(t).to_string());
                                        names.len() as u32 - 1
                                    });
                                    (id, n)
                                })
                                .collect();
                            doc.sort_unstable();
                            doc
                        })
                        .collect();
                    crate::relevance::ContentDocs::new(chapters.clone(), names, docs)
                },
            );
            self.content = Some(docs);
            phase.done();
        }
    }
}

/// [`terms`] of a chapter name or title cut to their first seven letters, so that word forms
/// meet: "metabolic"/"metabolism", "mitochondria"/"mitochondrial", "neurological"/"neurology".
/// Names are short, so the few words this merges wrongly cost little. A `dys-` word names
/// the disorder of what it prefixes, which a chapter is named after: "Mitochondrial
/// Dysfunction" is the subject of "Mitochondrial Function", "dysautonomia" of "Autonomic".
fn name_terms(text: &str) -> Vec<String> {
    terms(text)
        .into_iter()
        .map(|t| {
            let t = t.strip_prefix("dys").filter(|rest| rest.len() >= 4).unwrap_or(&t);
            t.chars().take(7).collect()
        })
        .collect()
}

/// A name's terms as a set (sorted, no repeats) with the sum of their IDF weights, so a
/// similarity looks up weights only for the terms two names share.
#[derive(Debug, Clone)]
struct NameTerms {
    terms: Vec<String>,
    /// The sum of the terms' IDF (`max` for a term no chapter name has), summed in order.
    weight: f64,
}

impl NameTerms {
    fn new(terms: Vec<String>, idf: &HashMap<String, f64>, max: f64) -> Self {
        let weight = terms.iter().map(|t| idf.get(t).copied().unwrap_or(max)).sum();
        NameTerms { terms, weight }
    }
}

/// Dice coefficient of two term sets where each term counts by its IDF weight (terms not
/// in `idf`, i.e. in no chapter name, weigh as the rarest), in `[0, 1]`.
/// `a` and `b` are term sets: sorted, without repeats. `max` is the weight of terms not in
/// `idf`.
fn weighted_dice(a: &NameTerms, b: &NameTerms, idf: &HashMap<String, f64>, max: f64) -> f64 {
    let (a, b, total) = (&a.terms, &b.terms, a.weight + b.weight);
    if a.is_empty() || b.is_empty() || total == 0.0 {
        return 0.0;
    }
    let w = |t: &String| idf.get(t).copied().unwrap_or(max);
    let (mut i, mut j, mut shared) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += w(&a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    2.0 * shared / total
}

/// A chapter number in a hint: `Chapter 15`, `ch15`, `ch14b-...` -> 15.
fn chapter_number(hint: &str) -> Option<u32> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"(?i)\bch(?:apter)?[\s_-]*0*(\d{1,3})[a-z]?\b").unwrap());
    re.captures(hint)?[1].parse().ok()
}

/// The chapter number of a file named `chNN-...` (`chNNa-...`).
fn file_number(path: &str) -> Option<u32> {
    let name = path.rsplit('/').next()?.to_lowercase();
    let digits: String = name.strip_prefix("ch")?.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Of several files, the reachable one sharing the most trailing path parts with `hint`.
fn best_by_path<'a>(files: &[&'a String], hint: &str, reach: &dyn Fn(&str) -> f64) -> Option<&'a String> {
    let name = hint.rsplit('/').next().unwrap_or(hint);
    let dirs: Vec<&str> = crate::text::parent_dir(hint).split('/').collect();
    let mut best: BTreeMap<(i64, i64, i64), &String> = BTreeMap::new();
    for f in files {
        let same_name = i64::from(f.rsplit('/').next() == Some(name));
        let common = crate::text::parent_dir(f)
            .split('/')
            .rev()
            .zip(dirs.iter().rev())
            .take_while(|(a, b)| a.eq_ignore_ascii_case(b))
            .count() as i64;
        best.entry((-((reach(f) * 10.0) as i64), -common, -same_name)).or_insert(f);
    }
    best.into_values().next()
}

/// A fuzzy score as a confidence in `[0, 1]`, to three decimals. The score ranks the
/// chapters as it is; only its confidence is capped: the chapter-number and folder priors
/// add up to 0.2 on top of weights summing to 1 (a file hint with trailing words can name
/// the file, its folder and its number at once).
fn confidence_of(score: f64) -> f64 {
    round3(score.clamp(0.0, 1.0))
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// How much a chapter counts by whether a root reaches it: 1, or `unreachable`
/// (rules/scoring.toml) for a file no root reaches (with no root at all, every file counts).
fn reach_of(book: &Store, unreachable: f64, path: &str) -> f64 {
    if book.includes.reachable.is_empty() || book.includes.reachable.contains(path) {
        1.0
    } else {
        unreachable
    }
}

/// Whether `path` is a file of the edition the book has left for a hint naming `name`:
/// books are ported from LaTeX to Typst, not back, so a Typst hint never means a LaTeX file
/// that no root reaches.
fn left_behind(book: &Store, name: &str, path: &str) -> bool {
    Markup::from_path(name) == Some(Markup::Typst)
        && Markup::from_path(path) != Some(Markup::Typst)
        && !book.includes.reachable.is_empty()
        && !book.includes.reachable.contains(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapter_numbers_in_hints_and_names() {
        assert_eq!(chapter_number("Chapter 15: Medications - Antivirals"), Some(15));
        assert_eq!(chapter_number("ch14b-mild-moderate.tex"), Some(14));
        assert_eq!(chapter_number("the chapter on biomarkers"), None);
        assert_eq!(file_number("contents/ch07-immune.tex"), Some(7));
    }

    #[test]
    fn rare_shared_terms_outweigh_common_ones() {
        let idf: HashMap<String, f64> = [("dysfunction".to_string(), 0.2), ("mitochondrial".to_string(), 3.0)].into();
        let set = |t: &str| {
            let mut v = terms(t);
            v.sort();
            v
        };
        let set = |t: &str| NameTerms::new(set(t), &idf, 3.0);
        let hint = set("mitochondrial-dysfunction");
        let (immune, energy) = (set("immune dysfunction"), set("energy mitochondrial"));
        assert!(weighted_dice(&hint, &immune, &idf, 3.0) < weighted_dice(&hint, &energy, &idf, 3.0));
        assert_eq!(weighted_dice(&hint, &hint, &idf, 3.0), 1.0);
    }

    #[test]
    fn name_terms_meet_across_word_forms() {
        assert_eq!(
            name_terms("Metabolic and Mitochondrial Dysfunction"),
            name_terms("metabolism-mitochondria-dysfunction")
        );
        assert_eq!(name_terms("Hypothesis Registry")[0], name_terms("speculative-hypotheses")[1]);
        // Seven letters keep "medical" and "medications" apart.
        assert_ne!(name_terms("medical"), name_terms("medications"));
    }

    #[test]
    fn chapter_slugs_drop_the_number() {
        assert_eq!(chapter_slug("contents/ch14b-mild-moderate.tex"), "mild-moderate");
        assert_eq!(chapter_slug("ch07-energy-metabolism.typ"), "energy-metabolism");
        assert_eq!(chapter_slug("sec-01-intro.typ"), "sec-01-intro");
        assert_eq!(chapter_slug("chapter-notes.tex"), "chapter-notes");
        assert_eq!(chapter_slug("chXX-immune-dysfunction.typ"), "immune-dysfunction");
    }
}
