//! Command line: clap arguments -> validated [`Settings`] -> [`crate::run`].
//!
//! clap types stop here; the rest of the crate sees only [`Settings`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Exit status:
  0  done, or nothing to do (warnings do not change the status)
  1  at least one finding of error severity (with --fail-on warning: of warning
     severity or worse): a guide that cannot be integrated
     (no target resolvable, a cited key with no bibliography entry, a snippet that
     cannot be rendered) or a refused branch
  2  the tool itself failed: bad arguments, unreadable files, a git error

PATH is an integration guide, a key-findings.md, or a literature folder (its
integration-guide.md or *integration*guide*.md, plus key-findings.md).

Man pages: chapter-integrator man > chapter-integrator.1, and one per command:
chapter-integrator man COMMAND > chapter-integrator-COMMAND.1";

/// Integrates literature guides into book chapters: ranked insertion points, unified
/// diffs with citations, and commits on a new branch that never touch your work tree.
#[derive(Debug, Parser)]
#[command(name = "chapter-integrator", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    common: Common,
}

/// The options every command takes: in each command's help under their own heading, one
/// line each.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
struct Common {
    /// Book root (default: the first folder holding chapter-integrator.toml above the
    /// first PATH or the current directory, else the git work tree root)
    #[arg(long, global = true, value_name = "DIR")]
    book: Option<PathBuf>,
    /// Revision whose files are "the book as it is now" (when the book is in git)
    #[arg(long, global = true, value_name = "REV", default_value = "HEAD")]
    base: String,
    /// Output format (github: GitHub Actions workflow annotations, and a job summary in
    /// $GITHUB_STEP_SUMMARY)
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// When to colour text output
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,
    /// Exit with status 1 on findings of this severity or worse
    #[arg(long, global = true, value_enum, default_value_t = FailOnArg::Error)]
    fail_on: FailOnArg,
    /// Print less: requested output and error findings only (no warnings, summaries or progress)
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Print more: info findings too
    #[arg(short, long, global = true)]
    verbose: bool,
}

/// What a reviewer or the calling workflow gives per target, for `plan`, `diff`, `apply`:
/// `--pick` and `--at` (a choice of insertion point) and `--texts`.
#[derive(Debug, Args)]
struct TargetArgs {
    /// Take TARGET's Nth ranked candidate (as `plan` lists them) instead of the first.
    /// TARGET as `plan` names it: primary, secondary, tertiary, quaternary, #5 (or its
    /// number); with several guides, GUIDE:TARGET (GUIDE: the folder's slug)
    #[arg(long, value_name = "TARGET=N", value_parser = pick_arg)]
    pick: Vec<(String, usize)>,
    /// Insert TARGET's text after line LINE of FILE (a chapter file, relative to the book
    /// root, as `plan` prints candidates) instead of at the first candidate
    #[arg(long, value_name = "TARGET=FILE:LINE", value_parser = at_arg)]
    at: Vec<(String, String, usize)>,
    /// Texts for targets without content (status needs-text): a JSON object, target id
    /// -> text, or -> {"text": ..., "language": "latex"|"typst"|"markdown"}
    #[arg(long, value_name = "FILE")]
    texts: Option<PathBuf>,
}

/// Parses `TARGET=N` (`--pick`).
fn pick_arg(arg: &str) -> Result<(String, usize), String> {
    let (target, n) = arg.rsplit_once('=').ok_or("expected TARGET=N, e.g. primary=2")?;
    let n: usize = n.trim().parse().map_err(|_| format!("`{n}` is no candidate number (1 is the first)"))?;
    if target.trim().is_empty() || n == 0 {
        return Err("expected TARGET=N with N from 1, e.g. primary=2".into());
    }
    Ok((target.trim().to_string(), n))
}

