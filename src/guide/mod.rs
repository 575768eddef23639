//! Integration guides and key-findings files -> [`Guide`].
//!
//! Reads the per-paper template (`## Paper Citation Key` + `**BibTeX key:**`;
//! `### Primary/Secondary/... Target:` blocks with `**File:**`, `**Section hint:**`,
//! `**Environment type:**`, `**Rationale:**` and a fenced snippet), ```bibtex fences, and
//! citation keys that appear only inside snippets. Key findings give the numbered main
//! findings, limitations, sample size / design / certainty and, for folders without a
//! guide, the "Integration Points" that become targets.
//!
//! Markdown structure comes from pulldown-cmark (so headings inside fences or HTML blocks
//! are not headings); `**Field:**` lines are read from the source of paragraphs and list
//! items. Parsing never fails on content: what is not understood becomes a finding.
//! Resolving targets to files and placing them are later stages.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::finding::{Code, Finding};
use crate::rules::{GuideRules, Rules};
use crate::text::LineIndex;

use key_findings::targets_from_integration_points;
pub use key_findings::{parse_key_findings, KeyFindings};
use markdown::{blocks, field_captures, field_is, plain_field_captures, quoted_or_whole, strip_md, Block};

mod key_findings;
mod loose;
mod markdown;

/// The markup of a snippet or chapter file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Markup {
    /// LaTeX (`.tex`).
    Latex,
    /// Typst (`.typ`).
    Typst,
    /// Markdown (`.md`).
    Markdown,
}

impl Markup {
    /// The markup of a fence info string (`latex`, `tex`, `typst`, `typ`, `markdown`, `md`).
    pub fn from_fence(info: &str) -> Option<Self> {
        match info.split_whitespace().next().unwrap_or("").to_lowercase().as_str() {
            "latex" | "tex" => Some(Markup::Latex),
            "typst" | "typ" => Some(Markup::Typst),
            "markdown" | "md" => Some(Markup::Markdown),
            _ => None,
        }
    }

    /// The markup of a file by its extension.
    pub fn from_path(path: &str) -> Option<Self> {
        let ext = path.rsplit_once('.')?.1;
        let is = |e: &str| ext.eq_ignore_ascii_case(e);
        if is("tex") || is("ltx") {
            Some(Markup::Latex)
        } else if is("typ") {
            Some(Markup::Typst)
        } else if is("md") {
            Some(Markup::Markdown)
        } else {
            None
        }
    }
}

/// A snippet the guide suggests for one target.
#[derive(Debug, Clone, Serialize)]
pub struct Snippet {
    /// The snippet's markup; `None` for a bare fence whose content gives no clue.
    pub language: Option<Markup>,
    /// The snippet text as written in the guide, without the fence.
    pub text: String,
    /// 1-based line of the opening fence in the guide.
    pub line: usize,
}

/// One target of a guide: a file hint and what to put there.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Target {
    /// 1 = primary, 2 = secondary, ...; targets without a rank word count on in order.
    pub rank: usize,
    /// The file hint exactly as written (`**File:**`, else the heading's file name).
    pub file_hint: Option<String>,
    /// The target heading's text after "Primary Target:", e.g. "Chapter 6 - Mitochondria".
    pub title_hint: String,
    /// Section hints: each quoted alternative, or the whole value when nothing is quoted.
    pub section_hints: Vec<String>,
    /// The environment wording as written.
    pub environment_raw: Option<String>,
    /// The canonical environment name (`rules/environments.toml`).
    pub environment: Option<String>,
    /// Why this target; used as placement context.
    pub rationale: Option<String>,
    /// The suggested snippet, if any.
    pub snippet: Option<Snippet>,
    /// The guide asks for a new section here (`**New subsection:** Title`, a hint saying
    /// "add a new subsection", or a snippet opening with a heading): the new heading's title
    /// when the guide gives one, else empty.
    pub new_section: Option<String>,
    /// What the guide asks to change in an existing sentence, as written (`**Edit:** Add
    /// @Key at the end of this sentence`, a `**Suggested inline citation:**` lead-in).
    pub edit: Option<String>,
    /// The rank of the earlier target whose file this one says it shares (`**File:** Same as
    /// above`, a `### Secondary Target: Same file — X` heading): the nearest one before it
    /// that names a file of its own. Placement puts it right after that target when nothing
    /// else says where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follows: Option<usize>,
    /// For a later snippet of a target's block (a `### Chapter: X` block with one `**Section
    /// hint:**` and several snippets, no heading between): the block's section hints. They
    /// place the snippet like its own hints but are not part of its relevance context.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub block_hints: Vec<String>,
    /// The citation keys this target cites: in a guide covering several papers, those of
    /// the paper section (`## Paper 2: ...`) the target sits in; else every key of the guide.
    pub keys: Vec<String>,
    /// 1-based line of the heading (or field) that opened the target in `source`.
    pub line: usize,
    /// The file the target was read from, relative to the book root.
    pub source: String,
}

/// A guide (or key-findings file) as the tool understood it.
#[derive(Debug, Clone, Serialize)]
pub struct Guide {
    /// The guide file, relative to the book root (`/` separators).
    pub path: String,
    /// Branch slug: the literature folder's name, else the guide's file stem, lowercased.
    pub slug: String,
    /// Citation keys in order of first mention, without duplicates.
    pub citation_keys: Vec<String>,
    /// Targets in rank order.
    pub targets: Vec<Target>,
    /// Key findings, when the folder has a `key-findings.md`.
    pub key_findings: Option<KeyFindings>,
    /// Full BibTeX entries the literature input supplies (```bibtex fences of the guide,
    /// `.bib` files of its folder), for adding to the bibliography.
    pub bib_entries: Vec<SuppliedEntry>,
    /// 1-based line of each citation key's first mention in the guide.
    pub key_lines: BTreeMap<String, usize>,
    /// Phrases the guide says to avoid ("✗" lines), with their 1-based line in the guide.
    pub avoid: Vec<(String, usize)>,
    /// Certainty the guide states (`**Certainty:** 0.55 (Medium)`), as written.
    pub certainty: Option<String>,
    /// The guide says it adds sections to the book ([`says_new_section`] anywhere in its
    /// text: `**Section: X (ADD NEW)**`, "new subsections", "no current section covers"):
    /// a target of it whose hints name no heading is taken for one of them.
    pub adds_sections: bool,
    /// What the parser could not understand.
    pub findings: Vec<Finding>,
}

/// A bibliography entry supplied by a guide or its folder.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SuppliedEntry {
    /// Its citation key.
    pub key: String,
    /// The whole entry as written (`@article{Key, ...}`), trimmed.
    pub text: String,
    /// Where it was found: the guide or the folder's .bib file, relative to the book root.
    pub source: String,
}

/// The files that make up one literature input: the guide and its companions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuideFiles {
    /// The integration guide, if any.
    pub guide: Option<PathBuf>,
    /// `key-findings.md`, if any.
    pub key_findings: Option<PathBuf>,
    /// The literature folder (or the guide's folder).
    pub folder: PathBuf,
}

