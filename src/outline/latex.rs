//! LaTeX chapters -> [`Outline`]. A line scanner, not a TeX engine: sectioning commands
//! (optional short title, star, argument on a later line), environments with their
//! optional title and label, `\label`, the `\cite` family (natbib and biblatex forms,
//! multi-cites, locators, key lists over several lines), the `\ref` family and includes.
//! Comments, `\iffalse...\fi`, verbatim-like environments and macro definitions
//! (`\newcommand`, `\def`, ...) hold none of these.

use std::borrow::Cow;

use regex::Regex;

use super::patterns::{include_target, latex_heading, latex_heading_level, latex_include, latex_label};
use super::{empty, Env, Heading, Include, Outline};
use crate::markup::Markup;
use crate::text::LineIndex;

/// Environments whose content is not LaTeX (no headings, labels or citations inside).
const VERBATIM: &[&str] = &["verbatim", "verbatim*", "lstlisting", "minted", "comment", "Verbatim", "alltt"];

/// Commands whose arguments define macros: their bodies are not document text.
const DEFINITIONS: &[&str] = &[
    "newcommand",
    "renewcommand",
    "providecommand",
    "DeclareRobustCommand",
    "newenvironment",
    "renewenvironment",
    "NewDocumentCommand",
    "RenewDocumentCommand",
    "ProvideDocumentCommand",
    "DeclareDocumentCommand",
    "NewDocumentEnvironment",
    "RenewDocumentEnvironment",
    "DeclareDocumentEnvironment",
    "def",
    "gdef",
    "edef",
    "xdef",
];

/// Everything before an unescaped `%` (a `%` preceded by an odd number of backslashes is text).
pub(crate) fn strip_latex_comment(line: &str) -> &str {
    let b = line.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'%' {
            let backslashes = b[..i].iter().rev().take_while(|&&x| x == b'\\').count();
            if backslashes % 2 == 0 {
                return &line[..i];
            }
        }
    }
    line
}

/// The content of the balanced `{...}` group starting at `s[0] == '{'`, and the rest.
fn braced(s: &str) -> Option<(&str, &str)> {
    delimited(s, '{', '}')
}

/// The content of the balanced `open...close` group starting at `s[0] == open`, and the rest.
fn delimited(s: &str, open: char, close: char) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            c if c == open => depth += 1,
            c if c == close => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some((&s[open.len_utf8()..i], &s[i + close.len_utf8()..]));
                }
            }
            _ => {}
        }
    }
    None
}

struct Patterns {
    begin: Regex,
    end: Regex,
    cite: Regex,
    reference: Regex,
    definition: Regex,
}

fn patterns() -> &'static Patterns {
    static RES: std::sync::OnceLock<Patterns> = std::sync::OnceLock::new();
    RES.get_or_init(|| Patterns {
        begin: Regex::new(r"\\begin\s*\{([^}]+)\}").unwrap(),
        end: Regex::new(r"\\end\s*\{([^}]+)\}").unwrap(),
        // natbib (\citep, \citet, \citeauthor), biblatex (\parencite, \textcite, \autocite,
        // \footcite, \fullcite, the plural \...cites), \nocite; starred forms.
        cite: Regex::new(r"\\([A-Za-z]*cite[A-Za-z]*)\*?").unwrap(),
        reference: Regex::new(
            r"\\(?:ref|cref|Cref|autoref|eqref|pageref|nameref|vref|Vref|labelcref|cpageref|Cpageref|crefrange|Crefrange)\*?\s*\{([^}]*)\}",
        )
        .unwrap(),
        definition: Regex::new(&format!(r"\\(?:{})\b", DEFINITIONS.join("|"))).unwrap(),
    })
}

/// Outlines a LaTeX file.
pub(super) fn outline(text: &str) -> Outline {
    let lines: Vec<&str> = text.lines().collect();
    let mut scan = Scan {
        o: empty(Markup::Latex, text),
        in_definition: definition_lines(&lines),
        lines: &lines,
        clean: Vec::with_capacity(lines.len()),
        stack: Vec::new(),
        skip: None,
        heading_end: 0,
    };
    for (i, raw) in lines.iter().enumerate() {
        scan.line(i + 1, raw);
    }
    scan.finish()
}

/// An environment open at the current line: name, 1-based start line, label, title.
type OpenEnv = (String, usize, Option<String>, Option<String>);

/// The state of [`outline`]'s line scan.
struct Scan<'t> {
    o: Outline,
    lines: &'t [&'t str],
    /// Per line (0-based), whether it lies in a macro definition.
    in_definition: Vec<bool>,
    /// The document's text as TeX sees it, line for line: comments, verbatim text and
    /// skipped blocks blank.
    clean: Vec<Cow<'t, str>>,
    /// Open environments, outermost first.
    stack: Vec<OpenEnv>,
    /// Inside `\iffalse` (`\fi`) or a verbatim-like environment (its name): what closes it
    /// and the line it started on.
    skip: Option<(String, usize)>,
    /// Last line of the last heading's title (it may run over lines).
    heading_end: usize,
}

