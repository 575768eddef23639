//! `apply`: commits on a new branch, never touching the work tree, index or HEAD.

mod common;

use common::{git, git_book, stderr, stdout, tool};

const KETAMINE: &str = "Literature/treatments/ketamine";

#[test]
fn apply_commits_to_a_new_branch_only() {
    let (_d, book) = git_book();
    // Uncommitted user work must survive untouched.
    std::fs::write(book.join("notes.txt"), "my notes\n").unwrap();
    let status_before = git(&book, &["status", "--porcelain"]);
    let head_before = git(&book, &["rev-parse", "HEAD"]);
    let index_before = std::fs::read(book.join(".git/index")).unwrap();

    let out = tool(&book).args(["apply", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("branch integrate/ketamine\ncommit "), "{text}");
    assert!(text.ends_with("3 file(s) changed, 19 line(s) added, 0 removed\n"), "{text}");

    assert_eq!(git(&book, &["status", "--porcelain"]), status_before);
    assert_eq!(git(&book, &["rev-parse", "HEAD"]), head_before);
    assert_eq!(std::fs::read(book.join(".git/index")).unwrap(), index_before);
    assert_eq!(git(&book, &["rev-list", "--count", "main..integrate/ketamine"]).trim(), "1");
    let changed = git(&book, &["diff", "--name-only", "main", "integrate/ketamine"]);
    assert_eq!(
        changed,
        "chapters/ch02/sec-nmda-antagonists.tex\ntypst/ch03-mechanisms/sec-01-neuroinflammation.typ\ntypst/ch04-symptom-management.typ\n"
    );
    let message = git(&book, &["log", "-1", "--format=%an <%ae>%n%B", "integrate/ketamine"]);
    assert!(
        message.starts_with(
            "Test Author <test@example.invalid>\nIntegrate ketamine (Walitt2021ketamine, Koutsaliaris2025ketamine)\n"
        ),
        "{message}"
    );
    // One trailer block: the guide, each key, and the tool's own trailers.
    let trailers = git(&book, &["log", "-1", "--format=%(trailers:only,unfold)", "integrate/ketamine"]);
    let names: Vec<&str> = trailers.lines().filter_map(|l| l.split(':').next()).filter(|n| !n.is_empty()).collect();
    assert_eq!(
        names,
        vec!["Integration-Guide", "Citation-Key", "Citation-Key", "Generated-By", "Integration-Tree"],
        "{trailers}"
    );
    assert!(message.contains("Citation keys: Walitt2021ketamine, Koutsaliaris2025ketamine"), "{message}");
    assert!(message.contains("Generated-By: chapter-integrator"), "{message}");
    let time = git(&book, &["log", "-1", "--format=%ct", "integrate/ketamine"]);
    assert_eq!(time.trim(), common::EPOCH);
}

#[test]
fn apply_twice_with_nothing_new_is_up_to_date_and_commits_nothing() {
    let (_d, book) = git_book();
    assert_eq!(tool(&book).args(["apply", KETAMINE]).output().unwrap().status.code(), Some(0));
    let tip = git(&book, &["rev-parse", "integrate/ketamine"]);
    let reflog = git(&book, &["reflog", "show", "--format=%H", "integrate/ketamine"]);
    for args in [&["apply", KETAMINE][..], &["apply", KETAMINE, "--force"][..]] {
        let out = tool(&book).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_eq!(
            stdout(&out),
            format!("branch integrate/ketamine is up to date: it holds this change already (commit {})\n", tip.trim())
        );
        assert_eq!(git(&book, &["rev-parse", "integrate/ketamine"]), tip, "{args:?}: no new commit");
        assert_eq!(git(&book, &["reflog", "show", "--format=%H", "integrate/ketamine"]), reflog, "{args:?}");
    }
    let out = tool(&book).args(["apply", KETAMINE, "--format", "json"]).output().unwrap();
    assert_eq!(
        stdout(&out),
        format!(
            "{{\n  \"branch\": \"integrate/ketamine\",\n  \"commits\": [],\n  \"up_to_date\": \"{}\",\n  \"schema\": 1\n}}\n",
            tip.trim()
        )
    );
}

#[test]
fn apply_over_a_branch_with_other_changes_needs_force_and_gives_the_same_tree() {
    let (_d, book) = git_book();
    assert_eq!(tool(&book).args(["apply", KETAMINE]).output().unwrap().status.code(), Some(0));
    let tree1 = git(&book, &["rev-parse", "integrate/ketamine^{tree}"]);
    // The book moved on: the branch's commit is on the old base.
    git(&book, &["commit", "-q", "--allow-empty", "-m", "later work"]);
    let out = tool(&book).args(["apply", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already exists with other changes; pass --force"), "{}", stderr(&out));
    let out = tool(&book).args(["apply", KETAMINE, "--force"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(git(&book, &["rev-parse", "integrate/ketamine^{tree}"]), tree1);
    assert_eq!(git(&book, &["rev-list", "--count", "main..integrate/ketamine"]).trim(), "1");

    // After merging, the guide is already applied: nothing to diff, status 0.
    git(&book, &["merge", "-q", "--ff-only", "integrate/ketamine"]);
    let out = tool(&book).args(["diff", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("info[already-applied]"), "{}", stderr(&out));
}

/// Adds a hand-made commit (a new file, or an amendment of the tip) on `integrate/ketamine`,
/// then checks that `apply --force` refuses and leaves the branch where it was.
fn assert_force_refused_after(book: &std::path::Path, commit_args: &[&str]) {
    git(book, &["checkout", "-q", "integrate/ketamine"]);
    std::fs::write(book.join("hand.txt"), "hand edit\n").unwrap();
    git(book, &["add", "hand.txt"]);
    git(book, commit_args);
    git(book, &["checkout", "-q", "main"]);
    let tip = git(book, &["rev-parse", "integrate/ketamine"]);
    let out = tool(book).args(["apply", KETAMINE, "--force"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not made by chapter-integrator"), "{}", stderr(&out));
    assert_eq!(git(book, &["rev-parse", "integrate/ketamine"]), tip);
}

#[test]
fn force_never_rewrites_foreign_commits() {
    let (_d, book) = git_book();
    git(&book, &["branch", "integrate/ketamine"]);
    assert_force_refused_after(&book, &["commit", "-q", "-m", "my own work"]);
}

#[test]
fn checked_out_branch_is_refused() {
    let (_d, book) = git_book();
    let out = tool(&book).args(["apply", KETAMINE, "--branch", "main", "--force"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is checked out"), "{}", stderr(&out));
}

#[test]
fn branch_name_and_base_options() {
    let (_d, book) = git_book();
    let out = tool(&book).args(["apply", KETAMINE, "--branch", "review/k", "--base", "main"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(git(&book, &["rev-parse", "review/k~1"]), git(&book, &["rev-parse", "main"]));
    let out = tool(&book).args(["apply", KETAMINE, "--base", "no-such-rev"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn force_refuses_an_amended_tool_commit() {
    let (_d, book) = git_book();
    assert_eq!(tool(&book).args(["apply", KETAMINE]).output().unwrap().status.code(), Some(0));
    assert_force_refused_after(&book, &["commit", "-q", "--amend", "--no-edit"]);
}

#[test]
fn a_branch_checked_out_in_another_work_tree_is_refused() {
    let (d, book) = git_book();
    assert_eq!(tool(&book).args(["apply", KETAMINE]).output().unwrap().status.code(), Some(0));
    let other = d.path().join("wt2");
    git(&book, &["worktree", "add", "-q", other.to_str().unwrap(), "integrate/ketamine"]);
    let out = tool(&book).args(["apply", KETAMINE, "--force"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is checked out in the work tree at"), "{}", stderr(&out));
    assert_eq!(git(&other, &["status", "--porcelain"]), "");
}

#[test]
fn unusable_branch_names_are_refused() {
    let (_d, book) = git_book();
    for name in ["HEAD", "refs/heads/x", "bad name", "a..b"] {
        let out = tool(&book).args(["apply", KETAMINE, "--branch", name]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
    }
    assert_eq!(tool(&book).args(["apply", KETAMINE]).output().unwrap().status.code(), Some(0));
    let out = tool(&book).args(["apply", KETAMINE, "--branch", "integrate/ketamine/sub"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("clashing name"), "{}", stderr(&out));
    assert_eq!(
        git(&book, &["for-each-ref", "--format=%(refname)", "refs/heads"]),
        "refs/heads/integrate/ketamine\nrefs/heads/main\n"
    );
}

#[test]
fn a_low_confidence_target_is_left_out_unless_accepted() {
    let (_d, book) = git_book();
    // No section hint, no anchor: only shared words place the snippet.
    common::write(
        &book,
        "Literature/treatments/pacing-note/integration-guide.md",
        "# Integration Guide: pacing note\n\n## Citation Key\n`Walitt2021ketamine`\n\n\
         ### Primary Target: treatments chapter\n**File:** `chapters/ch02-treatments.tex`\n**Environment type:** observation\n\n\
         ```latex\n\\begin{observation}[Infusion Tolerance]\nInfusions were tolerated~\\cite{Walitt2021ketamine}.\n\\end{observation}\n```\n",
    );
    git(&book, &["add", "-A"]);
    git(&book, &["commit", "-q", "-m", "guide"]);
    let guide = "Literature/treatments/pacing-note";
    let plan = tool(&book).args(["plan", "--format", "json", guide]).output().unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let target = &plan["guides"][0]["targets"][0];
    assert_eq!(target["review"], true, "{target}");
    let best = target["candidates"][0]["score"].as_f64().unwrap();
    assert!(best < 0.55, "{best}");

    let out = tool(&book).args(["apply", guide]).output().unwrap();
    let err = stderr(&out);
    assert!(err.contains("warning[placement-low-confidence]"), "{err}");
    assert!(
        err.contains("; left out (pass --accept-low-confidence to include it, or --pick / --at to choose the spot)"),
        "{err}"
    );
    assert_eq!(
        stdout(&out),
        "nothing committed: 1 low-confidence target(s) left out (pass --accept-low-confidence, --pick or --at); every other target is already applied or has nothing to insert\n"
    );
    assert!(git(&book, &["branch", "--list", "integrate/pacing-note"]).trim().is_empty());

    let out = tool(&book).args(["apply", "--accept-low-confidence", guide]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(git(&book, &["diff", "--name-only", "main", "integrate/pacing-note"]), "chapters/ch02-treatments.tex\n");
}

/// A small guide of our own for `chapters/ch02/sec-nmda-antagonists.tex`, citing `key` in
/// a hypothesis labelled `label`, placed under `section`.
fn series_guide(key: &str, label: &str, section: &str) -> String {
    format!(
        "# Integration Guide: {label}\n\n## Paper Citation Key\n**BibTeX key:** `{key}`\n\n\
         ## Recommended Chapters for Integration\n\n### Primary Target: sec-nmda-antagonists.tex\n\
         **File:** `chapters/ch02/sec-nmda-antagonists.tex`\n**Section hint:** \"{section}\"\n\
         **Environment type:** hypothesis\n\n**Suggested LaTeX:**\n```latex\n\
         \\begin{{hypothesis}}[A note on {label}]\n\\label{{hyp:{label}}}\n\
         A short remark on {label} that cites~\\cite{{{key}}}.\n\\end{{hypothesis}}\n```\n"
    )
}

#[test]
fn each_commit_of_a_run_holds_the_guides_up_to_it() {
    let (_d, book) = common::copy_book();
    let series = "Literature/test-series";
    // Two guides at the same section (insertions at one point), one at another, and the
    // ketamine guide editing two more files.
    common::write(
        &book,
        &format!("{series}/a-first/integration-guide.md"),
        &series_guide("Nijs2012sensitization", "series-a", "Safety Considerations"),
    );
    common::write(
        &book,
        &format!("{series}/b-second/integration-guide.md"),
        &series_guide("Goudsmit2012pacing", "series-b", "Safety Considerations"),
    );
    common::write(
        &book,
        &format!("{series}/c-third/integration-guide.md"),
        &series_guide("IOM2015beyond", "series-c", "NMDA Receptor Antagonists"),
    );
    let (_d, book) = common::commit_all((_d, book));
    let guides =
        [format!("{series}/a-first"), format!("{series}/b-second"), KETAMINE.to_string(), format!("{series}/c-third")];
    let args = |branch: &str, upto: usize| {
        let mut a: Vec<String> = vec!["apply".into()];
        a.extend(guides[..upto].iter().cloned());
        a.extend(["--branch".into(), branch.into(), "--accept-low-confidence".into()]);
        a
    };
    let out = tool(&book).args(args("all", 4)).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(git(&book, &["rev-list", "--count", "main..all"]).trim(), "4");
    assert!(stdout(&out).ends_with("3 file(s) changed, 34 line(s) added, 0 removed\n"), "{}", stdout(&out));
    // The k-th commit's tree is the tree of a run over the first k guides alone.
    for k in 1..=4 {
        let branch = format!("upto-{k}");
        let out = tool(&book).args(args(&branch, k)).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let nth = format!("all~{}^{{tree}}", 4 - k);
        assert_eq!(git(&book, &["rev-parse", &format!("{branch}^{{tree}}")]), git(&book, &["rev-parse", &nth]), "{k}");
    }
    // Both at the same point, in guide order, the first guide's block first.
    let text = git(&book, &["show", "all:chapters/ch02/sec-nmda-antagonists.tex"]);
    let (a, b) = (text.find("hyp:series-a").unwrap(), text.find("hyp:series-b").unwrap());
    assert!(a < b, "{text}");
    assert!(text.contains("hyp:series-c") && text.contains("hyp:ketamine-central-sensitization"), "{text}");
}

#[test]
fn apply_json_documents_keep_their_keys() {
    let (_d, book) = git_book();
    let out = tool(&book).args(["apply", KETAMINE, "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let id = git(&book, &["rev-parse", "integrate/ketamine"]);
    let expected = format!(
        "{{\n  \"branch\": \"integrate/ketamine\",\n  \"commits\": [\n    {{\n      \"guide\": \"{KETAMINE}/integration-guide.md\",\n      \"id\": \"{}\"\n    }}\n  ],\n  \"deletions\": 0,\n  \"files_changed\": 3,\n  \"insertions\": 19,\n  \"schema\": 1\n}}\n",
        id.trim()
    );
    assert_eq!(stdout(&out), expected);
    // Refused (the branch holds another change: the book moved on): no counts, the reason
    // instead, and no commits.
    git(&book, &["commit", "-q", "--allow-empty", "-m", "later work"]);
    let out = tool(&book).args(["apply", KETAMINE, "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "{\n  \"branch\": \"integrate/ketamine\",\n  \"commits\": [],\n  \"refused\": \"branch `integrate/ketamine` already exists with other changes; pass --force to rebuild it\",\n  \"schema\": 1\n}\n"
    );
}
