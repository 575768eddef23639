//! `plan`: every guide's targets with their ranked insertion points, as text, JSON or
//! GitHub annotations.
//!
//! What it leaves out: the edits themselves (`diff`) and committing them (`apply`).

use std::io::Write;

use super::{Planned, Ui};
use crate::cli::Format;
use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::report;
use crate::store::Store;

/// Prints the plans; status 1 when a finding is at or above `--fail-on`. `explain`
/// (`--explain`; the book was opened listing every candidate) adds each candidate's raw
/// score and signals to JSON.
///
/// # Errors
/// [`Error::Io`] when stdout cannot be written.
pub(super) fn run(book: &Store, planned: &Planned, explain: bool, out: &mut dyn Write, ui: Ui) -> Result<i32> {
    let plans = &planned.plans;
    match ui.s.format {
        Format::Json if explain => {
            out.write_all(report::plans_json_explained(plans, &book.rules.scoring.place).as_bytes())
        }
        Format::Json => out.write_all(report::plans_json(plans).as_bytes()),
        Format::Text => {
            plans.iter().try_for_each(|p| out.write_all(report::plan_text(p, ui.style, ui.source).as_bytes()))
        }
        Format::Github => {
            let all: Vec<&Finding> = plans.iter().flat_map(|p| p.all_findings()).collect();
            out.write_all(report::github_annotations(&all, &|p| super::repo_path(book, p)).as_bytes())
        }
    }
    .map_err(|e| Error::io("write", "stdout", e))?;
    Ok(i32::from(planned.failed))
}
