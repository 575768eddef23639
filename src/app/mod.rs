//! The commands, one file each: [`outline`], [`guides`] and [`init`] work on the opened
//! book alone; [`plan`], [`diff`], [`check`], [`status`] and [`apply`] first read and plan
//! the guides here ([`run_on`]), then print or commit the plans their own way.
//!
//! What it leaves out: opening the book and the worker thread (`crate::run`), the argument
//! parsing (`crate::cli`), and the pipeline itself (`crate::plan` and below).

mod apply;
mod check;
mod diff;
mod guides;
mod init;
mod outline;
mod plan;
mod status;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::book;
use crate::cli::{Action, Format, Settings};
use crate::error::{Error, Result};
use crate::finding::{self, Finding, Severity};
use crate::plan::GuidePlan;
use crate::report::{self, Style};
use crate::store::Store;
use crate::{disk, guide, index, resolve, rules, text, trace, workflow};

/// What every command prints with: the settings, the style, and the source line a finding
/// points at.
#[derive(Clone, Copy)]
pub(crate) struct Ui<'a> {
    /// The run's settings.
    pub s: &'a Settings,
    /// Colour, or none.
    pub style: Style,
    /// Reads the line a finding points at.
    pub source: report::SourceLine<'a>,
    /// A book path as the repository names it (GitHub annotations).
    pub repo_path: &'a dyn Fn(&str) -> String,
}

/// The planned guides of a run.
pub(crate) struct Planned {
    /// One plan per guide, in input order (each guide once).
    pub plans: Vec<GuidePlan>,
    /// Every file the guides were read from (real paths): no output may overwrite one.
    pub read_files: Vec<PathBuf>,
    /// Some finding is at or above `--fail-on`.
    pub failed: bool,
    /// How many low-confidence targets were left out (`diff` and `apply` without
    /// `--accept-low-confidence`).
    pub left_out: usize,
}

