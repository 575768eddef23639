//! A reviewer's choice of insertion point (`--pick TARGET=N`, `--at TARGET=FILE:LINE`):
//! the target named as `plan` names it, checked against the plans of a run, and turned into
//! the candidate that leads the target's candidates when it is planned again.
//!
//! What it leaves out: parsing the flags (`crate::cli`) and planning with the choice
//! ([`super::plan_guide_with`], [`crate::place::Priors::chosen`]).

use std::collections::BTreeMap;

use super::GuidePlan;
use crate::guide::describe_rank;
use crate::place::{self, Candidate, Signal};
use crate::store::Store;

/// One choice as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The target as written: `primary`, `secondary`, `tertiary`, `quaternary`, `#5` or `5`
    /// (its rank), optionally after `GUIDE:` (the guide's slug, path or folder).
    pub target: String,
    /// Where its text goes.
    pub spot: Spot,
}

/// Where a chosen target's text goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spot {
    /// The Nth ranked candidate (1-based) as `plan` lists it.
    Rank(usize),
    /// After this 1-based line of this chapter file (relative to the book root).
    At(String, usize),
}

impl Choice {
    /// The flag as the user gave it, e.g. `--pick primary=2`.
    pub fn flag(&self) -> String {
        match &self.spot {
            Spot::Rank(n) => format!("--pick {}={n}", self.target),
            Spot::At(file, line) => format!("--at {}={file}:{line}", self.target),
        }
    }
}

/// Per guide (index into the plans), per target rank: the candidate the reviewer chose, with
/// a [`Signal::Chosen`] first among its signals.
pub type Chosen = BTreeMap<usize, BTreeMap<usize, Candidate>>;

/// The chosen candidates of `choices` against the run's `plans`.
///
/// # Errors
/// A message naming what exists when a choice names a guide or target the run does not
/// have (or an unqualified target in a run of several guides), a candidate number beyond
/// the target's candidates, a file that is no chapter file of the book, a line past its end
/// or inside an environment, comment, code, math block or table, or a target chosen twice.
pub fn chosen(book: &Store, plans: &[GuidePlan], choices: &[Choice]) -> Result<Chosen, String> {
    let mut out: Chosen = BTreeMap::new();
    for choice in choices {
        let (g, rank) = target_of(plans, choice)?;
        let plan = &plans[g];
        let t = plan.targets.iter().find(|t| t.target.rank == rank).expect("target_of checks the rank");
        let name = describe_rank(rank);
        let mut candidate = match &choice.spot {
            Spot::Rank(n) => match t.candidates.get(n - 1) {
                Some(c) => c.clone(),
                None if t.candidates.is_empty() => {
                    return Err(format!(
                        "{}: the {name} target of {} has no candidates (its file did not resolve); choose the spot with --at {}=FILE:LINE",
                        choice.flag(),
                        plan.guide.path,
                        choice.target
                    ))
                }
                None => {
                    let listed: Vec<String> = t
                        .candidates
                        .iter()
                        .enumerate()
                        .map(|(i, c)| format!("  {}. {}:{} {}", i + 1, c.path, c.after_line, c.heading_path.join(" › ")))
                        .collect();
                    return Err(format!(
                        "{}: the {name} target of {} has {} candidate(s):\n{}",
                        choice.flag(),
                        plan.guide.path,
                        t.candidates.len(),
                        listed.join("\n")
                    ));
                }
            },
            Spot::At(file, line) => spot_at(book, file, *line).map_err(|why| format!("{}: {why}", choice.flag()))?,
        };
        let listed =
            t.candidates.iter().position(|c| (&c.path, c.after_line) == (&candidate.path, candidate.after_line));
        if let Some(i) = listed {
            candidate = t.candidates[i].clone();
        }
        // A choice repeated is no choice: the first one stands.
        candidate.signals.retain(|s| !matches!(s, Signal::Chosen { .. }));
        candidate.signals.insert(0, Signal::Chosen { flag: choice.flag(), rank: listed.map(|i| i + 1) });
        if out.entry(g).or_default().insert(rank, candidate).is_some() {
            return Err(format!("{}: the {name} target of {} is chosen twice", choice.flag(), plan.guide.path));
        }
    }
    Ok(out)
}

