//! LaTeX text -> Typst markup: the [`Converter`] walks a snippet's blocks (display math,
//! environments, lists, sectioning commands, paragraphs) and inline text (escapes, inline
//! math, commands), reporting what it cannot convert as `snippet-unconverted` and keeping
//! it visibly raw.
//!
//! What is left out: environments ([`super::environment`]), math ([`super::math`]),
//! citations and references ([`super::citation`]), checking the result
//! ([`super::validate`]).

use super::citation::typst_label_ok;
use super::latex_syntax::{begin_env, brace_depth, braced, eat_empty_braces, mandatory_arg, optional_args};
use crate::finding::{Code, Finding};
use crate::outline::patterns;
use crate::rules::EnvironmentRules;

/// `text` (a LaTeX snippet) in Typst markup; what could not be converted is added to
/// `findings`, located at `where_` (guide, line).
pub(super) fn latex_to_typst(
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

/// The body of environment `name` whose `\begin` line went on with `rest`, up to its
/// matching `\end` (which may be on the `\begin` line itself), taking lines from
/// `lines[*i..]`; and the text after the `\end` on its line.
fn environment_body(name: &str, rest: &str, lines: &[&str], i: &mut usize) -> (String, String) {
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
        body.push(rest);
    }
    while depth > 0 && *i < lines.len() {
        let l = lines[*i];
        *i += 1;
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
    (body.join("\n"), rest_after)
}

/// Deepest nesting of commands and environments the converter follows.
pub(super) const MAX_DEPTH: usize = 64;

fn is_list_env(name: &str) -> bool {
    matches!(name, "itemize" | "enumerate" | "description")
}

/// The state of one snippet's conversion.
pub(super) struct Converter<'a> {
    /// Nesting depth of the command being converted; deeper than [`MAX_DEPTH`] is kept raw.
    pub(super) depth: usize,
    pub(super) findings: Vec<Finding>,
    pub(super) where_: (&'a str, usize),
    pub(super) env: &'a EnvironmentRules,
    pub(super) defined: &'a [String],
}

impl Converter<'_> {
    /// Converts block-level LaTeX: environments become the book's Typst functions, lists
    /// become list items, sectioning commands headings; the rest goes through [`Self::inline`].
    pub(super) fn block(&mut self, text: &str) -> String {
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
                let (body, rest_after) = environment_body(&name, &rest, &lines, &mut i);
                out.push(self.environment(&name, title.as_deref(), &body));
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
            _ => return Some(format!("*{title}*{label} {}", tail.trim_start()).trim_end().to_string()),
        };
        Some(format!("{marks} {title}{label}{tail}"))
    }

    pub(super) fn unconverted(&mut self, what: &str) -> String {
        self.findings.push(
            Finding::new(
                Code::SnippetUnconverted,
                format!("`{what}` has no Typst form yet; the snippet is not inserted into the Typst file"),
            )
            .at(self.where_.0, Some(self.where_.1))
            .help("give a Typst snippet in the guide, or write the construct in a form the converter knows"),
        );
        format!("`{what}`")
    }

    /// Converts inline LaTeX to Typst markup.
    pub(super) fn inline(&mut self, s: &str) -> String {
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
                        if let Some((letter, used)) = next.and_then(|m| accented(m, &rest[1 + m.len_utf8()..])) {
                            out.push_str(&letter);
                            rest = &rest[1 + next.map_or(0, char::len_utf8) + used..];
                            continue;
                        }
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
                // TeX quotes: ``...'' and `...'.
                '`' | '\'' if rest.starts_with("``") || rest.starts_with("''") => {
                    out.push(if c == '`' { '\u{201c}' } else { '\u{201d}' });
                    rest = &rest[2..];
                }
                '`' => {
                    out.push('\u{2018}');
                    rest = &rest[1..];
                }
                '{' if switch_group(rest).is_some() => {
                    let (open, inner, used) = switch_group(rest).unwrap_or_default();
                    let inner = self.inline(inner);
                    let inner = inner.trim_start();
                    out.push_str(&match open {
                        "*" => format!("*{inner}*"),
                        "_" => format!("_{inner}_"),
                        "`" => format!("`{inner}`"),
                        _ => format!("#smallcaps[{inner}]"),
                    });
                    rest = &rest[used..];
                }
                '*' | '_' | '#' | '@' | '<' | '>' => {
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
        let arg = |at: usize| mandatory_arg(after, at);
        if name.contains("cite") {
            return self.cite(name, after, &opts, args_at);
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
            "ref" | "cref" | "Cref" | "autoref" | "eqref" => self.reference(name, after, args_at),
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
            "textsuperscript" | "textsubscript" => {
                let Some((inner, used)) = arg(args_at) else { return (self.unconverted(&format!("\\{name}")), 0) };
                let func = if name == "textsuperscript" { "super" } else { "sub" };
                (format!("#{func}[{}]", self.inline(inner)), used)
            }
            // Font switches of a whole argument that Typst's text needs no form for.
            "textrm" | "textsf" | "textnormal" | "textup" | "textmd" | "mbox" | "text" | "num" => {
                let Some((inner, used)) = arg(args_at) else { return (self.unconverted(&format!("\\{name}")), 0) };
                (self.inline(inner), used)
            }
            "enquote" => {
                let Some((inner, used)) = arg(args_at) else { return (self.unconverted("\\enquote"), 0) };
                (format!("\u{201c}{}\u{201d}", self.inline(inner)), used)
            }
            "ensuremath" => {
                let Some((inner, used)) = arg(args_at) else { return (self.unconverted("\\ensuremath"), 0) };
                (self.inline_math(inner), used)
            }
            _ if accented_by_name(name).is_some() => {
                match accented_by_name(name).and_then(|mark| accented(mark, after)) {
                    Some((letter, used)) => (letter, used),
                    None => (self.unconverted(&format!("\\{name}")), 0),
                }
            }
            // TeX drops the spaces after a control word (`\textmu g` is "µg").
            _ if text_symbol(name).is_some() => {
                let spaces = after.len() - after.trim_start_matches(' ').len();
                let used = if after.starts_with("{}") { 2 } else { spaces };
                (text_symbol(name).unwrap_or_default().into(), used)
            }
            "noindent" | "centering" | "par" | "smallskip" | "medskip" | "bigskip" => {
                (String::new(), eat_empty_braces(after))
            }
            "newline" | "linebreak" => ("\\\n".into(), eat_empty_braces(after)),
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
}

/// A LaTeX accent command by its mark (`\"`, `\'`, ...) or letter name (`\c`, `\v`, ...) ->
/// the Unicode combining character it stands for (the accents of the LaTeX2e font
/// encodings guide, `\"` = diaeresis U+0308, `\c` = cedilla U+0327, ...).
fn combining(mark: char) -> Option<char> {
    Some(match mark {
        '"' => '\u{308}',
        '\'' => '\u{301}',
        '`' => '\u{300}',
        '^' => '\u{302}',
        '~' => '\u{303}',
        '=' => '\u{304}',
        '.' => '\u{307}',
        'c' => '\u{327}',
        'v' => '\u{30c}',
        'u' => '\u{306}',
        'H' => '\u{30b}',
        'r' => '\u{30a}',
        'k' => '\u{328}',
        'd' => '\u{323}',
        'b' => '\u{331}',
        _ => return None,
    })
}

/// The mark of an accent command named by one letter (`c` of `\c{c}`), if `name` is one.
fn accented_by_name(name: &str) -> Option<char> {
    let mut chars = name.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else { return None };
    (c.is_ascii_alphabetic() && combining(c).is_some()).then_some(c)
}

/// The letter that accent `mark` puts on the base written at the start of `after` (`o`,
/// `{o}`, ` o` after a letter-named accent, `{\i}` for a dotless i), composed (NFC), and the
/// bytes of `after` used. `None` when `mark` is no accent or no base letter follows.
fn accented(mark: char, after: &str) -> Option<(String, usize)> {
    use unicode_normalization::UnicodeNormalization;
    let accent = combining(mark)?;
    let named = mark.is_ascii_alphabetic();
    let skip = if named { after.len() - after.trim_start_matches([' ', '\t']).len() } else { 0 };
    let at = &after[skip..];
    // A letter-named accent needs a space or brace before a bare letter (`\cc` is a command).
    if named && skip == 0 && !at.starts_with('{') {
        return None;
    }
    let (base, used) = if let Some(inner) = at.strip_prefix('{') {
        let close = inner.find('}')?;
        (&inner[..close], close + 2)
    } else {
        let c = at.chars().next().filter(char::is_ascii_alphabetic)?;
        (&at[..c.len_utf8()], c.len_utf8())
    };
    let base = match base.trim() {
        // The dotless letters exist in TeX to carry an accent: the accented letter is i's.
        "\\i" => "i",
        "\\j" => "j",
        b if b.chars().count() == 1 && b.chars().all(char::is_alphabetic) => b,
        _ => return None,
    };
    Some((format!("{base}{accent}").nfc().collect(), skip + used))
}

/// Text commands that stand for one character (the LaTeX2e text symbols: `\ss` = ß,
/// `\textmu` = µ, ...), as Typst text.
fn text_symbol(name: &str) -> Option<&'static str> {
    Some(match name {
        "ss" => "\u{df}",
        "o" => "\u{f8}",
        "O" => "\u{d8}",
        "ae" => "\u{e6}",
        "AE" => "\u{c6}",
        "oe" => "\u{153}",
        "OE" => "\u{152}",
        "aa" => "\u{e5}",
        "AA" => "\u{c5}",
        "l" => "\u{142}",
        "L" => "\u{141}",
        "i" => "\u{131}",
        "textmu" | "micro" => "\u{b5}",
        "textendash" => "\u{2013}",
        "textemdash" => "\u{2014}",
        "textquoteleft" => "\u{2018}",
        "textquoteright" => "\u{2019}",
        "textquotedblleft" => "\u{201c}",
        "textquotedblright" => "\u{201d}",
        "textbullet" => "\u{2022}",
        "copyright" | "textcopyright" => "\u{a9}",
        "textregistered" => "\u{ae}",
        "texttrademark" => "\u{2122}",
        "textasciitilde" => "\\~",
        "textless" => "\\<",
        "textgreater" => "\\>",
        "textbar" => "|",
        "textperthousand" => "\u{2030}",
        "textalpha" => "\u{3b1}",
        "textbeta" => "\u{3b2}",
        "textgamma" => "\u{3b3}",
        "textdelta" => "\u{3b4}",
        "textkappa" => "\u{3ba}",
        _ => return None,
    })
}

/// A `{\em ...}`-style group at the start of `rest`: the Typst delimiter of the switch (`_`
/// for `\em`/`\it`/`\itshape`/`\sl`, `*` for `\bf`/`\bfseries`, `` ` `` for `\tt`, `sc`
/// for `\sc`/`\scshape`), the text after the switch and the bytes of the group.
fn switch_group(rest: &str) -> Option<(&'static str, &str, usize)> {
    let inner_at = rest.strip_prefix('{')?.trim_start();
    let name: String = inner_at.strip_prefix('\\')?.chars().take_while(char::is_ascii_alphabetic).collect();
    let open = match name.as_str() {
        "em" | "it" | "itshape" | "sl" | "slshape" => "_",
        "bf" | "bfseries" => "*",
        "tt" | "ttfamily" => "`",
        "sc" | "scshape" => "sc",
        _ => return None,
    };
    let (inner, used) = braced(rest)?;
    let skip = inner.find(&format!("\\{name}"))? + 1 + name.len();
    Some((open, &inner[skip..], used))
}