/// Runs the command of `s` on the opened book. `found`: every guide of the book, when a run
/// that asks for them listed them already ([`book::find_guides`]).
///
/// # Errors
/// Failures of the tool itself; problems in the book are findings and give status 1.
pub(crate) fn run_on(
    book: &Store,
    s: &Settings,
    cwd: &Path,
    found: Option<Vec<PathBuf>>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32> {
    let style = Style { color: s.color && s.format == Format::Text };
    match &s.action {
        Action::Outline => return outline::run(book, s, cwd, out, style),
        Action::Guides => return guides::run(book, s, cwd, out, style),
        Action::Init { force } => return init::run(book, *force, out),
        _ => {}
    }
    // A code `check --select` / `--ignore` does not know stops the run before any planning.
    let selection = check::selection(book, &s.action)?;
    let inputs = inputs(book, s, cwd, found)?;
    // Findings show the line they point at: book files as planned, guides from disk (only
    // regular files inside the book).
    let source_line = |path: &str, line: usize| -> Option<String> {
        let text = match book.sources.get(path) {
            Some(t) => t.clone(),
            None => String::from_utf8_lossy(&disk::read_in(&book.root, &book.root.join(path)).ok()?).into_owned(),
        };
        text.lines().nth(line.checked_sub(1)?).map(str::to_string)
    };
    let repo_path = |p: &str| repo_path(book, p);
    let ui = Ui { s, style, source: &source_line, repo_path: &repo_path };
    let texts = s.texts.as_ref().map(|p| cwd.join(p));
    let mut planned = plan_inputs(book, s, &inputs, texts.as_deref())?;
    // `diff` previews `apply`: both leave out low-confidence targets unless accepted.
    if let Action::Diff { accept_low_confidence: false, .. } | Action::Apply { accept_low_confidence: false, .. } =
        &s.action
    {
        planned.left_out = crate::plan::leave_out_low_confidence(&mut planned.plans);
        planned.failed = failed(&planned.plans, s);
    }
    // `check` of the whole book (no PATH) also reports the book's own health.
    let whole_book = matches!(s.action, Action::Check { changed_since: None, .. }) && s.paths.is_empty();
    let phase = trace::Phase::start("book health");
    let health = if whole_book { index::health(book) } else { Vec::new() };
    phase.done();
    trace::note(|| {
        let (files, bytes) = book.sources.read_so_far();
        format!("texts in memory: {files} of {} files, {:.1} MB", book.sources.len(), bytes as f64 / 1e6)
    });
    match &s.action {
        Action::Plan { explain } => plan::run(book, &planned, *explain, out, ui),
        Action::Diff { output, .. } => diff::run(book, &planned, output.as_deref(), out, err, ui),
        Action::Check { diff, concise, .. } => {
            let options = check::Options { diff: *diff, concise: *concise, selection };
            check::run(book, &planned, &health, &options, out, err, ui)
        }
        Action::Status => status::run(book, &planned, s.format, out),
        Action::Init { .. } => unreachable!("handled before guides are planned"),
        Action::Outline | Action::Guides => unreachable!("handled before guides are planned"),
        Action::Apply { branch, force, summary, .. } => {
            if let Some(path) = summary {
                may_write(book, path, &planned.read_files)?;
            }
            let target = apply::Target { branch: branch.as_deref(), force: *force, summary: summary.as_deref() };
            apply::run(book, &planned, target, out, err, ui)
        }
    }
}

/// The guides a planning command reads: those named, else those changed since a revision
/// (`check --changed-since`), else every guide of the book.
fn inputs(book: &Store, s: &Settings, cwd: &Path, found: Option<Vec<PathBuf>>) -> Result<Vec<PathBuf>> {
    Ok(match (&s.action, s.paths.is_empty()) {
        (Action::Check { changed_since: Some(rev), .. }, true) => workflow::changed_guides(book, rev)?,
        // `status` covers the literature folders read from their key findings alone too.
        (Action::Status, true) => book::find_guides_under(&book.root, &book.root, true)?,
        (_, true) => match found {
            Some(found) => found,
            None => book::find_guides(&book.root)?,
        },
        (_, false) => {
            let mut out = Vec::new();
            for p in &s.paths {
                let p = cwd.join(p);
                // A topic folder (guides only in its subfolders) means every guide below it.
                if p.is_dir() && guide::locate(&p).is_err() {
                    let below = book::find_guides_under(&book.root, &p, true)?;
                    if !below.is_empty() {
                        out.extend(below);
                        continue;
                    }
                }
                out.push(p);
            }
            out
        }
    })
}

/// A guide as read: the path it is known by (to plan it once), and the files read for it.
type ReadGuide = (Option<PathBuf>, guide::Guide, Vec<PathBuf>);

/// Reads one guide input (a folder or a file) with its key findings.
fn read_guide(book: &Store, input: &Path) -> Result<ReadGuide> {
    // A chapter of a Markdown book is a Markdown file too, but no guide.
    let rel = input.canonicalize().ok().and_then(|p| p.strip_prefix(&book.root).ok().map(text::slash_path));
    if let Some(rel) = rel.filter(|r| book.chapter_files().any(|c| c == r)) {
        return Err(Error::Usage(format!(
            "{rel}: a chapter file of the book, not an integration guide; pass the guide or literature folder that targets it"
        )));
    }
    let files = guide::locate(input)?;
    let key =
        files.guide.as_ref().or(files.key_findings.as_ref()).map(|p| p.canonicalize().unwrap_or_else(|_| p.clone()));
    let mut g = guide::load(&files, &book.rules, &book.root)?;
    guide::key_from_folder(&mut g, &files.folder, &book.bib);
    let read = files.guide.iter().chain(&files.key_findings).cloned().chain([files.folder.join("README.md")]);
    let read = read.chain(g.bib_entries.iter().map(|e| book.root.join(&e.source)));
    let read = read.filter_map(|p| p.canonicalize().ok()).collect();
    Ok((key, g, read))
}

/// Reads and plans every input: the shared step of `plan`, `diff`, `check`, `status` and
/// `apply`; `texts` is the `--texts` file, its texts taken as the snippets of the targets
/// they name.
///
/// # Errors
/// A guide or the texts file that cannot be read; a texts file that is not usable
/// ([`read_texts`], [`texts_rendered`]).
fn plan_inputs(book: &Store, s: &Settings, inputs: &[PathBuf], texts: Option<&Path>) -> Result<Planned> {
    // Checking many guides reaches most of the book: parse it on every core first.
    if inputs.len() > 8 {
        let phase = trace::Phase::start("parse every file");
        book.outline_all();
        book.labels();
        // Every section index then counts from the one term table, unless the snapshot
        // holds the section indexes already.
        if !book.has_stored::<crate::place::SectionIndex>() {
            book.terms();
        }
        phase.done();
    }
    let phase = trace::Phase::start("plan guides");
    // Every guide is read first (a broken one stops the run, in input order), then planned.
    // Read on every core; the first error in input order is the one reported.
    let read = |input: &PathBuf| read_guide(book, input);
    let read: Vec<Result<ReadGuide>> =
        if inputs.len() > 8 { text::parallel_map(inputs, read) } else { inputs.iter().map(read).collect() };
    let mut guides = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    // Every file the guides were read from: no output may overwrite one.
    let mut read_files = Vec::new();
    for r in read {
        let (key, g, files) = r?;
        read_files.extend(files);
        // The same guide named twice (as a folder and as a file) is planned once.
        if seen.insert(key) {
            guides.push(g);
        }
    }
    guide::distinct_slugs(&mut guides);
    let texts = match texts {
        Some(path) => {
            let t = read_texts(path, &guides)?;
            read_files.extend(path.canonicalize().ok());
            Some(t)
        }
        None => None,
    };
    let progress = progress_bar(guides.len() as u64, s.quiet);
    let mut resolver = resolve::Resolver::new(book);
    let plan_one = |resolver: &mut resolve::Resolver, g: &guide::Guide| {
        progress.set_message(g.path.clone());
        let plan = crate::plan::plan_guide_with(book, resolver, g.clone(), texts.as_ref(), &Default::default());
        progress.inc(1);
        plan
    };
    // Many guides are planned on every core, each thread with its own resolver sharing the
    // indexes built here.
    let mut plans = if guides.len() > 8 {
        resolver.build_indexes();
        text::parallel_map_with(&guides, || resolver.clone(), plan_one)
    } else {
        guides.iter().map(|g| plan_one(&mut resolver, g)).collect()
    };
    progress.finish_and_clear();
    // A reviewer's `--pick` / `--at`: checked against the plans, then those guides are
    // planned again with the chosen spots.
    if !s.choices.is_empty() {
        let chosen = crate::plan::chosen(book, &plans, &s.choices).map_err(Error::Usage)?;
        for (g, by_rank) in &chosen {
            plans[*g] = crate::plan::plan_guide_with(book, &mut resolver, guides[*g].clone(), texts.as_ref(), by_rank);
        }
    }
    if s.process_ends {
        std::mem::forget(resolver);
    }
    phase.done();
    if let Some(texts) = &texts {
        texts_rendered(texts, &plans)?;
    }
    crate::plan::refuse_clashing_labels(&mut plans);
    override_severities(&mut plans, &book.rules.severity_overrides);
    let failed = failed(&plans, s);
    Ok(Planned { plans, read_files, failed, left_out: 0 })
}

/// `--fail-on`: whether a finding of the plans is at or above that severity (status 1).
fn failed(plans: &[GuidePlan], s: &Settings) -> bool {
    plans.iter().any(|p| p.all_findings().into_iter().any(|f| f.severity >= s.fail_on))
}

/// Gives every finding of the plans the severity the book's `[severity]` table sets for its
/// code: what is reported and what fails the run follow the book.
fn override_severities(plans: &mut [GuidePlan], overrides: &finding::SeverityOverrides) {
    if overrides.is_empty() {
        return;
    }
    for p in plans {
        for f in p.findings.iter_mut().chain(p.targets.iter_mut().flat_map(|t| t.findings.iter_mut())) {
            overrides.apply(f);
        }
    }
}

/// The book's own findings (from opening it and reading its bibliography) and `health`, with
/// the severities of the book's `[severity]` table.
fn book_findings(book: &Store, health: &[Finding]) -> Vec<Finding> {
    let all = book.findings.iter().chain(book.bib.findings.iter()).chain(health);
    all.map(|f| book.rules.severity_overrides.applied(f)).collect()
}

/// The `--texts` file at `path`, read and checked against the targets of `guides`.
///
/// # Errors
/// [`Error::Io`] when it cannot be read; [`Error::Config`] naming it and the line when it is
/// not UTF-8, not a texts object, or names a target that is unknown or has a snippet of its
/// guide ([`crate::plan::check_ids`]).
fn read_texts(path: &Path, guides: &[guide::Guide]) -> Result<crate::plan::Texts> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let text =
        String::from_utf8(bytes).map_err(|_| Error::Config { path: path.into(), message: "not UTF-8 text".into() })?;
    let texts = crate::plan::parse_texts(&text, &path.display().to_string())?;
    crate::plan::check_ids(&texts, guides)?;
    Ok(texts)
}

