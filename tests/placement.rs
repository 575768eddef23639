//! Ranking of insertion points for each hint form a guide can use, on the fixture chapter
//! `fixtures/placement/ch05-pacing.tex`. Each test states which spot must rank first.

use chapter_integrator::guide::Target;
use chapter_integrator::place::{self, Candidate};
use chapter_integrator::store::Store;

const CHAPTER: &str = "ch05-pacing.tex";

/// A second fixture chapter whose headings share words (`fixtures/placement/README.md`).
const SLEEP: &str = "ch07-sleep.tex";

fn fixture() -> (tempfile::TempDir, Store) {
    fixture_of(CHAPTER)
}

/// A book holding only the fixture chapter `name`.
fn fixture_of(name: &str) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/placement").join(name);
    std::fs::copy(from, dir.path().join(name)).unwrap();
    let book = Store::open(dir.path(), "HEAD").unwrap();
    (dir, book)
}

/// 1-based line of fixture chapter `name` that contains `text`.
fn line_in(book: &Store, name: &str, text: &str) -> usize {
    let src = &book.sources[name];
    src.lines().position(|l| l.contains(text)).map(|i| i + 1).unwrap_or_else(|| panic!("`{text}` not in {name}"))
}

/// 1-based line of the fixture chapter that contains `text`.
fn line_of(book: &Store, text: &str) -> usize {
    line_in(book, CHAPTER, text)
}

fn target(hints: &[&str]) -> Target {
    Target {
        rank: 1,
        file_hint: Some(CHAPTER.into()),
        section_hints: hints.iter().map(|h| h.to_string()).collect(),
        line: 1,
        source: "guide.md".into(),
        ..Default::default()
    }
}

fn rank(book: &Store, target: &Target, keys: &[&str], context: &str) -> Vec<Candidate> {
    let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    place::rank(book, CHAPTER, target, &keys, context, 5)
}

fn top(candidates: &[Candidate]) -> (usize, String) {
    let c = candidates.first().expect("a candidate");
    (c.after_line, c.heading_path.last().cloned().unwrap_or_default())
}

#[test]
fn quoted_alternatives_any_may_match_and_a_missing_one_is_skipped() {
    let (_d, book) = fixture();
    let c = rank(&book, &target(&["\"Energy Budgets\" or \"Crash Recovery\""]), &[], "");
    // After the section's own text and its environment, before its first subsection.
    assert_eq!(top(&c), (line_of(&book, "\\end{observation}"), "Crash Recovery".into()));
    assert!(c[0].reasons()[0].contains("matches heading \"Crash Recovery\""), "{:?}", c[0].reasons());
}

#[test]
fn a_label_anchor_is_exact() {
    let (_d, book) = fixture();
    for hint in ["after \\label{sec:thresholds}", "the section <sec:thresholds>"] {
        let c = rank(&book, &target(&[hint]), &[], "crash recovery sleep");
        assert_eq!(top(&c), (line_of(&book, "fifteen beats below"), "Activity Thresholds".into()), "{hint}");
        assert_eq!(c[0].reasons()[0], "section hint names label <sec:thresholds> of \"Activity Thresholds\"");
    }
}

#[test]
fn a_section_number_is_counted_in_document_order() {
    let (_d, book) = fixture();
    // Chapter 5, section 2; and section 1.2 without the chapter's number.
    let c = rank(&book, &target(&["Section 5.2"]), &[], "");
    assert_eq!(top(&c).1, "Crash Recovery");
    assert_eq!(c[0].reasons()[0], "section hint names section 5.2 (\"Crash Recovery\")");
    let c = rank(&book, &target(&["§1.2"]), &[], "");
    assert_eq!(top(&c), (line_of(&book, "ignore cognitive"), "Limitations".into()));
    assert_eq!(c[0].heading_path[1], "Activity Thresholds");
}

#[test]
fn a_stale_section_number_yields_to_the_title_beside_it() {
    let (_d, book) = fixture();
    // 5.2 is "Crash Recovery" today; the guide's title names another section, and wins.
    let c = rank(&book, &target(&["EXPAND EXISTING: §5.2 Activity Thresholds"]), &[], "");
    assert_eq!(top(&c).1, "Activity Thresholds");
    assert!(c[0].reasons()[0].contains("matches heading \"Activity Thresholds\""), "{:?}", c[0].reasons());
    // Only a number and the title in parentheses.
    let c = rank(&book, &target(&["After §5.2 (Activity Thresholds)"]), &[], "");
    assert_eq!(top(&c).1, "Activity Thresholds");
    // A title that names no heading leaves the number to place it.
    let c = rank(&book, &target(&["§5.2 Orthostatic Tables"]), &[], "");
    assert_eq!(top(&c).1, "Crash Recovery");
    // A number picking one of the two headings the title names stays.
    let c = rank(&book, &target(&["§5.2.1 Limitations"]), &[], "");
    assert_eq!(top(&c), (line_of(&book, "Recovery timelines vary"), "Limitations".into()));
}

