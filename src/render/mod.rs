//! Snippets -> text in the target file's markup.
//!
//! A LaTeX snippet goes into `.tex` as written and into `.typ` converted to the book's Typst
//! form: `\begin{env}[T]\label{x} ... \end{env}` -> `#env(title: [T])[ ... ] <x>` (function
//! names from `rules/environments.toml`), `\cite{a,b}` -> `@a @b` (keys that are not valid
//! Typst references -> `#cite(label("k"))`), `\ref` -> `@x`, `\textbf`/`\emph`/`\textit`/
//! `\texttt`, lists, `\href`/`\url`, escapes and inline math. A construct the converter does
//! not know is kept visibly in raw backticks and reported as `snippet-unconverted`. Output
//! is validated: Typst parses without errors (typst-syntax), LaTeX balances braces and
//! environments. Generated snippets and Markdown targets are not rendered yet.

use regex::Regex;

use crate::finding::{Code, Finding};
use crate::guide::{Markup, Snippet};
use crate::outline::patterns;
use crate::rules::EnvironmentRules;

/// A snippet rendered for one target file.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The text to insert, without surrounding blank lines, ending without newline.
    pub text: String,
    /// Problems met while rendering (unconverted constructs, invalid output).
    pub findings: Vec<Finding>,
}

/// Labels a snippet defines (`\label{x}`, Typst `<x>`).
pub fn snippet_labels(snippet: &Snippet) -> Vec<String> {
    let typst;
    let re = match snippet.language {
        Some(Markup::Typst) => {
            typst = Regex::new(r"(?m)<([A-Za-z][A-Za-z0-9_:.\-]*)>\s*$").unwrap();
            &typst
        }
        _ => patterns::latex_label(),
    };
    re.captures_iter(&snippet.text).map(|c| c[1].trim().to_string()).collect()
}

/// The title of a snippet's environment (`\begin{env}[Title]`, `title: [Title]`).
pub fn snippet_title(snippet: &Snippet) -> Option<String> {
    let re = match snippet.language {
        Some(Markup::Typst) => Regex::new(r"title:\s*\[([^\]]*)\]").unwrap(),
        _ => Regex::new(r"\\begin\{[^}]+\}\s*\[([^\]]*)\]").unwrap(),
    };
    re.captures(&snippet.text).map(|c| c[1].trim().to_string())
}

/// Renders `snippet` for a file in `target` markup. `defined` lists the Typst functions
/// the book defines (empty: not checked). `where_` names the guide and line for findings.
pub fn render(
    snippet: &Snippet,
    target: Markup,
    env: &EnvironmentRules,
    defined: &[String],
    where_: (&str, usize),
) -> Rendered {
    let text = snippet.text.trim_end().to_string();
    let mut findings = Vec::new();
    let lang = snippet.language.unwrap_or(target);
    let out = match (lang, target) {
        (Markup::Latex, Markup::Latex) => latex_labels_in_place(text, &mut findings, where_),
        (Markup::Typst, Markup::Typst) | (Markup::Markdown, Markup::Markdown) => text,
        (Markup::Latex, Markup::Typst) => {
            if let Some(problem) = latex_balance(&text) {
                findings.push(
                    Finding::new(Code::SnippetUnbalanced, format!("the guide's LaTeX snippet is not valid: {problem}"))
                        .at(where_.0, Some(where_.1))
                        .help("fix the snippet in the guide"),
                );
                return Rendered { text: String::new(), findings };
            }
            latex_to_typst(&text, env, defined, &mut findings, where_)
        }
        (from, to) => {
            findings.push(
                Finding::new(
                    Code::SnippetUnrenderable,
                    format!("a {from:?} snippet cannot be rendered into a {to:?} file yet"),
                )
                .at(where_.0, Some(where_.1))
                .help("give the snippet in the target file's markup"),
            );
            return Rendered { text: String::new(), findings };
        }
    };
    let out = if target == Markup::Typst { escape_stray_angles(out, &mut findings, where_) } else { out };
    let problem = match target {
        Markup::Typst => typst_error(&out).map(|(line, msg)| {
            let what =
                if lang == Markup::Typst { "the guide's Typst snippet" } else { "the Typst text rendered from it" };
            format!("{what} does not parse: {msg} (line {line} of the snippet)")
        }),
        Markup::Latex => latex_balance(&out),
        Markup::Markdown => None,
    };
    if let Some(problem) = problem {
        findings.push(
            Finding::new(Code::SnippetUnbalanced, format!("the rendered snippet is not valid: {problem}"))
                .at(where_.0, Some(where_.1))
                .help("fix the snippet in the guide"),
        );
    }
    Rendered { text: out, findings }
}

