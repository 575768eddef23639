//! Bibliography (.bib) files -> [`Bibliography`]: citation keys with file and line.
//!
//! Each file is split into entries by a tolerant scanner (`@type{key,` or `@type(key,`,
//! balanced delimiters, free text between entries, BOM and CRLF allowed) and validated
//! with the maintained `biblatex` parser. When biblatex rejects the file, each entry is
//! validated alone (with the file's `@string` macros); an entry it rejects is a
//! `bib-entry-unparsed` finding but its key still counts, so one broken entry costs that
//! entry's fields, never the file. Duplicate keys are findings; the first wins.
//! Field values are not interpreted here.

use std::collections::BTreeMap;

use crate::finding::{Code, Finding};

/// One bibliography entry as found in a file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BibEntry {
    /// The citation key exactly as written.
    pub key: String,
    /// Entry type, lowercase (`article`).
    pub kind: String,
    /// The .bib file, relative to the book root.
    pub path: String,
    /// 1-based line of the `@`.
    pub line: usize,
}

/// Every citation key of the book's bibliography files.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Bibliography {
    /// The .bib files the entries were read from, in the order they were added (relative
    /// to the book root).
    pub files: Vec<String>,
    /// Key -> first entry with that key.
    pub entries: BTreeMap<String, BibEntry>,
    /// Lowercased key -> keys with that spelling, for case-only mismatches.
    lower: BTreeMap<String, Vec<String>>,
    /// Duplicate keys and unparsable entries.
    #[serde(with = "crate::finding::records")]
    pub findings: Vec<Finding>,
}

/// How a citation key relates to the bibliography.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStatus {
    /// An entry has exactly this key.
    Found,
    /// An entry differs only by letter case; holds that entry's key.
    CaseMismatch(String),
    /// No entry.
    Missing,
}

impl Bibliography {
    /// Adds the entries of one file; `path` is relative to the book root.
    pub fn add_file(&mut self, path: &str, text: &str) {
        self.add_file_checked(path, text, true);
    }

    /// Adds the entries of one file; with `validate` false the BibTeX parser is not run, so
    /// no `bib-entry-unparsed` findings are made (keys come from the tolerant scanner either
    /// way). Planning one guide skips validation; `check` does not.
    pub fn add_file_checked(&mut self, path: &str, text: &str, validate: bool) {
        self.add_scanned(ScannedFile::new(path, text, validate));
    }

    /// Adds the entries of a file scanned by [`ScannedFile::new`] (which may run on another
    /// thread): duplicates of keys added before are findings, the first entry wins.
    pub fn add_scanned(&mut self, file: ScannedFile) {
        self.files.push(file.path);
        self.findings.extend(file.findings);
        for entry in file.entries {
            if let Some(first) = self.entries.get(&entry.key) {
                self.findings.push(
                    Finding::new(
                        Code::BibDuplicateKey,
                        format!(
                            "citation key `{}` is defined again; the entry at {}:{} wins",
                            entry.key, first.path, first.line
                        ),
                    )
                    .at(&entry.path, Some(entry.line))
                    .help("remove or rename this entry"),
                );
                continue;
            }
            self.lower.entry(fold(&entry.key)).or_default().push(entry.key.clone());
            self.entries.insert(entry.key.clone(), entry);
        }
    }

    /// Whether `key` has an entry, differs only by case or Unicode normalization (an NFD
    /// `Müller2020` for the bibliography's NFC one: [`KeyStatus::CaseMismatch`] with the
    /// bibliography's spelling), or is missing.
    pub fn status(&self, key: &str) -> KeyStatus {
        if self.entries.contains_key(key) {
            return KeyStatus::Found;
        }
        match self.lower.get(&fold(key)).and_then(|v| v.first()) {
            Some(k) => KeyStatus::CaseMismatch(k.clone()),
            None => KeyStatus::Missing,
        }
    }