/// Finds the guide files for a command-line PATH: a guide file, a `key-findings.md`, or a
/// literature folder (its `integration-guide.md`, else any `*integration*guide*.md`,
/// case-insensitively; plus `key-findings.md`).
///
/// # Errors
/// [`Error::Io`] when PATH does not exist or its folder cannot be listed;
/// [`Error::Usage`] when a folder holds neither a guide nor key findings.
pub fn locate(path: &Path) -> Result<GuideFiles> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io("read", path, e))?;
    if meta.is_dir() {
        let names = crate::walk::files_in(path)?;
        let lower = |p: &PathBuf| p.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
        let guide = names
            .iter()
            .find(|p| lower(p) == "integration-guide.md")
            .or_else(|| names.iter().find(|p| is_guide_name(&lower(p))))
            .cloned();
        let key_findings = names.iter().find(|p| lower(p) == "key-findings.md").cloned();
        if guide.is_none() && key_findings.is_none() {
            return Err(Error::Usage(format!(
                "{}: no integration guide (integration-guide.md or *integration*guide*.md) and no key-findings.md in this folder",
                path.display()
            )));
        }
        return Ok(GuideFiles { guide, key_findings, folder: path.to_path_buf() });
    }
    let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    if name == "key-findings.md" {
        return Ok(GuideFiles { guide: None, key_findings: Some(path.to_path_buf()), folder });
    }
    let kf = folder.join("key-findings.md");
    // A standalone guide beside other guides (ops/integration-guides/) has no key findings.
    let key_findings = (name == "integration-guide.md" && kf.is_file()).then_some(kf);
    Ok(GuideFiles { guide: Some(path.to_path_buf()), key_findings, folder })
}

/// True for file names (lowercase) of the form `*integration*guide*.md`.
pub fn is_guide_name(lower_name: &str) -> bool {
    lower_name.ends_with(".md")
        && lower_name.find("integration").is_some_and(|i| lower_name[i + "integration".len()..].contains("guide"))
}

/// Reads a guide and its key findings from the book at `root` (a real path). Paths are
/// shown relative to it ([`crate::disk::shown`]).
///
/// Only regular files inside the book are read ([`crate::disk::read_in`]): a guide or
/// key-findings file that is a symlink leading out of the book (or sits in a folder that is
/// one), or is not a regular file, gives a guide holding only that `path-outside-book` or
/// `file-not-regular` finding; such a `.bib` file of the folder gives the finding and no
/// entries.
///
/// # Errors
/// [`Error::Io`] when a file cannot be read. Content problems are findings in the result.
pub fn load(files: &GuideFiles, rules: &Rules, root: &Path) -> Result<Guide> {
    let rel = |p: &Path| crate::disk::shown(root, p);
    for p in files.guide.iter().chain(&files.key_findings) {
        if let Err(refusal) = crate::disk::inside(root, p) {
            if let Some(f) = refusal.finding(&rel(p)) {
                let path = rel(files.guide.as_ref().unwrap_or(p));
                let mut g = empty_guide(&path);
                g.slug = slug_of(files, &path);
                g.findings.push(f);
                return Ok(g);
            }
        }
    }
    let mut not_utf8 = Vec::new();
    let mut read = |p: &Path| -> Result<String> {
        let bytes = crate::disk::read_in(root, p).map_err(|r| match r {
            crate::disk::Refusal::Unreadable(e) => Error::io("read", p, e),
            refused => Error::Usage(format!("{}: {refused}; it was not read", rel(p))),
        })?;
        if std::str::from_utf8(&bytes).is_err() {
            not_utf8.push(rel(p));
        }
        Ok(String::from_utf8_lossy(&bytes).trim_start_matches('\u{feff}').to_string())
    };
    let key_findings = match &files.key_findings {
        Some(p) => Some(parse_key_findings(&read(p)?, &rules.guide)),
        None => None,
    };
    let (path, mut guide) = match &files.guide {
        Some(p) => {
            let rel_path = rel(p);
            (rel_path.clone(), parse_guide(&read(p)?, &rel_path, rules))
        }
        None => {
            // A key-findings file may hold guide-style targets; else its Integration Points.
            let p = files.key_findings.as_ref().expect("locate gives a guide or key findings");
            let rel_path = rel(p);
            let mut g = read_guide(&read(p)?, &rel_path, rules, false);
            if let Some(kf) = key_findings.as_ref().filter(|_| g.targets.is_empty()) {
                g.targets = targets_from_integration_points(kf, &rel_path, rules);
                g.findings.retain(|f| f.code != Code::TargetFileMissing);
            }
            if g.citation_keys.is_empty() {
                g.citation_keys = key_findings.as_ref().map(|kf| keys_in_text(&kf.text)).unwrap_or_default();
            }
            // The key is usually not in key-findings.md: the folder's guide or README has it.
            if g.citation_keys.is_empty() {
                g.citation_keys = sibling_keys(&files.folder, rules, root);
            }
            (rel_path, g)
        }
    };
    for p in not_utf8 {
        guide.findings.push(
            Finding::new(
                Code::GuideNotUtf8,
                "the file is not UTF-8 text; its invalid bytes would be inserted as U+FFFD",
            )
            .at(p, None)
            .help("convert the file to UTF-8"),
        );
    }
    // A literature folder's own .bib files supply entries too (`new-refs.bib`).
    let own_folder = files
        .guide
        .as_ref()
        .is_none_or(|g| g.file_name().is_some_and(|n| n.eq_ignore_ascii_case("integration-guide.md")))
        || files.folder.join("key-findings.md").is_file();
    if own_folder {
        let mut bibs: Vec<PathBuf> = std::fs::read_dir(&files.folder)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "bib"))
                    .collect()
            })
            .unwrap_or_default();
        bibs.sort();
        for bib in bibs {
            let bytes = match crate::disk::read_in(root, &bib) {
                Ok(bytes) => bytes,
                Err(crate::disk::Refusal::Unreadable(e)) => return Err(Error::io("read", &bib, e)),
                Err(refused) => {
                    guide.findings.extend(refused.finding(&rel(&bib)));
                    continue;
                }
            };
            let text = String::from_utf8_lossy(&bytes);
            for (key, entry) in bibtex_entries(&text) {
                if !guide.bib_entries.iter().any(|e| e.key == key) {
                    guide.bib_entries.push(SuppliedEntry { key, text: entry, source: rel(&bib) });
                }
            }
        }
    }
    for t in guide.targets.iter_mut().filter(|t| t.keys.is_empty()) {
        t.keys = guide.citation_keys.clone();
    }
    guide.slug = slug_of(files, &path);
    guide.key_findings = key_findings;
    if guide.targets.is_empty() {
        guide.findings.push(
            Finding::new(Code::GuideNoTargets, "the guide names no target chapter")
                .at(&path, Some(1))
                .help("add a `### Primary Target:` heading with a `**File:**` line, or an Integration Points section to key-findings.md"),
        );
    }
    if guide.citation_keys.is_empty() {
        guide.findings.push(
            Finding::new(Code::GuideNoCitationKeys, "the guide names no citation key")
                .at(&path, Some(1))
                .help("add `**BibTeX key:** `Key2024`` under `## Paper Citation Key`"),
        );
    }
    Ok(guide)
}

fn empty_guide(path: &str) -> Guide {
    Guide {
        path: path.to_string(),
        slug: String::new(),
        citation_keys: Vec::new(),
        targets: Vec::new(),
        key_findings: None,
        bib_entries: Vec::new(),
        key_lines: BTreeMap::new(),
        avoid: Vec::new(),
        certainty: None,
        adds_sections: false,
        findings: Vec::new(),
    }
}

