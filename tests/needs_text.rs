//! Targets without content (`needs-text`) and texts supplied for them (`--texts FILE`): the
//! fixture guide `fixtures/needs-text/pacing` (see its README) copied into the fixture book.
//! A supplied text gives byte for byte the diff of the guide carrying it as a fenced
//! snippet, meets the same checks, and a bad texts file stops the run (status 2) with
//! nothing written.

mod common;

use std::path::{Path, PathBuf};

use common::{git, stderr, stdout, tool, write};
use serde_json::{json, Value};

/// The guide, as the book holds it.
const GUIDE: &str = "Literature/needs-text/pacing/integration-guide.md";
/// The folder.
const FOLDER: &str = "Literature/needs-text/pacing";
/// Its targets' ids.
const PRIMARY: &str = "Literature/needs-text/pacing/integration-guide.md#1";
const SECONDARY: &str = "Literature/needs-text/pacing/integration-guide.md#2";

/// The fixture guide's own text.
fn fixture(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/needs-text/pacing").join(name))
        .unwrap()
}

/// The fixture book with the pacing folder, its guide text `guide`, committed.
fn book_with(guide: &str) -> (tempfile::TempDir, PathBuf) {
    let (dir, book) = common::copy_book();
    write(&book, GUIDE, guide);
    write(&book, &format!("{FOLDER}/key-findings.md"), &fixture("key-findings.md"));
    common::commit_all((dir, book))
}

/// The guide with a fence of `lang` holding `text` after the rationale of the target
/// whose rationale starts with `rationale`: the same text carried as a snippet.
fn with_fence(rationale: &str, lang: &str, text: &str) -> String {
    let guide = fixture("integration-guide.md");
    let at = guide.find(&format!("**Rationale:** {rationale}")).unwrap();
    let end = at + guide[at..].find('\n').unwrap() + 1;
    format!("{}\n```{lang}\n{text}\n```\n{}", &guide[..end], &guide[end..])
}

/// Writes `texts` (JSON) beside the book and returns its path.
fn texts_file(dir: &Path, texts: &Value) -> PathBuf {
    let path = dir.join("texts.json");
    std::fs::write(&path, serde_json::to_string_pretty(texts).unwrap()).unwrap();
    path
}

/// Runs the tool in `book` with `args`; `(status, stdout, stderr)`.
fn run(book: &Path, args: &[&str]) -> (i32, String, String) {
    let out = tool(book).args(args).output().unwrap();
    (out.status.code().unwrap(), stdout(&out), stderr(&out))
}

fn plan_json(book: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["plan", "--format", "json", FOLDER];
    args.extend_from_slice(extra);
    let (code, out, err) = run(book, &args);
    assert!(code <= 1, "{err}");
    serde_json::from_str(&out).unwrap()
}

const LATEX_TEXT: &str = "In symptom diaries, most pain flares began one or two days after a day of\nunusually high activity~\\cite{Nijs2012sensitization}.";
const TYPST_TEXT: &str =
    "Planned rest breaks, taken before tiring, were followed by shorter flares\n@Nijs2012sensitization.";
const MARKDOWN_TEXT: &str = "Flares *often* follow overexertion [@Nijs2012sensitization, p. 3]:\n\n- rest breaks shortened them;\n- a heart-rate ceiling helped (see @sec:pacing).";
/// Without a cross-reference: the label of the one edition is not in the other.
const MARKDOWN_PLAIN: &str = "Flares *often* follow **overexertion** [@Nijs2012sensitization, p. 3]:\n\n1. rest breaks shortened them;\n2. a heart-rate ceiling helped.";

