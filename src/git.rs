//! Commits on a new branch via git2, never touching the work tree, the index or HEAD.
//!
//! Blobs and trees are written from the base commit's tree in memory
//! (`git_tree_create_updated`), commits are created without updating any ref, and the
//! branch ref is then created (or, with `force`, moved with compare-and-swap against the
//! tip that was checked), so two concurrent runs cannot lose a commit. A branch that is in
//! use as `git branch -f` judges it (checked out, being rebased or bisected, in any work
//! tree, also through a chain of symbolic refs), a symbolic branch ref, and a branch that
//! holds commits not made by the tool for the same guide are refused. The identity is
//! validated before any object is written; a ref that cannot be written (a stale lock, an
//! unwritable `refs/` or `logs/`) is git's error, not a refusal.
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

/// Trailer naming the guide a commit integrates (`Integration-Guide: <path>`); `--force`
/// only replaces commits whose guide is one of the run's.
pub const GUIDE_TRAILER: &str = "Integration-Guide";

/// One commit to make: its message and the new content of each changed file.
#[derive(Debug, Clone)]
pub struct CommitSpec {
    /// Commit message (the trailer is appended); it carries the [`GUIDE_TRAILER`] for `guide`.
    pub message: String,
    /// The guide the commit integrates, as its [`GUIDE_TRAILER`] names it.
    pub guide: String,
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
    /// The branch already holds exactly these commits' changes (its tip, given): nothing
    /// was written.
    UpToDate(Oid),
}

/// The signature for the tool's commits: the repository's configured identity
/// (`user.name` and `user.email`), else `chapter-integrator <chapter-integrator@localhost>`
/// when either is unset. When `SOURCE_DATE_EPOCH` is set (seconds since 1970, UTC; the
/// reproducible-builds convention) it is the commit time.
///
/// # Errors
/// [`Error::Usage`] when the configured name or email cannot be written into a commit
/// (empty, or holding `<`, `>` or a line break: git's own rule, `ident.c`); [`Error::Git`]
/// when the configuration cannot be read or the signature cannot be built.
pub fn signature(repo: &Repository) -> Result<Signature<'static>> {
    let config = repo.config().map_err(|e| Error::git("read the git configuration", e))?;
    let get = |key: &str| match config.get_string(key) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(Error::git(format!("read {key}"), e)),
    };
    let (name, email) = match (get("user.name")?, get("user.email")?) {
        (Some(name), Some(email)) => {
            check_ident("user.name", &name)?;
            check_ident("user.email", &email)?;
            (name, email)
        }
        _ => ("chapter-integrator".to_string(), "chapter-integrator@localhost".to_string()),
    };
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse::<i64>().ok());
    match epoch {
        Some(secs) => Signature::new(&name, &email, &git2::Time::new(secs, 0)),
        None => Signature::now(&name, &email),
    }
    .map_err(|e| Error::git("build commit signature", e))
}

/// Refuses an identity part git would not write: a commit's author line is
/// `name <email> time zone`, so `<`, `>` and line breaks would break it (libgit2 writes a
/// line break as is, and `git fsck` then fails) and an empty part is no identity.
fn check_ident(key: &str, value: &str) -> Result<()> {
    let what = if value.trim().is_empty() {
        Some("is empty")
    } else if value.contains(['\n', '\r']) {
        Some("holds a line break")
    } else if value.contains(['<', '>']) {
        Some("holds `<` or `>`")
    } else if value.contains('\0') {
        Some("holds a NUL byte")
    } else {
        None
    };
    match what {
        Some(what) => Err(Error::Usage(format!(
            "git's {key} {value:?} {what} and cannot be written into a commit; nothing was written. \
             Set it with `git config {key} ...`"
        ))),
        None => Ok(()),
    }
}

