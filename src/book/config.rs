//! The book's configuration: `chapter-integrator.toml` as read (every table and field,
//! with the defaults README lists), and the rules in force once the book's rules folder is
//! merged over the built-in ones.
//!
//! What it leaves out: which files make up the book (see [`super::base`]) and what is
//! derived from them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::finding::{Code, Finding, Severity, SeverityOverrides};
use crate::phrasing::PhrasingRules;
use crate::rules::Rules;

/// Name of the book configuration file.
pub const CONFIG_FILE: &str = "chapter-integrator.toml";

/// `chapter-integrator.toml`: every field optional (README lists each with its default).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The `[book]` table.
    pub book: BookConfig,
    /// The `[branch]` table.
    pub branch: BranchConfig,
    /// The `[labels]` table.
    pub labels: LabelsConfig,
    /// The `[resolve]` table.
    pub resolve: ResolveConfig,
    /// The `[rules]` table.
    pub rules: RulesConfig,
    /// The `[severity]` table: finding code -> `error`, `warning` or `info`, as written (with
    /// where it was written, for the configuration error an unknown code or severity is; see
    /// [`severity_overrides`]).
    pub severity: BTreeMap<String, toml::Spanned<String>>,
}

/// `[labels]`: label prefixes per environment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabelsConfig {
    /// Canonical environment name -> label prefix (`achievement = "ach"`); merged over
    /// `rules/environments.toml` `[label_prefix]`.
    pub prefixes: BTreeMap<String, String>,
}

/// `[resolve]`: target resolution.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResolveConfig {
    /// Confidence below which a target is unresolved; default from `rules/scoring.toml` (0.45).
    pub threshold: Option<f64>,
}

/// `[rules]`: where the book's rule overrides live.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RulesConfig {
    /// Folder of rule files (`guide.toml`, `environments.toml`, `scoring.toml`,
    /// `phrasing.toml`), relative to the book root; default `rules`.
    pub dir: Option<String>,
}

/// `[book]`: which files make up the book.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BookConfig {
    /// Root documents, relative to the book root; default: discovered.
    pub roots: Vec<String>,
    /// Bibliography files; default: every .bib outside the literature folders.
    pub bibliography: Vec<String>,
    /// Folders of literature folders and guides; default `["Literature"]`.
    pub literature: Vec<String>,
    /// The annotated bibliography (a chapter that cites everything): never chosen as a
    /// target by name or content, and never an insertion point. Default: none.
    pub annotated_bibliography: Option<String>,
    /// The .bib file new entries are appended to. Default: the .bib file whose entries
    /// share most terms with the new entry.
    pub new_entries: Option<String>,
}

/// `[branch]`: naming of the tool's branches.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BranchConfig {
    /// Prefix of branch names; default `integrate/`.
    pub prefix: String,
}

impl BookConfig {
    /// The literature folders: as configured, else `["Literature"]`.
    pub fn literature(&self) -> Vec<String> {
        if self.literature.is_empty() {
            vec!["Literature".into()]
        } else {
            self.literature.clone()
        }
    }
}

impl Default for BranchConfig {
    fn default() -> Self {
        BranchConfig { prefix: "integrate/".into() }
    }
}

/// The book's configuration, and the file's bytes (empty when there is none) for the
/// snapshot fingerprint: read once, so both describe the same file. A configuration file
/// that leads outside the book or is not a regular file is not read: the default
/// configuration and the finding saying why ([`crate::disk::read_in`]).
pub(super) fn read_config(root: &Path) -> Result<(Config, Vec<u8>, Vec<Finding>)> {
    let path = root.join(CONFIG_FILE);
    if !path.exists() {
        return Ok((Config::default(), Vec::new(), Vec::new()));
    }
    let bytes = match crate::disk::read_in(root, &path) {
        Ok(bytes) => bytes,
        Err(crate::disk::Refusal::Unreadable(e)) => return Err(Error::io("read", &path, e)),
        Err(refused) => return Ok((Config::default(), Vec::new(), refused.finding(CONFIG_FILE).into_iter().collect())),
    };
    let text = String::from_utf8(bytes)
        .map_err(|e| Error::io("read", &path, std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error())))?;
    let config = toml::from_str(&text).map_err(|e: toml::de::Error| {
        let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
        Error::Config {
            path: path.clone(),
            message: format!("{}{}", line.map(|l| format!("line {l}: ")).unwrap_or_default(), e.message()),
        }
    })?;
    Ok((config, text.into_bytes(), Vec::new()))
}

