//! `guides`: the inventory of every integration guide and key-findings file (or those under
//! the given paths) with what was extracted from each.
//!
//! What it leaves out: reading and describing one input (`crate::inventory`), planning.

use std::io::Write;
use std::path::Path;

use crate::cli::{Format, Settings};
use crate::error::{Error, Result};
use crate::inventory;
use crate::report::{self, Style};
use crate::store::Store;

/// Prints the inventory; status 1 when any input has a finding at or above `--fail-on`.
///
/// # Errors
/// [`Error::Io`] when a named file does not exist, a folder cannot be listed, a file cannot
/// be read or stdout cannot be written.
pub(super) fn run(book: &Store, s: &Settings, cwd: &Path, out: &mut dyn Write, style: Style) -> Result<i32> {
    let hidden: Vec<String> = book.config.book.literature();
    let mut inputs = Vec::new();
    if s.paths.is_empty() {
        inputs = inventory::find_inputs(&book.root, &book.root, &hidden)?;
    } else {
        for p in &s.paths {
            let abs = cwd.join(p);
            if abs.is_dir() {
                inputs.extend(inventory::find_inputs(&abs, &book.root, &hidden)?);
            } else {
                let name = abs.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                let kind = inventory::Kind::of(&name).unwrap_or(inventory::Kind::IntegrationGuide);
                if !abs.is_file() {
                    return Err(Error::io("read", &abs, std::io::Error::from(std::io::ErrorKind::NotFound)));
                }
                inputs.push((abs, kind));
            }
        }
    }
    let progress = super::progress_bar(inputs.len() as u64, s.quiet);
    let mut entries = Vec::new();
    for (path, kind) in &inputs {
        entries.push(inventory::read(path, *kind, &book.rules, &book.bib, &book.root)?);
        progress.inc(1);
    }
    progress.finish_and_clear();
    for f in entries.iter_mut().flat_map(|e| e.guide.findings.iter_mut()) {
        book.rules.severity_overrides.apply(f);
    }
    let text = match s.format {
        Format::Json => report::json_text(&report::json::GuidesDoc {
            guides: entries.iter().map(inventory::entry_json).collect(),
            schema: report::SCHEMA,
        }),
        Format::Text | Format::Github => inventory::entries_text(&entries, style),
    };
    super::write_out(out, &text)?;
    let failed = entries.iter().flat_map(|e| &e.guide.findings).any(|f| f.severity >= s.fail_on);
    Ok(i32::from(failed))
}