/// `text` with each `<` that opens no label (`<1% of cells`, which Typst reads as an
/// unclosed label) written `\<`, found by the parser's "unclosed label" errors; a
/// `snippet-escaped` info finding when any was changed. At most 50 repairs.
fn escape_stray_angles(mut text: String, findings: &mut Vec<Finding>, where_: (&str, usize)) -> String {
    // Too deep to parse: [`typst_error`] says so.
    if crate::outline::nesting::too_deep(&text).is_some() {
        return text;
    }
    let mut fixed = 0;
    while fixed < 50 {
        let source = typst_syntax::Source::detached(text.clone());
        let Some(at) = source
            .root()
            .errors()
            .into_iter()
            .filter(|e| e.message.contains("unclosed label"))
            .filter_map(|e| source.range(e.span).map(|r| r.start))
            .find(|&at| text[at..].starts_with('<'))
        else {
            break;
        };
        text.insert(at, '\\');
        fixed += 1;
    }
    if fixed > 0 {
        findings.push(
            Finding::new(
                Code::SnippetEscaped,
                format!("{fixed} `<` that would open an unclosed Typst label written as `\\<`"),
            )
            .at(where_.0, Some(where_.1)),
        );
    }
    text
}

/// LaTeX with every `\label` where `\ref` finds the right number: in a float (`figure`,
/// `table`) after its `\caption` (before it, `\ref` gives the section's number); a label
/// written right after an environment's `\end` moves inside it (after the caption of a
/// float, else right after `\begin{..}[..]`). A `snippet-label-moved` info finding when
/// anything moved.
fn latex_labels_in_place(text: String, findings: &mut Vec<Finding>, where_: (&str, usize)) -> String {
    static RES: std::sync::OnceLock<[Regex; 2]> = std::sync::OnceLock::new();
    let [caption_re, after_end_re] = RES.get_or_init(|| {
        [
            Regex::new(r"\\caption\s*(?:\[[^\]]*\])?\s*\{").unwrap(),
            Regex::new(&format!(r"\\end\{{([^}}]+)\}}[ \t]*\n?[ \t]*({})", patterns::LATEX_LABEL)).unwrap(),
        ]
    });
    let label_re = patterns::latex_label();
    let mut out = text;
    let mut moved = 0;
    // A label after `\end{env}`: take it out and put it back inside.
    while let Some(c) = after_end_re.captures(&out) {
        let (name, label) = (c[1].to_string(), c[2].to_string());
        let whole = c.get(0).unwrap();
        let end_tag = format!("\\end{{{name}}}");
        let (start, stop) = (whole.start(), whole.end());
        let mut without = format!("{}{}{}", &out[..start], end_tag, &out[stop..]);
        let Some(begin) = without[..start].rfind(&format!("\\begin{{{name}}}")) else { break };
        let open_end = begin + format!("\\begin{{{name}}}").len();
        // Past an optional title `[...]`.
        let after_open = if without[open_end..].starts_with('[') {
            without[open_end..].find(']').map_or(open_end, |i| open_end + i + 1)
        } else {
            open_end
        };
        without.insert_str(after_open, &label);
        out = without;
        moved += 1;
    }
    // In floats, the label goes after the caption.
    for float in ["figure", "figure*", "table", "table*"] {
        let (open, close) = (format!("\\begin{{{float}}}"), format!("\\end{{{float}}}"));
        let mut from = 0;
        while let Some(b) = out[from..].find(&open).map(|i| from + i) {
            let Some(e) = out[b..].find(&close).map(|i| b + i) else { break };
            let body = out[b..e].to_string();
            from = e;
            let (Some(l), Some(cap)) = (label_re.find(&body), caption_re.find(&body)) else { continue };
            let cap_close = braced(&body[cap.end() - 1..]).map(|(_, used)| cap.end() - 1 + used);
            if l.start() > cap.start() {
                continue;
            }
            let Some(cap_close) = cap_close else { continue };
            let label = l.as_str().to_string();
            let mut fixed = body.clone();
            fixed.insert_str(cap_close, &format!(" {label}"));
            fixed.replace_range(l.start()..l.end(), "");
            // The label's own line, if it held nothing else, goes too.
            let fixed = fixed.replace("\n\n", "\n");
            out.replace_range(b..e, &fixed);
            from = b + fixed.len();
            moved += 1;
        }
    }
    if moved > 0 {
        findings.push(
            Finding::new(Code::SnippetLabelMoved, format!("{moved} `\\label` moved where `\\ref` gets the environment's number (inside it, after a float's caption)"),
            )
            .at(where_.0, Some(where_.1)),
        );
    }
    out
}

/// The first Typst syntax error in `text`: 1-based line and message.
pub fn typst_error(text: &str) -> Option<(usize, String)> {
    // Nested too deeply for the parser's recursion: not parsed at all.
    if let Some(line) = crate::outline::nesting::too_deep(text) {
        let max = crate::outline::nesting::MAX_NESTING;
        return Some((line, format!("the markup nests deeper than {max} levels")));
    }
    // A numbered source, so error spans map back to byte ranges.
    let source = typst_syntax::Source::detached(text);
    let err = source.root().errors().into_iter().next()?;
    let offset = source.range(err.span).map_or(0, |r| r.start);
    Some((text[..offset.min(text.len())].matches('\n').count() + 1, err.message.to_string()))
}

