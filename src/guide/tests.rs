//! Tests of guide parsing.

use super::*;
use crate::finding::Severity;
use crate::rules::Rules;

const GUIDE: &str = r#"# Integration Guide: Test

## Paper Citation Key
**BibTeX key:** `Smith2024Trial`

## Recommended Chapters

### Primary Target: ch14b-plans.tex
**File:** `contents/part4/ch14b-plans.tex`
**Section hint:** "Crash Dose-Response" or "Activity Thresholds"
**Environment type:** achievement
**Rationale:** Strong evidence.

```latex
\begin{achievement}[T]
\label{ach:x}
Text~\cite{Smith2024Trial,Other2020}.
\end{achievement}
```

### Secondary Target: mechanisms (if exists)
**File:** `ch06-mechanisms.typ`
**Section hint:** Exertion intolerance
**Environment type:** `#warning-env`

### Tertiary Target
**Section hint:** "Nowhere"
"#;

#[test]
fn per_paper_template_is_read() {
    let g = parse_guide(GUIDE, "g.md", &Rules::builtin());
    assert_eq!(g.citation_keys, vec!["Smith2024Trial", "Other2020"]);
    assert_eq!(g.targets.len(), 3);
    let t = &g.targets[0];
    assert_eq!(t.rank, 1);
    assert_eq!(t.file_hint.as_deref(), Some("contents/part4/ch14b-plans.tex"));
    assert_eq!(t.section_hints, vec!["Crash Dose-Response", "Activity Thresholds"]);
    assert_eq!(t.environment.as_deref(), Some("achievement"));
    assert_eq!(t.line, 8);
    let s = t.snippet.as_ref().unwrap();
    assert_eq!(s.language, Some(Markup::Latex));
    assert_eq!(s.line, 14);
    assert!(s.text.starts_with("\\begin{achievement}"));
    let t2 = &g.targets[1];
    assert_eq!(t2.section_hints, vec!["Exertion intolerance"]);
    assert_eq!(t2.environment.as_deref(), Some("warning"));
    assert_eq!(t2.environment_raw.as_deref(), Some("`#warning-env`"));
    assert!(t2.snippet.is_none());
}

#[test]
fn target_without_file_is_a_finding_with_line() {
    let g = parse_guide(GUIDE, "g.md", &Rules::builtin());
    let f: Vec<_> = g.findings.iter().filter(|f| f.code == "target-file-inferred").collect();
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].line, f[0].severity), (Some(26), Severity::Warning));
    assert_eq!(g.targets[2].file_hint.as_deref(), Some("ch06-mechanisms.typ"));
    let alone =
        parse_guide("# G\n\n### Primary Target: somewhere\n**Section hint:** \"x\"\n", "g.md", &Rules::builtin());
    let f: Vec<_> = alone.findings.iter().filter(|f| f.code == "target-file-missing").collect();
    assert_eq!((f.len(), f[0].line, f[0].severity), (1, Some(3), Severity::Error));
}

#[test]
fn rank_fields_and_repeated_file_fields_open_targets() {
    let text = "# G\n**Primary target:** `a/ch01-x.typ`\n\n## Paper A\n### Placement\n**Primary:** ch08-neuro.tex\nSection: microglia subsection\n**Environment type:** `observation`\n\n```latex\n\\begin{observation}\nx\n\\end{observation}\n```\n### Key Points\n**File:** `b.typ`\n**File:** `c.typ`\n";
    let g = parse_guide(text, "g.md", &Rules::builtin());
    let hints: Vec<(usize, Option<&str>)> = g.targets.iter().map(|t| (t.rank, t.file_hint.as_deref())).collect();
    assert_eq!(
        hints,
        vec![(1, Some("a/ch01-x.typ")), (1, Some("ch08-neuro.tex")), (3, Some("b.typ")), (4, Some("c.typ"))]
    );
    let paper = &g.targets[1];
    assert_eq!(paper.section_hints, vec!["microglia subsection"]);
    assert_eq!(paper.environment.as_deref(), Some("observation"));
    assert!(paper.snippet.is_some());
    assert!(g.targets[0].snippet.is_none());
}

#[test]
fn front_matter_and_html_blocks_hold_no_targets() {
    let text = "---\ntitle: x\n---\n# G\n<!--\n### Primary Target: commented.tex\n-->\n<div>\n### Secondary Target: in-div.tex\n</div>\n\n### Tertiary Target: real.tex\n**File:** `real.tex`\n";
    let g = parse_guide(text, "g.md", &Rules::builtin());
    assert_eq!(g.targets.len(), 1, "{:?}", g.targets);
    assert_eq!((g.targets[0].rank, g.targets[0].line), (3, 12));
}

