//! Drafted blocks: a target the guide gives neither a fence nor a sentence in a field for,
//! but whose environment it names (`**Environment type:** warning`, `Environment:
//! `observation`` under a key-findings integration point), gets a block built from the
//! guide's and key findings' own sentences, marked drafted for review.
//!
//! The block is the named environment (LaTeX, which rendering turns into the book's markup),
//! titled by the target's heading when that names a topic (else by the guide's title less
//! "Integration Guide:"), a certainty line where the target or the paper states one, and
//! the sentences (list items, sentences of paragraphs) that share most rare words with the
//! target's rationale, hints and title, in the order the files give them; the target's
//! citation keys follow the first. Sentences under instruction headings (`[draft]` in
//! `rules/guide.toml`), field lines other than statements (`Evidence: ...`), tables and
//! code are never used, nor sentences holding LaTeX-active characters (`\ { } ^ ~ $`).
//! Every sentence of the body occurs in the guide or key findings as written, markup
//! stripped (the property test below).
//!
//! What it leaves out: targets that edit a sentence in place (citation edits) and targets
//! without an environment (those need text from the calling workflow).

use std::collections::{BTreeMap, BTreeSet};

use super::markdown::{blocks, field_captures, field_is, plain_field_captures, strip_md, Block};
use super::model::{Guide, Markup, Snippet, Target};
use crate::finding::{Code, Finding};
use crate::rules::{DraftNames, Rules};

/// One sentence a block may be drafted from, as written (markup stripped).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sentence {
    text: String,
    /// Rare-word stems of the sentence (see [`stems`]).
    stems: BTreeSet<String>,
}

