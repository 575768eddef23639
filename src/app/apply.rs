//! `apply`: commits each guide's change on a new branch (one commit per guide that changes
//! something), without touching the work tree, the index or the checked-out branch;
//! optionally writes a review summary for the pull request.
//!
//! The commits come from one pass over the guides ([`crate::plan::ChangeSet`]): each guide's
//! edits are added to those of the guides before it, and its commit replaces the files
//! whose content that changes. The final state gives the summary's counts.
//!
//! What it leaves out: the edits (`crate::plan`) and the commits (`crate::git`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use super::Ui;
use crate::cli::Format;
use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::plan::{self, GuidePlan};
use crate::report::{self, json};
use crate::store::Store;
use crate::{check, diff, git, guide, workflow};

/// The review summary's length cap in characters: pull-request bodies are limited (65,536
/// characters on GitHub).
const SUMMARY_CAP: usize = 60_000;

/// Where `apply` commits: `--branch` (else one named after the guides), `--force`, and
/// `--summary` (the review summary's file).
#[derive(Debug, Clone, Copy)]
pub(super) struct Target<'a> {
    /// The branch to create.
    pub branch: Option<&'a str>,
    /// Replace the branch when it holds only the same guides' commits.
    pub force: bool,
    /// Where the review summary goes.
    pub summary: Option<&'a Path>,
}

/// Commits the plans; status 1 when a finding is at or above `--fail-on`, an edit failed
/// (nothing is written then) or the branch was refused.
///
/// # Errors
/// [`Error::Usage`] when the book is in no git repository or has no base commit;
/// [`Error::Git`] / [`Error::Io`] when committing or writing fails.
pub(super) fn run(
    book: &Store,
    planned: &super::Planned,
    target: Target,
    out: &mut dyn Write,
    err: &mut dyn Write,
    ui: Ui,
) -> Result<i32> {
    let (s, style, plans) = (ui.s, ui.style, planned.plans.as_slice());
    let Some(g) = &book.git else {
        return Err(Error::Usage(format!(
            "apply needs the book in a git repository; {} is not in one",
            book.root.display()
        )));
    };
    let Some(base) = g.base else {
        return Err(Error::Usage(format!(
            "apply needs a base commit holding the book: `{}` has no commits yet or does not contain {}; commit the book first",
            g.base_rev,
            if g.prefix.is_empty() { "the book" } else { g.prefix.as_str() }
        )));
    };
    super::print_findings(plans, err, ui)?;
    let (steps, edits) = steps(book, plans);
    for f in &edits.findings {
        super::write_finding(err, f, ui)?;
    }
    let book_errors = super::book_findings(book, &[]).iter().any(|f| f.severity >= s.fail_on);
    if !edits.findings.is_empty()
        || book_errors
        || plans.iter().any(|p| p.all_findings().into_iter().any(|f| f.severity >= s.fail_on))
    {
        writeln!(err, "nothing was written: fix the errors above first")
            .map_err(|e| Error::io("write", "stderr", e))?;
        return Ok(1);
    }
    let branch = branch_name(book, plans, target.branch);
    let mut commits = Vec::new();
    let mut shown = Vec::new();
    for step in steps {
        for f in &step.drift {
            super::write_finding(err, f, ui)?;
        }
        let files = step.files.into_iter().map(|(p, new)| (g.repo_path(&p), new.into_bytes())).collect();
        let p = &plans[step.guide];
        commits.push(git::CommitSpec { message: commit_message(p), files, guide: p.guide.path.clone() });
        shown.push(step.guide);
    }
    if commits.is_empty() {
        if !s.quiet {
            let text = match planned.left_out {
                0 => "nothing to do: every target is already applied or has nothing to insert".to_string(),
                n => format!(
                    "nothing committed: {n} low-confidence target(s) left out (pass --accept-low-confidence, --pick or --at); every other target is already applied or has nothing to insert"
                ),
            };
            writeln!(out, "{text}").map_err(|e| Error::io("write", "stdout", e))?;
        }
        return Ok(0);
    }
    // The repository handle is released before the outcome is handled: reporting it reads
    // base texts, which lock the same handle.
    let outcome = git::commit_to_branch(&g.repo(), &branch, base, &commits, target.force)?;
    match outcome {
        git::BranchOutcome::Refused(why) => {
            writeln!(err, "{}[branch-refused] {why}", style.bold("error"))
                .map_err(|e| Error::io("write", "stderr", e))?;
            if s.format == Format::Json {
                let doc = json::ApplyDoc {
                    branch: &branch,
                    commits: Vec::new(),
                    deletions: None,
                    files_changed: None,
                    insertions: None,
                    refused: Some(&why),
                    up_to_date: None,
                    schema: report::SCHEMA,
                };
                super::write_out(out, &report::json_text(&doc))?;
            }
            Ok(1)
        }
        git::BranchOutcome::UpToDate(tip) => {
            let text = match s.format {
                Format::Json => report::json_text(&json::ApplyDoc {
                    branch: &branch,
                    commits: Vec::new(),
                    deletions: None,
                    files_changed: None,
                    insertions: None,
                    refused: None,
                    up_to_date: Some(&tip.to_string()),
                    schema: report::SCHEMA,
                }),
                Format::Text | Format::Github => {
                    format!(
                        "branch {} is up to date: it holds this change already (commit {tip})\n",
                        style.bold(&branch)
                    )
                }
            };
            if let Some(path) = target.summary {
                let (files, add, del) = diff::stat(edits.files.values().map(|(o, n)| (o.as_str(), n.as_str())));
                let md = workflow::review_summary(plans, &branch, (files, add, del), SUMMARY_CAP);
                std::fs::write(path, md).map_err(|e| Error::io("write", path, e))?;
            }
            super::write_out(out, &text)?;
            Ok(0)
        }
        git::BranchOutcome::Written(oids) => {
            let made: Vec<(git2::Oid, &GuidePlan)> = oids.into_iter().zip(shown.iter().map(|k| &plans[*k])).collect();
            written(plans, &branch, &made, &edits, target.summary, out, ui)
        }
    }
}

