use super::*;

#[test]
fn latex_comments_and_skipped_blocks_hold_no_headings() {
    let text = "\\chapter{Main}\\label{ch:main}\n% \\section{Commented}\n40\\% of \\cite{A2020} % \\cite{Hidden}\n\\iffalse\n\\section{Skipped}\n\\fi\n\\begin{verbatim}\n\\section{Verb}\n\\end{verbatim}\n\\section[Short]{Long \\emph{Title}}\n\\label{sec:long}\n\\subsection*\n{Next Line}\n";
    let o = Outline::parse(Markup::Latex, text);
    let titles: Vec<(&str, i32, usize)> = o.headings.iter().map(|h| (h.title.as_str(), h.level, h.line)).collect();
    assert_eq!(titles, vec![("Main", 0, 1), ("Long \\emph{Title}", 1, 10), ("Next Line", 2, 12)]);
    assert_eq!(o.headings[0].label.as_deref(), Some("ch:main"));
    assert_eq!(o.headings[1].label.as_deref(), Some("sec:long"));
    assert_eq!(o.citations, vec![("A2020".to_string(), 3)]);
    assert!(!o.can_insert_after(4) && !o.can_insert_after(7) && o.can_insert_after(9));
}

#[test]
fn unclosed_skipped_blocks_run_past_the_end() {
    let o = Outline::parse(Markup::Latex, "\\section{Intro}\nText.\n\\iffalse\n\\section{Hidden}\nhidden\n");
    assert_eq!(o.headings.len(), 1);
    assert!(o.can_insert_after(2));
    assert!(!o.can_insert_after(3) && !o.can_insert_after(5));
    assert!(o.is_dead(4) && !o.is_dead(2));
    let o = Outline::parse(Markup::Latex, "\\section{A}\n\\begin{verbatim}\nx\n");
    assert!(!o.can_insert_after(3));
}

#[test]
fn latex_environments_block_insertion_and_carry_labels() {
    let text = "\\section{S}\n\\begin{achievement}[T]\n\\label{ach:x}\nText \\citep[p.~2]{K1, K2}.\n\\begin{itemize}\n\\item a\n\\end{itemize}\n\\end{achievement}\nAfter.\n\\input{sec/a}\n\\input sec/b.tex\n";
    let o = Outline::parse(Markup::Latex, text);
    assert_eq!(
        o.envs,
        vec![Env {
            name: "achievement".into(),
            start: 2,
            end: 8,
            label: Some("ach:x".into()),
            title: Some("T".into())
        }]
    );
    assert!(!o.can_insert_after(2) && !o.can_insert_after(7) && o.can_insert_after(8));
    assert_eq!(o.citations.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(), vec!["K1", "K2"]);
    let inc: Vec<&str> = o.includes.iter().map(|i| i.target.as_str()).collect();
    assert_eq!(inc, vec!["sec/a", "sec/b.tex"]);
}

#[test]
fn typst_headings_envs_labels_refs_includes() {
    let text = "#import \"env.typ\": *\n= Chapter\n<ch:x>\n\n== Section <sec:y>\nText @Key2020 and @sec:y.\n\n#observation(title: [T])[\n  Body @Other2021\n] <obs:z>\n\n// == Not a heading\n#include \"sub/a.typ\"\n";
    let o = Outline::parse(Markup::Typst, text);
    let h: Vec<(&str, i32, Option<&str>, usize)> =
        o.headings.iter().map(|h| (h.title.as_str(), h.level, h.label.as_deref(), h.line)).collect();
    assert_eq!(h, vec![("Chapter", 0, Some("ch:x"), 2), ("Section", 1, Some("sec:y"), 5)]);
    assert_eq!(o.envs.len(), 1);
    assert_eq!((o.envs[0].name.as_str(), o.envs[0].start, o.envs[0].end), ("observation", 8, 10));
    assert_eq!(o.envs[0].label.as_deref(), Some("obs:z"));
    let cites: Vec<&str> = o.citations.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(cites, vec!["Key2020", "sec:y", "Other2021"]);
    assert_eq!(o.includes, vec![Include { target: "sub/a.typ".into(), line: 13 }]);
    assert!(!o.can_insert_after(8) && !o.can_insert_after(9) && o.can_insert_after(10));
    let labels: Vec<&str> = o.labels.iter().map(|l| l.0.as_str()).collect();
    assert_eq!(labels, vec!["ch:x", "sec:y", "obs:z"]);
}

#[test]
fn a_bom_does_not_hide_the_first_heading() {
    let o = Outline::parse(Markup::Typst, "\u{feff}= Odd\n== Z\n");
    let h: Vec<(&str, usize)> = o.headings.iter().map(|h| (h.title.as_str(), h.line)).collect();
    assert_eq!(h, vec![("Odd", 1), ("Z", 2)]);
    let o = Outline::parse(Markup::Markdown, "\u{feff}# Title\ntext\n");
    assert_eq!(o.headings[0].title, "Title");
}

