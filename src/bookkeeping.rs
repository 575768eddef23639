//! Bookkeeping that travels with an integration, in the same commit: bibliography entries
//! the literature input supplies for keys the book lacks (appended to the topic .bib file
//! whose entries fit best, or the one the config names), and the literature folder's
//! README status line (`**References.bib entries:** Pending`).
//!
//! What it leaves out: reformatting or sorting .bib files (entries are appended as
//! written), and the annotated bibliography (its format is the book's own).

use std::collections::BTreeSet;

use crate::bib::KeyStatus;
use crate::guide::Guide;
use crate::store::Store;
use crate::text::terms;

/// One bibliography entry to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BibAddition {
    /// The citation key.
    pub key: String,
    /// The entry as supplied.
    pub text: String,
    /// Where it was supplied (guide or folder .bib), relative to the book root.
    pub source: String,
    /// The book's .bib file it is appended to.
    pub bib_path: String,
}

/// One line of a file to replace (a README status line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineEdit {
    /// The file, relative to the book root.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// The new line, without line ending.
    pub text: String,
}

/// The entries to add for `guide`: each of its citation keys with no bibliography entry
/// (not even by letter case) whose entry the guide or its folder supplies (first supply
/// wins), else a .bib file of the book outside its bibliography holds (a staging file the
/// documents do not name: citing the key without copying the entry would break the
/// build). Empty when the book has no .bib file to add to.
pub fn bib_additions(book: &Store, guide: &Guide) -> Vec<BibAddition> {
    let mut out = Vec::new();
    let staged = book.derived("", || StagedEntries::read(book));
    for key in &guide.citation_keys {
        if book.bib.status(key) != KeyStatus::Missing {
            continue;
        }
        let supplied = guide.bib_entries.iter().find(|e| e.key == *key).map(|e| (&e.text, &e.source));
        let Some((text, source)) = supplied.or_else(|| staged.0.get(key).map(|(path, text)| (text, path))) else {
            continue;
        };
        let Some(bib_path) = choose_bib_file(book, text) else { continue };
        out.push(BibAddition { key: key.clone(), text: text.clone(), source: source.clone(), bib_path });
    }
    out
}

/// The entries of the book's .bib files outside its bibliography
/// ([`crate::book::Book::bib_outside_bibliography`]): key -> (file, entry text), the first
/// file by path winning.
struct StagedEntries(std::collections::BTreeMap<String, (String, String)>);

impl StagedEntries {
    fn read(book: &Store) -> StagedEntries {
        let mut map = std::collections::BTreeMap::new();
        for path in book.bib_outside_bibliography() {
            let Some(text) = book.sources.get(&path) else { continue };
            for (key, entry) in crate::bib::entry_texts(text) {
                map.entry(key).or_insert_with(|| (path.clone(), entry));
            }
        }
        StagedEntries(map)
    }
}

impl crate::store::Derived for StagedEntries {
    const NAME: &'static str = "staged-entries";
    // A few small files, quick to scan: not stored.
    fn encode(&self) -> Option<Vec<u8>> {
        None
    }
    fn decode(_: &[u8], _: &crate::book::Book) -> Option<Self> {
        None
    }
}

/// The .bib files holding the bibliography's entries (in the order their first entry comes
/// by citation key), each with its content terms longer than three letters.
struct BibFileTerms(Vec<(String, std::collections::HashSet<String>)>);

impl crate::store::Derived for BibFileTerms {
    const NAME: &'static str = "bib-terms";
    // Quick to build from the .bib texts: not stored.
    fn encode(&self) -> Option<Vec<u8>> {
        None
    }
    fn decode(_: &[u8], _: &crate::book::Book) -> Option<Self> {
        None
    }
}

/// The .bib file a new entry goes to: `[book] new_entries` when set, else the book's .bib
/// file sharing the largest share of the entry's terms (title, journal, keywords) with its
/// existing entries; ties go to the file the bibliography reads first. `None` when the
/// book has no .bib file.
pub fn choose_bib_file(book: &Store, entry: &str) -> Option<String> {
    if let Some(p) = &book.config.book.new_entries {
        return Some(p.clone());
    }
    let files = book.derived("", || {
        let mut seen = BTreeSet::new();
        let paths: Vec<&String> = book.bib.entries.values().map(|e| &e.path).filter(|p| seen.insert(*p)).collect();
        let with_text: Vec<(&String, &str)> =
            paths.into_iter().filter_map(|p| Some((p, book.sources.get(p)?.as_str()))).collect();
        // Only terms longer than three letters are compared (below); each stored once.
        let sets = crate::text::parallel_map(&with_text, |(_, text)| {
            let mut set = std::collections::HashSet::new();
            crate::text::for_each_term(text, |t| {
                if t.len() > 3 && !set.contains(t) {
                    set.insert(t.to_string());
                }
            });
            set
        });
        BibFileTerms(with_text.iter().map(|(p, _)| (*p).clone()).zip(sets).collect())
    });
    let wanted: BTreeSet<String> = terms(entry).into_iter().filter(|t| t.len() > 3).collect();
    let mut best: Option<(f64, &String)> = None;
    for (f, have) in files.0.iter() {
        let share = if wanted.is_empty() {
            0.0
        } else {
            wanted.iter().filter(|t| have.contains(*t)).count() as f64 / wanted.len() as f64
        };
        if best.is_none_or(|(s, _)| share > s) {
            best = Some((share, f));
        }
    }
    best.map(|(_, f)| f.clone())
}

/// A README status line `**Field:** value` as `(field, value)`, both trimmed.
pub fn status_field(line: &str) -> Option<(&str, &str)> {
    let (field, value) = line.trim_start().strip_prefix("**")?.split_once(":**")?;
    Some((field.trim(), value.trim()))
}

/// Whether a guide or key-findings file (book-relative path) is the input of a literature
/// folder of its own (`<folder>/integration-guide.md`, `<folder>/key-findings.md`), whose
/// README describes it; standalone guides share a folder and have none.
pub fn in_own_folder(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.eq_ignore_ascii_case("integration-guide.md") || name.eq_ignore_ascii_case("key-findings.md")
}

/// The README status line to update when the guide's content goes in: the first line of
/// the folder's `README.md` of the form `**References.bib entries:** Pending` (a field
/// naming bib entries whose value starts with "Pending"), rewritten to say the entries are
/// in the bibliography. `readme` is the README's path (relative to the book root) and text.
pub fn readme_status(readme: (&str, &str), guide: &Guide, added: &[BibAddition]) -> Option<LineEdit> {
    let (path, text) = readme;
    for (i, line) in text.lines().enumerate() {
        let Some((field, value)) = status_field(line) else { continue };
        let lower = field.to_lowercase();
        let pending = value.trim().to_lowercase().starts_with("pending");
        if !(lower.contains("bib") && lower.contains("entries") && pending) {
            continue;
        }
        let indent = &line[..line.len() - line.trim_start().len()];
        let status = match added {
            [] => format!("Done ({} already in the bibliography)", guide.citation_keys.join(", ")),
            _ => {
                let keys: Vec<&str> = added.iter().map(|a| a.key.as_str()).collect();
                let files: BTreeSet<&str> = added.iter().map(|a| a.bib_path.as_str()).collect();
                format!("Done ({} added to {})", keys.join(", "), files.into_iter().collect::<Vec<_>>().join(", "))
            }
        };
        return Some(LineEdit { path: path.to_string(), line: i + 1, text: format!("{indent}**{field}:** {status}") });
    }
    None
}
