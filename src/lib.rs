//! chapter-integrator: integrates literature guides into book chapters.
//!
//! Data flows through the modules in this order: [`guide`] (guide and key findings) ->
//! [`book`] (files, includes, bibliography, labels) -> [`outline`] (per-file structure) ->
//! [`resolve`] (target hint -> file) -> [`place`] (ranked insertion points) -> [`render`]
//! (snippet -> target markup) -> [`check`] (findings) -> [`edit`] (insertions applied once)
//! -> [`diff`] (unified diffs) -> [`git`] (commit on a new branch) -> [`report`] (text and
//! JSON). [`cli`] turns arguments into settings; `app` holds the commands, one file each;
//! [`run`] opens the book and runs one.

mod app;
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
pub mod integrated;
pub mod inventory;
pub mod markup;
pub mod outline;
pub mod phrasing;
pub mod place;
pub mod plan;
pub mod relevance;
pub mod render;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod sources;
pub mod store;
pub mod text;
pub mod trace;
pub mod walk;
pub mod workflow;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};

use clap::Parser;

use crate::cli::{Action, Settings};
use crate::error::{Error, Result};
use crate::store::Store;

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
    let validate = !matches!(s.action, Action::Plan { .. } | Action::Diff { .. });
    // A run over every guide lists them while the book opens: the walk over the work tree
    // waits on the file system, opening on git and the parsers.
    let every_guide =
        matches!(s.action, Action::Check { changed_since: None, .. } | Action::Plan { .. } | Action::Diff { .. })
            && s.paths.is_empty();
    let (book, found) = std::thread::scope(|scope| {
        let found = every_guide.then(|| {
            let root = root.canonicalize().unwrap_or_else(|_| root.clone());
            scope.spawn(move || book::find_guides(&root))
        });
        let phase = trace::Phase::start("open book");
        let book = Store::open_with(&root, &s.base, validate);
        phase.done();
        let found = found.map(|f| f.join().unwrap_or_else(|_| Err(Error::Usage("listing the guides failed".into()))));
        (book, found)
    });
    let mut book = book?;
    // A configuration naming what the book lacks stops every command before it prints
    // anything (only `init --force`, which writes a new one, goes on).
    let errors = book.config_errors();
    if !errors.is_empty() && !matches!(s.action, Action::Init { force: true }) {
        let message = match errors.as_slice() {
            [one] => one.clone(),
            all => format!("{} problems:\n  {}", all.len(), all.join("\n  ")),
        };
        return Err(Error::Config { path: book.root.join(book::CONFIG_FILE), message });
    }
    if matches!(s.action, Action::Plan { explain: true }) {
        // Every candidate: a ranking is studied (and its weights fitted) on all of them.
        book.rules_mut().scoring.place.top = usize::MAX;
    }
    let status = app::run_on(&book, s, &cwd, found.transpose()?, out, err)?;
    // What this run parsed serves the next run on the same commit; an `apply` or
    // `diff --output` that refused to write because of errors writes no snapshot either.
    let refused = status != 0 && matches!(s.action, Action::Diff { output: Some(_), .. } | Action::Apply { .. });
    if !refused {
        book.save_snapshot();
    }
    if s.process_ends {
        std::mem::forget(book);
    }
    Ok(status)
}
