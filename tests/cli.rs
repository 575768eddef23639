//! End-to-end tests of the commands on the fixture book: plan, diff, check, exit statuses.

mod common;

use common::{copy_book, git, git_book, stderr, stdout, tool, write};

const KETAMINE: &str = "Literature/treatments/ketamine";

#[test]
fn plan_text_snapshot() {
    let (_d, book) = git_book();
    let out = tool(&book).args(["plan", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn plan_json_has_the_fixed_shape() {
    let (_d, book) = git_book();
    let out = tool(&book).args(["plan", "--format", "json", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], 1);
    let g = &v["guides"][0];
    assert_eq!(g["guide"], "Literature/treatments/ketamine/integration-guide.md");
    assert_eq!(g["citation_keys"], serde_json::json!(["Walitt2021ketamine", "Koutsaliaris2025ketamine"]));
    let t = &g["targets"];
    assert_eq!(t.as_array().unwrap().len(), 3);
    assert_eq!(t[0]["rank"], 1);
    assert_eq!(t[0]["environment"], "hypothesis");
    assert_eq!(t[0]["snippet"]["labels"], serde_json::json!(["hyp:ketamine-central-sensitization"]));
    assert_eq!(t[0]["candidates"][0]["path"], "chapters/ch02/sec-nmda-antagonists.tex");
    assert_eq!(
        t[0]["candidates"][0]["heading_path"],
        serde_json::json!(["Treatment Options", "Pharmacological Treatments", "NMDA Receptor Antagonists"])
    );
    assert_eq!(t[1]["file_hint"], "typst/ch05-mechanisms/ch05-mechanisms.typ");
    assert_eq!(t[1]["resolved"]["path"], "typst/ch03-mechanisms/ch03-mechanisms.typ");
    assert_eq!(t[1]["resolved"]["method"], "slug");
    assert_eq!(t[1]["candidates"][0]["path"], "typst/ch03-mechanisms/sec-01-neuroinflammation.typ");
    // No snippet: a warning drafted from the guide's key points and the key findings.
    assert_eq!(t[2]["snippet"]["origin"], "drafted");
    assert_eq!(t[2]["snippet"]["title"], "Ketamine for ME/CFS");
    assert_eq!(t[2]["environment_raw"], "warning");
    assert_eq!(t[2]["insertion"]["path"], "typst/ch04-symptom-management.typ");
    assert!(!t[2]["findings"].as_array().unwrap().iter().any(|f| f["code"] == "snippet-missing"));
    assert!(t[0]["candidates"].as_array().unwrap().len() <= 5);
}

#[test]
fn plan_explain_lists_every_candidate_with_its_signals_weights_and_contributions() {
    let (_d, book) = git_book();
    let out = tool(&book).args(["plan", "--format", "json", "--explain", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &v["guides"][0]["targets"];
    // Every section of the chapter and its included files, not the best five: 8 sections'
    // ends and the related paragraphs inside three of them (spots other than their ends).
    let all = t[0]["candidates"].as_array().unwrap();
    assert_eq!(all.len(), 11);
    let inside =
        all.iter().filter(|c| c["signals"].as_array().unwrap().iter().any(|s| s["name"] == "related_paragraph"));
    assert_eq!(inside.count(), 3);
    let c = &t[1]["candidates"][0];
    assert_eq!(c["path"], "typst/ch03-mechanisms/sec-01-neuroinflammation.typ");
    assert_eq!(c["after_line"], 25);
    assert_eq!(c["raw"], 9.9);
    assert_eq!(c["score"], 0.832);
    assert_eq!(
        c["signals"],
        serde_json::json!([
            {"contribution": 4.0, "name": "hint_title", "rule": "hint", "value": 1.0, "weight": 4.0},
            {"contribution": 3.5, "name": "hint_parent", "rule": "hint_parent", "value": 1.0, "weight": 3.5},
            {"contribution": 2.0, "name": "relevance", "rule": "relevance", "value": 1.0, "weight": 2.0},
            {"contribution": 0.4, "name": "same_environment", "rule": "same_environment", "value": 1.0, "weight": 0.4},
            {"contribution": 1.0, "name": "section_end", "rule": "spot_end", "value": 1.0, "weight": 1.0}
        ])
    );
    // The spot signal orders the spots of the section and is not part of `raw`.
    assert_eq!(c["spot"], 1.0);
    assert_eq!(c["reasons"].as_array().unwrap().len(), 5);
    // Without --explain: the best five, no raw score and no signals.
    let out = tool(&book).args(["plan", "--format", "json", KETAMINE]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &v["guides"][0]["targets"][0]["candidates"];
    assert_eq!(c.as_array().unwrap().len(), 5);
    assert!(c[0].get("signals").is_none() && c[0].get("raw").is_none(), "{c}");
}

#[test]
fn diff_snapshot_applies_with_git() {
    let (_d, book) = git_book();
    let out = tool(&book).args(["diff", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let patch = stdout(&out);
    insta::assert_snapshot!(patch);
    std::fs::write(book.join("../k.patch"), &patch).unwrap();
    git(&book, &["apply", "--check", "../k.patch"]);
    assert_eq!(git(&book, &["status", "--porcelain"]), "", "diff wrote to the work tree");
}

#[test]
fn diff_output_writes_a_patch_file() {
    let (_d, book) = git_book();
    let out = tool(&book).args(["diff", KETAMINE, "--output", "../out.patch"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "");
    let patch = std::fs::read_to_string(book.join("../out.patch")).unwrap();
    assert!(patch.starts_with("diff --git a/chapters/ch02/sec-nmda-antagonists.tex"), "{patch}");
}

#[test]
fn book_outside_git_is_read_from_disk() {
    let (_d, book) = copy_book();
    let out = tool(&book).args(["diff", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("+#observation(title: [Ketamine Dampens Microglial Cytokine Release])["));
}

#[test]
fn check_whole_book_passes_with_warnings() {
    let (_d, book) = git_book();
    let out = tool(&book).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.ends_with("checked 2 guide(s): 0 error(s), 1 warning(s)\n"), "{text}");
    assert!(text.contains("warning[target-resolved-loosely]"));
}

#[test]
fn malformed_guide_is_a_finding_with_file_and_line() {
    let (_d, book) = git_book();
    let dir = book.join("Literature/broken");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("integration-guide.md"),
        "# Guide\n\n## Paper Citation Key\n**BibTeX key:** `Younger2014ldn`\n\n### Primary Target: somewhere\n**Section hint:** \"Pain\"\n\n```latex\n\\begin{observation}\nunclosed\n```\n",
    )
    .unwrap();
    let out = tool(&book).args(["plan", "Literature/broken"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(
            "error[target-file-missing] Literature/broken/integration-guide.md:6: the primary target names no file"
        ),
        "{text}"
    );
    assert!(text.contains("error[guide-unresolvable]") || text.contains("nothing to insert"), "{text}");
}

#[test]
fn unknown_citation_key_fails_with_status_1() {
    let (_d, book) = git_book();
    let guide = book.join("Literature/treatments/low-dose-naltrexone/integration-guide.md");
    let text = std::fs::read_to_string(&guide).unwrap().replace("`Younger2014ldn`", "`Nobody2099unknown`");
    std::fs::write(&guide, text).unwrap();
    let out = tool(&book).args(["check", "Literature/treatments/low-dose-naltrexone"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("error[citation-key-missing]"), "{}", stdout(&out));
}

#[test]
fn tool_failures_exit_2() {
    let (_d, book) = git_book();
    let out = tool(&book).args(["plan", "Literature/does-not-exist"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("does-not-exist"), "{}", stderr(&out));
    let out = tool(&book).args(["plan", "--format", "yaml", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = tool(&book).args(["plan"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_documents_exit_statuses() {
    let out = tool(std::path::Path::new(".")).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("1  at least one finding of error severity"), "{text}");
    assert!(text.contains("2  the tool itself failed"), "{text}");
}

#[test]
fn missing_keys_point_at_the_guide_line_and_suggest_near_keys() {
    let (_d, book) = git_book();
    let guide = book.join("Literature/treatments/low-dose-naltrexone/integration-guide.md");
    let text = std::fs::read_to_string(&guide).unwrap().replace("Younger2014ldn", "Younger2014LowDose");
    std::fs::write(&guide, text).unwrap();
    let out = tool(&book).args(["check", "Literature/treatments/low-dose-naltrexone"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("error[citation-key-missing] Literature/treatments/low-dose-naltrexone/integration-guide.md:4: citation key `Younger2014LowDose`"),
        "{text}"
    );
    assert!(text.contains("or cite an existing entry: `Younger2014ldn`"), "{text}");
}

#[test]
fn a_guide_without_target_headings_is_planned_in_the_file_it_names() {
    let (_d, book) = git_book();
    let dir = book.join("Literature/loose");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("integration-guide.md"),
        "# Guide: Starting LDN\n\n## Paper Citation Key\n**BibTeX key:** `Younger2014ldn`\n\n## Gaps\n\n### Gap 1: Starting dose\n**Location:** Within \"Low-Dose Naltrexone\" section (lines 128-140)\n\n## Content\n\n### Addition 1: Starting dose\n\n```latex\nMost clinicians start low and raise the dose slowly~\\cite{Younger2014ldn}.\n```\n\n## Instructions\n\n### File to modify\n`/home/elsewhere/book/chapters/ch02-treatments.tex`\n",
    )
    .unwrap();
    let out = tool(&book).args(["plan", "--format", "json", "Literature/loose"]).output().unwrap();
    assert!(out.status.code().unwrap() <= 1, "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let targets = doc["guides"][0]["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 1, "{doc}");
    assert_eq!(targets[0]["resolved"]["path"], "chapters/ch02-treatments.tex");
    let top = &targets[0]["candidates"][0];
    assert_eq!(top["heading_path"].as_array().unwrap().last().unwrap(), "Low-Dose Naltrexone", "{top}");
    // Planning writes nothing.
    assert_eq!(git(&book, &["status", "--porcelain", "--untracked-files=no"]), "");
}

#[test]
fn an_unresolved_target_offers_the_closest_file_for_review_and_inserts_nothing() {
    let (_d, book) = git_book();
    // A path from a layout the book no longer has, naming no chapter of today's book.
    write(
        &book,
        "Literature/stale/integration-guide.md",
        "# Integration Guide: Glia\n\n## Paper Citation Key\n**BibTeX key:** `Nakatomi2014microglia`\n\n\
         ### Primary Target: Chapter 31 - Glial Biology\n**File:** `contents/part09-old/ch31-glial-biology.tex`\n\n\
         ```latex\nMicroglial activation seen on PET tracks symptom severity~\\cite{Nakatomi2014microglia}.\n```\n",
    );
    let out = tool(&book).args(["plan", "--format", "json", "Literature/stale"]).output().unwrap();
    assert!(out.status.code().unwrap() <= 1, "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &doc["guides"][0]["targets"][0];
    assert_eq!(t["resolved"], serde_json::Value::Null, "{t}");
    assert_eq!(t["status"], "skipped");
    assert!(t["findings"].as_array().unwrap().iter().any(|f| f["code"] == "target-unresolved"), "{t}");
    // The closest file by name and content is offered, marked as a guess.
    let top = &t["candidates"][0];
    assert_eq!(top["path"], "typst/ch03-mechanisms/sec-01-neuroinflammation.typ", "{top}");
    assert!(top["reasons"][0].as_str().unwrap().starts_with("no file matches the target;"), "{top}");
    // Nothing is inserted.
    let out = tool(&book).args(["diff", "Literature/stale"]).output().unwrap();
    assert_eq!(stdout(&out), "", "{}", stderr(&out));
}

#[test]
fn a_resolution_confidence_is_at_most_one() {
    let (_d, book) = git_book();
    // Trailing words after the file name: fuzzy, with the folder and chapter number priors.
    write(
        &book,
        "Literature/junk/integration-guide.md",
        "# G\n\n**BibTeX key:** `Younger2014ldn`\n\n### Primary Target: Chapter 2 Treatments\n\
         **File:** `chapters/ch02-treatments.tex (section 2)`\n**Section hint:** \"Pacing and Energy Management\"\n\n\
         ```latex\nLow doses help~\\cite{Younger2014ldn}.\n```\n",
    );
    let out = tool(&book).args(["plan", "--format", "json", "Literature/junk"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &doc["guides"][0]["targets"][0];
    assert_eq!(
        t["resolved"],
        serde_json::json!({"path": "chapters/ch02-treatments.tex", "method": "fuzzy", "confidence": 1.0}),
        "{t}"
    );
    assert_eq!(t["findings"][0]["code"], "target-resolved-loosely", "{t}");
    assert!(t["findings"][0]["message"].as_str().unwrap().ends_with("(found by fuzzy, confidence 1.00)"), "{t}");
}