impl<'t> Scan<'t> {
    /// Scans 1-based line `n`, `raw` as written.
    fn line(&mut self, n: usize, raw: &'t str) {
        if self.skip.is_some() {
            self.skipped_line(n, raw);
            self.clean.push(Cow::Borrowed(""));
            return;
        }
        if self.in_definition[n - 1] {
            self.clean.push(Cow::Borrowed(""));
            return;
        }
        // Verbatim text anywhere on the line (`\verb|..|`, an inline `\begin{verbatim}`)
        // is blanked before anything is read; one left open skips the lines after.
        let (masked, left_open) = mask_verbatim(raw);
        let line: &str = &masked;
        let line = strip_latex_comment(line);
        if line.len() < raw.len() && line.trim().is_empty() {
            self.o.dead.push((n, n));
        }
        if line.trim_start().starts_with("\\iffalse") {
            self.skip = Some(("\\fi".into(), n));
            self.clean.push(Cow::Borrowed(""));
            return;
        }
        self.open_environments(n, line);
        if self.skip.is_some() {
            self.clean.push(Cow::Owned(line.to_string()));
            return;
        }
        self.heading(n, line);
        self.labels(n, line);
        if let Some(c) = latex_include().captures(line) {
            self.o.includes.push(Include { target: include_target(&c).to_string(), line: n });
        }
        self.close_environments(n, line);
        self.clean.push(Cow::Owned(line.to_string()));
        if let Some(name) = left_open {
            self.skip = Some((name, n));
        }
    }

    /// A line inside a skipped block: the block ends on it when it holds the block's `\fi`
    /// or `\end{..}`.
    fn skipped_line(&mut self, n: usize, raw: &str) {
        let Some((end, start)) = &self.skip else { return };
        let closes = if end == "\\fi" {
            strip_latex_comment(raw).trim_start().starts_with("\\fi")
        } else {
            raw.contains(&format!("\\end{{{end}}}"))
        };
        if closes {
            self.o.blocked.push((*start, n));
            self.o.dead.push((*start, n));
            self.skip = None;
        }
    }

    /// Each `\begin{..}` on the line: a verbatim-like one starts a skipped block, any
    /// other but `document` opens an environment (with its optional `[title]`).
    fn open_environments(&mut self, n: usize, line: &str) {
        for c in patterns().begin.captures_iter(line) {
            let name = c[1].trim().to_string();
            if VERBATIM.contains(&name.as_str()) {
                self.skip = Some((name, n));
            } else if name != "document" {
                let after = &line[c.get(0).unwrap().end()..];
                let title =
                    after.trim_start().starts_with('[').then(|| delimited(after.trim_start(), '[', ']')).flatten();
                self.stack.push((name, n, None, title.map(|(t, _)| t.trim().to_string())));
            }
        }
    }

    /// A sectioning command on the line; its title may start on the next line
    /// (`\section\n{Title}`) or run over up to three more.
    fn heading(&mut self, n: usize, line: &str) {
        let Some(c) = latex_heading().captures(line) else { return };
        let mut rest = line[c.get(0).unwrap().end() - c[4].len()..].to_string();
        let mut extra = 0;
        // `n` is also the 0-based index of the next line.
        while braced(&rest).is_none() && extra < 3 && n + extra < self.lines.len() {
            rest.push(' ');
            rest.push_str(strip_latex_comment(self.lines[n + extra]).trim());
            extra += 1;
        }
        let rest = rest.trim_start();
        self.heading_end = n + extra;
        if let Some((title, _)) = braced(rest) {
            let short = c.get(3).map(|m| m.as_str()[1..m.as_str().len() - 1].trim().to_string());
            self.o.headings.push(Heading {
                level: latex_heading_level(&c[1]),
                title: title.split_whitespace().collect::<Vec<_>>().join(" "),
                label: None,
                line: n,
                short_title: short,
                numbered: c[2].is_empty(),
            });
        }
    }

    /// Each `\label` on the line: listed, and given to the innermost open environment
    /// without one, else to a heading it follows directly.
    fn labels(&mut self, n: usize, line: &str) {
        for c in latex_label().captures_iter(line) {
            let label = c[1].trim().to_string();
            self.o.labels.push((label.clone(), n));
            if let Some(top) = self.stack.last_mut().filter(|t| t.2.is_none()) {
                top.2 = Some(label.clone());
            } else if let Some(h) =
                self.o.headings.last_mut().filter(|h| h.label.is_none() && n <= self.heading_end + 1)
            {
                h.label = Some(label);
            }
        }
    }

