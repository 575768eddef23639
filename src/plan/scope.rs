//! Whether the book's Typst functions that inserted text calls are in scope where it goes,
//! as the Typst compiler sees it: a name is bound by a `#let` of the file itself or by an
//! `#import` above the insertion point (`: *` brings every name the module binds, its own
//! imports among them; `: a, b as c` those items; `as m` or a bare `#import "m.typ"` binds
//! the module, called as `m.name`). An included file does not see its includer's imports.
//!
//! Also here, for inserted text of either markup: its cross-references name labels the book
//! or the text defines ([`undefined_references`]), and the files a Typst snippet includes
//! or reads lie inside the book ([`paths_outside`]): what the compiler would look up.
//!
//! What is left out: functions the book does not define (Typst's own, or unknown ones: the
//! renderer reports those) and names bound inside functions or blocks.

use std::collections::BTreeSet;

use regex::Regex;

use crate::bib::KeyStatus;
use crate::finding::{Code, Finding, Severity};
use crate::guide::Markup;
use crate::outline::Outline;
use crate::store::Store;
use crate::text::{join_rel, nearest, normalize_rel, parent_dir};

/// What a Typst file binds at one point: plain names, and modules bound by name
/// (`(binding, module path)`).
#[derive(Debug, Default)]
struct Scope {
    names: BTreeSet<String>,
    modules: Vec<(String, String)>,
}

/// `#import "path"` with its tail (`: items`, `as name`, or nothing), the items possibly in
/// parentheses over several lines.
fn import_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"(?m)^[ \t]*#import\s+"([^"]+)"[ \t]*(?:as[ \t]+([A-Za-z_][\w-]*)|:[ \t]*(\([^)]*\)|[^\n/]*))?"#)
            .expect("valid pattern")
    })
}

/// `#let name` at the start of a line: a binding of the file's top level.
fn let_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?m)^#let\s+([A-Za-z_][\w-]*)").expect("valid pattern"))
}

/// A call of a function by name in markup: `#name(` or `#name[`.
fn call_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(r"#([A-Za-z_][\w-]*)[\[(]").expect("valid pattern"))
}

/// The names file `path` binds in `text` (its whole text, or the part above an insertion
/// point), following `: *` imports up to `depth` modules deep (import cycles end there).
fn scope_of(book: &Store, path: &str, text: &str, depth: usize) -> Scope {
    let mut scope = Scope::default();
    scope.names.extend(let_re().captures_iter(text).map(|c| c[1].to_string()));
    for c in import_re().captures_iter(text) {
        let Some(module) = book.resolve_include(path, &c[1]) else { continue };
        if let Some(alias) = c.get(2) {
            scope.modules.push((alias.as_str().to_string(), module));
            continue;
        }
        let Some(items) = c.get(3).map(|m| m.as_str().trim().trim_start_matches('(').trim_end_matches(')')) else {
            // A bare import binds the module by its file stem.
            let stem = module.rsplit('/').next().unwrap_or(&module).trim_end_matches(".typ").to_string();
            scope.modules.push((stem, module));
            continue;
        };
        if items.trim() == "*" {
            if depth > 0 {
                if let Some(inner) = book.sources.get(&module) {
                    scope.names.extend(scope_of(book, &module, inner, depth - 1).names);
                }
            }
            continue;
        }
        for item in items.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            // `a as b` binds `b`; `a.b` (a submodule's item) binds `b`.
            let bound = item.rsplit(" as ").next().unwrap_or(item).trim();
            let bound = bound.rsplit('.').next().unwrap_or(bound);
            scope.names.insert(bound.to_string());
        }
    }
    scope
}

/// How deep `: *` imports are followed (a module re-exporting another's names).
const IMPORT_DEPTH: usize = 4;

/// The path of `module` written from a file in folder `dir` (both book-relative).
fn relative(dir: &str, module: &str) -> String {
    let from: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    let to: Vec<&str> = module.split('/').collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; from.len() - common];
    parts.extend(&to[common..]);
    parts.join("/")
}