/// Citation keys of a literature folder's integration guide, else of its README (its
/// `**BibTeX key:**` fields, key tables and `@Key` citations); empty when neither has any.
/// Only files inside the book at `root` are read ([`crate::disk::read_in`]).
fn sibling_keys(folder: &Path, rules: &Rules, root: &Path) -> Vec<String> {
    let guide = locate(folder).ok().and_then(|f| f.guide);
    let readme = Some(folder.join("README.md")).filter(|p| p.is_file());
    for file in [guide, readme].into_iter().flatten() {
        let Ok(bytes) = crate::disk::read_in(root, &file) else { continue };
        let keys = parse_guide(&String::from_utf8_lossy(&bytes), "", rules).citation_keys;
        if !keys.is_empty() {
            return keys;
        }
    }
    Vec::new()
}

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
fn split_camel(s: &str) -> String {
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
fn slug_of(files: &GuideFiles, rel_path: &str) -> String {
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

/// The rank of a field that names a target by rank (`Primary`, `Secondary target`,
/// `Primary chapter`); `None` for other fields.
fn rank_field(name: &str, g: &GuideRules) -> Option<usize> {
    let lower = name.trim().trim_end_matches(':').trim().to_lowercase();
    let mut words = lower.split_whitespace();
    let first = words.next()?;
    let rest: Vec<&str> = words.collect();
    let rank = g.headings.rank_words.iter().position(|w| w == first)? + 1;
    matches!(
        rest.as_slice(),
        [] | ["target"] | ["chapter"] | ["file"] | ["target", "file"] | ["location"] | ["placement"]
    )
    .then_some(rank)
}

/// True for a line that continues the field value on the line before it: text of the
/// same paragraph, not another field, list item, table row, heading, fence or quote.
fn continues_value(line: &str) -> bool {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let numbered = RE.get_or_init(|| Regex::new(r"^\d+[.)]\s").unwrap());
    let t = line.trim();
    !t.is_empty()
        && !t.starts_with(['-', '*', '+', '|', '#', '`', '>', '<', '\\'])
        && !numbered.is_match(t)
        && field_captures(line).is_none()
        && plain_field_captures(line).is_none()
}

/// A file hint from a field value: a backticked span, else a file name in the text, else
/// the text before a dash or parenthesis (a chapter name, resolved by title).
fn file_value(value: &str) -> String {
    if value.contains('`') {
        return path_value(value);
    }
    if let Some(f) = file_in_text(value) {
        return f;
    }
    let head = value.split(" — ").next().unwrap_or(value);
    head.split(" (").next().unwrap_or(head).trim().to_string()
}

/// The first backticked span of a field value, else the value up to a parenthesis.
fn path_value(value: &str) -> String {
    if let Some(start) = value.find('`') {
        if let Some(len) = value[start + 1..].find('`') {
            // `a.tex, b.typ` names several files: the first is the target.
            let span = value[start + 1..start + 1 + len].trim();
            return span.split([',', ';']).next().unwrap_or(span).trim().to_string();
        }
    }
    value.split(" (").next().unwrap_or(value).trim().to_string()
}

/// A file name in a heading ("Primary Target: ch14b-plans.tex (if exists)").
fn file_in_text(text: &str) -> Option<String> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"[A-Za-z0-9_./\-]+\.(?:tex|typ|md)\b").unwrap());
    re.find(text).map(|m| m.as_str().to_string())
}

/// Citation keys in LaTeX `\cite{a,b}` (any natbib/biblatex variant) and Typst `@key` forms.
pub fn keys_in_snippet(text: &str) -> Vec<String> {
    static LATEX: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    static TYPST: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let latex =
        LATEX.get_or_init(|| Regex::new(r"\\[A-Za-z]*cite[A-Za-z]*\*?(?:\s*\[[^\]]*\]){0,2}\s*\{([^}]*)\}").unwrap());
    let typst = TYPST.get_or_init(|| Regex::new(r"(?:^|[\s(\[~])@([A-Za-z][A-Za-z0-9_:\-./+]*[A-Za-z0-9_])").unwrap());
    let mut keys = Vec::new();
    for c in latex.captures_iter(text) {
        keys.extend(c[1].split(',').map(|k| k.trim().to_string()).filter(|k| !k.is_empty()));
    }
    if !text.contains("\\begin{") && !text.contains("\\cite") {
        for c in typst.captures_iter(text) {
            let key = c[1].to_string();
            // `@sec:x` and friends are cross-references, not citations.
            if !key.contains(':') || key.split(':').next().is_some_and(|p| p.len() > 5) {
                keys.push(key);
            }
        }
    }
    keys
}

/// Keys written as `Key2024` in backticks inside prose (key-findings files).
fn keys_in_text(text: &str) -> Vec<String> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"`([A-Z][A-Za-z]+[0-9]{4}[A-Za-z0-9_:\-]*)`").unwrap());
    let mut seen = BTreeSet::new();
    re.captures_iter(text).map(|c| c[1].to_string()).filter(|k| seen.insert(k.clone())).collect()
}

fn push_key(keys: &mut Vec<String>, key: &str) {
    let key = key.trim().trim_matches(['`', '{', '}', ',', ';']).trim().trim_start_matches('@');
    let valid = !key.is_empty() && !key.contains(char::is_whitespace) && key.chars().any(|c| c.is_ascii_alphanumeric());
    if valid && !keys.iter().any(|k| k == key) {
        keys.push(key.to_string());
    }
}

/// The rank of a target heading, and the rest of its text, or `None` when the heading does
/// not open a target.
fn target_heading(text: &str, rules: &GuideRules) -> Option<(Option<usize>, String)> {
    // Case-insensitive prefix test on the original text: lowercasing may change byte
    // lengths, so offsets are never carried from a lowercased copy.
    let strip = |s: &'_ str, prefix: &str| -> Option<usize> {
        s.get(..prefix.len()).filter(|p| p.eq_ignore_ascii_case(prefix)).map(|_| prefix.len())
    };
    let tail_of = |rest: &str| {
        rest.trim_start_matches(|c: char| c == ':' || c == '—' || c == '-' || c.is_whitespace() || c.is_ascii_digit())
            .trim()
            .to_string()
    };
    for (i, word) in rules.headings.rank_words.iter().enumerate() {
        let Some(n) = strip(text, word) else { continue };
        let rest = text[n..].trim_start();
        let after = match strip(rest, "target") {
            Some(m) => &rest[m..],
            None if rest.starts_with([':', '—', '-']) => rest,
            None => continue,
        };
        return Some((Some(i + 1), tail_of(after)));
    }
    for prefix in &rules.headings.target_prefixes {
        if let Some(n) = strip(text, prefix) {
            return Some((None, tail_of(&text[n..])));
        }
    }
    None
}

/// Parses an integration guide. `path` is the guide's path relative to the book root.
/// A guide without target headings, fields or tables is read a second time for the files
/// and snippets it names in other ways (see `guide::loose`).
pub fn parse_guide(text: &str, path: &str, rules: &Rules) -> Guide {
    read_guide(text, path, rules, true)
}

