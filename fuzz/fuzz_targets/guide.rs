//! Guide and key-findings parsing never panics, whatever the Markdown.
#![no_main]
use chapter_integrator::guide::{parse_guide, parse_key_findings};
use chapter_integrator::rules::Rules;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let rules = Rules::builtin();
    let g = parse_guide(text, "g.md", &rules);
    for t in &g.targets {
        assert!(t.line >= 1);
    }
    let _ = parse_key_findings(text, &rules.guide);
});
