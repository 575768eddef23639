//! The book's bibliography: the .bib files it is read from (configured, else those the
//! documents the roots reach name, else every .bib outside the literature folders), scanned
//! on every core.
//!
//! What it leaves out: parsing .bib entries (see [`crate::bib`]); configured files that do
//! not exist (a configuration error, see [`Book::config_errors`]).

use regex::Regex;

use super::Book;
use crate::bib::Bibliography;
use crate::finding::{Code, Finding};
use crate::markup::Markup;
use crate::text::{join_rel, parent_dir};

/// A bibliography file a document names: the name as written, the file it resolves to in
/// the book (`None`: not in the book), and where it is named (book path, 1-based line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NamedBib {
    pub name: String,
    pub found: Option<String>,
    pub at: (String, usize),
}

impl Book {
    /// The .bib files the documents the roots reach name, in document order (the roots in
    /// order, then the files they reach by path), each once: LaTeX `\bibliography{a,b}` and
    /// `\nobibliography{a}` (`.bib` added when omitted), biblatex `\addbibresource[opts]{a.bib}`
    /// and `\addglobalbib{a.bib}`, Typst `bibliography("a.bib")`, `bibliography(("a.bib",
    /// "b.bib"))` and `bibliography(read("a.bib"))` (every quoted `.bib` name inside the
    /// call's parentheses). Commented-out calls do not count. A name is looked up relative to
    /// the naming file, then to each root document's folder (LaTeX resolves from the folder
    /// it runs in), then to the book root; a Typst name starting with `/` relative to the
    /// root documents' folders and the book root. Without root documents every chapter file
    /// is read.
    pub(crate) fn bibliography_named(&self) -> Vec<NamedBib> {
        let roots = &self.includes.roots;
        let mut documents: Vec<&String> = roots.iter().filter(|r| self.sources.contains_key(r)).collect();
        documents.extend(self.includes.reachable.iter().filter(|p| !roots.contains(*p)));
        if documents.is_empty() {
            documents = self.chapters.iter().collect();
        }
        let root_dirs: Vec<&str> = roots.iter().map(|r| parent_dir(r)).collect();
        // On every core: most files name no bibliography, and one substring search each
        // rules them out.
        let named = crate::text::parallel_map(&documents, |path| {
            let Some(text) = self.sources.get(path) else { return Vec::new() };
            if !["bibliography", "addbibresource", "addglobalbib"].iter().any(|w| text.contains(w)) {
                return Vec::new();
            }
            match Markup::from_path(path) {
                Some(Markup::Typst) => typst_bibliography_names(text),
                Some(Markup::Latex) => latex_bibliography_names(text),
                _ => Vec::new(),
            }
        });
        let mut out: Vec<NamedBib> = Vec::new();
        for (path, names) in documents.into_iter().zip(named) {
            let dir = parent_dir(path);
            for (name, line) in names {
                let found = self.resolve_bib_name(&name, dir, &root_dirs);
                let found = found.or_else(|| {
                    (!name.ends_with(".bib")).then(|| self.resolve_bib_name(&format!("{name}.bib"), dir, &root_dirs))?
                });
                let named = NamedBib { name, found, at: (path.clone(), line) };
                if !out.iter().any(|n| n.found.is_some() && n.found == named.found) {
                    out.push(named);
                }
            }
        }
        out
    }

    /// The .bib files of the book that the documents the roots reach name
    /// ([`Book::bibliography_named`]), as a set; empty when they name none.
    pub(crate) fn bibliography_of_roots(&self) -> std::collections::BTreeSet<String> {
        self.bibliography_named().into_iter().filter_map(|n| n.found).collect()
    }

    /// The book file a bibliography name resolves to (see [`Book::bibliography_named`]).
    fn resolve_bib_name(&self, name: &str, dir: &str, root_dirs: &[&str]) -> Option<String> {
        let mut candidates: Vec<Option<String>> = Vec::new();
        match name.strip_prefix('/') {
            Some(rooted) => {
                candidates.extend(root_dirs.iter().map(|d| join_rel(d, rooted)));
                candidates.push(join_rel("", rooted));
            }
            None => {
                candidates.push(join_rel(dir, name));
                candidates.extend(root_dirs.iter().map(|d| join_rel(d, name)));
                candidates.push(join_rel("", name));
            }
        }
        candidates.into_iter().flatten().find_map(|c| self.file(&c)).filter(|f| f.ends_with(".bib"))
    }

    /// Reads the bibliography: the configured files in order; else the files the documents
    /// name ([`Book::bibliography_named`]), in the order named, with a `bib-file-missing`
    /// finding for each named file the book lacks; else, when the documents name none that
    /// exists, every .bib outside the literature folders by path. A .bib file the documents
    /// do not name (a staging file beside the book) is no part of the bibliography: its
    /// entries are only a source for keys the bibliography lacks (see
    /// [`crate::bookkeeping::bib_additions`]).
    pub(crate) fn read_bibliography(&mut self, validate: bool) {
        self.bib_validated = validate;
        let mut missing_named = Vec::new();
        let bib_files: Vec<String> = if self.config.book.bibliography.is_empty() {
            let named = self.bibliography_named();
            let found: Vec<String> = named.iter().filter_map(|n| n.found.clone()).collect();
            missing_named = named.into_iter().filter(|n| n.found.is_none()).collect();
            if found.is_empty() {
                self.sources.keys().filter(|p| p.ends_with(".bib")).cloned().collect()
            } else {
                found
            }
        } else {
            // A configured file the book lacks is a configuration error, reported before
            // the run (`Book::config_errors`).
            self.config.book.bibliography.iter().filter(|p| self.sources.contains_key(p)).cloned().collect()
        };
        let mut bib = Bibliography::default();
        let texts: Vec<(&String, Option<&String>)> = bib_files.iter().map(|p| (p, self.sources.get(p))).collect();
        let scanned = crate::text::parallel_map(&texts, |(path, text)| {
            text.map(|t| crate::bib::ScannedFile::new(path, t, validate))
        });
        for file in scanned.into_iter().flatten() {
            bib.add_scanned(file);
        }
        // With the bibliography's own findings: reading it again replaces them all.
        for n in missing_named {
            bib.findings.push(
                Finding::new(
                    Code::BibFileMissing,
                    format!("bibliography file `{}` named here is not in the book", n.name),
                )
                .at(n.at.0, Some(n.at.1))
                .help("fix the file name, or add the .bib file to the book"),
            );
        }
        self.bib = bib;
    }

