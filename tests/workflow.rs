//! Output formats, exit statuses, colour, --fail-on, --changed-since, status, summaries,
//! phrasing rules, init, completions and man page.

mod common;

use common::{git, git_book, stderr, stdout, tool, without_drafted_target};

const KETAMINE: &str = "Literature/treatments/ketamine";

#[test]
fn github_format_annotates_repo_paths_and_writes_a_job_summary() {
    let (d, book) = git_book();
    let summary = d.path().join("summary.md");
    let out = tool(&book).args(["check", "--format", "github"]).env("GITHUB_STEP_SUMMARY", &summary).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("## chapter-integrator check\n"), "{md}");
    assert!(md.contains("| `Literature/treatments/ketamine/integration-guide.md` | 0 | 1 |"), "{md}");
}

#[test]
fn github_annotations_escape_and_name_files_relative_to_the_repository() {
    let (_d, book) = git_book();
    // The book in a subfolder of the repository: annotations name repository paths.
    let repo = book.parent().unwrap().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::rename(&book, repo.join("book")).unwrap();
    std::fs::remove_dir_all(repo.join("book/.git")).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["-c", "user.name=T", "-c", "user.email=t@e", "commit", "-q", "-m", "x"]);
    let out =
        tool(&repo).args(["check", "--format", "github", "book/Literature/treatments/ketamine"]).output().unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("::warning file=book/Literature/treatments/ketamine/integration-guide.md,line=23,title=target-resolved-loosely::"),
        "{text}"
    );
}