#[test]
fn an_arrow_path_picks_the_same_titled_section_under_the_named_parent() {
    let (_d, book) = fixture();
    let c = rank(&book, &target(&["Crash Recovery → Limitations"]), &[], "");
    assert_eq!(top(&c), (line_of(&book, "Recovery timelines vary"), "Limitations".into()));
    assert_eq!(c[0].heading_path[1], "Crash Recovery");
    assert!(c[0].reasons()[0].contains("along its path"), "{:?}", c[0].reasons());
    // The other "Limitations" still matches, below it.
    let other = c.iter().find(|x| x.after_line == line_of(&book, "ignore cognitive")).expect("second Limitations");
    assert!(other.score < c[0].score);
}

#[test]
fn a_stale_line_anchor_is_found_by_its_quoted_text() {
    let (_d, book) = fixture();
    // The guide was written when the paragraph sat at line 6; it is at line 24 now.
    let c = rank(&book, &target(&["After line 6 (\"rest is extended and activity is rebuilt\")"]), &[], "");
    assert_eq!(top(&c).0, line_of(&book, "rather than hours."));
    let found = line_of(&book, "rest is extended");
    assert!(c[0].reasons()[0].contains(&format!("found at line {found}, guide said line 6")), "{:?}", c[0].reasons());
}

#[test]
fn a_line_number_at_the_named_heading_counts_for_its_subsections_too() {
    let (_d, book) = fixture();
    let heading = line_of(&book, "\\section{Crash Recovery}");
    let hint = format!("\\section{{Crash Recovery}} (line ~{heading})");
    let c = rank(&book, &target(&[&hint]), &[], "timelines vary widely");
    assert_eq!(top(&c), (line_of(&book, "Recovery timelines vary"), "Limitations".into()));
    assert_eq!(
        c[0].reasons()[0],
        format!("the guide's line ~{heading} lies at the enclosing heading \"Crash Recovery\" (1.00)")
    );
    // The section's own candidate keeps its own reason.
    let own = c.iter().find(|x| x.heading_path.last().is_some_and(|t| t == "Crash Recovery")).expect("own text");
    assert!(
        own.reasons().contains(&format!("the guide's line ~{heading} lies near this section (1.00)")),
        "{:?}",
        own.reasons()
    );
}

#[test]
fn a_quote_shortened_with_an_ellipsis_is_found_by_its_parts_in_order() {
    let (_d, book) = fixture();
    let sleep = line_of(&book, "Sleep carries most");
    for quote in ["Sleep carries...return to their baseline", "sleep carries most of the recovery… sooner"] {
        let c = rank(&book, &target(&[&format!("Line ~5, text: \"{quote}\"")]), &[], "");
        assert_eq!(top(&c).0, line_of(&book, "to their baseline sooner."), "{quote}");
        assert!(
            c[0].reasons()[0].contains(&format!("found at line {sleep}, guide said line 5")),
            "{:?}",
            c[0].reasons()
        );
    }
    // Neither are the parts in the other order, nor a quote of ellipses alone.
    for quote in ["return to their baseline...Sleep carries", "... …", "...."] {
        let c = rank(&book, &target(&[&format!("Line ~5, text: \"{quote}\"")]), &[], "");
        assert!(c.iter().all(|x| x.reasons().iter().all(|r| !r.contains("found at line"))), "{quote}: {c:?}");
    }
}

#[test]
fn after_the_paragraph_mentioning_a_topic() {
    let (_d, book) = fixture();
    let c = rank(&book, &target(&["after the paragraph mentioning sleep"]), &[], "");
    assert_eq!(top(&c).0, line_of(&book, "to their baseline sooner."));
    assert!(c[0].reasons()[0].starts_with("paragraph on \"sleep\" found at line"), "{:?}", c[0].reasons());
}

