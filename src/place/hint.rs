//! Section hints as placement reads them: [`Hint::parse`] turns a guide's hint into its
//! parts (title, label, section number, line, quoted anchor, arrow path, environment end),
//! [`TitleForm`] tokenizes titles for comparing, and [`hint_match`] scores one section's
//! heading against the hints. It reads no file: the callers bring the sections.

use std::sync::Arc;

use super::section::Section;
use super::Signal;
use crate::text::{dice_of_sets, terms, words};

/// Similarity of a hint to a heading title in `[0, 1]`: 1.0 when equal after
/// normalisation, 0.9 when all of the hint's words are in the title, else Dice of terms.
pub fn title_similarity(hint: &str, title: &str) -> f64 {
    TitleForm::new(hint).similarity(&TitleForm::new(title))
}

/// A title tokenized once for [`title_similarity`]: its words and content terms.
#[derive(Debug, Clone)]
pub(super) struct TitleForm {
    pub(super) words: Vec<String>,
    /// The title's [`crate::text::title_terms`] as a set: sorted, without repeats.
    pub(super) terms: Vec<String>,
    /// Whether a title holding all of these terms among others is named by them (0.9);
    /// false for a one-word hint that several headings hold ([`TitleForm::topic_among`]).
    pub(super) names_containing: bool,
}

impl TitleForm {
    pub(super) fn new(title: &str) -> Self {
        let mut terms = crate::text::title_terms(title);
        terms.sort_unstable();
        terms.dedup();
        TitleForm { words: words(title), terms, names_containing: true }
    }

    /// `self` (a hint) as a topic rather than a heading when it is one word that at least
    /// `headings` of the sections' titles (`forms`) hold among other words: "neuroinflammation"
    /// in "Microglial Activation and Neuroinflammation" and "Consequences for
    /// Neuroinflammation" says what the text is about, not which of them receives it. A
    /// heading that is the word itself is still named by it. `headings` 0 turns this off.
    pub(super) fn topic_among(mut self, forms: &[(Arc<TitleForm>, Vec<Arc<TitleForm>>)], headings: usize) -> Self {
        // One word, not one term: "IL-6" is two words, "il" and "6".
        let one_word = self.words.iter().filter(|w| !crate::text::is_stopword(w)).count() == 1;
        if let (true, [term]) = (one_word, self.terms.as_slice()) {
            let holding =
                forms.iter().filter(|(f, _)| f.words != self.words && f.terms.binary_search(term).is_ok()).count();
            self.names_containing = headings == 0 || holding < headings;
        }
        self
    }

    /// [`title_similarity`] of `self` (the hint) to `title`.
    pub(super) fn similarity(&self, title: &TitleForm) -> f64 {
        if !self.words.is_empty() && self.words == title.words {
            return 1.0;
        }
        if self.names_containing
            && !self.terms.is_empty()
            && self.terms.iter().all(|t| title.terms.binary_search(t).is_ok())
        {
            return 0.9;
        }
        dice_of_sets(&self.terms, &title.terms)
    }
}

/// One alternative of a section hint: a title to match, a label anchor, a line prior.
#[derive(Debug, Clone, PartialEq)]
pub struct Hint {
    /// The title to match against headings (markup, line references, a leading directive
    /// such as `EXPAND EXISTING:` and section numbers removed).
    pub title: String,
    /// A label the hint names (`\label{sec:x}`, `<sec:x>`, `@sec:x`).
    pub label: Option<String>,
    /// A line number the hint names (`line ~76`, `After line 616`), 1-based.
    pub line: Option<usize>,
    /// The quoted text next to a line number (`After line 14 (... "as their condition
    /// changes.")`): what the spot held when the guide was written.
    pub anchor: Option<String>,
    /// The anchor is the text to insert before (`before "== Sleep"`), not after.
    pub before: bool,
    /// The anchor names what a paragraph is about (`after the substance P/mast cell
    /// paragraph`), not its words: found by its terms, nearest the hint's line.
    pub mentions: bool,
    /// The headings above [`Hint::title`] in an arrow path (`Immune → Cytokines → IL-6`:
    /// `["Immune", "Cytokines"]`), outermost first.
    pub path: Vec<String>,
    /// A section number the hint names (`Section 7.3.2`, `§3.2`): its parts.
    pub number: Option<Vec<u32>>,
    /// The environment whose end the text goes after (`After \end{warning} of the dosing
    /// limits warning`): its name as written and the words saying which one ("dosing limits").
    pub env_end: Option<(String, String)>,
}