/// Drafts a block for every target of `guide` without snippet whose environment the guide
/// names, from `sources` (the guide's text, then the key findings' text; either may be
/// absent). Each drafted target is marked `drafted` and gets a `snippet-drafted` finding.
pub(super) fn draft_missing(guide: &mut Guide, sources: &[&str], rules: &Rules) {
    let names = &rules.guide.draft;
    let (f, k) = (&rules.guide.fields, &rules.guide.key_findings);
    let instruction: Vec<String> = [
        &f.citation_key,
        &f.file,
        &f.section_hint,
        &f.environment,
        &f.rationale,
        &f.title,
        &f.new_section,
        &f.edit,
        &f.inline_text,
        &k.certainty,
        &k.sample_size,
        &k.design,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect();
    let pool: Vec<Sentence> = sources.iter().flat_map(|s| sentences(s, names, &instruction)).collect();
    if pool.is_empty() {
        return;
    }
    let title = sources.first().and_then(|s| first_title(s, names));
    // Stems of the paper's title say what every sentence is about: they pick nothing.
    let common: BTreeSet<String> = title.as_deref().map(stems).unwrap_or_default();
    let df = document_frequency(&pool);
    let certainty = guide.certainty.clone().or_else(|| guide.key_findings.as_ref().and_then(|k| k.certainty.clone()));
    let mut used: BTreeSet<String> = BTreeSet::new();
    for t in &mut guide.targets {
        if t.snippet.is_some() || t.edit.is_some() || t.environment.is_none() {
            continue;
        }
        // A sentence an earlier target's block took is not said twice, while others remain.
        let fresh: Vec<Sentence> = pool.iter().filter(|s| !used.contains(&s.text)).cloned().collect();
        let mut picked = pick(t, &fresh, &common, &df, names.max_items.max(1));
        if picked.is_empty() {
            picked = pick(t, &pool, &common, &df, names.max_items.max(1));
        }
        used.extend(picked.iter().cloned());
        if picked.is_empty() {
            continue;
        }
        let text = block(t, &picked, title.as_deref(), own_certainty(t).or(certainty.clone()));
        t.snippet = Some(Snippet { language: Some(Markup::Latex), text, line: t.line });
        t.drafted = true;
        guide.findings.push(
            Finding::new(
                Code::SnippetDrafted,
                format!(
                    "the {} target has no snippet; a block in its `{}` environment was drafted from {} sentence(s) of the guide and key findings",
                    super::describe_rank(t.rank),
                    t.environment.as_deref().unwrap_or_default(),
                    picked.len()
                ),
            )
            .at(&t.source, Some(t.line))
            .help("review the drafted wording, or give the target a fenced snippet"),
        );
    }
}

/// Marks the targets of `guide` that ask to cite a paper in the text already there ("cite X
/// for Y"): no snippet, no edit, and a sentence of their rationale or environment wording
/// that says "add" or "cite" and names a citation key (`Add `@Key` as the precedent`). That
/// sentence becomes the target's `edit`: planning then adds the keys to the sentence of the
/// target file that best states what the rationale says (`citation_edit::best_sentence`).
pub(super) fn mark_cite_instructions(guide: &mut Guide) {
    static KEY: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let key = KEY.get_or_init(|| regex::Regex::new(r"@[A-Za-z][\w:.-]*\w|`[A-Z][A-Za-z-]*\d{4}[\w-]*`").unwrap());
    for t in guide.targets.iter_mut().filter(|t| t.snippet.is_none() && t.edit.is_none()) {
        let text: String = t.rationale.iter().chain(t.environment_raw.iter()).cloned().collect::<Vec<_>>().join(" ");
        let found = split_sentences(&text).into_iter().find(|s| {
            let lower = s.to_lowercase();
            let says = lower.split(|c: char| !c.is_alphanumeric()).any(|w| w == "add" || w == "cite");
            says && key.is_match(s)
        });
        if let Some(sentence) = found {
            t.edit = Some(sentence);
        }
    }
}

/// The sentences of a Markdown text a block may be drafted from: list items and the
/// sentences of paragraphs of five to sixty words, outside instruction headings, tables and
/// code; a field line only for its value when it is a statement field.
fn sentences(text: &str, names: &DraftNames, instruction: &[String]) -> Vec<Sentence> {
    let mut out: Vec<Sentence> = Vec::new();
    // The enclosing headings, innermost last, each with what it says of its sentences:
    // Some(true) statements, Some(false) instructions, None nothing.
    let mut stack: Vec<(u8, Option<bool>)> = Vec::new();
    let has = |h: &str, words: &[String]| {
        let lower = h.to_lowercase();
        words.iter().any(|w| lower.contains(&w.to_lowercase()))
    };
    for b in blocks(text) {
        match b {
            Block::Heading { level, text: h, .. } => {
                while stack.last().is_some_and(|(l, _)| *l >= level) {
                    stack.pop();
                }
                // The file's title (`# Key Findings: X`) says nothing of its parts.
                let kind = if level <= 1 {
                    None
                } else if has(&h, &names.skip_headings) {
                    Some(false)
                } else if has(&h, &names.statement_headings) {
                    Some(true)
                } else {
                    None
                };
                stack.push((level, kind));
            }
            Block::Text { range } => {
                let under = stack.iter().rev().find_map(|(_, k)| *k);
                if under == Some(false) {
                    continue;
                }
                for item in items(&text[range]) {
                    let Some((value, _)) = statement(&item, names, instruction, under == Some(true)) else { continue };
                    // Single `*` of Markdown emphasis are markup, not text.
                    let value = value.replace('*', "");
                    for s in split_sentences(&value) {
                        let words = s.split_whitespace().count();
                        let active = s.contains(['\\', '{', '}', '^', '~', '$', '|']);
                        let usable = (5..=60).contains(&words) && !active && !about_the_book(&s, names);
                        if usable && !out.iter().any(|o| o.text == s) {
                            out.push(Sentence { stems: stems(&s), text: s });
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Whether a sentence speaks of the book or of the work on it rather than of the paper: it
/// opens with an instruction word (`instruction_words`: "Add", "Cite", "Assess") or names a
/// chapter, section or file of the book (`ch07`, `sec-12`, `ch02.tex`, "Chapter 5").
fn about_the_book(sentence: &str, names: &DraftNames) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"(?i)\b(?:ch\d+[a-z]?|sec-\d+|subsec-\d+|chapter\s+\d+|section\s+\d+|appendix\s+[a-z]\b)|\.(?:tex|typ|md)\b")
            .unwrap()
    });
    let first = sentence.split_whitespace().next().unwrap_or("").trim_matches(|c: char| !c.is_alphanumeric());
    names.instruction_words.iter().any(|w| w.eq_ignore_ascii_case(first)) || re.is_match(sentence)
}

/// The items of a paragraph or list: each list item (nested ones on their own, wrapped lines
/// joined), else the whole paragraph.
fn items(src: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for line in src.lines() {
        let t = line.trim();
        if t.is_empty() {
            open = false;
            continue;
        }
        if t.starts_with('|') {
            open = false;
            continue;
        }
        let marker =
            t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")).or_else(|| t.strip_prefix("+ ")).or_else(|| {
                t.split_once(". ")
                    .filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                    .map(|(_, r)| r)
            });
        match (marker, out.last_mut()) {
            (Some(rest), _) => {
                out.push(rest.trim().to_string());
                open = true;
            }
            (None, Some(last)) if open => {
                last.push(' ');
                last.push_str(t);
            }
            (None, _) => {
                out.push(t.to_string());
                open = true;
            }
        }
    }
    out
}

/// The statement an item makes and whether it is a statement field's value: a statement
/// field's value (`Evidence: ...`) anywhere; under a statement heading (`under`), the item
/// itself or the value after its short label (`**No trials:** None was reported.`); `None`
/// for a field of the guide's own (`instruction`: `**Rationale:**`, `- Certainty: High`)
/// and for anything else outside statement headings.
fn statement(item: &str, names: &DraftNames, instruction: &[String], under: bool) -> Option<(String, bool)> {
    let plain = strip_md(item);
    let label = field_captures(item)
        .or_else(|| plain_field_captures(item))
        .map(|c| (c[1].trim().to_string(), strip_md(&c[2])))
        .or_else(|| plain.split_once(": ").map(|(l, v)| (l.trim().to_string(), v.trim().to_string())))
        .filter(|(l, _)| l.split_whitespace().count() <= 4);
    match label {
        Some((l, v)) if field_is(&l, &names.statement_fields) => Some((v, true)).filter(|(v, _)| !v.is_empty()),
        Some((l, _)) if field_is(&l, instruction) => None,
        Some((_, v)) if under => Some((v, false)).filter(|(v, _)| !v.is_empty()),
        Some(_) => None,
        None => under.then_some((plain, false)),
    }
}

/// Sentences of `text`: split after `.`, `!` or `?` followed by a space and a capital.
fn split_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for w in chars.windows(3) {
        let ((p, c), (_, sp), (_, next)) = (w[0], w[1], w[2]);
        if matches!(c, '.' | '!' | '?') && sp == ' ' && next.is_uppercase() {
            out.push(text[start..=p].trim().to_string());
            start = p + 1;
        }
    }
    out.push(text[start..].trim().to_string());
    out.into_iter().filter(|s| !s.is_empty()).collect()
}

/// Stems of the words of `text` that carry meaning: lowercased, four letters or more, cut to
/// their first five characters, common English words left out.
pub(crate) fn stems(text: &str) -> BTreeSet<String> {
    const COMMON: &[&str] = &[
        "about",
        "after",
        "also",
        "been",
        "being",
        "both",
        "from",
        "have",
        "into",
        "more",
        "most",
        "only",
        "other",
        "over",
        "such",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "under",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "with",
        "within",
        "without",
        "would",
        "could",
        "should",
        "will",
        "does",
        "each",
        "some",
        "very",
        "chapter",
        "section",
        "target",
        "file",
        "environment",
    ];
    text.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 4 && !COMMON.contains(&w.as_str()))
        .map(|w| w.chars().take(5).collect())
        .collect()
}

