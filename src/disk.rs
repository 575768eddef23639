//! The book's files on disk: which may be read, and where the tool may write.
//!
//! Most input comes from the base revision's tree. What is read from disk (guides, their
//! key findings, README and `.bib` files, the configuration, the rules folder, chapters
//! compared with their blobs, the lines findings show) is read through [`read_in`]: only a
//! regular file whose real path (every symlink followed) lies inside the book root. The
//! check is made before the file is opened, and the file is opened without blocking and
//! checked again, so a FIFO, a device such as `/dev/zero` or a link to `/proc` is never read
//! from. The tool's own files in the git directory are read through [`open_regular`].
//!
//! Output paths the user names (`diff --output`, `apply --summary`) pass [`may_write`]: not
//! inside the git directory, not a file the repository tracks, not one of the run's inputs.
//!
//! What it leaves out: reading the base tree (see [`crate::book`]); `init`'s own checks
//! (see [`crate::workflow::init`]).

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::finding::{Code, Finding};

/// Why a file on disk was not read.
#[derive(Debug)]
pub enum Refusal {
    /// Its real path (every symlink followed) is outside the book root.
    Outside,
    /// It is not a regular file: the kind it is ("FIFO", "device", "socket", "folder").
    NotRegular(&'static str),
    /// It does not exist or cannot be read.
    Unreadable(std::io::Error),
}

impl Refusal {
    /// The finding for a refused file `rel` (relative to the book root): `path-outside-book`
    /// or `file-not-regular`, both errors; `None` for a file that does not exist or cannot
    /// be read (that is the caller's to report).
    pub fn finding(&self, rel: &str) -> Option<Finding> {
        match self {
            Refusal::Outside => Some(
                Finding::new(
                    Code::PathOutsideBook,
                    "the file's real path is outside the book (through a symlink, or as named); it is not read",
                )
                .at(rel, None)
                .help("replace the symlink with the file, or point it inside the book"),
            ),
            Refusal::NotRegular(kind) => Some(
                Finding::new(
                    Code::FileNotRegular,
                    format!("the file is not a regular file but a {kind}; it is not read"),
                )
                .at(rel, None)
                .help("replace it with a regular file"),
            ),
            Refusal::Unreadable(_) => None,
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Outside => f.write_str("leads outside the book"),
            Refusal::NotRegular(kind) => write!(f, "is not a regular file but a {kind}"),
            Refusal::Unreadable(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

/// What kind of file `meta` describes, when it is not a regular file.
fn irregular(meta: &std::fs::Metadata) -> Option<&'static str> {
    let ft = meta.file_type();
    if ft.is_file() {
        return None;
    }
    if ft.is_dir() {
        return Some("folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return Some("FIFO");
        }
        if ft.is_socket() {
            return Some("socket");
        }
        if ft.is_char_device() || ft.is_block_device() {
            return Some("device");
        }
    }
    Some("special file")
}

/// The real path of `path` when it is a regular file inside `root` (itself a real path, as
/// [`crate::book::Book::root`] is), checked without opening it.
///
/// # Errors
/// The [`Refusal`]: outside the root, not a regular file, or not there.
pub fn inside(root: &Path, path: &Path) -> std::result::Result<PathBuf, Refusal> {
    let real = path.canonicalize().map_err(Refusal::Unreadable)?;
    if !real.starts_with(root) {
        return Err(Refusal::Outside);
    }
    let meta = std::fs::metadata(&real).map_err(Refusal::Unreadable)?;
    match irregular(&meta) {
        Some(kind) => Err(Refusal::NotRegular(kind)),
        None => Ok(real),
    }
}

/// The bytes of `path` when it is a regular file inside `root` (see [`inside`]).
///
/// # Errors
/// The [`Refusal`]; a read failure is [`Refusal::Unreadable`].
pub fn read_in(root: &Path, path: &Path) -> std::result::Result<Vec<u8>, Refusal> {
    let real = inside(root, path)?;
    read_regular(&real).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidInput => Refusal::NotRegular("special file"),
        _ => Refusal::Unreadable(e),
    })
}

/// Opens `path` for reading only when it is a regular file: its kind is checked before it
/// is opened, the open does not wait for a writer (a FIFO swapped in meanwhile), and the
/// opened file is checked again.
///
/// # Errors
/// The I/O error; [`std::io::ErrorKind::InvalidInput`] for a file that is not regular.
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let not_regular = || std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file");
    if irregular(&std::fs::metadata(path)?).is_some() {
        return Err(not_regular());
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Reads of a regular file never block, so the flag changes nothing once it is one.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if irregular(&file.metadata()?).is_some() {
        return Err(not_regular());
    }
    Ok(file)
}

/// The bytes of `path` when it is a regular file (see [`open_regular`]).
///
/// # Errors
/// As [`open_regular`], and read failures.
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = open_regular(path)?;
    let mut bytes = Vec::with_capacity(file.metadata().map(|m| m.len() as usize).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// `path` as shown to users: relative to `root` with `/` separators, never absolute. A
/// symlink inside the book that leads elsewhere in it shows as its target; one leading out
/// shows as the link itself; a path outside the book as its way there (`../x/guide.md`).
pub fn shown(root: &Path, path: &Path) -> String {
    if let Ok(real) = path.canonicalize() {
        if let Ok(rel) = real.strip_prefix(root) {
            return crate::text::slash_path(rel);
        }
    }
    // The link itself: the real path of its nearest folder inside the book, then the rest
    // of the path as named.
    for folder in path.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()) {
        let Ok(real) = folder.canonicalize() else { continue };
        if let (Ok(rel), Ok(rest)) = (real.strip_prefix(root), path.strip_prefix(folder)) {
            return crate::text::slash_path(&rel.join(rest));
        }
    }
    let real = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    crate::text::slash_path(&relative_to(&real, root))
}

/// `path` relative to `root` by components, with `..` where it leaves it; a relative
/// `path` stays as it is.
fn relative_to(path: &Path, root: &Path) -> PathBuf {
    if path.is_relative() {
        return path.to_path_buf();
    }
    let p: Vec<Component> = path.components().collect();
    let r: Vec<Component> = root.components().collect();
    let common = p.iter().zip(&r).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..r.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// What an output path must not be: the git directory (`.git` and a linked work tree's
/// common directory), a file the repository tracks (in its index or its base commit), or
/// one of the run's own input files.
pub struct Protected<'a> {
    /// The repository's git directories, real paths.
    pub git_dirs: Vec<PathBuf>,
    /// The work tree's root, a real path, when there is one.
    pub workdir: Option<PathBuf>,
    /// Whether a work-tree path (relative to `workdir`, `/` separators) is tracked.
    pub tracked: &'a dyn Fn(&str) -> bool,
    /// Whether a real path is one of the run's input files.
    pub is_input: &'a dyn Fn(&Path) -> bool,
}

/// Whether the tool may write the output file `path` (`diff --output`, `apply --summary`):
/// where it leads (through a symlink too) must not be [`Protected`].
///
/// # Errors
/// [`Error::Usage`] naming the path and why: it is inside the git directory, a tracked
/// file, one of the run's inputs, a symlink to nowhere, or not a regular file.
pub fn may_write(path: &Path, protected: &Protected) -> Result<()> {
    let refuse = |why: &str| Err(Error::Usage(format!("{}: {why}; it was not written", path.display())));
    let real = match std::fs::symlink_metadata(path) {
        Ok(_) => match path.canonicalize() {
            Ok(real) => real,
            Err(_) => return refuse("is a symlink to a file that does not exist"),
        },
        Err(_) => {
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            match (parent.canonicalize(), path.file_name()) {
                (Ok(folder), Some(name)) => folder.join(name),
                // The write reports a missing folder itself.
                _ => return Ok(()),
            }
        }
    };
    if let Ok(meta) = std::fs::metadata(&real) {
        if let Some(kind) = irregular(&meta) {
            return refuse(&format!("is a {kind}, not a regular file"));
        }
    }
    // Another repository's `.git` folder is no place for output either.
    if protected.git_dirs.iter().any(|d| real.starts_with(d)) || real.components().any(|c| c.as_os_str() == ".git") {
        return refuse("is inside the repository's git directory");
    }
    if let Some(rel) = protected.workdir.as_ref().and_then(|w| real.strip_prefix(w).ok()) {
        if (protected.tracked)(&crate::text::slash_path(rel)) {
            return refuse("is a file tracked by the repository");
        }
    }
    if (protected.is_input)(&real) {
        return refuse("is one of this run's input files");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_with_dots() {
        assert_eq!(relative_to(Path::new("/a/b/c.md"), Path::new("/a/x")), PathBuf::from("../b/c.md"));
        assert_eq!(relative_to(Path::new("/a/x/c.md"), Path::new("/a/x")), PathBuf::from("c.md"));
    }

    #[cfg(unix)]
    #[test]
    fn fifos_and_devices_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let fifo = root.join("pipe.bib");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert!(matches!(read_in(&root, &fifo), Err(Refusal::NotRegular("FIFO"))));
        assert_eq!(open_regular(&fifo).unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
        std::os::unix::fs::symlink("/dev/zero", root.join("zero.bib")).unwrap();
        assert!(matches!(read_in(&root, &root.join("zero.bib")), Err(Refusal::Outside)));
        assert_eq!(open_regular(Path::new("/dev/zero")).unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    }
}