/// [`parse_guide`]; `loose` allows the second reading (key-findings files have their own:
/// the Integration Points).
fn read_guide(text: &str, path: &str, rules: &Rules, loose: bool) -> Guide {
    let g = &rules.guide;
    let mut guide = empty_guide(path);
    let mut keys = Vec::new();
    let mut targets: Vec<Target> = Vec::new();
    // The level of the heading that opened the current target; `None` outside targets.
    let mut open: Option<u8> = None;
    let mut in_key_section: Option<u8> = None;
    let mut current_level: u8 = 0;
    let mut current_heading_text = String::new();
    // The last line of prose before the current block ("**Alternative inline version:**").
    let mut previous_text = String::new();
    // Whether the open target already took a `**File:**` line (a heading's file name may be
    // replaced by one; a second `**File:**` starts the next target).
    let mut file_field_seen = false;
    let idx = LineIndex::new(text);
    // First lines of the guide's parts (headings of level 1 and 2): papers in a batch guide.
    let mut part_starts: Vec<usize> = vec![1];
    // Targets read from tables with a file column, used when nothing else names a target.
    let mut table_targets: Vec<Target> = Vec::new();
    let mut claim_targets: Vec<Target> = Vec::new();
    // Targets opened by a sub-heading of a target; dropped when they get no snippet.
    let mut sub_targets: Vec<usize> = Vec::new();
    // Last line of an unfenced Typst block taken as a snippet: its paragraphs are read.
    let mut skip_until = 0usize;
    // Lines of targets opened by a bare `**File:**` field, not by a heading.
    let mut bare_file_lines: Vec<usize> = Vec::new();
    // Sub-targets whose heading hint a hint field replaced.
    let mut hinted_sub: Vec<usize> = Vec::new();
    // No heading since the last target was opened: its block's hints hold for every snippet.
    let mut in_target_block = false;

    let new_target = |rank: Option<usize>, title: String, line: usize, n: usize| Target {
        rank: rank.unwrap_or(n + 1),
        file_hint: file_in_text(&title),
        title_hint: title,
        section_hints: Vec::new(),
        environment_raw: None,
        environment: None,
        rationale: None,
        snippet: None,
        new_section: None,
        edit: None,
        follows: None,
        block_hints: Vec::new(),
        keys: Vec::new(),
        line,
        source: path.to_string(),
    };

    for block in blocks(text) {
        match block {
            Block::Heading { level, text: htext, line } => {
                if level <= 2 {
                    part_starts.push(line);
                }
                let targets_before = targets.len();
                current_level = level;
                current_heading_text = htext.clone();
                previous_text.clear();
                if open.is_some_and(|l| l != u8::MAX && level <= l) {
                    open = None;
                }
                if in_key_section.is_some_and(|l| level <= l) {
                    in_key_section = None;
                }
                let lower = htext.to_lowercase();
                if g.headings.citation_keys.iter().any(|h| htext.eq_ignore_ascii_case(h))
                    || g.headings.citation_key_phrases.iter().any(|p| lower.contains(&p.to_lowercase()))
                {
                    in_key_section = Some(level);
                    continue;
                }
                if let Some((rank, title)) = target_heading(&htext, g) {
                    targets.push(new_target(rank, title, line, targets.len()));
                    open = Some(level);
                    file_field_seen = false;
                } else if let Some(file) = file_in_text(&htext).filter(|_| {
                    level >= 2 && heading_field(&htext).is_none_or(|(n, _)| !field_is(&n, &g.fields.section_hint))
                }) {
                    // `## Section 1: ch07-immune-dysfunction.typ - New Content`.
                    let mut t = new_target(None, htext.clone(), line, targets.len());
                    t.file_hint = Some(file);
                    targets.push(t);
                    open = Some(level);
                    file_field_seen = false;
                } else if let Some(shorthand) = chapter_shorthand(&htext).filter(|_| level >= 3) {
                    // `### ch02 — treatment options`: map/report guides name chapters by
                    // number; the hint is the shorthand as written.
                    let mut t = new_target(None, htext.clone(), line, targets.len());
                    t.file_hint = Some(shorthand);
                    targets.push(t);
                    open = Some(level);
                    file_field_seen = false;
                } else if let Some(t) =
                    targets.last().filter(|t| t.snippet.is_some() && open.is_some_and(|l| level > l || l == u8::MAX))
                {
                    // `### Addition 2` under a target that has its snippet already: the
                    // next spot in the same file, with its own fields and snippet.
                    let mut next = t.clone();
                    next.rank = targets.len() + 1;
                    next.line = line;
                    next.title_hint = htext.clone();
                    // The heading names the spot unless a hint field follows.
                    next.section_hints = heading_hint(&htext).into_iter().collect();
                    next.block_hints.clear();
                    next.environment = None;
                    next.environment_raw = None;
                    next.rationale = None;
                    next.snippet = None;
                    targets.push(next);
                    sub_targets.push(targets.len() - 1);
                }
                // A snippet before the next heading sits in the block of the target opened here.
                in_target_block = targets.len() > targets_before;
                // `### Insertion Point: After "X" (around line 56)`: a hint field as heading.
                if let Some((name, value)) = heading_field(&htext) {
                    let last = targets.len().saturating_sub(1);
                    if let Some(t) =
                        targets.last_mut().filter(|_| open.is_some() && field_is(&name, &g.fields.section_hint))
                    {
                        if sub_targets.last() == Some(&last) && !hinted_sub.contains(&last) {
                            t.section_hints.clear();
                            hinted_sub.push(last);
                        }
                        t.section_hints.extend(section_hints(&value));
                    }
                }
            }
            Block::Text { range } if idx.line_of(range.start) <= skip_until => {}
            Block::Text { range }
                if open.is_some() && !targets.is_empty() && unfenced_typst(&text[range.clone()], rules) =>
            {
                // A Typst environment pasted without a fence: it may run over blank lines.
                let end = typst_block_end(text, range.start).unwrap_or(range.end);
                let code = text[range.start..end].trim_end().to_string();
                let line = idx.line_of(range.start);
                skip_until = idx.line_of(end.saturating_sub(1).max(range.start));
                keys_in_snippet(&code).iter().for_each(|k| push_key(&mut keys, k));
                let snippet = Snippet { language: Some(Markup::Typst), text: code, line };
                attach_snippet(&mut targets, snippet, &current_heading_text, &previous_text, in_target_block);
            }
            Block::Text { range } => {
                let src = &text[range.clone()];
                previous_text = src.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").to_string();
                let first_line = idx.line_of(range.start);
                if src.trim_start().starts_with('|') {
                    table_keys(src, first_line, g, path, &mut keys, &mut guide.findings);
                    let claims = claims_in_table(src, first_line, path, g);
                    // A claims table's file column names where each claim is, not a target.
                    if claims.is_empty() {
                        table_targets.extend(targets_in_table(src, first_line, rules, path));
                    }
                    claim_targets.extend(claims);
                }
                let lines: Vec<&str> = src.lines().collect();
                for (i, &line) in lines.iter().enumerate() {
                    let Some(c) = field_captures(line) else {
                        if let (Some(t), Some(c)) =
                            (targets.last_mut().filter(|_| open.is_some()), plain_field_captures(line))
                        {
                            // A plain `Section: ...` line inside a target.
                            if field_is(&c[1], &g.fields.section_hint) {
                                t.section_hints.extend(quoted_or_whole(&c[2]));
                            }
                            continue;
                        }
                        if in_key_section.is_some() {
                            // A bare key list under a key heading: `Key2024`, - Key2024 — ...,
                            // - @Key2024.
                            let bare = line.trim().trim_start_matches(['-', '*', '+']).trim();
                            if bare.starts_with('`') {
                                push_key(&mut keys, bare.split('`').nth(1).unwrap_or(""));
                            } else if let Some(first) = bare.split_whitespace().next().filter(|w| looks_like_key(w)) {
                                push_key(&mut keys, first.trim_end_matches([':', ',', ';']));
                            }
                        }
                        continue;
                    };
                    let (name, value) = (c[1].to_string(), c[2].to_string());
                    let line_no = first_line + i;
                    if field_is(&name, &g.fields.citation_key) {
                        let inner: Vec<&str> = value.split('`').skip(1).step_by(2).collect();
                        if inner.is_empty() {
                            value
                                .split([',', ';'])
                                .for_each(|k| push_key(&mut keys, k.split_whitespace().next().unwrap_or("")));
                        } else {
                            inner.iter().for_each(|k| push_key(&mut keys, k));
                        }
                        continue;
                    }
                    if let Some(rank) = rank_field(&name, g) {
                        // `**Primary:** ch08-x.tex` / `**Primary target:** `path``: a target
                        // that lasts until the next heading at the current level or above.
                        // A value wrapped onto the next lines of its paragraph goes on there
                        // ("... or the pediatric section of / whichever chapter covers ...").
                        let mut title = value.clone();
                        for next in lines[i + 1..].iter().take_while(|l| continues_value(l)) {
                            title.push(' ');
                            title.push_str(next.trim());
                        }
                        let mut t = new_target(Some(rank), title, line_no, targets.len());
                        t.file_hint = Some(file_value(&value)).filter(|v| !v.is_empty());
                        targets.push(t);
                        open = Some(if current_level == 0 { u8::MAX } else { current_level });
                        file_field_seen = false;
                        in_target_block = true;
                        continue;
                    }
                    if field_is(&name, &g.fields.file) {
                        // A `**File:**` outside a target, or in one that already has a file,
                        // opens a new target lasting until the next heading at this level.
                        if open.is_none() || file_field_seen {
                            targets.push(new_target(None, String::new(), line_no, targets.len()));
                            bare_file_lines.push(line_no);
                            open = Some(if current_level == 0 { u8::MAX } else { current_level });
                            in_target_block = true;
                        }
                        file_field_seen = true;
                        if let Some(t) = targets.last_mut() {
                            t.file_hint = Some(path_value(&value)).filter(|v| !v.is_empty());
                        }
                        continue;
                    }
                    let last = targets.len().saturating_sub(1);
                    let Some(t) = targets.last_mut().filter(|_| open.is_some()) else { continue };
                    if field_is(&name, &g.fields.section_hint) {
                        if sub_targets.last() == Some(&last) && !hinted_sub.contains(&last) {
                            t.section_hints.clear();
                            hinted_sub.push(last);
                        }
                        t.section_hints.extend(section_hints(&value));
                    } else if field_is(&name, &g.fields.environment) {
                        t.environment = rules.environments.normalize(&value);
                        t.environment_raw = Some(value.trim().to_string());
                    } else if field_is(&name, &g.fields.rationale) {
                        t.rationale = Some(value.trim().to_string());
                    } else if field_is(&name, &g.fields.new_section) {
                        t.new_section = Some(new_heading_title(&value));
                    } else if field_is(&name, &g.fields.edit) {
                        t.edit = Some(strip_md(value.trim()));
                    } else if names_a_spot(&value) {
                        // `**Suggested addition** (after the X paragraph at ~line 327):`.
                        t.section_hints.extend(section_hints(value.trim().trim_end_matches(':')));
                    }
                }
            }
            Block::Code { info, text: code, line, fenced, closed } => {
                if !closed {
                    guide.findings.push(
                        Finding::new(Code::SnippetFenceUnclosed, "this code fence is never closed: everything after it up to the end of the guide is part of it",
                        )
                        .at(path, Some(line))
                        .help("close the fence with ``` on its own line"),
                    );
                }
                let lang = info.split_whitespace().next().unwrap_or("").to_lowercase();
                if lang == "bibtex" || lang == "bib" {
                    for (key, entry) in bibtex_entries(&code) {
                        push_key(&mut keys, &key);
                        guide.bib_entries.push(SuppliedEntry { key, text: entry, source: path.to_string() });
                    }
                    continue;
                }
                if in_key_section.is_some() && open.is_none() {
                    code.lines().for_each(|l| push_key(&mut keys, l));
                    continue;
                }
                let language = Markup::from_fence(&info).or_else(|| sniff_markup(&code));
                let is_snippet = fenced && (language.is_some() || lang.is_empty());
                if is_snippet && open.is_some() && !targets.is_empty() {
                    keys_in_snippet(&code).iter().for_each(|k| push_key(&mut keys, k));
                    let snippet = Snippet { language, text: code, line };
                    attach_snippet(&mut targets, snippet, &current_heading_text, &previous_text, in_target_block);
                    // `**Suggested inline citation:**` before the fence: the snippet edits a
                    // sentence in place.
                    if previous_text.to_lowercase().contains("inline citation") {
                        if let Some(t) = targets.last_mut() {
                            t.edit.get_or_insert_with(|| strip_md(previous_text.trim()));
                        }
                    }
                }
            }
        }
    }
    if targets.is_empty() {
        targets = table_targets;
        for (i, t) in targets.iter_mut().enumerate() {
            t.rank = i + 1;
        }
    }
    if targets.is_empty() && loose {
        // No target heading, field or table: the guide names its files in other ways.
        targets = loose::loose_targets(text, path, rules);
        loose::snippet_keys(&targets).iter().for_each(|k| push_key(&mut keys, k));
    }
    // Claims to cite are in the file their row names, else in the one the guide's targets
    // name; a claim with neither is left out.
    let guide_file = targets.iter().find_map(|t| t.file_hint.clone());
    for mut t in claim_targets {
        t.file_hint = t.file_hint.or_else(|| guide_file.clone());
        if t.file_hint.is_some() {
            t.rank = targets.len() + 1;
            targets.push(t);
        }
    }
    let mut index = 0;
    targets.retain(|t| {
        index += 1;
        !sub_targets.contains(&(index - 1)) || t.snippet.is_some()
    });
    // "Same as above" / "same file" name the file of the target before.
    let mut own_file: Option<usize> = None;
    for t in &mut targets {
        let same_value = t.file_hint.as_deref().is_some_and(|h| says_same_file(h, &g.headings.same_file, true));
        if same_value {
            t.file_hint = None;
        }
        if same_value || says_same_file(&t.title_hint, &g.headings.same_file, false) {
            t.follows = own_file;
        } else if t.file_hint.is_some() {
            own_file = Some(t.rank);
        }
    }
    // A target without a file goes to the file of the target before it (a guide's later
    // targets often only name another spot in the same chapter).
    let mut previous: Option<String> = targets.iter().find_map(|t| t.file_hint.clone());
    for t in &mut targets {
        match (&t.file_hint, &previous) {
            (Some(f), _) => previous = Some(f.clone()),
            (None, Some(f)) => {
                guide.findings.push(
                    Finding::new(
                        Code::TargetFileInferred,
                        format!(
                            "target {} names no file; using `{f}` from the target before it",
                            describe_rank(t.rank)
                        ),
                    )
                    .at(path, Some(t.line))
                    .help("add a `**File:**` line to the target"),
                );
                t.file_hint = Some(f.clone());
            }
            (None, None) => {}
        }
    }
    // A bare `**File:**` line before the targets, with nothing of its own (no snippet, hint
    // or environment), is the file the targets after it go to, not a target: drop it when
    // a later target took its file.
    let header_default = targets.first().is_some_and(|t| {
        bare_file_lines.contains(&t.line)
            && t.snippet.is_none()
            && t.section_hints.is_empty()
            && t.environment_raw.is_none()
            && targets.len() > 1
            && guide.findings.iter().any(|f| f.code == Code::TargetFileInferred)
    });
    if header_default {
        let line = targets[0].line;
        targets.remove(0);
        for (i, t) in targets.iter_mut().enumerate() {
            t.rank = i + 1;
        }
        for f in guide.findings.iter_mut().filter(|f| f.code == Code::TargetFileInferred) {
            let Some(t) = targets.iter().find(|t| Some(t.line) == f.line) else { continue };
            *f = Finding::new(
                Code::TargetFileDefault,
                format!(
                    "the {} target names no file; using `{}`, named at line {line} for the guide's targets",
                    describe_rank(t.rank),
                    t.file_hint.as_deref().unwrap_or_default()
                ),
            )
            .at(path, f.line);
        }
    }
    for t in &mut targets {
        if t.file_hint.is_none() {
            guide.findings.push(
                Finding::new(Code::TargetFileMissing, format!("the {} target names no file", describe_rank(t.rank)))
                    .at(path, Some(t.line))
                    .help("add a `**File:** `path/to/chapter`` line to the target"),
            );
        }
    }
    // An environment field listing several kinds over a block of snippets names each
    // snippet's own kind, not the first for all.
    for t in &mut targets {
        if let Some(kind) = listed_snippet_kind(t, &rules.environments) {
            t.environment = Some(kind);
        }
    }
    // Typst-era guides cite in prose (`(@Douzi2018Sleep)`, unfenced snippet text).
    for key in prose_citations(text) {
        push_key(&mut keys, &key);
    }
    targets.sort_by_key(|t| t.rank);
    assign_part_keys(text, &idx, &part_starts, &keys, &mut targets);
    guide.key_lines = keys.iter().filter_map(|k| Some((k.clone(), idx.line_of(text.find(k.as_str())?)))).collect();
    guide.citation_keys = keys;
    guide.targets = targets;
    guide.avoid = avoid_lines(text);
    guide.certainty = certainty_line(text, &rules.guide.key_findings.certainty);
    guide.adds_sections = says_new_section(text);
    guide
}

