//! Text the calling workflow supplies for targets the guide gives no content (`--texts
//! FILE`): the file's JSON read into [`Texts`], checked against the targets of the run, and
//! given to each target as its snippet, so it goes through the same rendering, checks, diff
//! and commit as a snippet the guide carries.
//!
//! The file is one JSON object: target id ([`target_ids`]) -> the text as a string (in the
//! target file's own markup), or `{"text": "...", "language": "latex" | "typst" |
//! "markdown"}`. What it leaves out: reading the file (the `app` layer) and what becomes of
//! the snippet (the rest of `plan`).

use std::collections::BTreeMap;

use crate::error::Error;
use crate::guide::{keys_in_snippet, Guide, Markup, Snippet};

/// One supplied text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppliedText {
    /// The text, as given.
    pub text: String,
    /// Its markup; `None` (a plain string) is the markup of the file it goes into.
    pub language: Option<Markup>,
    /// 1-based line of its target id in the texts file.
    pub line: usize,
}

/// The texts of one `--texts` file: target id -> text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Texts {
    /// The file as named on the command line (for messages).
    pub source: String,
    /// Target id -> its text, in id order.
    pub by_id: BTreeMap<String, SuppliedText>,
}

/// The id of every target of `guide`, in target order: `<guide path>#<rank>`, or
/// `<guide path>#<rank>.<n>` for the n-th (1-based) of several targets sharing a rank. The
/// same guide text gives the same ids.
pub fn target_ids(guide: &Guide) -> Vec<String> {
    let mut seen: BTreeMap<usize, usize> = BTreeMap::new();
    let shared = |rank: usize| guide.targets.iter().filter(|t| t.rank == rank).count() > 1;
    guide
        .targets
        .iter()
        .map(|t| {
            let n = seen.entry(t.rank).or_insert(0);
            *n += 1;
            if shared(t.rank) {
                format!("{}#{}.{}", guide.path, t.rank, n)
            } else {
                format!("{}#{}", guide.path, t.rank)
            }
        })
        .collect()
}

/// Reads a texts file's `json`; `source` names it in messages.
///
/// # Errors
/// [`Error::Config`] naming the file and line: not JSON (serde's message and line), not one
/// object, a value that is neither a string nor `{"text", "language"}`, an unknown key, a
/// language other than `latex`, `typst` or `markdown` (`tex`, `typ`, `md` too), an empty
/// text.
pub fn parse(json: &str, source: &str) -> Result<Texts, Error> {
    let fail = |line: usize, message: String| {
        Error::Config {
        path: source.into(),
        message: format!("line {line}: {message}; expected {{\"<target id>\": \"text\" or {{\"text\": \"...\", \"language\": \"latex|typst|markdown\"}}}}"),
    }
    };
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| fail(e.line(), format!("not valid JSON: {e}")))?;
    let serde_json::Value::Object(map) = value else {
        return Err(fail(1, "the texts file is not one JSON object".into()));
    };
    let mut by_id = BTreeMap::new();
    for (id, value) in map {
        let line = key_line(json, &id);
        let (text, language) = match value {
            serde_json::Value::String(text) => (text, None),
            serde_json::Value::Object(fields) => {
                if let Some(other) = fields.keys().find(|k| *k != "text" && *k != "language") {
                    return Err(fail(line, format!("the text of `{id}` has the unknown key `{other}`")));
                }
                let Some(serde_json::Value::String(text)) = fields.get("text") else {
                    return Err(fail(line, format!("the text of `{id}` has no string `text`")));
                };
                let language = match fields.get("language") {
                    None | Some(serde_json::Value::Null) => None,
                    Some(serde_json::Value::String(l)) => Some(Markup::from_fence(l).ok_or_else(|| {
                        fail(line, format!("the language `{l}` of `{id}` is not latex, typst or markdown"))
                    })?),
                    Some(_) => return Err(fail(line, format!("the language of `{id}` is not a string"))),
                };
                (text.clone(), language)
            }
            _ => return Err(fail(line, format!("the text of `{id}` is neither a string nor an object"))),
        };
        if text.trim().is_empty() {
            return Err(fail(line, format!("the text of `{id}` is empty")));
        }
        by_id.insert(id, SuppliedText { text, language, line });
    }
    Ok(Texts { source: source.to_string(), by_id })
}

/// 1-based line of the object key `id` in `json` (its first occurrence as a key), 1 when not
/// found as written (escapes written differently).
fn key_line(json: &str, id: &str) -> usize {
    let quoted = serde_json::to_string(id).unwrap_or_default();
    json.match_indices(&quoted)
        .find(|(at, _)| json[at + quoted.len()..].trim_start().starts_with(':'))
        .map_or(1, |(at, _)| json[..at].matches('\n').count() + 1)
}

