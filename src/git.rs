//! Commits on a new branch via git2, never touching the work tree, the index or HEAD.
//!
//! Blobs and trees are written from the base commit's tree in memory
//! (`git_tree_create_updated`), commits are created without updating any ref, and the
//! branch ref is then created (or, with `force`, moved with compare-and-swap against the
//! tip that was checked), so two concurrent runs cannot lose a commit. A branch that is
//! checked out, or that holds commits not made by the tool, is refused.
//! Line endings are whatever the base blobs hold (checkout filters apply to the work tree
//! only); symlinked chapters are edited at their target path, so link entries never change.

use std::path::Path;

use git2::{Oid, Repository, Signature};

use crate::error::{Error, Result};

/// Trailer every commit of the tool carries; `--force` only rewrites branches whose
/// commits all have it.
pub const TRAILER: &str = "Generated-By: chapter-integrator";

/// Trailer naming the tree the tool wrote for the commit.
pub const TREE_TRAILER: &str = "Integration-Tree";

/// One commit to make: its message and the new content of each changed file.
#[derive(Debug, Clone)]
pub struct CommitSpec {
    /// Commit message (the trailer is appended).
    pub message: String,
    /// `(path relative to the work tree root, new content)`.
    pub files: Vec<(String, Vec<u8>)>,
}

/// What happened to the branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchOutcome {
    /// The branch now points at the last commit; holds every commit made, in order.
    Written(Vec<Oid>),
    /// The branch was not written; the reason, fit for a finding.
    Refused(String),
}

/// The signature for the tool's commits: the repository's configured identity, else
/// `chapter-integrator <chapter-integrator@localhost>`. When `SOURCE_DATE_EPOCH` is set
/// (seconds since 1970, UTC; the reproducible-builds convention) it is the commit time.
///
/// # Errors
/// [`Error::Git`] when the signature cannot be built.
pub fn signature(repo: &Repository) -> Result<Signature<'static>> {
    let (name, email) = match repo.signature() {
        Ok(sig) => (
            sig.name().unwrap_or("chapter-integrator").to_string(),
            sig.email().unwrap_or("chapter-integrator@localhost").to_string(),
        ),
        Err(_) => ("chapter-integrator".to_string(), "chapter-integrator@localhost".to_string()),
    };
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse::<i64>().ok());
    match epoch {
        Some(secs) => Signature::new(&name, &email, &git2::Time::new(secs, 0)),
        None => Signature::now(&name, &email),
    }
    .map_err(|e| Error::git("build commit signature", e))
}

/// Makes `commits` in order on top of `base` and points `refs/heads/<branch>` at the last.
///
/// # Errors
/// [`Error::Git`] for failures of git itself. Refusals (branch checked out, branch exists
/// without `force`, foreign commits on the branch, a concurrent update) are
/// [`BranchOutcome::Refused`].
pub fn commit_to_branch(
    repo: &Repository,
    branch: &str,
    base: Oid,
    commits: &[CommitSpec],
    force: bool,
) -> Result<BranchOutcome> {
    let refname = format!("refs/heads/{branch}");
    if !git2::Reference::is_valid_name(&refname) {
        return Ok(BranchOutcome::Refused(format!("`{branch}` is not a valid branch name")));
    }
    if let Some(where_) = checked_out(repo, &refname) {
        return Ok(BranchOutcome::Refused(format!(
            "branch `{branch}` is checked out{where_}; the tool never writes to a checked-out branch"
        )));
    }
    if branch == "HEAD" || branch.starts_with("refs/") || branch.starts_with('-') {
        return Ok(BranchOutcome::Refused(format!("`{branch}` is not a usable branch name")));
    }
    let existing = match repo.find_reference(&refname) {
        Ok(r) => Some(
            r.target()
                .ok_or_else(|| Error::git(format!("read {refname}"), git2::Error::from_str("symbolic branch ref")))?,
        ),
        Err(e) if e.code() == git2::ErrorCode::NotFound => None,
        Err(e) => return Err(Error::git(format!("read {refname}"), e)),
    };
    if let Some(tip) = existing {
        if !force {
            return Ok(BranchOutcome::Refused(format!("branch `{branch}` already exists; pass --force to rebuild it")));
        }
        if let Some(foreign) = foreign_commit(repo, tip, base)? {
            return Ok(BranchOutcome::Refused(format!(
                "branch `{branch}` has commit {} not made by chapter-integrator; it is never rewritten",
                &foreign.to_string()[..12]
            )));
        }
    }
    let sig = signature(repo)?;
    let mut parent = repo.find_commit(base).map_err(|e| Error::git("read base commit", e))?;
    let mut made = Vec::new();
    for spec in commits {
        let tree_id = updated_tree(repo, &parent.tree().map_err(|e| Error::git("read tree", e))?, &spec.files)?;
        let tree = repo.find_tree(tree_id).map_err(|e| Error::git("read new tree", e))?;
        // The tree id in the message lets `--force` tell the tool's commit from an edited one.
        // The message's own trailers (if any) and the tool's form one trailer block.
        let body = spec.message.trim_end();
        let sep =
            if body.lines().last().is_some_and(|l| l.contains(": ") && !l.starts_with('-')) { "\n" } else { "\n\n" };
        let message = format!("{body}{sep}{TRAILER}\n{TREE_TRAILER}: {tree_id}\n");
        let oid =
            repo.commit(None, &sig, &sig, &message, &tree, &[&parent]).map_err(|e| Error::git("create commit", e))?;
        made.push(oid);
        parent = repo.find_commit(oid).map_err(|e| Error::git("read new commit", e))?;
    }
    let tip = *made.last().unwrap_or(&base);
    let log = format!("chapter-integrator: {} commit(s)", made.len());
    if update_branch(repo, &refname, tip, existing, &log)? {
        Ok(BranchOutcome::Written(made))
    } else {
        Ok(BranchOutcome::Refused(format!(
            "branch `{branch}` could not be written: it changed while the tool ran, or a branch with a clashing name exists"
        )))
    }
}

