//! The real Typst compiler on the fixture book: it compiles as committed, and every branch
//! `apply` writes for a fixture guide still compiles. A commit that stops the book compiling
//! fails here; a file made broken on purpose shows the check can fail. The compiler is the
//! `typst` Python package (`.ci/run` installs it); without it these tests fail, never skip.

mod common;

use std::path::Path;

use common::{export_tree, git, git_book_with_families, stderr, tool, typst_compile, write};

/// The Typst root document of the fixture book, relative to the book.
const MAIN: &str = "typst/book.typ";

/// Applies the guide folder `folder` to branch `branch`; the branch's tree compiles.
/// Returns the `.typ` files the branch changed.
fn apply_and_compile(book: &Path, folder: &str, branch: &str) -> Vec<String> {
    let out = tool(book).args(["apply", "--branch", branch, folder]).output().unwrap();
    let exists = git(book, &["branch", "--list", branch]);
    if exists.trim().is_empty() {
        return Vec::new();
    }
    let tree = export_tree(book, branch);
    if let Err(e) = typst_compile(tree.path(), MAIN) {
        let diff = git(book, &["diff", "main", branch]);
        panic!("{folder}: the committed book no longer compiles:\n{e}\n{diff}\n{}", stderr(&out));
    }
    git(book, &["diff", "--name-only", "main", branch])
        .lines()
        .filter(|p| p.ends_with(".typ"))
        .map(String::from)
        .collect()
}

