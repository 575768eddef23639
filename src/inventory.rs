//! `guides`: the inventory of every literature input of the book — integration guides and
//! key-findings files — with what the parser extracted from each and what it could not
//! interpret, plus the literature folder's README ("Files in This Folder" entries that do
//! not exist, status lines such as `**References.bib entries:** Pending`).
//!
//! What it leaves out: resolving targets and placing content (that is `plan`).

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::finding::{Code, Finding};
use crate::guide::{self, Guide, GuideFiles};
use crate::report::json::EntryJson;
use crate::rules::Rules;

/// What kind of literature input a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// `*integration*guide*.md` (any letter case).
    IntegrationGuide,
    /// `key-findings.md`.
    KeyFindings,
}

impl Kind {
    /// The JSON name: `integration-guide` or `key-findings`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::IntegrationGuide => "integration-guide",
            Kind::KeyFindings => "key-findings",
        }
    }

    /// The kind of a file name, if it is a literature input.
    pub fn of(name: &str) -> Option<Kind> {
        let lower = name.to_lowercase();
        if lower == "key-findings.md" {
            Some(Kind::KeyFindings)
        } else if guide::is_guide_name(&lower) {
            Some(Kind::IntegrationGuide)
        } else {
            None
        }
    }
}

/// One inventoried file: its kind, the guide as parsed, and the folder README's status.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Integration guide or key findings.
    pub kind: Kind,
    /// The parsed guide (a key-findings file parses into a guide too).
    pub guide: Guide,
    /// `(field, value)` status lines of the folder's README (`References.bib entries`,
    /// `Pending`), in file order.
    pub readme_status: Vec<(String, String)>,
}

/// Every integration guide and key-findings file under `start` (regular files only), by
/// [`crate::walk::files`] with the book `root` (a real path) and its `literature` roots:
/// a hidden literature root is walked. Sorted by path.
///
/// # Errors
/// [`crate::error::Error::Io`] when a folder cannot be listed.
pub fn find_inputs(start: &Path, root: &Path, literature: &[String]) -> Result<Vec<(PathBuf, Kind)>> {
    let found = crate::walk::files(start, root, literature)?;
    Ok(found
        .into_iter()
        .filter(|f| !f.link)
        .filter_map(|f| {
            let kind = Kind::of(&f.name())?;
            Some((f.path, kind))
        })
        .collect())
}

/// Parses one inventoried file as `plan` would read it: an `integration-guide.md` with its
/// folder's key findings, any other guide alone, a key-findings file alone; a file naming
/// no key gets the one its folder's name points at in `bib`. Only files inside the book at
/// `root` (a real path) are read ([`crate::disk::read_in`]).
///
/// # Errors
/// [`crate::error::Error::Io`] when a file cannot be read.
pub fn read(path: &Path, kind: Kind, rules: &Rules, bib: &crate::bib::Bibliography, root: &Path) -> Result<Entry> {
    let rel = |p: &Path| crate::disk::shown(root, p);
    let files = match kind {
        Kind::IntegrationGuide => guide::locate(path)?,
        Kind::KeyFindings => GuideFiles {
            guide: None,
            key_findings: Some(path.to_path_buf()),
            folder: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        },
    };
    let mut guide = guide::load(&files, rules, root)?;
    guide::key_from_folder(&mut guide, &files.folder, bib);
    let readme = files.folder.join("README.md");
    let mut readme_status = Vec::new();
    // The README belongs to a literature folder (beside an `integration-guide.md` or
    // key-findings file), not to a folder of standalone guides.
    let own_folder = crate::bookkeeping::in_own_folder(&path.to_string_lossy());
    let readme_text = match (own_folder && readme.is_file()).then(|| crate::disk::read_in(root, &readme)) {
        None => None,
        Some(Ok(bytes)) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Some(Err(crate::disk::Refusal::Unreadable(e))) => return Err(crate::error::Error::io("read", &readme, e)),
        Some(Err(refused)) => {
            guide.findings.extend(refused.finding(&rel(&readme)));
            None
        }
    };
    if let Some(text) = readme_text {
        let (status, findings) = readme_facts(&text, &rel(&readme), &files.folder);
        readme_status = status;
        // Reported once per folder: with the guide, or with key findings when there is none.
        if kind == Kind::IntegrationGuide
            || files.guide.is_none() && guide::locate(&files.folder).is_ok_and(|f| f.guide.is_none())
        {
            guide.findings.extend(findings);
        }
    }
    Ok(Entry { kind, guide, readme_status })
}