/// Checks that every id of `texts` names a target of `guides` that may take a text: one
/// without a snippet of the guide's own (a text drafted from a guide's field may be
/// replaced).
///
/// # Errors
/// [`Error::Config`] naming the texts file and the id's line: an unknown id (with the
/// nearest known id, or the first few when none is near), or a target whose guide gives
/// its snippet.
pub fn check_ids(texts: &Texts, guides: &[Guide]) -> Result<(), Error> {
    let known: Vec<(String, &Guide, usize)> =
        guides.iter().flat_map(|g| target_ids(g).into_iter().enumerate().map(move |(i, id)| (id, g, i))).collect();
    for (id, supplied) in &texts.by_id {
        let fail = |message: String| Error::Config {
            path: texts.source.clone().into(),
            message: format!("line {}: {message}", supplied.line),
        };
        let Some((_, g, i)) = known.iter().find(|(k, _, _)| k == id) else {
            let ids = known.iter().map(|(k, _, _)| k.as_str());
            let hint = match crate::text::nearest(id, ids.clone()) {
                Some(near) => format!("did you mean `{near}`?"),
                None if known.is_empty() => "the guides of this run have no targets".to_string(),
                None => format!("known ids: {}", ids.take(5).map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")),
            };
            return Err(fail(format!("no target `{id}` in the guides of this run; {hint}")));
        };
        let t = &g.targets[*i];
        if let Some(s) = t.snippet.as_ref().filter(|_| !t.drafted) {
            return Err(fail(format!(
                "target `{id}` has the guide's own snippet (line {} of {}); texts are for targets without content (`needs-text`)",
                s.line, g.path
            )));
        }
    }
    Ok(())
}

/// Gives each target of `guide` that `texts` has a text for that text as its snippet (at
/// the target's line, marked as no longer drafted), and its citation keys to the guide (the
/// citation-key checks and bibliography entries see them as a snippet's) and to the targets
/// that cite every key of the guide. Returns, per target, whether its text is supplied.
pub fn supply(guide: &mut Guide, texts: &Texts) -> Vec<bool> {
    let ids = target_ids(guide);
    let mut supplied = vec![false; guide.targets.len()];
    for (i, id) in ids.iter().enumerate() {
        let Some(s) = texts.by_id.get(id) else { continue };
        supplied[i] = true;
        let t = &mut guide.targets[i];
        t.snippet = Some(Snippet { language: s.language, text: s.text.clone(), line: t.line });
        t.drafted = false;
        let line = t.line;
        // A guide without paper parts gives every target all of its keys.
        let every: Vec<bool> = guide.targets.iter().map(|t| t.keys == guide.citation_keys).collect();
        for key in keys_in_snippet(&s.text) {
            if guide.citation_keys.contains(&key) {
                continue;
            }
            guide.citation_keys.push(key.clone());
            guide.key_lines.entry(key.clone()).or_insert(line);
            for (j, t) in guide.targets.iter_mut().enumerate() {
                if (j == i || every[j]) && !t.keys.contains(&key) {
                    t.keys.push(key.clone());
                }
            }
        }
    }
    supplied
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_objects_with_their_lines() {
        let json =
            "{\n  \"g.md#1\": \"Plain \\\\emph{text}.\",\n  \"g.md#2\": {\"text\": \"*x*\", \"language\": \"md\"}\n}\n";
        let t = parse(json, "texts.json").unwrap();
        assert_eq!(t.by_id["g.md#1"], SuppliedText { text: "Plain \\emph{text}.".into(), language: None, line: 2 });
        assert_eq!(t.by_id["g.md#2"], SuppliedText { text: "*x*".into(), language: Some(Markup::Markdown), line: 3 });
    }

    #[test]
    fn ids_number_the_targets_sharing_a_rank_and_texts_become_snippets() {
        // Two targets of rank 1 (a rank field and a target field), then ranks 3 and 4.
        let text = "# G\n**Primary target:** `a/ch01-x.typ`\n\n## Paper A\n### Placement\n**Primary:** ch08-neuro.tex\nSection: microglia\n\n```latex\nx\n```\n### Key Points\n**File:** `b.typ`\n**File:** `c.typ`\n";
        let mut g = crate::guide::parse_guide(text, "L/g.md", &crate::rules::Rules::builtin());
        assert_eq!(target_ids(&g), ["L/g.md#1.1", "L/g.md#1.2", "L/g.md#3", "L/g.md#4"]);
        let texts = parse("{\"L/g.md#3\": {\"text\": \"See @New2024x.\", \"language\": \"typst\"}}", "t.json").unwrap();
        check_ids(&texts, std::slice::from_ref(&g)).unwrap();
        let every = g.targets[0].keys == g.citation_keys;
        assert_eq!(supply(&mut g, &texts), [false, false, true, false]);
        let s = g.targets[2].snippet.as_ref().unwrap();
        assert_eq!((s.text.as_str(), s.language, s.line), ("See @New2024x.", Some(Markup::Typst), g.targets[2].line));
        assert!(g.citation_keys.ends_with(&["New2024x".to_string()]));
        assert!(g.targets[2].keys.contains(&"New2024x".to_string()));
        // A target holding every key of the guide holds the new one too.
        assert_eq!(g.targets[0].keys.contains(&"New2024x".to_string()), every);
        // The target with the guide's own fence takes no text.
        let own = parse("{\"L/g.md#1.2\": \"y\"}", "t.json").unwrap();
        let err = check_ids(&own, std::slice::from_ref(&g)).unwrap_err().to_string();
        assert!(
            err.starts_with("t.json: line 1: target `L/g.md#1.2` has the guide's own snippet (line 9 of L/g.md)"),
            "{err}"
        );
    }

    #[test]
    fn bad_files_name_the_line() {
        let msg = |json: &str| parse(json, "t.json").unwrap_err().to_string();
        assert!(
            msg("{\n\"a\": \"x\",\n}").starts_with("t.json: line 3: not valid JSON"),
            "{}",
            msg("{\n\"a\": \"x\",\n}")
        );
        assert!(msg("[1]").starts_with("t.json: line 1: the texts file is not one JSON object"));
        assert!(msg("{\"a\":\n {\"text\": \"x\", \"language\": \"rst\"}}")
            .starts_with("t.json: line 1: the language `rst` of `a` is not latex, typst or markdown"));
        assert!(msg("{\"a\": {\"txt\": \"x\"}}").contains("the unknown key `txt`"));
        assert!(msg("{\"a\": 3}").contains("neither a string nor an object"));
        assert!(msg("{\"a\": \"  \"}").contains("the text of `a` is empty"));
    }
}