#[test]
fn targets_without_content_are_needs_text_with_what_to_write_from() {
    let (_d, book) = book_with(&fixture("integration-guide.md"));
    let doc = plan_json(&book, &[]);
    let targets = doc["guides"][0]["targets"].as_array().unwrap();
    let ids: Vec<&str> = targets.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [PRIMARY, SECONDARY]);
    assert!(targets.iter().all(|t| t["status"] == "needs-text" && t["insertion"].is_null()));
    let n = &targets[0]["needs_text"];
    assert_eq!(n["path"], "chapters/ch02-treatments.tex");
    assert_eq!(n["after_line"], 20);
    assert_eq!(n["heading_path"], json!(["Treatment Options", "Pacing and Energy Management"]));
    assert_eq!(n["section_line"], 6);
    let section = n["section_text"].as_str().unwrap();
    assert!(
        section.starts_with("\\section{Pacing and Energy Management}\\label{sec:pacing}\n\nPacing means"),
        "{section}"
    );
    assert!(section.ends_with("is not part of the book structure.\n"), "{section}");
    let kf: Vec<&str> = n["key_findings"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert_eq!(kf.len(), 3);
    assert!(kf[0].starts_with("1. Flares follow overexertion: In symptom diaries"), "{kf:?}");
    let n = &targets[1]["needs_text"];
    assert_eq!(
        (n["path"].as_str().unwrap(), n["after_line"].as_u64().unwrap(), n["section_line"].as_u64().unwrap()),
        ("typst/ch04-symptom-management.typ", 19, 15)
    );
    assert_eq!(
        n["section_text"],
        "=== Non-Pharmacological Approaches <sec:pain-nonpharm>\n\nGentle stretching within energy limits, heat packs, and careful pacing can all\nreduce the intensity of pain flares @Goudsmit2012pacing. These approaches carry\nlittle risk and can be combined freely with medication.\n"
    );
    // The text output says the same, and a diff has nothing to insert.
    let (_, text, _) = run(&book, &["plan", FOLDER]);
    assert!(
        text.contains(&format!(
            "needs text after chapters/ch02-treatments.tex:20 (supply it with --texts as `{PRIMARY}`)"
        )),
        "{text}"
    );
    let (code, patch, _) = run(&book, &["diff", FOLDER]);
    assert_eq!((code, patch.as_str()), (0, ""));
}

/// `diff` of the guide carrying `text` as a fence after `rationale`, and `diff --texts`
/// of the guide without it: equal, byte for byte, and not empty.
fn assert_round_trip(rationale: &str, lang: &str, text: &str, id: &str) -> String {
    let (_d, fenced) = book_with(&with_fence(rationale, lang, text));
    let (code, expected, err) = run(&fenced, &["diff", FOLDER]);
    assert_eq!(code, 0, "{err}");
    assert!(!expected.is_empty());
    let (dir, book) = book_with(&fixture("integration-guide.md"));
    let file = texts_file(dir.path(), &json!({ id: { "text": text, "language": lang } }));
    let (code, supplied, err) = run(&book, &["diff", "--texts", file.to_str().unwrap(), FOLDER]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(supplied, expected);
    supplied
}

#[test]
fn a_supplied_text_gives_the_diff_of_the_same_text_as_a_snippet() {
    let latex = assert_round_trip("The pacing section", "latex", LATEX_TEXT, PRIMARY);
    assert!(latex.contains("+unusually high activity~\\cite{Nijs2012sensitization}.\n"), "{latex}");
    let typst = assert_round_trip("Pain flares", "typst", TYPST_TEXT, SECONDARY);
    assert!(typst.contains("+@Nijs2012sensitization.\n"), "{typst}");
    // LaTeX text into the Typst chapter is converted, as a LaTeX snippet is.
    let converted = assert_round_trip("Pain flares", "latex", LATEX_TEXT, SECONDARY);
    assert!(converted.contains("+unusually high activity~@Nijs2012sensitization.\n"), "{converted}");
}

#[test]
fn markdown_text_is_written_as_latex_and_as_typst() {
    let latex = assert_round_trip("The pacing section", "markdown", MARKDOWN_TEXT, PRIMARY);
    assert!(
        latex.contains(
            "+Flares \\emph{often} follow overexertion \\cite[p. 3]{Nijs2012sensitization}:\n+\n+\\begin{itemize}\n+  \\item rest breaks shortened them;\n+  \\item a heart-rate ceiling helped (see \\ref{sec:pacing}).\n+\\end{itemize}\n"
        ),
        "{latex}"
    );
    let typst = assert_round_trip("Pain flares", "markdown", MARKDOWN_TEXT, SECONDARY);
    assert!(
        typst.contains(
            "+Flares _often_ follow overexertion @Nijs2012sensitization[p. 3]:\n+\n+- rest breaks shortened them;\n+- a heart-rate ceiling helped (see @sec:pacing).\n"
        ),
        "{typst}"
    );
}

#[test]
fn plan_and_apply_take_the_texts_and_the_typst_result_compiles() {
    let (dir, book) = book_with(&fixture("integration-guide.md"));
    let file = texts_file(
        dir.path(),
        &json!({ PRIMARY: LATEX_TEXT, SECONDARY: { "text": MARKDOWN_PLAIN, "language": "markdown" } }),
    );
    let file = file.to_str().unwrap();
    let doc = plan_json(&book, &["--texts", file]);
    for t in doc["guides"][0]["targets"].as_array().unwrap() {
        assert_eq!((t["status"].as_str(), t["snippet"]["origin"].as_str()), (Some("insert"), Some("supplied")));
        assert!(t["needs_text"].is_null());
    }
    let (code, out, err) = run(&book, &["apply", "--texts", file, "--branch", "texts", FOLDER]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("branch texts\n"), "{out}");
    let changed = git(&book, &["diff", "--name-only", "main", "texts"]);
    assert_eq!(changed, "chapters/ch02-treatments.tex\ntypst/ch04-symptom-management.typ\n");
    let tree = common::export_tree(&book, "texts");
    common::typst_compile(tree.path(), "typst/book.typ").expect("the book compiles with the supplied text");
}

/// The findings of `doc`'s targets as `(code, severity, message)`.
fn findings(doc: &Value) -> Vec<(String, String, String)> {
    let g = &doc["guides"][0];
    let mut all: Vec<(String, String, String)> = g["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["findings"].as_array().unwrap().clone())
        .chain(g["findings"].as_array().unwrap().clone())
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_string();
            (s("code"), s("severity"), s("message"))
        })
        .collect();
    all.sort();
    all
}

