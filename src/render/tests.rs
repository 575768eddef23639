//! Tests of snippet rendering.

use super::*;
use crate::rules::Rules;

fn latex(text: &str) -> Snippet {
    Snippet { language: Some(Markup::Latex), text: text.into(), line: 3 }
}

#[test]
fn environment_with_title_label_and_citations_becomes_typst() {
    let env = Rules::builtin().environments;
    let s = latex("\\begin{warning}[Abuse \\emph{Risk}]\n\\label{warn:k}\nMisuse~\\cite{A2020, B2021} is \\textbf{common} (40\\%, n=12).\n\\end{warning}\n");
    let r = render(&s, Markup::Typst, &env, &[], ("g.md", 3));
    assert_eq!(
        r.text,
        "#warning-env(title: [Abuse _Risk_])[\nMisuse~@A2020 @B2021 is *common* (40%, n=12).\n] <warn:k>"
    );
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

#[test]
fn lists_math_locators_and_awkward_keys() {
    let env = Rules::builtin().environments;
    let s = latex("\\begin{observation}[T]\nSee \\citep[p.~5]{Key/x.} and \\ref{sec:a}; TNF-$\\alpha$ and VO$_{2}$.\n\\begin{itemize}\n  \\item one\n  \\item two\n\\end{itemize}\n\\end{observation}");
    let r = render(&s, Markup::Typst, &env, &[], ("g.md", 3));
    assert_eq!(
        r.text,
        "#observation(title: [T])[\nSee #cite(label(\"Key/x.\"), supplement: [p. 5]) and @sec:a; TNF-$alpha$ and VO#sub[2].\n- one\n- two\n]"
    );
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

#[test]
fn sections_and_several_environments_in_one_snippet() {
    let env = Rules::builtin().environments;
    let s = latex("\\subsection{Sleep Drugs}\\label{sec:sleep-drugs}\nIntro text.\n\\paragraph{Melatonin.} Helps some.\n\\begin{warning}[Care]\nBe careful.\n\\end{warning}\n\\begin{keypoint}\nShort.\n\\end{keypoint}");
    let r = render(&s, Markup::Typst, &env, &[], ("g.md", 3));
    assert_eq!(
        r.text,
        "=== Sleep Drugs <sec:sleep-drugs>\nIntro text.\n*Melatonin.* Helps some.\n#warning-env(title: [Care])[\nBe careful.\n]\n#key-point[\nShort.\n]"
    );
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

#[test]
fn typst_snippet_errors_name_the_snippet_line() {
    let env = Rules::builtin().environments;
    let s = Snippet { language: Some(Markup::Typst), text: "Fine text.\nSignificant #strong[p.\n".into(), line: 7 };
    let r = render(&s, Markup::Typst, &env, &[], ("g.md", 7));
    assert_eq!(r.findings.len(), 1);
    assert!(r.findings[0].message.contains("the guide's Typst snippet does not parse"), "{}", r.findings[0].message);
    assert!(r.findings[0].message.ends_with("(line 2 of the snippet)"), "{}", r.findings[0].message);
}

#[test]
fn unknown_commands_are_kept_visibly_and_reported() {
    let env = Rules::builtin().environments;
    let r = render(&latex("Text \\foo{bar} end."), Markup::Typst, &env, &[], ("g.md", 3));
    assert_eq!(r.text, "Text `\\foo{bar}` end.");
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].code, "snippet-unconverted");
    assert_eq!(r.findings[0].line, Some(3));
}

#[test]
fn unbalanced_latex_is_an_error() {
    let env = Rules::builtin().environments;
    let r = render(&latex("\\begin{hypothesis}\nText {open\n\\end{hypothesis}"), Markup::Latex, &env, &[], ("g.md", 3));
    assert_eq!(r.findings.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(), vec!["snippet-unbalanced"]);
    assert_eq!(latex_balance("\\begin{a}\\end{b}").as_deref(), Some("`\\end{b}` does not close the open environment"));
}

#[test]
fn labels_and_titles_are_read_from_snippets() {
    let s = latex("\\begin{achievement}[Objective Evidence]\n\\label{ach:x}\n");
    assert_eq!(snippet_labels(&s), vec!["ach:x"]);
    assert_eq!(snippet_title(&s).as_deref(), Some("Objective Evidence"));
    let t = Snippet { language: Some(Markup::Typst), text: "#hypothesis(title: [H])[\nx\n] <hyp:y>\n".into(), line: 1 };
    assert_eq!(snippet_labels(&t), vec!["hyp:y"]);
    assert_eq!(snippet_title(&t).as_deref(), Some("H"));
}

#[test]
fn labels_with_spaces_are_refused_for_typst() {
    let env = Rules::builtin().environments;
    let r = render(
        &latex("\\begin{hypothesis}\n\\label{hyp:main result}\nx\n\\end{hypothesis}"),
        Markup::Typst,
        &env,
        &[],
        ("g.md", 3),
    );
    assert_eq!(r.findings.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(), vec!["snippet-label-invalid"]);
}

#[test]
fn deep_nesting_is_kept_raw_not_crashed_on() {
    let env = Rules::builtin().environments;
    let deep = format!("{}x{}", "\\textbf{".repeat(5000), "}".repeat(5000));
    let r = render(&latex(&deep), Markup::Typst, &env, &[], ("g.md", 3));
    assert!(r.findings.iter().any(|f| f.code == "snippet-unconverted"), "{:?}", r.findings);
}

#[test]
fn typst_markup_in_plain_text_is_escaped() {
    let env = Rules::builtin().environments;
    let s = latex("ratio a // b and /* c\n- not a list\n12. not an item\n= not a heading");
    let r = render(&s, Markup::Typst, &env, &[], ("g.md", 3));
    assert_eq!(r.text, "ratio a \\// b and \\/\\* c\n\\- not a list\n\\12. not an item\n\\= not a heading");
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

#[test]
fn typst_reference_validity() {
    assert!(typst_ref_ok("Smith2020:trial-1"));
    assert!(!typst_ref_ok("Key/x"));
    assert!(!typst_ref_ok("Key."));
}

#[test]
fn a_one_line_environment_does_not_swallow_what_follows() {
    let env = Rules::builtin().environments;
    let s = latex("\\begin{observation}[T]A short one.\\end{observation} Then text.\nNext line.");
    let r = render(&s, Markup::Typst, &env, &[], ("g.md", 3));
    assert_eq!(r.text, "#observation(title: [T])[\nA short one.\n]\nThen text.\nNext line.");
}

#[test]
fn a_less_than_sign_that_would_open_a_typst_label_is_escaped() {
    let env = Rules::builtin().environments;
    let s = Snippet {
        language: Some(Markup::Typst),
        text: "Significant (p<0.0001) in <1% of cells <sec:x>.".into(),
        line: 3,
    };
    let r = render(&s, Markup::Typst, &env, &[], ("g.md", 3));
    assert_eq!(r.text, "Significant (p\\<0.0001) in \\<1% of cells <sec:x>.");
    let codes: Vec<&str> = r.findings.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, vec!["snippet-escaped"]);
}

#[test]
fn latex_tables_become_typst_figures_with_header_rows() {
    let env = Rules::builtin().environments;
    let text = "\\begin{table}[h]\n\\centering\n\\caption{Ranges~\\cite{A2020}}\n\\label{tab:r}\n\\begin{tabular}{lc}\n\\toprule\nMeasure & Value \\\\\n\\midrule\nAngle & 150\\textdegree \\\\\nGap & \\(9\\,\\mathrm{mm}\\) \\\\\n\\bottomrule\n\\end{tabular}\n\\end{table}";
    let s = Snippet { language: Some(Markup::Latex), text: text.into(), line: 1 };
    let r = render(&s, Markup::Typst, &env, &[], ("g.md", 1));
    assert_eq!(
        r.text,
        "#figure(\n  table(\n    columns: 2,\n    table.header([Measure], [Value]),\n    [Angle], [150°],\n    [Gap], [$9 thin \"mm\"$],\n  ),\n  caption: [Ranges~@A2020],\n) <tab:r>"
    );
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

#[test]
fn command_arguments_may_run_over_lines() {
    let env = Rules::builtin().environments;
    let s = Snippet {
        language: Some(Markup::Latex),
        text: "Cells show \\textbf{lower\nenzyme levels} and \\S 3.".into(),
        line: 1,
    };
    let r = render(&s, Markup::Typst, &env, &[], ("g.md", 1));
    assert_eq!(r.text, "Cells show *lower\nenzyme levels* and § 3.");
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}
