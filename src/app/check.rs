//! `check`: every finding of the guides and (for the whole book) the book's own health, as
//! text, JSON or GitHub annotations with a job summary; `--diff` adds the patch.
//!
//! What it leaves out: the findings themselves (`crate::check`, `crate::index`).

use std::io::Write;
use std::path::PathBuf;

use super::{Planned, Ui};
use crate::cli::Format;
use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::plan::GuidePlan;
use crate::report::{self, json};
use crate::store::Store;

/// Prints the findings; status 1 when a guide's or the book's finding is at or above
/// `--fail-on`. `health`: the book-wide findings of a whole-book check (else empty).
///
/// # Errors
/// [`Error::Io`] when stdout, stderr or `GITHUB_STEP_SUMMARY` cannot be written.
pub(super) fn run(
    book: &Store,
    planned: &Planned,
    health: &[Finding],
    diff: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
    ui: Ui,
) -> Result<i32> {
    let (s, plans) = (ui.s, &planned.plans);
    let book_findings: Vec<&Finding> =
        book.findings.iter().chain(book.bib.findings.iter()).chain(health.iter()).collect();
    let book_failed = book_findings.iter().any(|f| f.severity >= s.fail_on);
    match s.format {
        Format::Json => {
            let (errors, warnings) = super::count(plans, &book_findings);
            let doc = json::CheckDoc {
                book_findings: json::FindingJson::all(book_findings.iter().copied()),
                diff: if diff { Some(super::diff::diff_of(book, plans, err, ui)?.0) } else { None },
                guides: json::GuideJson::all(plans),
                schema: report::SCHEMA,
                summary: json::CheckSummary { errors, guides: plans.len(), warnings },
            };
            super::write_out(out, &report::json_text(&doc))?;
        }
        Format::Github => github(book, plans, &book_findings, out, ui)?,
        Format::Text => {
            let mut text = String::new();
            let shown = |f: &Finding| super::is_shown(f, s);
            for p in plans {
                for f in p.all_findings().into_iter().filter(|f| shown(f)) {
                    text.push_str(&report::finding_text(f, ui.style, ui.source));
                }
            }
            for f in book_findings.iter().filter(|f| shown(f)) {
                text.push_str(&report::finding_text(f, ui.style, ui.source));
            }
            if !s.quiet {
                let (e, w) = super::count(plans, &book_findings);
                text.push_str(&format!("checked {} guide(s): {e} error(s), {w} warning(s)\n", plans.len()));
            }
            super::write_out(out, &text)?;
        }
    }
    // The patch is part of text output only (JSON carries it in `diff`).
    if diff && s.format == Format::Text {
        let (patch, _) = super::diff::diff_of(book, plans, err, ui)?;
        super::write_out(out, &report::diff_text(&patch, ui.style))?;
    }
    Ok(i32::from(planned.failed || book_failed))
}

/// GitHub annotations on stdout and, when `GITHUB_STEP_SUMMARY` names a file, the job
/// summary appended to it.
fn github(book: &Store, plans: &[GuidePlan], book_findings: &[&Finding], out: &mut dyn Write, ui: Ui) -> Result<()> {
    let all: Vec<&Finding> = plans
        .iter()
        .flat_map(|p| p.all_findings())
        .chain(book_findings.iter().copied())
        .filter(|f| super::is_shown(f, ui.s))
        .collect();
    super::write_out(out, &report::github_annotations(&all, &|p| super::repo_path(book, p)))?;
    // GitHub shows ten annotations per step: the job summary lists them all.
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io("write", PathBuf::from(&path), e))?;
        file.write_all(report::github_summary(plans, book_findings).as_bytes())
            .map_err(|e| Error::io("write", PathBuf::from(&path), e))?;
    }
    Ok(())
}
