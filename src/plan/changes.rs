//! The edits of planned guides as new file contents: [`Changes`] (what `diff` prints and
//! `apply` commits), built by a [`ChangeSet`] that takes one guide after another.
//!
//! Every insertion is computed against the file as it is in the base revision and applied
//! once ([`edit::apply`]): a guide added to a set re-applies only the files it edits, so
//! the states after each guide (one commit each in `apply`) take one pass over the guides.
//! What it leaves out: planning (the parent module) and writing anything.

use std::collections::{BTreeMap, BTreeSet};

use super::{nul_finding, GuidePlan, Status};
use crate::bookkeeping::LineEdit;
use crate::edit::{self, Insertion};
use crate::finding::{Code, Finding};
use crate::store::Store;

/// The new content of every file the plans change: `path -> (old, new)`, in path order.
/// Every insertion of every given plan is computed against the file as it is now and
/// applied once.
pub struct Changes {
    /// `path -> (old text, new text)` for files that change (old text empty for new files).
    pub files: BTreeMap<String, (String, String)>,
    /// The files of `files` that are created.
    pub new_files: BTreeSet<String>,
    /// Findings from applying edits (insertions that could not be applied).
    pub findings: Vec<Finding>,
}

/// Applies the insertions of `plans` (all of them) to the book's files.
pub fn changes(book: &Store, plans: &[&GuidePlan]) -> Changes {
    let mut set = ChangeSet::new(book);
    for plan in plans {
        set.add(plan);
    }
    set.settle();
    set.finish()
}

/// What one file receives, in the order [`changes`] applies it.
#[derive(Default)]
struct FileEdits {
    /// The targets' insertions, in plan order.
    targets: Vec<Insertion>,
    /// The bibliography entries appended to it, in plan order (after every target's
    /// insertion at the same line).
    entries: Vec<Insertion>,
}

/// The changes of a growing list of guides: [`ChangeSet::add`] one guide after another,
/// [`ChangeSet::settle`] to bring the new contents up to date (only files edited since are
/// applied again), [`ChangeSet::finish`] for the [`Changes`] of every guide added.
pub struct ChangeSet<'b> {
    book: &'b Store,
    /// Insertions per file.
    inserts: BTreeMap<String, FileEdits>,
    /// README status lines per file, in plan order (the last one that changes the file wins).
    line_edits: BTreeMap<String, Vec<LineEdit>>,
    /// New files: `path -> text`, the first target creating each.
    created: BTreeMap<String, String>,
    /// Citation keys (lowercase) whose entry is appended already.
    appended: BTreeSet<String>,
    /// `text-nul` findings for supplied entries, in plan order.
    entry_findings: Vec<Finding>,
    /// Findings for new files created twice, in plan order.
    created_findings: Vec<Finding>,
    /// Per file edited by insertions: the findings of its last application.
    file_findings: BTreeMap<String, Vec<Finding>>,
    /// The new contents as of the last [`ChangeSet::settle`].
    files: BTreeMap<String, (String, String)>,
    /// Files edited since the last [`ChangeSet::settle`].
    dirty: BTreeSet<String>,
}

impl<'b> ChangeSet<'b> {
    /// An empty set of changes to `book`.
    pub fn new(book: &'b Store) -> Self {
        ChangeSet {
            book,
            inserts: BTreeMap::new(),
            line_edits: BTreeMap::new(),
            created: BTreeMap::new(),
            appended: BTreeSet::new(),
            entry_findings: Vec::new(),
            created_findings: Vec::new(),
            file_findings: BTreeMap::new(),
            files: BTreeMap::new(),
            dirty: BTreeSet::new(),
        }
    }