#[test]
fn a_new_section_goes_after_the_subsections_of_the_section_it_joins() {
    let (_d, book) = fixture();
    let mut t = target(&["Activity Thresholds"]);
    t.new_section = Some("Wearable Alarms".into());
    let c = rank(&book, &t, &[], "");
    // After "Limitations" of Activity Thresholds, before \section{Crash Recovery}.
    assert_eq!(top(&c), (line_of(&book, "ignore cognitive"), "Activity Thresholds".into()));
    assert!(c[0].reasons().iter().any(|r| r.starts_with("the guide asks for a new section")), "{:?}", c[0].reasons());
    // Without the request the same hint gives the section's own text.
    let c = rank(&book, &target(&["Activity Thresholds"]), &[], "");
    assert_eq!(top(&c).0, line_of(&book, "fifteen beats below"));
}

#[test]
fn without_hints_content_relevance_and_cited_keys_decide() {
    let (_d, book) = fixture();
    let c = rank(&book, &target(&[]), &[], "compression garments raise blood volume when standing");
    assert_eq!(top(&c).1, "Orthostatic Intolerance");
    assert!(c[0].reasons()[0].starts_with("shares terms with the snippet and key findings"), "{:?}", c[0].reasons());
    let c = rank(&book, &target(&[]), &["Park2019"], "");
    assert_eq!(top(&c).1, "Activity Thresholds");
    assert!(c[0].reasons().contains(&"already cites Park2019".to_string()), "{:?}", c[0].reasons());
}

#[test]
fn a_weak_one_word_match_counts_for_nothing() {
    let (_d, book) = fixture();
    // "Recovery" alone is shared with "Crash Recovery", but "Sleep Hygiene Recovery Plans"
    // names a section the chapter lacks.
    let c = rank(&book, &target(&["Sleep Hygiene Recovery Plans and Routines"]), &[], "");
    assert!(c.iter().all(|x| x.reasons().iter().all(|r| !r.contains("matches heading"))), "{c:?}");
}

#[test]
fn without_hints_the_papers_subject_from_its_folder_name_may_name_a_heading() {
    let (_d, book) = fixture();
    let mut t = target(&[]);
    t.source = "Literature/pacing/Park_2019_HeartRateCeilings/key-findings.md".into();
    let c = rank(&book, &t, &[], "");
    assert_eq!(top(&c), (line_of(&book, "a few beats before"), "Heart Rate Ceilings".into()));
    assert_eq!(
        c[0].reasons()[0],
        "the paper's subject \"Heart Rate Ceilings\" matches heading \"Heart Rate Ceilings\" (1.00)"
    );
    // An explicit hint wins over the folder's name.
    t.section_hints = vec!["Orthostatic Intolerance".into()];
    assert_eq!(top(&rank(&book, &t, &[], "")).1, "Orthostatic Intolerance");
}

#[test]
fn stale_line_numbers_move_as_the_guides_found_anchors_moved() {
    let (_d, book) = fixture();
    // The guide was written when the chapter had 100 more lines above these spots.
    let a = target(&["After line 124 (\"rest is extended and activity is rebuilt\")"]);
    let b = target(&["line 140, after \"Lying down lowers the load\""]);
    let stale = target(&["after line 119"]);
    let shift = place::line_shift(&book, CHAPTER, &[&a, &b, &stale]).expect("two anchors agree");
    assert_eq!(shift, place::LineShift { by: -100, anchors: 2 });
    let c = place::rank_with(
        &book,
        CHAPTER,
        &stale,
        &[],
        "",
        5,
        place::Priors { shift: Some(shift), ..Default::default() },
    );
    assert_eq!(top(&c), (line_of(&book, "cognitive and emotional exertion"), "Limitations".into()));
    assert!(c[0].reasons()[0].contains("line ~119, moved by -100 as 2 found anchors moved"), "{:?}", c[0].reasons());
    // Uncorrected, line 119 lies past the end of the chapter: the last section is nearest.
    let c = rank(&book, &stale, &[], "");
    assert_eq!(top(&c).1, "Orthostatic Intolerance");
}

#[test]
fn one_found_anchor_or_disagreeing_ones_measure_no_shift() {
    let (_d, book) = fixture();
    let a = target(&["After line 124 (\"rest is extended and activity is rebuilt\")"]);
    assert_eq!(place::line_shift(&book, CHAPTER, &[&a]), None);
    let far = target(&["line 300, after \"Lying down lowers the load\""]);
    assert_eq!(place::line_shift(&book, CHAPTER, &[&a, &far]), None);
}