    /// Each `\end{..}` on the line closes its environment (and any opened inside it and
    /// left open); a top-level one is listed and blocked.
    fn close_environments(&mut self, n: usize, line: &str) {
        for c in patterns().end.captures_iter(line) {
            let name = c[1].trim();
            if let Some(pos) = self.stack.iter().rposition(|(open, ..)| open == name) {
                let (name, start, label, title) = self.stack.remove(pos);
                if pos == 0 || self.stack.is_empty() {
                    self.o.blocked.push((start, n));
                    self.o.envs.push(Env { name, start, end: n, label, title });
                }
                self.stack.truncate(pos);
            }
        }
    }

    /// After the last line: blocks left open, display math, and the citations and
    /// cross-references of the clean text.
    fn finish(mut self) -> Outline {
        let o = &mut self.o;
        // An environment, `\iffalse` or verbatim block never closed runs to the end of the
        // file, past its last line: nothing may be inserted anywhere after its start.
        let past_end = self.lines.len() + 1;
        if let Some((_, start, ..)) = self.stack.first() {
            o.blocked.push((*start, past_end));
        }
        if let Some((_, start)) = self.skip {
            o.blocked.push((start, past_end));
            o.dead.push((start, past_end));
        }
        // Display math `\[ ... \]` spanning lines.
        block_pairs(self.lines, "\\[", "\\]", &mut o.blocked);
        // Citations and cross-references may run over lines: scan the clean text whole.
        let clean = self.clean.join("\n");
        let idx = LineIndex::new(&clean);
        o.citations = citations(&clean, &idx);
        o.references = references(&clean, &idx);
        self.o
    }
}

/// Keys of the `\ref` family in `clean` (comment-free) text, each with the 1-based line of
/// the key itself (`\cref{a,\n b}` gives `b` the second line).
fn references(clean: &str, idx: &LineIndex) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for c in patterns().reference.captures_iter(clean) {
        let m = c.get(1).unwrap();
        let mut at = m.start();
        for name in m.as_str().split(',') {
            let trimmed = name.trim();
            if !trimmed.is_empty() {
                let offset = at + (name.len() - name.trim_start().len());
                out.push((trimmed.to_string(), idx.line_of(offset)));
            }
            at += name.len() + 1;
        }
    }
    out
}

/// Citation keys of every `\cite`-family command in `clean` (comment-free) text with the
/// 1-based line of the key itself. Handles optional arguments (`[see][p.~5]`), biblatex
/// multi-cites (`\parencites(pre)(post)[p.~3]{a}[ch.~2]{b}`) and `\nocite{*}` (no key).
fn citations(clean: &str, idx: &LineIndex) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for c in patterns().cite.captures_iter(clean) {
        let plural = c[1].ends_with("cites");
        let mut pos = c.get(0).unwrap().end();
        loop {
            let rest = &clean[pos..];
            let skipped = rest.len() - rest.trim_start().len();
            let rest = &rest[skipped..];
            pos += skipped;
            let Some(first) = rest.chars().next() else { break };
            let (open, close) = match first {
                '[' => ('[', ']'),
                '(' if plural => ('(', ')'),
                '{' => ('{', '}'),
                _ => break,
            };
            let Some((inner, after)) = delimited(rest, open, close) else { break };
            if open == '{' {
                let mut at = pos + 1;
                for key in inner.split(',') {
                    let trimmed = key.trim();
                    if !trimmed.is_empty() && trimmed != "*" && !trimmed.contains('#') {
                        let offset = at + (key.len() - key.trim_start().len());
                        out.push((trimmed.to_string(), idx.line_of(offset)));
                    }
                    at += key.len() + 1;
                }
                if !plural {
                    break;
                }
            }
            pos = clean.len() - after.len();
        }
    }
    out
}

/// The brace groups a definition command takes after its name: `\newcommand{\x}[1]{body}`
/// one (the body), `\newenvironment{x}{begin}{end}` two, `\NewDocumentCommand{\x}{m}{body}`
/// two (spec, body), `\NewDocumentEnvironment{x}{m}{begin}{end}` three, `\def\x#1{body}`
/// one (LaTeX2e and xparse argument forms).
fn groups_after_name(command: &str) -> usize {
    match command {
        "newenvironment" | "renewenvironment" => 2,
        "NewDocumentCommand" | "RenewDocumentCommand" | "ProvideDocumentCommand" | "DeclareDocumentCommand" => 2,
        "NewDocumentEnvironment" | "RenewDocumentEnvironment" | "DeclareDocumentEnvironment" => 3,
        _ => 1,
    }
}

