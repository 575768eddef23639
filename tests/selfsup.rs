//! `bench/selfsup.py`, the self-supervised placement benchmark, end to end on a fixture book
//! of our own (`fixtures/selfsup/`: one Typst chapter split into two section files, three
//! labelled environments and six paragraphs citing the bibliography). Needs `python3`.

mod common;

fn selfsup(args: &[&str]) -> serde_json::Value {
    let bin = env!("CARGO_BIN_EXE_chapter-integrator");
    let all: Vec<&str> = ["--bin", bin, "--book", "fixtures/selfsup"].into_iter().chain(args.iter().copied()).collect();
    common::bench_json("selfsup.py", &all)
}

#[test]
fn every_block_is_taken_out_and_put_back_with_and_without_a_section_hint() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.json");
    let v = selfsup(&["--sample", "50", "--data", data.to_str().unwrap()]);
    // Nine blocks (all of the fixture's), two guides each.
    assert_eq!((v["pool"].as_u64(), v["blocks"].as_u64(), v["size"].as_u64()), (Some(9), Some(9), Some(18)));
    assert_eq!(v["kinds"], serde_json::json!({"environment": 3, "paragraph": 6}));
    let hint = &v["hint"];
    assert_eq!(hint["guides"], 9);
    // The chapter named by its path before the split resolves to the split chapter.
    assert_eq!(hint["file@1"], 1.0);
    // Two paragraphs of a section's lead-in go into its subsection, which the hint's
    // section also names (hint_parent) and whose text is as related: in the top 3 still.
    assert_eq!((hint["section@1"].as_f64(), hint["section@3"].as_f64()), (Some(0.778), Some(1.0)));
    assert_eq!(hint["spot@1"], 0.444);
    assert_eq!(v["nohint"]["section@1"], 0.778);
    assert_eq!(v["all"]["right_section_wrong_spot"], 6);
    // A hint lifts the first candidate's score from the relevance-only range.
    let by = &v["calibration"]["by_score"];
    assert_eq!((by["0.5"]["first_candidates"].as_u64(), by["0.7"]["first_candidates"].as_u64()), (Some(9), Some(9)));
    // The data file is bench/fit.py's: one event per guide, every candidate's signals.
    let d: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&data).unwrap()).unwrap();
    let events = d["events"].as_array().unwrap();
    assert_eq!(events.len(), 18);
    let cands = events[0]["targets"][0]["candidates"].as_array().unwrap();
    assert!(cands.iter().any(|c| c["x"]["spot_end"] == 1.0), "{cands:?}");
    assert!(cands.iter().filter(|c| c["section"] == true).count() >= 1);
}

#[test]
fn the_sample_is_drawn_by_the_seed() {
    let a = selfsup(&["--sample", "4", "--seed", "2"]);
    assert_eq!((a["blocks"].as_u64(), a["size"].as_u64()), (Some(4), Some(8)));
    assert_eq!(a["kinds"], serde_json::json!({"environment": 1, "paragraph": 3}));
    assert_eq!(selfsup(&["--sample", "4", "--seed", "2"])["all"], a["all"]);
}