#[test]
fn a_same_file_target_naming_no_heading_goes_right_after_the_target_it_follows() {
    let (_d, book) = fixture();
    let primary = rank(&book, &target(&["Activity Thresholds"]), &[], "");
    let first = primary.first().expect("a candidate");
    let mut follower = target(&["A Subsection That Does Not Exist"]);
    follower.title_hint = "Same file — Another Missing Subsection".into();
    follower.follows = Some(1);
    let priors = place::Priors { follows: Some(first), ..Default::default() };
    // The snippet alone would go to the crash section.
    let context = "sleep after a crash, recovery rest";
    assert_eq!(top(&rank(&book, &follower, &[], context)).1, "Crash Recovery");
    let c = place::rank_with(&book, CHAPTER, &follower, &[], context, 5, priors);
    assert_eq!(top(&c), (first.after_line, "Activity Thresholds".into()));
    assert!(c[0].reasons()[0].contains("right after that target's insertion point"), "{:?}", c[0].reasons());
    // A hint naming a heading decides instead.
    let named = target(&["Orthostatic Intolerance"]);
    let c = place::rank_with(&book, CHAPTER, &named, &[], context, 5, priors);
    assert_eq!(top(&c).1, "Orthostatic Intolerance");
}

#[test]
fn after_the_end_of_a_named_environment() {
    let (_d, book) = fixture();
    let c = rank(&book, &target(&["After `\\end{observation}` of the observation on infections"]), &[], "");
    assert_eq!(top(&c), (line_of(&book, "\\end{observation}"), "Crash Recovery".into()));
    assert!(c[0].reasons()[0].starts_with("the observation environment at lines 30-32"), "{:?}", c[0].reasons());
    // No environment of that kind: no anchor.
    let c = rank(&book, &target(&["After \\end{warning} of the infections warning"]), &[], "");
    assert!(c.iter().all(|c| !c.reasons().iter().any(|r| r.contains("environment at lines"))), "{c:?}");
}

#[test]
fn a_blocks_section_hint_places_its_later_snippets() {
    let (_d, book) = fixture();
    let mut t = target(&["Chapter: Pacing"]);
    t.block_hints = vec!["Orthostatic Intolerance".into()];
    let c = rank(&book, &t, &[], "sleep after a crash, recovery rest");
    assert_eq!(top(&c).1, "Orthostatic Intolerance");
}

#[test]
fn a_one_word_hint_that_several_headings_hold_names_none_of_them() {
    let (_d, book) = fixture_of(SLEEP);
    let mut t = target(&["sleep"]);
    t.file_hint = Some(SLEEP.into());
    let context = "short lying-down breaks spread across the day";
    let c = place::rank(&book, SLEEP, &t, &[], context, 5);
    // "Sleep" is one word of three headings: the snippet's subject decides, not the word.
    assert_eq!(top(&c), (line_in(&book, SLEEP, "before they feel the need"), "Rest Breaks".into()));
    assert!(c.iter().all(|x| x.reasons().iter().all(|r| !r.contains("matches heading"))), "{c:?}");
    // A word that one heading holds still names it.
    let mut t = target(&["arousals"]);
    t.file_hint = Some(SLEEP.into());
    let c = place::rank(&book, SLEEP, &t, &[], context, 5);
    assert_eq!(top(&c), (line_in(&book, SLEEP, "sleeper noticing them"), "Arousals and Sleep Fragmentation".into()));
    assert_eq!(
        c[0].reasons()[0],
        "section hint \"arousals\" matches heading \"Arousals and Sleep Fragmentation\" (0.90)"
    );
}

#[test]
fn a_named_sections_subsection_that_the_snippet_is_closer_to_wins_over_its_lead_in() {
    let (dir, book) = fixture_of(SLEEP);
    let mut t = target(&["Sleep Architecture"]);
    t.file_hint = Some(SLEEP.into());
    // Without other evidence the named section's own text comes first, its subsection next.
    let c = place::rank(&book, SLEEP, &t, &[], "", 5);
    assert_eq!(top(&c), (line_in(&book, SLEEP, "healthy controls of the same age"), "Sleep Architecture".into()));
    assert_eq!(
        c[1].reasons()[0],
        "section hint \"Sleep Architecture\" matches enclosing heading \"Sleep Architecture\" (1.00)"
    );
    // A snippet closer to a subsection goes there, though its own text shares words too.
    let context = "frequent awakenings and arousals";
    let c = place::rank(&book, SLEEP, &t, &[], context, 5);
    assert_eq!(top(&c), (line_in(&book, SLEEP, "sleeper noticing them"), "Arousals and Sleep Fragmentation".into()));
    // With the subsections further below their parent's own text (`hint_parent` 3, the old
    // weight), the lead-in would win.
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("rules/scoring.toml"), "[place]\nhint_parent = 3.0\n").unwrap();
    let book = Store::open(dir.path(), "HEAD").unwrap();
    let c = place::rank(&book, SLEEP, &t, &[], context, 5);
    assert_eq!(top(&c).1, "Sleep Architecture");
}

