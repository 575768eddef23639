//! New-file placement: a book that keeps one environment per file gets a new file beside
//! its siblings and the `#include` line in the right parent, in one diff.

mod common;

use common::write;

/// A Typst book whose sleep section includes one hypothesis per file.
fn per_environment_book() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("book");
    write(&root, "book.typ", "#import \"env.typ\": *\n#include \"ch01/ch01.typ\"\n");
    write(&root, "env.typ", "#let hypothesis(title: none, body) = block[#title: #body]\n");
    write(
        &root,
        "ch01/ch01.typ",
        "= Sleep <ch:sleep>\n\nSleep is often unrefreshing.\n\n== Why Sleep Fails to Restore <sec:restore>\n\nSeveral explanations compete.\n\n#include \"hypotheses/hyp-orexin.typ\"\n#include \"hypotheses/hyp-glymphatic.typ\"\n\n== Sleep Hygiene <sec:hygiene>\n\nRegular hours help some.\n",
    );
    write(
        &root,
        "ch01/hypotheses/hyp-orexin.typ",
        "#import \"../../env.typ\": *\n\n#hypothesis(title: [Orexin Signalling Is Blunted])[\n  Low orexin tone may flatten the wake drive.\n] <hyp:orexin>\n",
    );
    write(
        &root,
        "ch01/hypotheses/hyp-glymphatic.typ",
        "#import \"../../env.typ\": *\n\n#hypothesis(title: [Clearance Stalls at Night])[\n  Waste clearance during sleep may be impaired.\n] <hyp:glymphatic>\n",
    );
    write(
        &root,
        "Literature/Arnell_2025_Adenosine/integration-guide.md",
        "# Guide\n\n**BibTeX key:** `Arnell2025adenosine`\n\n### Primary Target\n**File:** `ch01/ch01.typ`\n**Section hint:** \"Why Sleep Fails to Restore\"\n**Environment:** hypothesis\n\n```typst\n#hypothesis(title: [Adenosine Does Not Clear])[\n  Sleep pressure may persist because adenosine is not cleared overnight @Arnell2025adenosine.\n] <hyp:adenosine>\n```\n",
    );
    write(&root, "refs.bib", "@article{Arnell2025adenosine,\n  title = {Adenosine},\n  year = {2025}\n}\n");
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &["-c", "user.name=T", "-c", "user.email=t@x", "commit", "-q", "-m", "b"],
    ] {
        common::git(&root, args);
    }
    (dir, root)
}

#[test]
fn one_environment_per_file_gets_a_new_file_and_its_include_line() {
    let (_dir, root) = per_environment_book();
    let out = common::tool(&root).args(["diff", "Literature/Arnell_2025_Adenosine"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let patch = common::stdout(&out);
    let expected = "diff --git a/ch01/ch01.typ b/ch01/ch01.typ\n--- a/ch01/ch01.typ\n+++ b/ch01/ch01.typ\n@@ -8,6 +8,7 @@\n \n #include \"hypotheses/hyp-orexin.typ\"\n #include \"hypotheses/hyp-glymphatic.typ\"\n+#include \"hypotheses/hyp-adenosine.typ\"\n \n == Sleep Hygiene <sec:hygiene>\n \ndiff --git a/ch01/hypotheses/hyp-adenosine.typ b/ch01/hypotheses/hyp-adenosine.typ\nnew file mode 100644\n--- /dev/null\n+++ b/ch01/hypotheses/hyp-adenosine.typ\n@@ -0,0 +1,5 @@\n+#import \"../../env.typ\": *\n+\n+#hypothesis(title: [Adenosine Does Not Clear])[\n+  Sleep pressure may persist because adenosine is not cleared overnight @Arnell2025adenosine.\n+] <hyp:adenosine>\n";
    assert_eq!(patch, expected);
    common::assert_applies(&root, &patch);
    // `apply` commits both files.
    let out = common::tool(&root).args(["apply", "Literature/Arnell_2025_Adenosine"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let shown = common::git(&root, &["show", "integrate/arnell-2025-adenosine:ch01/hypotheses/hyp-adenosine.typ"]);
    assert!(shown.contains("<hyp:adenosine>"));
}

/// A target left out because another guide of the run inserts the same label is skipped
/// whole: its plan holds no insertion and no file to create (a plan's outcome is one value).
#[test]
fn a_target_skipped_for_a_label_clash_keeps_no_file_to_create() {
    let (_dir, root) = per_environment_book();
    let guide = std::fs::read_to_string(root.join("Literature/Arnell_2025_Adenosine/integration-guide.md")).unwrap();
    write(&root, "Literature/Brand_2025_Adenosine/integration-guide.md", &guide);
    common::git(&root, &["add", "-A"]);
    common::git(&root, &["-c", "user.name=T", "-c", "user.email=t@x", "commit", "-q", "-m", "second"]);
    let out = common::tool(&root)
        .args(["plan", "--format", "json", "Literature/Arnell_2025_Adenosine", "Literature/Brand_2025_Adenosine"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    let doc: serde_json::Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    let first = &doc["guides"][0]["targets"][0];
    assert_eq!(first["status"], "insert");
    assert_eq!(first["new_file"]["path"], "ch01/hypotheses/hyp-adenosine.typ");
    let second = &doc["guides"][1]["targets"][0];
    assert_eq!(second["status"], "skipped");
    assert_eq!(second["insertion"], serde_json::Value::Null);
    assert_eq!(second["new_file"], serde_json::Value::Null);
    let codes: Vec<&str> = second["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["label-collision"]);
}
