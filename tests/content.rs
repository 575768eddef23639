//! Content for every fence: fences that no target's section encloses are paired with the
//! guide's targets (fixtures in `fixtures/content`, described in its README), and what is
//! inserted, where, and the findings for fences left out are asserted exactly.

mod common;

use serde_json::Value;

/// `plan --format json` of the fixture guide `name` copied into the fixture book.
fn plan(name: &str) -> Value {
    let (dir, book) = common::copy_book();
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/content/{name}.md")),
    )
    .unwrap();
    let guide = format!("Literature/content/{name}/integration-guide.md");
    common::write(&book, &guide, &text);
    let (_dir, book) = common::commit_all((dir, book));
    let out = common::tool(&book).args(["plan", "--format", "json", &guide]).output().unwrap();
    assert!(out.status.code().unwrap() <= 1, "{}", common::stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `(rank, status, snippet's guide line, inserted into path, after line, inserted text)`.
type Row = (u64, String, u64, String, u64, String);

fn targets(doc: &Value) -> Vec<Row> {
    doc["guides"][0]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let ins = &t["insertion"];
            (
                t["rank"].as_u64().unwrap(),
                t["status"].as_str().unwrap().to_string(),
                t["snippet"]["line"].as_u64().unwrap_or(0),
                ins["path"].as_str().unwrap_or("").to_string(),
                ins["after_line"].as_u64().unwrap_or(0),
                ins["text"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The guide's own findings about its fences: `(code, guide line)`.
fn fence_findings(doc: &Value) -> Vec<(String, u64)> {
    doc["guides"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"].as_str().unwrap().starts_with("snippet-"))
        .map(|f| (f["code"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap()))
        .collect()
}

fn row(rank: u64, snippet_line: u64, path: &str, after: u64, text: &str) -> Row {
    (rank, "insert".into(), snippet_line, path.into(), after, text.into())
}

#[test]
fn fences_under_a_later_content_section_pair_with_the_targets_in_order() {
    let doc = plan("sibling");
    assert_eq!(
        targets(&doc),
        vec![
            row(
                1,
                22,
                "chapters/ch01-introduction.tex",
                43,
                "\\begin{observation}[Diaries Show the Delay]\n\\label{obs:diary-delay}\nActivity diaries kept for a month show the flare arriving one to two days after the effort~\\cite{Goudsmit2012pacing}.\n\\end{observation}"
            ),
            row(
                2,
                31,
                "typst/ch04-symptom-management.typ",
                42,
                "#observation(title: [Sleep Diaries])[\n  Sleep diaries kept beside activity diaries show whether a flare follows a short night @Goudsmit2012pacing.\n] <obs:sleep-diaries>"
            ),
        ]
    );
    // The fence under "Cross-References" belongs to no target: said, not dropped.
    assert_eq!(fence_findings(&doc), vec![("snippet-unpaired".to_string(), 39)]);
}

#[test]
fn a_single_target_named_in_the_preamble_owns_the_developed_content() {
    let doc = plan("preamble");
    let t = targets(&doc);
    assert_eq!(
        t,
        vec![
            row(
                1,
                14,
                "typst/ch04-symptom-management.typ",
                42,
                "#observation(title: [A Fixed Wake Time])[\n  Getting up at the same hour every day, rested or not, steadies the body clock over a few weeks @Bateman2021consensus.\n] <obs:fixed-wake-time>"
            ),
            row(
                2,
                22,
                "typst/ch04-symptom-management.typ",
                42,
                "#observation(title: [Daylight in the Morning])[\n  Half an hour of daylight soon after waking helps the same clock, and costs little energy @Bateman2021consensus.\n] <obs:morning-daylight>"
            ),
        ]
    );
    assert_eq!(fence_findings(&doc), vec![]);
}

#[test]
fn a_proposed_section_before_the_target_list_goes_where_its_location_says() {
    let doc = plan("before");
    assert_eq!(
        targets(&doc),
        vec![row(
            1,
            11,
            "typst/ch04-symptom-management.typ",
            19,
            "==== Warmth and Pain <sec:warmth-pain>\n\nWarm baths and heat packs ease muscle pain for an hour or two in many patients @Goudsmit2012pacing."
        )]
    );
    assert_eq!(doc["guides"][0]["targets"][0]["section_hints"], serde_json::json!(["Non-Pharmacological Approaches"]));
}

#[test]
fn the_full_block_wins_over_a_stub_with_its_label() {
    let doc = plan("stub");
    assert_eq!(
        targets(&doc),
        vec![row(
            1,
            16,
            "chapters/ch01-introduction.tex",
            36,
            "\\begin{observation}[Pain Is Often Disabling]\n\\label{obs:pain-disabling}\nIn clinic cohorts, pain ranks among the most disabling complaints~\\cite{Nijs2012sensitization}.\n\\end{observation}"
        )]
    );
    assert_eq!(fence_findings(&doc), vec![("snippet-stub".to_string(), 9)]);
}

#[test]
fn a_snippet_whose_first_line_names_another_file_goes_to_that_file() {
    let doc = plan("other-file");
    let t = targets(&doc);
    assert_eq!(
        t[0],
        row(
            1,
            7,
            "chapters/ch01-introduction.tex",
            52,
            "Fatigue scales differ in what they count as a change worth noticing~\\cite{McIntyre2020fatigue}."
        )
    );
    // The comment naming the file is an instruction, not text of the book.
    assert_eq!(
        (t[1].0, t[1].2, t[1].3.as_str(), t[1].5.as_str()),
        (
            2,
            13,
            "chapters/ch02-treatments.tex",
            "A trial should say in advance which change on its fatigue scale it counts as a response~\\cite{McIntyre2020fatigue}."
        )
    );
    assert_eq!(doc["guides"][0]["targets"][1]["file_hint"], "chapters/ch02-treatments.tex");
}

#[test]
fn latex_script_math_and_markdown_headings_in_a_typst_snippet_are_written_as_typst() {
    let doc = plan("typst-math");
    assert_eq!(
        targets(&doc),
        vec![row(
            1,
            7,
            "typst/ch04-symptom-management.typ",
            42,
            "==== Breathing at Night\n\n#observation(title: [Low CO#sub[2] at Night])[\n  Some patients breathe off too much CO#sub[2] while asleep; a few show Na#super[+] shifts and an IC#sub[50] is not known @Bateman2021consensus.\n] <obs:night-breathing>"
        )]
    );
    let codes: Vec<&str> = doc["guides"][0]["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"snippet-rewritten"), "{codes:?}");
    assert!(!codes.contains(&"snippet-unbalanced"), "{codes:?}");
}

#[test]
fn a_replacement_keeping_the_existing_label_replaces_that_block() {
    let doc = plan("replace");
    let t = &doc["guides"][0]["targets"][0];
    assert_eq!(t["status"], "insert");
    assert_eq!(
        t["insertion"],
        serde_json::json!({
            "after_line": 26,
            "path": "typst/ch04-symptom-management.typ",
            "replaces": 5,
            "text": "#warning-env(title: [Opioids Are Rarely Appropriate])[\n  Long-term opioid use offers little benefit for widespread pain, can worsen fatigue and\n  cognitive symptoms, and is hard to stop @Younger2014ldn. Prescribers should look for\n  alternatives before considering them.\n] <warn:opioids>"
        })
    );
    assert_eq!(t["candidates"][0]["after_line"], 26);
    assert_eq!(
        t["candidates"][0]["heading_path"],
        serde_json::json!(["Symptom Management", "Pain", "Medications for Pain"])
    );
    assert!(!t["findings"].as_array().unwrap().iter().any(|f| f["code"] == "already-applied"));
}

#[test]
fn a_replacement_that_already_reads_as_the_book_is_already_applied() {
    let (dir, book) = common::copy_book();
    let chapter = std::fs::read_to_string(book.join("typst/ch04-symptom-management.typ")).unwrap();
    let block: Vec<&str> = chapter.lines().skip(26).take(5).collect();
    let guide = format!(
        "# Guide\n\n### Primary Target: ch04\n**File:** `typst/ch04-symptom-management.typ`\n\nReplace current content with:\n\n```typst\n{}\n```\n",
        block.join("\n")
    );
    common::write(&book, "Literature/content/same/integration-guide.md", &guide);
    let (_dir, book) = common::commit_all((dir, book));
    let out = common::tool(&book)
        .args(["plan", "--format", "json", "Literature/content/same/integration-guide.md"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["guides"][0]["targets"][0]["status"], "already-applied");
}

#[test]
fn sentences_given_in_a_field_are_inserted_as_drafted_blocks() {
    let doc = plan("inline");
    assert_eq!(
        targets(&doc),
        vec![
            row(
                1,
                6,
                "chapters/ch01-introduction.tex",
                52,
                "Fatigue scales used in trials differ in what they count as a meaningful change~\\cite{McIntyre2020fatigue}."
            ),
            row(
                2,
                12,
                "typst/ch04-symptom-management.typ",
                42,
                "Sleep diaries kept for two weeks show patterns a single night cannot @Goudsmit2012pacing."
            ),
            row(
                3,
                19,
                "typst/ch04-symptom-management.typ",
                31,
                "Pain diaries show which flares follow exertion @Goudsmit2012pacing."
            ),
        ]
    );
    let origins: Vec<&Value> =
        doc["guides"][0]["targets"].as_array().unwrap().iter().map(|t| &t["snippet"]["origin"]).collect();
    assert_eq!(origins, vec![&Value::from("drafted"), &Value::from("drafted"), &Value::Null]);
}

#[test]
fn a_fence_goes_to_the_target_naming_its_label_or_title() {
    let doc = plan("labels");
    assert_eq!(
        targets(&doc),
        vec![
            row(
                1,
                24,
                "typst/ch04-symptom-management.typ",
                42,
                "#observation(title: [Morning Light and the Body Clock])[\n  Daylight soon after waking helps to set the body clock @Bateman2021consensus.\n] <obs:morning-light>"
            ),
            row(
                2,
                17,
                "chapters/ch01-introduction.tex",
                36,
                "\\begin{observation}[Pain Ranks High]\n\\label{obs:pain-ranking}\nAsked to rank their complaints, many patients put pain in the top three~\\cite{Nijs2012sensitization}.\n\\end{observation}"
            ),
        ]
    );
    assert_eq!(fence_findings(&doc), vec![("snippet-unpaired".to_string(), 30)]);
}

#[test]
fn an_alternative_wording_is_left_out_with_a_finding() {
    let (dir, book) = common::copy_book();
    let guide = "# Guide\n\n### Primary Target: ch01\n**File:** `chapters/ch01-introduction.tex`\n**Section hint:** \"Core Symptoms\"\n\n```latex\nPain is common but not part of the definition~\\cite{McIntyre2020fatigue}.\n```\n\n**Alternative phrasing:**\n\n```latex\nThe definition leaves pain out, although it is common~\\cite{McIntyre2020fatigue}.\n```\n";
    common::write(&book, "Literature/content/alt/integration-guide.md", guide);
    let (_dir, book) = common::commit_all((dir, book));
    let out = common::tool(&book)
        .args(["plan", "--format", "json", "Literature/content/alt/integration-guide.md"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        targets(&doc),
        vec![row(
            1,
            7,
            "chapters/ch01-introduction.tex",
            36,
            "Pain is common but not part of the definition~\\cite{McIntyre2020fatigue}."
        )]
    );
    assert_eq!(fence_findings(&doc), vec![("snippet-alternative".to_string(), 13)]);
}

/// `plan --format json` of the literature folder `folder` after writing `files` (path
/// relative to the folder, text) into a copy of the fixture book.
fn plan_folder(folder: &str, files: &[(&str, &str)]) -> Value {
    let (dir, book) = common::copy_book();
    for (name, text) in files {
        common::write(&book, &format!("{folder}/{name}"), text);
    }
    let (_dir, book) = common::commit_all((dir, book));
    let out = common::tool(&book).args(["plan", "--format", "json", folder]).output().unwrap();
    assert!(out.status.code().unwrap() <= 1, "{}", common::stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_warning_target_without_snippet_gets_a_drafted_warning_from_the_key_points() {
    let (_dir, book) = common::copy_book();
    let out =
        common::tool(&book).args(["plan", "--format", "json", "Literature/treatments/ketamine"]).output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &doc["guides"][0]["targets"][2];
    assert_eq!(t["snippet"]["origin"], "drafted");
    assert_eq!(
        t["insertion"],
        serde_json::json!({
            "after_line": 31,
            "path": "typst/ch04-symptom-management.typ",
            "replaces": 0,
            "text": "#warning-env(title: [Ketamine for ME/CFS])[\n*Certainty:* Low.\n- Pain relief in fibromyalgia tends to fade within hours to weeks unless infusions are repeated~@Walitt2021ketamine @Koutsaliaris2025ketamine.\n- Use requires a specialist setting with cardiovascular and mental-state monitoring.\n- Pooled case series and small randomized studies suggest short-lived pain relief after intravenous infusions.\n]"
        })
    );
    assert_eq!(
        t["candidates"][0]["heading_path"],
        serde_json::json!(["Symptom Management", "Pain", "Medications for Pain"])
    );
    let drafted: Vec<u64> = doc["guides"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "snippet-drafted")
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(drafted, vec![42]);
}

#[test]
fn an_integration_point_without_snippet_gets_a_drafted_block_in_its_environment() {
    let kf = "# Key Findings: Night Sweats After Exertion\n\n## Main Findings\n\n1. **Night sweats:** Two in three patients reported night sweats after a day of exertion.\n2. **Timing:** The sweats began within two nights and broke up sleep for up to a week.\n\n## Integration Points\n\n### Symptom Management chapter: Sleep\n- Evidence: Night sweats often follow exertion and disturb sleep for several nights.\n- Certainty: Low (one small survey)\n- Environment: `observation`\n";
    let doc = plan_folder("Literature/symptoms/Doe_2024_NightSweats", &[("key-findings.md", kf)]);
    let t = &doc["guides"][0]["targets"][0];
    assert_eq!(t["snippet"]["origin"], "drafted");
    assert_eq!(t["insertion"]["path"], "typst/ch04-symptom-management.typ");
    assert_eq!(
        t["insertion"]["text"],
        "#observation(title: [Night Sweats After Exertion])[\n*Certainty:* Low (one small survey).\n- The sweats began within two nights and broke up sleep for up to a week.\n- Night sweats often follow exertion and disturb sleep for several nights.\n]"
    );
    // The point's heading names the chapter, no section: the block goes where relevance puts it.
    assert_eq!(t["candidates"][0]["heading_path"], serde_json::json!(["Symptom Management"]));
    assert_eq!(t["insertion"]["after_line"], t["candidates"][0]["after_line"]);
}

#[test]
fn key_findings_fences_beside_a_guide_are_reported_not_inserted() {
    let guide = "# Integration Guide: Night Light\n\n### Primary Target: ch04\n**File:** `typst/ch04-symptom-management.typ`\n**Section hint:** \"Sleep\"\n\n```latex\n\\begin{observation}[Dim Evenings]\n\\label{obs:dim-evenings}\nDimmer evenings helped some patients fall asleep~\\cite{Bateman2021consensus}.\n\\end{observation}\n```\n";
    let kf = "# Key Findings: Night Light\n\n## Main Findings\n\n1. Dimmer evenings helped some patients fall asleep sooner.\n\n## Suggested Wording\n\n```latex\n\\begin{observation}[Dim Evenings Help]\n\\label{obs:dim-evenings}\nPatients fell asleep sooner in dim light~\\cite{Bateman2021consensus}.\n\\end{observation}\n```\n\n```typst\n#observation(title: [Screens])[Screens late at night kept patients awake @Bateman2021consensus.]\n```\n";
    let folder = "Literature/sleep/night-light";
    let doc = plan_folder(folder, &[("integration-guide.md", guide), ("key-findings.md", kf)]);
    let reported: Vec<(String, u64, String)> = doc["guides"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "snippet-key-findings")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().into(),
            )
        })
        .collect();
    let kf_path = format!("{folder}/key-findings.md");
    assert_eq!(
        reported,
        vec![
            (kf_path.clone(), 9, "this key-findings fence is not inserted: the guide's primary target carries a snippet with its label".to_string()),
            (kf_path, 16, "this key-findings fence is not inserted: the folder's integration guide names the targets and their snippets".to_string()),
        ]
    );
    let targets = doc["guides"][0]["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0]["snippet"]["line"], 7);
}

#[test]
fn an_instruction_to_cite_a_paper_adds_it_to_the_sentence_that_states_its_point() {
    // "Cite X for Y" with no snippet and no quoted sentence: the key goes before the full stop
    // of the sentence that best states Y, beside the citation the rationale names.
    let guide = "# Integration Guide: Stretching Trial\n\n## Paper Citation Key\n**BibTeX key:** `McIntyre2020fatigue`\n\n### Primary Target: ch04\n**File:** `typst/ch04-symptom-management.typ`\n**Environment type:** marginal citation\n**Rationale:** The chapter already cites `@Goudsmit2012pacing` for gentle stretching and careful pacing easing pain flares. Add `@McIntyre2020fatigue` alongside as trial support for stretching within energy limits.\n";
    let doc = plan_folder("Literature/pain/stretching", &[("integration-guide.md", guide)]);
    let t = &doc["guides"][0]["targets"][0];
    assert_eq!(t["status"], "insert");
    assert_eq!(
        t["insertion"],
        serde_json::json!({
            "after_line": 16,
            "path": "typst/ch04-symptom-management.typ",
            "replaces": 2,
            "text": "Gentle stretching within energy limits, heat packs, and careful pacing can all\nreduce the intensity of pain flares @Goudsmit2012pacing @McIntyre2020fatigue. These approaches carry"
        })
    );
    assert_eq!(t["candidates"][0]["after_line"], 16);
}
