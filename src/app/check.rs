//! `check`: every finding of the guides and (for the whole book) the book's own health, as
//! text (full or concise, with the count of each code), JSON or GitHub annotations with a
//! job summary; `--select` / `--ignore` choose the codes, `--diff` adds the patch.
//!
//! What it leaves out: the findings themselves (`crate::check`, `crate::index`).

use std::io::Write;
use std::path::PathBuf;

use super::{Planned, Ui};
use crate::cli::{Action, Format};
use crate::error::{Error, Result};
use crate::finding::{Code, Finding, Severity};
use crate::plan::GuidePlan;
use crate::report::selection::{self, Selection};
use crate::report::{self, json};
use crate::store::Store;

/// How `check` reports: the patch too (`--diff`), one line per finding (`--output-format
/// concise`), and which codes (`--select`, `--ignore`).
pub(super) struct Options {
    /// Print the diffs too.
    pub diff: bool,
    /// One line per finding in text output.
    pub concise: bool,
    /// The codes reported (and counted for the exit status).
    pub selection: Selection,
}

/// The codes `check --select` / `--ignore` name, checked against the codes of the tool and of
/// the book's phrasing rules; every code for other commands.
///
/// # Errors
/// [`Error::Usage`] naming an unknown code and the nearest one ([`Selection::new`]).
pub(super) fn selection(book: &Store, action: &Action) -> Result<Selection> {
    let Action::Check { select, ignore, .. } = action else { return Ok(Selection::default()) };
    let known: Vec<&str> =
        Code::ALL.iter().map(Code::as_str).chain(book.phrasing.rules.iter().map(|r| r.code.as_str())).collect();
    Selection::new(select, ignore, &known)
}

/// Prints the findings; status 1 when a guide's or the book's finding is at or above
/// `--fail-on`. `health`: the book-wide findings of a whole-book check (else empty). Only
/// the codes `options.selection` keeps are printed, counted and fail the run.
///
/// # Errors
/// [`Error::Io`] when stdout, stderr or `GITHUB_STEP_SUMMARY` cannot be written.
pub(super) fn run(
    book: &Store,
    planned: &Planned,
    health: &[Finding],
    options: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
    ui: Ui,
) -> Result<i32> {
    let s = ui.s;
    let selected: Vec<GuidePlan>;
    let plans = if options.selection.is_all() {
        &planned.plans
    } else {
        selected = planned.plans.iter().map(|p| select(p, &options.selection)).collect();
        &selected
    };
    let owned = super::book_findings(book, health);
    let book_findings: Vec<&Finding> = owned.iter().filter(|f| options.selection.keeps(&f.code)).collect();
    let failed = book_findings.iter().any(|f| f.severity >= s.fail_on)
        || plans.iter().any(|p| p.all_findings().into_iter().any(|f| f.severity >= s.fail_on));
    match s.format {
        Format::Json => {
            let (errors, warnings) = super::count(plans, &book_findings);
            let mut codes = std::collections::BTreeMap::new();
            for f in plans.iter().flat_map(|p| p.all_findings()).chain(book_findings.iter().copied()) {
                *codes.entry(f.code.to_string()).or_insert(0) += 1;
            }
            let doc = json::CheckDoc {
                book_findings: json::FindingJson::all(book_findings.iter().copied()),
                diff: if options.diff { Some(super::diff::diff_of(book, plans, err, ui)?.0) } else { None },
                guides: json::GuideJson::all(plans),
                schema: report::SCHEMA,
                summary: json::CheckSummary { codes, errors, guides: plans.len(), warnings },
            };
            super::write_out(out, &report::json_text(&doc))?;
        }
        Format::Github => github(book, plans, &book_findings, out, ui)?,
        Format::Text => super::write_out(out, &text(plans, &book_findings, options.concise, ui))?,
    }
    // The patch is part of text output only (JSON carries it in `diff`).
    if options.diff && s.format == Format::Text {
        let (patch, _) = super::diff::diff_of(book, plans, err, ui)?;
        super::write_out(out, &report::diff_text(&patch, ui.style))?;
    }
    Ok(i32::from(failed))
}

/// `plan` with only the findings of the codes `selection` keeps.
fn select(plan: &GuidePlan, selection: &Selection) -> GuidePlan {
    let mut p = plan.clone();
    p.findings.retain(|f| selection.keeps(&f.code));
    for t in &mut p.targets {
        t.findings.retain(|f| selection.keeps(&f.code));
    }
    p
}

