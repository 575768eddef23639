//! Workflow commands over many guides: which guides changed since a revision, the status
//! dashboard, the pull-request review summary, and the commented configuration `init`
//! writes. The pipeline itself (planning) is in [`crate::plan`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::finding::Severity;
use crate::guide::{describe_rank, is_guide_name};
use crate::plan::{GuidePlan, Status};
use crate::report::json;
use crate::store::Store;

/// Guides added or modified between `rev` and the base revision (a ```key-findings.md``` or
/// other file in a literature folder counts for that folder's guide), as absolute paths.
///
/// # Errors
/// [`Error::Usage`] when the book is not in git; [`Error::Git`] when `rev` does not resolve.
pub fn changed_guides(book: &Store, rev: &str) -> Result<Vec<PathBuf>> {
    let g =
        book.git.as_ref().ok_or_else(|| Error::Usage("--changed-since needs the book in a git repository".into()))?;
    let repo = g.repo();
    let old = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_tree())
        .map_err(|e| Error::git(format!("resolve revision {rev}"), e))?;
    let new = match g.base {
        Some(b) => Some(repo.find_commit(b).and_then(|c| c.tree()).map_err(|e| Error::git("read base tree", e))?),
        None => None,
    };
    let diff = repo.diff_tree_to_tree(Some(&old), new.as_ref(), None).map_err(|e| Error::git("diff trees", e))?;
    let mut out = Vec::new();
    for delta in diff.deltas() {
        let Some(path) = delta.new_file().path() else { continue };
        if delta.status() == git2::Delta::Deleted {
            continue;
        }
        let repo_rel = crate::text::slash_path(path);
        let Some(rel) = (if g.prefix.is_empty() {
            Some(repo_rel.as_str())
        } else {
            repo_rel.strip_prefix(&format!("{}/", g.prefix))
        }) else {
            continue;
        };
        let abs = book.root.join(rel);
        let name = rel.rsplit('/').next().unwrap_or(rel).to_lowercase();
        if is_guide_name(&name) {
            out.push(abs);
        } else if let Some(folder) = abs.parent().filter(|_| name.ends_with(".md")) {
            // A changed key-findings.md or note: the folder's guide is affected.
            if let Ok(files) = crate::guide::locate(folder) {
                if let Some(guide) = files.guide {
                    out.push(guide);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    // Not only regular files: a guide committed as a symlink to a device or to outside the
    // book stays, so reading it gives its finding instead of dropping it unseen.
    Ok(out.into_iter().filter(|p| p.exists() && !p.is_dir()).collect())
}

/// Where a guide stands against the book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuideState {
    /// Every target with content is already in the book.
    Applied,
    /// Some targets are in the book, others would still be inserted.
    PartlyApplied,
    /// Content would be inserted; nothing is in the book yet.
    Pending,
    /// The guide cannot be integrated as written; the first error says why.
    CannotApply(String),
}

impl GuideState {
    /// The state's code in JSON (`status.state`): `applied`, `partly-applied`, `pending`,
    /// `cannot-apply`.
    pub fn code(&self) -> &'static str {
        match self {
            GuideState::Applied => "applied",
            GuideState::PartlyApplied => "partly-applied",
            GuideState::Pending => "pending",
            GuideState::CannotApply(_) => "cannot-apply",
        }
    }

    /// Why the guide cannot be applied (`status.reason` in JSON), for `cannot-apply` only.
    pub fn reason(&self) -> Option<&str> {
        match self {
            GuideState::CannotApply(why) => Some(why),
            _ => None,
        }
    }

    /// The state's name as printed.
    pub fn name(&self) -> &'static str {
        match self {
            GuideState::Applied => "applied",
            GuideState::PartlyApplied => "partly applied",
            GuideState::Pending => "pending",
            GuideState::CannotApply(_) => "cannot apply",
        }
    }
}

/// The state of a planned guide, from the book itself ("applied" = labels or keys found).
pub fn state(plan: &GuidePlan) -> GuideState {
    if let Some(e) = plan.all_findings().into_iter().find(|f| f.severity == Severity::Error) {
        return GuideState::CannotApply(format!("{}: {}", e.code, e.message));
    }
    let applied = plan.targets.iter().filter(|t| t.status() == Status::AlreadyApplied).count();
    let pending = plan.targets.iter().filter(|t| t.status() == Status::Insert).count();
    match (applied, pending) {
        (0, 0) => GuideState::CannotApply("no target has content to insert".into()),
        (_, 0) => GuideState::Applied,
        (0, _) => GuideState::Pending,
        _ => GuideState::PartlyApplied,
    }
}

