//! chapter-integrator: integrates literature guides into book chapters.
//!
//! Data flows through the modules in this order: [`guide`] (guide and key findings) ->
//! [`book`] (files, includes, bibliography, labels) -> [`outline`] (per-file structure) ->
//! [`resolve`] (target hint -> file) -> [`place`] (ranked insertion points) -> [`render`]
//! (snippet -> target markup) -> [`check`] (findings) -> [`edit`] (insertions applied once)
//! -> [`diff`] (unified diffs) -> [`git`] (commit on a new branch) -> [`report`] (text and
//! JSON). [`cli`] turns arguments into settings; [`run`] ties it together.

pub mod bib;
pub mod book;
pub mod bookkeeping;
pub mod check;
pub mod citation_edit;
pub mod cli;
pub mod diff;
pub mod disk;
pub mod edit;
pub mod error;
pub mod finding;
pub mod git;
pub mod guide;
pub mod index;
pub mod inventory;
pub mod outline;
pub mod phrasing;
pub mod place;
pub mod plan;
pub mod relevance;
pub mod render;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod snapshot;
pub mod sources;
pub mod text;
pub mod trace;
pub mod walk;
pub mod workflow;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Parser;

use crate::book::Book;
use crate::cli::{Action, Format, Settings};
use crate::error::{Error, Result};
use crate::finding::Severity;
use crate::plan::GuidePlan;
use crate::report::Style;

/// Stack size of the thread that runs a command, in bytes (1 GiB of address space).
const WORKER_STACK: usize = 1 << 30;

/// Parses `args` (program name first), runs, and returns the exit status: 0 done or nothing
/// to do, 1 findings of error severity or a refused branch, 2 a failure of the tool.
pub fn main_with_args<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    if let Some(bytes) = cli.static_output() {
        return match std::io::stdout().write_all(&bytes) {
            Ok(()) => 0,
            Err(_) => 2,
        };
    }
    let settings = Settings { process_ends: true, ..cli.into_settings(std::io::stdout().is_terminal()) };
    // The parsers recurse over nested markup; a deeply nested document must not overflow
    // the main thread's stack, so the run gets a thread with a large one (only the pages
    // touched are committed).
    let worker = std::thread::Builder::new().stack_size(WORKER_STACK).spawn(move || {
        let stdout = std::io::stdout();
        // Standard error is not held locked for the run: the progress bar draws on it from
        // the threads that plan the guides while this one waits for them.
        match run(&settings, &mut stdout.lock(), &mut std::io::stderr()) {
            Ok(code) => code,
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "error: {e}");
                2
            }
        }
    });
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => code,
        _ => {
            let _ =
                writeln!(std::io::stderr(), "error: internal failure (please report it with the input that caused it)");
            2
        }
    }
}

