//! The files that make up the book as of its base: the git side (repository, work tree,
//! base commit), the base tree read on every core, or the disk when the book has no base
//! commit; each file sorted into text, symlink or not UTF-8. Also the few reads of the base
//! tree later stages make (a file's base text, the submodule holding a path).
//!
//! What it leaves out: the work-tree clean-file test that lets a blob be read from disk (see
//! [`super::clean`]); what is derived from the texts (includes, bibliography, caches).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::clean::clean_in_work_tree;
use super::config::Config;
use super::Book;
use crate::error::{Error, Result};
use crate::finding::{Code, Finding};
use crate::markup::Markup;
use crate::text::{join_rel, parent_dir, slash_path};

/// The git side of a book: the repository and the base commit files are read from.
pub struct GitBase {
    /// The repository.
    pub repo: Mutex<git2::Repository>,
    /// Work tree root.
    pub workdir: PathBuf,
    /// Book root relative to the work tree root (`""` when they are the same), `/` separated.
    pub prefix: String,
    /// The base commit, when the revision resolved (`None` for an unborn HEAD).
    pub base: Option<git2::Oid>,
    /// The base revision as the user gave it.
    pub base_rev: String,
}

impl GitBase {
    /// The repository, locked for this thread while the guard lives.
    pub fn repo(&self) -> MutexGuard<'_, git2::Repository> {
        self.repo.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Path relative to the work tree root for a book-relative path.
    pub fn repo_path(&self, rel: &str) -> String {
        if self.prefix.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{}", self.prefix, rel)
        }
    }
}

impl Book {
    /// The git submodule holding book path `path` (the submodule's book-relative path, which
    /// may be `path` itself), by the base tree: a submodule is a commit entry there, and its
    /// files are in another repository, never read or written. `None` when no folder on the
    /// way is a submodule, or the book is not read from git.
    pub fn submodule_of(&self, path: &str) -> Option<String> {
        let g = self.git.as_ref()?;
        let repo = g.repo();
        let tree = repo.find_commit(g.base?).ok()?.tree().ok()?;
        let mut at = String::new();
        for part in path.split('/') {
            if !at.is_empty() {
                at.push('/');
            }
            at.push_str(part);
            // Only a folder of the tree can hold a submodule further down.
            match tree.get_path(Path::new(&g.repo_path(&at))).ok()?.kind() {
                Some(git2::ObjectType::Commit) => return Some(at),
                Some(git2::ObjectType::Tree) => {}
                _ => return None,
            }
        }
        None
    }

    /// The text of any file of the book (chapters and .bib files, and also files in
    /// literature folders) as of the base revision, else from disk; `None` when it does
    /// not exist or is not UTF-8.
    pub fn base_text(&self, rel: &str) -> Option<String> {
        if let Some(t) = self.sources.get(rel) {
            return Some(t.clone());
        }
        let bytes = match self.git.as_ref().and_then(|g| g.base.map(|b| (g, b))) {
            Some((g, base)) => {
                let repo = g.repo();
                let tree = repo.find_commit(base).and_then(|c| c.tree()).ok()?;
                let entry = tree.get_path(Path::new(&g.repo_path(rel))).ok()?;
                let bytes = repo.find_blob(entry.id()).ok()?.content().to_vec();
                bytes
            }
            None => crate::disk::read_in(&self.root, &self.root.join(rel)).ok()?,
        };
        String::from_utf8(bytes).ok()
    }
}

/// The usage error for a revision `rev` given to `option` that git cannot resolve in the
/// repository at `workdir`: what is wrong with it in words, not git's error record.
pub(crate) fn bad_revision(option: &str, rev: &str, workdir: &Path, e: &git2::Error) -> Error {
    let why = match e.code() {
        git2::ErrorCode::Ambiguous => "is ambiguous: several objects start so; give more of the commit id",
        git2::ErrorCode::InvalidSpec => "is not a revision git understands",
        git2::ErrorCode::UnbornBranch => "names a branch with no commit yet",
        _ => "is no branch, tag or commit",
    };
    Error::Usage(format!(
        "{option} {rev}: {why} in the repository at {}; give a branch, tag or commit (HEAD, main, origin/main, a commit id)",
        workdir.display()
    ))
}

