//! Property: the pattern scan that tells which files may define a label
//! (`outline::quick_labels`) finds every label the full outline parser finds, in LaTeX,
//! Typst and Markdown, whatever surrounds the labels. A plan looks a label up only in the
//! files the scan names, so a label the scan missed would be reported as free.

use chapter_integrator::guide::Markup;
use chapter_integrator::outline::{quick_labels, Outline};
use proptest::prelude::*;

/// Pieces of chapter text: labels in each markup's syntax, the constructs around them
/// (headings, environments, math, code, comments) and loose punctuation.
fn piece() -> impl Strategy<Value = String> {
    let name = "[a-z]{1,6}([:._-][a-z0-9]{1,5}){0,2}";
    prop_oneof![
        name.prop_map(|n| format!("\\label{{{n}}}")),
        name.prop_map(|n| format!("\\label {{ {n} }}")),
        name.prop_map(|n| format!("<{n}>")),
        name.prop_map(|n| format!("= Heading <{n}>\n")),
        name.prop_map(|n| format!("## Heading {{#{n}}}\n")),
        name.prop_map(|n| format!("# Title {{.cls #{n} key=v}}\n")),
        name.prop_map(|n| format!("#observation(title: [T])[\nbody\n] <{n}>\n")),
        name.prop_map(|n| format!("\\section{{S}}\\label{{{n}}}\n")),
        Just("\n".to_string()),
        Just("\n\n".to_string()),
        Just("$x < y > z$".to_string()),
        Just("```\ncode <a> \\label{b}\n```\n".to_string()),
        Just("% comment \\label{c}\n".to_string()),
        Just("// comment <d>\n".to_string()),
        "[a-z <>{}#\\\\:=\\[\\]()*`$-]{0,30}",
    ]
}

proptest! {
    #[test]
    fn the_scan_finds_every_label_the_parser_finds(pieces in proptest::collection::vec(piece(), 0..25)) {
        let text: String = pieces.concat();
        for markup in [Markup::Latex, Markup::Typst, Markup::Markdown] {
            let scanned = quick_labels(markup, &text);
            for (label, line) in Outline::parse(markup, &text).labels {
                prop_assert!(
                    scanned.binary_search(&label).is_ok(),
                    "{markup:?}: label {label:?} (line {line}) not scanned in {text:?}; scanned {scanned:?}"
                );
            }
        }
    }
}

#[test]
fn the_scan_reads_each_markups_label_syntax() {
    assert_eq!(quick_labels(Markup::Latex, "\\section{A}\\label{sec:a}\n\\label { b }"), ["b", "sec:a"]);
    assert_eq!(quick_labels(Markup::Typst, "= A <sec:a>\n$x < y$ and <fig.b-1>"), ["fig.b-1", "sec:a"]);
    assert_eq!(quick_labels(Markup::Markdown, "# A {#sec-a}\n## B {.x #b}"), ["b", "sec-a"]);
}
