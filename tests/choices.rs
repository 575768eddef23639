//! `--pick TARGET=N` and `--at TARGET=FILE:LINE` on `plan`, `diff` and `apply`: the chosen
//! spot leads the target's candidates, the text goes there, the review summary and the
//! commit record the choice; a bad target, number, file or line is a usage error (status
//! 2) naming what exists.

mod common;
use common::*;

const KETAMINE: &str = "Literature/treatments/ketamine";
const LDN: &str = "Literature/treatments/low-dose-naltrexone";

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

/// `(path, after_line)` of each candidate of the guide's target of rank `rank`.
fn candidates(doc: &serde_json::Value, rank: u64) -> Vec<(String, u64)> {
    let target = doc["guides"][0]["targets"].as_array().unwrap().iter().find(|t| t["rank"] == rank).unwrap();
    target["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["path"].as_str().unwrap().to_string(), c["after_line"].as_u64().unwrap()))
        .collect()
}

#[test]
fn pick_moves_the_nth_candidate_first_in_plan_diff_and_apply() {
    let (_d, book) = git_book();
    let before = json(&tool(&book).args(["plan", "--format", "json", KETAMINE]).output().unwrap());
    let listed = candidates(&before, 1);
    assert!(listed.len() >= 2, "{listed:?}");
    let second = listed[1].clone();
    let out = tool(&book).args(["plan", "--format", "json", KETAMINE, "--pick", "primary=2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after = json(&out);
    let primary = &after["guides"][0]["targets"][0];
    assert_eq!(candidates(&after, 1)[0], second);
    assert_eq!(primary["insertion"]["path"], second.0.as_str());
    assert_eq!(primary["insertion"]["after_line"], second.1);
    assert_eq!(primary["review"], false);
    assert_eq!(
        primary["candidates"][0]["reasons"][0],
        "chosen by the reviewer with --pick primary=2 (ranked 2 by the tool)"
    );
    // The old first candidate is still listed, second now.
    assert_eq!(candidates(&after, 1)[1], listed[0]);
    // The secondary target is untouched.
    assert_eq!(candidates(&after, 2), candidates(&before, 2));

    // diff puts the text there; apply commits the same, and records the pick.
    let diff = tool(&book).args(["diff", KETAMINE, "--pick", "primary=2"]).output().unwrap();
    let patch = stdout(&diff);
    assert!(patch.contains(&format!("+++ b/{}", second.0)), "{patch}");
    let summary = book.join("../summary.md");
    let out = tool(&book)
        .args(["apply", KETAMINE, "--pick", "primary=2", "--summary", summary.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains(&format!(
            "- **primary** `chapters/ch02-treatments.tex` → **chosen by the reviewer** (`--pick primary=2`): `{}` after line {}",
            second.0, second.1
        )),
        "{md}"
    );
    let message = git(&book, &["log", "-1", "--format=%B", "integrate/ketamine"]);
    assert!(message.contains(&format!("- primary: {} after line {} (", second.0, second.1)), "{message}");
    assert!(message.contains("), chosen with --pick primary=2\n"), "{message}");
    let shown = git(&book, &["diff", "main", "integrate/ketamine", "--", &second.0]);
    assert!(shown.contains("+\\label{hyp:ketamine-central-sensitization}"), "{shown}");
}

#[test]
fn at_puts_the_text_after_the_line_given() {
    let (_d, book) = git_book();
    // The last prose line under "Pharmacological Treatments", before its Low-Dose
    // Naltrexone subsection: not the candidate the tool lists first.
    let text = std::fs::read_to_string(book.join("chapters/ch02-treatments.tex")).unwrap();
    let line = text.lines().position(|l| l.starts_with("\\subsection{Low-Dose Naltrexone}")).unwrap() - 1;
    let at = format!("1=chapters/ch02-treatments.tex:{line}");
    let out = tool(&book).args(["plan", "--format", "json", LDN, "--at", &at]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let primary = &doc["guides"][0]["targets"][0];
    assert_eq!(primary["insertion"]["path"], "chapters/ch02-treatments.tex");
    assert_eq!(primary["insertion"]["after_line"], line);
    assert_eq!(primary["candidates"][0]["heading_path"][1], "Pharmacological Treatments");
    let reason = primary["candidates"][0]["reasons"][0].as_str().unwrap();
    assert!(reason.starts_with(&format!("chosen by the reviewer with --at {at}")), "{reason}");
    let diff = tool(&book).args(["diff", LDN, "--at", &at]).output().unwrap();
    let patch = stdout(&diff);
    // The hunk's three lines of context end at the line given (and the blank after it).
    assert!(patch.contains(&format!("@@ -{},", line - 1)), "the hunk is at line {line}:\n{patch}");
    assert!(patch.contains("+\\label{ach:ldn-pilot}"), "{patch}");
}

#[test]
fn a_pick_takes_a_low_confidence_target_in() {
    let (dir, book) = copy_book();
    write(
        &book,
        "Literature/treatments/pacing-note/integration-guide.md",
        "# Integration Guide: pacing note\n\n## Citation Key\n`Walitt2021ketamine`\n\n\
         ### Primary Target: treatments chapter\n**File:** `chapters/ch02-treatments.tex`\n**Environment type:** observation\n\n\
         ```latex\n\\begin{observation}[Infusion Tolerance]\nInfusions were tolerated~\\cite{Walitt2021ketamine}.\n\\end{observation}\n```\n",
    );
    let (_d, book) = commit_all((dir, book));
    let guide = "Literature/treatments/pacing-note";
    let out = tool(&book).args(["diff", guide]).output().unwrap();
    assert_eq!(stdout(&out), "", "left out for low confidence");
    let out = tool(&book).args(["diff", guide, "--pick", "primary=1"]).output().unwrap();
    assert!(stdout(&out).contains("+Infusions were tolerated~\\cite{Walitt2021ketamine}."), "{}", stdout(&out));
    assert!(!stderr(&out).contains("placement-low-confidence"), "{}", stderr(&out));
}

#[test]
fn bad_choices_are_usage_errors_naming_what_exists() {
    let (_d, book) = git_book();
    let cases: [(&[&str], &str); 8] = [
        (
            &["--pick", "quinary=1"],
            "--pick quinary=1: `quinary` names no target of Literature/treatments/ketamine/integration-guide.md; its targets: primary (chapters/ch02-treatments.tex), secondary (typst/ch05-mechanisms/ch05-mechanisms.typ), tertiary (typst/ch04-symptom-management.typ)",
        ),
        (&["--pick", "#7=1"], "`#7` names no target of"),
        (&["--pick", "primary=9"], "--pick primary=9: the primary target of Literature/treatments/ketamine/integration-guide.md has 5 candidate(s):\n  1. chapters/ch02/sec-nmda-antagonists.tex:13 "),
        (&["--pick", "elsewhere:primary=1"], "--pick elsewhere:primary=1: no guide `elsewhere` in this run; its guides: ketamine"),
        (
            &["--at", "primary=chapters/ch02-treatmnts.tex:3"],
            "`chapters/ch02-treatmnts.tex` is not a chapter file of the book (paths are relative to the book root); did you mean `chapters/ch02-treatments.tex`?",
        ),
        (&["--at", "primary=chapters/ch02-treatments.tex:999"], "chapters/ch02-treatments.tex has 60 lines; line 999 is past its end"),
        (&["--at", "primary=chapters/ch02-treatments.tex:37"], "line 37 of chapters/ch02-treatments.tex is inside an environment, comment, code, math block or table: no text may go after it; the nearest lines that take text: 35, 40"),
        (&["--pick", "primary=2", "--pick", "1=3"], "the primary target of Literature/treatments/ketamine/integration-guide.md is chosen twice"),
    ];
    for (args, expected) in cases {
        for command in ["plan", "diff", "apply"] {
            let out = tool(&book).arg(command).arg(KETAMINE).args(args).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{command} {args:?}: {}", stderr(&out));
            assert_eq!(stdout(&out), "", "{command} {args:?}");
            assert!(stderr(&out).contains(expected), "{command} {args:?}: {}", stderr(&out));
        }
    }
    assert!(!git(&book, &["branch", "--list"]).contains("integrate/"), "nothing was committed");
    // Malformed values are refused by the argument parser.
    for bad in [
        &["--pick", "primary"][..],
        &["--pick", "primary=0"][..],
        &["--at", "primary=chapters/ch02-treatments.tex"][..],
    ] {
        let out = tool(&book).arg("plan").arg(KETAMINE).args(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(stderr(&out).contains("expected TARGET="), "{bad:?}: {}", stderr(&out));
    }
}

#[test]
fn several_guides_need_the_guide_named() {
    let (_d, book) = git_book();
    let out = tool(&book).args(["plan", KETAMINE, LDN, "--pick", "primary=2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--pick primary=2: this run has 2 guides: name the target as GUIDE:primary, GUIDE one of ketamine, low-dose-naltrexone"),
        "{}",
        stderr(&out)
    );
    let out = tool(&book)
        .args(["plan", "--format", "json", KETAMINE, LDN, "--pick", "low-dose-naltrexone:primary=2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let ldn = &doc["guides"][1]["targets"][0]["candidates"][0]["reasons"][0];
    assert_eq!(ldn, "chosen by the reviewer with --pick low-dose-naltrexone:primary=2 (ranked 2 by the tool)");
    let ketamine = &doc["guides"][0]["targets"][0]["candidates"][0]["reasons"][0];
    assert!(!ketamine.as_str().unwrap().starts_with("chosen"), "{ketamine}");
}

#[test]
fn a_pick_resolves_a_target_whose_file_did_not_resolve() {
    let (dir, book) = copy_book();
    let config = std::fs::read_to_string(book.join("chapter-integrator.toml")).unwrap();
    std::fs::write(book.join("chapter-integrator.toml"), format!("{config}\n[resolve]\nthreshold = 0.9\n")).unwrap();
    write(
        &book,
        "Literature/treatments/stale-path/integration-guide.md",
        "# Integration Guide: stale path\n\n**BibTeX key:** `Zaccara2023ketamine`\n\n### Primary Target: old chapter\n**File:** `old/zzzz-qqqq.tex`\n**Section hint:** \"Pacing and Energy Management\"\n\n```latex\nOne patient kept a benefit from repeated infusions~\\cite{Zaccara2023ketamine}.\n```\n",
    );
    let (_d, book) = commit_all((dir, book));
    let guide = "Literature/treatments/stale-path";
    let out = tool(&book).args(["plan", "--format", "json", guide]).output().unwrap();
    let doc = json(&out);
    let target = &doc["guides"][0]["targets"][0];
    assert!(target["resolved"].is_null(), "{target}");
    assert!(target["insertion"].is_null(), "{target}");
    let first = candidates(&doc, 1)[0].clone();
    let out = tool(&book).args(["plan", "--format", "json", guide, "--pick", "primary=1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let target = &doc["guides"][0]["targets"][0];
    assert_eq!(target["resolved"]["method"], "chosen");
    assert_eq!(target["resolved"]["path"], first.0.as_str());
    assert_eq!(target["insertion"]["path"], first.0.as_str());
    assert_eq!(target["insertion"]["after_line"], first.1);
}