pub(super) fn open_git(root: &Path, base_rev: &str) -> Result<Option<GitBase>> {
    // Reading a blob re-hashes it by default (SHA-1 with collision detection: a fifth of
    // the time to read a large book). git itself does not verify objects on read either.
    git2::opts::strict_hash_verification(false);
    // Only a book in no repository is read from disk: a repository git cannot open (a
    // malformed config, "dubious ownership") is an error, not a book without git.
    let repo = match git2::Repository::discover(root) {
        Ok(repo) => repo,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(Error::git(format!("open the git repository holding {}", root.display()), e)),
    };
    let Some(workdir) = repo.workdir().map(|w| w.canonicalize().unwrap_or_else(|_| w.to_path_buf())) else {
        return Ok(None);
    };
    let prefix = root.strip_prefix(&workdir).map(slash_path).unwrap_or_default();
    let base = match repo.revparse_single(base_rev) {
        Ok(obj) => Some(
            obj.peel_to_commit()
                .map_err(|_| {
                    let kind = obj.kind().map_or("object", |k| k.str());
                    Error::Usage(format!(
                        "--base {base_rev}: names a {kind}, not a commit; give a branch, tag or commit"
                    ))
                })?
                .id(),
        ),
        Err(e)
            if base_rev == "HEAD"
                && (e.code() == git2::ErrorCode::UnbornBranch || e.code() == git2::ErrorCode::NotFound) =>
        {
            None
        }
        Err(e) => return Err(bad_revision("--base", base_rev, &workdir, &e)),
    };
    // A book whose files are not in the base commit (new, untracked) is read from disk.
    let tracked = match base {
        Some(oid) => {
            let tree = repo.find_commit(oid).and_then(|c| c.tree()).map_err(|e| Error::git("read base tree", e))?;
            prefix.is_empty() || tree.get_path(Path::new(&prefix)).is_ok()
        }
        None => false,
    };
    Ok(Some(GitBase {
        repo: Mutex::new(repo),
        workdir,
        prefix,
        base: if tracked { base } else { None },
        base_rev: base_rev.to_string(),
    }))
}

/// A file as listed from the base tree or the disk; a symlink's bytes are its target path.
struct RawFile {
    path: String,
    bytes: Vec<u8>,
    link: bool,
}

/// The book's files as read at opening: chapter, Markdown and .bib texts by book path,
/// symlinks to the book path they point to, and the files left out as not UTF-8.
pub(super) struct Files {
    /// Relative path -> text.
    pub(super) sources: BTreeMap<String, String>,
    /// Symlinked files -> the book path they point to.
    pub(super) symlinks: BTreeMap<String, String>,
    /// Files that are not UTF-8 text.
    pub(super) not_text: BTreeSet<String>,
}

/// Reads the book's files (.tex, .ltx, .typ, .bib, .md outside the literature folders) from
/// the base tree when `git` has a base commit, else from disk, adding to `findings` what
/// is left out and why (symlinks leading out of the book, files not UTF-8, Typst nested too
/// deep).
///
/// # Errors
/// [`Error::Git`] or [`Error::Io`] when the base tree or the disk cannot be read.
pub(super) fn read_files(
    root: &Path,
    config: &Config,
    git: Option<&GitBase>,
    findings: &mut Vec<Finding>,
) -> Result<Files> {
    let literature = config.book.literature();
    let in_literature = |p: &str| literature.iter().any(|l| p == l || p.starts_with(&format!("{l}/")));
    let wanted = |p: &str| {
        let ext = p.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        matches!(ext.as_str(), "tex" | "ltx" | "typ" | "bib" | "md") && !in_literature(p)
    };
    let phase = crate::trace::Phase::start("read files");
    let raw = match git.and_then(|g| g.base.map(|b| (g, b))) {
        Some((g, base)) => read_tree(g, base, &wanted)?,
        None => read_disk(root, &literature, &wanted)?,
    };
    phase.done();
    Ok(classify(raw, findings))
}

/// Classifies the files as read: texts, symlinks followed inside the book and files that
/// are not UTF-8, with a finding for each one left out.
fn classify(raw: Vec<RawFile>, findings: &mut Vec<Finding>) -> Files {
    let mut files = Files { sources: BTreeMap::new(), symlinks: BTreeMap::new(), not_text: BTreeSet::new() };
    for RawFile { path, bytes, link } in raw {
        if link {
            // A symlink is followed only to a file inside the book.
            let target = String::from_utf8_lossy(&bytes).to_string();
            match (!target.starts_with('/')).then(|| join_rel(parent_dir(&path), &target)).flatten() {
                Some(t) => {
                    files.symlinks.insert(path, t);
                }
                None => findings.push(
                    Finding::new(
                        Code::SymlinkOutsideBook,
                        format!("symlink points outside the book (to `{target}`); it is not followed"),
                    )
                    .at(path, None)
                    .help("replace the symlink with the file, or point it inside the book"),
                ),
            }
            continue;
        }
        match String::from_utf8(bytes) {
            Ok(text) => {
                if Markup::from_path(&path) == Some(Markup::Typst) {
                    findings.extend(crate::outline::nesting::finding(&path, &text));
                }
                files.sources.insert(path, text);
            }
            Err(_) => {
                files.not_text.insert(path.clone());
                findings.push(
                    Finding::new(Code::FileNotUtf8, "file is not UTF-8 text; it is left out of the book")
                        .at(path, None)
                        .help("convert the file to UTF-8"),
                );
            }
        }
    }
    files
}