/// Whether `text` asks for a section that does not exist yet: "new section", "new
/// subsection(s)", "new heading", "no current (or existing) section ...", or an `(ADD NEW)`
/// marker after a section's name (`**Section: Carnitine shuttle (ADD NEW)**`). Any case.
pub fn says_new_section(text: &str) -> bool {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?i)\bnew\s+(?:sub)*(?:sections?|headings?)\b|\bno\s+(?:current|existing)\s+(?:sub)*section\b|\(\s*add\s+new\b",
        )
        .unwrap()
    })
    .is_match(text)
}

/// Whether a file value (`value` true: "Same as above", "(same file)", "same") or a target
/// heading's title ("Same file — Case Definitions") says the target shares the file of the
/// one before: it opens with one of `phrases` (`[headings] same_file` of rules/guide.toml),
/// whole words, any case. A title must open with a phrase of two words or more ("Same
/// mechanism in ..." is a title).
fn says_same_file(text: &str, phrases: &[String], value: bool) -> bool {
    let lower = text.trim().trim_start_matches('(').trim().to_lowercase();
    phrases
        .iter()
        .map(|p| p.to_lowercase())
        .filter(|p| value || p.contains(' '))
        .any(|p| lower.strip_prefix(p.as_str()).is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric())))
}

/// Section hints of a field value: each quoted alternative, or the whole value; a value
/// with a line number (`After line 14 (... "text")`) stays whole, so placement gets the
/// number and the quoted text that verifies it.
pub(crate) fn section_hints(value: &str) -> Vec<String> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?i)\blines?\s*~?\s*\d+").unwrap());
    if re.is_match(value) {
        vec![strip_md(value)]
    } else {
        quoted_or_whole(value)
    }
}

