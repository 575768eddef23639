//! Markdown tables in a guide: a key column gives citation keys, a file column gives
//! targets, a table of claims the book already makes gives citation edits. Tables are read
//! from the source of a text block; the reader decides which of their targets stand.

use regex::Regex;

use super::fields::{chapter_shorthand, file_in_text, file_value};
use super::keys::{looks_like_key, push_key};
use super::markdown::{field_is, strip_md};
use super::model::Target;
use crate::finding::{Code, Finding};
use crate::rules::{GuideRules, Rules};

/// The cells of a Markdown table row (`| a | **b** |` -> `a`, `b`), bold markers removed.
pub(super) fn table_cells(row: &str) -> Vec<String> {
    let row = row.trim().trim_start_matches('|').trim_end_matches('|');
    row.split('|').map(|c| c.trim().trim_matches('*').trim().to_string()).collect()
}

/// Citation keys from a Markdown table whose header names a key column (`| Bib Key |`,
/// `| Citation key |`): one per row, `@`, backticks and `\cite{}` removed. A row without
/// that cell, or with an empty one, is a `guide-table-key-missing` finding.
pub(super) fn table_keys(
    src: &str,
    first_line: usize,
    g: &GuideRules,
    path: &str,
    keys: &mut Vec<String>,
    findings: &mut Vec<Finding>,
) {
    let cells = table_cells;
    let mut lines = src.lines().enumerate();
    let Some((_, header)) = lines.next() else { return };
    let header = cells(header);
    let is_key_column = |h: &str| {
        let lower = h.to_lowercase();
        field_is(h, &g.fields.citation_key)
            || g.headings.key_column_suffixes.iter().any(|p| lower.ends_with(&p.to_lowercase()))
    };
    let Some(col) = header.iter().position(|h| is_key_column(h)) else { return };
    for (i, row) in lines {
        let row = row.trim();
        if !row.starts_with('|') || row.chars().all(|c| "|-: ".contains(c)) {
            continue;
        }
        let cells = cells(row);
        let cell = cells.get(col).map(String::as_str).unwrap_or("");
        let found: Vec<String> = cell
            .split([',', ';', ' '])
            .map(|w| w.trim().trim_matches('`').trim_start_matches("\\cite{").trim_end_matches('}').to_string())
            .filter(|w| looks_like_key(w) || (w.starts_with('@') && w.len() > 1))
            .collect();
        if found.is_empty() {
            findings.push(
                Finding::new(
                    Code::GuideTableKeyMissing,
                    format!("table row has no citation key in its `{}` column", header[col]),
                )
                .at(path, Some(first_line + i))
                .help("put the row's citation key in the key column"),
            );
        }
        for k in found {
            push_key(keys, &k);
        }
    }
}

