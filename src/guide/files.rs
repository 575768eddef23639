//! Locating and loading a literature input: which files make it up ([`GuideFiles`]: the
//! guide, `key-findings.md`, the folder) and reading them from inside the book, with the
//! folder's `.bib` files, into one [`Guide`]. Reading a guide's text is the reader's
//! ([`super::parse_guide`]); names derived from the folder are in `folder`.

use std::path::{Path, PathBuf};

use super::folder::slug_of;
use super::key_findings::{parse_key_findings, targets_from_integration_points};
use super::keys::{bibtex_entries, keys_in_text};
use super::model::{empty_guide, Guide, SuppliedEntry};
use super::reader::{parse_guide, read_guide};
use crate::error::{Error, Result};
use crate::finding::{Code, Finding};
use crate::rules::Rules;

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
/// [`Error::Usage`] when a folder holds neither a guide nor key findings, or PATH is a file
/// that is no Markdown file (a chapter or .bib file).
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
    if !name.ends_with(".md") {
        let what = match crate::markup::Markup::from_path(&name) {
            Some(_) => "a chapter file, not an integration guide",
            None if name.ends_with(".bib") => "a bibliography file, not an integration guide",
            None => "not an integration guide (a Markdown file)",
        };
        return Err(Error::Usage(format!(
            "{}: {what}; pass a guide (integration-guide.md, *integration*guide*.md or key-findings.md) or its literature folder",
            path.display()
        )));
    }
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
    let kf_text = match &files.key_findings {
        Some(p) => Some(read(p)?),
        None => None,
    };
    let key_findings = kf_text.as_deref().map(|t| parse_key_findings(t, &rules.guide));
    let mut guide_text: Option<String> = None;
    let (path, mut guide) = match &files.guide {
        Some(p) => {
            let rel_path = rel(p);
            let text = read(p)?;
            let mut g = parse_guide(&text, &rel_path, rules);
            if let (Some(kf), Some(kf_text)) = (&files.key_findings, &kf_text) {
                g.findings.extend(key_findings_fences(kf_text, &rel(kf), &g));
            }
            guide_text = Some(text);
            (rel_path.clone(), g)
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
    add_folder_entries(&mut guide, files, root)?;
    for t in guide.targets.iter_mut().filter(|t| t.keys.is_empty()) {
        t.keys = guide.citation_keys.clone();
    }
    guide.slug = slug_of(files, &path);
    guide.key_findings = key_findings;
    let sources: Vec<&str> = guide_text.iter().chain(&kf_text).map(String::as_str).collect();
    super::draft::mark_cite_instructions(&mut guide);
    super::draft::draft_missing(&mut guide, &sources, rules);
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

/// The fenced LaTeX and Typst blocks of a key-findings file read beside its folder's guide:
/// the guide names the targets and gives their snippets, so each is a `snippet-key-findings`
/// finding at its line (naming the guide's target whose snippet carries the same label).
fn key_findings_fences(text: &str, path: &str, guide: &Guide) -> Vec<Finding> {
    use super::markdown::{blocks, Block};
    use super::model::{Markup, Snippet};
    let mut out = Vec::new();
    for b in blocks(text) {
        let Block::Code { info, text: code, line, fenced: true, .. } = b else { continue };
        let language = Markup::from_fence(&info).or_else(|| super::snippet::sniff_markup(&code));
        if !matches!(language, Some(Markup::Latex | Markup::Typst)) {
            continue;
        }
        let labels = super::snippet::fence_labels(&Snippet { language, text: code, line });
        let same = guide.targets.iter().find(|t| {
            t.snippet.as_ref().is_some_and(|s| super::snippet::fence_labels(s).iter().any(|l| labels.contains(l)))
        });
        let message = match same {
            Some(t) => format!(
                "this key-findings fence is not inserted: the guide's {} target carries a snippet with its label",
                super::describe_rank(t.rank)
            ),
            None => "this key-findings fence is not inserted: the folder's integration guide names the targets and their snippets".to_string(),
        };
        out.push(
            Finding::new(Code::SnippetKeyFindings, message)
                .at(path, Some(line))
                .help("to insert it, move the fence under its target in the integration guide"),
        );
    }
    out
}

/// Adds the entries of a literature folder's own .bib files (`new-refs.bib`) to `guide`,
/// keeping the first entry of each key; a .bib file that is not a regular file inside the
/// book is a finding instead. A standalone guide (not `integration-guide.md`, in a folder
/// without `key-findings.md`) has no folder of its own: nothing is added.
///
/// # Errors
/// [`Error::Io`] when a .bib file cannot be read.
fn add_folder_entries(guide: &mut Guide, files: &GuideFiles, root: &Path) -> Result<()> {
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
                    guide.findings.extend(refused.finding(&crate::disk::shown(root, &bib)));
                    continue;
                }
            };
            let text = String::from_utf8_lossy(&bytes);
            for (key, entry) in bibtex_entries(&text) {
                if !guide.bib_entries.iter().any(|e| e.key == key) {
                    guide.bib_entries.push(SuppliedEntry { key, text: entry, source: crate::disk::shown(root, &bib) });
                }
            }
        }
    }
    Ok(())
}

/// Citation keys of a literature folder's integration guide, else of its README (its
/// `**BibTeX key:**` fields, key tables and `@Key` citations); empty when neither has any.
/// Only files inside the book at `root` are read ([`crate::disk::read_in`]).
pub(super) fn sibling_keys(folder: &Path, rules: &Rules, root: &Path) -> Vec<String> {
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
