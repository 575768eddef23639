//! `guides`: what is extracted from each template family of integration guide (fixtures in
//! `fixtures/guide-families`, described in its README), asserted exactly.

mod common;

use serde_json::Value;

fn inventory() -> Value {
    let (_dir, book) = common::book_with_families();
    let out = common::tool(&book).args(["guides", "--format", "json", "Literature/families"]).output().unwrap();
    assert!(out.status.code().unwrap() <= 1, "{}", common::stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn guide<'a>(doc: &'a Value, path_end: &str) -> &'a Value {
    doc["guides"].as_array().unwrap().iter().find(|g| g["guide"].as_str().unwrap().ends_with(path_end)).unwrap()
}

/// `(rank, file_hint, section_hints, environment, snippet language, snippet labels, keys)`.
type Row = (u64, String, Vec<String>, Option<String>, Option<String>, Vec<String>, Vec<String>);

fn targets(g: &Value) -> Vec<Row> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array().map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect()).unwrap_or_default()
    };
    g["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["rank"].as_u64().unwrap(),
                t["file_hint"].as_str().unwrap_or("").to_string(),
                strings(&t["section_hints"]),
                t["environment"].as_str().map(str::to_string),
                t["snippet"]["language"].as_str().map(str::to_string),
                strings(&t["snippet"]["labels"]),
                strings(&t["citation_keys"]),
            )
        })
        .collect()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn every_family_is_listed_with_its_kind_and_the_whole_inventory_is_stable() {
    let doc = inventory();
    let listed: Vec<(String, String)> = doc["guides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["guide"].as_str().unwrap().trim_start_matches("Literature/families/").to_string(),
                g["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = [
        ("batch/EXERTION_INTEGRATION_GUIDE.md", "integration-guide"),
        ("bib-supplied/integration-guide.md", "integration-guide"),
        ("citation-edit/integration-guide-sensitization-ch03.md", "integration-guide"),
        ("label-addressed/integration-guide.md", "integration-guide"),
        ("label-addressed/key-findings.md", "key-findings"),
        ("line-anchored/integration-guide.md", "integration-guide"),
        ("map-report/integration-guide-treatment-evidence-map.md", "integration-guide"),
        ("per-paper/integration-guide.md", "integration-guide"),
        ("per-paper/key-findings.md", "key-findings"),
        ("typst-topic/INTEGRATION_GUIDE_exertional-pain.md", "integration-guide"),
    ];
    assert_eq!(listed, expect.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>());
    insta::assert_json_snapshot!(doc);
}

#[test]
fn per_paper_guide() {
    let doc = inventory();
    let g = guide(&doc, "per-paper/integration-guide.md");
    assert_eq!(g["citation_keys"], serde_json::json!(["Cortes2018gaba"]));
    assert_eq!(
        targets(g),
        vec![
            (
                1,
                "typst/ch03-mechanisms/sec-01-neuroinflammation.typ".into(),
                s(&["Glutamate and GABA Imbalance"]),
                Some("hypothesis".into()),
                Some("latex".into()),
                s(&["hyp:glutamate-energy-strain"]),
                s(&["Cortes2018gaba"])
            ),
            (
                2,
                "chapters/ch02-treatments.tex".into(),
                s(&["NMDA Receptor Antagonists", "Safety Considerations"]),
                Some("observation".into()),
                Some("latex".into()),
                s(&["obs:glutamate-shift"]),
                s(&["Cortes2018gaba"])
            ),
            (
                3,
                "chapters/ch04-symptom-management.tex".into(),
                s(&["Sleep"]),
                Some("open-question".into()),
                // No snippet: an open question drafted from the key points (`guide::draft`).
                Some("latex".into()),
                vec![],
                s(&["Cortes2018gaba"])
            ),
        ]
    );
    let avoid: Vec<&str> =
        g["phrasing"]["avoid"].as_array().unwrap().iter().map(|a| a["text"].as_str().unwrap()).collect();
    assert_eq!(avoid, vec!["ME/CFS is caused by excess glutamate", "Spectroscopy proves an excitatory imbalance"]);
    // The key findings beside it take the guide's key.
    assert_eq!(guide(&doc, "per-paper/key-findings.md")["citation_keys"], serde_json::json!(["Cortes2018gaba"]));
}

#[test]
fn batch_guide_gives_each_paper_its_own_key() {
    let doc = inventory();
    let g = guide(&doc, "batch/EXERTION_INTEGRATION_GUIDE.md");
    assert_eq!(
        g["citation_keys"],
        serde_json::json!(["Goudsmit2012pacing", "Nijs2012sensitization", "Lindahl2024diary"])
    );
    assert_eq!(
        g["bib_entries"],
        serde_json::json!([{"key": "Lindahl2024diary", "source": "Literature/families/batch/EXERTION_INTEGRATION_GUIDE.md"}])
    );
    let by_line: Vec<(u64, Vec<String>)> = g["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["line"].as_u64().unwrap(),
                t["citation_keys"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()).collect(),
            )
        })
        .collect();
    let mut by_line = by_line;
    by_line.sort();
    assert_eq!(
        by_line,
        vec![
            (13, s(&["Goudsmit2012pacing"])),
            (25, s(&["Goudsmit2012pacing"])),
            (39, s(&["Nijs2012sensitization"])),
            (57, s(&["Lindahl2024diary"]))
        ]
    );
}

