//! What a literature folder's (or guide file's) name gives: the branch slug
//! ([`branch_slug`], made distinct over one run by [`distinct_slugs`]; [`slugify`] for the
//! ASCII form), the citation key the name points at ([`key_from_folder_name`]) and the
//! paper's subject ([`paper_subject`]). Reading the folder's files is left to `files`.

use std::collections::BTreeSet;
use std::path::Path;

use regex::Regex;

use super::files::GuideFiles;
use super::model::Guide;
use crate::finding::{Code, Finding};

/// The citation key a literature folder's name points at (`Keller_2024_MetabolicCPET`,
/// `Cervenka2017_Kynurenines`): the bibliography keys that start with the author (any
/// case) and hold the year; with several, the one sharing most title words with the
/// folder name; `None` when there is none or the best is tied.
pub fn key_from_folder_name(folder: &str, bib: &crate::bib::Bibliography) -> Option<String> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^(\p{L}[\p{L}-]*?)[_-]?((?:19|20)\d\d)[_-]?(.*)$").unwrap());
    let c = re.captures(folder)?;
    let (author, year, title) = (c[1].to_lowercase().replace('-', ""), &c[2], &c[3]);
    let title_terms = crate::text::terms(&split_camel(title));
    let mut scored: Vec<(usize, &String)> = bib
        .entries
        .keys()
        .filter(|k| k.to_lowercase().replace('-', "").starts_with(&author) && k.contains(year))
        .map(|k| {
            // Title words found in the key's tail, written together or apart
            // (`GLP1immune` holds `glp1` and `immune`).
            let rest = k.split(year).nth(1).unwrap_or("").to_lowercase();
            (title_terms.iter().filter(|t| t.len() > 2 && rest.contains(t.as_str())).count(), k)
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    match scored.as_slice() {
        [] => None,
        [(_, k)] => Some((*k).clone()),
        [(a, k), (b, _), ..] if a > b => Some((*k).clone()),
        _ => None,
    }
}

/// For a guide that names no citation key: the key its literature folder's name points at
/// (see [`key_from_folder_name`]), given to the guide and its targets, with an info finding
/// saying where it came from instead of `guide-no-citation-keys`.
pub fn key_from_folder(guide: &mut Guide, folder: &Path, bib: &crate::bib::Bibliography) {
    if !guide.citation_keys.is_empty() {
        return;
    }
    let Some(name) = folder.file_name().map(|n| n.to_string_lossy().to_string()) else { return };
    let Some(key) = key_from_folder_name(&name, bib) else { return };
    guide.findings.retain(|f| f.code != Code::GuideNoCitationKeys);
    guide.findings.push(
        Finding::new(Code::CitationKeyFromFolder, format!("the guide names no citation key; using `{key}`, the bibliography entry the folder name `{name}` points at"),
        )
        .at(&guide.path, Some(1))
        .help("name the key in the guide (`**BibTeX key:** `Key2024``)"),
    );
    guide.citation_keys = vec![key.clone()];
    for t in &mut guide.targets {
        t.keys = vec![key.clone()];
    }
}

/// The subject of a literature folder named `Author_Year_Subject` (`Montoya_2013_Valganciclovir`
/// -> "Valganciclovir", `Keller_2024_MetabolicResponses` -> "Metabolic Responses"); `None` for
/// other names.
pub fn paper_subject(folder: &str) -> Option<String> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^\p{Lu}[\p{L}-]*[_-]((?:19|20)\d\d)[a-z]?[_-](.+)$").unwrap());
    let subject = split_camel(&re.captures(folder)?[2]);
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    (!subject.is_empty()).then_some(subject)
}

/// `MetabolicCPETResponses` -> `Metabolic CPET Responses`.
pub(super) fn split_camel(s: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
        if i > 0 && c.is_uppercase() && (chars[i - 1].is_lowercase() || next_lower) {
            out.push(' ');
        }
        out.push(if c == '_' || c == '-' { ' ' } else { c });
    }
    out
}

/// Branch slug: the literature folder's name, else the guide file's stem, by [`branch_slug`].
pub(super) fn slug_of(files: &GuideFiles, rel_path: &str) -> String {
    let from_folder = files
        .guide
        .as_ref()
        .is_none_or(|g| g.file_name().is_some_and(|n| n.eq_ignore_ascii_case("integration-guide.md")));
    let raw = if from_folder { files.folder.file_name().map(|n| n.to_string_lossy().to_string()) } else { None }
        .unwrap_or_else(|| {
            let name = rel_path.rsplit('/').next().unwrap_or(rel_path);
            name.trim_end_matches(".md").to_string()
        });
    branch_slug(&raw)
}

/// A branch name part from a folder or file name: NFC-normalised and lowercased, letters
/// and digits of every script kept with their combining marks (git allows them in ref names,
/// `git check-ref-format`), other runs become one `-`; `guide` when nothing is left.
pub fn branch_slug(raw: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::new();
    for c in raw.nfc() {
        if c.is_alphanumeric() || (unicode_normalization::char::is_combining_mark(c) && !out.is_empty()) {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    // Letters git refuses in a ref name are none of these, but a name it refuses is never
    // made: the ASCII slug stands in.
    if out.is_empty() || !git2::Reference::is_valid_name(&format!("refs/heads/{out}")) {
        return slugify(raw);
    }
    out
}

/// Makes the slugs of `guides` (one run's) distinct: of guides sharing a slug, the one
/// with the first path keeps it and the others get `-2`, `-3`, ... in path order (a number
/// another guide's slug already holds is skipped).
pub fn distinct_slugs(guides: &mut [Guide]) {
    let mut order: Vec<usize> = (0..guides.len()).collect();
    order.sort_by(|&a, &b| guides[a].path.cmp(&guides[b].path));
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let all: BTreeSet<String> = guides.iter().map(|g| g.slug.clone()).collect();
    for i in order {
        let slug = guides[i].slug.clone();
        if taken.insert(slug.clone()) {
            continue;
        }
        let mut n = 2;
        while all.contains(&format!("{slug}-{n}")) || taken.contains(&format!("{slug}-{n}")) {
            n += 1;
        }
        guides[i].slug = format!("{slug}-{n}");
        taken.insert(guides[i].slug.clone());
    }
}

/// Lowercase ASCII slug: alphanumerics kept, other runs become one `-`.
pub fn slugify(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "guide".into()
    } else {
        out
    }
}
