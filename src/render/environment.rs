//! LaTeX environments in Typst: a theorem-like environment -> the book's function
//! (`#name(title: [T])[body] <label>`, names from `rules/environments.toml`), display-math
//! environments -> `$ ... $ <label>`, floats -> `#figure(..)`, `tabular` -> `#table(..)`.
//!
//! What is left out: lists and sectioning (block level, [`super::convert`]) and the
//! text inside (inline, also there).

use regex::Regex;

use super::citation::{invalid_label_chars, typst_label_ok};
use super::convert::{Converter, MAX_DEPTH};
use super::latex_syntax::{braced, latex_caption};
use crate::finding::{Code, Finding};
use crate::outline::patterns;

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

impl Converter<'_> {
    /// One environment as the book's Typst function: `#name(title: [T])[body] <label>`.
    pub(super) fn environment(&mut self, name: &str, title: Option<&str>, body: &str) -> String {
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
            // Typst's own block quote: no function of the book's is needed.
            "quote" | "quotation" => return format!("#quote(block: true)[\n{}\n]", self.block(body.trim())),
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
                .help(match crate::text::nearest(&func, self.defined.iter().map(String::as_str)) {
                    Some(near) => {
                        format!("did you mean `{near}`? Or map the environment in rules/environments.toml [typst]")
                    }
                    None => "map the environment in rules/environments.toml [typst]".to_string(),
                }),
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
        static GRAPHICS: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
        let graphics_re =
            GRAPHICS.get_or_init(|| Regex::new(r"\\includegraphics\s*(?:\[[^\]]*\])?\s*\{([^}]+)\}").unwrap());
        let (caption_re, label_re) = (latex_caption(), patterns::latex_label());
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
}