    /// Adds one guide's edits after those of the guides added before: its insertions, its
    /// new files and, when it inserts something, its bibliography entries (each key once,
    /// by the first guide supplying it) and README status line.
    pub fn add(&mut self, plan: &GuidePlan) {
        let inserting = plan.targets.iter().filter(|t| t.status() == Status::Insert);
        for (path, ins) in inserting.clone().filter_map(|t| t.insertion()) {
            self.inserts.entry(path.to_string()).or_default().targets.push(ins.clone());
            self.dirty.insert(path.to_string());
        }
        if inserting.clone().next().is_none() {
            return;
        }
        // Bookkeeping goes with guides that insert something: new entries at the end of
        // their .bib file, README status lines.
        // Two guides citing the same missing key both supply its entry; it is appended once,
        // by the first guide, or the book would define the key twice and fail to compile.
        // Keys compare ignoring letter case, as the bibliography lookup does.
        for a in plan.additions.iter().filter(|a| self.appended.insert(a.key.to_lowercase())) {
            if a.text.contains('\0') {
                let what = format!("the bibliography entry `{}` it supplies", a.key);
                self.entry_findings.push(nul_finding(&what, &a.bib_path).at(a.source.clone(), None));
                continue;
            }
            let end = self.book.sources.get(&a.bib_path).map_or(0, |t| t.lines().count());
            let entry = Insertion { after_line: end, text: a.text.clone(), tight: false, replaces: 0 };
            self.inserts.entry(a.bib_path.clone()).or_default().entries.push(entry);
            self.dirty.insert(a.bib_path.clone());
        }
        if let Some(e) = &plan.readme {
            self.line_edits.entry(e.path.clone()).or_default().push(e.clone());
            self.dirty.insert(e.path.clone());
        }
        for (path, text) in inserting.filter_map(|t| t.new_file()) {
            if self.created.contains_key(path) || self.book.sources.contains_key(path) {
                self.created_findings
                    .push(Finding::new(Code::EditFailed, "two targets would create the same new file").at(path, None));
                continue;
            }
            self.created.insert(path.to_string(), text.to_string());
            self.dirty.insert(path.to_string());
        }
    }

    /// Brings the new contents up to date with every guide added, applying the edits of
    /// each file edited since the last call again to its base text. Returns the files whose
    /// new content changed, in path order.
    pub fn settle(&mut self) -> Vec<String> {
        let mut changed = Vec::new();
        for path in std::mem::take(&mut self.dirty) {
            let now = self.content(&path);
            if now.as_ref() != self.files.get(&path) {
                match now {
                    Some(now) => self.files.insert(path.clone(), now),
                    None => self.files.remove(&path),
                };
                changed.push(path);
            }
        }
        changed
    }

    /// The new contents as of the last [`ChangeSet::settle`]: `path -> (old, new)`.
    pub fn files(&self) -> &BTreeMap<String, (String, String)> {
        &self.files
    }

    /// The [`Changes`] of every guide added, as of the last [`ChangeSet::settle`].
    pub fn finish(self) -> Changes {
        let mut findings = self.entry_findings;
        findings.extend(self.created_findings);
        findings.extend(self.file_findings.into_values().flatten());
        Changes { files: self.files, new_files: self.created.into_keys().collect(), findings }
    }

    /// `path`'s `(old, new)` from its edits: the new file, else the last README status
    /// line that changes it, else its insertions when they change it.
    fn content(&mut self, path: &str) -> Option<(String, String)> {
        let book = self.book;
        let mut content = self.created.get(path).map(|text| (String::new(), text.clone()));
        for e in self.line_edits.get(path).into_iter().flatten() {
            let Some(old) = book.base_text(&e.path) else { continue };
            match edit::replace_line(&old, e.line, &e.text) {
                Some(new) if new != old => content = Some((old, new)),
                _ => {}
            }
        }
        let Some(edits) = self.inserts.get(path) else { return content };
        let mut findings = Vec::new();
        let mut inserts: Vec<Insertion> = edits.targets.iter().chain(&edits.entries).cloned().collect();
        // Two targets editing the same lines (two claims in one sentence): the first edit
        // stays, the later ones are left out and said so; the rest of the file still changes.
        inserts.sort_by_key(|i| i.after_line);
        let mut kept: Vec<Insertion> = Vec::with_capacity(inserts.len());
        for ins in inserts {
            if kept.iter().any(|k| edit::overlaps(k, &ins)) {
                findings.push(
                    Finding::new(Code::EditOverlap, format!(
                            "two targets change line {} of {path}; the later one is left out (apply it after this one lands)",
                            ins.after_line + 1
                        ),
                    )
                    .at(path, Some(ins.after_line + 1)),
                );
                continue;
            }
            kept.push(ins);
        }
        match book.base_text(path) {
            None => findings.push(Finding::new(Code::EditFailed, "the file to edit is not in the book").at(path, None)),
            Some(old) => match edit::apply(&old, &kept) {
                Ok(new) if new != old => content = Some((old, new)),
                Ok(_) => {}
                Err(msg) => findings.push(Finding::new(Code::EditFailed, msg).at(path, None)),
            },
        }
        self.file_findings.insert(path.to_string(), findings);
        content
    }
}