/// The chapter shorthand a heading starts with (`ch02 — treatment options` -> `ch02`,
/// `ch01 / ch02 — ...` -> `ch01`).
fn chapter_shorthand(heading: &str) -> Option<String> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?i)^(ch\d{1,3}[a-z]?)\b").unwrap());
    re.captures(heading.trim()).map(|c| c[1].to_string())
}

/// The title of a new heading as a guide writes it: `` `=== Title` ``, `\\subsection{Title}`,
/// `"Title"` or plain text -> `Title`.
fn new_heading_title(value: &str) -> String {
    let v = strip_md(value.trim());
    let v = v.trim().trim_matches('`').trim().trim_start_matches(['=', '#']).trim();
    let v = match v.strip_prefix('\\') {
        Some(cmd) => cmd.split_once('{').map_or(v, |(_, rest)| rest.split('}').next().unwrap_or(rest)),
        None => v,
    };
    v.trim().trim_matches('"').trim().to_string()
}

/// Whether a field value of another kind still says where the text goes: "(after the X
/// paragraph at ~line N)", "after line N".
fn names_a_spot(value: &str) -> bool {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?i)^\(?\s*(?:insert\s+)?after (?:the |line )").unwrap());
    re.is_match(value.trim())
}

/// Whether a word looks like a citation key: optional `@`, a letter first, a four-digit
/// year inside, no spaces (`Park2024fatigueSeverity`, `@smith2020`).
fn looks_like_key(word: &str) -> bool {
    let w = word.trim_matches('`').trim_start_matches('@').trim_end_matches([':', ',', ';', '.']);
    w.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && w.chars().all(|c| c.is_ascii_alphanumeric() || "_:-./+".contains(c))
        && w.as_bytes().windows(4).any(|b| b.iter().all(u8::is_ascii_digit))
}

/// Typst-style citations in a guide's prose: `@Key` with a year in it, not preceded by a
/// letter or digit (an e-mail address), in text order without duplicates.
fn prose_citations(text: &str) -> Vec<String> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?:^|[^A-Za-z0-9_.])@([A-Za-z][A-Za-z0-9_:\-./+]*[A-Za-z0-9_])").unwrap());
    let mut seen = BTreeSet::new();
    re.captures_iter(text).map(|c| c[1].to_string()).filter(|k| looks_like_key(k) && seen.insert(k.clone())).collect()
}

/// Citation keys from a Markdown table whose header names a key column (`| Bib Key |`,
/// `| Citation key |`): one per row, `@`, backticks and `\cite{}` removed. A row without
/// that cell, or with an empty one, is a `guide-table-key-missing` finding.
fn table_keys(
    src: &str,
    first_line: usize,
    g: &GuideRules,
    path: &str,
    keys: &mut Vec<String>,
    findings: &mut Vec<Finding>,
) {
    let cells = table_cells;
    let mut lines = src.lines().enumerate();
    let Some((_, header)) = lines.next() else { return };
    let header = cells(header);
    let is_key_column = |h: &str| {
        let lower = h.to_lowercase();
        field_is(h, &g.fields.citation_key)
            || g.headings.key_column_suffixes.iter().any(|p| lower.ends_with(&p.to_lowercase()))
    };
    let Some(col) = header.iter().position(|h| is_key_column(h)) else { return };
    for (i, row) in lines {
        let row = row.trim();
        if !row.starts_with('|') || row.chars().all(|c| "|-: ".contains(c)) {
            continue;
        }
        let cells = cells(row);
        let cell = cells.get(col).map(String::as_str).unwrap_or("");
        let found: Vec<String> = cell
            .split([',', ';', ' '])
            .map(|w| w.trim().trim_matches('`').trim_start_matches("\\cite{").trim_end_matches('}').to_string())
            .filter(|w| looks_like_key(w) || (w.starts_with('@') && w.len() > 1))
            .collect();
        if found.is_empty() {
            findings.push(
                Finding::new(
                    Code::GuideTableKeyMissing,
                    format!("table row has no citation key in its `{}` column", header[col]),
                )
                .at(path, Some(first_line + i))
                .help("put the row's citation key in the key column"),
            );
        }
        for k in found {
            push_key(keys, &k);
        }
    }
}

