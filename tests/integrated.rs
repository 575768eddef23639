//! Already-integrated content is found even when rewritten (another label, paraphrased,
//! ported from LaTeX to Typst), and a key the chapter cites for something else is no
//! evidence; `status` names the guides per state and an unmerged integration branch; a
//! topic folder means every guide below it. All texts are our own writing.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A Typst chapter that already holds, rewritten, what the sleep guide's LaTeX snippet says:
/// other label, other title wording, paraphrased sentences, Typst markup; and a paragraph
/// citing `Roe2019` about heart rate.
const CHAPTER: &str = r#"#import "env.typ": *

= Sleep and Clearance
<ch:sleep>

== Waste Removal During Sleep

#hypothesis(title: [Slower glymphatic waste removal])[
In the mouse study, interstitial space widened by about 60 percent during sleep, and the
removal of beta-amyloid from the brain was twice as fast as in waking animals @Doe2021.
Fragmented, unrefreshing sleep in ME/CFS may therefore leave metabolic waste in the brain
for longer, which would fit morning cognitive fog.
] <hyp:glymphatic-slowdown>

== Autonomic Findings

Resting heart rate was higher in patients than in matched controls in a small cohort, and
heart rate variability fell after standing @Roe2019.

== Other Notes

Nothing else is said here yet.
"#;

const ENV: &str = "#let hypothesis(title: none, body) = block[#title: #body]\n\
                   #let observation(title: none, body) = block[#title: #body]\n";

const BIB: &str = "@article{Doe2021,\n  author = {Doe, Jane},\n  title = {Sleep Widens the Brain's Waste Channels},\n  journal = {Invented Journal},\n  year = {2021}\n}\n\n\
@article{Roe2019,\n  author = {Roe, Rick},\n  title = {Autonomic Signs and Cognitive Fatigue in an Invented Cohort},\n  journal = {Invented Journal},\n  year = {2019}\n}\n";

/// The guide of a paper the chapter already integrated, as written before it was.
const SLEEP_GUIDE: &str = r#"# Integration Guide: Doe 2021 sleep clearance

**BibTeX key:** `Doe2021`

### Primary Target: ch01-sleep.typ
**File:** `ch01-sleep.typ`
**Section hint:** "Waste Removal During Sleep"
**Environment type:** hypothesis

```latex
\begin{hypothesis}[Impaired Glymphatic Clearance in ME/CFS]
\label{hyp:doe2021-clearance}
During sleep the interstitial space of the mouse brain widened by roughly 60 percent and
beta-amyloid was removed twice as fast as during waking \cite{Doe2021}. If sleep in ME/CFS
is fragmented and unrefreshing, metabolic waste may stay in the brain longer, which would
fit the cognitive fog patients report in the morning.
\end{hypothesis}
```
"#;

/// A guide whose paper the chapter cites, but for something else.
const FATIGUE_GUIDE: &str = r#"# Integration Guide: Roe 2019 cognitive fatigue

**BibTeX key:** `Roe2019`

### Primary Target: ch01-sleep.typ
**File:** `ch01-sleep.typ`
**Section hint:** "Other Notes"
**Environment type:** observation

```typst
#observation(title: [Reading Speed Drops Within an Hour])[
Patients read aloud more slowly after forty minutes of sustained attention tasks, and
their error counts on a word-recall test doubled by the end of the session @Roe2019.
] <obs:roe2019-reading>
```
"#;

/// Writes the small book of this file into a new temp dir: `(dir, book root)`.
fn book() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("book");
    let write = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "chapter-integrator.toml",
        "[book]\nroots = [\"book.typ\"]\nbibliography = [\"refs.bib\"]\nliterature = [\"Literature\"]\n",
    );
    write("book.typ", "#include \"ch01-sleep.typ\"\n#bibliography(\"refs.bib\")\n");
    write("env.typ", ENV);
    write("ch01-sleep.typ", CHAPTER);
    write("refs.bib", BIB);
    write("Literature/sleep/Doe_2021_Clearance/integration-guide.md", SLEEP_GUIDE);
    write("Literature/sleep/Roe_2019_Fatigue/integration-guide.md", FATIGUE_GUIDE);
    (dir, root)
}