/// The text report: every finding shown (full or concise), then, unless `-q`, the count of
/// each code, the stale target paths, the info findings left out and the totals.
fn text(plans: &[GuidePlan], book_findings: &[&Finding], concise: bool, ui: Ui) -> String {
    let s = ui.s;
    let all: Vec<&Finding> = plans.iter().flat_map(|p| p.all_findings()).chain(book_findings.iter().copied()).collect();
    let shown: Vec<&Finding> = all.iter().copied().filter(|f| super::is_shown(f, s)).collect();
    let mut text = String::new();
    for f in &shown {
        text.push_str(&if concise {
            selection::finding_concise(f, ui.style)
        } else {
            report::finding_text(f, ui.style, ui.source)
        });
    }
    if s.quiet {
        return text;
    }
    text.push_str(&selection::code_summary(&shown, ui.style));
    if shown.iter().any(|f| f.code == Code::TargetResolvedLoosely) {
        text.push_str(&stale_paths(plans));
    }
    let hidden = all.iter().filter(|f| f.severity == Severity::Info).count()
        - shown.iter().filter(|f| f.severity == Severity::Info).count();
    if hidden > 0 {
        text.push_str(&format!("{hidden} info finding(s) not shown (-v shows them)\n"));
    }
    // Many findings in full: say how to see fewer lines.
    if !concise && shown.len() > LONG_REPORT {
        text.push_str(
            "one line per finding: --output-format concise; some codes only: --select CODE,... / --ignore CODE,...\n",
        );
    }
    let (e, w) = super::count(plans, book_findings);
    text.push_str(&format!("checked {} guide(s): {e} error(s), {w} warning(s)\n", plans.len()));
    text
}

/// Findings above which a full text report says how to get a shorter one (a screenful of
/// findings of five lines each).
const LONG_REPORT: usize = 20;

/// How many stale file hints: how many distinct file hints (as the guides write them) were
/// resolved to another file (`target-resolved-loosely`), for how many targets, and the most
/// frequent with the file used, so a maintainer can correct each hint in every guide at once.
/// Every one is listed by `--select target-resolved-loosely`.
fn stale_paths(plans: &[GuidePlan]) -> String {
    const SHOWN: usize = 10;
    let mut by_hint: std::collections::BTreeMap<(&str, &str, &str), (usize, std::collections::BTreeSet<&str>)> =
        std::collections::BTreeMap::new();
    for p in plans {
        for t in &p.targets {
            let loose = t.findings.iter().any(|f| f.code == Code::TargetResolvedLoosely);
            if let (true, Some(r), Some(hint)) = (loose, &t.resolved, t.target.file_hint.as_deref()) {
                let slot = by_hint.entry((hint, r.path.as_str(), r.method)).or_default();
                slot.0 += 1;
                slot.1.insert(&p.guide.path);
            }
        }
    }
    let targets: usize = by_hint.values().map(|v| v.0).sum();
    let mut rows: Vec<_> = by_hint.into_iter().collect();
    rows.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(&b.0)));
    let mut out = format!(
        "stale file hints (target-resolved-loosely): {} distinct hint(s) for {targets} target(s); the most frequent, as the guides write them:\n",
        rows.len()
    );
    let width = rows.first().map_or(1, |r| r.1 .0.to_string().len()).max(5);
    for ((hint, path, method), (n, guides)) in rows.iter().take(SHOWN) {
        out.push_str(&format!("{n:>width$}  {hint} -> {path} ({method}, {} guide(s))\n", guides.len()));
    }
    if rows.len() > SHOWN {
        out.push_str(&format!(
            "{:>width$}  … and {} more: `check --select target-resolved-loosely --output-format concise` lists every target\n",
            "",
            rows.len() - SHOWN
        ));
    }
    out
}

/// GitHub annotations on stdout and, when `GITHUB_STEP_SUMMARY` names a file, the job
/// summary appended to it.
fn github(book: &Store, plans: &[GuidePlan], book_findings: &[&Finding], out: &mut dyn Write, ui: Ui) -> Result<()> {
    let all: Vec<&Finding> = plans
        .iter()
        .flat_map(|p| p.all_findings())
        .chain(book_findings.iter().copied())
        .filter(|f| super::is_shown(f, ui.s))
        .collect();
    super::write_out(out, &report::github_annotations(&all, &|p| super::repo_path(book, p)))?;
    // GitHub shows ten annotations per step: the job summary lists them all.
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io("write", PathBuf::from(&path), e))?;
        file.write_all(report::github_summary(plans, book_findings).as_bytes())
            .map_err(|e| Error::io("write", PathBuf::from(&path), e))?;
    }
    Ok(())
}