/// Gives `snippet` to the last target, or when it has one already, to a new target for the
/// same file placed by the heading the snippet sits under ("Alternative inline version:"
/// snippets are dropped: they are another wording, not more content). In the block that
/// opened the last target (`in_target_block`: no heading since), the new target also keeps
/// that block's section hints as [`Target::block_hints`].
fn attach_snippet(
    targets: &mut Vec<Target>,
    snippet: Snippet,
    heading: &str,
    previous_text: &str,
    in_target_block: bool,
) {
    let n = targets.len();
    let Some(t) = targets.last_mut() else { return };
    if t.snippet.is_none() {
        t.snippet = Some(snippet);
    } else if !(snippet_is_alternative(heading) || snippet_is_alternative(previous_text)) {
        let mut more = t.clone();
        more.rank = n + 1;
        more.line = snippet.line;
        if in_target_block && more.block_hints.is_empty() {
            more.block_hints = t.section_hints.clone();
        } else if !in_target_block {
            more.block_hints.clear();
        }
        more.section_hints = heading_hint(heading).into_iter().collect();
        more.snippet = Some(snippet);
        targets.push(more);
    }
}

/// The kind of `target`'s snippet when its environment field lists two or more kinds
/// ("`achievement`, `hypothesis`, `observation`" over a block of three snippets) and the
/// snippet is exactly one environment of one of them. `None` when the field names one kind
/// or none (the field's kind then stands) or the snippet is not such an environment.
fn listed_snippet_kind(target: &Target, envs: &crate::rules::EnvironmentRules) -> Option<String> {
    let raw = target.environment_raw.as_deref()?;
    let listed: std::collections::BTreeSet<String> =
        raw.split([',', '/', ';', '+']).flat_map(|p| p.split(" or ")).filter_map(|p| envs.normalize(p)).collect();
    if listed.len() < 2 {
        return None;
    }
    let snippet = target.snippet.as_ref()?;
    let o = crate::outline::Outline::parse(snippet.language.unwrap_or(Markup::Latex), &snippet.text);
    let [env] = o.envs.as_slice() else { return None };
    let kind = envs.canonical_of_macro(&env.name);
    listed.contains(&kind).then_some(kind)
}

/// A heading written as a field (`Insertion Point: After "X"`): `(name, value)` when the
/// part before the first colon is short and the value is not empty.
fn heading_field(heading: &str) -> Option<(String, String)> {
    let (name, value) = heading.split_once(':')?;
    let name = name.trim();
    (!name.is_empty() && name.len() <= 30 && !value.trim().is_empty() && !name.contains(['`', '"']))
        .then(|| (name.to_string(), value.trim().to_string()))
}

/// Whether a paragraph starts with a Typst call of a known environment (`#hypothesis(`,
/// `#warning-env[`).
fn unfenced_typst(paragraph: &str, rules: &Rules) -> bool {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^#([A-Za-z][A-Za-z0-9_-]*)\s*[(\[]").unwrap());
    re.captures(paragraph.trim_start()).is_some_and(|c| rules.environments.normalize(&c[1]).is_some())
}

/// An unfenced Typst environment call starting at byte `start` of `text` (`#hypothesis(title:
/// [..])[ .. ] <label>`, as Typst-era guides paste them): its end offset, after the
/// balanced brackets and an optional trailing label; `None` when the brackets never close.
fn typst_block_end(text: &str, start: usize) -> Option<usize> {
    let mut depth = 0i32;
    let mut closed_content = false;
    let mut end = None;
    for (i, c) in text[start..].char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => {
                depth -= 1;
                if c == ']' {
                    closed_content = true;
                }
            }
            '\n' if depth == 0 && closed_content => {
                end = Some(start + i);
                break;
            }
            _ => {}
        }
        if depth < 0 {
            return None;
        }
    }
    let end = match end {
        Some(e) => e,
        None if depth == 0 && closed_content => text.len(),
        None => return None,
    };
    Some(end)
}

/// The cells of a Markdown table row (`| a | **b** |` -> `a`, `b`), bold markers removed.
fn table_cells(row: &str) -> Vec<String> {
    let row = row.trim().trim_start_matches('|').trim_end_matches('|');
    row.split('|').map(|c| c.trim().trim_matches('*').trim().to_string()).collect()
}

/// Citation edits from a table of claims the book already makes (`| Line (approx) | Existing
/// claim | Paper to cite |` with rows `| ~402 | "quoted sentence" | `@Key` |`): one target
/// per row with a line, a quoted claim and a key, its hint the line and the quoted text, its
/// edit "Add @Key". A column named like a table file column (`[fields] table_file` of
/// rules/guide.toml: `| File |`, `| Chapter |`) gives the row's file; else the caller fills it in.
fn claims_in_table(src: &str, first_line: usize, path: &str, g: &GuideRules) -> Vec<Target> {
    let mut lines = src.lines().enumerate();
    let Some((_, header)) = lines.next() else { return Vec::new() };
    let file_col = table_cells(header).iter().position(|h| field_is(h, &g.fields.table_file));
    let header: Vec<String> = table_cells(header).iter().map(|h| h.to_lowercase()).collect();
    let find = |words: &[&str]| header.iter().position(|h| words.iter().any(|w| h.contains(w)));
    let (Some(line_col), Some(claim_col), Some(key_col)) = (
        find(&["line"]),
        find(&["claim", "text", "sentence", "statement"]),
        find(&["cite", "key", "paper", "citation"]),
    ) else {
        return Vec::new();
    };
    if line_col == claim_col || claim_col == key_col || line_col == key_col {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, row) in lines {
        let cells = table_cells(row.trim());
        let (Some(l), Some(claim), Some(keys)) = (cells.get(line_col), cells.get(claim_col), cells.get(key_col)) else {
            continue;
        };
        let Some(line) =
            l.trim_start_matches(['~', '≈', ' ']).split(|c: char| !c.is_ascii_digit()).next().filter(|d| !d.is_empty())
        else {
            continue;
        };
        let claim = strip_md(claim).trim().trim_matches(['"', '“', '”']).trim().to_string();
        let keys: Vec<String> = keys_in_cell(keys);
        if claim.len() < 8 || keys.is_empty() {
            continue;
        }
        let file = file_col
            .filter(|c| ![line_col, claim_col, key_col].contains(c))
            .and_then(|c| cells.get(c))
            .map(|cell| file_value(cell))
            .filter(|h| names_file(h));
        out.push(Target {
            rank: out.len() + 1,
            file_hint: file,
            title_hint: format!("claim at line ~{line}"),
            section_hints: vec![format!("Line ~{line}, text: \"{claim}\"")],
            environment_raw: None,
            environment: None,
            rationale: None,
            snippet: None,
            new_section: None,
            edit: Some(format!("Add {}", keys.iter().map(|k| format!("@{k}")).collect::<Vec<_>>().join(" "))),
            follows: None,
            block_hints: Vec::new(),
            keys,
            line: first_line + i,
            source: path.to_string(),
        });
    }
    out
}

/// Whether a table cell's file hint names a file: a file name, a chapter shorthand (`ch05`)
/// or a path.
fn names_file(hint: &str) -> bool {
    file_in_text(hint).is_some() || chapter_shorthand(hint).is_some() || hint.contains('/')
}