impl Hint {
    /// Splits a guide's section hint into alternatives: LaTeX sectioning commands and
    /// Typst heading markers give titles; "A or B", "A / B" and "A and/or B" give two;
    /// `(line ~N)` a line prior; a title in parentheses after a section number
    /// (`§15.6 (Autonomic medications)`) the title.
    pub fn parse(hint: &str) -> Vec<Hint> {
        static RES: std::sync::OnceLock<[regex::Regex; 4]> = std::sync::OnceLock::new();
        let [line_re, section_re, typst_re, paren_re] = RES.get_or_init(|| {
            [
                regex::Regex::new(r"(?i)\blines?\s*~?\s*(\d+)(?:\s*(?:-|–|--|to)\s*~?\d+)?").unwrap(),
                regex::Regex::new(r"\\(?:sub)*section\*?\s*\{([^}]*)\}").unwrap(),
                regex::Regex::new(r"(?:^|\s)={1,6}\s+([^,;()]+)").unwrap(),
                regex::Regex::new(r"\([^)]*\)").unwrap(),
            ]
        });
        let line = line_re.captures(hint).and_then(|c| c[1].parse().ok());
        let label = label_anchor(hint);
        // With a line number, quoted text is the anchor to verify it by; "after the X
        // paragraph" names the paragraph by its topic.
        let (mut anchor, before) = match line {
            Some(_) => anchor_text(hint),
            None => (None, false),
        };
        let mut mentions = false;
        if anchor.is_none() {
            anchor = paragraph_topic(hint);
            mentions = anchor.is_some();
        }
        let number = section_number(hint);
        let env_end = env_end(hint);
        // `A → B → C`: C is the section, A and B the headings above it.
        let mut path: Vec<String> = Vec::new();
        if let Some(parts) = arrow_path(hint) {
            path = parts;
            let title = path.pop().unwrap_or_default();
            return vec![Hint { title, label, line, anchor, before, mentions, path, number, env_end }];
        }
        let mut titles: Vec<String> = section_re.captures_iter(hint).map(|c| c[1].trim().to_string()).collect();
        if titles.is_empty() {
            titles.extend(typst_re.captures_iter(hint).map(|c| c[1].trim().to_string()));
        }
        if titles.is_empty() && label.is_none() && anchor.is_none() && env_end.is_none() {
            let cleaned = paren_re.replace_all(hint, " ");
            let cleaned = line_re.replace_all(&cleaned, " ");
            let cleaned = title_of_directive(&cleaned);
            // "After §15.6 (Autonomic medications)": with the number gone, the words in
            // parentheses are the title (each its own, "(A) or §15.7 (B)"); not a line
            // reference or a pointer ("(see Table 4)").
            let cleaned = if crate::text::title_terms(&cleaned).is_empty() {
                paren_re
                    .find_iter(hint)
                    .map(|m| m.as_str().trim_matches(['(', ')']).trim())
                    .filter(|p| !line_re.is_match(p) && !p.to_lowercase().starts_with("see "))
                    .collect::<Vec<_>>()
                    .join(" or ")
            } else {
                cleaned
            };
            // "A or B", "A / B" and "A and/or B" name alternatives ("AMPK/mTOR" is one word).
            let cleaned = cleaned.replace(" and/or ", " or ").replace(" / ", " or ");
            titles.extend(
                cleaned
                    .split(" or ")
                    .map(|t| t.trim().trim_start_matches([',', ';', ':', ' ']).trim_end_matches(['.', ',']).trim())
                    .map(|t| t.trim_end_matches(" section").trim_end_matches(" subsection").trim())
                    .map(|t| {
                        // "existing section on X" / "the subsection about X" name X.
                        let lower = t.to_lowercase();
                        let lead = [
                            "existing section on ",
                            "existing subsection on ",
                            "existing section ",
                            "existing subsection ",
                            "the section on ",
                            "section on ",
                            "subsection on ",
                        ];
                        let cut = lead.iter().find(|l| lower.starts_with(*l)).map_or(0, |l| l.len());
                        t.get(cut..).unwrap_or(t).trim_start_matches([',', ' ']).to_string()
                    })
                    .filter(|t| !t.is_empty()),
            );
        }
        if titles.is_empty() {
            titles.push(String::new());
        }
        titles
            .into_iter()
            .map(|title| Hint {
                title,
                label: label.clone(),
                line,
                anchor: anchor.clone(),
                before,
                mentions,
                path: path.clone(),
                number: number.clone(),
                env_end: env_end.clone(),
            })
            .collect()
    }
}