/// `None` when braces and `\begin`/`\end` balance, else what is wrong.
pub fn latex_balance(text: &str) -> Option<String> {
    let mut depth: i64 = 0;
    let mut prev_backslash = false;
    for c in text.chars() {
        match c {
            '{' if !prev_backslash => depth += 1,
            '}' if !prev_backslash => {
                depth -= 1;
                if depth < 0 {
                    return Some("a `}` closes nothing".into());
                }
            }
            _ => {}
        }
        prev_backslash = c == '\\' && !prev_backslash;
    }
    if depth != 0 {
        return Some(format!("{depth} unclosed `{{`"));
    }
    let re = Regex::new(r"\\(begin|end)\s*\{([^}]+)\}").unwrap();
    let mut stack = Vec::new();
    for c in re.captures_iter(text) {
        if &c[1] == "begin" {
            stack.push(c[2].to_string());
        } else if stack.pop().as_deref() != Some(&c[2]) {
            return Some(format!("`\\end{{{}}}` does not close the open environment", &c[2]));
        }
    }
    stack.first().map(|open| format!("`\\begin{{{open}}}` is never closed"))
}

/// A key usable as a Typst `@key` reference: letters, digits, `_`, `-`, `:`, `.` inside,
/// not ending in `.` or `:`.
pub fn typst_ref_ok(key: &str) -> bool {
    !key.is_empty()
        && key.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ':' | '.'))
        && !key.ends_with(['.', ':'])
        && key.chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// A label usable in Typst's `<label>` syntax.
pub fn typst_label_ok(label: &str) -> bool {
    !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ':' | '.'))
}

/// The characters of `label` a Typst label cannot hold, named (`a space`, `` `/` ``).
fn invalid_label_chars(label: &str) -> String {
    let mut bad: Vec<String> = label
        .chars()
        .filter(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | ':' | '.')))
        .map(|c| if c == ' ' { "a space".to_string() } else { format!("`{c}`") })
        .collect();
    bad.dedup();
    bad.join(", ")
}

/// Whether `rest` (the text right after an `@name`) would be read as more of the name:
/// a letter, digit, `_` or `-`, or `.`/`:` followed by one (Typst drops a final `.` or `:`).
fn continues_label(rest: &str) -> bool {
    let mut chars = rest.chars();
    match chars.next() {
        Some(c) if c.is_alphanumeric() || c == '_' || c == '-' => true,
        Some('.' | ':') => chars.next().is_some_and(|c| c.is_alphanumeric() || c == '_'),
        _ => false,
    }
}

fn cite_typst(key: &str, locator: Option<&str>) -> String {
    let loc = locator.map(|l| format!("[{l}]")).unwrap_or_default();
    if typst_ref_ok(key) {
        format!("@{key}{loc}")
    } else {
        let sup = locator.map(|l| format!(", supplement: [{l}]")).unwrap_or_default();
        format!("#cite(label(\"{}\"){sup})", key.replace('"', "\\\""))
    }
}

fn latex_to_typst(
    text: &str,
    env: &EnvironmentRules,
    defined: &[String],
    findings: &mut Vec<Finding>,
    where_: (&str, usize),
) -> String {
    let mut conv = Converter { depth: 0, findings: Vec::new(), where_, env, defined };
    let out = conv.block(text.trim());
    findings.append(&mut conv.findings);
    out
}

/// Escapes a Typst line-start marker (`- `, `+ `, `= `, `/ `, `1. `) that was plain text.
fn escape_line_start(line: &str) -> String {
    let t = line.trim_start();
    let indent = &line[..line.len() - t.len()];
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    let marker = ["- ", "+ ", "= ", "/ "].iter().any(|m| t.starts_with(m))
        || t == "-"
        || t == "+"
        || (digits > 0 && t[digits..].starts_with(". "));
    if marker {
        format!("{indent}\\{t}")
    } else {
        line.to_string()
    }
}

/// The cells of a tabular row: split at `&` not escaped and not inside braces.
fn split_cells(row: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut escaped, mut start) = (0i32, false, 0);
    for (i, c) in row.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '{' => depth += 1,
            '}' => depth -= 1,
            '&' if depth == 0 => {
                out.push(&row[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&row[start..]);
    out
}

/// Unescaped `{` minus unescaped `}` in LaTeX text (comments not removed).
fn brace_depth(text: &str) -> i64 {
    let mut depth = 0;
    let mut escaped = false;
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
    }
    depth
}

/// Deepest nesting of commands and environments the converter follows.
const MAX_DEPTH: usize = 64;

fn is_list_env(name: &str) -> bool {
    matches!(name, "itemize" | "enumerate" | "description")
}

struct Converter<'a> {
    /// Nesting depth of the command being converted; deeper than [`MAX_DEPTH`] is kept raw.
    depth: usize,
    findings: Vec<Finding>,
    where_: (&'a str, usize),
    env: &'a EnvironmentRules,
    defined: &'a [String],
}

/// `\begin{name}[title]rest` at the start of a (trimmed) line.
fn begin_env(line: &str) -> Option<(String, Option<String>, String)> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^\\begin\{([^}]+)\}\s*(?:\[([^\]]*)\])?(.*)$").unwrap());
    let c = re.captures(line)?;
    Some((c[1].to_string(), c.get(2).map(|m| m.as_str().to_string()), c[3].to_string()))
}

