//! Emitters: plans, findings and diffs as text (optionally coloured) or JSON.
//!
//! JSON has a `schema` version; plan and check share the guide, target, candidate and
//! finding objects. Paths are relative to the book root with `/` separators. Text output
//! is meant for people; nothing printed depends on time or randomness.

pub mod json;
pub mod selection;

use std::fmt::Write as _;

use crate::finding::{Finding, Severity};
use crate::guide::describe_rank;
use crate::plan::GuidePlan;
use crate::store::Store;

/// Version of the JSON output shape; bumped on incompatible changes.
pub const SCHEMA: u32 = 1;

/// A JSON document as printed: pretty (two-space indent), with a final newline.
pub fn json_text<T: serde::Serialize + ?Sized>(doc: &T) -> String {
    serde_json::to_string_pretty(doc).expect("JSON documents serialize") + "\n"
}

/// ANSI styling, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Whether to emit ANSI colour codes.
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    /// Bold text.
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    fn warn(&self, s: &str) -> String {
        self.paint("33", s)
    }
    fn severity(&self, sev: Severity) -> String {
        let code = match sev {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        self.paint(code, sev.as_str())
    }
}

/// The `plan --format json` document ([`json::PlanDoc`]).
pub fn plans_json(plans: &[GuidePlan]) -> String {
    json_text(&json::PlanDoc { guides: json::GuideJson::all(plans), schema: SCHEMA })
}

/// The `plan --format json --explain` document: [`plans_json`] with each candidate's `raw`
/// score and `signals[]` under the weights `w` ([`json::GuideJson::explained`]).
pub fn plans_json_explained(plans: &[GuidePlan], w: &crate::rules::PlaceWeights) -> String {
    json_text(&json::PlanDoc { guides: json::GuideJson::explained(plans, w), schema: SCHEMA })
}

/// A plan as text for people.
pub fn plan_text(p: &GuidePlan, style: Style, source: SourceLine) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.bold(&p.guide.path));
    let keys = if p.guide.citation_keys.is_empty() { "(none)".to_string() } else { p.guide.citation_keys.join(", ") };
    let _ = writeln!(out, "  citation keys: {keys}");
    for t in &p.targets {
        let tg = &t.target;
        let _ =
            writeln!(out, "  {} target: {}", describe_rank(tg.rank), tg.file_hint.as_deref().unwrap_or("(no file)"));
        match &t.resolved {
            Some(r) => {
                let _ = writeln!(out, "    resolved: {} ({}, confidence {:.2})", r.path, r.method, r.confidence);
            }
            None => {
                let _ = writeln!(out, "    resolved: {}", style.dim("no"));
            }
        }
        if !tg.section_hints.is_empty() {
            let _ = writeln!(
                out,
                "    section hints: {}",
                tg.section_hints.iter().map(|h| format!("\"{h}\"")).collect::<Vec<_>>().join(", ")
            );
        }
        if let Some(env) = &tg.environment {
            let _ = writeln!(out, "    environment: {env}");
        }
        if let Some(s) = &tg.snippet {
            let lang = s.language.map_or("unknown".to_string(), |l| format!("{l:?}").to_lowercase());
            let labels = if t.labels.is_empty() { String::new() } else { format!(", labels {}", t.labels.join(", ")) };
            let title = t.title.as_ref().map(|t| format!(", title \"{t}\"")).unwrap_or_default();
            let _ = writeln!(out, "    snippet: {lang}{labels}{title}");
        }
        for (i, c) in t.candidates.iter().enumerate() {
            let _ = writeln!(out, "    {}. {}:{}  score {:.2}", i + 1, c.path, c.after_line, c.score);
            let _ = writeln!(out, "       {}", style.dim(&c.heading_path.join(" › ")));
            for r in c.reasons() {
                let _ = writeln!(out, "       - {r}");
            }
        }
        if let Some(best) = t.candidates.first().filter(|_| t.review) {
            let _ = writeln!(
                out,
                "    {}",
                style.warn(&format!(
                    "low confidence ({:.2}{}): review before applying",
                    best.score,
                    t.probability.map_or(String::new(), |p| format!(", estimated {:.0}% right", p * 100.0))
                ))
            );
        }
        let action = match (t.status(), t.insertion()) {
            (crate::plan::Status::Insert, Some((p, i))) => match t.new_file() {
                Some((new, _)) => format!("new file {new}, included after {p}:{}", i.after_line),
                None if i.replaces == 1 => format!("edit {p}:{}", i.after_line + 1),
                None if i.replaces > 1 => format!("edit {p}:{}-{}", i.after_line + 1, i.after_line + i.replaces),
                None => format!("insert after {p}:{}", i.after_line),
            },
            (crate::plan::Status::AlreadyApplied, _) => "already applied".to_string(),
            (crate::plan::Status::NeedsText, _) => match t.needs_text() {
                Some(n) => {
                    format!("needs text after {}:{} (supply it with --texts as `{}`)", n.path, n.after_line, t.id)
                }
                None => "needs text".to_string(),
            },
            _ => "nothing to insert".to_string(),
        };
        let _ = writeln!(out, "    → {action}");
    }
    for f in p.all_findings() {
        out.push_str(&finding_text(f, style, source));
    }
    out
}