/// For each line, whether it lies in a macro definition (`\newcommand{\x}[1]{...}`,
/// `\newenvironment{x}{...}{...}`, `\NewDocumentCommand`, `\def\x{...}`) whose body would
/// otherwise be read as document text: from the command through the last brace group it
/// takes, over lines (at most 50).
fn definition_lines(lines: &[&str]) -> Vec<bool> {
    let mut out = vec![false; lines.len()];
    let p = patterns();
    let mut i = 0;
    while i < lines.len() {
        let line = strip_latex_comment(lines[i]);
        let Some(m) = p.definition.find(line) else {
            i += 1;
            continue;
        };
        let command = m.as_str().trim_start_matches('\\');
        // The name is a group of its own (`{\x}`, `{env}`) unless written bare (`\x`).
        let mut need = groups_after_name(command) + 1;
        let mut name_seen = false;
        let (mut depth, mut done, mut escaped) = (0usize, 0usize, false);
        let mut j = i;
        let mut from = m.end();
        'lines: while j < lines.len() && j < i + 50 {
            let l = strip_latex_comment(lines[j]);
            for ch in l[from.min(l.len())..].chars() {
                if escaped {
                    escaped = false;
                    continue;
                }
                match ch {
                    '\\' if depth == 0 && !name_seen && done == 0 => {
                        // `\newcommand\x{..}`, `\def\x{..}`: a bare name, no group of its own.
                        need -= 1;
                        name_seen = true;
                        escaped = true;
                    }
                    '\\' => escaped = true,
                    '{' => depth += 1,
                    '}' if depth > 0 => {
                        depth -= 1;
                        if depth == 0 {
                            done += 1;
                            name_seen = true;
                        }
                    }
                    _ => {}
                }
                if done >= need {
                    break 'lines;
                }
            }
            from = 0;
            j += 1;
        }
        let last = j.min(lines.len() - 1);
        for flag in &mut out[i..=last] {
            *flag = true;
        }
        i = last + 1;
    }
    out
}

/// `line` with its verbatim text blanked (spaces, so byte offsets hold): `\verb|..|` (any
/// delimiter, starred too), `\lstinline|..|` or `\lstinline{..}`, `\mintinline{lang}{..}`,
/// and a verbatim-like environment opened on the line (through its `\end`, else to the end
/// of the line). Also the name of such an environment left open at the line's end.
fn mask_verbatim(line: &str) -> (Cow<'_, str>, Option<String>) {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"\\(?:verb\*?|lstinline|mintinline\s*\{[^}]*\})|\\begin\s*\{([^}]+)\}").expect("valid pattern")
    });
    if !line.contains("\\verb") && !line.contains("inline") && !line.contains("\\begin") {
        return (Cow::Borrowed(line), None);
    }
    let mut out = line.to_string();
    let mut from = 0;
    let blank = |out: &mut String, a: usize, b: usize| {
        let spaces = " ".repeat(line[a..b].len());
        out.replace_range(a..b, &spaces);
    };
    while let Some(c) = re.captures_at(line, from) {
        let m = c.get(0).expect("whole match");
        if let Some(env) = c.get(1) {
            let name = env.as_str().trim();
            if !VERBATIM.contains(&name) {
                from = m.end();
                continue;
            }
            let close = format!("\\end{{{name}}}");
            match line[m.end()..].find(&close) {
                Some(at) => {
                    let end = m.end() + at + close.len();
                    blank(&mut out, m.start(), end);
                    from = end;
                }
                None => {
                    blank(&mut out, m.start(), line.len());
                    return (Cow::Owned(out), Some(name.to_string()));
                }
            }
            continue;
        }
        // The delimiter: the next character (a brace pairs with `}`).
        let Some(open) = line[m.end()..].chars().next().filter(|c| !c.is_alphabetic() && !c.is_whitespace()) else {
            from = m.end();
            continue;
        };
        let close = if open == '{' { '}' } else { open };
        let body = m.end() + open.len_utf8();
        let end = line[body..].find(close).map_or(line.len(), |at| body + at + close.len_utf8());
        blank(&mut out, m.start(), end);
        from = end;
    }
    (Cow::Owned(out), None)
}

fn block_pairs(lines: &[&str], open: &str, close: &str, blocked: &mut Vec<(usize, usize)>) {
    let mut start = None;
    for (i, l) in lines.iter().enumerate() {
        let l = strip_latex_comment(l);
        match start {
            None if l.contains(open) && !l[l.find(open).unwrap()..].contains(close) => start = Some(i + 1),
            Some(s) if l.contains(close) => {
                blocked.push((s, i + 1));
                start = None;
            }
            _ => {}
        }
    }
}