/// Points `refname` at `new` only if it still points at `expected` (`None`: only if it does
/// not exist yet), writing a reflog entry. Returns `false` when the ref moved meanwhile.
///
/// # Errors
/// [`Error::Git`] for failures other than the compare-and-swap.
pub fn update_branch(repo: &Repository, refname: &str, new: Oid, expected: Option<Oid>, log: &str) -> Result<bool> {
    let update = match expected {
        Some(old) => repo.reference_matching(refname, new, true, old, log),
        None => repo.reference(refname, new, false, log),
    };
    match update {
        Ok(_) => Ok(true),
        Err(e) if matches!(e.code(), git2::ErrorCode::Exists | git2::ErrorCode::Modified) => Ok(false),
        // A branch `a/b` cannot be created while a branch `a` exists, and vice versa.
        Err(e) if e.class() == git2::ErrorClass::Reference || e.class() == git2::ErrorClass::Os => Ok(false),
        Err(e) => Err(Error::git(format!("update {refname}"), e)),
    }
}

/// Where `refname` is checked out: `Some("")` in this work tree, `Some(" in <path>")` in
/// another linked work tree, `None` nowhere.
fn checked_out(repo: &Repository, refname: &str) -> Option<String> {
    let points_here = |head: &[u8]| String::from_utf8_lossy(head).trim() == format!("ref: {refname}");
    if repo.find_reference("HEAD").ok().and_then(|h| h.symbolic_target().map(str::to_string)).as_deref()
        == Some(refname)
    {
        return Some(String::new());
    }
    let common = repo.commondir().to_path_buf();
    if std::fs::read(common.join("HEAD")).is_ok_and(|h| points_here(&h)) {
        return Some(format!(" in the main work tree at {}", common.parent().unwrap_or(&common).display()));
    }
    let names = repo.worktrees().ok()?;
    for name in names.iter().flatten() {
        // A work tree whose HEAD cannot be read says nothing; the others are still checked.
        let Ok(head) = std::fs::read(common.join("worktrees").join(name).join("HEAD")) else { continue };
        if points_here(&head) {
            let path =
                repo.find_worktree(name).map(|w| w.path().display().to_string()).unwrap_or_else(|_| name.to_string());
            return Some(format!(" in the work tree at {path}"));
        }
    }
    None
}

/// The first commit reachable from `tip` but not from `base` that lacks the trailer.
fn foreign_commit(repo: &Repository, tip: Oid, base: Oid) -> Result<Option<Oid>> {
    let mut walk = repo.revwalk().map_err(|e| Error::git("walk branch", e))?;
    walk.push(tip).map_err(|e| Error::git("walk branch", e))?;
    walk.hide(base).map_err(|e| Error::git("walk branch", e))?;
    for oid in walk {
        let oid = oid.map_err(|e| Error::git("walk branch", e))?;
        let commit = repo.find_commit(oid).map_err(|e| Error::git("read commit", e))?;
        let message = commit.message().unwrap_or("");
        let tree_line = format!("{TREE_TRAILER}: {}", commit.tree_id());
        // The tool's own commit carries both trailers, the second naming the commit's own
        // tree: an amended or hand-made commit does not.
        if !message.lines().any(|l| l == TRAILER) || !message.lines().any(|l| l == tree_line) {
            return Ok(Some(oid));
        }
    }
    Ok(None)
}

/// A new tree: `base` with each file's blob replaced (its file mode kept) or added.
fn updated_tree(repo: &Repository, base: &git2::Tree, files: &[(String, Vec<u8>)]) -> Result<Oid> {
    let mut builder = git2::build::TreeUpdateBuilder::new();
    for (path, content) in files {
        let blob = repo.blob(content).map_err(|e| Error::git(format!("write blob {path}"), e))?;
        let mode = match base.get_path(Path::new(path)) {
            Ok(entry) if entry.filemode() == i32::from(git2::FileMode::BlobExecutable) => {
                git2::FileMode::BlobExecutable
            }
            _ => git2::FileMode::Blob,
        };
        builder.upsert(path, blob, mode);
    }
    builder.create_updated(repo, base).map_err(|e| Error::git("write tree", e))
}