#[test]
fn line_anchored_hints_keep_the_line_and_the_quoted_text() {
    let doc = inventory();
    let g = guide(&doc, "line-anchored/integration-guide.md");
    let hints: Vec<Vec<String>> = targets(g).into_iter().map(|t| t.2).collect();
    assert_eq!(hints.len(), 4);
    assert!(hints[0][0].starts_with("After line 14") && hints[0][0].contains("\"as their condition changes"));
    assert!(hints[2][0].contains("before \"== Sleep <sec:sleep>\""));
}

#[test]
fn typst_topic_guide_reads_keys_from_its_table_and_list() {
    let doc = inventory();
    let g = guide(&doc, "typst-topic/INTEGRATION_GUIDE_exertional-pain.md");
    let keys: Vec<&str> = g["citation_keys"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
    for k in ["Nijs2012sensitization", "Arvidsen2024exertionPain", "Walitt2021ketamine", "Younger2014ldn"] {
        assert!(keys.contains(&k), "{k} in {keys:?}");
    }
    let t = targets(g);
    assert_eq!((t[0].1.as_str(), t[0].4.as_deref()), ("typst/ch03-mechanisms/", Some("typst")));
    assert_eq!(t[0].3.as_deref(), Some("observation"));
}

#[test]
fn a_table_row_without_its_key_is_a_finding_with_its_line() {
    let (_dir, book) = common::book_with_families();
    let dir = book.join("Literature/broken");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("integration-guide.md"),
        "# Broken\n\n| Bib Key | Claim |\n|---|---|\n| `Goudsmit2012pacing` | pacing helps |\n|  | a claim with no key |\n\n### Primary Target\n**File:** `chapters/ch02-treatments.tex`\n\n```latex\nText \\cite{Goudsmit2012pacing}.\n",
    )
    .unwrap();
    let out = common::tool(&book).args(["guides", "--format", "json", "Literature/broken"]).output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings: Vec<(String, u64)> = doc["guides"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(findings, vec![("guide-table-key-missing".to_string(), 6), ("snippet-fence-unclosed".to_string(), 11)]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn an_entry_supplied_by_the_folder_is_appended_with_the_readme_status_in_one_diff() {
    let (_dir, book) = common::git_book_with_families();
    let out = common::tool(&book).args(["-v", "diff", "Literature/families/bib-supplied"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let patch = common::stdout(&out);
    let files: Vec<&str> =
        patch.lines().filter_map(|l| l.strip_prefix("diff --git a/")).map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(
        files,
        vec!["Literature/families/bib-supplied/README.md", "references.bib", "typst/ch04-symptom-management.typ"]
    );
    // The .bib file only gains lines, at its end.
    let bib_part = patch.split("diff --git a/references.bib").nth(1).unwrap().split("diff --git").next().unwrap();
    assert!(!bib_part.lines().any(|l| l.starts_with('-') && !l.starts_with("---")));
    assert!(bib_part.contains("+@article{Haldorsen2025teens,"));
    assert!(patch.contains("-**References.bib entries:** Pending\n+**References.bib entries:** Done (Haldorsen2025teens added to references.bib)\n"));
    assert!(patch.contains("+] <obs:evening-orthostatic-rise>"));
    // The info finding says where the entry went.
    assert!(common::stderr(&out).contains("citation-key-added"), "{}", common::stderr(&out));
    common::assert_applies(&book, &patch);
}

#[test]
fn a_key_differing_only_by_case_is_written_as_the_bibliography_spells_it() {
    let (_dir, book) = common::git_book_with_families();
    let dir = book.join("Literature/case-key");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("integration-guide.md"),
        "# Case\n\n**BibTeX key:** `goudsmit2012PACING`\n\n### Primary Target\n**File:** `chapters/ch02-treatments.tex`\n**Section hint:** \"Pacing and Energy Management\"\n\n```latex\nLimits vary between people~\\cite{goudsmit2012PACING}.\n```\n",
    )
    .unwrap();
    let out = common::tool(&book).args(["diff", "Literature/case-key"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let patch = common::stdout(&out);
    assert!(patch.contains("+Limits vary between people~\\cite{Goudsmit2012pacing}."), "{patch}");
    assert!(!patch.contains("references.bib"));
    assert!(common::stderr(&out).contains("citation-key-case"));
}

#[test]
fn citation_edits_change_the_quoted_sentences_in_place() {
    let (_dir, book) = common::git_book_with_families();
    let guide = "Literature/families/citation-edit/integration-guide-sensitization-ch03.md";
    let out = common::tool(&book).args(["diff", guide]).output().unwrap();
    let patch = common::stdout(&out);
    // Target 1: the key goes before the sentence's full stop; the line's rest stays.
    assert!(
        patch.contains(
            "-In healthy people, exercise usually dampens pain for a short while. In many\n\
         +In healthy people, exercise usually dampens pain for a short while @Nijs2012sensitization. In many\n"
        ),
        "{patch}"
    );
    // Target 2: the sentence (over two lines) is replaced by the guide's version.
    assert!(patch.contains(
        "-brain neurons. Repeated activation strengthens the connection, so that the\n\
         +brain neurons, the same receptor that ketamine blocks @Koutsaliaris2025ketamine. Repeated activation strengthens the connection, so that the\n"
    ), "{patch}");
    // Target 3: the guide's sentence follows the quoted one in the same paragraph.
    assert!(patch.contains(
        "+drugs that lower NMDA receptor activity attract interest as possible treatments. In bipolar depression, one such drug reduced fatigue within hours @McIntyre2020fatigue, an effect that has not been looked for in ME/CFS.\n"
    ), "{patch}");
    // Target 4 (LaTeX): the sentence rewritten with its citation, not repeated.
    assert!(
        patch.contains(
            "+Most treatment studies in ME/CFS are small, short, and open-label~\\cite{Bateman2021consensus}. We\n"
        ),
        "{patch}"
    );
    assert_eq!(patch.matches("Most treatment studies in ME/CFS").count(), 2, "{patch}");
    // No block is inserted: every hunk removes as many lines as it adds.
    let added = patch.lines().filter(|l| l.starts_with('+') && !l.starts_with("+++")).count();
    let removed = patch.lines().filter(|l| l.starts_with('-') && !l.starts_with("---")).count();
    assert_eq!(added, removed, "{patch}");
    // The plan's first candidate is the line before each edited one.
    let plan = common::tool(&book).args(["plan", "--format", "json", guide]).output().unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let firsts: Vec<(i64, i64)> = plan["guides"][0]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["candidates"][0]["after_line"].as_i64().unwrap(), t["insertion"]["replaces"].as_i64().unwrap()))
        .collect();
    assert_eq!(firsts, vec![(9, 1), (14, 2), (20, 1), (46, 1)]);
    common::assert_applies(&book, &patch);
}

#[test]
fn two_edits_of_one_sentence_keep_the_first_and_say_so() {
    let (_dir, book) = common::git_book_with_families();
    common::write(
        &book,
        "Literature/two-edits/integration-guide.md",
        "# Integration Guide: two edits\n\n**File:** `typst/ch03-mechanisms/sec-02-central-sensitization.typ`\n\n\
         ## Integration Target 1: first\n\n**Location:** Line ~10, text: \"In healthy people, exercise usually dampens pain\"\n\n\
         **Edit:** Add `@Nijs2012sensitization` at the end of this sentence.\n\n\
         ## Integration Target 2: second\n\n**Location:** Line ~10, text: \"exercise usually dampens pain for a short while\"\n\n\
         **Edit:** Add `@Koutsaliaris2025ketamine` at the end of this sentence.\n",
    );
    common::git(&book, &["add", "-A"]);
    common::git(&book, &["commit", "-q", "-m", "guide"]);
    let out = common::tool(&book).args(["diff", "Literature/two-edits"]).output().unwrap();
    let patch = common::stdout(&out);
    assert!(
        patch.contains(
            "+In healthy people, exercise usually dampens pain for a short while @Nijs2012sensitization. In many\n"
        ),
        "{patch}"
    );
    assert!(!patch.contains("Koutsaliaris2025ketamine"), "{patch}");
    let err = common::stderr(&out);
    assert!(err.contains("warning[edit-overlap]") && err.contains("two targets change line 10"), "{err}");
}