/// Runs one command. Requested output goes to `out`, diagnostics to `err`.
///
/// # Errors
/// Failures of the tool itself ([`Error`]); problems in the book are findings and give
/// status 1.
pub fn run(s: &Settings, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32> {
    let cwd = std::env::current_dir().map_err(|e| Error::io("read", ".", e))?;
    let root = match &s.book {
        Some(b) => b.clone(),
        None => s
            .paths
            .first()
            .and_then(|p| book::discover_root(&cwd.join(p)))
            .or_else(|| book::discover_root(&cwd))
            // `init` starts a book: the current folder is the root when nothing else is.
            .or_else(|| matches!(s.action, Action::Init { .. }).then(|| cwd.clone()))
            .ok_or_else(|| Error::Usage("no book found: no chapter-integrator.toml above the given path or the current directory, and not in a git work tree; pass --book DIR".into()))?,
    };
    if !root.is_dir() {
        return Err(Error::Usage(format!("--book {}: not a directory (give the book's root folder)", root.display())));
    }
    // `plan` and `diff` report no book-wide findings, so they skip validating every entry.
    let validate = !matches!(s.action, Action::Plan | Action::Diff { .. });
    // A run over every guide lists them while the book opens: the walk over the work tree
    // waits on the file system, opening on git and the parsers.
    let every_guide =
        matches!(s.action, Action::Check { changed_since: None, .. } | Action::Plan | Action::Diff { .. })
            && s.paths.is_empty();
    let (book, found) = std::thread::scope(|scope| {
        let found = every_guide.then(|| {
            let root = root.canonicalize().unwrap_or_else(|_| root.clone());
            scope.spawn(move || book::find_guides(&root))
        });
        let phase = trace::Phase::start("open book");
        let book = Book::open_with(&root, &s.base, validate);
        phase.done();
        let found = found.map(|f| f.join().unwrap_or_else(|_| Err(Error::Usage("listing the guides failed".into()))));
        (book, found)
    });
    let book = book?;
    let status = run_on(&book, s, &cwd, found.transpose()?, out, err)?;
    // What this run parsed serves the next run on the same commit; an `apply` or
    // `diff --output` that refused to write because of errors writes no snapshot either.
    let refused = status != 0 && matches!(s.action, Action::Diff { output: Some(_) } | Action::Apply { .. });
    if !refused {
        book.save_snapshot();
    }
    if s.process_ends {
        std::mem::forget(book);
    }
    Ok(status)
}

/// [`run`] on the opened book. `found`: every guide of the book, when a run that asks for
/// them listed them already ([`book::find_guides`]).
fn run_on(
    book: &Book,
    s: &Settings,
    cwd: &Path,
    found: Option<Vec<PathBuf>>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32> {
    let style = Style { color: s.color && s.format == Format::Text };
    match &s.action {
        Action::Outline => return outline(book, s, cwd, out, style),
        Action::Guides => return guides(book, s, cwd, out, style),
        Action::Init { force } => {
            let path = workflow::init(book, *force)?;
            writeln!(out, "wrote {}", path.display()).map_err(|e| Error::io("write", "stdout", e))?;
            return Ok(0);
        }
        _ => {}
    }
    let inputs: Vec<PathBuf> = match (&s.action, s.paths.is_empty()) {
        (Action::Check { changed_since: Some(rev), .. }, true) => workflow::changed_guides(book, rev)?,
        (_, true) => match found {
            Some(found) => found,
            None => book::find_guides(&book.root)?,
        },
        (_, false) => s.paths.iter().map(|p| cwd.join(p)).collect(),
    };
    // Findings show the line they point at: book files as planned, guides from disk (only
    // regular files inside the book).
    let source_line = |path: &str, line: usize| -> Option<String> {
        let text = match book.sources.get(path) {
            Some(t) => t.clone(),
            None => String::from_utf8_lossy(&disk::read_in(&book.root, &book.root.join(path)).ok()?).into_owned(),
        };
        text.lines().nth(line.checked_sub(1)?).map(str::to_string)
    };
    let source: report::SourceLine = &source_line;
    // Checking many guides reaches most of the book: parse it on every core first.
    if inputs.len() > 8 {
        let phase = trace::Phase::start("parse every file");
        book.outline_all();
        book.labels();
        // Every section index then counts from the one term table, unless the snapshot
        // holds the section indexes already.
        if !book.has_stored_section_indexes() {
            book.terms();
        }
        phase.done();
    }
    let phase = trace::Phase::start("plan guides");
    // Every guide is read first (a broken one stops the run, in input order), then planned.
    // Read on every core; the first error in input order is the one reported.
    // A guide as read: the path it is known by (to plan it once), and the files read for it.
    type ReadGuide = (Option<PathBuf>, guide::Guide, Vec<PathBuf>);
    let read = |input: &PathBuf| -> Result<ReadGuide> {
        let files = guide::locate(input)?;
        let key = files
            .guide
            .as_ref()
            .or(files.key_findings.as_ref())
            .map(|p| p.canonicalize().unwrap_or_else(|_| p.clone()));
        let mut g = guide::load(&files, &book.rules, &book.root)?;
        guide::key_from_folder(&mut g, &files.folder, &book.bib);
        let read = files.guide.iter().chain(&files.key_findings).cloned().chain([files.folder.join("README.md")]);
        let read = read.chain(g.bib_entries.iter().map(|e| book.root.join(&e.source)));
        let read = read.filter_map(|p| p.canonicalize().ok()).collect();
        Ok((key, g, read))
    };
    let read: Vec<Result<ReadGuide>> =
        if inputs.len() > 8 { text::parallel_map(&inputs, read) } else { inputs.iter().map(read).collect() };
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
    let progress = progress_bar(guides.len() as u64, s.quiet);
    let mut resolver = resolve::Resolver::new(book);
    let plan_one = |resolver: &mut resolve::Resolver, g: &guide::Guide| {
        progress.set_message(g.path.clone());
        let plan = plan::plan_guide(book, resolver, g.clone());
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
    if s.process_ends {
        std::mem::forget(resolver);
    }
    phase.done();
    plan::refuse_clashing_labels(&mut plans);
    // `--fail-on`: findings at or above this severity give status 1.
    let fails = |f: &finding::Finding| f.severity >= s.fail_on;
    let failed = plans.iter().any(|p| p.all_findings().into_iter().any(fails));
    // `check` of the whole book (no PATH) also reports the book's own health.
    let whole_book = matches!(s.action, Action::Check { changed_since: None, .. }) && s.paths.is_empty();
    let phase = trace::Phase::start("book health");
    let health = if whole_book { index::health(book) } else { Vec::new() };
    phase.done();
    trace::note(|| {
        let (files, bytes) = book.sources.read_so_far();
        format!("texts in memory: {files} of {} files, {:.1} MB", book.sources.len(), bytes as f64 / 1e6)
    });
    let book_findings: Vec<&finding::Finding> =
        book.findings.iter().chain(book.bib.findings.iter()).chain(health.iter()).collect();
    let repo_path = |p: &str| book.git.as_ref().map_or(p.to_string(), |g| g.repo_path(p));
    match &s.action {
        Action::Plan => {
            match s.format {
                Format::Json => out.write_all(report::plans_json(&plans).as_bytes()),
                Format::Text => {
                    plans.iter().try_for_each(|p| out.write_all(report::plan_text(p, style, source).as_bytes()))
                }
                Format::Github => {
                    let all: Vec<&finding::Finding> = plans.iter().flat_map(|p| p.all_findings()).collect();
                    out.write_all(report::github_annotations(&all, &repo_path).as_bytes())
                }
            }
            .map_err(|e| Error::io("write", "stdout", e))?;
            Ok(i32::from(failed))
        }
        Action::Diff { output } => {
            if let Some(path) = output {
                may_write(book, path, &read_files)?;
            }
            let (patch, change_failed) = diff_of(book, &plans, s, err, style, source)?;
            match output {
                // Nothing is written when the plan has errors.
                Some(_) if failed || change_failed => {
                    writeln!(err, "the patch file was not written: fix the errors above first")
                        .map_err(|e| Error::io("write", "stderr", e))?;
                }
                // Nor when there is nothing to write: an existing file is left as it is.
                Some(path) if patch.is_empty() => {
                    if !s.quiet {
                        writeln!(err, "nothing to write: every target is already applied or has nothing to insert; {} was not written", path.display())
                            .map_err(|e| Error::io("write", "stderr", e))?;
                    }
                }
                Some(path) => std::fs::write(path, &patch).map_err(|e| Error::io("write", path, e))?,
                None => match s.format {
                    Format::Json => {
                        let doc = serde_json::json!({"schema": report::SCHEMA, "diff": patch, "guides": plans.iter().map(report::guide_json).collect::<Vec<_>>()});
                        write_json(out, &doc)?;
                    }
                    Format::Text | Format::Github => out
                        .write_all(report::diff_text(&patch, style).as_bytes())
                        .map_err(|e| Error::io("write", "stdout", e))?,
                },
            }
            Ok(i32::from(failed || change_failed))
        }
        Action::Check { diff, .. } => {
            let book_failed = book_findings.iter().any(|f| fails(f));
            match s.format {
                Format::Json => {
                    let doc = serde_json::json!({
                        "schema": report::SCHEMA,
                        "guides": plans.iter().map(report::guide_json).collect::<Vec<_>>(),
                        "book_findings": book_findings.iter().map(|f| report::finding_json(f)).collect::<Vec<_>>(),
                        "summary": summary_json(&plans, &book_findings),
                        "diff": if *diff { Some(diff_of(book, &plans, s, err, style, source)?.0) } else { None },
                    });
                    write_json(out, &doc)?;
                }
                Format::Github => {
                    let all: Vec<&finding::Finding> = plans
                        .iter()
                        .flat_map(|p| p.all_findings())
                        .chain(book_findings.iter().copied())
                        .filter(|f| is_shown(f, s))
                        .collect();
                    out.write_all(report::github_annotations(&all, &repo_path).as_bytes())
                        .map_err(|e| Error::io("write", "stdout", e))?;
                    // GitHub shows ten annotations per step: the job summary lists them all.
                    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
                        let mut file = std::fs::OpenOptions::new()
                            .create(true)
                            .append(true)
                            .open(&path)
                            .map_err(|e| Error::io("write", PathBuf::from(&path), e))?;
                        file.write_all(report::github_summary(&plans, &book_findings).as_bytes())
                            .map_err(|e| Error::io("write", PathBuf::from(&path), e))?;
                    }
                }
                Format::Text => {
                    let mut text = String::new();
                    let shown = |f: &finding::Finding| is_shown(f, s);
                    for p in &plans {
                        for f in p.all_findings().into_iter().filter(|f| shown(f)) {
                            text.push_str(&report::finding_text(f, style, source));
                        }
                    }
                    for f in book_findings.iter().filter(|f| shown(f)) {
                        text.push_str(&report::finding_text(f, style, source));
                    }
                    if !s.quiet {
                        let (e, w) = count(&plans, &book_findings);
                        text.push_str(&format!("checked {} guide(s): {e} error(s), {w} warning(s)\n", plans.len()));
                    }
                    out.write_all(text.as_bytes()).map_err(|e| Error::io("write", "stdout", e))?;
                }
            }
            // The patch is part of text output only (JSON carries it in `diff`).
            if *diff && s.format == Format::Text {
                let (patch, _) = diff_of(book, &plans, s, err, style, source)?;
                out.write_all(report::diff_text(&patch, style).as_bytes())
                    .map_err(|e| Error::io("write", "stdout", e))?;
            }
            Ok(i32::from(failed || book_failed))
        }
        Action::Status => {
            let literature = book.config.book.literature();
            let rows: Vec<(String, String, workflow::GuideState)> = plans
                .iter()
                .map(|p| (p.guide.path.clone(), workflow::topic(&p.guide.path, &literature), workflow::state(p)))
                .collect();
            let text = match s.format {
                Format::Json => json_text(&workflow::status_json(&rows)),
                _ => workflow::status_text(&rows),
            };
            out.write_all(text.as_bytes()).map_err(|e| Error::io("write", "stdout", e))?;
            Ok(0)
        }
        Action::Init { .. } => unreachable!("handled before guides are planned"),
        Action::Outline | Action::Guides => unreachable!("handled before guides are planned"),
        Action::Apply { branch, force, summary, accept_low_confidence } => {
            if !accept_low_confidence {
                plan::leave_out_low_confidence(&mut plans);
            }
            if let Some(path) = summary {
                may_write(book, path, &read_files)?;
            }
            apply(book, &plans, (branch.as_deref(), *force, summary.as_deref()), s, out, err, (style, source))
        }
    }
}

/// Whether an output file the user named (`diff --output`, `apply --summary`) may be
/// written: not inside a git directory, not a file the repository tracks (in its index, its
/// HEAD or the base commit), not one of the run's inputs (`read`: the guides' files, real
/// paths; the configuration, the rules and every file of the book).
///
/// # Errors
/// [`Error::Usage`] naming the path and why (see [`disk::may_write`]).
fn may_write(book: &Book, path: &Path, read: &[PathBuf]) -> Result<()> {
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

/// A JSON document as printed: pretty, with a final newline.
fn json_text(doc: &serde_json::Value) -> String {
    serde_json::to_string_pretty(doc).expect("JSON values serialize") + "\n"
}

/// Writes a JSON document to `out` (stdout).
fn write_json(out: &mut dyn Write, doc: &serde_json::Value) -> Result<()> {
    out.write_all(json_text(doc).as_bytes()).map_err(|e| Error::io("write", "stdout", e))
}

/// `(errors, warnings)` among the plans' and the book's findings.
fn count(plans: &[GuidePlan], book: &[&finding::Finding]) -> (usize, usize) {
    let all: Vec<Severity> = plans
        .iter()
        .flat_map(|p| p.all_findings().into_iter().map(|f| f.severity))
        .chain(book.iter().map(|f| f.severity))
        .collect();
    (all.iter().filter(|s| **s == Severity::Error).count(), all.iter().filter(|s| **s == Severity::Warning).count())
}

fn summary_json(plans: &[GuidePlan], book: &[&finding::Finding]) -> serde_json::Value {
    let (errors, warnings) = count(plans, book);
    serde_json::json!({"guides": plans.len(), "errors": errors, "warnings": warnings})
}

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
fn is_shown(f: &finding::Finding, s: &Settings) -> bool {
    f.severity == Severity::Error || (!s.quiet && (s.verbose || f.severity > Severity::Info))
}

/// Prints the plans' findings to `err` (errors and warnings; info with `-v`; `already-applied`
/// unless `-q`).
fn print_findings(
    plans: &[GuidePlan],
    s: &Settings,
    err: &mut dyn Write,
    style: Style,
    source: report::SourceLine,
) -> Result<()> {
    for p in plans {
        for f in p
            .all_findings()
            .into_iter()
            .filter(|f| is_shown(f, s) || (!s.quiet && f.code == finding::Code::AlreadyApplied))
        {
            err.write_all(report::finding_text(f, style, source).as_bytes())
                .map_err(|e| Error::io("write", "stderr", e))?;
        }
    }
    Ok(())
}

/// The unified diff of every changed file (headers relative to the git work tree root),
/// and whether an edit failed.
fn diff_of(
    book: &Book,
    plans: &[GuidePlan],
    s: &Settings,
    err: &mut dyn Write,
    style: Style,
    source: report::SourceLine,
) -> Result<(String, bool)> {
    print_findings(plans, s, err, style, source)?;
    let all: Vec<&GuidePlan> = plans.iter().collect();
    let changes = plan::changes(book, &all);
    let mut patch = String::new();
    for (path, (old, new)) in &changes.files {
        if let Some(f) = check::worktree_drift(book, path) {
            err.write_all(report::finding_text(&f, style, source).as_bytes())
                .map_err(|e| Error::io("write", "stderr", e))?;
        }
        let shown = book.git.as_ref().map_or(path.clone(), |g| g.repo_path(path));
        if changes.new_files.contains(path) {
            patch.push_str(&diff::unified_new(&shown, new));
        } else {
            patch.push_str(&diff::unified(&shown, old, new));
        }
    }
    for f in &changes.findings {
        err.write_all(report::finding_text(f, style, source).as_bytes())
            .map_err(|e| Error::io("write", "stderr", e))?;
    }
    Ok((patch, !changes.findings.is_empty()))
}

/// `apply`: `target` is `(--branch, --force, --summary)`, `show` how findings are printed.
fn apply(
    book: &Book,
    plans: &[GuidePlan],
    target: (Option<&str>, bool, Option<&Path>),
    s: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
    show: (Style, report::SourceLine),
) -> Result<i32> {
    let (branch, force, summary) = target;
    let (style, source) = show;
    let Some(g) = &book.git else {
        return Err(Error::Usage(format!(
            "apply needs the book in a git repository; {} is not in one",
            book.root.display()
        )));
    };
    let Some(base) = g.base else {
        return Err(Error::Usage(format!(
            "apply needs a base commit holding the book: `{}` has no commits yet or does not contain {}; commit the book first",
            g.base_rev,
            if g.prefix.is_empty() { "the book" } else { g.prefix.as_str() }
        )));
    };
    print_findings(plans, s, err, style, source)?;
    let all: Vec<&GuidePlan> = plans.iter().collect();
    let edits = plan::changes(book, &all);
    for f in &edits.findings {
        err.write_all(report::finding_text(f, style, source).as_bytes())
            .map_err(|e| Error::io("write", "stderr", e))?;
    }
    let book_errors = book.findings.iter().chain(book.bib.findings.iter()).any(|f| f.severity >= s.fail_on);
    if !edits.findings.is_empty()
        || book_errors
        || plans.iter().any(|p| p.all_findings().into_iter().any(|f| f.severity >= s.fail_on))
    {
        writeln!(err, "nothing was written: fix the errors above first")
            .map_err(|e| Error::io("write", "stderr", e))?;
        return Ok(1);
    }
    let prefix = &book.config.branch.prefix;
    let branch = match branch {
        Some(b) => b.to_string(),
        None => match plans {
            [one] => format!("{prefix}{}", one.guide.slug),
            [first, rest @ ..] => format!("{prefix}{}-and-{}-more", first.guide.slug, rest.len()),
            [] => format!("{prefix}guides"),
        },
    };
    let mut commits = Vec::new();
    let mut shown = Vec::new();
    for k in 0..plans.len() {
        let upto: Vec<&GuidePlan> = plans[..=k].iter().collect();
        let before: Vec<&GuidePlan> = plans[..k].iter().collect();
        let now = plan::changes(book, &upto);
        let prev = plan::changes(book, &before);
        if now.files == prev.files {
            continue;
        }
        let files: Vec<(String, Vec<u8>)> =
            now.files.iter().map(|(p, (_, new))| (g.repo_path(p), new.as_bytes().to_vec())).collect();
        for p in now.files.keys() {
            if let Some(f) = check::worktree_drift(book, p) {
                err.write_all(report::finding_text(&f, style, source).as_bytes())
                    .map_err(|e| Error::io("write", "stderr", e))?;
            }
        }
        commits.push(git::CommitSpec { message: commit_message(&plans[k]), files, guide: plans[k].guide.path.clone() });
        shown.push(k);
    }
    if commits.is_empty() {
        if !s.quiet {
            writeln!(out, "nothing to do: every target is already applied or has nothing to insert")
                .map_err(|e| Error::io("write", "stdout", e))?;
        }
        return Ok(0);
    }
    // The repository handle is released before the outcome is handled: reporting it reads
    // base texts, which lock the same handle.
    let outcome = git::commit_to_branch(&g.repo(), &branch, base, &commits, force)?;
    match outcome {
        git::BranchOutcome::Refused(why) => {
            writeln!(err, "{}[branch-refused] {why}", style.bold("error"))
                .map_err(|e| Error::io("write", "stderr", e))?;
            if s.format == Format::Json {
                let doc =
                    serde_json::json!({"schema": report::SCHEMA, "branch": branch, "refused": why, "commits": []});
                write_json(out, &doc)?;
            }
            Ok(1)
        }
        git::BranchOutcome::Written(oids) => {
            let all: Vec<&GuidePlan> = plans.iter().collect();
            let changes = plan::changes(book, &all);
            let (files, add, del) = diff::stat(changes.files.values().map(|(o, n)| (o.as_str(), n.as_str())));
            if let Some(path) = summary {
                // Pull-request bodies are limited (65,536 characters on GitHub).
                let md = workflow::review_summary(plans, &branch, (files, add, del), 60_000);
                std::fs::write(path, md).map_err(|e| Error::io("write", path, e))?;
            }
            match s.format {
                Format::Json => {
                    let doc = serde_json::json!({
                        "schema": report::SCHEMA, "branch": branch,
                        "commits": oids.iter().zip(&shown).map(|(o, k)| serde_json::json!({"id": o.to_string(), "guide": plans[*k].guide.path})).collect::<Vec<_>>(),
                        "files_changed": files, "insertions": add, "deletions": del,
                    });
                    out.write_all(json_text(&doc).as_bytes())
                }
                Format::Text | Format::Github => {
                    let mut text = format!("branch {}\n", style.bold(&branch));
                    for (o, k) in oids.iter().zip(&shown) {
                        text.push_str(&format!("commit {} {}\n", o, plans[*k].guide.path));
                    }
                    text.push_str(&format!("{files} file(s) changed, {add} line(s) added, {del} removed\n"));
                    out.write_all(text.as_bytes())
                }
            }
            .map_err(|e| Error::io("write", "stdout", e))?;
            Ok(0)
        }
    }
}

/// `outline`: the book model as data. With no FILE: every chapter file (those reachable
/// from a root first, in document order) and every .bib file; else the files asked for.
fn outline(book: &Book, s: &Settings, cwd: &Path, out: &mut dyn Write, style: Style) -> Result<i32> {
    let files: Vec<String> = if s.paths.is_empty() {
        let mut order = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for root in &book.roots {
            for f in book.closure(root) {
                if seen.insert(f.clone()) {
                    order.push(f);
                }
            }
        }
        let rest = book.chapter_files().chain(book.sources.keys().filter(|p| p.ends_with(".bib")));
        order.extend(rest.filter(|f| !seen.contains(*f)).cloned());
        order
    } else {
        let mut v = Vec::new();
        for p in &s.paths {
            let abs = cwd.join(p).canonicalize().map_err(|e| Error::io("read", p, e))?;
            let rel = abs.strip_prefix(&book.root).map(text::slash_path).map_err(|_| {
                Error::Usage(format!("{}: not a file of the book at {}", p.display(), book.root.display()))
            })?;
            if !book.sources.contains_key(&rel) {
                return Err(Error::Usage(format!(
                    "{}: not a chapter, Markdown or .bib file of the book (or inside a literature folder)",
                    p.display()
                )));
            }
            v.push(rel);
        }
        v
    };
    // The whole book: its health; named files: their citations and cross-references.
    let health = if s.paths.is_empty() { index::health(book) } else { index::uses_health(book, &files) };
    let mut findings: Vec<finding::Finding> =
        book.findings.iter().chain(book.bib.findings.iter()).cloned().chain(health).collect();
    findings.sort_by(|a, b| (&a.path, a.line, &a.code, &a.message).cmp(&(&b.path, b.line, &b.code, &b.message)));
    let text = match s.format {
        Format::Json => report::outline_json(book, &files, &findings),
        Format::Text | Format::Github => report::outline_text(book, &files, &findings, style),
    };
    out.write_all(text.as_bytes()).map_err(|e| Error::io("write", "stdout", e))?;
    Ok(i32::from(findings.iter().any(|f| f.severity == Severity::Error)))
}

/// `guides`: every integration guide and key-findings file (or those under the given
/// paths) with what was extracted; status 1 when any has an error finding.
fn guides(book: &Book, s: &Settings, cwd: &Path, out: &mut dyn Write, style: Style) -> Result<i32> {
    let hidden: Vec<String> = book.config.book.literature();
    let mut inputs = Vec::new();
    if s.paths.is_empty() {
        inputs = inventory::find_inputs(&book.root, &book.root, &hidden)?;
    } else {
        for p in &s.paths {
            let abs = cwd.join(p);
            if abs.is_dir() {
                inputs.extend(inventory::find_inputs(&abs, &book.root, &hidden)?);
            } else {
                let name = abs.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                let kind = inventory::Kind::of(&name).unwrap_or(inventory::Kind::IntegrationGuide);
                if !abs.is_file() {
                    return Err(Error::io("read", &abs, std::io::Error::from(std::io::ErrorKind::NotFound)));
                }
                inputs.push((abs, kind));
            }
        }
    }
    let progress = progress_bar(inputs.len() as u64, s.quiet);
    let mut entries = Vec::new();
    for (path, kind) in &inputs {
        entries.push(inventory::read(path, *kind, &book.rules, &book.bib, &book.root)?);
        progress.inc(1);
    }
    progress.finish_and_clear();
    let text = match s.format {
        Format::Json => json_text(&serde_json::json!({
            "schema": report::SCHEMA,
            "guides": entries.iter().map(inventory::entry_json).collect::<Vec<_>>(),
        })),
        Format::Text | Format::Github => inventory::entries_text(&entries, style),
    };
    out.write_all(text.as_bytes()).map_err(|e| Error::io("write", "stdout", e))?;
    let failed = entries.iter().flat_map(|e| &e.guide.findings).any(|f| f.severity >= s.fail_on);
    Ok(i32::from(failed))
}

/// Subject naming the guide and keys, a body with each target's place, and trailers
/// (`Integration-Guide: path`, one `Citation-Key: key` per key).
fn commit_message(p: &GuidePlan) -> String {
    let keys = p.guide.citation_keys.join(", ");
    let mut m =
        format!("Integrate {}{}\n\n", p.guide.slug, if keys.is_empty() { String::new() } else { format!(" ({keys})") });
    m.push_str(&format!("Guide: {}\n", p.guide.path));
    m.push_str(&format!("Citation keys: {keys}\n"));
    m.push_str("Targets:\n");
    for t in &p.targets {
        let what = match &t.insertion {
            Some((path, ins)) if t.status == plan::Status::Insert => {
                let heading = t.candidates.first().map(|c| c.heading_path.join(" > ")).unwrap_or_default();
                format!("{path} after line {} ({heading})", ins.after_line)
            }
            _ => format!("{:?}", t.status).to_lowercase(),
        };
        m.push_str(&format!("- {}: {what}\n", guide::describe_rank(t.target.rank)));
    }
    m.push_str(&format!("\n{}: {}\n", git::GUIDE_TRAILER, p.guide.path));
    for k in &p.guide.citation_keys {
        m.push_str(&format!("Citation-Key: {k}\n"));
    }
    m
}
