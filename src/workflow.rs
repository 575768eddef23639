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
/// [`Error::Usage`] when the book is not in git or `rev` does not resolve.
pub fn changed_guides(book: &Store, rev: &str) -> Result<Vec<PathBuf>> {
    let g =
        book.git.as_ref().ok_or_else(|| Error::Usage("--changed-since needs the book in a git repository".into()))?;
    let repo = g.repo();
    let old = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_tree())
        .map_err(|e| crate::book::bad_revision("--changed-since", rev, &g.workdir, &e))?;
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

/// The state of a planned guide, from the book itself: a target counts as applied when its
/// outcome is [`Status::AlreadyApplied`] (its label in its file, or its content found by
/// [`crate::integrated`]), as partly applied when some of its content was found, as pending
/// when it would be inserted with nothing found. Content found comes before an error: a
/// guide whose content is in the book is applied (or partly) even if it could not be
/// inserted again as written; without any, an error makes it `CannotApply`.
pub fn state(plan: &GuidePlan) -> GuideState {
    use crate::integrated::State as Found;
    // Targets with content to insert count; a guide with none is judged by what its
    // targets are about (their hints and the key findings).
    // A target waiting for text (`needs-text`) has none.
    let content = |t: &&crate::plan::TargetPlan| {
        t.target.snippet.is_some() || !matches!(t.status(), Status::Skipped | Status::NeedsText)
    };
    let with_content: Vec<&crate::plan::TargetPlan> = plan.targets.iter().filter(content).collect();
    let targets: Vec<&crate::plan::TargetPlan> =
        if with_content.is_empty() { plan.targets.iter().collect() } else { with_content };
    let applied = targets.iter().filter(|t| t.status() == Status::AlreadyApplied).count();
    let partly =
        targets.iter().filter(|t| t.status() != Status::AlreadyApplied && t.integrated.state != Found::Pending).count();
    // Content not found: inserted, or meant to be and refused.
    let pending = targets
        .iter()
        .filter(|t| t.integrated.state == Found::Pending)
        .filter(|t| t.status() == Status::Insert || (t.status() == Status::Skipped && t.target.snippet.is_some()))
        .count();
    if applied + partly > 0 {
        return if partly == 0 && pending == 0 { GuideState::Applied } else { GuideState::PartlyApplied };
    }
    if let Some(e) = plan.all_findings().into_iter().find(|f| f.severity == Severity::Error) {
        return GuideState::CannotApply(format!("{}: {}", e.code, e.message));
    }
    match pending {
        0 => GuideState::CannotApply("no target has content to insert".into()),
        _ => GuideState::Pending,
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

/// One guide of the status dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    /// The guide (or key-findings) file, book-relative.
    pub guide: String,
    /// Its literature topic ([`topic`]).
    pub topic: String,
    /// Where it stands.
    pub state: GuideState,
    /// Its integration branch, when one exists and is not merged into the base revision.
    pub branch: Option<String>,
}

/// The states in the order the dashboard prints them.
const STATES: [&str; 4] = ["applied", "partly applied", "pending", "cannot apply"];

/// The status dashboard as JSON: every guide with its topic, state and unmerged branch,
/// counts per topic.
pub fn status_json(rows: &[StatusRow]) -> json::StatusDoc<'_> {
    let mut topics: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    let mut totals: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rows {
        *topics.entry(&r.topic).or_default().entry(r.state.name()).or_default() += 1;
        *totals.entry(r.state.name()).or_default() += 1;
    }
    let guides = rows.iter().map(|r| {
        let status = json::StateJson { reason: r.state.reason(), state: r.state.code() };
        json::StatusGuideJson { branch: r.branch.as_deref(), guide: &r.guide, status, topic: &r.topic }
    });
    json::StatusDoc { guides: guides.collect(), schema: crate::report::SCHEMA, topics, totals }
}