#[test]
fn the_fixture_book_compiles_before_and_after_each_apply() {
    let (_d, book) = git_book_with_families();
    let committed = export_tree(&book, "main");
    typst_compile(committed.path(), MAIN).expect("the fixture book compiles as committed");
    let mut folders =
        vec!["Literature/treatments/ketamine".to_string(), "Literature/treatments/low-dose-naltrexone".into()];
    let mut families: Vec<String> = std::fs::read_dir(book.join("Literature/families"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| format!("Literature/families/{}", e.file_name().to_string_lossy()))
        .collect();
    families.sort();
    folders.extend(families);
    let mut typ_changed = Vec::new();
    for (i, folder) in folders.iter().enumerate() {
        typ_changed.extend(apply_and_compile(&book, folder, &format!("compile/{i}")));
    }
    typ_changed.sort();
    typ_changed.dedup();
    // The check is only worth something when the guides change Typst chapters.
    assert!(typ_changed.len() >= 3, "{typ_changed:?}");
}

#[test]
fn a_broken_chapter_fails_the_compile_check() {
    let (_d, book) = common::copy_book();
    write(&book, "typst/ch04-symptom-management.typ", "= Symptom Management\n\n#obsrvation[Not defined here.]\n");
    let err = typst_compile(&book, MAIN).unwrap_err();
    assert!(err.starts_with("unknown variable: obsrvation\n"), "{err}");
}

/// A guide of our own with one target: `file`, under the heading `section`, with `snippet`
/// in `lang` (`latex` or `typst`), citing `Nijs2012sensitization`.
fn one_target_guide(file: &str, section: &str, lang: &str, snippet: &str) -> String {
    format!(
        "# Integration Guide: Scope\n\n## Paper Citation Key\n**BibTeX key:** `Nijs2012sensitization`\n\n\
         ## Recommended Chapters for Integration\n\n### Primary Target: {file}\n**File:** `{file}`\n\
         **Section hint:** \"{section}\"\n\n**Suggested {lang}:**\n```{lang}\n{snippet}\n```\n"
    )
}

/// `sec-02` (no import of the environments) with its first line replaced by `head`: the
/// file a scope test inserts into.
const SEC02: &str = "typst/ch03-mechanisms/sec-02-central-sensitization.typ";

const OBSERVATION: &str = "\\begin{observation}[Thresholds Fall]\n\\label{obs:thresholds}\n\
    Pain thresholds fell after effort~\\cite{Nijs2012sensitization}.\n\\end{observation}";

/// Writes the guide for [`OBSERVATION`] into `book`, commits, applies it; returns the
/// apply's exit code, its stdout and the text the branch gives `SEC02` (the base's text
/// when nothing was written).
fn apply_observation(book: &Path, head: Option<&str>) -> (Option<i32>, String, String) {
    if let Some(head) = head {
        let text = std::fs::read_to_string(book.join(SEC02)).unwrap();
        write(book, SEC02, &format!("{head}\n{text}"));
    }
    let guide = one_target_guide(SEC02, "Hyperalgesia After Exertion", "latex", OBSERVATION);
    write(book, "Literature/scope/integration-guide.md", &guide);
    let (_, book) = common::commit_all((tempfile::tempdir().unwrap(), book.to_path_buf()));
    let out = tool(&book).args(["apply", "--branch", "scope", "Literature/scope"]).output().unwrap();
    let rev = if git(&book, &["branch", "--list", "scope"]).trim().is_empty() { "main" } else { "scope" };
    let tree = export_tree(&book, rev);
    let compiled = typst_compile(tree.path(), MAIN);
    assert!(compiled.is_ok(), "{compiled:?}");
    let text = std::fs::read_to_string(tree.path().join(SEC02)).unwrap();
    (out.status.code(), common::stdout(&out), text)
}

/// The inserted observation as `sec-02` holds it after the section's paragraph (`~` is
/// Typst's non-breaking space too).
fn inserted(call: &str) -> String {
    format!(
        "drugs that lower NMDA receptor activity attract interest as possible treatments.\n\n{call}(title: \
         [Thresholds Fall])[\nPain thresholds fell after effort~@Nijs2012sensitization.\n] <obs:thresholds>\n"
    )
}

#[test]
fn a_file_without_the_import_gets_the_line_its_siblings_use() {
    let (_d, book) = common::copy_book();
    let (code, _, text) = apply_observation(&book, None);
    assert_eq!(code, Some(0));
    let call = "#import \"../shared/environments.typ\": *\n\n#observation";
    assert!(text.ends_with(&inserted(call)), "{text}");
}

#[test]
fn a_file_importing_the_module_under_an_alias_calls_through_it() {
    let (_d, book) = common::copy_book();
    let (code, _, text) = apply_observation(&book, Some("#import \"../shared/environments.typ\" as env"));
    assert_eq!(code, Some(0));
    assert!(text.ends_with(&inserted("#env.observation")), "{text}");
}

#[test]
fn a_partial_import_list_is_completed_by_the_siblings_import() {
    let (_d, book) = common::copy_book();
    let (code, _, text) = apply_observation(&book, Some("#import \"../shared/environments.typ\": hypothesis"));
    assert_eq!(code, Some(0));
    let call = "#import \"../shared/environments.typ\": *\n\n#observation";
    assert!(text.ends_with(&inserted(call)), "{text}");
}

#[test]
fn a_file_importing_the_function_needs_nothing_more() {
    let (_d, book) = common::copy_book();
    let (code, _, text) = apply_observation(&book, Some("#import \"../shared/environments.typ\": observation"));
    assert_eq!(code, Some(0));
    assert!(text.ends_with(&inserted("#observation")), "{text}");
}

#[test]
fn a_function_bound_only_below_the_insertion_point_is_refused() {
    let (_d, book) = common::copy_book();
    let text = std::fs::read_to_string(book.join(SEC02)).unwrap();
    write(&book, SEC02, &format!("{text}\n#let sidebar(body) = block(inset: 4pt, body)\n"));
    // A key the section does not cite yet, so the target is not taken as applied.
    let guide = one_target_guide(SEC02, "Central Sensitization", "typst", "#sidebar[Thresholds fell @Cortes2018gaba.]")
        .replace("`Nijs2012sensitization`", "`Cortes2018gaba`");
    write(&book, "Literature/scope/integration-guide.md", &guide);
    let (_, book) = common::commit_all((tempfile::tempdir().unwrap(), book));
    let out = tool(&book).args(["apply", "--branch", "scope", "Literature/scope"]).output().unwrap();
    let text = common::stdout(&out) + &stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "error[typst-function-out-of-scope] Literature/scope/integration-guide.md:13: `#sidebar` is not in \
             scope in {SEC02}, and no module of the book binds it to import"
        )),
        "{text}"
    );
    assert!(git(&book, &["branch", "--list", "scope"]).trim().is_empty());
}