/// Reports the commits `made` on `branch` (each with its guide), with the counts of
/// `edits`, and writes the review summary to `summary` when asked.
///
/// # Errors
/// [`Error::Io`] when the summary or stdout cannot be written.
fn written(
    plans: &[GuidePlan],
    branch: &str,
    made: &[(git2::Oid, &GuidePlan)],
    edits: &plan::Changes,
    summary: Option<&Path>,
    out: &mut dyn Write,
    ui: Ui,
) -> Result<i32> {
    let (files, add, del) = diff::stat(edits.files.values().map(|(o, n)| (o.as_str(), n.as_str())));
    if let Some(path) = summary {
        let md = workflow::review_summary(plans, branch, (files, add, del), SUMMARY_CAP);
        std::fs::write(path, md).map_err(|e| Error::io("write", path, e))?;
    }
    let text = match ui.s.format {
        Format::Json => {
            let doc = json::ApplyDoc {
                branch,
                commits: made
                    .iter()
                    .map(|(o, p)| json::CommitJson { guide: &p.guide.path, id: o.to_string() })
                    .collect(),
                deletions: Some(del),
                files_changed: Some(files),
                insertions: Some(add),
                refused: None,
                up_to_date: None,
                schema: report::SCHEMA,
            };
            report::json_text(&doc)
        }
        Format::Text | Format::Github => {
            let mut text = format!("branch {}\n", ui.style.bold(branch));
            for (o, p) in made {
                text.push_str(&format!("commit {} {}\n", o, p.guide.path));
            }
            text.push_str(&format!("{files} file(s) changed, {add} line(s) added, {del} removed\n"));
            text
        }
    };
    super::write_out(out, &text)?;
    Ok(0)
}

