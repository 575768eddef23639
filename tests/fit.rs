//! `bench/fit.py`, the script fitting the placement weights, on a tiny data set of our own
//! (`bench/tiny/`): three guides whose events pull the `cites_keys` weight up (guide a) and
//! down (guide b), a named heading and a pinned sentence edit (guide c). Needs `python3`.

mod common;

use std::path::Path;
use std::process::Command;

fn fit(args: &[&str]) -> serde_json::Value {
    let all: Vec<&str> = ["--data", "bench/tiny/data.json", "--rules", "bench/tiny/scoring.toml"]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    common::bench_json("fit.py", &all)
}

#[test]
fn coordinate_ascent_fits_on_all_and_cross_validates_leaving_one_guide_out() {
    let v = fit(&["--method", "coordinate"]);
    assert_eq!((v["events"].as_u64(), v["guides"].as_u64()), (Some(5), Some(3)));
    // Today's weights: the heading (E4) and the pinned sentence (E5) only.
    assert_eq!(v["today"]["offline"]["section@1"], 0.4);
    // On all events, citing outweighs a relevance gap of 0.4 (E1, E2): guide b's one event is lost.
    assert_eq!(v["fitted_on_all"]["weights"]["cites_keys"], 1.0);
    assert_eq!(v["fitted_on_all"]["weights"]["hint"], 4.0);
    assert_eq!(v["fitted_on_all"]["offline"]["section@1"], 0.8);
    assert_eq!(v["fitted_on_all"]["offline"]["spot@1"], 0.6);
    // Held out, guide a's events are ranked by weights fitted on b and c (cites_keys 0) and
    // guide b's by weights fitted on a and c (1.0): neither is placed.
    assert_eq!(v["cross_validated"]["section@1"], 0.4);
    assert_eq!(v["cross_validated"]["landed@1"], 0.2);
    // The pinned sentence scores as an anchor (8 / (8 + 2) = 0.8), and is right.
    let cal = &v["today"]["calibration"];
    assert_eq!((&cal["at_least"], &cal["first_candidates"], &cal["right"]), (&0.8.into(), &1.into(), &1.0.into()));
}

#[test]
fn coordinate_ascent_from_even_weights_starts_every_weight_at_the_units() {
    let v = fit(&["--method", "coordinate", "--start", "even"]);
    assert_eq!(v["start"], "even");
    let w = &v["fitted_on_all"]["weights"];
    // From 2.0 each: citing doubles, the heading must outweigh relevance and citing (4.0).
    assert_eq!((w["hint"].as_f64(), w["cites_keys"].as_f64()), (Some(4.0), Some(2.0)));
    assert_eq!(v["fitted_on_all"]["offline"]["section@1"], 0.8);
    // Held out, guide c's heading (E4) is lost to weights fitted without it (hint 2.0).
    assert_eq!(v["cross_validated"]["section@1"], 0.2);
    // Today's scores by tenths: three relevance-led first candidates at 0.5-0.6, all wrong.
    assert_eq!(v["today"]["calibration"]["by_score"]["0.5"], serde_json::json!({"first_candidates": 3, "right": 0.0}));
}

#[test]
fn pairwise_logistic_regression_fits_the_free_weights_relevance_kept_as_the_unit() {
    let v = fit(&["--method", "pairwise", "--l2", "0.01"]);
    let w = &v["fitted_on_all"]["weights"];
    assert_eq!((w["hint"].as_f64(), w["cites_keys"].as_f64()), (Some(5.734), Some(1.134)));
    assert_eq!(w["relevance"], 2.0);
    // No candidate holds an environment signal: its weight stays.
    assert_eq!(w["same_environment"], 0.5);
    assert_eq!(v["fitted_on_all"]["offline"]["section@1"], 0.8);
    assert_eq!(v["cross_validated"]["section@1"], 0.4);
}

#[test]
fn write_rules_rewrites_the_changed_weights_with_the_script_and_date() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("scoring.toml");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("bench/tiny/scoring.toml"), &rules).unwrap();
    let rules = rules.to_str().unwrap();
    fit(&["--method", "coordinate", "--write-rules", rules, "--date", "2026-01-01"]);
    let text = std::fs::read_to_string(rules).unwrap();
    assert!(
        text.contains("# Fitted by bench/fit.py --method coordinate on 2026-01-01 (was 0.5).\ncites_keys = 1.0\n"),
        "{text}"
    );
    assert!(text.contains("\nhint = 4.0\n") && !text.contains("(was 4.0)"), "{text}");
}

#[test]
fn calibration_is_isotonic_over_the_first_candidates_of_targets_whose_event_is_known() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("bench/calibrate.py"))
        .args(["bench/tiny/calibration.json", "--rules", "bench/tiny/scoring.toml"])
        .current_dir(root)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Scores 0.5 (1 of 3 right) and 0.6 (0 of 1) violate the order and are pooled (1 of 4);
    // 0.667 (1 of 2) and 0.8 (2 of 2) keep theirs. The event matched only by file is left out.
    assert_eq!(v["table"]["scores"], serde_json::json!([0.0, 0.667, 0.8]));
    assert_eq!(v["table"]["right"], serde_json::json!([0.25, 0.5, 1.0]));
    let b = &v["benchmarks"]["calibration.json"];
    assert_eq!((b["first_candidates"].as_u64(), b["right"].as_f64()), (Some(8), Some(0.5)));
    assert_eq!(b["at_least"], serde_json::json!({"first_candidates": 2, "right": 1.0}));
}