/// Makes `commits` in order on top of `base` and points `refs/heads/<branch>` at the last.
///
/// # Errors
/// [`Error::Git`] for failures of git itself. Refusals (branch checked out, branch exists
/// with other changes without `force`, foreign commits on the branch, a concurrent update)
/// are [`BranchOutcome::Refused`]; a branch already holding exactly these commits' changes
/// (each commit's tree and guide, on `base`) is [`BranchOutcome::UpToDate`], with or
/// without `force`.
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
    if branch == "HEAD" || branch.starts_with("refs/") || branch.starts_with('-') {
        return Ok(BranchOutcome::Refused(format!("`{branch}` is not a usable branch name")));
    }
    if let Some(why) = in_use(repo, &refname) {
        return Ok(BranchOutcome::Refused(format!(
            "branch `{branch}` {why}; the tool never writes to a branch in use"
        )));
    }
    let existing = match repo.find_reference(&refname) {
        Ok(r) => match (r.target(), r.symbolic_target()) {
            (Some(tip), _) => Some(tip),
            (None, to) => {
                return Ok(BranchOutcome::Refused(format!(
                    "branch `{branch}` is a symbolic ref (to `{}`); the tool never writes through one",
                    to.unwrap_or("?")
                )))
            }
        },
        Err(e) if e.code() == git2::ErrorCode::NotFound => None,
        Err(e) => return Err(Error::git(format!("read {refname}"), e)),
    };
    if existing.is_none() {
        if let Some(other) = clashing_ref(repo, &refname)? {
            return Ok(BranchOutcome::Refused(format!(
                "branch `{branch}` cannot be created: a ref with a clashing name exists (`{other}`; git keeps refs as files and folders)"
            )));
        }
    }
    if let Some(tip) = existing {
        // Whose commits the branch holds decides first: `--force` would not help otherwise.
        let guides: Vec<&str> = commits.iter().map(|c| c.guide.as_str()).collect();
        match foreign_commit(repo, tip, base, &guides)? {
            Some((foreign, None)) => {
                return Ok(BranchOutcome::Refused(format!(
                    "branch `{branch}` has commit {} not made by chapter-integrator; it is never rewritten",
                    &foreign.to_string()[..12]
                )))
            }
            Some((foreign, Some(guide))) => {
                return Ok(BranchOutcome::Refused(format!(
                    "branch `{branch}` has commit {} made by chapter-integrator for another guide ({guide}); \
                     it is only rebuilt for that guide: pass --branch NAME",
                    &foreign.to_string()[..12]
                )))
            }
            None if holds_exactly(repo, tip, base, commits)? => return Ok(BranchOutcome::UpToDate(tip)),
            None if !force => {
                return Ok(BranchOutcome::Refused(format!(
                    "branch `{branch}` already exists with other changes; pass --force to rebuild it"
                )))
            }
            None => {}
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
            "branch `{branch}` could not be written: it changed while the tool ran (another run, or a ref with a clashing name appeared)"
        )))
    }
}

/// Points `refname` at `new` only if it still points at `expected` (`None`: only if it does
/// not exist yet), writing a reflog entry. Returns `false` when the ref moved meanwhile (or
/// a ref with a clashing name appeared).
///
/// # Errors
/// [`Error::Git`] for every other failure, with git's message naming the lock file or
/// path: a stale `<ref>.lock`, an unwritable `refs/` or `logs/` folder.
pub fn update_branch(repo: &Repository, refname: &str, new: Oid, expected: Option<Oid>, log: &str) -> Result<bool> {
    // Folders git creates for the ref and its reflog, removed again if the update fails.
    let common = repo.commondir();
    let mut created = Vec::new();
    for top in [common.to_path_buf(), common.join("logs")] {
        let mut dir = top.join(refname);
        while dir.pop() && dir != top {
            if !dir.exists() {
                created.push(dir.clone());
            }
        }
    }
    let update = match expected {
        Some(old) => repo.reference_matching(refname, new, true, old, log),
        None => repo.reference(refname, new, false, log),
    };
    if update.is_err() {
        // Deepest first; a folder that is not empty (another ref came) stays.
        created.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for dir in created {
            let _ = std::fs::remove_dir(dir);
        }
    }
    match update {
        Ok(_) => Ok(true),
        // `Exists`: created meanwhile, or `a` exists for `a/b` (git reports both so);
        // `Directory`: refs below `a` appeared for `a`.
        Err(e)
            if matches!(e.code(), git2::ErrorCode::Exists | git2::ErrorCode::Modified | git2::ErrorCode::Directory) =>
        {
            Ok(false)
        }
        // Git itself leaves a lock behind when it is killed mid-update.
        Err(e) if e.code() == git2::ErrorCode::Locked => Err(Error::git(
            format!("update {refname} (locked by another git process; if none is running, delete the stale lock)"),
            e,
        )),
        Err(e) => Err(Error::git(format!("update {refname}"), e)),
    }
}

/// A ref that keeps `refname` from being created: a ref named like one of its folders
/// (`refs/heads/a` for `refs/heads/a/b`) or one inside the folder it would be.
fn clashing_ref(repo: &Repository, refname: &str) -> Result<Option<String>> {
    let mut prefix = refname;
    while let Some((up, _)) = prefix.rsplit_once('/') {
        if up.matches('/').count() >= 2 && repo.find_reference(up).is_ok() {
            return Ok(Some(up.to_string()));
        }
        prefix = up;
    }
    let below = format!("{refname}/");
    let refs = repo.references().map_err(|e| Error::git("list refs", e))?;
    let mut names = refs;
    for name in names.names() {
        let name = name.map_err(|e| Error::git("list refs", e))?;
        if name.starts_with(&below) {
            return Ok(Some(name.to_string()));
        }
    }
    Ok(None)
}

