//! BibTeX reading never panics; every key it reports has a line inside the file.
#![no_main]
use chapter_integrator::bib::Bibliography;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let mut bib = Bibliography::default();
    bib.add_file("refs.bib", text);
    let lines = text.split_inclusive('\n').count().max(1);
    for e in bib.entries.values() {
        assert!(e.line >= 1 && e.line <= lines);
    }
});