#[test]
fn avoid_lines_and_certainty_are_read() {
    let text = "# G\n**Certainty:** 0.55 (Medium)\n**Avoid overstating:**\n- ✗ \"Proves PEM is autonomic\" (suggests only)\n- ✓ \"Suggests\"\n- ✗ All patients respond\n";
    let g = parse_guide(text, "g.md", &Rules::builtin());
    assert_eq!(g.avoid, vec![("Proves PEM is autonomic".to_string(), 4), ("All patients respond".to_string(), 6)]);
    assert_eq!(g.certainty.as_deref(), Some("0.55 (Medium)"));
}

#[test]
fn same_as_above_takes_the_previous_file() {
    let text = "# G\n### Primary Target\n**File:** `a/ch01-x.typ`\n### Secondary Target\n**File:** Same as above\n";
    let g = parse_guide(text, "g.md", &Rules::builtin());
    assert_eq!(g.targets[1].file_hint.as_deref(), Some("a/ch01-x.typ"));
    assert!(g.findings.iter().any(|f| f.code == "target-file-inferred"));
    assert_eq!((g.targets[0].follows, g.targets[1].follows), (None, Some(1)));
}

#[test]
fn a_same_file_title_follows_the_last_target_naming_its_own_file() {
    let text = "# G\n### Primary Target: ch01\n**File:** `a/ch01-x.typ`\n\
                ### Secondary Target: Same file — Onset Patterns\n**File:** Same as above\n\
                ### Tertiary Target: Same file — Recovery Rates\n\
                ### Quaternary Target: Same mechanism in children\n**File:** `a/ch02-y.typ`\n";
    let g = parse_guide(text, "g.md", &Rules::builtin());
    let rows: Vec<(Option<&str>, Option<usize>)> =
        g.targets.iter().map(|t| (t.file_hint.as_deref(), t.follows)).collect();
    assert_eq!(
        rows,
        vec![
            (Some("a/ch01-x.typ"), None),
            (Some("a/ch01-x.typ"), Some(1)),
            (Some("a/ch01-x.typ"), Some(1)),
            (Some("a/ch02-y.typ"), None),
        ]
    );
}

#[test]
fn more_snippets_for_one_file_become_targets_placed_by_their_heading() {
    let text = "# G\n**Target chapter:** `ch06-energy.typ`\n\n## Steps\n### 3. Pyruvate Dehydrogenase (PDC) — KEY\n```latex\n\\begin{observation}\na\n\\end{observation}\n```\n**Alternative inline version:**\n```latex\nb\n```\n### 4. Carnitine Shuttle\n```latex\n\\begin{hypothesis}\nc\n\\end{hypothesis}\n```\n";
    let g = parse_guide(text, "g.md", &Rules::builtin());
    let t: Vec<(usize, Option<&str>, Vec<String>)> =
        g.targets.iter().map(|t| (t.rank, t.file_hint.as_deref(), t.section_hints.clone())).collect();
    assert_eq!(
        t,
        vec![(1, Some("ch06-energy.typ"), vec![]), (2, Some("ch06-energy.typ"), vec!["Carnitine Shuttle".to_string()])]
    );
    assert_eq!(g.targets[1].snippet.as_ref().unwrap().line, 16);
}

#[test]
fn headings_in_fences_are_not_targets() {
    let text = "## Paper Citation Key\n**BibTeX key:** `A2020`\n\n```\n### Primary Target: x.tex\n```\n";
    let g = parse_guide(text, "g.md", &Rules::builtin());
    assert!(g.targets.is_empty());
    assert_eq!(g.citation_keys, vec!["A2020"]);
}

#[test]
fn bibtex_fences_give_keys_and_entries() {
    let text = "## Citation\n```bibtex\n@article{Doe2021x,\n title={T}\n}\n@string{j = \"J\"}\n```\n";
    let g = parse_guide(text, "g.md", &Rules::builtin());
    assert_eq!(g.citation_keys, vec!["Doe2021x"]);
    assert_eq!(g.bib_entries.len(), 1);
    assert!(g.bib_entries[0].text.starts_with("@article{Doe2021x"));
}