    /// The book's .bib files outside the bibliography (staging files the documents do not
    /// name), by path.
    pub fn bib_outside_bibliography(&self) -> Vec<String> {
        self.sources.keys().filter(|p| p.ends_with(".bib") && !self.bib.files.contains(*p)).cloned().collect()
    }
}

/// `(name, 1-based line)` of every .bib file a LaTeX text names (see
/// [`Book::bibliography_named`]), comments left out.
fn latex_bibliography_names(text: &str) -> Vec<(String, usize)> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"\\(bibliography|nobibliography|addbibresource|addglobalbib)\s*(?:\[[^\]]*\])?\s*\{([^}]+)\}")
            .unwrap()
    });
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = crate::outline::strip_latex_comment(line);
        for c in re.captures_iter(code) {
            let list = matches!(&c[1], "bibliography" | "nobibliography");
            for name in c[2].split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let name = if list && !name.ends_with(".bib") { format!("{name}.bib") } else { name.to_string() };
                out.push((name, i + 1));
            }
        }
    }
    out
}

/// `(name, 1-based line of the call)` of every quoted `.bib` name inside a Typst
/// `bibliography(...)` call's parentheses (see [`Book::bibliography_named`]), comments left
/// out.
fn typst_bibliography_names(text: &str) -> Vec<(String, usize)> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"\bbibliography\(").unwrap());
    let code = blank_typst_comments(text);
    let mut out = Vec::new();
    for m in re.find_iter(&code) {
        let line = code[..m.start()].matches('\n').count() + 1;
        let args = balanced_args(&code[m.end()..]);
        let mut rest = args;
        while let Some(open) = rest.find('"') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('"') else { break };
            let s = &after[..close];
            if s.ends_with(".bib") {
                out.push((s.to_string(), line));
            }
            rest = &after[close + 1..];
        }
    }
    out
}

/// The text of a call's arguments: `rest` up to the `)` closing the one just opened (or
/// its end), parentheses inside strings not counted.
fn balanced_args(rest: &str) -> &str {
    let mut depth = 1usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return &rest[..i];
                }
            }
            _ => {}
        }
    }
    rest
}

/// `text` with Typst comments (`// ...` to the line end, `/* ... */` nested) replaced by
/// spaces (line breaks kept, so lines still count), strings left as they are. `//` right
/// after `:` is a URL's, not a comment.
fn blank_typst_comments(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut i, mut in_string, mut depth) = (0usize, false, 0usize);
    let mut line_comment = false;
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        if line_comment {
            if c == b'\n' {
                line_comment = false;
                out.push('\n');
            }
            i += 1;
            continue;
        }
        if depth > 0 {
            match (c, next) {
                (b'*', Some(b'/')) => {
                    depth -= 1;
                    i += 2;
                }
                (b'/', Some(b'*')) => {
                    depth += 1;
                    i += 2;
                }
                (b'\n', _) => {
                    out.push('\n');
                    i += 1;
                }
                _ => i += 1,
            }
            continue;
        }
        match (c, next) {
            (b'"', _) => in_string = !in_string,
            (b'\\', Some(_)) if in_string => {
                out.push('\\');
                i += 1;
            }
            (b'/', Some(b'/')) if !(in_string || i > 0 && bytes[i - 1] == b':') => {
                line_comment = true;
                i += 2;
                continue;
            }
            (b'/', Some(b'*')) if !in_string => {
                depth = 1;
                i += 2;
                continue;
            }
            _ => {}
        }
        // Copies the whole UTF-8 character starting here.
        let len = text[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[i..i + len]);
        i += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latex_names_lists_options_and_omitted_extensions_but_not_comments() {
        let text = "\\bibliography{refs, more}\n% \\bibliography{old}\n\\addbibresource[location=local]{a/b.bib}\n\\bibliographystyle{plain}\n";
        assert_eq!(
            latex_bibliography_names(text),
            vec![("refs.bib".to_string(), 1), ("more.bib".to_string(), 1), ("a/b.bib".to_string(), 3)]
        );
    }

    #[test]
    fn typst_names_arrays_read_calls_and_lines_but_not_comments() {
        let text = "// #bibliography(\"old.bib\")\n/* #bibliography(\"older.bib\") */\n#link(\"https://x.org\")\n#bibliography((\n  \"bib/a.bib\", // first\n  \"bib/b.bib\",\n), style: \"ieee\")\n#bibliography(read(\"c.bib\", encoding: none))\n";
        assert_eq!(
            typst_bibliography_names(text),
            vec![("bib/a.bib".to_string(), 4), ("bib/b.bib".to_string(), 4), ("c.bib".to_string(), 8)]
        );
    }

    #[test]
    fn a_string_holding_comment_marks_is_no_comment() {
        let text = "#let x = \"a // b\"\n#bibliography(\"r.bib\")\n";
        assert_eq!(typst_bibliography_names(text), vec![("r.bib".to_string(), 2)]);
    }
}