#[test]
fn a_supplied_text_meets_the_checks_of_a_snippet() {
    for (lang, text, id, rationale, code) in [
        ("latex", "Flares are common~\\cite{Nobody2020flares}.", PRIMARY, "The pacing section", "citation-key-missing"),
        (
            "latex",
            "As Section~\\ref{sec:nowhere} says, flares are common.",
            PRIMARY,
            "The pacing section",
            "snippet-reference-undefined",
        ),
        ("typst", "As @sec:nowhere says, flares are common.", SECONDARY, "Pain flares", "snippet-reference-undefined"),
    ] {
        let (_d, fenced) = book_with(&with_fence(rationale, lang, text));
        let expected = plan_json(&fenced, &[]);
        let (dir, book) = book_with(&fixture("integration-guide.md"));
        let file = texts_file(dir.path(), &json!({ id: { "text": text, "language": lang } }));
        let got = plan_json(&book, &["--texts", file.to_str().unwrap()]);
        let f = findings(&got);
        assert!(f.iter().any(|(c, s, _)| c == code && s == "error"), "{code}: {f:?}");
        assert_eq!(f, findings(&expected), "{text}");
        // An error finding: the diff has status 1 and inserts nothing for it.
        let (status, _, _) = run(&book, &["diff", "--texts", file.to_str().unwrap(), FOLDER]);
        assert_eq!(status, 1);
    }
}

#[test]
fn a_bad_texts_file_stops_the_run_and_writes_nothing() {
    let (dir, book) = book_with(&fixture("integration-guide.md"));
    let cases: [(&str, &str); 4] = [
        (
            "{\n  \"Literature/needs-text/pacing/integration-guide.md#3\": \"x\"\n}\n",
            "texts.json: line 2: no target `Literature/needs-text/pacing/integration-guide.md#3` in the guides of this run; did you mean `Literature/needs-text/pacing/integration-guide.md#1`?",
        ),
        ("{\n  \"a\": \"x\",\n}\n", "texts.json: line 3: not valid JSON: trailing comma"),
        (
            "{\"Literature/needs-text/pacing/integration-guide.md#1\": {\"text\": \"#emph[x]\", \"language\": \"typst\"}}",
            "texts.json: line 1: the text of `Literature/needs-text/pacing/integration-guide.md#1` cannot go into chapters/ch02-treatments.tex: a Typst snippet cannot be rendered into a Latex file yet",
        ),
        (
            "{\"Literature/needs-text/pacing/integration-guide.md#2\": {\"text\": \"x\", \"language\": \"rst\"}}",
            "texts.json: line 1: the language `rst` of `Literature/needs-text/pacing/integration-guide.md#2` is not latex, typst or markdown",
        ),
    ];
    let before = common::snapshot(dir.path());
    for (json, message) in cases {
        let file = dir.path().join("texts.json");
        std::fs::write(&file, json).unwrap();
        let file = file.to_str().unwrap();
        let patch = dir.path().join("out.patch");
        for args in [
            vec!["apply", "--texts", file, FOLDER],
            vec!["diff", "--texts", file, "--output", patch.to_str().unwrap(), FOLDER],
        ] {
            let (code, _, err) = run(&book, &args);
            assert_eq!(code, 2, "{args:?}: {err}");
            assert!(err.contains(message), "{err}");
        }
        assert!(!patch.exists());
    }
    std::fs::remove_file(dir.path().join("texts.json")).unwrap();
    common::assert_same(&before, &common::snapshot(dir.path()), "a refused texts file");
}

#[test]
fn a_target_with_its_own_snippet_takes_no_text() {
    let (dir, book) = common::git_book();
    let id = "Literature/treatments/ketamine/integration-guide.md#1";
    let file = texts_file(dir.path(), &json!({ id: "Another text." }));
    let (code, _, err) = run(&book, &["diff", "--texts", file.to_str().unwrap(), "Literature/treatments/ketamine"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("texts.json: line 2: target `{id}` has the guide's own snippet (line 16 of Literature/treatments/ketamine/integration-guide.md)")),
        "{err}"
    );
}
