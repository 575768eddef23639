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
    let rows: Vec<(String, String, workflow::GuideState)> = planned
        .plans
        .iter()
        .map(|p| (p.guide.path.clone(), workflow::topic(&p.guide.path, &literature), workflow::state(p)))
        .collect();
    let text = match format {
        Format::Json => crate::report::json_text(&workflow::status_json(&rows)),
        _ => workflow::status_text(&rows),
    };
    super::write_out(out, &text)?;
    Ok(0)
}
