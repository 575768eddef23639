//! The book model and target resolution on the fixture book.

mod common;

use chapter_integrator::bib::KeyStatus;
use chapter_integrator::book::{discover_root, find_guides};
use chapter_integrator::guide::Target;
use chapter_integrator::resolve::{Resolution, Resolver};
use chapter_integrator::store::Store;

fn target(file: &str, title: &str) -> Target {
    Target {
        rank: 1,
        file_hint: Some(file.into()),
        title_hint: title.into(),
        line: 1,
        source: "g.md".into(),
        ..Default::default()
    }
}

#[test]
fn includes_roots_and_heading_context() {
    let (_d, root) = common::git_book();
    let book = Store::open(&root, "HEAD").unwrap();
    assert_eq!(book.includes.roots, vec!["main.tex", "typst/book.typ"]);
    assert_eq!(
        book.includes.children["chapters/ch02-treatments.tex"],
        vec![("chapters/ch02/sec-nmda-antagonists.tex".to_string(), 42)]
    );
    assert!(book.includes.reachable.contains("typst/ch03-mechanisms/sec-01-neuroinflammation.typ"));
    assert!(book.includes.reachable.contains("chapters/ch02/sec-nmda-antagonists.tex"));
    // The headings open at the include line; the sub-file's own `\subsection` replaces the
    // last one when headings are composed (see the plan JSON test).
    assert_eq!(
        book.context_of("chapters/ch02/sec-nmda-antagonists.tex"),
        vec![
            (0, "Treatment Options".to_string()),
            (1, "Pharmacological Treatments".to_string()),
            (2, "Low-Dose Naltrexone".to_string())
        ]
    );
    assert_eq!(
        book.context_of("typst/ch03-mechanisms/sec-02-central-sensitization.typ"),
        vec![(0, "Disease Mechanisms".to_string())]
    );
    assert_eq!(
        book.closure("typst/ch03-mechanisms/ch03-mechanisms.typ"),
        vec![
            "typst/ch03-mechanisms/ch03-mechanisms.typ",
            "typst/ch03-mechanisms/sec-01-neuroinflammation.typ",
            "typst/ch03-mechanisms/sec-02-central-sensitization.typ"
        ]
    );
}

#[test]
fn bibliography_and_labels() {
    let (_d, root) = common::git_book();
    let book = Store::open(&root, "HEAD").unwrap();
    assert_eq!(book.bib.len(), 12);
    assert_eq!(book.bib.status("Walitt2021ketamine"), KeyStatus::Found);
    assert_eq!(book.bib.status("walitt2021KETAMINE"), KeyStatus::CaseMismatch("Walitt2021ketamine".into()));
    assert!(book.bib.findings.is_empty(), "{:?}", book.bib.findings);
    let labels = book.labels();
    assert_eq!(
        labels["obs:pet-symptom-correlation"],
        vec![("typst/ch03-mechanisms/sec-01-neuroinflammation.typ".to_string(), 22)]
    );
    assert_eq!(labels["sec:nmda-antagonists"][0].0, "chapters/ch02/sec-nmda-antagonists.tex");
    let intro = book.outline("chapters/ch01-introduction.tex").unwrap();
    assert!(intro.headings.iter().all(|h| h.title != "Old Draft Section"), "a commented-out heading was read");
    let ch02 = book.outline("chapters/ch02-treatments.tex").unwrap();
    assert!(ch02.headings.iter().all(|h| h.title != "Not A Heading"), "a heading inside verbatim was read");
}

#[test]
fn roots_are_discovered_without_config() {
    let (_d, root) = common::copy_book();
    std::fs::remove_file(root.join("chapter-integrator.toml")).unwrap();
    let book = Store::open(&root, "HEAD").unwrap();
    assert_eq!(book.includes.roots, vec!["main.tex", "typst/book.typ"]);
    assert!(book.includes.reachable.contains("typst/ch04-symptom-management.typ"));
}

#[test]
fn includes_leaving_the_book_are_refused() {
    let (_d, root) = common::copy_book();
    let ch = root.join("chapters/ch01-introduction.tex");
    let text = std::fs::read_to_string(&ch).unwrap() + "\\input{../../outside}\n";
    std::fs::write(&ch, text).unwrap();
    let book = Store::open(&root, "HEAD").unwrap();
    let f: Vec<_> = book.findings.iter().filter(|f| f.code == "include-outside-book").collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].path.as_deref(), Some("chapters/ch01-introduction.tex"));
    // The book still compiles with it: a warning, not the error of a target outside the book.
    assert_eq!(f[0].severity, chapter_integrator::finding::Severity::Warning);
}