/// Why `refname` is in use, as `git branch -f` judges it (`prepare_checked_out_branches`
/// in git's `branch.c`): checked out, being rebased or bisected, or to be moved by a
/// `rebase --update-refs`, in the main or any linked work tree, a symbolic ref chain (`HEAD -> master -> main`) followed to its end. `None`: free.
fn in_use(repo: &Repository, refname: &str) -> Option<String> {
    let common = repo.commondir().to_path_buf();
    let own = repo.path().canonicalize().ok();
    let mut dirs =
        vec![(common.clone(), format!(" in the main work tree at {}", common.parent().unwrap_or(&common).display()))];
    if let Ok(names) = repo.worktrees() {
        for name in names.iter().flatten() {
            let path =
                repo.find_worktree(name).map(|w| w.path().display().to_string()).unwrap_or_else(|_| name.to_string());
            dirs.push((common.join("worktrees").join(name), format!(" in the work tree at {path}")));
        }
    }
    let read = |p: std::path::PathBuf| std::fs::read(p).ok().map(|b| String::from_utf8_lossy(&b).trim().to_string());
    for (dir, where_) in dirs {
        // This work tree's own state needs no place named.
        let where_ = if dir.canonicalize().ok() == own { String::new() } else { where_ };
        let states = [
            ("is checked out", read(dir.join("HEAD")).and_then(|h| h.strip_prefix("ref: ").map(str::to_string))),
            ("is being rebased", read(dir.join("rebase-merge/head-name"))),
            ("is being rebased", read(dir.join("rebase-apply/head-name"))),
            // `BISECT_START` holds the branch's short name (or a commit id: detached).
            ("is being bisected", read(dir.join("BISECT_START")).map(|b| format!("refs/heads/{b}"))),
        ];
        for (what, start) in states {
            if start.is_some_and(|s| resolves_through(repo, &s, refname)) {
                return Some(format!("{what}{where_}"));
            }
        }
        // `rebase --update-refs` moves these branches when it ends: lines of ref name, old
        // and new id (git's `sequencer.c`).
        let updated = read(dir.join("rebase-merge/update-refs")).unwrap_or_default();
        if updated.lines().step_by(3).any(|r| resolves_through(repo, r.trim(), refname)) {
            return Some(format!("is to be moved by a rebase --update-refs{where_}"));
        }
    }
    None
}

/// Whether the symbolic ref chain from `start` (`start` itself, the ref it points at, and
/// so on) passes `refname`. A chain longer than git's limit (5, `MAXDEPTH` in refs.c) or a
/// cycle ends it.
fn resolves_through(repo: &Repository, start: &str, refname: &str) -> bool {
    let mut name = start.to_string();
    for _ in 0..=5 {
        if name == refname {
            return true;
        }
        match repo.find_reference(&name).ok().and_then(|r| r.symbolic_target().map(str::to_string)) {
            Some(next) => name = next,
            None => return false,
        }
    }
    false
}

/// The first commit reachable from `tip` but not from `base` that the tool did not make
/// for one of `guides`: `(id, None)` when the tool did not make it, `(id, Some(guide))`
/// when it made it for another guide.
fn foreign_commit(repo: &Repository, tip: Oid, base: Oid, guides: &[&str]) -> Result<Option<(Oid, Option<String>)>> {
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
            return Ok(Some((oid, None)));
        }
        let guide = message.lines().find_map(|l| l.strip_prefix(GUIDE_TRAILER)?.strip_prefix(": "));
        if !guide.is_some_and(|g| guides.contains(&g)) {
            return Ok(Some((oid, Some(guide.unwrap_or("none named").to_string()))));
        }
    }
    Ok(None)
}

/// Whether the commits from `base` (exclusive) to `tip` are one per spec of `commits`, in
/// order, each on the one before (`base` first), made for the spec's guide, with the tree
/// the spec gives its parent's tree: the branch holds exactly this change. Computing the
/// trees writes their blobs and trees to the object database (as a commit would), no ref.
///
/// # Errors
/// [`Error::Git`] when a commit, tree or blob cannot be read or written.
fn holds_exactly(repo: &Repository, tip: Oid, base: Oid, commits: &[CommitSpec]) -> Result<bool> {
    let mut chain = Vec::new();
    let mut at = repo.find_commit(tip).map_err(|e| Error::git("read branch tip", e))?;
    while at.id() != base {
        if chain.len() == commits.len() || at.parent_count() != 1 {
            return Ok(false);
        }
        let parent = at.parent(0).map_err(|e| Error::git("read commit parent", e))?;
        chain.push(at);
        at = parent;
    }
    chain.reverse();
    if chain.len() != commits.len() {
        return Ok(false);
    }
    let mut tree = at.tree().map_err(|e| Error::git("read base tree", e))?;
    for (commit, spec) in chain.iter().zip(commits) {
        let guide_line = format!("{GUIDE_TRAILER}: {}", spec.guide);
        let id = updated_tree(repo, &tree, &spec.files)?;
        if commit.tree_id() != id || !commit.message().unwrap_or("").lines().any(|l| l == guide_line) {
            return Ok(false);
        }
        tree = repo.find_tree(id).map_err(|e| Error::git("read new tree", e))?;
    }
    Ok(true)
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