/// The literature topic of a guide: the folder under the literature root
/// (`Literature/<topic>/...`), else the guide's own folder.
pub fn topic(guide_path: &str, literature: &[String]) -> String {
    for root in literature {
        if let Some(rest) = guide_path.strip_prefix(&format!("{root}/")) {
            if let Some((t, _)) = rest.split_once('/') {
                return t.to_string();
            }
        }
    }
    crate::text::parent_dir(guide_path).to_string()
}

/// The status dashboard as JSON: every guide with its topic and state, counts per topic.
pub fn status_json(rows: &[(String, String, GuideState)]) -> json::StatusDoc<'_> {
    let mut topics: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for (_, t, st) in rows {
        *topics.entry(t).or_default().entry(st.name()).or_default() += 1;
    }
    let mut totals: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, _, st) in rows {
        *totals.entry(st.name()).or_default() += 1;
    }
    let guides = rows.iter().map(|(guide, topic, st)| {
        let status = json::StateJson { reason: st.reason(), state: st.code() };
        json::StatusGuideJson { guide, status, topic }
    });
    json::StatusDoc { guides: guides.collect(), schema: crate::report::SCHEMA, topics, totals }
}

/// The status dashboard as text: counts per topic, then the guides that need attention.
pub fn status_text(rows: &[(String, String, GuideState)]) -> String {
    const STATES: [&str; 4] = ["applied", "partly applied", "pending", "cannot apply"];
    let mut topics: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    for (_, t, st) in rows {
        let i = STATES.iter().position(|s| *s == st.name()).unwrap_or(3);
        topics.entry(t).or_default()[i] += 1;
    }
    let width = topics.keys().map(|t| t.len()).max().unwrap_or(5).max(5);
    let mut out = format!("{:width$}  applied  partly  pending  cannot\n", "topic");
    let mut totals = [0usize; 4];
    for (t, c) in &topics {
        let _ = writeln!(out, "{t:width$}  {:>7}  {:>6}  {:>7}  {:>6}", c[0], c[1], c[2], c[3]);
        for i in 0..4 {
            totals[i] += c[i];
        }
    }
    let _ = writeln!(out, "{:width$}  {:>7}  {:>6}  {:>7}  {:>6}", "total", totals[0], totals[1], totals[2], totals[3]);
    let blocked: Vec<&(String, String, GuideState)> =
        rows.iter().filter(|r| matches!(r.2, GuideState::CannotApply(_))).collect();
    if !blocked.is_empty() {
        out.push_str("\ncannot apply:\n");
        for (g, _, st) in blocked {
            if let GuideState::CannotApply(why) = st {
                let _ = writeln!(out, "  {g}: {why}");
            }
        }
    }
    out
}