#[test]
fn converted_latex_text_and_math_compile() {
    let (_d, book) = common::copy_book();
    let snippet = "\\begin{observation}[M{\\\"u}ller's ``Thresholds'']\n\\label{obs:thresholds}\n\
        Fran\\c{c}ois and Ko\\v{s}ice: {\\em lower} thresholds --- 12--24\\textsuperscript{th} day, \
        5~\\textmu g CO\\textsubscript{2}, $\\bar{x} \\pm \\hat{\\sigma} \\leq \\left(\\frac{a}{b}\\right)^{2}$ \
        and $\\sqrt[3]{\\tilde{y}} \\times \\mathrm{IL} \\cdot \\text{dose}_{i} \\geq \\Delta$~\\cite{Nijs2012sensitization}.\n\
        \\end{observation}";
    let guide = one_target_guide(SEC02, "Hyperalgesia After Exertion", "latex", snippet);
    write(&book, "Literature/scope/integration-guide.md", &guide);
    let (_, book) = common::commit_all((tempfile::tempdir().unwrap(), book));
    let out = tool(&book).args(["apply", "--branch", "scope", "Literature/scope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let tree = export_tree(&book, "scope");
    typst_compile(tree.path(), MAIN).unwrap();
    let text = std::fs::read_to_string(tree.path().join(SEC02)).unwrap();
    let expected = "#observation(title: [M\u{fc}ller's \u{201c}Thresholds\u{201d}])[\n\
        Fran\u{e7}ois and Ko\u{161}ice: _lower_ thresholds --- 12--24#super[th] day, 5~\u{b5}g CO#sub[2], \
        $macron(x) plus.minus hat(sigma) <= ((a)/(b))^(2)$ and $root(3, tilde(y)) times \"IL\" dot \"dose\"_(i) >= Delta$~@Nijs2012sensitization.\n\
        ] <obs:thresholds>\n";
    assert!(text.ends_with(expected), "{text}");
}

#[test]
fn raw_latex_left_in_typst_math_stops_the_compiler() {
    // What the tool committed before LaTeX math was converted or refused.
    let (_d, book) = common::copy_book();
    let text = std::fs::read_to_string(book.join(SEC02)).unwrap();
    write(&book, SEC02, &format!("{text}\nA ratio $\\frac{{a}}{{b}}$.\n"));
    let err = typst_compile(&book, MAIN).unwrap_err();
    assert!(err.starts_with("unknown variable: rac\n"), "{err}");
}

/// Applies a one-target guide for `SEC02` with `snippet` in `lang`, citing `Cortes2018gaba`
/// (a key the file does not cite yet); returns the exit code and stdout + stderr, and
/// asserts that no branch was written.
fn refused(lang: &str, snippet: &str) -> (Option<i32>, String) {
    let (_d, book) = common::copy_book();
    let guide = one_target_guide(SEC02, "Central Sensitization", lang, snippet)
        .replace("`Nijs2012sensitization`", "`Cortes2018gaba`");
    write(&book, "Literature/scope/integration-guide.md", &guide);
    let (_, book) = common::commit_all((tempfile::tempdir().unwrap(), book));
    let out = tool(&book).args(["apply", "--branch", "scope", "Literature/scope"]).output().unwrap();
    assert!(git(&book, &["branch", "--list", "scope"]).trim().is_empty(), "a branch was written");
    (out.status.code(), common::stdout(&out) + &stderr(&out))
}

#[test]
fn a_reference_to_a_label_nobody_defines_is_refused_with_the_nearest() {
    let (code, text) =
        refused("latex", "As in Section~\\ref{sec:neuroinflamation}, GABA is low~\\cite{Cortes2018gaba}.");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(
            "error[snippet-reference-undefined] Literature/scope/integration-guide.md:13: the inserted text refers \
             to `sec:neuroinflamation`, a label neither the book nor the snippet defines"
        ),
        "{text}"
    );
    assert!(
        text.contains("help: did you mean `sec:neuroinflammation`? Fix the reference in the guide's snippet"),
        "{text}"
    );
    // The same reference written as a Typst `@`.
    let (code, text) = refused("typst", "As in @sec:neuroinflamation, GABA is low @Cortes2018gaba.");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("error[snippet-reference-undefined]"), "{text}");
}