/// One guide's commit: the files its edits change on top of the guides before it.
struct Step {
    /// Index of the guide in the plans.
    guide: usize,
    /// `(book path, new content)` of each file whose content this guide changes, in path
    /// order; the commit's tree is its parent's with these files replaced.
    files: Vec<(String, String)>,
    /// `worktree-differs` findings for every file changed so far, in path order.
    drift: Vec<Finding>,
}

/// One pass over the guides: each guide's edits added to those before it
/// ([`plan::ChangeSet`]), a [`Step`] for each guide that changes a file, and the
/// [`plan::Changes`] of them all.
fn steps(book: &Store, plans: &[GuidePlan]) -> (Vec<Step>, plan::Changes) {
    let mut set = plan::ChangeSet::new(book);
    let mut steps = Vec::new();
    // Each file's work-tree drift is looked at once, and reported with every commit.
    let mut drift: BTreeMap<String, Option<Finding>> = BTreeMap::new();
    for (k, p) in plans.iter().enumerate() {
        set.add(p);
        let changed = set.settle();
        if changed.is_empty() {
            continue;
        }
        let now = set.files();
        // A file whose edits stopped changing it keeps its content from the commit before.
        let files = changed
            .into_iter()
            .filter_map(|path| {
                let new = now.get(&path)?.1.clone();
                Some((path, new))
            })
            .collect();
        for path in now.keys() {
            drift.entry(path.clone()).or_insert_with(|| check::worktree_drift(book, path));
        }
        let drift = now.keys().filter_map(|path| drift[path].clone()).collect();
        steps.push(Step { guide: k, files, drift });
    }
    (steps, set.finish())
}

/// `--branch`, else the configured prefix and the guides' slugs (`integrate/<slug>`,
/// `integrate/<first>-and-<n>-more`).
fn branch_name(book: &Store, plans: &[GuidePlan], branch: Option<&str>) -> String {
    let prefix = &book.config.branch.prefix;
    match branch {
        Some(b) => b.to_string(),
        None => match plans {
            [one] => format!("{prefix}{}", one.guide.slug),
            [first, rest @ ..] => format!("{prefix}{}-and-{}-more", first.guide.slug, rest.len()),
            [] => format!("{prefix}guides"),
        },
    }
}

/// Subject naming the guide and keys, a body with each target's place, and trailers
/// (`Integration-Guide: path`, one `Citation-Key: key` per key).
fn commit_message(p: &GuidePlan) -> String {
    let keys = p.guide.citation_keys.join(", ");
    let mut m =
        format!("Integrate {}{}\n\n", p.guide.slug, if keys.is_empty() { String::new() } else { format!(" ({keys})") });
    m.push_str(&format!("Guide: {}\n", p.guide.path));
    m.push_str(&format!("Citation keys: {keys}\n"));
    m.push_str("Targets:\n");
    for t in &p.targets {
        let what = match t.insertion() {
            Some((path, ins)) => {
                let heading = t.candidates.first().map(|c| c.heading_path.join(" > ")).unwrap_or_default();
                // A spot the reviewer chose (`--pick`, `--at`) is recorded with its flag.
                let chosen = t.candidates.first().into_iter().flat_map(|c| &c.signals).find_map(|s| match s {
                    crate::place::Signal::Chosen { flag, .. } => Some(format!(", chosen with {flag}")),
                    _ => None,
                });
                format!("{path} after line {} ({heading}){}", ins.after_line, chosen.unwrap_or_default())
            }
            None => format!("{:?}", t.status()).to_lowercase(),
        };
        m.push_str(&format!("- {}: {what}\n", guide::describe_rank(t.target.rank)));
    }
    m.push_str(&format!("\n{}: {}\n", git::GUIDE_TRAILER, p.guide.path));
    for k in &p.guide.citation_keys {
        m.push_str(&format!("Citation-Key: {k}\n"));
    }
    m
}