#[test]
fn snippet_keys_cover_natbib_forms_without_locators() {
    let keys = keys_in_snippet(r"see \citep[p.~5]{A2020, B2021} and \textcite{C2022}; \parencites{D1}{E2}");
    assert_eq!(keys, vec!["A2020", "B2021", "C2022", "D1"]);
    assert_eq!(keys_in_snippet("#observation[x @Key2020 and @sec:intro]"), vec!["Key2020"]);
}

#[test]
fn slugs_are_lowercase_ascii() {
    assert_eq!(slugify("Keller_2024_MetabolicResponses"), "keller-2024-metabolicresponses");
    assert_eq!(slugify("INTEGRATION_GUIDE_Mei2026"), "integration-guide-mei2026");
    assert!(is_guide_name("integration_guide_x.md"));
    assert!(!is_guide_name("guide-integration.md"));
}

#[test]
fn target_headings_with_case_changing_letters_do_not_panic() {
    let g = parse_guide("### Primary:éẞẞ\n**File:** `a.tex`\n### İİ Target: b\n", "g.md", &Rules::builtin());
    assert_eq!(g.targets[0].title_hint, "éẞẞ");
    assert_eq!(g.targets.len(), 1);
}

#[test]
fn a_typst_at_sign_is_not_part_of_a_key() {
    let g = parse_guide("# G\n**Citation keys:** `@Macpherson2007`, `Other2020`\n", "g.md", &Rules::builtin());
    assert_eq!(g.citation_keys, vec!["Macpherson2007", "Other2020"]);
}

#[test]
fn folder_names_point_at_bibliography_keys() {
    let mut bib = crate::bib::Bibliography::default();
    bib.add_file("r.bib", "@article{Keller2024CPET, title={A}}\n@article{keller2024sleep, title={B}}\n@article{Cervenka2017kynurenine, title={C}}\n@article{Lim2020, title={D}}\n");
    assert_eq!(key_from_folder_name("Keller_2024_MetabolicCPETResponses", &bib).as_deref(), Some("Keller2024CPET"));
    assert_eq!(key_from_folder_name("Keller_2024_SleepStudy", &bib).as_deref(), Some("keller2024sleep"));
    assert_eq!(
        key_from_folder_name("Cervenka2017_KynureninesExercise", &bib).as_deref(),
        Some("Cervenka2017kynurenine")
    );
    assert_eq!(key_from_folder_name("Lim_2020_Review", &bib).as_deref(), Some("Lim2020"));
    bib.add_file("s.bib", "@article{Deng2025GLP1immune, title={E}}\n@article{Deng2025CoQ10Exercise, title={F}}\n");
    assert_eq!(key_from_folder_name("Deng2025_GLP1_immune", &bib).as_deref(), Some("Deng2025GLP1immune"));
    bib.add_file("u.bib", "@article{Ruhrländer2026orexin, title={G}}\n");
    assert_eq!(key_from_folder_name("Ruhrländer2026_orexin_GLP1", &bib).as_deref(), Some("Ruhrländer2026orexin"));
    // Two entries, no title word to choose by: no guess.
    assert_eq!(key_from_folder_name("Keller_2024_Other", &bib), None);
    assert_eq!(key_from_folder_name("pacing-overview", &bib), None);
}

#[test]
fn a_field_saying_where_the_text_goes_is_a_section_hint() {
    let text = "# G\n### Primary Target\n**File:** `ch15.typ`\n**Suggested addition** (after the substance P paragraph at ~line 327):\n```typst\nText @K2020.\n```\n";
    let g = parse_guide(text, "g.md", &Rules::builtin());
    assert_eq!(g.targets[0].section_hints, vec!["(after the substance P paragraph at ~line 327)"]);
}

#[test]
fn a_new_section_field_gives_the_new_heading_title() {
    let text = "# Guide\n\n## Citation Key\n`Lee2025`\n\n### Primary Target: Immune chapter\n**File:** `ch07-immune.typ`\n**New subsection:** `=== Thermal Recovery as Stress Test`\n\n### Secondary Target: Pacing\n**File:** `ch05.tex`\n**New section:** \\section{Wearable Alarms}\n";
    let g = parse_guide(text, "g.md", &Rules::builtin());
    let titles: Vec<Option<&str>> = g.targets.iter().map(|t| t.new_section.as_deref()).collect();
    assert_eq!(titles, vec![Some("Thermal Recovery as Stress Test"), Some("Wearable Alarms")]);
}