/// In how many sentences of `pool` each stem occurs.
fn document_frequency(pool: &[Sentence]) -> BTreeMap<String, usize> {
    let mut df: BTreeMap<String, usize> = BTreeMap::new();
    for s in pool {
        for st in &s.stems {
            *df.entry(st.clone()).or_default() += 1;
        }
    }
    df
}

/// The sentences of `pool` that share most rare stems with `t`'s rationale, hints, title and
/// environment wording (each shared stem weighs 1 / the sentences holding it; the paper's
/// title stems weigh nothing): at most `max`, in the pool's order.
fn pick(
    t: &Target,
    pool: &[Sentence],
    common: &BTreeSet<String>,
    df: &BTreeMap<String, usize>,
    max: usize,
) -> Vec<String> {
    let mut context = String::new();
    for part in t.rationale.iter().chain(&t.section_hints).chain(t.environment_raw.iter()).chain([&t.title_hint]) {
        context.push_str(part);
        context.push(' ');
    }
    let wanted: BTreeSet<String> = stems(&context).into_iter().filter(|s| !common.contains(s)).collect();
    let mut scored: Vec<(usize, f64)> = pool
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let score: f64 =
                s.stems.intersection(&wanted).map(|st| 1.0 / df.get(st).copied().unwrap_or(1).max(1) as f64).sum();
            (i, score)
        })
        .filter(|(_, score)| *score > 0.0)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut chosen: Vec<usize> = scored.into_iter().take(max).map(|(i, _)| i).collect();
    chosen.sort_unstable();
    chosen.into_iter().map(|i| pool[i].text.clone()).collect()
}

