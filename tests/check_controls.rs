//! `check` as a maintainer acts on it (issue #22, item 4): the count of each code at the end,
//! `--select` / `--ignore`, one line per finding, and the book's `[severity]` table.

mod common;

use common::*;

const LDN: &str = "Literature/treatments/low-dose-naltrexone";

/// The fixture book with the low-dose-naltrexone guide citing a key no entry has (an error),
/// beside the ketamine guide's two warnings.
fn book_with_an_error() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, book) = copy_book();
    without_drafted_target(&book);
    let guide = book.join(LDN).join("integration-guide.md");
    let text = std::fs::read_to_string(&guide).unwrap().replace("`Younger2014ldn`", "`Nobody2099unknown`");
    std::fs::write(&guide, text).unwrap();
    commit_all((dir, book))
}

#[test]
fn check_ends_with_the_count_of_each_code_most_frequent_first() {
    let (_d, book) = book_with_an_error();
    let out = tool(&book).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let summary = text.split("findings by code:\n").nth(1).expect("a summary by code");
    let rows: Vec<&str> = summary.lines().take_while(|l| l.starts_with(' ')).collect();
    // The missing key's error and the ketamine guide's two warnings, the most frequent first.
    let codes: Vec<(usize, &str)> = rows
        .iter()
        .map(|r| {
            let mut w = r.split_whitespace();
            (w.next().unwrap().parse().unwrap(), w.next().unwrap())
        })
        .collect();
    let mut sorted = codes.clone();
    sorted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    assert_eq!(codes, sorted, "{summary}");
    assert!(codes.iter().any(|(_, c)| *c == "citation-key-missing"), "{summary}");
    assert!(rows.iter().any(|r| r.ends_with("snippet-missing          warning")), "{summary}");
    // Each count is the number of findings of that code printed above.
    for (n, code) in &codes {
        assert_eq!(text.matches(&format!("[{code}] ")).count(), *n, "{code}");
    }
    assert!(text.ends_with("warning(s)\n"), "{text}");
}