#[test]
fn a_section_the_guide_adds_joins_the_section_whose_subsections_are_most_relevant() {
    const GUT: &str = "ch09-digestion.tex";
    let (_d, book) = fixture_of(GUT);
    // The hint names a section the chapter lacks.
    let mut t = target(&["Migrating Motor Complex"]);
    t.file_hint = Some(GUT.into());
    let context = "The migrating motor complex sweeps the gut clean; when it weakens, gastric \
                   emptying is delayed and colonic transit lengthens, with nausea after meals.";
    // Read alone, the snippet is nearest to one microbiome subsection.
    let c = place::rank(&book, GUT, &t, &[], context, 5);
    assert_eq!(top(&c).1, "Bacterial Overgrowth", "{c:?}");
    // In a guide that says it adds sections, the target is one of them: a new last
    // subsection of "Motility", after "Colonic Transit".
    let priors = place::Priors { adds_sections: true, ..Default::default() };
    let c = place::rank_with(&book, GUT, &t, &[], context, 5, priors);
    assert_eq!(top(&c), (line_in(&book, GUT, "stools in some patients"), "Motility".into()));
    assert!(
        c[0].reasons()[0].starts_with("new section: the subsections of \"Motility\" are the most relevant"),
        "{:?}",
        c[0].reasons()
    );
    // Only sections with subsections compete, not the chapter.
    assert!(c.iter().all(|x| x.heading_path.len() == 2), "{c:?}");
    assert_eq!(c.len(), 2);
    // A hint naming a heading still decides.
    let mut named = target(&["Diversity"]);
    named.file_hint = Some(GUT.into());
    let c = place::rank_with(&book, GUT, &named, &[], context, 5, priors);
    assert_eq!(top(&c).1, "Diversity");
}

#[test]
fn a_candidates_score_is_the_sum_of_its_weighed_signals() {
    let (_d, book) = fixture();
    let w = &book.rules.scoring.place;
    let shift = place::LineShift { by: -100, anchors: 2 };
    let forms = [
        (target(&["After line 6 (\"rest is extended and activity is rebuilt\")"]), None),
        (target(&["\\section{Crash Recovery} (line ~12)"]), None),
        (target(&["after line 119"]), Some(shift)),
        (target(&["Crash Recovery → Limitations"]), None),
        (target(&["after \\label{sec:thresholds}"]), None),
    ];
    for (t, shift) in forms {
        let keys = ["Park2019".to_string()];
        let priors = place::Priors { shift, ..Default::default() };
        let c = place::rank_with(&book, CHAPTER, &t, &keys, "crash recovery rest timelines", 50, priors);
        assert!(!c.is_empty());
        for x in &c {
            assert_eq!(place::confidence(x.raw(w), w.score_half), x.score, "{:?}: {x:?}", t.section_hints);
        }
    }
    // A found anchor keeps its section's signals, relevance among them: they count in its score.
    let c = rank(&book, &target(&["After line 6 (\"rest is extended and activity is rebuilt\")"]), &[], "rest");
    let names: Vec<&str> = c[0].signals.iter().map(|s| s.name()).collect();
    assert_eq!(names[0], "anchor");
    assert!(names.contains(&"relevance"), "{names:?}");
}

#[test]
fn a_section_hint_in_nfd_names_the_heading_the_book_writes_in_nfc() {
    let dir = tempfile::tempdir().unwrap();
    let chapter = "\\chapter{Schlaf}\n\n\\section{Schlafhygiene}\nRegeln.\n\n\
        \\section{St\u{f6}rungen des Schlafs}\nText.\n\n\\section{Tagesm\u{fc}digkeit}\nMehr.\n";
    std::fs::write(dir.path().join(CHAPTER), chapter).unwrap();
    let book = Store::open(dir.path(), "HEAD").unwrap();
    // The hint decomposed: `o` + U+0308 (NFD) where the heading has `ö` (NFC).
    let found = rank(&book, &target(&["Sto\u{308}rungen des Schlafs"]), &[], "");
    assert_eq!(top(&found), (7, "St\u{f6}rungen des Schlafs".to_string()));
}