#[test]
fn quick_headings_agree_with_the_parse_on_plain_files() {
    let tex = "\\chapter{C}\n% \\section{No}\n\\section[S]{Sec \\emph{x}}\n";
    assert_eq!(quick_headings(Markup::Latex, tex), vec![(0, "C".to_string()), (1, "Sec \\emph{x".to_string())]);
    let typ = "= Chapter <ch:x>\ntext = not\n== Section\n  == indented is text\n";
    assert_eq!(quick_headings(Markup::Typst, typ), vec![(0, "Chapter".to_string()), (1, "Section".to_string())]);
}

#[test]
fn heading_stack_follows_levels() {
    let o = Outline::parse(Markup::Latex, "\\chapter{C}\n\\section{A}\n\\subsection{A1}\n\\section{B}\ntext\n");
    let s: Vec<&str> = o.heading_stack_at(5).iter().map(|h| h.title.as_str()).collect();
    assert_eq!(s, vec!["C", "B"]);
}

#[test]
fn the_shared_patterns_read_includes_labels_and_headings_alike_everywhere() {
    // `\input b\relax`: the include's name ends at the next command (the outline once
    // read `b\relax`, the book's include links `b`; both now use `patterns::LATEX_INCLUDE`).
    let o = Outline::parse(Markup::Latex, "\\input{a}\n\\input b\\relax\n\\section{S}\\label{}\\label{sec:s}\n");
    let inc: Vec<&str> = o.includes.iter().map(|i| i.target.as_str()).collect();
    assert_eq!(inc, vec!["a", "b"]);
    // `\label{}` is no label.
    assert_eq!(o.labels, vec![("sec:s".to_string(), 3)]);
    assert_eq!(o.headings[0].label.as_deref(), Some("sec:s"));
    // The quick scan takes the same commands as the outline, less `\part`, and a title to
    // its first `}`.
    let text = "\\part{P}\n\\subsection*[Short]{Long \\emph{x} y}\n\\paragraph{Para}\n";
    assert_eq!(quick_headings(Markup::Latex, text), vec![(2, "Long \\emph{x".to_string()), (4, "Para".to_string())]);
    assert_eq!(quick_headings(Markup::Typst, "== Two <sec:two>\n  = Indented\n=Not\n"), vec![(1, "Two".to_string())]);
}

#[test]
fn latex_verbatim_verb_and_macro_bodies_hold_no_headings_or_labels() {
    let text = "\\section{Real}\\label{sec:real}\n\
        Code: \\begin{verbatim}\\section{InVerb}\\end{verbatim} and \\verb|\\section{InVerbBar}| and \\verb+\\label{sec:verb}+.\n\
        See \\begin{lstlisting}\n\\subsection{InListing}\n\\end{lstlisting}\n\
        \\newcommand{\\aside}[1]{%\n  \\subsection*{Aside: #1}\\label{sec:aside}\n}\n\
        \\newenvironment{box}\n  {\\section*{Boxed}}\n  {}\n\
        \\NewDocumentCommand{\\note}{m}\n  {\\paragraph{Note}#1}\n\
        \\subsection{Also Real}\n";
    let o = Outline::parse(Markup::Latex, text);
    let titles: Vec<(&str, usize)> = o.headings.iter().map(|h| (h.title.as_str(), h.line)).collect();
    assert_eq!(titles, vec![("Real", 1), ("Also Real", 14)]);
    let labels: Vec<&str> = o.labels.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["sec:real"]);
}

#[test]
fn markdown_at_signs_that_are_no_citations_and_headings_over_soft_breaks() {
    let text = "Setext heading\nover two lines\n==============\n\n- a list item\n---\n\n| a | b |\n|---|---|\n| row | x |\n\nMail me@Smith2020.org, see https://host.org/@Lee2021, `@Kim2022`, \\@Park2023 and [@Real2024].\n\n```\n@Fenced2025\n```\n";
    let o = Outline::parse(Markup::Markdown, text);
    let titles: Vec<(&str, usize)> = o.headings.iter().map(|h| (h.title.as_str(), h.line)).collect();
    assert_eq!(titles, vec![("Setext heading over two lines", 1)]);
    assert_eq!(o.citations, vec![("Real2024".to_string(), 12)]);
    // Inline markup inside a heading keeps the spaces around it.
    let o = Outline::parse(Markup::Markdown, "## Low *and* `slow` **pacing**\n");
    assert_eq!(o.headings[0].title, "Low and slow pacing");
}