/// The parts of an arrow path in a hint (`A → B`, `A -> B`, `A > B`, `A › B`), each without
/// quotes and markup; `None` without an arrow.
pub(super) fn arrow_path(hint: &str) -> Option<Vec<String>> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"\s*(?:→|->|›|\s>\s)\s*").unwrap());
    if !re.is_match(hint) {
        return None;
    }
    let parts: Vec<String> = re
        .split(hint)
        .map(|p| p.trim().trim_matches(['"', '\'', '`', '*', '“', '”']).trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    (parts.len() >= 2).then_some(parts)
}

/// A hint's words without the directive around its title: a leading `EXPAND EXISTING:`,
/// `ADD NEW:`, `New Section:` (what to do, not which heading) and section numbers in the
/// forms [`section_number`] reads (`§15.7.4`, `Section 3.2`, a leading `3.2`): a number
/// is matched as a number, its digits are no words of the title.
/// "EXPAND EXISTING: §15.7.4 Low-Dose Aripiprazole" -> "Low-Dose Aripiprazole".
pub(super) fn title_of_directive(hint: &str) -> String {
    static RES: std::sync::OnceLock<[regex::Regex; 2]> = std::sync::OnceLock::new();
    let [lead, number] = RES.get_or_init(|| {
        [
            regex::Regex::new(
                r"(?i)^\s*(?:expand|extend|update|revise|add|insert|create)?\s*(?:new|existing)?\s*(?:major\s+)?(?:section|subsection)?\s*:\s*",
            )
            .unwrap(),
            regex::Regex::new(
                r"(?i)(?:\b(?:after|before|within|in)\s+)?(?:§\s*|\b(?:sub)*sections?\s+|\bsec\.\s*)\d+(?:\.\d+)*\b|^\s*\d+(?:\.\d+)+\s",
            )
            .unwrap(),
        ]
    });
    let rest = lead.replace(hint, "");
    number.replace_all(&rest, " ").trim().to_string()
}

/// A section number named in a hint: `Section 7.3.2`, `§3.2`, `sec. 4.1`, or a hint opening
/// with `3.2 Title` -> its parts.
pub(super) fn section_number(hint: &str) -> Option<Vec<u32>> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"(?i)(?:§\s*|\b(?:sub)*sections?\s+|\bsec\.\s*)(\d+(?:\.\d+)*)\b|^\s*(\d+(?:\.\d+)+)\s")
            .unwrap()
    });
    let c = re.captures(hint)?;
    let m = c.get(1).or_else(|| c.get(2))?;
    m.as_str().split('.').map(|p| p.parse().ok()).collect()
}

/// The quoted anchor text of a line-anchored hint, and whether the text goes before it
/// (`before "..."`). Straight and curly double quotes.
pub(super) fn anchor_text(hint: &str) -> (Option<String>, bool) {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r#"(?i)(\bbefore\s*:?\s*)?(?:"([^"]{4,})"|“([^”]{4,})”)"#).unwrap());
    let Some(c) = re.captures(hint) else { return (None, false) };
    let text = c.get(2).or_else(|| c.get(3)).map(|m| m.as_str().trim().to_string());
    (text, c.get(1).is_some())
}

/// The environment named by "after `\end{warning}` of the X warning" / "after \end{keypoint}
/// for X" in a hint: its name and the words after "of"/"for" (empty when none follow).
pub(super) fn env_end(hint: &str) -> Option<(String, String)> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"(?i)\bafter\s+(?:the\s+)?`?\\end\{([A-Za-z*-]+)\}`?(?:\s+(?:of|for)\s+(?:the\s+)?([^,;()]{3,80}))?",
        )
        .unwrap()
    });
    let c = re.captures(hint)?;
    Some((c[1].to_string(), c.get(2).map_or(String::new(), |m| m.as_str().trim().to_string())))
}