/// The fixture chapter for spots inside a section (`fixtures/placement/README.md`).
const SPOTS: &str = "ch11-spots.tex";

/// Every candidate for `target` in the spots chapter (as `plan --explain` lists them) and
/// the first one printed, under the book's weights with `set` applied to them.
fn spots_of(
    target: &Target,
    context: &str,
    set: fn(&mut chapter_integrator::rules::PlaceWeights),
) -> (Vec<Candidate>, Candidate) {
    let (_d, mut book) = fixture_of(SPOTS);
    set(&mut book.rules_mut().scoring.place);
    let all = place::rank(&book, SPOTS, target, &[], context, usize::MAX);
    let first = place::rank(&book, SPOTS, target, &[], context, 5).remove(0);
    (all, first)
}

fn spots_target(hints: &[&str], env: Option<&str>) -> Target {
    Target { file_hint: Some(SPOTS.into()), environment: env.map(Into::into), ..target(hints) }
}

/// The 1-based line of the spots chapter holding `text`.
fn spots_line(text: &str) -> usize {
    let src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/placement").join(SPOTS),
    )
    .unwrap();
    src.lines().position(|l| l.contains(text)).map(|i| i + 1).unwrap()
}

#[test]
fn a_sections_end_is_its_spot_while_the_end_weighs_most() {
    let t = spots_target(&["Fluids and Salt"], Some("observation"));
    let (all, first) = spots_of(&t, "electrolyte drinks sodium potassium stomach", |w| {
        (w.spot_end, w.spot_paragraph, w.spot_environment) = (1.0, 0.5, 0.5);
    });
    assert_eq!(first.after_line, spots_line("taken late."));
    assert!(first.signals.contains(&place::Signal::SectionEnd), "{first:?}");
    // The section's other spots are listed too, each with the section's score.
    let same: Vec<&Candidate> = all.iter().filter(|c| c.heading_path == first.heading_path).collect();
    assert_eq!(same.len(), 3, "{same:?}");
    assert!(same.iter().all(|c| c.score == first.score));
}

#[test]
fn after_the_sections_paragraph_most_related_to_the_snippet() {
    let t = spots_target(&["Fluids and Salt"], None);
    let (_, first) = spots_of(&t, "electrolyte drinks sodium potassium stomach", |w| {
        (w.spot_end, w.spot_paragraph) = (0.2, 1.0);
    });
    let line = spots_line("than tablets.");
    assert_eq!(first.after_line, line);
    let share = first.signals.iter().find_map(|s| match s {
        place::Signal::RelatedParagraph { line: l, share } if *l == line => Some(*share),
        _ => None,
    });
    assert!(share.is_some_and(|s| s > 0.5 && s <= 1.0), "{first:?}");
}

#[test]
fn after_the_sections_last_environment_of_the_targets_kind() {
    let t = spots_target(&["Fluids and Salt"], Some("observation"));
    let (_, first) = spots_of(&t, "tablets", |w| (w.spot_end, w.spot_environment) = (1.0, 2.0));
    let line = spots_line("\\end{observation}");
    assert_eq!(first.after_line, line);
    assert!(first.signals.contains(&place::Signal::AfterSameKind { kind: "observation".into(), line }));
    // Without an environment kind there is no such spot.
    let (all, _) = spots_of(&spots_target(&["Fluids and Salt"], None), "tablets", |w| w.spot_environment = 2.0);
    assert!(!all.iter().any(|c| c.signals.iter().any(|s| s.name() == "after_same_kind")));
}

#[test]
fn where_a_section_the_guide_expands_starts() {
    let t = spots_target(&["EXPAND EXISTING: Compression"], None);
    let (_, first) = spots_of(&t, "binders stockings", |w| (w.spot_end, w.spot_start) = (1.0, 2.0));
    let line = spots_line("\\label{sec:compression}");
    assert_eq!((first.after_line, first.heading_path.last().map(String::as_str)), (line, Some("Compression")));
    // A hint naming the section without saying it expands it offers no such spot.
    let (all, _) = spots_of(&spots_target(&["Compression"], None), "binders stockings", |w| w.spot_start = 2.0);
    assert!(!all.iter().any(|c| c.signals.iter().any(|s| s.name() == "section_start")));
}
