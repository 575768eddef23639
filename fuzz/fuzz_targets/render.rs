//! LaTeX -> Typst rendering never panics on any snippet.
#![no_main]
use chapter_integrator::guide::{Markup, Snippet};
use chapter_integrator::render::render;
use chapter_integrator::rules::Rules;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let rules = Rules::builtin();
    let s = Snippet { language: Some(Markup::Latex), text: text.to_string(), line: 1 };
    let _ = render(&s, Markup::Typst, &rules.environments, &[], ("g.md", 1));
    let _ = render(&s, Markup::Latex, &rules.environments, &[], ("g.md", 1));
});