#[test]
fn book_root_and_guides_are_found() {
    let (_d, root) = common::git_book();
    let found = discover_root(&root.join("Literature/treatments/ketamine/integration-guide.md")).unwrap();
    assert_eq!(found, root.canonicalize().unwrap());
    let guides = find_guides(&root).unwrap();
    let names: Vec<String> =
        guides.iter().map(|g| g.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/")).collect();
    assert_eq!(
        names,
        vec![
            "Literature/treatments/ketamine/integration-guide.md",
            "Literature/treatments/low-dose-naltrexone/integration-guide.md"
        ]
    );
}

/// A guide under a hidden literature root the configuration names (`.staging`) is one of
/// the book's guides for every command: `guides` lists it, `check` checks it (the CI gate
/// sees what `guides` sees) and `status` reports it; a hidden folder the configuration does
/// not name stays out of all three.
#[test]
fn a_hidden_literature_root_is_walked_by_guides_check_and_status() {
    let (_d, root) = common::copy_book();
    let ldn = "Literature/treatments/low-dose-naltrexone";
    std::fs::create_dir_all(root.join(".staging")).unwrap();
    std::fs::rename(root.join(ldn), root.join(".staging/ldn")).unwrap();
    std::fs::create_dir_all(root.join(".scratch/old")).unwrap();
    std::fs::copy(root.join(".staging/ldn/integration-guide.md"), root.join(".scratch/old/integration-guide.md"))
        .unwrap();
    let config = std::fs::read_to_string(root.join("chapter-integrator.toml")).unwrap();
    let config = config.replace("literature = [\"Literature\"]", "literature = [\"Literature\", \".staging\"]");
    common::write(&root, "chapter-integrator.toml", &config);
    let (_d, root) = common::commit_all((_d, root));
    let staged = ".staging/ldn/integration-guide.md";
    let ketamine = "Literature/treatments/ketamine/integration-guide.md";
    let names: Vec<String> = find_guides(&root)
        .unwrap()
        .iter()
        .map(|g| g.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/"))
        .collect();
    assert_eq!(names, vec![staged, ketamine]);
    let json = |args: &[&str]| -> serde_json::Value {
        let out = common::tool(&root).args(["--format", "json"]).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", common::stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let listed = |v: &serde_json::Value| -> Vec<String> {
        v["guides"].as_array().unwrap().iter().map(|g| g["guide"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(
        listed(&json(&["guides"])),
        vec![staged, ".staging/ldn/key-findings.md", ketamine, "Literature/treatments/ketamine/key-findings.md"]
    );
    assert_eq!(listed(&json(&["check"])), vec![staged, ketamine]);
    assert_eq!(listed(&json(&["status"])), vec![staged, ketamine]);
    let out = common::tool(&root).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(common::stdout(&out).lines().last().unwrap(), "checked 2 guide(s): 0 error(s), 1 warning(s)");
}

#[test]
fn stale_paths_resolve_by_name_slug_or_not_at_all() {
    let (_d, root) = common::git_book();
    let book = Store::open(&root, "HEAD").unwrap();
    let mut r = Resolver::new(&book);
    let resolved = |res: Resolution| match res {
        Resolution::Resolved(t) => (t.path, t.method),
        other => panic!("not resolved: {other:?}"),
    };
    assert_eq!(
        resolved(r.resolve(&target("chapters/ch02-treatments.tex", ""), "")),
        ("chapters/ch02-treatments.tex".into(), "exact")
    );
    assert_eq!(
        resolved(r.resolve(&target("old/ch02-treatments.tex", ""), "")),
        ("chapters/ch02-treatments.tex".into(), "moved")
    );
    assert_eq!(
        resolved(r.resolve(&target("typst/ch05-mechanisms/ch05-mechanisms.typ", ""), "")),
        ("typst/ch03-mechanisms/ch03-mechanisms.typ".into(), "slug")
    );
    assert_eq!(
        resolved(r.resolve(&target("ch09-symptom-care.typ", "Chapter 9: Symptom Management"), "pain sleep medication")),
        ("typst/ch04-symptom-management.typ".into(), "fuzzy")
    );
    // The title wins over a chapter number that now belongs to another chapter: "Symptoms"
    // names ch04 (0.379; the words "Chapter 3" name no subject); ch03 gets no bonus for its
    // number (0.3, it was 0.4).
    match r.resolve(&target("Chapter 3: Symptoms", "Chapter 3: Symptoms"), "central sensitization pain") {
        Resolution::Unresolved(closest) => assert_eq!(
            closest[..2],
            [
                ("typst/ch04-symptom-management.typ".to_string(), 0.379),
                ("typst/ch03-mechanisms/ch03-mechanisms.typ".to_string(), 0.3)
            ]
        ),
        other => panic!("expected unresolved: {other:?}"),
    }
    match r.resolve(&target("ch99-quantum-astrology.tex", ""), "") {
        Resolution::Unresolved(closest) => assert_eq!(closest.len(), 3),
        other => panic!("expected unresolved: {other:?}"),
    }
    // Nothing outside the book is looked at.
    for outside in ["../../etc/passwd", "/etc/passwd", "chapters/../../x.tex"] {
        match r.resolve(&target(outside, ""), "") {
            Resolution::Outside(p) => assert!(p.ends_with("passwd") || p.ends_with("x.tex")),
            other => panic!("{outside}: {other:?}"),
        }
    }
    // A path written on another machine: the book's top folder, else the file's name.
    assert_eq!(
        resolved(r.resolve(&target("/home/someone/code/book/chapters/ch02-treatments.tex", ""), "")),
        ("chapters/ch02-treatments.tex".into(), "exact")
    );
    assert_eq!(
        resolved(r.resolve(&target("/home/someone/old-book/ch02-treatments.tex", ""), "")),
        ("chapters/ch02-treatments.tex".into(), "moved")
    );
    // An absolute path inside the book is the book file.
    let abs = format!("{}/chapters/ch02-treatments.tex", root.canonicalize().unwrap().display());
    assert_eq!(resolved(r.resolve(&target(&abs, ""), "")), ("chapters/ch02-treatments.tex".into(), "exact"));
}

#[test]
fn a_guide_naming_two_files_gets_two_files() {
    let (_d, root) = common::git_book();
    let book = Store::open(&root, "HEAD").unwrap();
    let mut r = Resolver::new(&book);
    let first = target("chXX-symptom-management.typ", "");
    let second = target("chXX-symptoms.typ", "");
    let context = "neuroinflammation microglia".to_string();
    let closest = |res: &Resolution| match res {
        Resolution::Unresolved(c) => c.iter().map(|(p, s)| (p.clone(), *s)).collect::<Vec<_>>(),
        other => panic!("expected unresolved: {other:?}"),
    };
    // Alone, "symptoms" is closest to the symptom chapter (0.333)...
    let alone = closest(&r.resolve(&second, &context));
    assert_eq!(alone[0], ("typst/ch04-symptom-management.typ".into(), 0.333));
    // ...beside a target naming that chapter outright, it counts 0.85 of that (0.283) and
    // the other chapter comes first.
    let both = r.resolve_guide(&[(&first, String::new()), (&second, context.clone())]);
    match &both[0] {
        Resolution::Resolved(t) => assert_eq!(t.path, "typst/ch04-symptom-management.typ"),
        other => panic!("{other:?}"),
    }
    let both = closest(&both[1]);
    assert_eq!(both[0], ("typst/ch03-mechanisms/ch03-mechanisms.typ".into(), 0.3));
    assert_eq!(both[1], ("typst/ch04-symptom-management.typ".into(), 0.283));
    // Titles claim nothing: two sections of one chapter may be named as two "chapters".
    let titled = target("Chapter: Symptom Management", "");
    let both = r.resolve_guide(&[(&titled, String::new()), (&second, context)]);
    assert_eq!(closest(&both[1])[0], ("typst/ch04-symptom-management.typ".into(), 0.333));
}

#[test]
fn a_typst_hint_never_resolves_to_a_latex_file_the_book_has_left() {
    let (d, root) = common::copy_book();
    // A chapter of the LaTeX edition that no root includes any more.
    common::write(&root, "legacy/ch07-sleep-care.tex", "\\chapter{Sleep Care}\nSleep hygiene and melatonin.\n");
    let (_d, root) = common::commit_all((d, root));
    let book = Store::open(&root, "HEAD").unwrap();
    assert!(!book.includes.reachable.contains("legacy/ch07-sleep-care.tex"));
    let mut r = Resolver::new(&book);
    // A LaTeX hint still finds the file where it moved.
    match r.resolve(&target("chapters/ch07-sleep-care.tex", ""), "") {
        Resolution::Resolved(t) => assert_eq!((t.path.as_str(), t.method), ("legacy/ch07-sleep-care.tex", "moved")),
        other => panic!("not resolved: {other:?}"),
    }
    // A Typst hint of the same name does not: by name, by slug or by fuzzy match.
    for hint in ["typst/ch07-sleep-care.typ", "typst/ch08-sleep-care.typ"] {
        match r.resolve(&target(hint, "Chapter 7: Sleep Care"), "sleep hygiene melatonin") {
            Resolution::Resolved(t) => assert_ne!(t.path, "legacy/ch07-sleep-care.tex", "{hint}"),
            Resolution::Unresolved(closest) => {
                assert!(closest.iter().all(|(p, _)| p != "legacy/ch07-sleep-care.tex"), "{hint}: {closest:?}")
            }
            other => panic!("{hint}: {other:?}"),
        }
    }
}

#[test]
fn a_hint_in_words_is_matched_by_its_subject_words() {
    let (d, root) = common::copy_book();
    let main = std::fs::read_to_string(root.join("main.tex")).unwrap().replace(
        "\\input{chapters/ch02-treatments}\n",
        "\\input{chapters/ch02-treatments}\n\\input{chapters/ch05-immune-dysfunction}\n\
         \\input{chapters/ch06-energy-metabolism}\n\\input{chapters/ch07-severe-illness}\n",
    );
    common::write(&root, "main.tex", &main);
    common::write(
        &root,
        "chapters/ch05-immune-dysfunction.tex",
        "\\chapter{Immune System Dysfunction}\nNatural killer cells and cytokines.\n",
    );
    common::write(
        &root,
        "chapters/ch06-energy-metabolism.tex",
        "\\chapter{Energy Metabolism and Mitochondrial Function}\nATP production and lactate.\n",
    );
    common::write(
        &root,
        "chapters/ch07-severe-illness.tex",
        "\\chapter{Severe ME/CFS}\nCare for people who are bedbound.\n",
    );
    let (_d, root) = common::commit_all((d, root));
    let book = Store::open(&root, "HEAD").unwrap();
    let mut r = Resolver::new(&book);
    let path = |res: Resolution| match res {
        Resolution::Resolved(t) => t.path,
        other => panic!("not resolved: {other:?}"),
    };
    // "Dysfunction" of the mitochondria is the subject of the chapter on their function,
    // not of another chapter that happens to say "dysfunction" (before: ch05, by that word).
    let title = "Chapter 9: Mitochondrial Dysfunction";
    assert_eq!(path(r.resolve(&target(title, title), "")), "chapters/ch06-energy-metabolism.tex");
    // A slash in words separates no folders: "ME/CFS" is a word of the title (before: only
    // "CFS chapter" was compared, and nothing matched well enough).
    assert_eq!(path(r.resolve(&target("severe ME/CFS chapter", ""), "")), "chapters/ch07-severe-illness.tex");
}

#[test]
fn file_names_compare_equal_in_nfc_and_nfd() {
    let (_d, root) = common::copy_book();
    // The book spells the name composed (NFC); the guide decomposed (NFD).
    common::write(&root, "typst/ch05-st\u{f6}rungen.typ", "= St\u{f6}rungen <ch:stoerungen>\n\nText.\n");
    let (_d2, root) = common::commit_all((tempfile::tempdir().unwrap(), root));
    let book = Store::open(&root, "HEAD").unwrap();
    assert_eq!(book.file("typst/ch05-sto\u{308}rungen.typ").as_deref(), Some("typst/ch05-st\u{f6}rungen.typ"));
    let mut r = Resolver::new(&book);
    match r.resolve(&target("typst/ch05-sto\u{308}rungen.typ", ""), "") {
        Resolution::Resolved(t) => assert_eq!((t.path.as_str(), t.method), ("typst/ch05-st\u{f6}rungen.typ", "exact")),
        other => panic!("not resolved: {other:?}"),
    }
}
