//! The sections placement ranks: each section of a resolved file and the files it includes,
//! with its insertion point (the end of its own text, out of any block that cannot take
//! text), its number in document order, citations and environments, and the BM25 index
//! over their texts ([`SectionIndex`], cached by the book and kept in its snapshot).

use std::collections::HashMap;
use std::sync::Arc;

use super::hint::TitleForm;
use crate::relevance::Bm25;
use crate::store::Store;

#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Section {
    pub(super) path: String,
    pub(super) heading_path: Vec<String>,
    pub(super) title: String,
    pub(super) label: Option<String>,
    /// 1-based first and last line of the section's own text (heading included).
    pub(super) first: usize,
    pub(super) last: usize,
    pub(super) after_line: usize,
    /// The last line of the section's subsections too: where a new section after them goes.
    pub(super) subtree_after: usize,
    /// The section's number within its chapter (`[3, 2]` for 3.2); empty when unnumbered.
    pub(super) number: Vec<u32>,
    /// The section's own text: 1-based line ranges of `path` (comments and skipped blocks
    /// left out).
    pub(super) text: Vec<(usize, usize)>,
    /// Files without headings that the section includes (their whole text is its text).
    pub(super) included: Vec<String>,
    pub(super) cites: Vec<String>,
    pub(super) envs: Vec<String>,
}

/// The sections of a resolved file (and the files it includes) with their BM25 index:
/// built once per file and shared by every target placed there.
pub struct SectionIndex {
    pub(super) sections: Vec<Section>,
    pub(super) bm25: Bm25,
    /// Per section: its title and each heading of its path, tokenized.
    pub(super) forms: Vec<(Arc<TitleForm>, Vec<Arc<TitleForm>>)>,
}

/// How many resolved files' [`SectionIndex`] the store keeps in memory.
pub(super) const SECTION_CACHE: usize = 32;

/// A [`SectionIndex`] as the snapshot keeps it: no rules' weights, no title forms.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct StoredSectionIndex {
    pub(super) sections: Vec<Section>,
    pub(super) bm25: crate::relevance::Bm25Parts,
}

impl crate::store::Derived for SectionIndex {
    const NAME: &'static str = "sections";
    // Written anew as runs add the files they place into.
    const PLACE: crate::store::Place = crate::store::Place::OwnPart;
    // A whole-book check resolves to hundreds of files; the targets of one guide reuse a few.
    const KEEP: usize = SECTION_CACHE;

    /// Encoded as the fields of a [`StoredSectionIndex`], in order.
    fn encode(&self) -> Option<Vec<u8>> {
        postcard::to_allocvec(&(&self.sections, self.bm25.parts())).ok()
    }

    fn decode(bytes: &[u8], book: &crate::book::Book) -> Option<Self> {
        let w = &book.rules.scoring.place;
        let stored = postcard::from_bytes::<StoredSectionIndex>(bytes).ok()?;
        let bm25 = Bm25::from_parts(stored.bm25, w.bm25_k1, w.bm25_b)?;
        (stored.sections.len() == bm25.len()).then(|| SectionIndex::new(stored.sections, bm25))
    }
}

impl SectionIndex {
    /// The index of `sections` and their BM25 index, with each section's title forms.
    fn new(sections: Vec<Section>, bm25: Bm25) -> SectionIndex {
        // Each distinct title tokenized once: sections share the headings above them.
        let mut seen: HashMap<String, Arc<TitleForm>> = HashMap::new();
        let mut form = |t: &String| seen.entry(t.clone()).or_insert_with(|| Arc::new(TitleForm::new(t))).clone();
        let forms = sections.iter().map(|s| (form(&s.title), s.heading_path.iter().map(&mut form).collect())).collect();
        SectionIndex { sections, bm25, forms }
    }
}

/// The [`SectionIndex`] of `path`, kept by the store, read from its snapshot, or built now.
pub(super) fn section_index(book: &Store, path: &str) -> std::sync::Arc<SectionIndex> {
    book.derived(path, || {
        let (sections, bm25) = build_section_index(book, path);
        SectionIndex::new(sections, bm25)
    })
}

/// The sections of `path` ([`sections_of`]) and their BM25 index.
pub(super) fn build_section_index(book: &Store, path: &str) -> (Vec<Section>, Bm25) {
    let w = &book.rules.scoring.place;
    let sections = sections_of(book, path);
    // The whole book's terms when they are tokenized already; else just these files'.
    let terms = book.terms_if_built().unwrap_or_else(|| {
        let files: Vec<(&str, &str)> = book
            .closure(path)
            .into_iter()
            .filter_map(|f| book.sources.get_key_value(&f).map(|(p, t)| (p.as_str(), t.as_str())))
            .collect();
        std::sync::Arc::new(crate::relevance::BookTerms::build(&files))
    });
    let mut counter = crate::relevance::Counter::new(terms.vocab.len());
    let docs: Vec<Vec<(u32, u32)>> = sections
        .iter()
        .map(|s| {
            // Heading titles weigh above body text: counted three times.
            let title: Vec<u32> = crate::text::terms(&s.title).iter().filter_map(|t| terms.vocab.id(t)).collect();
            counter.add(&title, 3);
            for &(a, b) in &s.text {
                counter.add(terms.lines(&s.path, a, b), 1);
            }
            for f in &s.included {
                counter.add(terms.file(f), 1);
            }
            counter.take()
        })
        .collect();
    let bm25 = Bm25::from_ids(docs, terms.vocab.clone(), w.bm25_k1, w.bm25_b);
    (sections, bm25)
}