/// The book's rules folder `dir` (relative to `root`, already normalised), when it exists
/// and it and each rules file in it are regular files inside the book; else `None`, with a
/// finding in `refused` for each one that is not ([`crate::disk::inside`]): the built-in
/// rules are used then.
fn rules_dir(root: &Path, dir: &str, refused: &mut Vec<Finding>) -> Option<PathBuf> {
    let path = root.join(dir);
    if !path.is_dir() {
        return None;
    }
    if !path.canonicalize().is_ok_and(|real| real.starts_with(root)) {
        refused.extend(crate::disk::Refusal::Outside.finding(dir));
        return None;
    }
    let before = refused.len();
    for name in crate::rules::FILES {
        let file = path.join(name);
        if file.exists() {
            if let Err(r) = crate::disk::inside(root, &file) {
                refused.extend(r.finding(&format!("{dir}/{name}")));
            }
        }
    }
    (refused.len() == before).then_some(path)
}

/// The rules in force for the book at `root` with `config`: the built-in rules merged with
/// the book's rules folder (`[rules] dir`, default `rules`), the configured resolution
/// threshold and label prefixes. A rules folder or file that is refused adds its finding to
/// `refused`, and everything refused is added to `config_bytes` (the snapshot fingerprint).
///
/// # Errors
/// [`Error::Config`] when `[rules] dir` points outside the book, a rules file is malformed
/// or the `[severity]` table names an unknown code or severity ([`severity_overrides`]).
pub(super) fn rules_in_force(
    root: &Path,
    config: &Config,
    config_bytes: &mut Vec<u8>,
    refused: &mut Vec<Finding>,
) -> Result<(Rules, PhrasingRules)> {
    let dir = config.rules.dir.clone().unwrap_or_else(|| "rules".into());
    let dir = crate::text::normalize_rel(&dir).ok_or_else(|| Error::Config {
        path: root.join(CONFIG_FILE),
        message: format!("[rules] dir = \"{dir}\" points outside the book"),
    })?;
    let rules_dir = rules_dir(root, &dir, refused);
    // What was refused decides what the snapshot holds (its findings, the rules
    // left out), so it is part of the snapshot's fingerprint.
    for f in refused.iter() {
        config_bytes.extend(format!("\0{}: {}", f.path.as_deref().unwrap_or(""), f.message).bytes());
    }
    let mut rules = Rules::load(rules_dir.as_deref())?;
    let phrasing = PhrasingRules::load(rules_dir.as_deref())?;
    if let Some(t) = config.resolve.threshold {
        rules.scoring.resolve.threshold = t;
    }
    rules.environments.label_prefix.extend(config.labels.prefixes.clone());
    let phrasing_codes: Vec<&str> = phrasing.rules.iter().map(|r| r.code.as_str()).collect();
    rules.severity_overrides = severity_overrides(root, config, config_bytes, &phrasing_codes)?;
    Ok((rules, phrasing))
}