fn run(book: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("chapter-integrator")
        .unwrap()
        .current_dir(book)
        .env("NO_COLOR", "1")
        .arg("--book")
        .arg(book)
        .args(args)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// The first target of the one guide of a `plan --format json` run.
fn first_target(book: &Path, guide: &str) -> serde_json::Value {
    let (code, out, err) = run(book, &["plan", "--format", "json", guide]);
    assert!(code == 0 || code == 1, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    doc["guides"][0]["targets"][0].clone()
}

#[test]
fn a_rewritten_integration_is_found_at_its_block() {
    let (_dir, book) = book();
    let t = first_target(&book, "Literature/sleep/Doe_2021_Clearance");
    let found = &t["integrated"];
    assert_eq!(found["state"], "applied", "{found}");
    // The hypothesis block of the chapter (its first line), not the tool's label.
    assert_eq!(found["place"]["path"], "ch01-sleep.typ");
    assert_eq!(found["place"]["line"], 8);
    let kinds: Vec<&str> = found["evidence"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(
        kinds.contains(&"keys-cited") && kinds.contains(&"says") && kinds.contains(&"same-environment"),
        "{kinds:?}"
    );
    assert_eq!(t["status"], "already-applied");
    assert!(t["insertion"].is_null());
    let codes: Vec<&str> = t["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"already-integrated"), "{codes:?}");
    // `diff` adds nothing for it and says where it is.
    let (code, out, err) = run(&book, &["diff", "-v", "Literature/sleep/Doe_2021_Clearance"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("+#hypothesis"), "{out}");
    assert!(err.contains("already-integrated") && err.contains("ch01-sleep.typ:8"), "{err}");
}

#[test]
fn a_key_the_chapter_cites_for_something_else_is_not_integration() {
    let (_dir, book) = book();
    let t = first_target(&book, "Literature/sleep/Roe_2019_Fatigue");
    assert_ne!(t["integrated"]["state"], "applied", "{}", t["integrated"]);
    assert_eq!(t["status"], "insert", "{t}");
    assert!(t["insertion"]["text"].as_str().unwrap().contains("Reading Speed Drops"));
}

#[test]
fn the_same_block_under_its_own_label_in_another_chapter_is_integrated_not_a_collision() {
    let (_dir, book) = book();
    // The block moved to another chapter and kept the guide's label.
    let moved = CHAPTER.replace("<hyp:glymphatic-slowdown>", "<hyp:doe2021-clearance>");
    std::fs::write(book.join("ch02-moved.typ"), moved.replace("= Sleep and Clearance\n<ch:sleep>", "= Moved")).unwrap();
    std::fs::write(book.join("ch01-sleep.typ"), "= Sleep and Clearance\n\n== Waste Removal During Sleep\n\nTo do.\n")
        .unwrap();
    std::fs::write(book.join("book.typ"), "#include \"ch01-sleep.typ\"\n#include \"ch02-moved.typ\"\n").unwrap();
    let t = first_target(&book, "Literature/sleep/Doe_2021_Clearance");
    assert_eq!(t["integrated"]["state"], "applied", "{}", t["integrated"]);
    assert_eq!(t["integrated"]["place"]["path"], "ch02-moved.typ");
    let codes: Vec<&str> = t["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"already-integrated") && !codes.contains(&"label-collision"), "{codes:?}");
}

#[test]
fn status_names_the_guides_per_state() {
    let (_dir, book) = book();
    let (code, out, err) = run(&book, &["status"]);
    assert_eq!(code, 0, "{err}");
    let applied = out.find("\napplied (1):\n  Literature/sleep/Doe_2021_Clearance/integration-guide.md\n");
    assert!(applied.is_some(), "{out}");
    assert!(out.contains("\npending (1):\n  Literature/sleep/Roe_2019_Fatigue/integration-guide.md\n"), "{out}");
    let (_, json, _) = run(&book, &["status", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["totals"]["applied"], 1);
    assert_eq!(doc["totals"]["pending"], 1);
}

#[test]
fn status_covers_key_findings_folders_and_notices_an_unmerged_branch() {
    let (_dir, book) = common::git_book();
    let folder = book.join("Literature/treatments/only-findings");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("key-findings.md"), "# Key findings\n\n- Nothing of this is in the book.\n").unwrap();
    common::git(&book, &["add", "-A"]);
    common::git(&book, &["commit", "-q", "-m", "findings"]);
    let (code, _, err) = run(&book, &["apply", "Literature/treatments/low-dose-naltrexone"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&book, &["status"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Literature/treatments/only-findings/key-findings.md"), "{out}");
    let line = out.lines().find(|l| l.contains("low-dose-naltrexone/integration-guide.md")).unwrap();
    assert!(line.contains("(branch integrate/low-dose-naltrexone exists, not merged)"), "{line}");
    // Merged, the branch is no longer named.
    common::git(&book, &["merge", "-q", "--ff-only", "integrate/low-dose-naltrexone"]);
    let (_, out, _) = run(&book, &["status"]);
    assert!(!out.contains("exists, not merged"), "{out}");
}

#[test]
fn a_topic_folder_means_every_guide_below_it() {
    let (_dir, book) = common::git_book();
    let (code, out, err) = run(&book, &["check", "Literature/treatments"]);
    assert!(code == 0 || code == 1, "{err}");
    assert!(!err.contains("no integration guide"), "{err}");
    let (code, out2, err2) = run(&book, &["plan", "Literature/treatments"]);
    assert!(code == 0 || code == 1, "{err2}");
    for guide in ["ketamine/integration-guide.md", "low-dose-naltrexone/integration-guide.md"] {
        assert!(out2.contains(&format!("Literature/treatments/{guide}")), "{guide}: {out2}");
    }
    let _ = out;
}