#[test]
fn select_and_ignore_choose_what_is_reported_and_what_fails() {
    let (_d, book) = book_with_an_error();
    let out = tool(&book).args(["check", "--select", "snippet-missing,target-*"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "only warnings are selected: {}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("warning[snippet-missing]") && text.contains("warning[target-resolved-loosely]"), "{text}");
    assert!(!text.contains("citation-key-missing"), "{text}");
    assert!(text.ends_with("checked 2 guide(s): 0 error(s), 2 warning(s)\n"), "{text}");

    let out = tool(&book).args(["check", "--ignore", "citation-key-missing", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["errors"], 0);
    // The low-dose-naltrexone chapter already cites its key in another paragraph: partly integrated (info).
    assert_eq!(
        doc["summary"]["codes"],
        serde_json::json!({"partly-integrated": 1, "snippet-missing": 1, "target-resolved-loosely": 1})
    );

    let out = tool(&book).args(["check", "--select", "citation-key-missing"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!stdout(&out).contains("warning["), "{}", stdout(&out));
}

#[test]
fn an_unknown_code_exits_2_naming_the_nearest() {
    let (_d, book) = git_book_with_a_target_without_content();
    let out = tool(&book).args(["check", "--select", "snippet-mising"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--select snippet-mising: no finding code is named so; the nearest is `snippet-missing`"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
    // A phrasing rule's code is a code too.
    let out = tool(&book).args(["check", "--ignore", "phrasing-prove"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("the nearest is `phrasing-proves`"), "{}", stderr(&out));
    let out = tool(&book).args(["check", "--ignore", "phrasing-proves"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn concise_output_is_one_line_per_finding() {
    let (_d, book) = git_book_with_a_target_without_content();
    let out = tool(&book).args(["check", "--output-format", "concise"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let findings: Vec<&str> = text.lines().take_while(|l| !l.starts_with("findings by code:")).collect();
    assert_eq!(
        findings,
        [
            "Literature/treatments/ketamine/integration-guide.md:23: warning[target-resolved-loosely] secondary target \
             `typst/ch05-mechanisms/ch05-mechanisms.typ` is not in the book; using typst/ch03-mechanisms/ch03-mechanisms.typ, \
             the chapter of the same name less its number (found by slug, confidence 0.80)",
            "Literature/treatments/ketamine/integration-guide.md:42: warning[snippet-missing] tertiary target has no \
             snippet; nothing is inserted into typst/ch04-symptom-management.typ",
        ]
    );
    // The full format shows the source line and help of each.
    let full = stdout(&tool(&book).arg("check").output().unwrap());
    assert!(full.lines().count() > text.lines().count() + 6, "{full}");
    assert!(full.contains("  help: check the file, then update the guide's path"));
}

#[test]
fn stale_file_hints_are_counted_per_hint_with_the_file_used() {
    let (_d, book) = git_book_with_a_target_without_content();
    let text = stdout(&tool(&book).arg("check").output().unwrap());
    assert!(
        text.contains(
            "stale file hints (target-resolved-loosely): 1 distinct hint(s) for 1 target(s); the most frequent, as the guides write them:\n    \
             1  typst/ch05-mechanisms/ch05-mechanisms.typ -> typst/ch03-mechanisms/ch03-mechanisms.typ (slug, 1 guide(s))\n"
        ),
        "{text}"
    );
    let ignored = stdout(&tool(&book).args(["check", "--ignore", "target-resolved-loosely"]).output().unwrap());
    assert!(!ignored.contains("stale file hints"), "{ignored}");
}

/// Writes `table` as the book's `[severity]` table and commits it.
fn with_severity(book: &std::path::Path, table: &str) {
    let config = book.join("chapter-integrator.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}\n[severity]\n{table}")).unwrap();
    git(book, &["commit", "-qam", "severity"]);
}

#[test]
fn the_book_sets_severities_per_code() {
    let (_d, book) = git_book_with_a_target_without_content();
    with_severity(&book, "snippet-missing = \"error\"\ntarget-resolved-loosely = \"info\"\n");
    let out = tool(&book).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "snippet-missing is an error in this book");
    let text = stdout(&out);
    assert!(text.contains("error[snippet-missing] Literature/treatments/ketamine/integration-guide.md:42:"), "{text}");
    assert!(!text.contains("target-resolved-loosely]"), "an info finding is shown with -v only: {text}");
    // target-resolved-loosely, and the partly-integrated note of the low-dose-naltrexone guide.
    assert!(text.contains("2 info finding(s) not shown (-v shows them)"), "{text}");
    let verbose = stdout(&tool(&book).args(["check", "-v"]).output().unwrap());
    assert!(verbose.contains("info[target-resolved-loosely]"), "{verbose}");
    // plan reports with the book's severities too.
    let plan = tool(&book).args(["plan", "Literature/treatments/ketamine"]).output().unwrap();
    assert_eq!(plan.status.code(), Some(1));
    assert!(stdout(&plan).contains("error[snippet-missing]"), "{}", stdout(&plan));
}

#[test]
fn an_invalid_severity_table_is_a_configuration_error_with_file_and_line() {
    let (_d, book) = git_book_with_a_target_without_content();
    with_severity(&book, "snippet-missing = \"fatal\"\n");
    let out = tool(&book).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    // The fixture's configuration has four lines and a blank one before the table.
    assert!(
        err.contains(
            "chapter-integrator.toml: line 7: [severity] snippet-missing = \"fatal\": not a severity; use \"error\", \"warning\" or \"info\""
        ),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    let (_d, book) = git_book_with_a_target_without_content();
    with_severity(&book, "target-resolved-lossely = \"info\"\n");
    let out = tool(&book).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "chapter-integrator.toml: line 7: [severity] `target-resolved-lossely` is not a finding code; the nearest is `target-resolved-loosely`"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_long_full_report_says_how_to_get_a_shorter_one() {
    let (_d, book) = git_book_with_a_target_without_content();
    // Two findings: no tip.
    let text = stdout(&tool(&book).arg("check").output().unwrap());
    assert!(!text.contains("--output-format concise"), "{text}");
    // Twenty-two guides with a missing snippet each: the tip, before the totals.
    for i in 0..21 {
        write(
            &book,
            &format!("Literature/many/g{i:02}/integration-guide.md"),
            "# G\n\n## Paper Citation Key\n**BibTeX key:** `Younger2014ldn`\n\n### Primary Target: ch02-treatments.tex\n**File:** `chapters/ch02-treatments.tex`\n**Section hint:** \"Low-Dose Naltrexone\"\n",
        );
    }
    git(&book, &["add", "-A"]);
    git(&book, &["commit", "-qm", "many"]);
    let text = stdout(&tool(&book).arg("check").output().unwrap());
    assert!(
        text.contains(
            "one line per finding: --output-format concise; some codes only: --select CODE,... / --ignore CODE,...\nchecked 23 guide(s): "
        ),
        "{text}"
    );
    let concise = stdout(&tool(&book).args(["check", "--output-format", "concise"]).output().unwrap());
    assert!(!concise.contains("one line per finding"), "{concise}");
}
