//! Latex outlines never panic, and every line they report lies inside the text.
#![no_main]
use chapter_integrator::guide::Markup;
use chapter_integrator::outline::Outline;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let o = Outline::parse(Markup::Latex, text);
    let lines = text.split_inclusive('\n').count().max(1);
    for h in &o.headings {
        assert!(h.line >= 1 && h.line <= lines, "heading line {} of {lines}", h.line);
    }
    for &(a, b) in &o.blocked {
        assert!(a <= b);
    }
    let _ = o.heading_stack_at(lines);
});