/// The guide's first heading with a title prefix dropped (`# Integration Guide: X` -> X).
fn first_title(text: &str, names: &DraftNames) -> Option<String> {
    let h = blocks(text).into_iter().find_map(|b| match b {
        Block::Heading { text, .. } => Some(text),
        _ => None,
    })?;
    let mut title = h.trim().to_string();
    for p in &names.title_prefixes {
        if title.to_lowercase().starts_with(&p.to_lowercase()) {
            title = title[p.len()..].trim().to_string();
        }
    }
    Some(title).filter(|t| !t.is_empty() && !t.contains(['\\', '{', '}', '^', '~', '$']))
}

/// A target's own certainty (`- Certainty: Medium (...)` among its details).
fn own_certainty(t: &Target) -> Option<String> {
    t.rationale.as_deref()?.lines().find_map(|l| {
        let (name, value) = l.trim().trim_start_matches(['-', '*', ' ']).split_once(':')?;
        (name.trim().eq_ignore_ascii_case("certainty") && !value.trim().is_empty()).then(|| strip_md(value.trim()))
    })
}

/// A stated certainty short enough for one line: up to a dash, semicolon or full stop that
/// ends its first clause (`0.35 (Low) — indirect evidence ...` -> `0.35 (Low)`), at most
/// eight words; `None` when even that runs on.
fn certainty_line(value: &str) -> Option<String> {
    let cut = [" — ", " – ", " - ", "; ", ". "].iter().filter_map(|d| value.find(d)).min().unwrap_or(value.len());
    let head = value[..cut].trim().trim_end_matches('.');
    (!head.is_empty() && head.split_whitespace().count() <= 8).then(|| head.to_string())
}

/// Whether a target's heading names a topic a block can carry as its title (three words or
/// more, no file name, no "chapter" / "appendix" / "section" word, no `ch07` shorthand).
fn topic_title(title: &str) -> bool {
    let lower = title.to_lowercase();
    let first = lower.split_whitespace().next().unwrap_or("");
    let chapter_shorthand = first.strip_prefix("ch").is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
    let names_a_part = lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| ["chapter", "chapters", "appendix", "section", "target", "file"].contains(&w));
    title.split_whitespace().count() >= 3
        && !names_a_part
        && super::fields::file_in_text(title).is_none()
        && !["chapter", "ch", "appendix", "section", "same"].contains(&first.trim_end_matches(':'))
        && !chapter_shorthand
        && !title.contains(['\\', '{', '}', '^', '~', '$'])
}

/// The drafted LaTeX block: `\begin{env}[Title]`, the certainty line, the sentences (a list
/// when there are several; the keys cited after the first), `\end{env}`.
fn block(t: &Target, picked: &[String], title: Option<&str>, certainty: Option<String>) -> String {
    let env = t.environment.as_deref().unwrap_or("observation");
    let title = Some(t.title_hint.trim()).filter(|h| topic_title(h)).or(title);
    let mut out = match title {
        Some(title) => format!("\\begin{{{env}}}[{}]\n", escape(title)),
        None => format!("\\begin{{{env}}}\n"),
    };
    if let Some(c) = certainty.as_deref().and_then(certainty_line) {
        out.push_str(&format!("\\textbf{{Certainty:}} {}.\n", escape(&c)));
    }
    let cite = (!t.keys.is_empty() && t.keys.len() <= 3).then(|| format!("~\\cite{{{}}}", t.keys.join(",")));
    let mut lines: Vec<String> = picked.iter().map(|s| escape(s)).collect();
    if let (Some(first), Some(cite)) = (lines.first_mut(), cite) {
        match first.strip_suffix(['.', '!', '?']) {
            Some(stem) => {
                let stop = &first[stem.len()..];
                *first = format!("{stem}{cite}{stop}");
            }
            None => first.push_str(&cite),
        }
    }
    if lines.len() == 1 {
        out.push_str(&lines[0]);
        out.push('\n');
    } else {
        out.push_str("\\begin{itemize}\n");
        for l in &lines {
            out.push_str(&format!("  \\item {l}\n"));
        }
        out.push_str("\\end{itemize}\n");
    }
    out.push_str(&format!("\\end{{{env}}}"));
    out
}

