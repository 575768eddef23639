//! Checks of a planned integration against the book: citation keys, labels, already
//! applied content, work-tree drift. Each check returns findings with a stable code,
//! documented in `rules/checks.toml` (what it does, why, how to fix).

use crate::bib::KeyStatus;
use crate::finding::{Code, Finding};
use crate::guide::Guide;
use crate::store::Store;

/// `citation-key-missing` / `citation-key-case` / `citation-key-added`: every citation key
/// the guide names or its snippets cite must have a bibliography entry, spelled exactly.
/// A key whose entry the guide or its folder supplies is added to the bibliography
/// (`added`: key -> the .bib file it goes to), an info finding; a key differing only by
/// letter case is written as the bibliography spells it, a warning.
///
/// Why: the chapter would not build, or would print an unresolved citation. Example:
/// `**BibTeX key:** `smith2024`` with only `@article{Smith2024,` in the .bib files.
/// How to fix: add the entry (the literature folder may hold it), or fix the spelling.
pub fn citation_keys(book: &Store, guide: &Guide, added: &[crate::bookkeeping::BibAddition]) -> Vec<Finding> {
    let mut out = Vec::new();
    for key in &guide.citation_keys {
        let line = guide.key_lines.get(key).copied();
        match book.bib.status(key) {
            KeyStatus::Found => {}
            KeyStatus::CaseMismatch(actual) => out.push(
                Finding::new(Code::CitationKeyCase, format!(
                        "citation key `{key}` matches bibliography entry `{actual}` only when letter case is ignored; the inserted text cites `{actual}`"
                    ),
                )
                .at(&guide.path, line)
                .help(format!("write the key as `{actual}` in the guide")),
            ),
            KeyStatus::Missing => match added.iter().find(|a| a.key == *key) {
                Some(a) => out.push(
                    Finding::new(Code::CitationKeyAdded, format!("citation key `{key}` is not in the bibliography; its entry from {} is added to {}", a.source, a.bib_path),
                    )
                    .at(&guide.path, line),
                ),
                None => out.push(
                    Finding::new(Code::CitationKeyMissing, format!("citation key `{key}` has no bibliography entry in the book"),
                    )
                    .at(&guide.path, line)
                    .help(match similar_keys(book, key).as_slice() {
                        [] => "add the entry to a .bib file of the book, or to a ```bibtex block of the guide".to_string(),
                        similar => format!(
                            "add the entry to a .bib file of the book, or cite an existing entry: {}",
                            similar.join(", ")
                        ),
                    }),
                ),
            },
        }
    }
    out
}

/// Bibliography keys that share `key`'s author-and-year prefix (`Keller2024MetabolicCPET`
/// -> `Keller2024CPET`), case-insensitively; at most five, sorted.
fn similar_keys(book: &Store, key: &str) -> Vec<String> {
    let alpha = key.chars().take_while(|c| c.is_alphabetic()).count();
    let digits = key.chars().skip(alpha).take_while(|c| c.is_ascii_digit()).count();
    if alpha == 0 || digits < 4 {
        return Vec::new();
    }
    let prefix: String = key.chars().take(alpha + digits).collect::<String>().to_lowercase();
    book.bib
        .entries
        .keys()
        .filter(|k| k.to_lowercase().starts_with(&prefix))
        .take(5)
        .map(|k| format!("`{k}`"))
        .collect()
}

/// Where each of `labels` is already defined in the book, as `(label, path, line)`.
pub fn existing_labels(book: &Store, labels: &[String]) -> Vec<(String, String, usize)> {
    labels.iter().flat_map(|l| book.find_label(l).into_iter().map(move |(p, line)| (l.clone(), p, line))).collect()
}

/// `worktree-differs`: the work-tree copy of a file the diff changes differs from the
/// base revision the diff is made against.
pub fn worktree_drift(book: &Store, path: &str) -> Option<Finding> {
    book.git.as_ref()?.base?;
    let base = book.sources.get(path)?;
    let disk = book.disk_text(path)?;
    // Line endings may differ by checkout filters (`.gitattributes` eol, autocrlf): only a
    // difference in content counts.
    let unify = |b: &[u8]| String::from_utf8_lossy(b).replace("\r\n", "\n");
    (unify(&disk) != unify(base.as_bytes())).then(|| {
        let base = book.git.as_ref().map_or("the base revision", |g| g.base_rev.as_str());
        Finding::new(
            Code::WorktreeDiffers,
            format!(
                "the work-tree copy of {path} has uncommitted edits; the diff is made against {base}, without them"
            ),
        )
        .at(path, None)
        .help("commit or stash your edits first, or pass --base")
    })
}