/// The topic of "after the paragraph on X" / "after the X paragraph" in a hint; words
/// that only point ("existing", "first") are not topic.
pub(super) fn paragraph_topic(hint: &str) -> Option<String> {
    static RES: std::sync::OnceLock<[regex::Regex; 2]> = std::sync::OnceLock::new();
    let [on, before] = RES.get_or_init(|| {
        [
            regex::Regex::new(r"(?i)\bafter the (?:\w+ )?paragraph (?:on|about|mentioning|discussing) ([^,;()]{3,60})")
                .unwrap(),
            regex::Regex::new(r"(?i)\bafter the ([^,;()]{3,60}?) paragraph\b").unwrap(),
        ]
    });
    let topic = on.captures(hint).or_else(|| before.captures(hint))?.get(1)?.as_str().trim();
    const POINTERS: &[&str] = &["existing", "first", "last", "current", "new", "previous", "next", "final"];
    let kept: Vec<&str> = topic.split_whitespace().filter(|w| !POINTERS.contains(&w.to_lowercase().as_str())).collect();
    let topic = kept.join(" ");
    (!terms(&topic).is_empty()).then_some(topic)
}

/// The best match of any section hint against a section: label anchors and section numbers
/// exactly, titles by [`title_similarity`]; an arrow path's upper parts must match headings
/// above the section, or the match counts 0.8 of itself. `above` are the forms of the
/// section's heading path (outermost first, the section's own last).
pub(super) fn hint_match(
    hints: &[Hint],
    hint_forms: &[TitleForm],
    s: &Section,
    title: &TitleForm,
    above: &[Arc<TitleForm>],
    min: f64,
) -> (f64, Option<Signal>) {
    let mut best = (0.0, None);
    for (h, form) in hints.iter().zip(hint_forms) {
        if let Some(label) = &h.label {
            if s.label.as_deref() == Some(label.as_str()) {
                return (1.0, Some(Signal::HintLabel { label: label.clone(), heading: s.title.clone() }));
            }
            continue;
        }
        if let Some(n) = h.number.as_ref().filter(|n| !s.number.is_empty() && names_number(n, &s.number)) {
            return (1.0, Some(Signal::HintNumber { number: n.clone(), heading: s.title.clone() }));
        }
        // A number still in the hint is the one its title agrees with (see `rank_with`):
        // another section of the same title is not named.
        if h.number.is_some() {
            continue;
        }
        // A weak match (one shared common word: "interventions", "dysfunction") says
        // nothing about the section.
        let mut sim = form.similarity(title);
        if sim < min || sim <= best.0 {
            continue;
        }
        if h.path.is_empty() {
            best = (sim, Some(Signal::HintTitle { hint: h.title.clone(), heading: s.title.clone(), similarity: sim }));
            continue;
        }
        let parents = &above[..above.len().saturating_sub(1)];
        let on_path = h.path.iter().all(|p| {
            let pf = TitleForm::new(p);
            parents.iter().any(|a| pf.similarity(a) >= min)
        });
        if !on_path {
            sim *= 0.8;
        }
        if sim > best.0 {
            let signal = Signal::HintPath {
                path: h.path.clone(),
                hint: h.title.clone(),
                heading: s.title.clone(),
                along: on_path,
                similarity: sim,
            };
            best = (sim, Some(signal));
        }
    }
    best
}

/// Whether hint number `hint` names a section numbered `own` within its chapter: the same
/// parts, or the same after the hint's first part (the chapter's number).
pub(super) fn names_number(hint: &[u32], own: &[u32]) -> bool {
    hint == own || (hint.len() == own.len() + 1 && &hint[1..] == own)
}

/// `\label{sec:x}`, `<sec:x>` or `@sec:x` in a hint -> `sec:x`.
pub(super) fn label_anchor(hint: &str) -> Option<String> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    // `\label{x}`, `<x>`, `@x:y`, or a bare `sec:x` written in prose.
    let re = RE.get_or_init(|| {
        regex::Regex::new(&format!(
            r"{}|<([A-Za-z][^>\s]*)>|(?:^|\s)@([A-Za-z][\w:.-]*:[\w:.-]+)|(?:^|[\s(])((?:sec|subsec|ch|chap|app):[\w.-]*[\w])",
            crate::outline::patterns::LATEX_LABEL
        ))
        .unwrap()
    });
    let c = re.captures(hint)?;
    c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3)).or_else(|| c.get(4)).map(|m| m.as_str().to_string())
}
