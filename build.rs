//! Hashes the sources the tool is built from (`src/`, `rules/`, `Cargo.toml`, `Cargo.lock`)
//! into `CHAPTER_INTEGRATOR_SOURCE_HASH`: book snapshots made by one build are never read
//! by a build of other sources (see `src/snapshot.rs`).

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for dir in ["src", "rules"] {
        files(&root.join(dir), &mut all);
        println!("cargo:rerun-if-changed={dir}");
    }
    for file in ["Cargo.toml", "Cargo.lock"] {
        all.push(root.join(file));
        println!("cargo:rerun-if-changed={file}");
    }
    all.sort();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for p in &all {
        p.strip_prefix(&root).unwrap_or(p).hash(&mut h);
        std::fs::read(p).unwrap_or_default().hash(&mut h);
    }
    println!("cargo:rustc-env=CHAPTER_INTEGRATOR_SOURCE_HASH={:016x}", h.finish());
}
