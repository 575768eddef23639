//! Typst outlines never panic, and every line they report lies inside the text.
#![no_main]
use chapter_integrator::guide::Markup;
use libfuzzer_sys::fuzz_target;

#[path = "outline_common.rs"]
mod outline_common;

fuzz_target!(|text: &str| outline_common::check(Markup::Typst, text));
