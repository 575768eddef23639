//! A target's [`Resolution`] taken into its plan: the file it resolved to, or the finding
//! that says why there is none (for an unresolved target, the closest file's best insertion
//! points for review).
//!
//! What it leaves out: resolving (`crate::resolve`) and placing in the file (`crate::place`).

use super::TargetPlan;
use crate::finding::{Code, Finding};
use crate::guide::{describe_rank, Target};
use crate::place;
use crate::resolve::Resolution;
use crate::store::Store;

/// What a file hint resolved by `method` (not `exact`) is, and what the file used for it is,
/// as `target-resolved-loosely` says: `(is, used)`. The methods are [`crate::resolve::Resolver`]'s.
fn loose_reason(method: &str) -> (&'static str, &'static str) {
    match method {
        "live-edition" => (
            "is a file of an edition no root document includes",
            "the chapter of the same name (less its number) that a root document includes",
        ),
        "moved" => ("is not in the book", "the file of the same name (or stem, in the other markup) elsewhere"),
        "slug" => ("is not in the book", "the chapter of the same name less its number"),
        "directory" => ("names a folder", "its chapter most relevant to the target"),
        _ => ("is not in the book", "the chapter closest by name, headings and content"),
    }
}

/// Takes the target's [`Resolution`] into `plan`: the resolved file (and a
/// `target-resolved-loosely` warning when it was not found by its path), or the finding
/// that says why there is none (for an unresolved target, the closest file's best
/// insertion points too, for review). Returns whether the target has a file to place into.
pub(super) fn take_resolution(
    book: &Store,
    resolution: Resolution,
    target: &Target,
    context: &str,
    priors: place::Priors,
    plan: &mut TargetPlan,
    findings: &mut Vec<Finding>,
) -> bool {
    let where_ = (target.source.as_str(), target.line);
    let rank = describe_rank(target.rank);
    let hint = target.file_hint.clone().unwrap_or_default();
    match resolution {
        Resolution::Resolved(r) => {
            if r.method != "exact" {
                findings.push(
                    Finding::new(
                        Code::TargetResolvedLoosely,
                        format!(
                            "{rank} target `{hint}` {}; using {}, {} (found by {}, confidence {:.2})",
                            loose_reason(r.method).0,
                            r.path,
                            loose_reason(r.method).1,
                            r.method,
                            r.confidence
                        ),
                    )
                    .at(where_.0, Some(where_.1))
                    .help("check the file, then update the guide's path"),
                );
            }
            plan.resolved = Some(r);
            true
        }
        Resolution::Outside(path) => {
            findings.push(
                Finding::new(Code::PathOutsideBook, format!("{rank} target `{path}` points outside the book; nothing outside the book root is read or written"),
                )
                .at(where_.0, Some(where_.1))
                .help("name a chapter file inside the book"),
            );
            false
        }
        Resolution::NotChapter(path) => {
            let message = format!("{rank} target `{path}` is not a chapter file (.tex, .typ)");
            findings.push(
                Finding::new(Code::TargetNotChapter, message)
                    .help("name the chapter file the content belongs in")
                    .at(where_.0, Some(where_.1)),
            );
            false
        }
        Resolution::NotText(path) => {
            let message = format!("{rank} target `{path}` is not UTF-8 text");
            findings.push(
                Finding::new(Code::TargetNotText, message)
                    .help("convert the file to UTF-8")
                    .at(where_.0, Some(where_.1)),
            );
            false
        }
        Resolution::InSubmodule(path, submodule) => {
            findings.push(
                Finding::new(Code::TargetInSubmodule, format!(
                        "{rank} target `{path}` is inside the git submodule `{submodule}`; its files belong to another repository and are not edited"
                    ),
                )
                .at(where_.0, Some(where_.1))
                .help(format!("apply the guide in the repository of `{submodule}`, or name a chapter file of this book")),
            );
            false
        }
        Resolution::Unresolved(closest) => {
            let names: Vec<String> = closest.iter().map(|(p, s)| format!("{p} ({s:.2})")).collect();
            findings.push(
                Finding::new(
                    Code::TargetUnresolved,
                    format!(
                        "{rank} target `{hint}` matches no file of the book well enough; closest: {}",
                        if names.is_empty() { "none".into() } else { names.join(", ") }
                    ),
                )
                .at(where_.0, Some(where_.1))
                .help("correct the guide's **File:** line"),
            );
            // Nothing is inserted, but the closest file's best sections are offered for
            // review: a stale path from an older layout of the book still says what the
            // text is about.
            if let Some((path, score)) = closest.first() {
                plan.candidates =
                    place::rank_with(book, path, target, &target.keys, context, book.rules.scoring.place.top, priors);
                for c in &mut plan.candidates {
                    c.signals.insert(0, place::Signal::ClosestFile { path: path.clone(), confidence: *score });
                }
                plan.review = !plan.candidates.is_empty();
            }
            false
        }
    }
}
