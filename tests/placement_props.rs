//! Property: no insertion point ever lies inside an environment, code block, comment,
//! table or math block, whatever the chapter looks like. Chapters are generated from
//! blocks whose line ranges are known, in LaTeX and in Typst, and every candidate `plan`
//! ranks is checked against them.

use chapter_integrator::guide::Target;
use chapter_integrator::place;
use chapter_integrator::store::Store;
use proptest::prelude::*;

/// A block of a generated chapter.
#[derive(Debug, Clone)]
enum Block {
    Heading(u8, String),
    Paragraph(usize),
    /// An environment (LaTeX `\begin..\end`, Typst `#name[..]`) of n body lines.
    Environment(usize),
    /// A comment block of n lines (LaTeX `\iffalse..\fi`, Typst `/* .. */`).
    Comment(usize),
    /// Display math of n lines.
    Math(usize),
    /// Verbatim / raw code of n lines.
    Code(usize),
    /// A table of n rows.
    Table(usize),
}

fn block() -> impl Strategy<Value = Block> {
    prop_oneof![
        (1u8..4, "[A-Z][a-z]{2,8}( [a-z]{3,8}){0,2}").prop_map(|(l, t)| Block::Heading(l, t)),
        (1usize..4).prop_map(Block::Paragraph),
        (1usize..5).prop_map(Block::Environment),
        (1usize..4).prop_map(Block::Comment),
        (1usize..4).prop_map(Block::Math),
        (1usize..4).prop_map(Block::Code),
        (1usize..4).prop_map(Block::Table),
    ]
}

/// The chapter text and the inclusive line ranges of its protected blocks.
fn render(blocks: &[Block], typst: bool) -> (String, Vec<(usize, usize)>) {
    let mut lines: Vec<String> = Vec::new();
    let mut protected = Vec::new();
    lines.push(if typst { "= Chapter <ch:gen>".into() } else { "\\chapter{Chapter}\\label{ch:gen}".into() });
    for b in blocks {
        lines.push(String::new());
        let start = lines.len() + 1;
        match b {
            Block::Heading(level, title) => {
                lines.push(if typst {
                    format!("{} {title}", "=".repeat(*level as usize + 1))
                } else {
                    let cmd = ["section", "subsection", "subsubsection"][(*level as usize - 1).min(2)];
                    format!("\\{cmd}{{{title}}}")
                });
                continue;
            }
            Block::Paragraph(n) => {
                for i in 0..*n {
                    lines.push(format!("Some prose about pacing and energy, line {i}."));
                }
                continue;
            }
            Block::Environment(n) => {
                lines.push(if typst {
                    "#observation(title: [Seen])[".into()
                } else {
                    "\\begin{observation}[Seen]".into()
                });
                for i in 0..*n {
                    lines.push(format!("Observed pacing energy detail {i}."));
                }
                // A line comment holding a heading, inside the environment.
                lines.push(if typst { "// == Chapter note".into() } else { "% \\section{Chapter note}".into() });
                lines.push(if typst { "] <obs:x>".into() } else { "\\end{observation}".into() });
            }
            Block::Comment(n) => {
                lines.push(if typst { "/*".into() } else { "\\iffalse".into() });
                // Heading-like text that is no heading.
                lines.push(if typst { "== Chapter draft".into() } else { "\\section{Chapter draft}".into() });
                for i in 0..*n {
                    lines.push(format!("hidden pacing energy note {i}"));
                }
                lines.push(if typst { "*/".into() } else { "\\fi".into() });
            }
            Block::Math(n) => {
                lines.push(if typst { "$".into() } else { "\\[".into() });
                for i in 0..*n {
                    lines.push(format!("x_{i} + y"));
                }
                lines.push(if typst { "$".into() } else { "\\]".into() });
            }
            Block::Code(n) => {
                lines.push(if typst { "```".into() } else { "\\begin{verbatim}".into() });
                lines.push(if typst { "= Chapter in code".into() } else { "\\section{Chapter in code}".into() });
                for i in 0..*n {
                    lines.push(format!("code pacing energy {i}"));
                }
                lines.push(if typst { "```".into() } else { "\\end{verbatim}".into() });
            }
            Block::Table(n) => {
                lines.push(if typst { "#table(columns: 2,".into() } else { "\\begin{tabular}{ll}".into() });
                for i in 0..*n {
                    lines.push(if typst {
                        format!("  [pacing {i}], [energy],")
                    } else {
                        format!("pacing {i} & energy \\\\")
                    });
                }
                lines.push(if typst { ")".into() } else { "\\end{tabular}".into() });
            }
        }
        protected.push((start, lines.len()));
    }
    (lines.join("\n") + "\n", protected)
}

fn check(blocks: &[Block], typst: bool) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let (text, protected) = render(blocks, typst);
    let name = if typst { "chapter.typ" } else { "chapter.tex" };
    std::fs::write(dir.path().join(name), &text).unwrap();
    let book = Store::open(dir.path(), "HEAD").unwrap();
    let target = Target {
        rank: 1,
        file_hint: Some(name.into()),
        // A title, and the end of an environment (the generated ones are observations).
        section_hints: vec!["Chapter".into(), "after \\end{observation} of the seen observation".into()],
        environment: Some("observation".into()),
        line: 1,
        source: "g.md".into(),
        ..Default::default()
    };
    let candidates = place::rank(&book, name, &target, &[], "pacing energy observed", 100);
    prop_assert!(!candidates.is_empty(), "no candidate in\n{text}");
    for c in &candidates {
        for &(a, b) in &protected {
            // Inserting after line `l` splits the block when a <= l < b.
            prop_assert!(
                !(a <= c.after_line && c.after_line < b),
                "candidate after line {} lies in the block at lines {a}-{b} of\n{text}",
                c.after_line
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn latex_insertion_points_never_split_a_block(blocks in proptest::collection::vec(block(), 1..14)) {
        check(&blocks, false)?;
    }

    #[test]
    fn typst_insertion_points_never_split_a_block(blocks in proptest::collection::vec(block(), 1..14)) {
        check(&blocks, true)?;
    }
}