#[test]
fn a_literature_folder_name_gives_the_papers_subject() {
    assert_eq!(paper_subject("Montoya_2013_Valganciclovir").as_deref(), Some("Valganciclovir"));
    // Camel case splits as for citation keys: "CoQ10" reads as two words.
    assert_eq!(paper_subject("Maes_2009_CoQ10_Deficiency").as_deref(), Some("Co Q10 Deficiency"));
    assert_eq!(paper_subject("Keller_2024_MetabolicResponses").as_deref(), Some("Metabolic Responses"));
    assert_eq!(paper_subject("content-staging"), None);
    assert_eq!(paper_subject("2day-CPET"), None);
}

#[test]
fn a_table_of_existing_claims_gives_citation_edits_in_the_guides_file() {
    let text = "# Guide\n\n### Primary Target: Pain chapter\n**File:** `ch05-pain.typ`\n\n## Existing claims to cite\n\n| Line (approx) | Existing claim | Paper to cite |\n|---|---|---|\n| ~40 | \"Heat lowers the pain threshold in most patients\" | `@Lee2021heat` |\n| n/a | \"no line\" | `@Lee2021heat` |\n| ~52 | \"Cold has the opposite effect\" | @Ortiz2019, @Lee2021heat |\n";
    let g = parse_guide(text, "g.md", &Rules::builtin());
    type Claim<'a> = (Option<&'a str>, &'a str, Option<&'a str>, Vec<String>);
    let claims: Vec<Claim> = g
        .targets
        .iter()
        .skip(1)
        .map(|t| (t.file_hint.as_deref(), t.section_hints[0].as_str(), t.edit.as_deref(), t.keys.clone()))
        .collect();
    assert_eq!(
        claims,
        vec![
            (
                Some("ch05-pain.typ"),
                "Line ~40, text: \"Heat lowers the pain threshold in most patients\"",
                Some("Add @Lee2021heat"),
                vec!["Lee2021heat".to_string()]
            ),
            (
                Some("ch05-pain.typ"),
                "Line ~52, text: \"Cold has the opposite effect\"",
                Some("Add @Ortiz2019 @Lee2021heat"),
                vec!["Ortiz2019".to_string(), "Lee2021heat".to_string()]
            ),
        ]
    );
}

/// A guide without target headings: gaps with their spots, additions with snippets, and the
/// file named at the end under a heading, as a path from another machine.
const GAPS_AND_ADDITIONS: &str = r#"# Integration Guide: Nap Timing

## Gaps

### Gap 1: Nap Length
**Location:** Within "Crash Recovery" section (lines 120-130)
**Action:** Say how long a nap may be.

### Gap 2: Morning Light
**Location:** After line 140

## Content

### Addition 1: Nap Length
**Insert after line 125, before "Sleep carries most"**

```latex
Naps shorter than half an hour leave night sleep intact~\cite{Lee2021Naps}.
```

### Addition 2: Morning Light

```latex
Daylight soon after waking steadies the sleep rhythm.
```

## Instructions

### File to modify
`/home/someone/books/pacing/chapters/ch05-pacing.tex`

### Order of work

1. **Addition 2: Morning Light (short)**
   - After `\end{observation}` of the infections observation
2. **Something else**
   - Not about a snippet
"#;

#[test]
fn a_guide_without_target_headings_gives_one_target_per_snippet_in_the_file_it_names() {
    let g = parse_guide(GAPS_AND_ADDITIONS, "g.md", &Rules::builtin());
    assert!(!g.findings.iter().any(|f| f.code == "guide-no-targets"), "{:?}", g.findings);
    let rows: Vec<(usize, &str, Vec<&str>, usize)> = g
        .targets
        .iter()
        .map(|t| {
            let file = t.file_hint.as_deref().unwrap_or("");
            (t.rank, file, t.section_hints.iter().map(String::as_str).collect(), t.snippet.as_ref().unwrap().line)
        })
        .collect();
    let file = "/home/someone/books/pacing/chapters/ch05-pacing.tex";
    assert_eq!(
        rows,
        vec![
            (
                1,
                file,
                vec![
                    "Insert after line 125, before \"Sleep carries most\"",
                    "Within \"Crash Recovery\" section (lines 120-130)"
                ],
                17
            ),
            (2, file, vec!["After \\end{observation} of the infections observation", "After line 140"], 23),
        ]
    );
    assert_eq!(g.targets[0].title_hint, "Addition 1: Nap Length");
    assert_eq!(g.citation_keys, vec!["Lee2021Naps"]);
}

