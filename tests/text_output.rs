//! Text output says what README says it does (issue #22, item 9): `guides` lists phrasing
//! rules, bibliography entries and README status lines; `outline FILE` lists environments and
//! includes.

mod common;

use common::*;

#[test]
fn guides_text_lists_phrasing_bibliography_entries_and_readme_status() {
    let (_d, book) = git_book_with_families();
    let out = tool(&book).args(["guides", "Literature/families/bib-supplied"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for line in [
        "  bibliography entry: Haldorsen2025teens (from Literature/families/bib-supplied/refs.bib)\n",
        "  README status: References.bib entries: Pending\n",
        "  README status: Chapter integration guides: Created\n",
        "    snippet: typst (line 14), labels obs:evening-orthostatic-rise, title \"Standing Up Is Harder at Night\"\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    let out = tool(&book).args(["guides", "Literature/treatments/ketamine"]).output().unwrap();
    let text = stdout(&out);
    assert!(text.contains("  avoid (line 57): Ketamine treats ME/CFS\n"), "{text}");
    assert!(text.contains("  certainty: Low\n"), "{text}");
}

#[test]
fn outline_of_a_file_lists_its_environments_and_includes() {
    let (_d, book) = git_book();
    let out = tool(&book).args(["outline", "chapters/ch02-treatments.tex"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "    environments:\n      achievement \"Well Tolerated in Pilot Studies\" (lines 36-40) <ach:ldn-tolerability>\n    \
             includes:\n      chapters/ch02/sec-nmda-antagonists -> chapters/ch02/sec-nmda-antagonists.tex (line 42)\n"
        ),
        "{text}"
    );
    assert!(text.contains("    citations (line): Bateman2021consensus (4), Goudsmit2012pacing (11),"), "{text}");
    // The whole book's outline keeps to headings and counts.
    let whole = stdout(&tool(&book).arg("outline").output().unwrap());
    assert!(!whole.contains("    environments:\n"), "{whole}");
    assert!(
        whole.contains("    1 environment(s), 7 label(s), 6 citation(s), 0 cross-reference(s), 1 include(s)\n"),
        "{whole}"
    );
}
