//! Tests of snippet rendering.

use super::*;
use crate::finding::Severity;
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

/// One LaTeX construct per row: the snippet and its exact Typst rendering (no findings).
#[test]
fn each_latex_construct_has_its_typst_form() {
    let env = Rules::builtin().environments;
    let table: &[(&str, &str)] = &[
        // Citations: every command, several keys, locators, no-break space, odd keys.
        ("A \\cite{K1}.", "A @K1."),
        ("A \\citep{K1, K2}.", "A @K1 @K2."),
        ("\\citet{K1} found", "@K1 found"),
        ("A \\parencite{K1}.", "A @K1."),
        ("\\textcite{K1} found", "@K1 found"),
        ("A~\\cite{K1}.", "A~@K1."),
        ("A \\cite[p.~5]{K1}.", "A @K1[p. 5]."),
        ("A \\cite{Key/x.}.", "A #cite(label(\"Key/x.\"))."),
        // Cross-references.
        ("See \\ref{sec:a}.", "See @sec:a."),
        ("See \\cref{fig:b}.", "See @fig:b."),
        // Emphasis.
        ("\\textbf{bold}", "*bold*"),
        ("\\emph{em}", "_em_"),
        ("\\textit{it}", "_it_"),
        ("\\texttt{code}", "`code`"),
        // Escapes and dashes.
        ("40\\% \\& more\\_x", "40% & more\\_x"),
        // Typst reads `--` and `---` as en and em dashes itself.
        ("1--2 and a---b", "1--2 and a---b"),
        ("a~b", "a~b"),
        // Links.
        ("\\url{https://ex.org}", "#link(\"https://ex.org\")"),
        ("\\href{https://ex.org}{site}", "#link(\"https://ex.org\")[site]"),
        // Math.
        ("TNF-$\\alpha$", "TNF-$alpha$"),
        ("\\(x \\leq 2\\)", "$x <= 2$"),
        ("VO$_{2}$max", "VO#sub[2]max"),
        ("\\[ E = m c^2 \\]", "$ E = m c^2 $"),
        ("\\begin{equation}\nE = m c^2\n\\end{equation}", "$ E = m c^2 $"),
        ("\\begin{align}\\label{eq:a}\na &= b \\\\\nc &= d\n\\end{align}", "$ a &= b \\ c &= d $ <eq:a>"),
        // Lists.
        ("\\begin{itemize}\n\\item a\n\\item b\n\\end{itemize}", "- a\n- b"),
        ("\\begin{enumerate}\n\\item a\n\\end{enumerate}", "+ a"),
        ("\\begin{description}\n\\item[T] d\n\\end{description}", "/ T: d"),
        // Environments with and without title and label.
        ("\\begin{hypothesis}\nH.\n\\end{hypothesis}", "#hypothesis[\nH.\n]"),
        ("\\begin{hypothesis}[T]\\label{hyp:t}\nH.\n\\end{hypothesis}", "#hypothesis(title: [T])[\nH.\n] <hyp:t>"),
        // Symbols.
        ("\\S 3 at 5\\textdegree", "§ 3 at 5°"),
    ];
    for (input, expected) in table {
        let r = render(&latex(input), Markup::Typst, &env, &[], ("g.md", 3));
        assert_eq!((input, r.text.as_str()), (input, *expected));
        assert!(r.findings.is_empty(), "{input}: {:?}", r.findings);
    }
}

/// C19: keys and labels that Typst references cannot spell.
#[test]
fn keys_typst_cannot_reference_are_cited_by_label_and_bad_labels_are_refused() {
    let env = Rules::builtin().environments;
    let s = latex("\\begin{theorem}[Main result]\\label{thm:main result}\nHolds~\\cite{plain-key:2020}, \\cite{DBLP:journals/cacm/Knuth74} and \\cite{Segawa2019QuantumInf.Process.}; \\cite{K1}-based and \\cite{K2}s.\n\\end{theorem}");
    let r = render(&s, Markup::Typst, &env, &[], ("g.md", 3));
    assert!(r.text.contains("Holds~@plain-key:2020, "), "{}", r.text);
    assert!(r.text.contains("#cite(label(\"DBLP:journals/cacm/Knuth74\"))"), "{}", r.text);
    assert!(r.text.contains("#cite(label(\"Segawa2019QuantumInf.Process.\"))"), "{}", r.text);
    // A reference followed by a character that could continue it is closed off.
    assert!(r.text.contains("#cite(<K1>)-based") && r.text.contains("#cite(<K2>)s."), "{}", r.text);
    assert!(!r.text.contains("<thm:main result>"));
    let bad: Vec<&str> =
        r.findings.iter().filter(|f| f.code == "snippet-label-invalid").map(|f| f.message.as_str()).collect();
    assert_eq!(bad.len(), 1);
    assert!(bad[0].contains("`thm:main result`") && bad[0].contains("space"), "{}", bad[0]);
}