/// `text` with the LaTeX characters that sentences may hold escaped (`% & # _`).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '&' | '#' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The body sentences of a drafted block, template words (environment, list, citation,
    /// certainty line) removed and escapes undone.
    fn body(block: &str) -> Vec<String> {
        let cite = regex::Regex::new(r"~\\cite\{[^}]*\}").unwrap();
        block
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("\\begin") && !l.starts_with("\\end") && !l.starts_with("\\textbf{Certainty:}"))
            .map(|l| l.trim_start_matches("\\item ").to_string())
            .map(|l| {
                cite.replace_all(&l, "").replace("\\%", "%").replace("\\&", "&").replace("\\#", "#").replace("\\_", "_")
            })
            .collect()
    }

    fn guide_with(items: &[String], rationale: &str) -> String {
        let mut g = format!(
            "# Integration Guide: Paper\n\n### Primary Target: ch01.tex\n**File:** `ch01.tex`\n**Environment type:** warning\n**Rationale:** {rationale}\n\n## Key Points to Convey\n\n"
        );
        for (i, it) in items.iter().enumerate() {
            g.push_str(&format!("{}. {it}\n", i + 1));
        }
        g
    }

    #[test]
    fn a_warning_target_without_snippet_gets_the_key_points_that_share_its_words() {
        let rules = Rules::builtin();
        let text = guide_with(
            &[
                "No trial of the drug exists in this condition so far.".into(),
                "Infusions need a monitored clinic with trained staff present.".into(),
                "Pain relief fades within weeks unless infusions are repeated.".into(),
            ],
            "Readers with pain need to know it must be given in a monitored clinic.",
        );
        let mut g = super::super::parse_guide(&text, "g.md", &rules);
        g.targets[0].keys = vec!["Key2020".into()];
        draft_missing(&mut g, &[&text], &rules);
        let t = &g.targets[0];
        assert!(t.drafted);
        assert_eq!(
            t.snippet.as_ref().unwrap().text,
            "\\begin{warning}[Paper]\n\\begin{itemize}\n  \\item Infusions need a monitored clinic with trained staff present~\\cite{Key2020}.\n  \\item Pain relief fades within weeks unless infusions are repeated.\n\\end{itemize}\n\\end{warning}"
        );
        assert!(g.findings.iter().any(|f| f.code == Code::SnippetDrafted && f.line == Some(3)));
    }

    #[test]
    fn instructions_fields_and_tables_are_not_drafted_from() {
        let names = Rules::builtin().guide.draft;
        let instruction = vec!["Rationale".to_string()];
        let text = "## Key Points\n\n- **Rationale:** Readers need this in the clinic today.\n- Evidence: The clinic cohort showed fewer relapses overall.\n| a clinic table row with many words in it | b |\n\n## Phrasing Recommendations\n\n- Never say the clinic cures anyone at all.\n";
        let got: Vec<String> = sentences(text, &names, &instruction).into_iter().map(|s| s.text).collect();
        assert_eq!(got, vec!["The clinic cohort showed fewer relapses overall.".to_string()]);
    }

    proptest! {
        /// Every sentence of a drafted block, less the template's words, occurs in the guide.
        #[test]
        fn drafted_sentences_occur_in_the_guide(
            items in proptest::collection::vec("[A-Z][a-z]{3,8}( [a-z%&_#]{1,9}){4,12}\\.", 1..6),
            rationale in "[a-z]{4,8}( [a-z]{4,8}){2,8}",
        ) {
            let rules = Rules::builtin();
            let text = guide_with(&items, &rationale);
            let mut g = super::super::parse_guide(&text, "g.md", &rules);
            draft_missing(&mut g, &[&text], &rules);
            if let Some(s) = g.targets[0].snippet.as_ref().filter(|_| g.targets[0].drafted) {
                for sentence in body(&s.text) {
                    prop_assert!(text.contains(&sentence), "{sentence:?} not in the guide");
                }
            }
        }
    }
}