#[test]
fn json_check_snapshot() {
    let (_d, book) = git_book();
    let out = tool(&book).args(["check", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    insta::assert_json_snapshot!(v["summary"]);
    assert_eq!(v["schema"], 1);
    assert_eq!(v["guides"].as_array().unwrap().len(), 2);
}

#[test]
fn fail_on_warning_turns_warnings_into_status_1() {
    let (_d, book) = git_book();
    assert_eq!(tool(&book).args(["check", KETAMINE]).output().unwrap().status.code(), Some(0));
    assert_eq!(tool(&book).args(["check", "--fail-on", "warning", KETAMINE]).output().unwrap().status.code(), Some(1));
    assert_eq!(
        tool(&book)
            .args(["check", "--fail-on", "warning", "Literature/treatments/low-dose-naltrexone"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
    // And apply refuses to write on a warning then.
    let out = tool(&book).args(["apply", "--fail-on", "warning", KETAMINE]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(git(&book, &["branch", "--list", "integrate/*"]), "");
}

#[test]
fn colour_follows_flag_then_no_color_then_term() {
    let (_d, book) = git_book();
    let run = |args: &[&str], envs: &[(&str, &str)]| {
        let mut cmd = assert_cmd::Command::cargo_bin("chapter-integrator").unwrap();
        cmd.current_dir(&book).env_remove("NO_COLOR").env_remove("TERM");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        stdout(&cmd.args(args).output().unwrap())
    };
    let esc = '\u{1b}';
    assert!(run(&["--color", "always", "diff", KETAMINE], &[("NO_COLOR", "1")]).contains(esc));
    assert!(!run(&["--color", "never", "diff", KETAMINE], &[]).contains(esc));
    // Auto: stdout is not a terminal here, so no colour whatever the environment says.
    assert!(!run(&["diff", KETAMINE], &[("TERM", "xterm")]).contains(esc));
    assert!(!run(&["diff", KETAMINE], &[("NO_COLOR", "1")]).contains(esc));
}

#[test]
fn changed_since_checks_only_changed_guides() {
    let (_d, book) = git_book();
    let first = git(&book, &["rev-parse", "HEAD"]).trim().to_string();
    let out = tool(&book).args(["check", "--changed-since", &first]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).ends_with("checked 0 guide(s): 0 error(s), 0 warning(s)\n"), "{}", stdout(&out));
    let kf = book.join("Literature/treatments/low-dose-naltrexone/key-findings.md");
    std::fs::write(&kf, std::fs::read_to_string(&kf).unwrap() + "\nOne more note.\n").unwrap();
    git(&book, &["commit", "-q", "-am", "kf"]);
    let out = tool(&book).args(["check", "--format", "json", "--changed-since", &first]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let guides: Vec<&str> = v["guides"].as_array().unwrap().iter().map(|g| g["guide"].as_str().unwrap()).collect();
    assert_eq!(guides, vec!["Literature/treatments/low-dose-naltrexone/integration-guide.md"]);
    let out = tool(&book).args(["check", "--changed-since", "no-such-rev"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn status_counts_guides_per_topic_and_sees_applied_work() {
    let (_d, book) = git_book();
    let out = tool(&book).args(["status", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The chapter's paragraph on low-dose naltrexone already cites its pilot trial and says
    // part of what the guide's snippet says: partly applied (still inserted).
    assert_eq!(v["topics"]["treatments"]["pending"], 1);
    assert_eq!(v["topics"]["treatments"]["partly applied"], 1);
    assert_eq!(tool(&book).args(["apply", KETAMINE]).output().unwrap().status.code(), Some(0));
    git(&book, &["merge", "-q", "--ff-only", "integrate/ketamine"]);
    let out = tool(&book).arg("status").output().unwrap();
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn apply_writes_a_review_summary() {
    let (d, book) = git_book();
    let summary = d.path().join("pr.md");
    let out = tool(&book).args(["apply", KETAMINE, "--summary", summary.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!(std::fs::read_to_string(&summary).unwrap());
}

#[test]
fn phrasing_rules_fire_on_overstatement_and_stay_quiet_otherwise() {
    let (_d, book) = git_book();
    let write = |name: &str, sentence: &str| {
        let dir = book.join("Literature/phrasing").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("integration-guide.md"),
            format!(
                "# G\n## Paper Citation Key\n**BibTeX key:** `Zaccara2023ketamine`\n**Certainty:** Low\n\n### Primary Target: t\n**File:** `chapters/ch02-treatments.tex`\n**Section hint:** \"Investigational Treatments\"\n\n```latex\n\\begin{{observation}}[Case Report]\n\\label{{obs:{name}}}\n{sentence}~\\cite{{Zaccara2023ketamine}}.\n\\end{{observation}}\n```\n\n**Avoid overstating:**\n- ✗ \"ketamine treats ME/CFS\"\n"
            ),
        )
        .unwrap();
    };
    write("loud", "This case proves that ketamine cures fatigue in all patients, so ketamine treats ME/CFS");
    write("calm", "A single case suggests repeated infusions may ease pain in some patients");
    let out = tool(&book).args(["check", "Literature/phrasing/loud"]).output().unwrap();
    let text = stdout(&out);
    for code in ["phrasing-proves", "phrasing-cures", "phrasing-all-patients", "phrasing-avoid"] {
        assert!(
            text.contains(&format!("warning[{code}] Literature/phrasing/loud/integration-guide.md:10")),
            "{code}: {text}"
        );
    }
    let out = tool(&book).args(["check", "Literature/phrasing/calm"]).output().unwrap();
    assert!(!stdout(&out).contains("phrasing"), "{}", stdout(&out));
}

#[test]
fn init_writes_a_commented_config_and_refuses_to_overwrite() {
    let (_d, book) = common::copy_book();
    std::fs::remove_file(book.join("chapter-integrator.toml")).unwrap();
    let out = tool(&book).args(["--book", ".", "init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let cfg = std::fs::read_to_string(book.join("chapter-integrator.toml")).unwrap();
    assert!(cfg.contains("roots = [\"main.tex\", \"typst/book.typ\"]"), "{cfg}");
    assert!(cfg.contains("bibliography = [\"references.bib\"]"), "{cfg}");
    let parsed: toml::Table = toml::from_str(&cfg).unwrap();
    assert!(parsed.contains_key("book"));
    assert_eq!(tool(&book).args(["--book", ".", "init"]).output().unwrap().status.code(), Some(2));
    assert_eq!(tool(&book).args(["--book", ".", "init", "--force"]).output().unwrap().status.code(), Some(0));
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let here = std::path::Path::new(".");
    let out = tool(here).args(["completions", "bash"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("chapter-integrator") && text.contains("--changed-since"),
        "{}",
        &text[..200.min(text.len())]
    );
    let out = tool(here).arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).starts_with(".ie \\n(.g .ds Aq"), "{}", &stdout(&out)[..100]);
}

#[test]
fn config_keys_change_resolution_and_rules_location() {
    let (_d, book) = git_book();
    let dir = book.join("Literature/fuzzy");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("integration-guide.md"),
        "# G\n## Paper Citation Key\n**BibTeX key:** `Younger2014ldn`\n### Primary Target: Chapter 9: Symptom Management\n**File:** `ch09-symptom-care.typ`\n**Section hint:** \"Medications for Pain\"\n```typst\n#observation[Low-dose naltrexone after ketamine @Zaccara2023ketamine.]\n```\n",
    )
    .unwrap();
    let resolved = |book: &std::path::Path| {
        let out = tool(book).args(["plan", "--format", "json", "Literature/fuzzy"]).output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["guides"][0]["targets"][0]["resolved"]["path"].as_str().map(str::to_string)
    };
    assert_eq!(resolved(&book).as_deref(), Some("typst/ch04-symptom-management.typ"));
    let cfg = book.join("chapter-integrator.toml");
    let base = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("{base}\n[resolve]\nthreshold = 0.99\n")).unwrap();
    assert_eq!(resolved(&book), None);
    std::fs::write(
        &cfg,
        base.replace("[book]", "[book]\nannotated_bibliography = \"typst/ch04-symptom-management.typ\""),
    )
    .unwrap();
    assert_ne!(resolved(&book).as_deref(), Some("typst/ch04-symptom-management.typ"));
    // Rules from another folder: a phrasing rule that fires on "naltrexone".
    std::fs::write(&cfg, format!("{base}\n[rules]\ndir = \"house-rules\"\n")).unwrap();
    std::fs::create_dir_all(book.join("house-rules")).unwrap();
    std::fs::write(
        book.join("house-rules/phrasing.toml"),
        "[[rule]]\ncode = \"house-no-naltrexone\"\nkind = \"existence\"\nlevel = \"warning\"\ntokens = [\"naltrexone\"]\nmessage = \"say LDN\"\nwhy = \"house style\"\nfix = \"write LDN\"\n",
    )
    .unwrap();
    let out = tool(&book).args(["check", "Literature/fuzzy"]).output().unwrap();
    assert!(stdout(&out).contains("warning[house-no-naltrexone]"), "{}", stdout(&out));
    std::fs::write(&cfg, format!("{base}\n[rules]\ndir = \"../elsewhere\"\n")).unwrap();
    assert_eq!(tool(&book).args(["check", "Literature/fuzzy"]).output().unwrap().status.code(), Some(2));
}

#[test]
fn init_works_in_a_plain_folder_and_quiet_keeps_only_errors() {
    let (_d, book) = common::copy_book();
    std::fs::remove_file(book.join("chapter-integrator.toml")).unwrap();
    let out = tool(&book).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(book.join("chapter-integrator.toml").is_file());
    let out = tool(&book).args(["check", "-q", KETAMINE]).output().unwrap();
    assert_eq!(stdout(&out), "", "warnings are not printed with -q");
    let out = tool(&book).args(["diff", "-q", KETAMINE]).output().unwrap();
    assert_eq!(stderr(&out), "");
}

#[test]
fn a_scratch_bib_file_the_roots_do_not_name_is_no_part_of_the_bibliography() {
    let (_d, book) = git_book();
    without_drafted_target(&book);
    std::fs::create_dir_all(book.join("aaa-scratch")).unwrap();
    std::fs::write(book.join("aaa-scratch/additions.bib"), "@article{Younger2014ldn, title={Scratch copy}}\n").unwrap();
    // No configured bibliography: the .bib files the root documents name count, the
    // scratch file does not (its copy of a key is no duplicate).
    let cfg = book.join("chapter-integrator.toml");
    let text = std::fs::read_to_string(&cfg).unwrap().replace("bibliography = [\"references.bib\"]\n", "");
    std::fs::write(&cfg, text).unwrap();
    git(&book, &["add", "-A"]);
    git(&book, &["commit", "-q", "-m", "scratch"]);
    let out = tool(&book).args(["check", "-v"]).output().unwrap();
    let text = stdout(&out);
    assert!(!text.contains("aaa-scratch"), "{text}");
    assert!(!text.contains("bib-duplicate-key"), "{text}");
    assert!(text.contains("checked 2 guide(s): 0 error(s), 2 warning(s)"), "{text}");
}