#[test]
fn file_lists_chapter_headings_and_path_fields_name_targets() {
    let text = "# Guide\n\n## Files Modified\n\n1. **`refs.bib`**\n   - Added an entry\n2. **`typst/ch07.typ`**\n   - Location: After the cytokine section, before Treatment\n";
    let g = parse_guide(text, "g.md", &Rules::builtin());
    let rows: Vec<(&str, &Vec<String>)> =
        g.targets.iter().map(|t| (t.file_hint.as_deref().unwrap(), &t.section_hints)).collect();
    assert_eq!(rows, vec![("typst/ch07.typ", &s(&["After the cytokine section, before Treatment"]))]);

    let text = "# Guide\n\n## Recommendations\n\n### Chapter 5 (Pacing) — Crash Recovery\n- Add a note on naps\n\n### Chapter 6: Sleep\n**Location:** `/src/chapters/ch06-sleep.typ`\n\n```typst\nA sentence.\n```\n\n### 1. Lee 2021\n- Chapter: `chapters/ch07.typ`\n";
    let g = parse_guide(text, "g.md", &Rules::builtin());
    let rows: Vec<(&str, &Vec<String>, bool)> =
        g.targets.iter().map(|t| (t.file_hint.as_deref().unwrap(), &t.section_hints, t.snippet.is_some())).collect();
    assert_eq!(
        rows,
        vec![
            ("Chapter 5 (Pacing)", &s(&["Crash Recovery"]), false),
            ("/src/chapters/ch06-sleep.typ", &vec![], true),
            ("chapters/ch07.typ", &vec![], false),
        ]
    );
    assert_eq!(g.targets[0].rationale.as_deref(), Some("Add a note on naps"));
}