/// The status dashboard as text: counts per topic, then the guides named per state (with
/// the reason a guide cannot be applied, and "branch exists, not merged" beside a guide
/// whose integration branch is waiting).
pub fn status_text(rows: &[StatusRow]) -> String {
    let index = |st: &GuideState| STATES.iter().position(|s| *s == st.name()).unwrap_or(3);
    let mut topics: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    for r in rows {
        topics.entry(&r.topic).or_default()[index(&r.state)] += 1;
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
    for (i, name) in STATES.iter().enumerate() {
        let these: Vec<&StatusRow> = rows.iter().filter(|r| index(&r.state) == i).collect();
        if these.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{name} ({}):", these.len());
        for r in these {
            let mut line = format!("  {}", r.guide);
            if let Some(why) = r.state.reason() {
                let _ = write!(line, ": {why}");
            }
            if let Some(b) = &r.branch {
                let _ = write!(line, " (branch {b} exists, not merged)");
            }
            let _ = writeln!(out, "{line}");
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
                    // A spot the reviewer chose (`--pick`, `--at`) says so first.
                    let chosen = c.signals.iter().find_map(|s| match s {
                        crate::place::Signal::Chosen { flag, .. } => {
                            Some(format!("**chosen by the reviewer** (`{flag}`): "))
                        }
                        _ => None,
                    });
                    let _ = writeln!(
                        out,
                        "- **{rank}** `{hint}` → {}`{}` after line {}, in *{}* (file found by {}, confidence {:.2}; placement score {:.2}){drafted}",
                        chosen.unwrap_or_default(),
                        c.path,
                        c.after_line,
                        c.heading_path.join(" › "),
                        r.method,
                        r.confidence,
                        c.score
                    );
                    if let Some(p) = t.probability {
                        let mark = if t.review { " — **review this placement**" } else { "" };
                        let _ = writeln!(out, "  - estimated probability of the right section: {p:.2}{mark}");
                    } else if t.review {
                        let _ = writeln!(out, "  - **review this placement**");
                    }
                    for reason in c.reasons() {
                        let _ = writeln!(out, "  - {reason}");
                    }
                    if let (crate::integrated::State::Partly, Some(at)) = (&t.integrated.state, &t.integrated.place) {
                        let _ = writeln!(
                            out,
                            "  - partly integrated already at `{}:{}` ({}); missing: {}",
                            at.path,
                            at.line,
                            t.integrated.describe(),
                            t.integrated.missing.join("; ")
                        );
                    }
                }
                (Status::AlreadyApplied, _, _) => match (&t.integrated.state, &t.integrated.place) {
                    (crate::integrated::State::Applied, Some(at)) => {
                        let _ = writeln!(
                            out,
                            "- **{rank}** `{hint}`: already integrated at `{}:{}` ({})",
                            at.path,
                            at.line,
                            t.integrated.describe()
                        );
                    }
                    _ => {
                        let _ = writeln!(out, "- **{rank}** `{hint}`: already applied");
                    }
                },
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

/// A commented `chapter-integrator.toml` with what was detected in `book`: its root
/// documents, the bibliography files they name, its literature folders and its annotated
/// bibliography ([`annotated_bibliography`]).
pub fn config_template(book: &Store) -> String {
    let quote = |v: &[String]| {
        v.iter().map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))).collect::<Vec<_>>().join(", ")
    };
    // What the bibliography is without the key: the files the root documents name, else
    // every .bib outside the literature folders.
    let named: Vec<String> = book.bibliography_of_roots().into_iter().collect();
    let bibs: Vec<String> =
        if named.is_empty() { book.sources.keys().filter(|p| p.ends_with(".bib")).cloned().collect() } else { named };
    let literature: Vec<String> =
        ["Literature", "literature"].iter().filter(|d| book.root.join(d).is_dir()).map(|d| d.to_string()).collect();
    let annotated = match annotated_bibliography(book) {
        Some((path, 0)) => {
            format!("# Detected by its name; no guide names it.\nannotated_bibliography = {}\n", quote(&[path]))
        }
        Some((path, guides)) => format!(
            "# Detected by its name, but {guides} guide(s) name it as a target, which setting it\n\
             # would leave out; so it stays commented.\n# annotated_bibliography = {}\n",
            quote(&[path])
        ),
        None => "# annotated_bibliography = \"appendices/annotated-bibliography.typ\"\n".to_string(),
    };
    format!(
        "# chapter-integrator configuration (written by `chapter-integrator init`; every key is optional).\n\
         \n[book]\n\
         # Root documents, relative to this folder. Default: discovered: a Typst file no other\n\
         # file includes that includes others and sets up a whole document (#set document,\n\
         # #set page, #show: template, #outline, #bibliography; a scratch file that only\n\
         # includes chapters is none), and a LaTeX file with \\documentclass.\n\
         roots = [{}]\n\
         # Bibliography files, in priority order (the first definition of a key wins). Default:\n\
         # those the root documents name (#bibliography, \\bibliography, \\addbibresource);\n\
         # every .bib outside the literature folders when they name none.\n\
         # bibliography = [{}]\n\
         # Folders of literature folders and guides. Default: [\"Literature\"].\n\
         literature = [{}]\n\
         # The annotated bibliography, never a target or insertion point. Default: none.\n\
         {annotated}\
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
         # dir = \"rules\"\n\
         \n[severity]\n\
         # Severity per finding code (error, warning, info). Default: rules/checks.toml.\n\
         # target-resolved-loosely = \"info\"\n",
        quote(&book.includes.roots),
        quote(&bibs),
        quote(&literature),
        book.config.branch.prefix,
    )
}

/// The book's annotated bibliography as `init` guesses it: the chapter file a root document
/// reaches (any chapter file, in a book without roots) whose file name says "annotated
/// bibliography" (`appendix-h-annotated-bibliography.typ`), the first by path; with the number
/// of the book's guides whose text names its file (by its name, or its name less the `chNN-`
/// number): guides that target it, which the setting would leave out.
pub fn annotated_bibliography(book: &Store) -> Option<(String, usize)> {
    let reachable = |p: &str| book.includes.reachable.is_empty() || book.includes.reachable.contains(p);
    let path = book
        .chapter_files()
        .filter(|p| reachable(p))
        .find(|p| {
            let name = p.rsplit('/').next().unwrap_or(p).to_lowercase();
            name.contains("annotated") && name.contains("bibliograph")
        })?
        .clone();
    let name = path.rsplit('/').next().unwrap_or(&path);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s).to_lowercase();
    let slug = crate::resolve::chapter_slug(&path);
    let guides = crate::book::find_guides(&book.root).unwrap_or_default();
    let naming = guides
        .iter()
        .filter_map(|g| crate::disk::read_in(&book.root, g).ok())
        .filter(|bytes| {
            let text = String::from_utf8_lossy(bytes).to_lowercase();
            text.contains(&stem) || text.contains(&slug)
        })
        .count();
    Some((path, naming))
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