/// The headings enclosing 1-based `line` of `file`, from the book's outermost (through the
/// files including it) down.
pub fn heading_path_at(book: &Store, file: &str, line: usize) -> Vec<String> {
    let mut path: Vec<String> = book.context_of(file).into_iter().map(|(_, t)| t).collect();
    if let Some(o) = book.outline(file) {
        path.extend(o.heading_stack_at(line).iter().map(|h| h.title.clone()));
    }
    path
}

/// Lines from a section at which a guide's (uncorrected) line number counts half.
pub(super) const LINE_HALF: f64 = 50.0;

/// How near a section is to a line in `[0, 1]`: 1 inside it, decaying with distance
/// (half at `half` lines).
pub(super) fn line_nearness(line: usize, s: &Section, half: f64) -> f64 {
    let d = s.first.saturating_sub(line).max(line.saturating_sub(s.last));
    1.0 / (1.0 + d as f64 / half)
}

/// The sections of `path` and every file it includes, in document order.
///
/// A file without headings (one environment per file, or a paragraph split out) is part
/// of the section that includes it: its text counts for that section, and that section's
/// own text runs on past its include line. Such a file gets no section of its own unless
/// it is the resolved file itself.
pub(super) fn sections_of(book: &Store, path: &str) -> Vec<Section> {
    let mut out = Vec::new();
    let numbers = section_numbers(book, path);
    let mut has_headings: HashMap<String, bool> = HashMap::new();
    for file in book.closure(path) {
        if file != path && !subtree_has_headings(book, &file, &mut has_headings) {
            continue;
        }
        if book.config.book.annotated_bibliography.as_deref() == Some(file.as_str()) {
            continue;
        }
        let Some(o) = book.outline(&file) else { continue };
        let Some(text) = book.sources.get(&file) else { continue };
        let lines: Vec<&str> = text.lines().collect();
        // Per line (1-based; 0 unused): a comment or a skipped block.
        let mut dead = vec![false; lines.len() + 2];
        for &(a, b) in &o.dead {
            if let Some(range) = dead.get_mut(a..=b.min(lines.len())) {
                range.fill(true);
            }
        }
        let context = book.context_of(&file);
        let children: Vec<(String, usize)> = book.includes.children.get(&file).cloned().unwrap_or_default();
        // Includes that bring in headings end a section's own text; the others extend it.
        let breaking: Vec<usize> = children
            .iter()
            .filter(|(c, _)| subtree_has_headings(book, c, &mut has_headings))
            .map(|(_, l)| *l)
            .collect();
        // The headings enclosing each heading (itself last), in one pass.
        let mut stacks: Vec<Vec<&crate::outline::Heading>> = Vec::with_capacity(o.headings.len());
        let mut stack: Vec<&crate::outline::Heading> = Vec::new();
        for h in &o.headings {
            while stack.last().is_some_and(|top| top.level >= h.level) {
                stack.pop();
            }
            stack.push(h);
            stacks.push(stack.clone());
        }
        let mut starts: Vec<Option<usize>> = (0..o.headings.len()).map(Some).collect();
        let first_heading_line = o.headings.first().map_or(usize::MAX, |h| h.line);
        let has_preamble_text = lines.iter().take(first_heading_line.saturating_sub(1)).any(|l| is_prose(l));
        // A file without headings is one section; so is the resolved file when it is empty.
        if (has_preamble_text && (!context.is_empty() || o.headings.is_empty())) || (file == path && starts.is_empty())
        {
            starts.insert(0, None);
        }
        for start in starts {
            let mut path_stack = context.clone();
            let (first, title, label, level) = match start {
                Some(i) => {
                    let h = &o.headings[i];
                    for above in &stacks[i] {
                        crate::book::nest(&mut path_stack, above.level, &above.title);
                    }
                    (h.line, h.title.clone(), h.label.clone(), h.level)
                }
                None => (1, context.last().map(|c| c.1.clone()).unwrap_or_default(), None, i32::MIN),
            };
            let next_heading = o.headings.iter().map(|h| h.line).find(|&l| l > first).unwrap_or(lines.len() + 1);
            let next_include = breaking.iter().copied().find(|&l| l > first && l < next_heading);
            let end = next_include.unwrap_or(next_heading);
            let last = end.saturating_sub(1).max(first);
            let after = last_insertable(&lines, &o, first, last + 1).unwrap_or(first).min(lines.len());
            if !o.can_insert_after(after) {
                continue;
            }
            let subtree_end =
                o.headings.iter().find(|h| h.line > first && h.level <= level).map_or(lines.len() + 1, |h| h.line);
            let subtree_after = last_insertable(&lines, &o, first, subtree_end.max(end)).unwrap_or(after);
            let heading_path: Vec<String> = path_stack.into_iter().map(|(_, t)| t).collect();
            let in_range = |l: usize| l >= first && l <= last;
            // Comments and skipped blocks say nothing about the section.
            let mut own: Vec<(usize, usize)> = Vec::new();
            for l in (first..=last.min(lines.len())).filter(|&l| !dead[l]) {
                match own.last_mut() {
                    Some((_, b)) if *b + 1 == l => *b = l,
                    _ => own.push((l, l)),
                }
            }
            let mut included = Vec::new();
            let mut cites: Vec<String> = o.citations.iter().filter(|c| in_range(c.1)).map(|c| c.0.clone()).collect();
            let mut envs: Vec<String> = o.envs.iter().filter(|e| in_range(e.start)).map(|e| e.name.clone()).collect();
            for (child, _) in children.iter().filter(|(_, l)| in_range(*l)) {
                for f in book.closure(child) {
                    let Some(co) = book.outline(&f) else { continue };
                    cites.extend(co.citations.iter().map(|c| c.0.clone()));
                    envs.extend(co.envs.iter().map(|e| e.name.clone()));
                    included.push(f);
                }
            }
            out.push(Section {
                path: file.clone(),
                heading_path,
                title,
                label,
                first,
                last,
                after_line: after,
                subtree_after,
                number: start
                    .and_then(|i| numbers.get(&(file.clone(), o.headings[i].line)).cloned())
                    .unwrap_or_default(),
                text: own,
                included,
                cites,
                envs,
            });
        }
    }
    out
}