/// Citation keys in a table cell: `` `@Key` ``, `@Key`, `\cite{Key}` or a bare key.
fn keys_in_cell(cell: &str) -> Vec<String> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"@?([A-Za-z][\w-]*\d{4}[\w:-]*)").unwrap());
    re.captures_iter(cell).map(|c| c[1].to_string()).collect()
}

/// Targets from a table whose header names a file column (`| Chapter | ... |`,
/// `| Claim | Target file | Environment |`): one per row with a file or chapter name in
/// that column; an environment column gives the environment, the other cells the rationale.
fn targets_in_table(src: &str, first_line: usize, rules: &Rules, path: &str) -> Vec<Target> {
    let g = &rules.guide;
    let cells = table_cells;
    let mut lines = src.lines().enumerate();
    let Some((_, header)) = lines.next() else { return Vec::new() };
    let header = cells(header);
    let Some(col) = header.iter().position(|h| field_is(h, &g.fields.table_file)) else { return Vec::new() };
    let env_col = header.iter().position(|h| field_is(h, &g.fields.environment));
    let mut out = Vec::new();
    for (i, row) in lines {
        let row = row.trim();
        if !row.starts_with('|') || row.chars().all(|c| "|-: ".contains(c)) {
            continue;
        }
        let cells = cells(row);
        let Some(cell) = cells.get(col) else { continue };
        let hint = file_value(cell);
        if !names_file(&hint) {
            continue;
        }
        let env_raw = env_col.and_then(|c| cells.get(c)).filter(|v| !v.is_empty()).cloned();
        let rationale: Vec<&str> = cells
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != col && Some(*j) != env_col)
            .map(|(_, c)| c.as_str())
            .collect();
        out.push(Target {
            rank: out.len() + 1,
            file_hint: Some(hint),
            title_hint: cell.clone(),
            section_hints: Vec::new(),
            environment: env_raw.as_deref().and_then(|e| rules.environments.normalize(e)),
            environment_raw: env_raw,
            rationale: Some(strip_md(&rationale.join(" — "))),
            snippet: None,
            new_section: None,
            edit: None,
            follows: None,
            block_hints: Vec::new(),
            keys: Vec::new(),
            line: first_line + i,
            source: path.to_string(),
        });
    }
    out
}

/// Gives each target the citation keys of its part of the guide (the text between two
/// headings of level 1 or 2 holding it) when the guide's parts name different keys, as
/// batch guides with one `## Paper N` section per paper do; else every key of the guide.
fn assign_part_keys(text: &str, idx: &LineIndex, starts: &[usize], keys: &[String], targets: &mut [Target]) {
    let mut starts = starts.to_vec();
    starts.sort_unstable();
    starts.dedup();
    let part_text = |i: usize| {
        let from = idx.start_of(starts[i]).unwrap_or(text.len());
        let to = starts.get(i + 1).and_then(|l| idx.start_of(*l)).unwrap_or(text.len());
        &text[from..to.max(from)]
    };
    let mentions = |part: &str, key: &str| {
        part.match_indices(key).any(|(at, _)| {
            let before = part[..at].chars().next_back();
            let after = part[at + key.len()..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            !word(before) && !word(after)
        })
    };
    let part_keys: Vec<Vec<String>> =
        (0..starts.len()).map(|i| keys.iter().filter(|k| mentions(part_text(i), k)).cloned().collect()).collect();
    let distinct: std::collections::BTreeSet<&Vec<String>> = part_keys.iter().filter(|k| !k.is_empty()).collect();
    // A target that names its own keys (a row of a claims table) keeps them.
    for t in targets.iter_mut().filter(|t| t.keys.is_empty()) {
        let part = starts.partition_point(|s| *s <= t.line).saturating_sub(1);
        t.keys = match part_keys.get(part) {
            Some(own) if distinct.len() > 1 && !own.is_empty() => own.clone(),
            _ => keys.to_vec(),
        };
    }
}

/// "✗" lines of a guide: the quoted phrase (or the line's text) and its 1-based line.
/// Source: the "Avoid overstating" lists of the real book's guides (`- ✗ "Proves X"`).
fn avoid_lines(text: &str) -> Vec<(String, usize)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let rest = line.trim_start().trim_start_matches(['-', '*', ' ']).strip_prefix('✗')?;
            let phrase = quoted_or_whole(rest.trim()).into_iter().next()?;
            // "Proves PEM is caused by X" (suggests, ...): the commentary is not the phrase.
            let phrase = phrase.split(" (").next().unwrap_or(&phrase).trim().to_string();
            (!phrase.is_empty()).then_some((phrase, i + 1))
        })
        .collect()
}

/// The first `**Certainty:**`-like field of a text.
fn certainty_line(text: &str, names: &[String]) -> Option<String> {
    text.lines().find_map(|line| {
        let c = field_captures(line)?;
        field_is(&c[1], names).then(|| strip_md(&c[2])).filter(|v| !v.is_empty())
    })
}

/// A section hint from the guide heading a snippet sits under: `### 3. Pyruvate
/// Dehydrogenase Complex (PDC) — KEY SECTION` -> "Pyruvate Dehydrogenase Complex (PDC)".
/// Headings that only label the snippet ("Suggested LaTeX") give none.
fn heading_hint(heading: &str) -> Option<String> {
    let h = heading.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace());
    let h = h.split(" — ").next().unwrap_or(h).split(" - ").next().unwrap_or(h).trim();
    let lower = h.to_lowercase();
    let generic = ["suggested", "snippet", "latex", "typst", "example", "integration", "recommended", "target"];
    (!h.is_empty() && !generic.iter().any(|g| lower.starts_with(g))).then(|| h.to_string())
}

/// Whether the heading above a snippet marks it as an alternative wording of the one before.
fn snippet_is_alternative(heading: &str) -> bool {
    let lower = heading.to_lowercase();
    lower.contains("alternative")
        || lower.contains("alternatively")
        || lower.contains("option b")
        || lower.contains("shorter")
}

/// "primary", "secondary", ... for ranks 1-4, else "#N".
pub fn describe_rank(rank: usize) -> String {
    match rank {
        1 => "primary".into(),
        2 => "secondary".into(),
        3 => "tertiary".into(),
        4 => "quaternary".into(),
        n => format!("#{n}"),
    }
}

/// A Typst function call in markup: `#name(` or `#name[`.
fn typst_call_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?m)(^|\s)#[a-z][a-z-]*[\[(]").unwrap())
}

/// Guesses the markup of a bare fence: `\begin{` or `\cite` is LaTeX, `#name(` or `@key` Typst.
fn sniff_markup(code: &str) -> Option<Markup> {
    if code.contains("\\begin{") || code.contains("\\cite") || code.contains("\\label{") {
        Some(Markup::Latex)
    } else if typst_call_re().is_match(code) {
        Some(Markup::Typst)
    } else {
        None
    }
}

/// `(key, entry text)` of each `@type{key, ...}` in a ```bibtex fence.
fn bibtex_entries(code: &str) -> Vec<(String, String)> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?m)^\s*@([A-Za-z]+)\s*[{(]\s*([^,\s]+)\s*,").unwrap());
    let starts: Vec<(usize, String, String)> = re
        .captures_iter(code)
        .map(|c| (c.get(0).unwrap().start(), c[1].to_lowercase(), c[2].to_string()))
        .filter(|(_, kind, _)| !matches!(kind.as_str(), "string" | "comment" | "preamble"))
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(i, (start, _, key))| {
            let end = starts.get(i + 1).map_or(code.len(), |s| s.0);
            (key.clone(), code[*start..end].trim().to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests;
