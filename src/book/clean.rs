//! The work-tree files known to hold exactly their blob, so that reading the base tree may
//! take their bytes from disk instead of inflating the blob.
//!
//! What it leaves out: reading the base tree itself (see [`super::base`]).

use std::collections::HashMap;
use std::path::PathBuf;

use super::base::GitBase;

/// The work-tree files known to hold exactly their blob, by the test git itself uses
/// (`git status`): the index records the blob and the file's size and modification time at
/// checkout, and the file still has them. Reading those from disk skips inflating the
/// blob. Files modified in the same second as the index was written ("racily clean") are
/// not trusted, nor is anything when `core.autocrlf` may convert line endings; and a file's
/// bytes are used only when they hash to its blob id. Attributes from any source (nested or
/// untracked `.gitattributes`, `core.attributesFile`, the `info/attributes` linked work trees
/// share, filters) may have converted a checked-out file without changing its stat: hashing
/// costs about what inflating the blob would (measured on a 4,000-file book), where git2's
/// per-path attribute lookup (no attribute session in its API) costs ten times that.
pub(super) struct CleanFiles {
    workdir: PathBuf,
    /// Repository path -> the index's record of it.
    entries: HashMap<String, Stat>,
}

/// What git's index records of a checked-out file: its blob, size, modification and
/// status-change times, and inode (as git truncates them to 32 bits).
struct Stat {
    id: git2::Oid,
    size: u32,
    mtime: (i32, u32),
    ctime: (i32, u32),
    ino: u32,
}

impl CleanFiles {
    /// The bytes of `repo_path` from disk when the file is clean and its blob is `id`:
    /// size, modification and status-change times and inode as the index recorded them (a
    /// rewrite that restores the modification time still changes the status-change time).
    #[cfg(unix)]
    pub(super) fn read(&self, repo_path: &str, id: git2::Oid) -> Option<Vec<u8>> {
        use std::os::unix::fs::MetadataExt;
        let st = self.entries.get(repo_path)?;
        if st.id != id {
            return None;
        }
        let path = self.workdir.join(repo_path);
        let meta = std::fs::symlink_metadata(&path).ok()?;
        let same = meta.is_file()
            && meta.len() as u32 == st.size
            && (meta.mtime() as i32, meta.mtime_nsec() as u32) == st.mtime
            && (meta.ctime() as i32, meta.ctime_nsec() as u32) == st.ctime
            && meta.ino() as u32 == st.ino;
        if !same {
            return None;
        }
        let bytes = crate::disk::read_regular(&path).ok().filter(|b| b.len() as u32 == st.size)?;
        // The base text must be the blob byte for byte, or diff and commit disagree.
        (git2::Oid::hash_object(git2::ObjectType::Blob, &bytes).ok()? == id).then_some(bytes)
    }

    /// Elsewhere the blob is always read.
    #[cfg(not(unix))]
    pub(super) fn read(&self, _repo_path: &str, _id: git2::Oid) -> Option<Vec<u8>> {
        None
    }
}

pub(super) fn clean_in_work_tree(g: &GitBase) -> Option<CleanFiles> {
    let repo = g.repo();
    let config = repo.config().ok()?;
    // Any value but false (true, input) may mean the blob and the file differ.
    let autocrlf = config.get_string("core.autocrlf").map(|v| v.to_lowercase());
    let autocrlf = match autocrlf {
        Ok(v) => !matches!(v.as_str(), "false" | "no" | "off" | "0" | ""),
        Err(_) => false,
    };
    if autocrlf {
        return None;
    }
    let index = repo.index().ok()?;
    let written = std::fs::metadata(repo.path().join("index")).ok()?.modified().ok()?;
    let written = written.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i32;
    let entries = index
        .iter()
        .filter(|e| e.mtime.seconds() < written)
        .filter_map(|e| {
            let path = String::from_utf8(e.path).ok()?;
            let stat = Stat {
                id: e.id,
                size: e.file_size,
                mtime: (e.mtime.seconds(), e.mtime.nanoseconds()),
                ctime: (e.ctime.seconds(), e.ctime.nanoseconds()),
                ino: e.ino,
            };
            Some((path, stat))
        })
        .collect();
    Some(CleanFiles { workdir: g.workdir.clone(), entries })
}