/// `text` (rendered Typst, to be inserted into `path` after line `after_line`) with every
/// call of a book function made reachable: called through the module name the file binds
/// (`#env.observation`), or preceded by the import line the file's siblings use for the
/// module that binds it (else `#import "rel/path.typ": name`), with a
/// `typst-import-added` finding. A function no module of the book binds is a
/// `typst-function-out-of-scope` error. Returns the text and the findings (located at
/// `where_`).
///
/// The import goes before the inserted text rather than to the file's top: an insertion
/// is one edit, and a Typst import binds its names from where it stands on.
pub fn in_scope(
    book: &Store,
    path: &str,
    after_line: usize,
    text: String,
    defined: &[String],
    where_: (&str, usize),
) -> (String, Vec<Finding>) {
    let mut findings = Vec::new();
    let Some(file) = book.sources.get(path) else { return (text, findings) };
    let above: String = file.split_inclusive('\n').take(after_line).collect();
    let scope = scope_of(book, path, &above, IMPORT_DEPTH);
    let own: BTreeSet<String> = let_re().captures_iter(&text).map(|c| c[1].to_string()).collect();
    let mut missing: Vec<String> = call_re()
        .captures_iter(&text)
        .map(|c| c[1].to_string())
        .filter(|n| defined.contains(n) && !scope.names.contains(n) && !own.contains(n))
        .collect();
    missing.sort();
    missing.dedup();
    if missing.is_empty() {
        return (text, findings);
    }
    let mut text = text;
    let mut imports: Vec<String> = Vec::new();
    for name in missing {
        // A module the file binds by name and that binds the function.
        let via = scope.modules.iter().find(|(_, m)| {
            book.sources.get(m).is_some_and(|t| scope_of(book, m, t, IMPORT_DEPTH).names.contains(&name))
        });
        if let Some((binding, _)) = via {
            let call = Regex::new(&format!(r"#{}([\[(])", regex::escape(&name))).expect("escaped name");
            text = call.replace_all(&text, format!("#{binding}.{name}$1").as_str()).into_owned();
            continue;
        }
        match import_for(book, path, &name) {
            Some(line) => {
                if !imports.contains(&line) {
                    findings.push(
                        Finding::new(
                            Code::TypstImportAdded,
                            format!("{path} does not import `{name}`; `{line}` is inserted before its call"),
                        )
                        .at(where_.0, Some(where_.1)),
                    );
                    imports.push(line);
                }
            }
            None => findings.push(
                Finding::new(
                    Code::TypstFunctionOutOfScope,
                    format!("`#{name}` is not in scope in {path}, and no module of the book binds it to import"),
                )
                .at(where_.0, Some(where_.1))
                .help(format!("import the module that defines `{name}` in {path}")),
            ),
        }
    }
    if !imports.is_empty() {
        text = format!("{}\n\n{text}", imports.join("\n"));
    }
    (text, findings)
}

/// The import line that brings `name` into `path`: the line a sibling in the same folder
/// uses for a module binding it, else `#import "<relative path>": name` for the book's
/// module that defines it with `#let` (the first by path). `None` when no module does.
fn import_for(book: &Store, path: &str, name: &str) -> Option<String> {
    let dir = parent_dir(path);
    let binds = |module: &str| {
        book.sources.get(module).is_some_and(|t| scope_of(book, module, t, IMPORT_DEPTH).names.contains(name))
    };
    let siblings = book.sources.iter().filter(|(p, _)| p.ends_with(".typ") && *p != path && parent_dir(p) == dir);
    for (sibling, text) in siblings {
        for c in import_re().captures_iter(text) {
            let star = c.get(3).is_some_and(|m| m.as_str().trim() == "*");
            if star && book.resolve_include(sibling, &c[1]).is_some_and(|m| binds(&m)) {
                return Some(c[0].trim().to_string());
            }
        }
    }
    let module = book
        .sources
        .iter()
        .filter(|(p, t)| p.ends_with(".typ") && *p != path && let_re().captures_iter(t).any(|c| &c[1] == name))
        .map(|(p, _)| p.clone())
        .next()?;
    Some(format!("#import \"{}\": {name}", relative(dir, &module)))
}