/// C32: labels where `\ref` gets the environment's number.
#[test]
fn latex_labels_go_after_the_caption_and_inside_the_environment() {
    let env = Rules::builtin().environments;
    let s = latex("\\begin{figure}\n\\centering\n\\label{fig:walk}\n\\includegraphics{walk.pdf}\n\\caption{Steps per day~\\cite[p.~5]{K1}}\n\\end{figure}\n\\begin{theorem}[Limit~\\cite{K2}]\nBody.\n\\end{theorem}\n\\label{thm:limit}\n");
    let r = render(&s, Markup::Latex, &env, &[], ("g.md", 3));
    assert_eq!(
        r.text,
        "\\begin{figure}\n\\centering\n\\includegraphics{walk.pdf}\n\\caption{Steps per day~\\cite[p.~5]{K1}} \\label{fig:walk}\n\\end{figure}\n\\begin{theorem}[Limit~\\cite{K2}]\\label{thm:limit}\nBody.\n\\end{theorem}"
    );
    let codes: Vec<&str> = r.findings.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, vec!["snippet-label-moved"]);
    // Already in place: unchanged, no finding.
    let good = "\\begin{table}\n\\caption{T}\\label{tab:t}\n\\end{table}";
    let r = render(&latex(good), Markup::Latex, &env, &[], ("g.md", 3));
    assert_eq!((r.text.as_str(), r.findings.len()), (good, 0));
}

#[test]
fn an_empty_label_is_not_moved() {
    // `\label{}` names nothing (`outline::patterns::LATEX_LABEL`); the label mover once
    // matched it with a pattern of its own and moved it after the caption.
    let env = Rules::builtin().environments;
    let text = "\\begin{figure}\n\\label{}\n\\caption{T}\n\\end{figure}";
    let r = render(&latex(text), Markup::Latex, &env, &[], ("g.md", 3));
    assert_eq!((r.text.as_str(), r.findings.len()), (text, 0));
}

/// `text` (LaTeX) rendered into Typst, asserting no finding.
fn typst_of(text: &str) -> String {
    let env = Rules::builtin().environments;
    let r = render(&latex(text), Markup::Typst, &env, &[], ("g.md", 3));
    assert!(r.findings.is_empty(), "{text}: {:?}", r.findings);
    r.text
}

#[test]
fn accent_macros_become_composed_letters() {
    assert_eq!(
        typst_of(
            "G\\\"otz, Ren\\'ee, Espa\\~na, Fran\\c{c}ois, Ko\\v{s}ice, M{\\\"u}ller, na\\\"{\\i}ve, \\c c, Gau\\ss"
        ),
        "G\u{f6}tz, Ren\u{e9}e, Espa\u{f1}a, Fran\u{e7}ois, Ko\u{161}ice, M\u{fc}ller, na\u{ef}ve, \u{e7}, Gau\u{df}"
    );
}

#[test]
fn tex_quotes_scripts_units_and_font_switches_become_typst() {
    assert_eq!(
        typst_of("``central'' and `local' cases, 10\\textsuperscript{th} day, CO\\textsubscript{2}, 5~\\textmu g"),
        "\u{201c}central\u{201d} and \u{2018}local' cases, 10#super[th] day, CO#sub[2], 5~\u{b5}g"
    );
    assert_eq!(
        typst_of("A {\\em small} and {\\bf large}, \\emph{new} \\textbf{bold} trial"),
        "A _small_ and *large*, _new_ *bold* trial"
    );
    // Typst reads `--`, `---` and `~` as LaTeX does (en dash, em dash, non-breaking space).
    assert_eq!(typst_of("pages 12--24 --- as shown~\\cite{A2020}"), "pages 12--24 --- as shown~@A2020");
}

#[test]
fn math_commands_become_typst_math() {
    assert_eq!(
        typst_of("$\\bar{x} \\pm \\hat{\\sigma}$, $\\tilde{y} \\leq \\sqrt{n}$, $\\sqrt[3]{8}$"),
        "$macron(x) plus.minus hat(sigma)$, $tilde(y) <= sqrt(n)$, $root(3, 8)$"
    );
    assert_eq!(
        typst_of("$\\left(\\frac{a}{b}\\right) \\times \\mathrm{IL} \\cdot \\text{dose}^{2} \\geq \\Delta_{i}$"),
        "$((a)/(b)) times \"IL\" dot \"dose\"^(2) >= Delta_(i)$"
    );
    assert_eq!(typst_of("$\\left\\{ x \\right. \\mathbf{v}$"), "$\\{ x bold(v)$");
}

