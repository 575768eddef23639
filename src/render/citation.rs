//! Citations and cross-references in Typst: `\cite`-family keys -> `@key` (or
//! `#cite(label("k"))` for a key Typst cannot reference), `\ref`-family labels -> `@x`, and
//! what a Typst label or reference may hold.
//!
//! What is left out: whether a key is in the bibliography (the citation checks) and the
//! other commands ([`super::convert`]).

use super::convert::Converter;
use super::latex_syntax::mandatory_arg;

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
pub(super) fn invalid_label_chars(label: &str) -> String {
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
pub(super) fn continues_label(rest: &str) -> bool {
    let mut chars = rest.chars();
    match chars.next() {
        Some(c) if c.is_alphanumeric() || c == '_' || c == '-' => true,
        Some('.' | ':') => chars.next().is_some_and(|c| c.is_alphanumeric() || c == '_'),
        _ => false,
    }
}

/// `key` (with its locator, `p. 4`) as a Typst citation.
fn cite_typst(key: &str, locator: Option<&str>) -> String {
    let loc = locator.map(|l| format!("[{l}]")).unwrap_or_default();
    if typst_ref_ok(key) {
        format!("@{key}{loc}")
    } else {
        let sup = locator.map(|l| format!(", supplement: [{l}]")).unwrap_or_default();
        format!("#cite(label(\"{}\"){sup})", key.replace('"', "\\\""))
    }
}

impl Converter<'_> {
    /// `\cite[loc]{a,b}` (any of the family: `\citep`, `\parencite`, ...) whose arguments
    /// start at `after` (options `opts`, the mandatory one at `args_at`) -> `@a @b[loc]`;
    /// returns the text and the bytes of `after` consumed.
    pub(super) fn cite(&mut self, name: &str, after: &str, opts: &[String], args_at: usize) -> (String, usize) {
        let Some((keys, used)) = mandatory_arg(after, args_at) else {
            return (self.unconverted(&format!("\\{name}")), 0);
        };
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
        (cites.join(" "), used)
    }

    /// `\ref{a,b}` (or `\cref`, `\autoref`, ...) -> `@a, @b`; returns the text and the
    /// bytes of `after` consumed.
    pub(super) fn reference(&mut self, name: &str, after: &str, args_at: usize) -> (String, usize) {
        match mandatory_arg(after, args_at) {
            Some((label, used)) => {
                let mut refs: Vec<String> = label.split(',').map(|l| format!("@{}", l.trim())).collect();
                if let Some(last) = refs.last_mut().filter(|_| continues_label(&after[used..])) {
                    *last = format!("#ref(<{}>)", &last[1..]);
                }
                (refs.join(", "), used)
            }
            None => (self.unconverted(&format!("\\{name}")), 0),
        }
    }
}