/// `snippet-reference-undefined` errors for the cross-references of `text` (rendered in
/// `markup`) to labels neither the book, `text` nor the guide's other snippets
/// (`guide_labels`, inserted with it) define, with the nearest label of the book suggested. A cross-reference is a `\\ref`-like command or `#ref(<x>)`, or a Typst
/// `@x` that is no bibliography key and has the prefix of the book's labels (`sec:`,
/// `hyp:`), as `check` tells them apart in the book's own files.
pub fn undefined_references(
    book: &Store,
    markup: Markup,
    text: &str,
    guide_labels: &[String],
    where_: (&str, usize),
) -> Vec<Finding> {
    let outline = Outline::parse(markup, text);
    let labels = book.labels();
    let own: BTreeSet<&str> =
        outline.labels.iter().map(|(l, _)| l.as_str()).chain(guide_labels.iter().map(String::as_str)).collect();
    let prefixes: BTreeSet<&str> = labels.keys().filter_map(|l| l.split_once(':').map(|(p, _)| p)).collect();
    let mut names: Vec<&str> = outline.references.iter().map(|(n, _)| n.as_str()).collect();
    if markup != Markup::Latex {
        names.extend(
            outline
                .citations
                .iter()
                .map(|(n, _)| n.as_str())
                .filter(|n| book.bib.status(n) != KeyStatus::Found)
                .filter(|n| n.split_once(':').is_some_and(|(p, _)| prefixes.contains(p))),
        );
    }
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .filter(|n| !labels.contains_key(*n) && !own.contains(n))
        .map(|name| {
            let near = nearest(name, labels.keys().map(String::as_str));
            Finding::new(
                Code::SnippetReferenceUndefined,
                format!("the inserted text refers to `{name}`, a label neither the book nor the snippet defines"),
            )
            .at(where_.0, Some(where_.1))
            .help(match near {
                Some(near) => format!("did you mean `{near}`? Fix the reference in the guide's snippet"),
                None => "fix the reference in the guide's snippet, or define the label".to_string(),
            })
        })
        .collect()
}

/// `snippet-path-outside-book` errors for the files Typst `text`, inserted into `path`,
/// includes or reads (`#include`, `read`, `image`, `json`, `csv`, `yaml`, `toml`, `xml`,
/// `cbor`, `bibliography`) outside the book root (the compiler's project root: it refuses
/// them); and `include-missing` errors for an `#include` of a file the book does not have,
/// with the nearest Typst file of the book suggested.
pub fn paths_outside(book: &Store, path: &str, text: &str, where_: (&str, usize)) -> Vec<Finding> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r#"\b(include|read|image|json|csv|yaml|toml|xml|cbor|bibliography)\b\s*\(?\s*"([^"]+)""#)
            .expect("valid pattern")
    });
    let mut out = Vec::new();
    for c in re.captures_iter(text) {
        let (func, written) = (&c[1], &c[2]);
        let resolved = match written.strip_prefix('/') {
            Some(rooted) => normalize_rel(rooted),
            None => join_rel(parent_dir(path), written),
        };
        let Some(resolved) = resolved else {
            out.push(
                Finding::new(
                    Code::SnippetPathOutsideBook,
                    format!("the inserted `{func}` of `{written}` reaches outside the book"),
                )
                .at(where_.0, Some(where_.1))
                .help("name a file inside the book, relative to the target file"),
            );
            continue;
        };
        if func == "include" && book.file(&resolved).is_none() {
            let typ = book.sources.iter().map(|(p, _)| p.as_str()).filter(|p| p.ends_with(".typ"));
            let near = nearest(&resolved, typ);
            out.push(
                Finding::new(
                    Code::IncludeMissing,
                    format!("the inserted `#include` of `{written}` names no file of the book"),
                )
                .with_severity(Severity::Error)
                .at(where_.0, Some(where_.1))
                .help(match near {
                    Some(near) => format!("did you mean `{}`?", relative(parent_dir(path), near)),
                    None => "add the file first, or fix the path".to_string(),
                }),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::relative;

    #[test]
    fn relative_paths_climb_to_the_common_folder() {
        assert_eq!(relative("typst/ch03", "typst/shared/environments.typ"), "../shared/environments.typ");
        assert_eq!(relative("typst", "typst/shared/environments.typ"), "shared/environments.typ");
        assert_eq!(relative("", "env.typ"), "env.typ");
        assert_eq!(relative("a/b", "env.typ"), "../../env.typ");
    }
}
