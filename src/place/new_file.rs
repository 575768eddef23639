//! New files for one-environment-per-file sections: where a section includes one
//! environment per file (`hypotheses/hyp-*.typ`), a snippet of that environment becomes a
//! new file named like its siblings, with their imports, and an include line after theirs.

use super::Candidate;
use crate::store::Store;

/// An environment file included by a section: (path, include line, label, canonical kind).
pub(super) type Sibling = (String, usize, Option<String>, String);

/// A new file for one environment, where the book keeps one environment per file: the file
/// to create, its text, and the `#include` line to add to the including file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// The new file, relative to the book root.
    pub path: String,
    /// Its text: the siblings' `#import` lines, then the environment.
    pub text: String,
    /// The file that gets the include line.
    pub parent: String,
    /// 1-based line of `parent` after which the include line goes.
    pub after_line: usize,
    /// The include line, written as the siblings' are.
    pub include: String,
}

/// Where the book puts one environment per file (as the real book's `hypotheses/`,
/// `warnings/` folders do): when the section of `candidate` includes at least two sibling
/// files that each hold one environment and no heading, in one folder, `rendered` (a
/// Typst environment labelled `label` or titled `title`) goes to a new file beside them,
/// named as they are (`hyp-<label>.typ` when their names end with their labels, else the
/// siblings' common prefix and the title's slug), included after the last sibling. At
/// least half the siblings must hold environments of `kind` (the snippet's canonical
/// environment). `None` when the book does not do this there, or the name is taken.
pub fn new_file_site(
    book: &Store,
    candidate: &Candidate,
    kind: Option<&str>,
    label: Option<&str>,
    title: Option<&str>,
    rendered: &str,
) -> Option<NewFile> {
    let parent = &candidate.path;
    let o = book.outline(parent)?;
    // The section holding the insertion point: from the heading above it to the next one.
    let start = o.headings.iter().rev().find(|h| h.line <= candidate.after_line).map_or(0, |h| h.line);
    let end = o.headings.iter().find(|h| h.line > candidate.after_line).map_or(usize::MAX, |h| h.line);
    let mut groups: std::collections::BTreeMap<String, Vec<Sibling>> = Default::default();
    for (child, line) in book.includes.children.get(parent).into_iter().flatten() {
        if *line < start || *line >= end {
            continue;
        }
        let Some(co) = book.outline(child) else { continue };
        if co.envs.len() != 1 || !co.headings.is_empty() {
            continue;
        }
        let env = &co.envs[0];
        let canonical = book.rules.environments.canonical_of_macro(&env.name);
        groups.entry(crate::text::parent_dir(child).to_string()).or_default().push((
            child.clone(),
            *line,
            env.label.clone(),
            canonical,
        ));
    }
    let same_kind = |g: &Vec<Sibling>| kind.is_some_and(|k| g.iter().filter(|s| s.3 == k).count() * 2 >= g.len());
    // Only siblings of the snippet's own kind: a hypothesis does not go among figures.
    let (dir, siblings) = groups
        .into_iter()
        .filter(|(_, g)| g.len() >= 2 && same_kind(g))
        .max_by_key(|(dir, g)| (g.len(), std::cmp::Reverse(dir.clone())))?;
    let stem = |p: &str| p.rsplit('/').next().unwrap_or(p).trim_end_matches(".typ").to_string();
    // Named after their labels (`hypothesis-hyp:x.typ`, `hyp-x.typ` for `hyp:x`)?
    let label_tail = |l: &str| l.split_once(':').map_or(l, |(_, t)| t).to_string();
    let by_label = siblings.iter().all(|(p, _, l, _)| {
        l.as_ref().is_some_and(|l| stem(p).ends_with(l.as_str()) || stem(p).ends_with(&label_tail(l)))
    });
    let stems: Vec<String> = siblings.iter().map(|(p, ..)| stem(p)).collect();
    let name = if by_label {
        let (p, _, l, _) = &siblings[0];
        let l = l.as_deref().unwrap_or_default();
        let (prefix, whole) = match stem(p).strip_suffix(l) {
            Some(prefix) => (prefix.to_string(), true),
            None => (stem(p).strip_suffix(&label_tail(l)).unwrap_or_default().to_string(), false),
        };
        let own = label?;
        format!("{prefix}{}", if whole { own.to_string() } else { label_tail(own) })
    } else {
        let common = stems.iter().skip(1).fold(stems[0].clone(), |acc, s| {
            acc.chars().zip(s.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a).collect()
        });
        let prefix = match common.rfind('-') {
            Some(i) => common[..=i].to_string(),
            None => String::new(),
        };
        let slug = crate::guide::slugify(title.or(label.map(|l| l.split_once(':').map_or(l, |(_, t)| t)))?);
        format!("{prefix}{slug}")
    };
    let path = if dir.is_empty() { format!("{name}.typ") } else { format!("{dir}/{name}.typ") };
    if book.sources.contains_key(&path) || book.disk_text(&path).is_some() {
        return None;
    }
    // The include line as the last sibling's, with the new name.
    let (last, last_line, ..) = siblings.iter().max_by_key(|s| s.1)?;
    let parent_text = book.sources.get(parent)?;
    let written = parent_text.lines().nth(last_line - 1)?;
    let old_name = last.rsplit('/').next()?;
    let include = written.replacen(old_name, &format!("{name}.typ"), 1);
    let imports: Vec<&str> =
        book.sources.get(last)?.lines().take_while(|l| l.trim().is_empty() || l.starts_with("#import")).collect();
    let imports = imports.join("\n");
    let imports = imports.trim();
    let text = if imports.is_empty() { format!("{rendered}\n") } else { format!("{imports}\n\n{rendered}\n") };
    Some(NewFile { path, text, parent: parent.clone(), after_line: *last_line, include })
}
