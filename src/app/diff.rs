//! `diff`: the unified diff of every file the guides change, printed or written to
//! `--output`; also what `check --diff` prints.
//!
//! What it leaves out: committing the change (`apply`).

use std::io::Write;
use std::path::Path;

use super::{Planned, Ui};
use crate::cli::Format;
use crate::error::{Error, Result};
use crate::plan::{self, GuidePlan};
use crate::report::{self, json};
use crate::store::Store;
use crate::{check, diff};

/// Prints the diff (or writes it to `output`); status 1 when a finding is at or above
/// `--fail-on` or an edit failed. Nothing is written to `output` then, nor when there is
/// nothing to write.
///
/// # Errors
/// [`Error::Usage`] when `output` may not be written ([`super::may_write`]); [`Error::Io`]
/// when it or stdout cannot be written.
pub(super) fn run(
    book: &Store,
    planned: &Planned,
    output: Option<&Path>,
    out: &mut dyn Write,
    err: &mut dyn Write,
    ui: Ui,
) -> Result<i32> {
    let (s, plans, failed) = (ui.s, &planned.plans, planned.failed);
    if let Some(path) = output {
        super::may_write(book, path, &planned.read_files)?;
    }
    let (patch, change_failed) = diff_of(book, plans, err, ui)?;
    match output {
        // Nothing is written when the plan has errors.
        Some(_) if failed || change_failed => {
            writeln!(err, "the patch file was not written: fix the errors above first")
                .map_err(|e| Error::io("write", "stderr", e))?;
        }
        // Nor when there is nothing to write: an existing file is left as it is.
        Some(path) if patch.is_empty() => {
            if !s.quiet {
                writeln!(
                    err,
                    "nothing to write: every target is already applied or has nothing to insert; {} was not written",
                    path.display()
                )
                .map_err(|e| Error::io("write", "stderr", e))?;
            }
        }
        Some(path) => {
            std::fs::write(path, &patch).map_err(|e| Error::io("write", path, e))?;
            if !s.quiet {
                let (files, added, removed) = patch_stat(&patch);
                writeln!(
                    err,
                    "wrote {}: {files} file(s) changed, {added} line(s) added, {removed} removed (`git apply {}` from the repository root applies it)",
                    path.display(),
                    path.display()
                )
                .map_err(|e| Error::io("write", "stderr", e))?;
            }
        }
        None => match s.format {
            Format::Json => {
                let doc = json::DiffDoc { diff: &patch, guides: json::GuideJson::all(plans), schema: report::SCHEMA };
                super::write_out(out, &report::json_text(&doc))?;
            }
            Format::Text | Format::Github => super::write_out(out, &report::diff_text(&patch, ui.style))?,
        },
    }
    Ok(i32::from(failed || change_failed))
}

/// `(files, lines added, lines removed)` of a unified diff: its `diff --git` headers and the
/// `+` / `-` lines of its hunks.
fn patch_stat(patch: &str) -> (usize, usize, usize) {
    let (mut files, mut added, mut removed, mut in_hunk) = (0, 0, 0, false);
    for line in patch.lines() {
        if line.starts_with("diff --git ") {
            files += 1;
            in_hunk = false;
        } else if line.starts_with("@@") {
            in_hunk = true;
        } else if in_hunk && line.starts_with('+') {
            added += 1;
        } else if in_hunk && line.starts_with('-') {
            removed += 1;
        }
    }
    (files, added, removed)
}

/// The unified diff of every changed file (headers relative to the git work tree root),
/// and whether an edit failed. Prints the plans' findings, each changed file's work-tree
/// drift and the edits' findings to `err`.
///
/// # Errors
/// [`Error::Io`] when stderr cannot be written.
pub(super) fn diff_of(book: &Store, plans: &[GuidePlan], err: &mut dyn Write, ui: Ui) -> Result<(String, bool)> {
    super::print_findings(plans, err, ui)?;
    let all: Vec<&GuidePlan> = plans.iter().collect();
    let changes = plan::changes(book, &all);
    let mut patch = String::new();
    for (path, (old, new)) in &changes.files {
        if let Some(f) = check::worktree_drift(book, path) {
            super::write_finding(err, &f, ui)?;
        }
        let shown = super::repo_path(book, path);
        if changes.new_files.contains(path) {
            patch.push_str(&diff::unified_new(&shown, new));
        } else {
            patch.push_str(&diff::unified(&shown, old, new));
        }
    }
    for f in &changes.findings {
        super::write_finding(err, f, ui)?;
    }
    Ok((patch, !changes.findings.is_empty()))
}