/// Parses `TARGET=FILE:LINE` (`--at`).
fn at_arg(arg: &str) -> Result<(String, String, usize), String> {
    let usage = "expected TARGET=FILE:LINE, e.g. primary=chapters/ch02.tex:40";
    let (target, spot) = arg.split_once('=').ok_or(usage)?;
    let (file, line) = spot.rsplit_once(':').ok_or(usage)?;
    let line: usize = line.trim().parse().map_err(|_| format!("`{line}` is no line number; {usage}"))?;
    if target.trim().is_empty() || file.trim().is_empty() || line == 0 {
        return Err(usage.into());
    }
    Ok((target.trim().to_string(), file.trim().to_string(), line))
}

impl TargetArgs {
    fn into_choices(self) -> Vec<crate::plan::Choice> {
        use crate::plan::{Choice, Spot};
        let picks = self.pick.into_iter().map(|(target, n)| Choice { target, spot: Spot::Rank(n) });
        picks
            .chain(self.at.into_iter().map(|(target, file, line)| Choice { target, spot: Spot::At(file, line) }))
            .collect()
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Json,
    // No doc comment: a described value would turn every `--help` into the long form.
    Github,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FailOnArg {
    Warning,
    Error,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show what would be done: citation keys, each target's file, and ranked insertion points
    Plan {
        /// Guides or literature folders
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// List every candidate, not only the best few; with --format json, each with its
        /// raw score and signals (name, rule, value, weight, contribution)
        #[arg(long)]
        explain: bool,
        #[command(flatten)]
        choices: TargetArgs,
    },
    /// Print the unified diff of every file that would change (what apply would commit);
    /// writes nothing
    Diff {
        /// Guides or literature folders
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Write the diff to FILE as a patch instead of printing it
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Also include targets whose best insertion point scores below review_below
        /// (rules/scoring.toml); without it they are left out with a warning, as `apply` does
        #[arg(long)]
        accept_low_confidence: bool,
        #[command(flatten)]
        choices: TargetArgs,
    },
    /// Commit the integration to a new branch (integrate/<slug>), one commit per guide
    Apply {
        /// Guides or literature folders
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Branch name (default: integrate/<slug of the folder or guide>)
        #[arg(long, value_name = "NAME")]
        branch: Option<String>,
        /// Rebuild the branch if it exists and holds only this tool's commits
        #[arg(long)]
        force: bool,
        /// Also write a Markdown review summary (for a pull-request body) to FILE
        #[arg(long, value_name = "FILE")]
        summary: Option<PathBuf>,
        /// Also apply targets whose best insertion point scores below review_below
        /// (rules/scoring.toml); without it they are left out with a warning
        #[arg(long)]
        accept_low_confidence: bool,
        #[command(flatten)]
        choices: TargetArgs,
    },
    /// Dashboard of every guide and key-findings file in the book (or those under PATH):
    /// applied, partly applied, pending, or cannot apply (with the reason), counted per
    /// literature topic, the guides named per state
    Status {
        /// Guides or literature folders (a topic folder: every guide below it)
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Print a shell completion script
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): chapter-integrator(1), or with COMMAND the page of that
    /// command, chapter-integrator-COMMAND(1), which the main page refers to
    Man {
        /// The command whose page to print (plan, diff, apply, check, ...)
        #[arg(value_name = "COMMAND", value_parser = man_page_name)]
        command: Option<String>,
    },
    /// Write a commented chapter-integrator.toml for the book, with what was detected
    Init {
        /// Overwrite an existing chapter-integrator.toml
        #[arg(long)]
        force: bool,
    },
    /// List every integration guide and key-findings file with what was extracted from it
    /// (citation keys, targets, section hints, environments, snippets, phrasing) and what
    /// could not be interpreted
    Guides {
        /// Guides, key-findings files or folders (default: every one in the book)
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Print the book as the tool sees it: roots, chapter files with their headings, the
    /// bibliography and what could not be read
    Outline {
        /// Only these chapter files (default: every file a root reaches)
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Dry run for CI: plan every given guide (default: every guide in the book) and print the findings
    Check {
        /// Guides or literature folders (default: every guide in the book)
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Also print the diffs
        #[arg(long)]
        diff: bool,
        /// Only guides added or modified since REV (with their key findings), for pull requests
        #[arg(long, value_name = "REV")]
        changed_since: Option<String>,
        /// Report only findings of these codes (comma-separated; `snippet-*`: every code
        /// starting so); the exit status counts only these
        #[arg(long, value_delimiter = ',', value_name = "CODE,...")]
        select: Vec<String>,
        /// Leave out findings of these codes (comma-separated; `snippet-*` as for --select)
        #[arg(long, value_delimiter = ',', value_name = "CODE,...")]
        ignore: Vec<String>,
        /// Text output: each finding with its source line and help (full), or on one line
        /// `path:line: severity[code] message` (concise)
        #[arg(long, value_enum, default_value_t = OutputFormatArg::Full)]
        output_format: OutputFormatArg,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormatArg {
    Full,
    Concise,
}

/// The commands with a man page of their own (`man COMMAND`): every subcommand, clap's
/// `help` included (`tests/cli_small.rs` keeps the list in step with them).
pub const MAN_PAGES: &[&str] =
    &["plan", "diff", "apply", "status", "completions", "man", "init", "guides", "outline", "check", "help"];

/// `man COMMAND`: one of [`MAN_PAGES`].
fn man_page_name(name: &str) -> Result<String, String> {
    if MAN_PAGES.contains(&name) {
        Ok(name.to_string())
    } else {
        Err(format!("no such command; the pages are {}", MAN_PAGES.join(", ")))
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people.
    Text,
    /// Machine-readable, with a schema version.
    Json,
    /// GitHub Actions annotations.
    Github,
}

/// What to do, with its own options.
#[derive(Debug, Clone)]
pub enum Action {
    /// `plan`; `explain`: every candidate, with its signals in JSON.
    Plan {
        /// `--explain`.
        explain: bool,
    },
    /// `diff`, optionally into a patch file: the change `apply` would commit.
    Diff {
        /// Patch file to write instead of printing.
        output: Option<PathBuf>,
        /// Include low-confidence targets too (as `apply --accept-low-confidence`).
        accept_low_confidence: bool,
    },
    /// `apply`.
    Apply {
        /// Branch name override.
        branch: Option<String>,
        /// Rebuild an existing branch of the tool.
        force: bool,
        /// Markdown review summary to write.
        summary: Option<PathBuf>,
        /// Apply low-confidence targets too.
        accept_low_confidence: bool,
    },
    /// `check`, optionally with diffs, optionally only guides changed since a revision.
    Check {
        /// Print the diffs too.
        diff: bool,
        /// Only guides added or modified since this revision.
        changed_since: Option<String>,
        /// `--select`: only findings of these codes (`prefix*` for every code starting so);
        /// empty: every code.
        select: Vec<String>,
        /// `--ignore`: findings of these codes left out.
        ignore: Vec<String>,
        /// `--output-format concise`: one line per finding in text output.
        concise: bool,
    },
    /// `status` of every guide in the book.
    Status,
    /// `init`: write a commented configuration file.
    Init {
        /// Overwrite an existing one.
        force: bool,
    },
    /// `outline` of the given chapter files (paths relative to the current directory), or of
    /// the whole book.
    Outline,
    /// `guides`: the inventory of the given guides, or of every one in the book.
    Guides,
}

/// Validated settings of one run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The subcommand.
    pub action: Action,
    /// Guide paths as given (empty: every guide, for `check`).
    pub paths: Vec<PathBuf>,
    /// `--book`.
    pub book: Option<PathBuf>,
    /// `--base`.
    pub base: String,
    /// `--format`.
    pub format: Format,
    /// Whether text output is coloured (resolved from `--color`, `NO_COLOR`, `TERM`, tty).
    pub color: bool,
    /// `-q`.
    pub quiet: bool,
    /// `-v`.
    pub verbose: bool,
    /// `--pick` and `--at` (`plan`, `diff`, `apply`), as given.
    pub choices: Vec<crate::plan::Choice>,
    /// Findings of this severity or worse give exit status 1 (`--fail-on`).
    pub fail_on: crate::finding::Severity,
    /// `--texts` of `plan`, `diff` and `apply`: the JSON file of texts for targets without
    /// content (see [`crate::plan::parse_texts`]), as given.
    pub texts: Option<PathBuf>,
    /// The process ends right after the run (the binary): the book and its indexes are left
    /// for the operating system to free instead of being freed piece by piece, which takes
    /// tens of milliseconds on a book of thousands of files. False from [`Cli::into_settings`].
    pub process_ends: bool,
}

impl Cli {
    /// The output of commands that need no book (`completions`, `man`), if this is one.
    pub fn static_output(&self) -> Option<Vec<u8>> {
        use clap::CommandFactory;
        match &self.command {
            Command::Completions { shell } => {
                let mut out = Vec::new();
                clap_complete::generate(*shell, &mut Cli::command(), "chapter-integrator", &mut out);
                Some(out)
            }
            Command::Man { command } => {
                let mut cmd = Cli::command();
                cmd.build();
                let page = match command {
                    // The name was checked by `man_page_name`.
                    Some(name) => cmd.find_subcommand(name).cloned().unwrap_or(cmd),
                    None => cmd,
                };
                let mut out = Vec::new();
                // Rendering into memory only fails on a formatting bug; what was written is kept.
                let source = format!("chapter-integrator {}", env!("CARGO_PKG_VERSION"));
                let _ = clap_mangen::Man::new(page).source(source).render(&mut out);
                Some(out)
            }
            _ => None,
        }
    }

    /// Turns parsed arguments into settings; `stdout_tty` says whether stdout is a terminal.
    pub fn into_settings(self, stdout_tty: bool) -> Settings {
        let c = self.common;
        let color = match c.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
                    && stdout_tty
            }
        };
        let mut choices = Vec::new();
        let (action, paths, texts) = match self.command {
            Command::Plan { paths, explain, choices: mut c } => {
                let texts = c.texts.take();
                choices = c.into_choices();
                (Action::Plan { explain }, paths, texts)
            }
            Command::Diff { paths, output, accept_low_confidence, choices: mut c } => {
                let texts = c.texts.take();
                choices = c.into_choices();
                (Action::Diff { output, accept_low_confidence }, paths, texts)
            }
            Command::Apply { paths, branch, force, summary, accept_low_confidence, choices: mut c } => {
                let texts = c.texts.take();
                choices = c.into_choices();
                (Action::Apply { branch, force, summary, accept_low_confidence }, paths, texts)
            }
            Command::Check { paths, diff, changed_since, select, ignore, output_format } => {
                let concise = output_format == OutputFormatArg::Concise;
                (Action::Check { diff, changed_since, select, ignore, concise }, paths, None)
            }
            Command::Outline { files } => (Action::Outline, files, None),
            Command::Guides { paths } => (Action::Guides, paths, None),
            Command::Status { paths } => (Action::Status, paths, None),
            Command::Init { force } => (Action::Init { force }, Vec::new(), None),
            Command::Completions { .. } | Command::Man { .. } => unreachable!("answered by Cli::static_output"),
        };
        Settings {
            action,
            paths,
            book: c.book,
            base: c.base,
            format: match c.format {
                FormatArg::Text => Format::Text,
                FormatArg::Json => Format::Json,
                FormatArg::Github => Format::Github,
            },
            fail_on: match c.fail_on {
                FailOnArg::Warning => crate::finding::Severity::Warning,
                FailOnArg::Error => crate::finding::Severity::Error,
            },
            process_ends: false,
            texts,
            color,
            quiet: c.quiet,
            verbose: c.verbose,
            choices,
        }
    }
}