#[test]
fn a_typst_snippet_reading_outside_the_book_is_refused() {
    for snippet in ["#include \"../../../outside.typ\"", "#raw(read(\"../../../../etc/passwd\"))"] {
        let (code, text) = refused("typst", &format!("GABA is low @Cortes2018gaba.\n\n{snippet}"));
        assert_eq!(code, Some(1), "{text}");
        assert!(
            text.contains("error[snippet-path-outside-book] Literature/scope/integration-guide.md:13: the inserted `"),
            "{text}"
        );
        assert!(text.contains("` reaches outside the book"), "{text}");
    }
    let (code, text) = refused("typst", "GABA is low @Cortes2018gaba.\n\n#include \"sec-01-neuroinflamation.typ\"");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("error[include-missing] Literature/scope/integration-guide.md:13: the inserted `#include` of `sec-01-neuroinflamation.typ` names no file of the book"),
        "{text}"
    );
    assert!(text.contains("help: did you mean `sec-01-neuroinflammation.typ`?"), "{text}");
}

#[test]
fn a_typst_snippet_calling_an_unknown_environment_is_refused() {
    let (code, text) = refused("typst", "#obsrvation[GABA is low @Cortes2018gaba.]");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("error[environment-unknown] Literature/scope/integration-guide.md:13: the book defines no Typst function `obsrvation` that the snippet calls"), "{text}");
    assert!(text.contains("help: did you mean `observation`?"), "{text}");
}

#[test]
fn a_reference_to_a_label_another_snippet_of_the_guide_defines_is_inserted() {
    let (_d, book) = common::copy_book();
    let heading = "\\subsection{Thresholds After Effort}\\label{sec:thresholds}\n\
        Pain thresholds fell after effort~\\cite{Nijs2012sensitization}.";
    let first = one_target_guide(SEC02, "Hyperalgesia After Exertion", "latex", heading);
    let second = "\n### Secondary Target: sec-02\n**File:** `typst/ch03-mechanisms/sec-02-central-sensitization.typ`\n\
        **Section hint:** \"Central Sensitization\"\n\n**Suggested LaTeX:**\n```latex\n\
        As Section~\\ref{sec:thresholds} shows, GABA is low~\\cite{Cortes2018gaba}.\n```\n";
    let guide = first.replace(
        "**BibTeX key:** `Nijs2012sensitization`",
        "**BibTeX key:** `Nijs2012sensitization`\n**BibTeX key:** `Cortes2018gaba`",
    ) + second;
    write(&book, "Literature/scope/integration-guide.md", &guide);
    let (_, book) = common::commit_all((tempfile::tempdir().unwrap(), book));
    let out = tool(&book).args(["apply", "--branch", "scope", "Literature/scope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let tree = export_tree(&book, "scope");
    typst_compile(tree.path(), MAIN).unwrap();
    let text = std::fs::read_to_string(tree.path().join(SEC02)).unwrap();
    assert!(text.contains("<sec:thresholds>"), "{text}");
    assert!(text.contains("\nAs Section~@sec:thresholds shows, GABA is low~@Cortes2018gaba.\n"), "{text}");
}