#[test]
fn a_guide_with_target_headings_is_not_read_loosely() {
    let text = "# G\n\n### Primary Target\n**File:** `a.tex`\n\n### Addition 1: More\n```latex\nx\n```\n\n### File to modify\n`b.tex`\n";
    let g = parse_guide(text, "g.md", &Rules::builtin());
    assert!(g.targets.iter().all(|t| t.file_hint.as_deref() == Some("a.tex")), "{:?}", g.targets);
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn a_claims_table_with_a_file_column_puts_each_claim_in_its_own_file() {
    let text = "# Guide\n\n## Claims to support\n\n| File | Line | Existing claim | Cite |\n|---|---|---|---|\n| `ch05-pain.typ` | ~40 | \"Heat lowers the pain threshold in most patients\" | @Lee2021heat |\n| ch06 | ~12 | \"Cold baths shorten the flare for some\" | @Ortiz2019 |\n| — | ~70 | \"A claim in no file the guide names\" | @Ortiz2019 |\n";
    let g = parse_guide(text, "g.md", &Rules::builtin());
    let rows: Vec<(usize, Option<&str>, &str)> =
        g.targets.iter().map(|t| (t.rank, t.file_hint.as_deref(), t.section_hints[0].as_str())).collect();
    assert_eq!(
        rows,
        vec![
            (1, Some("ch05-pain.typ"), "Line ~40, text: \"Heat lowers the pain threshold in most patients\""),
            (2, Some("ch06"), "Line ~12, text: \"Cold baths shorten the flare for some\""),
        ]
    );
}

#[test]
fn later_snippets_of_a_block_keep_its_section_hints_as_block_hints() {
    let text = "# G\n\n### Chapter: Sleep\n\n**File:** `ch05-sleep.typ`\n**Section hint:** \"Crash Recovery\"\n\n**Observation:** first\n```typst\nOne.\n```\n\n**Hypothesis:** second\n```typst\nTwo.\n```\n\n**Warning:** third\n```typst\nThree.\n```\n\n#### Elsewhere\n```typst\nFour.\n```\n";
    let g = parse_guide(text, "g.md", &Rules::builtin());
    let rows: Vec<(&Vec<String>, &Vec<String>)> =
        g.targets.iter().map(|t| (&t.section_hints, &t.block_hints)).collect();
    let block = s(&["Crash Recovery"]);
    let none: Vec<String> = Vec::new();
    assert_eq!(
        rows,
        vec![
            (&block, &none),
            (&s(&["Chapter: Sleep"]), &block),
            (&s(&["Chapter: Sleep"]), &block),
            (&s(&["Elsewhere"]), &none),
        ]
    );
}

#[test]
fn an_environment_field_listing_several_kinds_gives_each_snippet_its_own() {
    let guide = r#"# Integration Guide: Sleep Papers

## Recommended Chapters

### Chapter: Sleep and Rest
**File:** `ch07-sleep.tex`
**Section hint:** "Sleep Architecture"
**Environment types:** `achievement`, `hypothesis`, `observation`

```latex
\begin{achievement}[Fewer Slow Waves]
Recordings show less slow-wave sleep~\cite{Lee2023}.
\end{achievement}
```

**Hypothesis:** arousals and pain
```latex
\begin{hypothesis}[Arousals Amplify Pain]
Brief arousals may lower pain thresholds~\cite{Lee2023}.
\end{hypothesis}
```

**Note:** plain text
```latex
Arousals are frequent~\cite{Lee2023}.
```

### Chapter: Pacing
**File:** `ch05-pacing.tex`
**Environment type:** `achievement`

```latex
\begin{observation}[Timers Help]
Timers prompt breaks~\cite{Lee2023}.
\end{observation}
```
"#;
    let g = parse_guide(guide, "g.md", &Rules::builtin());
    let kinds: Vec<Option<&str>> = g.targets.iter().map(|t| t.environment.as_deref()).collect();
    // The listed kinds go to the snippets that are one of them; a snippet without an
    // environment, or a field naming one kind, keeps the field's kind.
    assert_eq!(kinds, vec![Some("achievement"), Some("hypothesis"), Some("achievement"), Some("achievement")]);
    assert!(g.targets.iter().take(3).all(|t| t.environment_raw.as_deref().is_some_and(|r| r.contains("observation"))));
}

#[test]
fn a_guide_that_names_sections_to_add_adds_sections() {
    let with = "# Guide\n\n## Priorities\n**Section: Gut motility (ADD NEW)**\n- Add the transit finding\n\n### Primary Target\n**File:** `ch09.tex`\n**Section hint:** \"Motility\"\n";
    assert!(parse_guide(with, "g.md", &Rules::builtin()).adds_sections);
    assert!(says_new_section("Two new subsections follow the lead-in"));
    assert!(says_new_section("No existing section covers butyrate"));
    // Adding a paragraph or citations adds no section.
    let without = "# Guide\n\nAdd new paragraph after the lead-in; add new citations to the bibliography.\n\n### Primary Target\n**File:** `ch09.tex`\n";
    assert!(!parse_guide(without, "g.md", &Rules::builtin()).adds_sections);
}

#[test]
fn a_rank_field_wrapped_onto_the_next_line_keeps_its_words() {
    let text = "# G\n### Placement\n\n**Primary:** the sleep chapter (ch09 if it exists) or the sleep part of\nwhichever chapter covers daily routines\nSection: naps\n- a list item\n\n```latex\nx\n```\n";
    let g = parse_guide(text, "g.md", &Rules::builtin());
    let t = &g.targets[0];
    assert_eq!(t.file_hint.as_deref(), Some("the sleep chapter"));
    assert_eq!(
        t.title_hint,
        "the sleep chapter (ch09 if it exists) or the sleep part of whichever chapter covers daily routines"
    );
    assert_eq!(t.section_hints, vec!["naps"]);
}

#[test]
fn branch_slugs_keep_letters_of_every_script() {
    assert_eq!(branch_slug("Keller_2024_MetabolicResponses"), "keller-2024-metabolicresponses");
    assert_eq!(branch_slug("Studie_Müde"), "studie-müde");
    assert_ne!(branch_slug("Studie_Müde"), branch_slug("Studie_Möde"));
    assert_eq!(branch_slug("Усталость 2024"), "усталость-2024");
    assert_eq!(branch_slug("疲劳_研究"), "疲劳-研究");
    // Decomposed (as macOS names files) and composed forms are one slug.
    assert_eq!(branch_slug("Cafe\u{301}_Study"), branch_slug("Café_Study"));
    assert_eq!(branch_slug("— …"), "guide");
    for s in ["studie-müde", "усталость-2024", "疲劳-研究"] {
        assert!(git2::Reference::is_valid_name(&format!("refs/heads/integrate/{s}")), "{s}");
    }
}

#[test]
fn prose_at_signs_in_mail_urls_code_and_escapes_are_no_citations() {
    let text = "Ask me@Smith2020.org or see https://host.org/@Lee2021, `@Kim2022` and \\@Park2023;\n\
        cited (@Real2024).\n\n```bash\ngit log --author=@Fenced2025\n```\n\n```typst\nSee @Snippet2026.\n```\n";
    assert_eq!(keys::prose_citations(text), ["Real2024", "Snippet2026"]);
}