/// The source line a finding points at, when it can be read: `(path, line) -> text`.
pub type SourceLine<'a> = &'a dyn Fn(&str, usize) -> Option<String>;

/// One finding as a compiler would print it: `severity[code] path:line: message`, then the
/// source line it points at (when `source` can read it) and the help.
pub fn finding_text(f: &Finding, style: Style, source: SourceLine) -> String {
    let loc = match (&f.path, f.line) {
        (Some(p), Some(l)) => format!("{p}:{l}: "),
        (Some(p), None) => format!("{p}: "),
        _ => String::new(),
    };
    let mut s = format!("{}[{}] {loc}{}\n", style.severity(f.severity), f.code, f.message);
    if let (Some(p), Some(l)) = (&f.path, f.line) {
        if let Some(text) = source(p, l).filter(|t| !t.trim().is_empty()) {
            let n = l.to_string();
            let pad = " ".repeat(n.len());
            let shown: String = text.trim_end().chars().take(160).collect();
            let _ = writeln!(s, "  {pad} {}", style.dim("|"));
            let _ = writeln!(s, "  {} {} {shown}", style.dim(&n), style.dim("|"));
            let _ = writeln!(s, "  {pad} {}", style.dim("|"));
        }
    }
    if let Some(h) = &f.help {
        let _ = writeln!(s, "  {} {h}", style.dim("help:"));
    }
    s
}