/// Citation edits from a table of claims the book already makes (`| Line (approx) | Existing
/// claim | Paper to cite |` with rows `| ~402 | "quoted sentence" | `@Key` |`): one target
/// per row with a line, a quoted claim and a key, its hint the line and the quoted text, its
/// edit "Add @Key". A column named like a table file column (`[fields] table_file` of
/// rules/guide.toml: `| File |`, `| Chapter |`) gives the row's file; else the caller fills it in.
pub(super) fn claims_in_table(src: &str, first_line: usize, path: &str, g: &GuideRules) -> Vec<Target> {
    let mut lines = src.lines().enumerate();
    let Some((_, header)) = lines.next() else { return Vec::new() };
    let file_col = table_cells(header).iter().position(|h| field_is(h, &g.fields.table_file));
    let header: Vec<String> = table_cells(header).iter().map(|h| h.to_lowercase()).collect();
    let find = |words: &[&str]| header.iter().position(|h| words.iter().any(|w| h.contains(w)));
    let (Some(line_col), Some(claim_col), Some(key_col)) = (
        find(&["line"]),
        find(&["claim", "text", "sentence", "statement"]),
        find(&["cite", "key", "paper", "citation"]),
    ) else {
        return Vec::new();
    };
    if line_col == claim_col || claim_col == key_col || line_col == key_col {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, row) in lines {
        let cells = table_cells(row.trim());
        let (Some(l), Some(claim), Some(keys)) = (cells.get(line_col), cells.get(claim_col), cells.get(key_col)) else {
            continue;
        };
        let Some(line) =
            l.trim_start_matches(['~', '≈', ' ']).split(|c: char| !c.is_ascii_digit()).next().filter(|d| !d.is_empty())
        else {
            continue;
        };
        let claim = strip_md(claim).trim().trim_matches(['"', '“', '”']).trim().to_string();
        let keys: Vec<String> = keys_in_cell(keys);
        if claim.len() < 8 || keys.is_empty() {
            continue;
        }
        let file = file_col
            .filter(|c| ![line_col, claim_col, key_col].contains(c))
            .and_then(|c| cells.get(c))
            .map(|cell| file_value(cell))
            .filter(|h| names_file(h));
        out.push(Target {
            rank: out.len() + 1,
            file_hint: file,
            title_hint: format!("claim at line ~{line}"),
            section_hints: vec![format!("Line ~{line}, text: \"{claim}\"")],
            edit: Some(format!("Add {}", keys.iter().map(|k| format!("@{k}")).collect::<Vec<_>>().join(" "))),
            keys,
            line: first_line + i,
            source: path.to_string(),
            ..Target::default()
        });
    }
    out
}

/// Targets from a table whose header names a file column (`| Chapter | ... |`,
/// `| Claim | Target file | Environment |`): one per row with a file or chapter name in
/// that column; an environment column gives the environment, the other cells the rationale.
pub(super) fn targets_in_table(src: &str, first_line: usize, rules: &Rules, path: &str) -> Vec<Target> {
    let g = &rules.guide;
    let cells = table_cells;
    let mut lines = src.lines().enumerate();
    let Some((_, header)) = lines.next() else { return Vec::new() };
    let header = cells(header);
    let Some(col) = header.iter().position(|h| field_is(h, &g.fields.table_file)) else { return Vec::new() };
    let env_col = header.iter().position(|h| field_is(h, &g.fields.environment));
    let mut out = Vec::new();
    for (i, row) in lines {
        let row = row.trim();
        if !row.starts_with('|') || row.chars().all(|c| "|-: ".contains(c)) {
            continue;
        }
        let cells = cells(row);
        let Some(cell) = cells.get(col) else { continue };
        let hint = file_value(cell);
        if !names_file(&hint) {
            continue;
        }
        let env_raw = env_col.and_then(|c| cells.get(c)).filter(|v| !v.is_empty()).cloned();
        let rationale: Vec<&str> = cells
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != col && Some(*j) != env_col)
            .map(|(_, c)| c.as_str())
            .collect();
        out.push(Target {
            rank: out.len() + 1,
            file_hint: Some(hint),
            title_hint: cell.clone(),
            environment: env_raw.as_deref().and_then(|e| rules.environments.normalize(e)),
            environment_raw: env_raw,
            rationale: Some(strip_md(&rationale.join(" — "))),
            line: first_line + i,
            source: path.to_string(),
            ..Target::default()
        });
    }
    out
}

/// Whether a table cell's file hint names a file: a file name, a chapter shorthand (`ch05`)
/// or a path.
pub(super) fn names_file(hint: &str) -> bool {
    file_in_text(hint).is_some() || chapter_shorthand(hint).is_some() || hint.contains('/')
}

/// Citation keys in a table cell: `` `@Key` ``, `@Key`, `\cite{Key}` or a bare key.
pub(super) fn keys_in_cell(cell: &str) -> Vec<String> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"@?([A-Za-z][\w-]*\d{4}[\w:-]*)").unwrap());
    re.captures_iter(cell).map(|c| c[1].to_string()).collect()
}