/// Every supplied text could be rendered into the markup of the file it goes into.
///
/// # Errors
/// [`Error::Config`] naming the texts file and the text's line when one cannot (a
/// `snippet-unrenderable` finding: Typst into LaTeX, LaTeX or Typst into Markdown).
fn texts_rendered(texts: &crate::plan::Texts, plans: &[GuidePlan]) -> Result<()> {
    for t in plans.iter().flat_map(|p| &p.targets).filter(|t| t.supplied) {
        if let Some(f) = t.findings.iter().find(|f| f.code == finding::Code::SnippetUnrenderable) {
            let line = texts.by_id.get(&t.id).map_or(1, |s| s.line);
            let into = t.candidates.first().map_or("its file", |c| c.path.as_str());
            return Err(Error::Config {
                path: texts.source.clone().into(),
                message: format!("line {line}: the text of `{}` cannot go into {into}: {}", t.id, f.message),
            });
        }
    }
    Ok(())
}

/// Whether an output file the user named (`diff --output`, `apply --summary`) may be
/// written: not inside a git directory, not a file the repository tracks (in its index, its
/// HEAD or the base commit), not one of the run's inputs (`read`: the guides' files, real
/// paths; the configuration, the rules and every file of the book).
///
/// # Errors
/// [`Error::Usage`] naming the path and why (see [`disk::may_write`]).
fn may_write(book: &Store, path: &Path, read: &[PathBuf]) -> Result<()> {
    let rules = book.config.rules.dir.clone().unwrap_or_else(|| "rules".into());
    let is_input = |real: &Path| {
        read.iter().any(|r| r == real)
            || real.strip_prefix(&book.root).is_ok_and(|rel| {
                let rel = text::slash_path(rel);
                rel == book::CONFIG_FILE
                    || book.sources.contains_key(&rel)
                    || rel.strip_prefix(&format!("{rules}/")).is_some_and(|f| rules::FILES.contains(&f))
            })
    };
    let Some(g) = &book.git else {
        let tracked = |_: &str| false;
        return disk::may_write(
            path,
            &disk::Protected { git_dirs: Vec::new(), workdir: None, tracked: &tracked, is_input: &is_input },
        );
    };
    let repo = g.repo();
    let git_dirs = [repo.path(), repo.commondir()].iter().filter_map(|d| d.canonicalize().ok()).collect();
    let index = repo.index().ok();
    let trees: Vec<git2::Tree> = [
        repo.head().ok().and_then(|h| h.peel_to_tree().ok()),
        g.base.and_then(|b| repo.find_commit(b).ok()?.tree().ok()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let tracked = |rel: &str| {
        index.as_ref().is_some_and(|i| i.get_path(Path::new(rel), 0).is_some())
            || trees.iter().any(|t| t.get_path(Path::new(rel)).is_ok())
    };
    disk::may_write(
        path,
        &disk::Protected { git_dirs, workdir: Some(g.workdir.clone()), tracked: &tracked, is_input: &is_input },
    )
}

/// Writes `text` to `out` (stdout).
fn write_out(out: &mut dyn Write, text: &str) -> Result<()> {
    out.write_all(text.as_bytes()).map_err(|e| Error::io("write", "stdout", e))
}

/// Writes one finding to `err` (stderr) as [`report::finding_text`] prints it, or with
/// `--format github` as a workflow annotation (the runner reads them on stderr as on stdout).
fn write_finding(err: &mut dyn Write, f: &Finding, ui: Ui) -> Result<()> {
    let text = match ui.s.format {
        Format::Github => report::github_annotations(&[f], ui.repo_path),
        Format::Text | Format::Json => report::finding_text(f, ui.style, ui.source),
    };
    err.write_all(text.as_bytes()).map_err(|e| Error::io("write", "stderr", e))
}

/// `(errors, warnings)` among the plans' and the book's findings.
fn count(plans: &[GuidePlan], book: &[&Finding]) -> (usize, usize) {
    let all: Vec<Severity> = plans
        .iter()
        .flat_map(|p| p.all_findings().into_iter().map(|f| f.severity))
        .chain(book.iter().map(|f| f.severity))
        .collect();
    (all.iter().filter(|s| **s == Severity::Error).count(), all.iter().filter(|s| **s == Severity::Warning).count())
}

/// A progress bar on standard error for `len` steps; hidden when `quiet`, for fewer than
/// two steps, or when standard error is not a terminal.
fn progress_bar(len: u64, quiet: bool) -> indicatif::ProgressBar {
    if quiet || len < 2 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}") {
        bar.set_style(style);
    }
    bar
}

/// Whether a finding is printed: `-q` shows errors only, `-v` adds info findings.
fn is_shown(f: &Finding, s: &Settings) -> bool {
    f.severity == Severity::Error || (!s.quiet && (s.verbose || f.severity > Severity::Info))
}

/// Prints the plans' findings to `err` (errors and warnings; info with `-v`; `already-applied`
/// unless `-q`).
fn print_findings(plans: &[GuidePlan], err: &mut dyn Write, ui: Ui) -> Result<()> {
    for p in plans {
        for f in p
            .all_findings()
            .into_iter()
            .filter(|f| is_shown(f, ui.s) || (!ui.s.quiet && f.code == finding::Code::AlreadyApplied))
        {
            write_finding(err, f, ui)?;
        }
    }
    Ok(())
}

/// A book path as the repository names it (relative to the git work tree root).
fn repo_path(book: &Store, p: &str) -> String {
    book.git.as_ref().map_or(p.to_string(), |g| g.repo_path(p))
}