/// The last line before `end` (1-based, exclusive) and after `first` that is not blank and
/// after which text may go (outside environments, comments, code and math).
pub(super) fn last_insertable(lines: &[&str], o: &crate::outline::Outline, first: usize, end: usize) -> Option<usize> {
    (first + 1..end.min(lines.len() + 1))
        .rev()
        .find(|&l| lines.get(l - 1).is_some_and(|t| !t.trim().is_empty()) && o.can_insert_after(l))
}

/// The numbers of the numbered headings below chapter level in `path` and the files it
/// includes, counted in document order (an include's headings where its include line is),
/// as LaTeX and Typst number them within a chapter: (file, heading line) -> `[3, 2]`.
pub(super) fn section_numbers(book: &Store, path: &str) -> HashMap<(String, usize), Vec<u32>> {
    fn walk(book: &Store, file: &str, seen: &mut Vec<String>, out: &mut Vec<(String, usize, i32)>) {
        if seen.iter().any(|f| f == file) {
            return;
        }
        seen.push(file.to_string());
        let Some(o) = book.outline(file) else { return };
        let mut items: Vec<(usize, Option<&str>, i32)> =
            o.headings.iter().filter(|h| h.numbered).map(|h| (h.line, None, h.level)).collect();
        let children = book.includes.children.get(file).cloned().unwrap_or_default();
        items.extend(children.iter().map(|(c, l)| (*l, Some(c.as_str()), 0)));
        items.sort_by_key(|i| i.0);
        for (line, child, level) in items {
            match child {
                Some(c) => walk(book, c, seen, out),
                None => out.push((file.to_string(), line, level)),
            }
        }
    }
    let mut order = Vec::new();
    walk(book, path, &mut Vec::new(), &mut order);
    let mut counters: Vec<u32> = Vec::new();
    let mut out = HashMap::new();
    for (file, line, level) in order {
        if level < 1 {
            counters.clear();
            continue;
        }
        let depth = level as usize;
        counters.resize(depth, 0);
        counters[depth - 1] += 1;
        out.insert((file, line), counters.clone());
    }
    out
}

/// Whether `file` or anything it includes has a heading.
pub(super) fn subtree_has_headings(book: &Store, file: &str, memo: &mut HashMap<String, bool>) -> bool {
    if let Some(&v) = memo.get(file) {
        return v;
    }
    memo.insert(file.to_string(), false);
    let own = book.outline(file).is_some_and(|o| !o.headings.is_empty());
    let children: Vec<String> =
        book.includes.children.get(file).into_iter().flatten().map(|(c, _)| c.clone()).collect();
    let v = own || children.iter().any(|c| subtree_has_headings(book, c, memo));
    memo.insert(file.to_string(), v);
    v
}

pub(super) fn is_prose(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty()
        && !t.starts_with("#import")
        && !t.starts_with("//")
        && !t.starts_with('%')
        && !t.starts_with("#include")
}