/// The guide (index) and target rank a choice names.
fn target_of(plans: &[GuidePlan], choice: &Choice) -> Result<(usize, usize), String> {
    let flag = choice.flag();
    let (guide, name) = match choice.target.rsplit_once(':') {
        Some((g, n)) => (Some(g), n),
        None => (None, choice.target.as_str()),
    };
    let slugs = || plans.iter().map(|p| p.guide.slug.clone()).collect::<Vec<_>>().join(", ");
    let g = match guide {
        Some(want) => plans
            .iter()
            .position(|p| {
                let folder = crate::text::parent_dir(&p.guide.path);
                p.guide.slug == want || p.guide.path == want || folder == want.trim_end_matches('/')
            })
            .ok_or_else(|| format!("{flag}: no guide `{want}` in this run; its guides: {}", slugs()))?,
        None if plans.len() == 1 => 0,
        None => {
            return Err(format!(
                "{flag}: this run has {} guides: name the target as GUIDE:{name}, GUIDE one of {}",
                plans.len(),
                slugs()
            ))
        }
    };
    let targets: Vec<String> = plans[g]
        .targets
        .iter()
        .map(|t| format!("{} ({})", describe_rank(t.target.rank), t.target.file_hint.as_deref().unwrap_or("no file")))
        .collect();
    let unknown = || {
        format!(
            "{flag}: `{name}` names no target of {}; its targets: {}",
            plans[g].guide.path,
            if targets.is_empty() { "none".to_string() } else { targets.join(", ") }
        )
    };
    let rank = rank_named(name).ok_or_else(unknown)?;
    if !plans[g].targets.iter().any(|t| t.target.rank == rank) {
        return Err(unknown());
    }
    Ok((g, rank))
}

/// The rank a target name gives: `primary` 1 ... `quaternary` 4 (as
/// [`describe_rank`] prints them, any case), `#N` or `N`.
fn rank_named(name: &str) -> Option<usize> {
    let name = name.trim().to_lowercase();
    let name = name.strip_suffix(" target").unwrap_or(&name);
    match name {
        "primary" => Some(1),
        "secondary" => Some(2),
        "tertiary" => Some(3),
        "quaternary" => Some(4),
        n => n.strip_prefix('#').unwrap_or(n).parse().ok().filter(|r| *r > 0),
    }
}

/// The candidate after `line` of `file`, when text may go there: a chapter file of the book,
/// a line inside it after which text may be inserted (outside environments, comments, code,
/// math and tables).
fn spot_at(book: &Store, file: &str, line: usize) -> Result<Candidate, String> {
    let path = book.file(file.trim_start_matches("./")).filter(|p| book.chapter_files().any(|c| c == p));
    let Some(path) = path else {
        let near = crate::text::nearest(file, book.chapter_files().map(String::as_str));
        return Err(format!(
            "`{file}` is not a chapter file of the book (paths are relative to the book root){}",
            near.map(|n| format!("; did you mean `{n}`?")).unwrap_or_default()
        ));
    };
    let lines = book.base_text(&path).map_or(0, |t| t.lines().count());
    if line > lines {
        return Err(format!("{path} has {lines} lines; line {line} is past its end"));
    }
    let Some(outline) = book.outline(&path) else { return Err(format!("{path} could not be read")) };
    if !outline.can_insert_after(line) {
        let before = (1..line).rev().find(|l| outline.can_insert_after(*l));
        let after = (line + 1..=lines).find(|l| outline.can_insert_after(*l));
        let near: Vec<String> = before.into_iter().chain(after).map(|l| l.to_string()).collect();
        return Err(format!(
            "line {line} of {path} is inside an environment, comment, code, math block or table: no text may go after it{}",
            if near.is_empty() { String::new() } else { format!("; the nearest lines that take text: {}", near.join(", ")) }
        ));
    }
    Ok(Candidate {
        path: path.clone(),
        after_line: line,
        heading_path: place::heading_path_at(book, &path, line),
        score: 0.0,
        signals: Vec::new(),
        cites_keys: Vec::new(),
    })
}
