//! README keeps to what the tool does (issue #22, item 12): the install step, the sample
//! `plan` and `diff` output (run here on the example book and compared), the guide templates
//! (read here as a guide and checked field by field), and a real-book section that needs no
//! folder beside the checkout.

mod common;

use common::*;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// Each `<!-- MARK: NAME -->` block of README: `(NAME, the fenced text inside)`.
fn blocks(mark: &str) -> Vec<(String, String)> {
    let text = readme();
    let mut out = Vec::new();
    let open = format!("<!-- {mark}: ");
    for part in text.split(&open).skip(1) {
        let (name, rest) = part.split_once(" -->\n").unwrap();
        let body = rest.split(&format!("<!-- end {mark} -->")).next().unwrap();
        // The fence's first line (```text, ````markdown) and its closing line go.
        let body = body.split_once('\n').unwrap().1;
        let fence_close = body.trim_end_matches('\n').rfind('\n').map_or(0, |i| i + 1);
        out.push((name.to_string(), body[..fence_close].to_string()));
    }
    out
}

#[test]
fn the_sample_output_is_what_the_commands_print() {
    let (_d, book) = git_book();
    let samples = blocks("sample");
    assert_eq!(samples.len(), 2, "a plan and a diff sample");
    for (command, shown) in samples {
        let args: Vec<&str> = command.split_whitespace().collect();
        let out = tool(&book).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{command}: {}", stderr(&out));
        let expected = format!("$ chapter-integrator {command}\n{}", stdout(&out));
        assert_eq!(shown, expected, "README's sample of `{command}` is out of date");
    }
}

#[test]
fn the_guide_templates_are_read_as_readme_says() {
    let (_d, book) = git_book();
    let templates = blocks("template");
    assert_eq!(templates.len(), 2);
    for (name, text) in &templates {
        write(&book, &format!("Literature/template/{name}"), text);
    }
    let out = tool(&book).args(["guides", "--format", "json", "Literature/template"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let guide = &doc["guides"][0];
    assert_eq!(guide["kind"], "integration-guide");
    assert_eq!(guide["citation_keys"], serde_json::json!(["Author2024word"]));
    assert_eq!(guide["bib_entries"][0]["key"], "Author2024word");
    assert_eq!(guide["phrasing"]["avoid"][0]["text"], "The treatment cures ME/CFS");
    assert_eq!(guide["findings"], serde_json::json!([]));
    let targets = guide["targets"].as_array().unwrap();
    let files: Vec<&str> = targets.iter().map(|t| t["file_hint"].as_str().unwrap()).collect();
    assert_eq!(
        files,
        [
            "chapters/ch02-treatments.tex",
            "typst/ch04-symptom-management.typ",
            "chapters/ch01-introduction.tex",
            "typst/ch03-mechanisms/ch03-mechanisms.typ"
        ]
    );
    assert_eq!(targets[0]["section_hints"], serde_json::json!(["Low-Dose Naltrexone", "Investigational Treatments"]));
    assert_eq!(targets[0]["environment"], "achievement");
    assert_eq!(targets[0]["snippet"]["labels"], serde_json::json!(["ach:author-finding"]));
    assert_eq!(targets[1]["snippet"]["language"], "typst");
    assert!(targets[1]["section_hints"][0].as_str().unwrap().starts_with("After line 31"), "{}", targets[1]);
    assert_eq!(targets[3]["snippet"]["origin"], "drafted");
    let kf = &doc["guides"][1];
    assert_eq!(kf["kind"], "key-findings");
    assert_eq!(kf["phrasing"]["certainty"], "Low");
    assert_eq!(kf["targets"][0]["file_hint"], "chapters/ch02-treatments.tex");
    // Planned, the template's targets resolve and three of them insert.
    let out = tool(&book).args(["plan", "--format", "json", "Literature/template"]).output().unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let statuses: Vec<&str> =
        plan["guides"][0]["targets"].as_array().unwrap().iter().map(|t| t["status"].as_str().unwrap()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == "insert").count(), 3, "{statuses:?}");
}

#[test]
fn readme_installs_and_needs_no_folder_beside_the_checkout() {
    let text = readme();
    assert!(text.contains("cargo install --path ."), "no install step");
    let real = text.split("## Running on a real book").nth(1).unwrap();
    let real = real.split("\n## ").next().unwrap();
    assert!(!real.contains("../shared"), "the real-book section depends on ../shared:\n{real}");
    assert!(real.contains("$SHARED/corpus/make-copy.sh"), "{real}");
}