    /// Number of distinct keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no file added any entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// One .bib file split into entries and validated, before it joins a [`Bibliography`].
#[derive(Debug, Clone)]
pub struct ScannedFile {
    /// The file, relative to the book root.
    pub path: String,
    /// Entries in file order, duplicates included.
    pub entries: Vec<BibEntry>,
    /// `bib-entry-unparsed` findings.
    pub findings: Vec<Finding>,
}

impl ScannedFile {
    /// Scans `text` (the file at `path`, relative to the book root); with `validate`, each
    /// entry the BibTeX parser rejects (with the file's `@string` macros) is a finding.
    pub fn new(path: &str, text: &str, validate: bool) -> ScannedFile {
        let text = text.trim_start_matches('\u{feff}');
        let chunks = scan(text);
        let valid_whole = !validate || biblatex::Bibliography::parse(text).is_ok();
        let strings: String =
            chunks.iter().filter(|c| c.kind == "string").map(|c| braced_form(c.text)).collect::<Vec<_>>().join("\n");
        let mut out = ScannedFile { path: path.to_string(), entries: Vec::new(), findings: Vec::new() };
        for chunk in chunks {
            if matches!(chunk.kind.as_str(), "string" | "comment" | "preamble") {
                continue;
            }
            if !valid_whole
                && biblatex::Bibliography::parse(&format!("{strings}\n{}", braced_form(chunk.text))).is_err()
            {
                out.findings.push(
                    Finding::new(
                        Code::BibEntryUnparsed,
                        format!("bibliography entry `{}` could not be parsed; its key is still known", chunk.key),
                    )
                    .at(path, Some(chunk.line))
                    .help("check the entry's braces, quotes and commas"),
                );
            }
            out.entries.push(BibEntry { key: chunk.key, kind: chunk.kind, path: path.to_string(), line: chunk.line });
        }
        out
    }
}

/// Every entry of one .bib text in file order, duplicates included (`@string`,
/// `@comment` and `@preamble` blocks are not entries); `path` is recorded in each.
pub fn entries_in(path: &str, text: &str) -> Vec<BibEntry> {
    scan(text.trim_start_matches('\u{feff}'))
        .into_iter()
        .filter(|c| !matches!(c.kind.as_str(), "string" | "comment" | "preamble"))
        .map(|c| BibEntry { key: c.key, kind: c.kind, path: path.to_string(), line: c.line })
        .collect()
}

/// Every entry of one .bib text as `(citation key, the entry's text from its `@` to its
/// closing delimiter)`, in file order, duplicates included (`@string`, `@comment` and
/// `@preamble` blocks are not entries).
pub fn entry_texts(text: &str) -> Vec<(String, String)> {
    scan(text.trim_start_matches('\u{feff}'))
        .into_iter()
        .filter(|c| !matches!(c.kind.as_str(), "string" | "comment" | "preamble"))
        .map(|c| (c.key, c.text.trim_end().to_string()))
        .collect()
}

/// `@type( ... )` rewritten as `@type{ ... }`, which the BibTeX parser takes; other text
/// as it is.
fn braced_form(entry: &str) -> String {
    let Some(open) = entry.find(['{', '(']) else { return entry.to_string() };
    if entry.as_bytes()[open] == b'{' {
        return entry.to_string();
    }
    let body = entry[open + 1..].trim_end();
    let body = body.strip_suffix(')').unwrap_or(body);
    format!("{}{{{}}}", &entry[..open], body)
}

struct Chunk<'a> {
    kind: String,
    key: String,
    line: usize,
    text: &'a str,
}

/// Splits a .bib text into `@...` blocks with balanced `{}` or `()` delimiters.
fn scan(text: &str) -> Vec<Chunk<'_>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let mut line_at = 0;
    while i < bytes.len() {
        if bytes[i] != b'@' {
            i += 1;
            continue;
        }
        line += bytes[line_at..i].iter().filter(|b| **b == b'\n').count();
        line_at = i;
        let start = i;
        let mut j = i + 1;
        while j < bytes.len() && (bytes[j].is_ascii_alphabetic()) {
            j += 1;
        }
        let kind = text[i + 1..j].to_lowercase();
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if kind.is_empty() || j >= bytes.len() || !(bytes[j] == b'{' || bytes[j] == b'(') {
            i = j.max(i + 1);
            continue;
        }
        let (open, close) = if bytes[j] == b'{' { (b'{', b'}') } else { (b'(', b')') };
        let mut depth = 0usize;
        let mut k = j;
        while k < bytes.len() {
            // An unclosed entry ends where the next entry starts at the beginning of a line.
            if bytes[k] == b'\n' && depth > 0 && next_entry_starts(&text[k + 1..]) {
                break;
            }
            // Inner braces count even in a ()-delimited entry; only the outer delimiter closes.
            if bytes[k] == open || (open == b'(' && bytes[k] == b'{') {
                depth += 1;
            } else if bytes[k] == close || (open == b'(' && bytes[k] == b'}') {
                depth = depth.saturating_sub(1);
                if depth == 0 && bytes[k] == close {
                    break;
                }
            }
            k += 1;
        }
        let end = if k < bytes.len() && bytes[k] == b'\n' { k } else { (k + 1).min(bytes.len()) };
        // The body without its delimiters (the closing one is absent in an unclosed entry).
        let inner = &text[j + 1..end.max(j + 1)];
        let body = inner.strip_suffix([')', '}']).unwrap_or(inner);
        let key = if matches!(kind.as_str(), "string" | "comment" | "preamble") {
            String::new()
        } else {
            body.split(',').next().unwrap_or("").trim().to_string()
        };
        if kind == "comment" || !key.is_empty() || kind == "string" || kind == "preamble" {
            out.push(Chunk { kind, key, line, text: &text[start..end] });
        }
        i = end;
    }
    out
}