/// Status lines (`**References.bib entries:** Pending`) and `readme-file-missing` findings
/// for entries of a "Files in This Folder" list (`` - `notes.md` - ... ``) that do not exist
/// in `folder`. Source of the form: the real book's literature READMEs.
pub fn readme_facts(text: &str, rel_path: &str, folder: &Path) -> (Vec<(String, String)>, Vec<Finding>) {
    let mut status = Vec::new();
    let mut findings = Vec::new();
    let mut in_files = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(h) = t.strip_prefix('#') {
            in_files = h.trim_start_matches('#').trim().to_lowercase().starts_with("files in this folder");
            continue;
        }
        if let Some((field, value)) = crate::bookkeeping::status_field(t) {
            let lower = field.to_lowercase();
            if lower.contains("entries") || lower.contains("integration") || lower.contains("status") {
                status.push((field.to_string(), value.to_string()));
            }
        }
        if in_files && (t.starts_with("- ") || t.starts_with("* ")) {
            let Some(name) = t.split('`').nth(1).filter(|n| !n.is_empty() && !n.contains(' ')) else { continue };
            if !folder.join(name).exists() {
                findings.push(
                    Finding::new(
                        Code::ReadmeFileMissing,
                        format!("the README lists `{name}`, which is not in the folder"),
                    )
                    .at(rel_path, Some(i + 1))
                    .help("add the file, or remove it from the list"),
                );
            }
        }
    }
    (status, findings)
}

/// One entry as JSON ([`EntryJson`]): the `plan` guide object without candidates, plus
/// `kind`, phrasing, bibliography entries the guide supplies and the README's status lines.
pub fn entry_json(e: &Entry) -> EntryJson<'_> {
    use crate::report::json::{
        AvoidJson, FindingJson, InventoryTargetJson, PhrasingJson, ReadmeStatusJson, SuppliedJson,
    };
    let g = &e.guide;
    EntryJson {
        bib_entries: g.bib_entries.iter().map(|e| SuppliedJson { key: &e.key, source: &e.source }).collect(),
        citation_keys: &g.citation_keys,
        findings: FindingJson::all(&g.findings),
        guide: &g.path,
        kind: e.kind.as_str(),
        phrasing: PhrasingJson {
            avoid: g.avoid.iter().map(|(text, line)| AvoidJson { line: *line, text }).collect(),
            certainty: g.certainty.as_deref(),
        },
        readme_status: e.readme_status.iter().map(|(field, value)| ReadmeStatusJson { field, value }).collect(),
        slug: &g.slug,
        targets: g.targets.iter().map(InventoryTargetJson::of).collect(),
    }
}

/// Entries as text: one block per file with keys, targets (hints, environment, snippet),
/// phrasing (certainty, avoid lines), the bibliography entries it supplies, its folder
/// README's status lines and findings.
pub fn entries_text(entries: &[Entry], style: crate::report::Style) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for e in entries {
        let g = &e.guide;
        let _ = writeln!(out, "{} ({})", style.bold(&g.path), e.kind.as_str());
        let keys = if g.citation_keys.is_empty() { "(none)".to_string() } else { g.citation_keys.join(", ") };
        let _ = writeln!(out, "  citation keys: {keys}");
        for t in &g.targets {
            let _ = writeln!(
                out,
                "  {} target (line {}): {}",
                guide::describe_rank(t.rank),
                t.line,
                t.file_hint.as_deref().unwrap_or("(no file)")
            );
            if !t.section_hints.is_empty() {
                let hints: Vec<String> = t.section_hints.iter().map(|h| format!("\"{h}\"")).collect();
                let _ = writeln!(out, "    section hints: {}", hints.join(", "));
            }
            if let Some(env) = &t.environment_raw {
                let _ = writeln!(out, "    environment: {} ({env})", t.environment.as_deref().unwrap_or("unknown"));
            }
            if let Some(s) = &t.snippet {
                let lang = s.language.map_or("unknown markup".to_string(), |m| format!("{m:?}").to_lowercase());
                let labels = crate::render::snippet_labels(s);
                let labels = if labels.is_empty() { String::new() } else { format!(", labels {}", labels.join(", ")) };
                let title = crate::render::snippet_title(s).map(|t| format!(", title \"{t}\"")).unwrap_or_default();
                let drafted = if t.drafted { ", drafted from the guide's text" } else { "" };
                let _ = writeln!(out, "    snippet: {lang} (line {}){labels}{title}{drafted}", s.line);
            }
            // A target's own keys, when they are not the guide's.
            if !t.keys.is_empty() && t.keys != g.citation_keys {
                let _ = writeln!(out, "    citation keys: {}", t.keys.join(", "));
            }
        }
        if let Some(c) = &g.certainty {
            let _ = writeln!(out, "  certainty: {c}");
        }
        for (text, line) in &g.avoid {
            let _ = writeln!(out, "  avoid (line {line}): {text}");
        }
        for b in &g.bib_entries {
            let _ = writeln!(out, "  bibliography entry: {} (from {})", b.key, b.source);
        }
        for (field, value) in &e.readme_status {
            let _ = writeln!(out, "  README status: {field}: {value}");
        }
        for f in &g.findings {
            let _ = writeln!(out, "  {}[{}] line {}: {}", f.severity.as_str(), f.code, f.line.unwrap_or(0), f.message);
        }
    }
    let with = |p: &dyn Fn(&Guide) -> bool| entries.iter().filter(|e| p(&e.guide)).count();
    let _ = writeln!(
        out,
        "{} file(s): {} with citation keys, {} with targets, {} with section hints, {} with snippets",
        entries.len(),
        with(&|g| !g.citation_keys.is_empty()),
        with(&|g| !g.targets.is_empty()),
        with(&|g| g.targets.iter().any(|t| !t.section_hints.is_empty())),
        with(&|g| g.targets.iter().any(|t| t.snippet.is_some())),
    );
    out
}