/// A unified diff, coloured when `style.color`.
pub fn diff_text(diff: &str, style: Style) -> String {
    if !style.color {
        return diff.to_string();
    }
    let mut out = String::with_capacity(diff.len() + 256);
    for line in diff.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let painted = if body.starts_with("diff --git") || body.starts_with("--- ") || body.starts_with("+++ ") {
            style.bold(body)
        } else if body.starts_with("@@") {
            style.paint("36", body)
        } else if body.starts_with('+') {
            style.paint("32", body)
        } else if body.starts_with('-') {
            style.paint("31", body)
        } else {
            body.to_string()
        };
        out.push_str(&painted);
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// GitHub Actions workflow commands for `findings`: `::error file=F,line=L,title=CODE::msg`
/// (`warning`, `notice` for the other severities). `repo_path` turns a book path into the
/// path relative to the repository root, as GitHub expects. Escaping follows the workflow
/// command rules (`%`, CR, LF in data; also `:` and `,` in properties).
pub fn github_annotations(findings: &[&Finding], repo_path: &dyn Fn(&str) -> String) -> String {
    let data = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    let prop = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for f in findings {
        let kind = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = Vec::new();
        if let Some(p) = &f.path {
            props.push(format!("file={}", prop(&repo_path(p))));
        }
        if let Some(l) = f.line {
            props.push(format!("line={l}"));
        }
        props.push(format!("title={}", prop(f.code.as_str())));
        let help = f.help.as_ref().map(|h| format!(" ({h})")).unwrap_or_default();
        let _ = writeln!(out, "::{kind} {}::{}", props.join(","), data(&format!("{}{help}", f.message)));
    }
    out
}

/// A Markdown job summary of a check: counts per guide and every error and warning
/// (GitHub shows only ten annotations per step; the summary shows them all).
pub fn github_summary(plans: &[GuidePlan], book_findings: &[&Finding]) -> String {
    let mut out = String::from("## chapter-integrator check\n\n| guide | errors | warnings |\n|---|---:|---:|\n");
    for p in plans {
        let all = p.all_findings();
        let e = all.iter().filter(|f| f.severity == Severity::Error).count();
        let w = all.iter().filter(|f| f.severity == Severity::Warning).count();
        let _ = writeln!(out, "| `{}` | {e} | {w} |", p.guide.path);
    }
    let mut lines: Vec<String> = plans
        .iter()
        .flat_map(|p| p.all_findings())
        .chain(book_findings.iter().copied())
        .filter(|f| f.severity > Severity::Info)
        .map(|f| {
            let loc = match (&f.path, f.line) {
                (Some(p), Some(l)) => format!("`{p}:{l}`"),
                (Some(p), None) => format!("`{p}`"),
                _ => String::new(),
            };
            format!("- **{}** `{}` {loc} {}", f.severity.as_str(), f.code, f.message.replace('\n', " "))
        })
        .collect();
    if !lines.is_empty() {
        out.push_str("\n### Findings\n\n");
        const CAP: usize = 200;
        let more = lines.len().saturating_sub(CAP);
        lines.truncate(CAP);
        out.push_str(&lines.join("\n"));
        out.push('\n');
        if more > 0 {
            let _ = writeln!(out, "\n… and {more} more (run `chapter-integrator check` locally for all).");
        }
    }
    out
}

/// The `outline` document ([`json::OutlineDoc`]): `{"schema", "roots", "files": [{"path",
/// "reachable", "headings", "environments", "labels", "citations", "references",
/// "includes", "entries", "findings"}], "summary"}`; lines are 1-based, `entries` is filled
/// for .bib files only. Each file is built as it is written.
pub fn outline_json(book: &Store, files: &[String], findings: &[Finding]) -> String {
    // Each file's findings, in their order: one pass, not one per file.
    let mut by_file: std::collections::HashMap<&str, Vec<&Finding>> = std::collections::HashMap::new();
    for x in findings {
        if let Some(p) = x.path.as_deref() {
            by_file.entry(p).or_default().push(x);
        }
    }
    let listed: std::collections::BTreeSet<&String> = files.iter().collect();
    let rest = findings.iter().filter(|x| x.path.as_ref().is_none_or(|p| !listed.contains(p)));
    json_text(&json::OutlineDoc {
        files: json::OutlineFiles { book, files, by_file },
        findings: json::FindingJson::all(rest),
        roots: &book.includes.roots,
        schema: SCHEMA,
        summary: json::OutlineSummary {
            bibliography_entries: book.bib.len(),
            chapter_files: book.chapter_files().count(),
            labels: book.labels().len(),
            reachable_files: book.includes.reachable.len(),
        },
    })
}

/// The environments (kind, title, lines, label) and includes (as written -> the file they
/// resolve to) of file `f`, one a line, then its labels, citations and cross-references, each
/// with its line.
fn outline_detail(text: &mut String, book: &Store, f: &str, o: &crate::outline::Outline, uses: &crate::index::Uses) {
    if !o.envs.is_empty() {
        text.push_str("    environments:\n");
    }
    for e in &o.envs {
        let title = e.title.as_ref().map(|t| format!(" \"{t}\"")).unwrap_or_default();
        let label = e.label.as_ref().map(|l| format!(" <{l}>")).unwrap_or_default();
        let _ = writeln!(text, "      {}{title} (lines {}-{}){label}", e.name, e.start, e.end);
    }
    if !o.includes.is_empty() {
        text.push_str("    includes:\n");
    }
    for i in &o.includes {
        let to = book.resolve_include(f, &i.target).unwrap_or_else(|| "(not in the book)".to_string());
        let _ = writeln!(text, "      {} -> {to} (line {})", i.target, i.line);
    }
    let list = |v: &[(String, usize)]| v.iter().map(|(n, l)| format!("{n} ({l})")).collect::<Vec<_>>().join(", ");
    for (what, v) in [("labels", &o.labels), ("citations", &uses.citations), ("cross-references", &uses.references)] {
        if !v.is_empty() {
            let _ = writeln!(text, "    {what} (line): {}", list(v));
        }
    }
}

/// The `outline` as text: each file with its headings (indented by level, with labels),
/// with `detail` (files named on the command line) also its environments, includes, labels,
/// citations and cross-references, a count line, and the findings.
pub fn outline_text(book: &Store, files: &[String], findings: &[Finding], style: Style, detail: bool) -> String {
    let mut text = format!("roots: {}\n", book.includes.roots.join(", "));
    for f in files {
        let reach = if book.includes.reachable.contains(f) || f.ends_with(".bib") {
            ""
        } else {
            " (not reachable from a root)"
        };
        let _ = writeln!(text, "{}{}", style.bold(f), style.dim(reach));
        if f.ends_with(".bib") {
            let _ = writeln!(text, "    {} entries", crate::bib::entries_in(f, &book.sources[f]).len());
            continue;
        }
        let Some(o) = book.outline(f) else { continue };
        for h in &o.headings {
            let indent = "  ".repeat((h.level + 2).max(1) as usize);
            let label = h.label.as_ref().map(|l| format!(" <{l}>")).unwrap_or_default();
            let _ = writeln!(text, "{indent}{} (line {}){label}", h.title, h.line);
        }
        let uses = book.uses(f);
        if detail {
            outline_detail(&mut text, book, f, &o, &uses);
        }
        let _ = writeln!(
            text,
            "    {} environment(s), {} label(s), {} citation(s), {} cross-reference(s), {} include(s)",
            o.envs.len(),
            o.labels.len(),
            uses.citations.len(),
            uses.references.len(),
            o.includes.len()
        );
    }
    for f in findings {
        text.push_str(&finding_text(f, style, &|_, _| None));
    }
    let _ = writeln!(
        text,
        "{} chapter file(s), {} reachable from a root; {} label(s); {} bibliography entries; {} finding(s)",
        book.chapter_files().count(),
        book.includes.reachable.len(),
        book.labels().len(),
        book.bib.len(),
        findings.len()
    );
    text
}
