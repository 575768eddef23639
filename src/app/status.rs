//! `status`: the dashboard of where each guide stands (applied, partly applied, pending,
//! cannot apply), per literature topic.
//!
//! What it leaves out: the states themselves (`crate::workflow::state`).

use std::io::Write;

use super::Planned;
use crate::cli::Format;
use crate::error::Result;
use crate::store::Store;
use crate::workflow;

/// Prints the dashboard as text or JSON; status 0.
///
/// # Errors
/// [`crate::error::Error::Io`] when stdout cannot be written.
pub(super) fn run(book: &Store, planned: &Planned, format: Format, out: &mut dyn Write) -> Result<i32> {
    let literature = book.config.book.literature();
    let rows: Vec<workflow::StatusRow> = planned
        .plans
        .iter()
        .map(|p| workflow::StatusRow {
            guide: p.guide.path.clone(),
            topic: workflow::topic(&p.guide.path, &literature),
            state: workflow::state(p),
            branch: unmerged_branch(book, &format!("{}{}", book.config.branch.prefix, p.guide.slug)),
        })
        .collect();
    let text = match format {
        Format::Json => crate::report::json_text(&workflow::status_json(&rows)),
        _ => workflow::status_text(&rows),
    };
    super::write_out(out, &text)?;
    Ok(0)
}

/// `branch` when the book's repository has it and its tip is not merged into the base
/// revision (neither it nor an ancestor of it); `None` without git or such a branch.
fn unmerged_branch(book: &Store, branch: &str) -> Option<String> {
    let g = book.git.as_ref()?;
    let repo = g.repo();
    let tip = repo.find_branch(branch, git2::BranchType::Local).ok()?.get().target()?;
    let merged = g.base.is_some_and(|base| base == tip || repo.graph_descendant_of(base, tip).unwrap_or(false));
    (!merged).then(|| branch.to_string())
}