#[test]
fn an_unknown_command_refuses_the_snippet_for_typst() {
    let env = Rules::builtin().environments;
    let r = render(&latex("Text $\\weird{x}$ end."), Markup::Typst, &env, &[], ("g.md", 3));
    let codes: Vec<(&str, Severity)> = r.findings.iter().map(|f| (f.code.as_str(), f.severity)).collect();
    assert_eq!(codes, [("snippet-unconverted", Severity::Error)]);
}

#[test]
fn an_environment_the_book_does_not_define_is_an_error_with_the_nearest_name() {
    let env = Rules::builtin().environments;
    let defined = ["observation".to_string(), "hypothesis".to_string()];
    let r = render(&latex("\\begin{observaton}\nText.\n\\end{observaton}"), Markup::Typst, &env, &defined, ("g.md", 3));
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    assert_eq!(r.findings[0].code, Code::EnvironmentUnknown);
    assert_eq!(r.findings[0].severity, Severity::Error);
    assert_eq!(r.findings[0].message, "the book defines no Typst function `observaton` for environment `observaton`");
    assert_eq!(
        r.findings[0].help.as_deref(),
        Some("did you mean `observation`? Or map the environment in rules/environments.toml [typst]")
    );
}

fn typst(text: &str) -> Snippet {
    Snippet { language: Some(Markup::Typst), text: text.into(), line: 3 }
}

#[test]
fn a_typst_fence_holding_latex_is_converted_as_latex() {
    let env = Rules::builtin().environments;
    let s = typst("\\begin{hypothesis}[T]\n\\label{hyp:t}\nShown~\\cite{A2020}.\n\\end{hypothesis}");
    let r = render(&s, Markup::Typst, &env, &[], ("g.md", 3));
    assert_eq!(r.text, "#hypothesis(title: [T])[\nShown~@A2020.\n] <hyp:t>");
    let codes: Vec<&str> = r.findings.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["snippet-language-latex"]);
}

#[test]
fn typst_mixed_with_latex_commands_is_refused() {
    let env = Rules::builtin().environments;
    let r = render(&typst("#observation[TNF-$\\alpha$ rises @A2020.]"), Markup::Typst, &env, &[], ("g.md", 3));
    assert_eq!(r.text, "");
    assert_eq!(r.findings.len(), 1);
    assert_eq!((r.findings[0].code.as_str(), r.findings[0].severity), ("snippet-unconverted", Severity::Error));
    assert_eq!(r.findings[0].message, "the Typst snippet holds the LaTeX command `\\alpha`");
    // LaTeX inside raw text is code, not markup.
    let r = render(&typst("Run `\\section{x}` @A2020."), Markup::Typst, &env, &[], ("g.md", 3));
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

#[test]
fn a_typst_call_of_a_function_nobody_defines_names_the_nearest() {
    let env = Rules::builtin().environments;
    let defined = ["observation".to_string(), "key-point".to_string()];
    let s = typst("#let aside(b) = b\n#obsrvation[A #strong[b] #aside[c].]\n#figure(image(\"x.png\"))");
    let r = render(&s, Markup::Typst, &env, &defined, ("g.md", 3));
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    assert_eq!((r.findings[0].code.as_str(), r.findings[0].severity), ("environment-unknown", Severity::Error));
    assert_eq!(r.findings[0].message, "the book defines no Typst function `obsrvation` that the snippet calls");
    assert_eq!(r.findings[0].help.as_deref(), Some("did you mean `observation`? Fix the call in the guide's snippet"));
}

#[test]
fn a_typst_snippet_calling_a_generic_environment_name_gets_the_books_function() {
    let env = Rules::builtin().environments;
    let defined = ["warning-env".to_string(), "key-point".to_string()];
    let r = render(&typst("#warning(title: [Care])[Be careful @A2020.]"), Markup::Typst, &env, &defined, ("g.md", 3));
    assert_eq!(r.text, "#warning-env(title: [Care])[Be careful @A2020.]");
    assert_eq!(r.findings.len(), 1);
    assert_eq!((r.findings[0].code.as_str(), r.findings[0].severity), ("snippet-environment-mapped", Severity::Info));
}
