//! The one walk over the book's folders on disk, and the listing of one folder: which
//! entries are skipped, which links are followed, the order results come in.
//!
//! Every listing of the book on disk goes through here: the guides `check`, `plan` and
//! `status` work on ([`crate::book::find_guides`]), the literature inputs `guides` lists
//! ([`crate::inventory::find_inputs`]), the book's files when there is no git base, and the
//! files of one guide folder ([`crate::guide::locate`]).
//!
//! The rules of the walk ([`files`]):
//! - an entry whose name starts with `.`, or is `target` or `node_modules`, is skipped,
//!   unless it is a configured literature root (`[book] literature`, a path relative to the
//!   book root) or a folder on the way to one;
//! - a symlinked folder is not followed (it may lead out of the book): it is returned as a
//!   symlink, like a symlinked file;
//! - only regular files and symlinks are returned (no FIFOs, devices or sockets);
//! - results are sorted by path, component by component.
//!
//! What it leaves out: reading what it finds (see [`crate::disk`], which checks each file's
//! real path and kind again before reading it); the base tree, which is read from git (see
//! [`crate::book`]).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file the walk found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// The path as walked: the start folder joined with the names on the way.
    pub path: PathBuf,
    /// Whether it is a symlink (to a file or a folder, not followed); else a regular file.
    pub link: bool,
}

impl Found {
    /// The file's name, lossily converted to UTF-8.
    pub fn name(&self) -> String {
        self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }
}

/// Whether the walk skips an entry named `name`: hidden entries, `target` and
/// `node_modules` (build output and dependencies, never a book's text).
fn skipped_name(name: &str) -> bool {
    name.starts_with('.') || name == "target" || name == "node_modules"
}

/// Whether the book-relative path `rel` is one of the `literature` roots or a folder on
/// the way to one (so a hidden root such as `ops/.staging` is reached).
fn names_literature(rel: &str, literature: &[String]) -> bool {
    literature.iter().any(|l| l == rel || l.starts_with(&format!("{rel}/")))
}

/// Every regular file and symlink under `start`, by the rules in the module header, sorted
/// by path. `root` is the book root (a real path) that `literature` roots are relative to;
/// when `start` is not inside it, no skipped entry is walked.
///
/// # Errors
/// [`Error::Io`] when a folder cannot be listed. An entry whose kind cannot be read is left
/// out.
pub fn files(start: &Path, root: &Path, literature: &[String]) -> Result<Vec<Found>> {
    // Book-relative paths come from the start's real path, so a start named through `..`
    // or a symlink still finds its literature roots.
    let start_rel =
        start.canonicalize().ok().and_then(|real| real.strip_prefix(root).ok().map(crate::text::slash_path));
    let mut out = Vec::new();
    let mut stack = vec![(start.to_path_buf(), start_rel)];
    while let Some((dir, rel)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io("list", &dir, e))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let entry_rel = rel.as_ref().map(|r| if r.is_empty() { name.clone() } else { format!("{r}/{name}") });
            if skipped_name(&name) && !entry_rel.as_deref().is_some_and(|r| names_literature(r, literature)) {
                continue;
            }
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                stack.push((entry.path(), entry_rel));
            } else if ft.is_file() || ft.is_symlink() {
                out.push(Found { path: entry.path(), link: ft.is_symlink() });
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The files of the one folder `dir`, sorted: every entry that is a regular file or a
/// symlink leading to one. Nothing is skipped by name: the folder is one a user or guide
/// named. A symlink is listed here so that reading it is refused with a finding when it
/// leads out of the book ([`crate::disk::read_in`]).
///
/// # Errors
/// [`Error::Io`] when the folder cannot be listed.
pub fn files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io("list", dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literature_roots_and_the_folders_on_the_way_are_named() {
        let literature = vec!["ops/.staging".to_string(), "Literature".to_string()];
        assert!(names_literature("ops", &literature));
        assert!(names_literature("ops/.staging", &literature));
        assert!(!names_literature(".staging", &literature));
        assert!(!names_literature("ops/.staging/.old", &literature));
        assert!(!names_literature("op", &literature));
    }

    #[cfg(unix)]
    #[test]
    fn hidden_folders_are_skipped_unless_a_literature_root_and_links_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        for rel in [".staging/a/guide.md", ".git/x.md", "target/t.md", "node_modules/n.md", "b-c.md", "b/d.md"] {
            std::fs::create_dir_all(root.join(rel).parent().unwrap()).unwrap();
            std::fs::write(root.join(rel), "x").unwrap();
        }
        std::os::unix::fs::symlink(root.join("b"), root.join("linked")).unwrap();
        let rels = |found: Vec<Found>| -> Vec<(String, bool)> {
            found.into_iter().map(|f| (crate::text::slash_path(f.path.strip_prefix(&root).unwrap()), f.link)).collect()
        };
        let plain = vec![("b/d.md".to_string(), false), ("b-c.md".to_string(), false), ("linked".to_string(), true)];
        assert_eq!(rels(files(&root, &root, &[]).unwrap()), plain);
        let mut with_staging = vec![(".staging/a/guide.md".to_string(), false)];
        with_staging.extend(plain);
        assert_eq!(rels(files(&root, &root, &[".staging".into()]).unwrap()), with_staging);
    }
}