impl Converter<'_> {
    /// Converts block-level LaTeX: environments become the book's Typst functions, lists
    /// become list items, sectioning commands headings; the rest goes through [`Self::inline`].
    fn block(&mut self, text: &str) -> String {
        let mut out = Vec::new();
        let mut lists: Vec<&'static str> = Vec::new();
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            let t = line.trim();
            i += 1;
            if let Some(after) = t.strip_prefix("\\[").or_else(|| t.strip_prefix("$$")) {
                // Display math, possibly over lines, up to `\]` / `$$`.
                let close = if t.starts_with("$$") { "$$" } else { "\\]" };
                let mut math = after.to_string();
                while !math.contains(close) && i < lines.len() {
                    math.push(' ');
                    math.push_str(lines[i].trim());
                    i += 1;
                }
                let (inner, rest) = math.split_once(close).unwrap_or((&math, ""));
                out.push(format!("$ {} $", self.math(inner.trim())));
                if !rest.trim().is_empty() {
                    out.push(self.inline(rest.trim()));
                }
                continue;
            }
            if let Some((name, title, rest)) = begin_env(t) {
                if is_list_env(&name) {
                    lists.push(match name.as_str() {
                        "enumerate" => "+",
                        "description" => "/",
                        _ => "-",
                    });
                    continue;
                }
                // Collect the environment's body up to its matching `\end` (which may be on
                // the `\begin` line itself).
                let (open, close) = (format!("\\begin{{{name}}}"), format!("\\end{{{name}}}"));
                let mut depth = 1 + rest.matches(&open).count();
                depth -= rest.matches(&close).count().min(depth);
                let mut body: Vec<&str> = Vec::new();
                let mut rest_after = String::new();
                if depth == 0 {
                    let cut = rest.rfind(&close).unwrap_or(rest.len());
                    body.push(&rest[..cut]);
                    rest_after = rest[(cut + close.len()).min(rest.len())..].trim().to_string();
                } else {
                    body.push(rest.as_str());
                }
                while depth > 0 && i < lines.len() {
                    let l = lines[i];
                    i += 1;
                    depth += l.matches(&open).count();
                    depth -= l.matches(&close).count().min(depth);
                    if depth == 0 {
                        let cut = l.rfind(&close).unwrap_or(0);
                        body.push(&l[..cut]);
                        rest_after = l[cut + close.len()..].trim().to_string();
                        break;
                    }
                    body.push(l);
                }
                out.push(self.environment(&name, title.as_deref(), &body.join("\n")));
                if !rest_after.is_empty() {
                    out.push(self.inline(&rest_after));
                }
                continue;
            }
            if t.strip_prefix("\\end{").and_then(|r| r.strip_suffix('}')).is_some_and(is_list_env) {
                lists.pop();
                continue;
            }
            if let (Some(item), Some(marker)) = (t.strip_prefix("\\item"), lists.last()) {
                let indent = "  ".repeat(lists.len() - 1);
                let item = item.trim_start();
                if *marker == "/" {
                    if let Some((term, rest)) = item.strip_prefix('[').and_then(|r| r.split_once(']')) {
                        out.push(format!("{indent}/ {}: {}", self.inline(term), self.inline(rest.trim())));
                        continue;
                    }
                }
                out.push(format!("{indent}{marker} {}", self.inline(item)));
                continue;
            }
            if let Some(heading) = self.sectioning(t) {
                out.push(heading);
                continue;
            }
            // A command's argument may run over lines (`\textbf{decreased\nmitochondrial}`):
            // the lines until its braces balance are converted together.
            let mut chunk = line.trim_end().to_string();
            while brace_depth(&chunk) > 0
                && i < lines.len()
                && !lines[i].trim().is_empty()
                && begin_env(lines[i].trim()).is_none()
            {
                chunk.push('\n');
                chunk.push_str(lines[i].trim_end());
                i += 1;
            }
            let text = self.inline(&chunk);
            out.extend(text.split('\n').map(escape_line_start));
        }
        out.join("\n")
    }

    /// `\section{T}\label{x} rest` -> `== T <x>` (Typst levels: `=` chapter, `==` section,
    /// ...); `\paragraph{T}` -> a bold run-in title.
    fn sectioning(&mut self, line: &str) -> Option<String> {
        // A sectioning command starting the line with its title's brace on it; `\part` has
        // no Typst form and stays for [`Self::inline`] to report.
        let c = patterns::latex_heading().captures(line)?;
        if c.get(0)?.start() != 0 || &c[1] == "part" || &c[4] != "{" {
            return None;
        }
        let start = c.get(0)?.end() - 1;
        let (title, used) = braced(&line[start..])?;
        let mut rest = line[start + used..].trim().to_string();
        let mut label = None;
        if let Some(r) = rest.strip_prefix("\\label") {
            if let Some((l, used)) = braced(r.trim_start()) {
                label = Some(l.trim().to_string());
                rest = r.trim_start()[used..].trim().to_string();
            }
        }
        let title = self.inline(title);
        let label = label.filter(|l| typst_label_ok(l)).map(|l| format!(" <{l}>")).unwrap_or_default();
        let tail = if rest.is_empty() { String::new() } else { format!("\n{}", self.inline(&rest)) };
        let marks = match &c[1] {
            "chapter" => "=",
            "section" => "==",
            "subsection" => "===",
            "subsubsection" => "====",
            _ => return Some(format!("*{title}*{label} {}", tail.trim_start())),
        };
        Some(format!("{marks} {title}{label}{tail}"))
    }

    /// One environment as the book's Typst function: `#name(title: [T])[body] <label>`.
    fn environment(&mut self, name: &str, title: Option<&str>, body: &str) -> String {
        if self.depth >= MAX_DEPTH {
            return self.unconverted("deeply nested environments");
        }
        self.depth += 1;
        let out = self.environment_flat(name, title, body);
        self.depth -= 1;
        out
    }

    fn environment_flat(&mut self, name: &str, title: Option<&str>, body: &str) -> String {
        static LABEL: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
        // The label and the space after it: the body goes on without a blank line.
        let label_re = LABEL.get_or_init(|| Regex::new(&format!(r"{}\s*", patterns::LATEX_LABEL)).unwrap());
        match name {
            "table" | "table*" | "figure" | "figure*" => return self.float(body),
            "tabular" | "tabular*" | "tabularx" | "longtable" => return self.tabular(name, body),
            "equation" | "equation*" | "displaymath" | "align" | "align*" | "gather" | "gather*" => {
                let label = label_re.captures(body).map(|l| l[1].trim().to_string());
                let math = label_re.replace(body, "").replace('\n', " ");
                // `\\` ends a line of an alignment; Typst math writes `\`. A placeholder word
                // carries it through the converter (which quotes words).
                let math = self.math(&math.replace("\\\\", " LINEBREAK "));
                let math = math.replace("\"LINEBREAK\"", "\\");
                let label = label.filter(|l| typst_label_ok(l)).map(|l| format!(" <{l}>")).unwrap_or_default();
                return format!("$ {} ${label}", math.trim());
            }
            _ => {}
        }
        let canonical = self.env.canonical_of_macro(name);
        let func = self.env.typst_name(&canonical).to_string();
        if !self.defined.is_empty() && !self.defined.contains(&func) {
            self.findings.push(
                Finding::new(
                    Code::EnvironmentUnknown,
                    format!("the book defines no Typst function `{func}` for environment `{name}`"),
                )
                .at(self.where_.0, Some(self.where_.1))
                .help("map the environment in rules/environments.toml [typst]"),
            );
        }
        let label = label_re.captures(body).map(|l| l[1].trim().to_string());
        let body = label_re.replace(body, "");
        let title = title.map(|t| self.inline(t.trim()));
        let body = self.block(body.trim());
        let args = title.map(|t| format!("(title: [{t}])")).unwrap_or_default();
        if let Some(bad) = label.as_deref().filter(|l| !typst_label_ok(l)) {
            self.findings.push(
                Finding::new(Code::SnippetLabelInvalid, format!(
                        "label `{bad}` cannot be written as a Typst label: it contains {} (only letters, digits, `_`, `-`, `:`, `.` are allowed)",
                        invalid_label_chars(bad)
                    ),
                )
                .at(self.where_.0, Some(self.where_.1))
                .help("rename the label in the guide's snippet"),
            );
        }
        let label = label.filter(|l| typst_label_ok(l)).map(|l| format!(" <{l}>")).unwrap_or_default();
        format!("#{func}{args}[\n{body}\n]{label}")
    }

    /// A LaTeX float (`table`, `figure`) -> `#figure(content, caption: [..]) <label>`; the
    /// content is its `tabular` (as [`Self::tabular`]) or `\includegraphics` (as `image`).
    fn float(&mut self, body: &str) -> String {
        static RES: std::sync::OnceLock<[Regex; 2]> = std::sync::OnceLock::new();
        let [caption_re, graphics_re] = RES.get_or_init(|| {
            [
                Regex::new(r"\\caption\s*(?:\[[^\]]*\])?\s*\{").unwrap(),
                Regex::new(r"\\includegraphics\s*(?:\[[^\]]*\])?\s*\{([^}]+)\}").unwrap(),
            ]
        });
        let label_re = patterns::latex_label();
        let caption =
            caption_re.find(body).and_then(|m| braced(&body[m.end() - 1..])).map(|(c, _)| self.inline(c.trim()));
        let label = label_re.captures(body).map(|c| c[1].trim().to_string());
        let content = if let Some(start) = body.find("\\begin{tabular") {
            let inner = &body[start..];
            let name_end = inner.find('}').map_or(inner.len(), |i| i + 1);
            let name = inner["\\begin{".len()..name_end - 1].to_string();
            let close = format!("\\end{{{name}}}");
            let end = inner.find(&close).unwrap_or(inner.len());
            self.tabular(&name, &inner[name_end..end]).trim_start_matches('#').to_string()
        } else if let Some(c) = graphics_re.captures(body) {
            format!("image(\"{}\")", c[1].trim())
        } else {
            format!("[{}]", self.block(body.trim()))
        };
        let caption = caption.map(|c| format!(",\n  caption: [{c}]")).unwrap_or_default();
        let label = label.filter(|l| typst_label_ok(l)).map(|l| format!(" <{l}>")).unwrap_or_default();
        let content = content.replace('\n', "\n  ");
        format!("#figure(\n  {content}{caption},\n){label}")
    }

    /// A LaTeX `tabular` (column spec first) -> `#table(columns: n, ...)`: rows end at
    /// `\\`, cells at unescaped `&`; booktabs rules and `\hline` are dropped; the rows above
    /// the first `\midrule` (or a lone `\hline` after the first row) are the header.
    fn tabular(&mut self, name: &str, body: &str) -> String {
        let mut body = body.trim_start();
        // `tabularx` and `tabular*` take a width first.
        if name != "tabular" && name != "longtable" {
            if let Some((_, used)) = braced(body) {
                body = body[used..].trim_start();
            }
        }
        let (spec, rows_text) = braced(body).map_or(("", body), |(spec, used)| (spec, &body[used..]));
        let columns =
            spec.chars().filter(|c| matches!(c, 'l' | 'c' | 'r' | 'p' | 'm' | 'b' | 'X' | 'S')).count().max(1);
        let mut header_rows = 0;
        let mut rows: Vec<Vec<String>> = Vec::new();
        for raw in rows_text.split("\\\\") {
            let mut row = raw.trim();
            for rule in ["\\toprule", "\\bottomrule", "\\hline", "\\endhead", "\\endfirsthead"] {
                row = row.trim_start_matches(rule).trim();
            }
            if let Some(after) = row.strip_prefix("\\midrule") {
                header_rows = rows.len();
                row = after.trim();
            }
            let row = row.trim_end_matches("\\bottomrule").trim();
            if row.is_empty() {
                continue;
            }
            let cells: Vec<String> = split_cells(row).iter().map(|c| self.inline(c.trim())).collect();
            rows.push(cells);
        }
        let cell = |c: &String| format!("[{c}]");
        let mut out = format!("#table(\n  columns: {columns},\n");
        if header_rows > 0 {
            let head: Vec<String> = rows[..header_rows].iter().flatten().map(cell).collect();
            out.push_str(&format!("  table.header({}),\n", head.join(", ")));
        }
        for row in &rows[header_rows..] {
            out.push_str(&format!("  {},\n", row.iter().map(cell).collect::<Vec<_>>().join(", ")));
        }
        out.push(')');
        out
    }

    fn unconverted(&mut self, what: &str) -> String {
        self.findings.push(
            Finding::new(Code::SnippetUnconverted, format!("`{what}` has no Typst form yet; it is kept as raw text"))
                .at(self.where_.0, Some(self.where_.1))
                .help("edit the inserted text by hand, or give a Typst snippet"),
        );
        format!("`{what}`")
    }

    /// Inline math (`$...$`, `\(...\)` content) as Typst: `VO$_{2}$`-style bare scripts as
    /// text sub/superscripts, else `$...$` with the math converted.
    fn inline_math(&mut self, inner: &str) -> String {
        if let Some(script) = bare_script(inner) {
            return script;
        }
        // An attachment needs a base in Typst math: an empty one.
        let base = if inner.trim_start().starts_with(['_', '^']) { "\"\"" } else { "" };
        format!("${base}{}$", self.math(inner))
    }

    /// Converts inline LaTeX to Typst markup.
    fn inline(&mut self, s: &str) -> String {
        if self.depth >= MAX_DEPTH {
            return self.unconverted("deeply nested commands");
        }
        self.depth += 1;
        let out = self.inline_flat(s);
        self.depth -= 1;
        out
    }

    fn inline_flat(&mut self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(c) = rest.chars().next() {
            match c {
                '\\' => {
                    let name: String = rest[1..].chars().take_while(|c| c.is_ascii_alphabetic()).collect();
                    if name.is_empty() {
                        let next = rest[1..].chars().next();
                        let (emit, len) = match next {
                            Some('%') => ("%".to_string(), 2),
                            Some('&') => ("&".to_string(), 2),
                            Some('_') => ("\\_".to_string(), 2),
                            Some('#') => ("\\#".to_string(), 2),
                            Some('$') => ("\\$".to_string(), 2),
                            Some('{') => ("{".to_string(), 2),
                            Some('}') => ("}".to_string(), 2),
                            Some(' ') => (" ".to_string(), 2),
                            Some(',') => ("#h(0.17em)".to_string(), 2),
                            Some('(') if rest[2..].contains("\\)") => {
                                let e = rest[2..].find("\\)").unwrap_or(0);
                                let math = self.inline_math(&rest[2..2 + e]);
                                (math, 4 + e)
                            }
                            Some('\\') => ("\\\n".to_string(), 2),
                            Some(other) => (self.unconverted(&format!("\\{other}")), 1 + other.len_utf8()),
                            None => ("\\\\".to_string(), 1),
                        };
                        out.push_str(&emit);
                        rest = &rest[len..];
                        continue;
                    }
                    let after = &rest[1 + name.len()..];
                    let (emit, consumed) = self.command(&name, after);
                    out.push_str(&emit);
                    rest = &after[consumed..];
                }
                '$' => {
                    let end = rest[1..].find('$');
                    match end {
                        Some(e) => {
                            let math = self.inline_math(&rest[1..1 + e]);
                            out.push_str(&math);
                            rest = &rest[e + 2..];
                        }
                        None => {
                            out.push_str("\\$");
                            rest = &rest[1..];
                        }
                    }
                }
                // `//` and `/*` open Typst comments.
                '/' if rest[1..].starts_with(['/', '*']) => {
                    out.push_str("\\/");
                    rest = &rest[1..];
                }
                '*' | '_' | '#' | '@' | '`' | '<' | '>' => {
                    out.push('\\');
                    out.push(c);
                    rest = &rest[1..];
                }
                '{' | '}' => rest = &rest[1..],
                _ => {
                    out.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        out
    }

    /// Converts one command whose arguments start at `after`; returns the text and the
    /// number of bytes of `after` consumed.
    fn command(&mut self, name: &str, after: &str) -> (String, usize) {
        let (opts, args_at) = optional_args(after);
        let arg = |at: usize| -> Option<(&str, usize)> {
            let s = &after[at..];
            let skip = s.len() - s.trim_start().len();
            braced(&s[skip..]).map(|(inner, used)| (inner, at + skip + used))
        };
        if name.contains("cite") {
            let Some((keys, used)) = arg(args_at) else { return (self.unconverted(&format!("\\{name}")), 0) };
            let locator = opts.last().map(|l| l.replace('~', " ")).filter(|l| !l.is_empty());
            let keys: Vec<&str> = keys.split(',').map(str::trim).filter(|k| !k.is_empty()).collect();
            let n = keys.len();
            let mut cites: Vec<String> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| cite_typst(k, if i + 1 == n { locator.as_deref() } else { None }))
                .collect();
            // `\cite{K1}-based` must not become `@K1-based` (a reference to `K1-based`).
            if let Some(last) = cites.last_mut().filter(|c| c.starts_with('@') && !c.ends_with(']')) {
                if continues_label(&after[used..]) {
                    *last = format!("#cite(<{}>)", &last[1..]);
                }
            }
            return (cites.join(" "), used);
        }
        match name {
            "textbf" | "emph" | "textit" | "texttt" | "underline" | "textsc" => {
                let Some((inner, used)) = arg(args_at) else { return (self.unconverted(&format!("\\{name}")), 0) };
                let inner_t = self.inline(inner);
                let out = match name {
                    "textbf" => format!("*{inner_t}*"),
                    "texttt" => format!("`{inner}`"),
                    "underline" => format!("#underline[{inner_t}]"),
                    "textsc" => format!("#smallcaps[{inner_t}]"),
                    _ => format!("_{inner_t}_"),
                };
                (out, used)
            }
            "ref" | "cref" | "Cref" | "autoref" | "eqref" => match arg(args_at) {
                Some((label, used)) => {
                    let mut refs: Vec<String> = label.split(',').map(|l| format!("@{}", l.trim())).collect();
                    if let Some(last) = refs.last_mut().filter(|_| continues_label(&after[used..])) {
                        *last = format!("#ref(<{}>)", &last[1..]);
                    }
                    (refs.join(", "), used)
                }
                None => (self.unconverted(&format!("\\{name}")), 0),
            },
            "url" => match arg(args_at) {
                Some((url, used)) => (format!("#link(\"{url}\")"), used),
                None => (self.unconverted("\\url"), 0),
            },
            "href" => match arg(args_at) {
                Some((url, used)) => match arg(used) {
                    Some((label, used2)) => {
                        let label = self.inline(label);
                        (format!("#link(\"{url}\")[{label}]"), used2)
                    }
                    None => (self.unconverted("\\href"), 0),
                },
                None => (self.unconverted("\\href"), 0),
            },
            "ldots" | "dots" => ("...".into(), eat_empty_braces(after)),
            "S" => ("§".into(), eat_empty_braces(after)),
            "P" => ("¶".into(), eat_empty_braces(after)),
            "textdegree" => ("°".into(), eat_empty_braces(after)),
            "pm" | "textpm" => ("±".into(), eat_empty_braces(after)),
            "times" => ("×".into(), eat_empty_braces(after)),
            "LaTeX" | "TeX" => (name.to_string(), eat_empty_braces(after)),
            "footnote" => match arg(args_at) {
                Some((inner, used)) => {
                    let inner = self.inline(inner);
                    (format!("#footnote[{inner}]"), used)
                }
                None => (self.unconverted("\\footnote"), 0),
            },
            "label" => (String::new(), arg(args_at).map_or(0, |a| a.1)),
            _ => {
                let whole_len = arg(args_at).map_or(0, |a| a.1);
                let raw = format!("\\{name}{}", &after[..whole_len]);
                (self.unconverted(&raw), whole_len)
            }
        }
    }

    /// Converts LaTeX math to Typst math: `\alpha` -> `alpha`, `_{x}` -> `_(x)`,
    /// `\text{x}` -> `"x"`, `\frac{a}{b}` -> `(a)/(b)`, multi-letter words quoted.
    fn math(&mut self, m: &str) -> String {
        const SYMBOLS: &[(&str, &str)] = &[
            ("times", "times"),
            ("cdot", "dot"),
            ("leq", "<="),
            ("le", "<="),
            ("geq", ">="),
            ("ge", ">="),
            ("neq", "!="),
            ("pm", "plus.minus"),
            ("approx", "approx"),
            ("sim", "tilde"),
            ("to", "->"),
            ("rightarrow", "->"),
            ("leftarrow", "<-"),
            ("infty", "infinity"),
            ("circ", "compose"),
            ("uparrow", "arrow.t"),
            ("downarrow", "arrow.b"),
            ("mu", "mu"),
            ("ldots", "..."),
            ("quad", "quad"),
            ("qquad", "wide"),
            ("cdots", "dots.c"),
            ("ll", "<<"),
            ("gg", ">>"),
            ("propto", "prop"),
            ("Delta", "Delta"),
            ("degree", "degree"),
            ("circ", "compose"),
            ("uparrow", "arrow.t"),
        ];
        let mut out = String::new();
        let mut rest = m;
        while let Some(c) = rest.chars().next() {
            if c == '\\' {
                let name: String = rest[1..].chars().take_while(|c| c.is_ascii_alphabetic()).collect();
                let after = &rest[1 + name.len()..];
                if name == "text" || name == "mathrm" {
                    if let Some((inner, used)) = braced(after.trim_start()) {
                        out.push_str(&format!("\"{inner}\""));
                        rest = &after.trim_start()[used..];
                        continue;
                    }
                }
                if name == "frac" {
                    let a = braced(after.trim_start());
                    if let Some((num, u1)) = a {
                        let r2 = &after.trim_start()[u1..];
                        if let Some((den, u2)) = braced(r2.trim_start()) {
                            out.push_str(&format!("({})/({})", self.math(num), self.math(den)));
                            rest = &r2.trim_start()[u2..];
                            continue;
                        }
                    }
                }
                if let Some((_, t)) = SYMBOLS.iter().find(|(l, _)| *l == name) {
                    out.push_str(t);
                    out.push(' ');
                } else if is_greek(&name) {
                    out.push_str(&name);
                    out.push(' ');
                } else if name.is_empty() {
                    let next = rest[1..].chars().next().unwrap_or(' ');
                    match next {
                        // Spacing commands: thin, medium, thick, negative thin.
                        ',' => out.push_str(" thin "),
                        ':' | '>' => out.push_str(" med "),
                        ';' => out.push_str(" thick "),
                        '!' => {}
                        ' ' => out.push(' '),
                        _ => out.push(next),
                    }
                    rest = &rest[1 + next.len_utf8().min(rest.len() - 1)..];
                    continue;
                } else {
                    out.push_str(&self.unconverted(&format!("\\{name}")));
                }
                rest = after;
            } else if c == '{' {
                out.push('(');
                rest = &rest[1..];
            } else if c == '}' {
                out.push(')');
                rest = &rest[1..];
            } else if c.is_ascii_alphabetic() {
                let word: String = rest.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
                if word.len() > 1 {
                    out.push_str(&format!("\"{word}\""));
                } else {
                    out.push_str(&word);
                }
                rest = &rest[word.len()..];
            } else {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        // Symbols are followed by a space; the source may have one too: one is enough
        // (outside quoted text).
        let mut tidy = String::with_capacity(out.len());
        let mut quoted = false;
        for c in out.trim_end().chars() {
            if c == '"' {
                quoted = !quoted;
            }
            if c == ' ' && !quoted && tidy.ends_with(' ') {
                continue;
            }
            tidy.push(c);
        }
        tidy
    }
}

/// `_{2}` / `^2` alone -> `#sub[2]` / `#super[2]`.
fn bare_script(math: &str) -> Option<String> {
    let (func, rest) = match math.trim().chars().next()? {
        '_' => ("sub", &math.trim()[1..]),
        '^' => ("super", &math.trim()[1..]),
        _ => return None,
    };
    let body = rest.strip_prefix('{').and_then(|r| r.strip_suffix('}')).unwrap_or(rest);
    (!body.is_empty() && body.chars().all(|c| c.is_alphanumeric() || " +-.,".contains(c)))
        .then(|| format!("#{func}[{body}]"))
}

fn is_greek(name: &str) -> bool {
    const GREEK: &[&str] = &[
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "nu", "xi",
        "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda",
        "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega",
    ];
    GREEK.contains(&name)
}

/// Optional `[...]` arguments right after a command, and where the mandatory ones start.
fn optional_args(after: &str) -> (Vec<String>, usize) {
    let mut opts = Vec::new();
    let mut at = 0;
    loop {
        let s = &after[at..];
        let skip = s.len() - s.trim_start().len();
        if !s[skip..].starts_with('[') {
            return (opts, at);
        }
        match s[skip..].find(']') {
            Some(end) => {
                opts.push(s[skip + 1..skip + end].trim().to_string());
                at += skip + end + 1;
            }
            None => return (opts, at),
        }
    }
}

fn eat_empty_braces(after: &str) -> usize {
    if after.starts_with("{}") {
        2
    } else {
        0
    }
}

/// The content of a balanced `{...}` group at the start of `s`, and the bytes it spans.
fn braced(s: &str) -> Option<(&str, usize)> {
    if !s.starts_with('{') {
        return None;
    }
    let mut depth = 0usize;
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        match c {
            '{' if prev != '\\' => depth += 1,
            '}' if prev != '\\' => {
                depth -= 1;
                if depth == 0 {
                    return Some((&s[1..i], i + 1));
                }
            }
            _ => {}
        }
        prev = c;
    }
    None
}

#[cfg(test)]
mod tests;
