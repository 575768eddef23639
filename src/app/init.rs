//! `init`: writes a commented `chapter-integrator.toml` with what was detected in the book.
//!
//! What it leaves out: the template and the safe write (`crate::workflow::init`).

use std::io::Write;

use crate::error::{Error, Result};
use crate::store::Store;
use crate::workflow;

/// Writes the configuration (over an existing one only with `force`) and says where.
///
/// # Errors
/// [`Error::Usage`] when the file exists (without `force`) or is not a regular file;
/// [`Error::Io`] when it or stdout cannot be written.
pub(super) fn run(book: &Store, force: bool, out: &mut dyn Write) -> Result<i32> {
    let path = workflow::init(book, force)?;
    writeln!(out, "wrote {}", path.display()).map_err(|e| Error::io("write", "stdout", e))?;
    Ok(0)
}