/// True when `rest` starts (after blanks) with `@type{` or `@type(`.
fn next_entry_starts(rest: &str) -> bool {
    let t = rest.trim_start_matches([' ', '\t']);
    let Some(after) = t.strip_prefix('@') else { return false };
    let name_len = after.bytes().take_while(u8::is_ascii_alphabetic).count();
    name_len > 0 && after[name_len..].trim_start().starts_with(['{', '('])
}

/// The form keys are compared in when not spelled alike: lowercase, NFC.
fn fold(key: &str) -> String {
    crate::text::nfc(key.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_in_the_other_normalization_form_is_the_bibliographys_spelling() {
        let mut bib = Bibliography::default();
        bib.add_file("refs.bib", "@article{M\u{fc}ller2020,\n title={T}}\n");
        assert_eq!(bib.status("M\u{fc}ller2020"), KeyStatus::Found);
        assert_eq!(bib.status("Mu\u{308}ller2020"), KeyStatus::CaseMismatch("M\u{fc}ller2020".into()));
        assert_eq!(bib.status("Muller2020"), KeyStatus::Missing);
    }

    #[test]
    fn keys_survive_strings_parentheses_and_broken_entries() {
        let text = "\u{feff}@string{j = \"Journal\"}\r\nfree text\r\n@article(Paren2020,\r\n title={A (b) {c}})\r\n@article{Broken2021, title = {unclosed\n}\n@book{Key:with/punct.,\n title={T}}\n";
        let mut bib = Bibliography::default();
        bib.add_file("refs.bib", text);
        let keys: Vec<&str> = bib.entries.keys().map(String::as_str).collect();
        assert_eq!(keys, vec!["Broken2021", "Key:with/punct.", "Paren2020"]);
        assert_eq!(bib.entries["Paren2020"].line, 3);
        assert_eq!(bib.entries["Key:with/punct."].line, 7);
    }

    #[test]
    fn unclosed_entries_ending_in_multibyte_text_do_not_panic() {
        let mut bib = Bibliography::default();
        bib.add_file("a.bib", "@article{Broken2021, title = {unclosed café\n@article{Next2020, title={x}}\n");
        bib.add_file("b.bib", "@article{Tail2021, title = {café");
        let keys: Vec<&str> = bib.entries.keys().map(String::as_str).collect();
        assert_eq!(keys, vec!["Broken2021", "Next2020", "Tail2021"]);
    }

    #[test]
    fn parenthesised_strings_and_entries_are_valid_bibtex() {
        let mut bib = Bibliography::default();
        bib.add_file("a.bib", "@string(jx = \"J X\")\n@article(Paren2020, title = {A (b) {c}}, journal = jx)\n@article{Plain2021, title={T}, journal = jx}\n");
        assert_eq!(bib.entries.len(), 2);
        assert!(bib.findings.is_empty(), "{:?}", bib.findings);
    }

    #[test]
    fn duplicates_are_findings_and_first_wins() {
        let mut bib = Bibliography::default();
        bib.add_file("a.bib", "@article{Dup2020, title={A}}\n");
        bib.add_file("b.bib", "@article{X1, title={X}}\n@article{Dup2020, title={B}}\n");
        assert_eq!(bib.entries["Dup2020"].path, "a.bib");
        assert_eq!(bib.entries.len(), 2);
        let dup: Vec<_> = bib.findings.iter().filter(|f| f.code == "bib-duplicate-key").collect();
        assert_eq!(dup.len(), 1);
        assert_eq!(dup[0].path.as_deref(), Some("b.bib"));
        assert_eq!(dup[0].line, Some(2));
    }

    #[test]
    fn case_only_mismatch_is_reported() {
        let mut bib = Bibliography::default();
        bib.add_file("a.bib", "@article{Smith2020Trial, title={A}}\n");
        assert_eq!(bib.status("Smith2020Trial"), KeyStatus::Found);
        assert_eq!(bib.status("smith2020trial"), KeyStatus::CaseMismatch("Smith2020Trial".into()));
        assert_eq!(bib.status("Nobody1999"), KeyStatus::Missing);
    }
}