fn read_tree(g: &GitBase, base: git2::Oid, wanted: &dyn Fn(&str) -> bool) -> Result<Vec<RawFile>> {
    let repo = g.repo();
    let commit = repo.find_commit(base).map_err(|e| Error::git("read base commit", e))?;
    let mut tree = commit.tree().map_err(|e| Error::git("read base tree", e))?;
    if !g.prefix.is_empty() {
        let entry = tree
            .get_path(Path::new(&g.prefix))
            .map_err(|e| Error::git(format!("find {} in base tree", g.prefix), e))?;
        tree = repo.find_tree(entry.id()).map_err(|e| Error::git("read book tree", e))?;
    }
    // List first, then read the blobs on every core (each thread opens the repository: a
    // handle is not shared between threads).
    let phase = crate::trace::Phase::start("list base tree");
    let mut listed: Vec<(String, git2::Oid, bool)> = Vec::new();
    let mut attributes = false;
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        let name = entry.name().unwrap_or("");
        attributes |= name == ".gitattributes";
        if entry.kind() == Some(git2::ObjectType::Tree) {
            return if name.starts_with('.') { git2::TreeWalkResult::Skip } else { git2::TreeWalkResult::Ok };
        }
        let path = format!("{dir}{name}");
        if entry.kind() == Some(git2::ObjectType::Blob) && wanted(&path) {
            listed.push((path, entry.id(), entry.filemode() == i32::from(git2::FileMode::Link)));
        }
        git2::TreeWalkResult::Ok
    })
    .map_err(|e| Error::git("walk base tree", e))?;
    let git_dir = repo.path().to_path_buf();
    drop(tree);
    drop(commit);
    drop(repo);
    phase.done();
    let phase = crate::trace::Phase::start("read index");
    // Attributes may convert line endings or run filters on checkout: then only the blob is
    // the base text. A `.gitattributes` in the base tree may differ from the work tree's.
    let clean = if attributes { None } else { clean_in_work_tree(g) };
    phase.done();
    let prefix = g.prefix.clone();
    // Each thread opens the repository: a handle is not shared between threads.
    let read = crate::text::parallel_map_with(
        &listed,
        || git2::Repository::open(&git_dir).map_err(|e| Error::git("open repository", e)),
        |repo, (path, id, link)| -> Result<RawFile> {
            if !*link {
                let repo_path = if prefix.is_empty() { path.clone() } else { format!("{prefix}/{path}") };
                if let Some(bytes) = clean.as_ref().and_then(|c| c.read(&repo_path, *id)) {
                    return Ok(RawFile { path: path.clone(), bytes, link: false });
                }
            }
            let repo = repo.as_ref().map_err(|e| Error::Usage(format!("cannot read {path}: {e}")))?;
            let blob = repo.find_blob(*id).map_err(|e| Error::git(format!("read blob {path}"), e))?;
            Ok(RawFile { path: path.clone(), bytes: blob.content().to_vec(), link: *link })
        },
    );
    let out: Vec<RawFile> = read.into_iter().collect::<Result<_>>()?;
    Ok(out)
}

/// The book's files on disk, for a book with no git base: those [`crate::walk::files`]
/// finds that `wanted` keeps, in the order the base tree would list them (by path as a
/// string), so that a book read from disk gives its findings in the same order.
fn read_disk(root: &Path, literature: &[String], wanted: &dyn Fn(&str) -> bool) -> Result<Vec<RawFile>> {
    let mut out = Vec::new();
    for found in crate::walk::files(root, root, literature)? {
        let rel = slash_path(found.path.strip_prefix(root).unwrap_or(&found.path));
        if !wanted(&rel) {
            continue;
        }
        let path = &found.path;
        if found.link {
            let target = std::fs::read_link(path).map_err(|e| Error::io("read", path, e))?;
            out.push(RawFile { path: rel, bytes: target.to_string_lossy().into_owned().into_bytes(), link: true });
        } else {
            out.push(RawFile {
                bytes: crate::disk::read_regular(path).map_err(|e| Error::io("read", path, e))?,
                path: rel,
                link: false,
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}