impl super::Book {
    /// What the configuration names that the book does not hold, one message each (with the
    /// line of `chapter-integrator.toml` naming it and the nearest name the book has), in
    /// the order of the file's keys: a `[book] roots` entry that is no chapter file, a
    /// `bibliography` entry that is no .bib file of the book, a `literature` entry that is
    /// no folder, an `annotated_bibliography` that is no chapter file, a `new_entries` file
    /// outside the bibliography, a `[resolve] threshold` outside 0–1 and a `[branch] prefix`
    /// git cannot name a branch with. Empty when the configuration is usable. A run stops on
    /// these before planning anything (exit status 2): every finding after them would
    /// follow from them.
    pub fn config_errors(&self) -> Vec<String> {
        let text = crate::disk::read_in(&self.root, &self.root.join(CONFIG_FILE))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        // The line naming `value` (quoted), when the file holds it.
        let line_of = |value: &str| {
            let quoted = format!("\"{value}\"");
            let at = text.find(&quoted).or_else(|| text.find(&format!("'{value}'")))?;
            Some(text[..at].matches('\n').count() + 1)
        };
        let at = |value: &str| line_of(value).map(|l| format!("line {l}: ")).unwrap_or_default();
        let near = |name: &str, have: &mut dyn Iterator<Item = &String>| {
            let have: Vec<&String> = have.collect();
            match crate::text::nearest(name, have.iter().map(|s| s.as_str())) {
                Some(n) => format!(" (did you mean `{n}`?)"),
                None => String::new(),
            }
        };
        let b = &self.config.book;
        let mut out = Vec::new();
        for root in b.roots.iter().filter(|r| !self.chapters.contains(*r)) {
            let hint = near(root, &mut self.chapters.iter());
            out.push(format!("{}[book] roots: `{root}` is not a chapter file of the book{hint}", at(root)));
        }
        let bibs: Vec<&String> = self.sources.keys().filter(|p| p.ends_with(".bib")).collect();
        for f in b.bibliography.iter().filter(|f| !bibs.contains(f)) {
            let hint = near(f, &mut bibs.iter().copied());
            out.push(format!("{}[book] bibliography: `{f}` is not a .bib file of the book{hint}", at(f)));
        }
        for dir in b.literature.iter().filter(|d| !self.root.join(d).is_dir()) {
            out.push(format!("{}[book] literature: `{dir}` is not a folder of the book", at(dir)));
        }
        if let Some(a) = b.annotated_bibliography.as_ref().filter(|a| !self.chapters.contains(*a)) {
            let hint = near(a, &mut self.chapters.iter());
            out.push(format!("{}[book] annotated_bibliography: `{a}` is not a chapter file of the book{hint}", at(a)));
        }
        if let Some(n) = b.new_entries.as_ref().filter(|n| !self.bib.files.is_empty() && !self.bib.files.contains(*n)) {
            let hint = near(n, &mut self.bib.files.iter());
            out.push(format!(
                "{}[book] new_entries: `{n}` is not a file of the bibliography ({}){hint}",
                at(n),
                self.bib.files.join(", ")
            ));
        }
        if let Some(t) = self.config.resolve.threshold.filter(|t| !(0.0..=1.0).contains(t)) {
            out.push(format!("[resolve] threshold = {t}: a confidence is between 0 and 1"));
        }
        let prefix = &self.config.branch.prefix;
        if !git2::Reference::is_valid_name(&format!("refs/heads/{prefix}x")) {
            out.push(format!("{}[branch] prefix: `{prefix}` cannot start a git branch name", at(prefix)));
        }
        out
    }
}

/// The `[severity]` table of `config` as overrides, checked: every key must be a finding
/// code of the tool ([`Code::ALL`]) or of a phrasing rule in force (`phrasing_codes`), every
/// value `error`, `warning` or `info`. `text` is the configuration file's text (the spans of
/// the table's values point into it).
///
/// # Errors
/// [`Error::Config`] naming the file and the line of the first unknown code or severity,
/// with the nearest code or the severities there are.
pub(super) fn severity_overrides(
    root: &Path,
    config: &Config,
    text: &[u8],
    phrasing_codes: &[&str],
) -> Result<SeverityOverrides> {
    let known: Vec<&str> = Code::ALL.iter().map(Code::as_str).chain(phrasing_codes.iter().copied()).collect();
    let line_of =
        |v: &toml::Spanned<String>| text[..v.span().start.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1;
    let mut out = SeverityOverrides::default();
    for (code, value) in &config.severity {
        let fail = |message: String| Error::Config {
            path: root.join(CONFIG_FILE),
            message: format!("line {}: [severity] {message}", line_of(value)),
        };
        if !known.contains(&code.as_str()) {
            let near = crate::text::closest(code, known.iter().copied()).unwrap_or("");
            return Err(fail(format!(
                "`{code}` is not a finding code; the nearest is `{near}` (every code: rules/checks.toml, rules/phrasing.toml)"
            )));
        }
        let Some(severity) = Severity::from_name(value.get_ref()) else {
            return Err(fail(format!(
                "{code} = \"{}\": not a severity; use \"error\", \"warning\" or \"info\"",
                value.get_ref()
            )));
        };
        out.0.insert(code.clone(), severity);
    }
    Ok(out)
}