/// A Markdown review summary for a pull-request body: per guide the keys, each target's
/// place with reasons and confidence (drafted blocks first, marked for review), the
/// findings, and a diffstat. Capped at `cap`
/// characters, with a note when cut.
pub fn review_summary(plans: &[GuidePlan], branch: &str, stat: (usize, usize, usize), cap: usize) -> String {
    let mut out = format!("## Literature integration on `{branch}`\n\n");
    for p in plans {
        let _ = writeln!(out, "### `{}`\n", p.guide.path);
        let _ = writeln!(
            out,
            "Citation keys: {}\n",
            p.guide.citation_keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
        );
        // Drafted blocks first: their wording is the tool's choice of the guide's sentences.
        let mut targets: Vec<_> = p.targets.iter().collect();
        targets.sort_by_key(|t| !t.target.drafted);
        for t in targets {
            let rank = describe_rank(t.target.rank);
            let hint = t.target.file_hint.as_deref().unwrap_or("(no file)");
            let drafted =
                if t.target.drafted { " — *drafted from the guide's sentences: review the wording*" } else { "" };
            match (t.status(), t.candidates.first(), &t.resolved) {
                (Status::Insert, Some(c), Some(r)) => {
                    let _ = writeln!(
                        out,
                        "- **{rank}** `{hint}` → `{}` after line {}, in *{}* (file found by {}, confidence {:.2}; placement score {:.2}){drafted}",
                        c.path,
                        c.after_line,
                        c.heading_path.join(" › "),
                        r.method,
                        r.confidence,
                        c.score
                    );
                    for reason in c.reasons() {
                        let _ = writeln!(out, "  - {reason}");
                    }
                }
                (Status::AlreadyApplied, _, _) => {
                    let _ = writeln!(out, "- **{rank}** `{hint}`: already applied");
                }
                _ => {
                    let _ = writeln!(out, "- **{rank}** `{hint}`: nothing inserted");
                }
            }
        }
        let findings: Vec<String> = p
            .all_findings()
            .into_iter()
            .filter(|f| f.severity > Severity::Info)
            .map(|f| format!("- {} `{}`: {}", f.severity.as_str(), f.code, f.message))
            .collect();
        if !findings.is_empty() {
            let _ = writeln!(out, "\nFindings:\n\n{}", findings.join("\n"));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{} file(s) changed, {} line(s) added, {} removed", stat.0, stat.1, stat.2);
    if out.chars().count() > cap {
        let cut: String = out.chars().take(cap).collect();
        return format!("{cut}\n\n… (summary cut at {cap} characters; see the commits for the rest)\n");
    }
    out
}

/// A commented `chapter-integrator.toml` with what was detected in `book`.
pub fn config_template(book: &Store) -> String {
    let quote = |v: &[String]| {
        v.iter().map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))).collect::<Vec<_>>().join(", ")
    };
    let bibs: Vec<String> = book.sources.keys().filter(|p| p.ends_with(".bib")).cloned().collect();
    let literature: Vec<String> =
        ["Literature", "literature"].iter().filter(|d| book.root.join(d).is_dir()).map(|d| d.to_string()).collect();
    format!(
        "# chapter-integrator configuration (written by `chapter-integrator init`; every key is optional).\n\
         \n[book]\n\
         # Root documents, relative to this folder. Default: discovered (a Typst file that includes\n\
         # others and is included by none; a LaTeX file with \\documentclass).\n\
         roots = [{}]\n\
         # Bibliography files, in priority order (the first definition of a key wins). Default:\n\
         # every .bib outside the literature folders, those the documents name first.\n\
         # bibliography = [{}]\n\
         # Folders of literature folders and guides. Default: [\"Literature\"].\n\
         literature = [{}]\n\
         # The annotated bibliography, never a target or insertion point. Default: none.\n\
         # annotated_bibliography = \"appendices/annotated-bibliography.typ\"\n\
         # The .bib file new entries go to. Default: the one whose entries fit the entry best.\n\
         # new_entries = \"bib/new.bib\"\n\
         \n[branch]\n\
         # Prefix of the branches `apply` creates. Default: \"integrate/\".\n\
         prefix = \"{}\"\n\
         \n[labels]\n\
         # Label prefix per environment. Default: rules/environments.toml [label_prefix].\n\
         # prefixes = {{ achievement = \"ach\", hypothesis = \"hyp\", warning = \"warn\" }}\n\
         \n[resolve]\n\
         # Confidence below which a target's file counts as unresolved. Default: 0.45.\n\
         # threshold = 0.45\n\
         \n[rules]\n\
         # Folder whose guide.toml, environments.toml, scoring.toml and phrasing.toml override\n\
         # the built-in rules. Default: \"rules\".\n\
         # dir = \"rules\"\n",
        quote(&book.includes.roots),
        quote(&bibs),
        quote(&literature),
        book.config.branch.prefix,
    )
}

/// Writes `chapter-integrator.toml` into the book root, refusing to overwrite unless `force`.
/// Only a regular file is written or overwritten: a symlink in its place (dangling or not)
/// is never written through, even with `force`.
///
/// # Errors
/// [`Error::Usage`] when the file exists and `force` is false, or it is a symlink or not a
/// regular file; [`Error::Io`] on write failure.
pub fn init(book: &Store, force: bool) -> Result<PathBuf> {
    let path = book.root.join(crate::book::CONFIG_FILE);
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A symlink swapped in after the check below fails the open instead of being followed.
        options.custom_flags(libc::O_NOFOLLOW);
    }
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(Error::Usage(format!(
                "{} is a symlink; it is not written through (remove it first)",
                path.display()
            )));
        }
        Ok(meta) if !meta.is_file() => {
            return Err(Error::Usage(format!("{} exists and is not a regular file", path.display())));
        }
        Ok(_) if !force => {
            return Err(Error::Usage(format!("{} exists; pass --force to overwrite it", path.display())));
        }
        Ok(_) => options.truncate(true),
        Err(_) => options.create_new(true),
    };
    let write = |mut file: std::fs::File| std::io::Write::write_all(&mut file, config_template(book).as_bytes());
    options.open(&path).and_then(write).map_err(|e| Error::io("write", &path, e))?;
    Ok(path)
}
