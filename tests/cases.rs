//! The kinds of input that broke tools in this field (`shared/cases/` C01-C21), each on
//! an input written here, checked through `outline --format json` as a user sees it.

mod common;

use std::path::Path;

use serde_json::Value;

use common::write;

/// `outline --format json [files]` of the book at `root` (not in git).
fn outline(root: &Path, files: &[&str]) -> Value {
    let out = common::tool(root).args(["--book", ".", "outline", "--format", "json"]).args(files).output().unwrap();
    assert!(out.status.code().unwrap() <= 1, "{}", common::stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn file<'a>(doc: &'a Value, path: &str) -> &'a Value {
    doc["files"].as_array().unwrap().iter().find(|f| f["path"] == path).unwrap_or_else(|| panic!("{path} not listed"))
}

/// `(title, level, label, line)` of each heading.
fn headings(f: &Value) -> Vec<(String, i64, Option<String>, u64)> {
    f["headings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["title"].as_str().unwrap().to_string(),
                h["level"].as_i64().unwrap(),
                h["label"].as_str().map(str::to_string),
                h["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// `(name, line)` pairs of a list whose objects have `field` and `line`.
fn pairs(f: &Value, list: &str, field: &str) -> Vec<(String, u64)> {
    f[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x[field].as_str().unwrap().to_string(), x["line"].as_u64().unwrap()))
        .collect()
}

fn codes(f: &Value) -> Vec<(String, u64)> {
    pairs(f, "findings", "code")
}

fn h(title: &str, level: i64, label: Option<&str>, line: u64) -> (String, i64, Option<String>, u64) {
    (title.to_string(), level, label.map(str::to_string), line)
}

fn p(name: &str, line: u64) -> (String, u64) {
    (name.to_string(), line)
}

/// C01: commented-out and skipped sectioning commands are not headings or labels; `\%`
/// is text.
#[test]
fn c01_comments_and_skipped_blocks_hold_no_headings_or_labels() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "pacing.tex",
        "\\chapter{Pacing}\\label{ch:pacing}\n\
         %\\section{Retired draft}\\label{sec:retired}\n\
         Keep below 70\\% of the envelope. % \\section{After a comment}\n\
         \\section{Heart-rate limits at 60\\% of maximum}\\label{sec:hr}\n\
         \\iffalse\n\\section{Parked}\\label{sec:parked}\n\\fi\n\
         \\begin{comment}\n\\section{Commented env}\\label{sec:comment-env}\n\\end{comment}\n\
         \\section{Rest days}\n\
         See \\ref{sec:hr} and \\ref{sec:parked}.\n",
    );
    let doc = outline(r, &["pacing.tex"]);
    let f = file(&doc, "pacing.tex");
    assert_eq!(
        headings(f),
        vec![
            h("Pacing", 0, Some("ch:pacing"), 1),
            h("Heart-rate limits at 60\\% of maximum", 1, Some("sec:hr"), 4),
            h("Rest days", 1, None, 11),
        ]
    );
    assert_eq!(pairs(f, "labels", "name"), vec![p("ch:pacing", 1), p("sec:hr", 4)]);
    assert_eq!(pairs(f, "references", "name"), vec![p("sec:hr", 12), p("sec:parked", 12)]);
    // A label that exists only in skipped text is not defined.
    assert_eq!(codes(f), vec![p("reference-undefined", 12)]);
    assert!(f["findings"][0]["message"].as_str().unwrap().contains("sec:parked"));
}

/// C03: optional short titles, stars and arguments on the next line.
#[test]
fn c03_short_titles_stars_and_next_line_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "sleep.tex",
        "\\chapter[Sleep]{Sleep and the \\emph{unrefreshing} night}\\label{ch:sleep}\n\
         \\section*{Reader notes}\n\
         \\section[Timing]{When sleep comes too late}\\label{sec:timing}\n\
         \\subsection\n   {Heading after a line break}\n\\label{sec:break}\n\
         \\subsection*{No number here}\n",
    );
    let doc = outline(r, &["sleep.tex"]);
    let hs = file(&doc, "sleep.tex")["headings"].as_array().unwrap().clone();
    let got: Vec<(&str, Option<&str>, bool, Option<&str>)> = hs
        .iter()
        .map(|h| {
            (
                h["title"].as_str().unwrap(),
                h["short_title"].as_str(),
                h.get("numbered").and_then(Value::as_bool).unwrap_or(true),
                h["label"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("Sleep and the \\emph{unrefreshing} night", Some("Sleep"), true, Some("ch:sleep")),
            ("Reader notes", None, false, None),
            ("When sleep comes too late", Some("Timing"), true, Some("sec:timing")),
            ("Heading after a line break", None, true, Some("sec:break")),
            ("No number here", None, false, None),
        ]
    );
}

/// C06: brace-less `\input`, explicit extensions, quoted names with spaces, and nested
/// `\input` resolved against the root document's folder, in document order.
#[test]
fn c06_latex_includes_in_document_order() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "book.tex", "\\documentclass{book}\n\\begin{document}\n\\include{parts/start}\n\\input parts/later\n\\input{\"parts/two words\"}\n\\input{parts/gone}\n\\end{document}\n");
    write(r, "parts/start.tex", "\\chapter{Start}\\label{ch:start}\n\\input{parts/table.ltx}\n");
    write(r, "parts/table.ltx", "\\section{Table}\n");
    write(r, "parts/later.tex", "\\chapter{Later}\n\\input{glossary}\n");
    write(r, "glossary.tex", "\\section{Glossary}\n");
    write(r, "parts/glossary.tex", "\\section{Decoy next to the including file}\n");
    write(r, "parts/two words.tex", "\\section{Two words}\n");
    let doc = outline(r, &[]);
    let order: Vec<&str> = doc["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(
        order,
        vec![
            "book.tex",
            "parts/start.tex",
            "parts/table.ltx",
            "parts/later.tex",
            "glossary.tex",
            "parts/two words.tex",
            "parts/glossary.tex"
        ]
    );
    assert_eq!(file(&doc, "parts/glossary.tex")["reachable"], false);
    assert_eq!(file(&doc, "glossary.tex")["reachable"], true);
    let includes: Vec<(String, Value, u64)> = file(&doc, "book.tex")["includes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["target"].as_str().unwrap().to_string(), i["resolved"].clone(), i["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        includes,
        vec![
            ("parts/start".to_string(), Value::from("parts/start.tex"), 3),
            ("parts/later".to_string(), Value::from("parts/later.tex"), 4),
            ("parts/two words".to_string(), Value::from("parts/two words.tex"), 5),
            ("parts/gone".to_string(), Value::Null, 6),
        ]
    );
    assert_eq!(codes(file(&doc, "book.tex")), vec![p("include-missing", 6)]);
}

/// C08: the natbib and biblatex citation commands, multi-cites, locators and key lists
/// over lines; keys in comments do not count.
#[test]
fn c08_every_citation_command_and_no_locators() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    let keys = [
        "ana2001", "ben2002", "cal2003", "dee2004", "eli2005", "fay2006", "gus2007", "hal2008", "ida2009", "jon2010",
        "kit2011",
    ];
    let bib: String = keys.iter().map(|k| format!("@misc{{{k},\n  title = {{T}}\n}}\n\n")).collect();
    write(r, "refs.bib", &bib);
    write(
        r,
        "ch.tex",
        "\\textcite{ana2001} and \\parencite[compare][p.~9]{ben2002}.\n\
         \\textcites[p.~1]{cal2003}[sec.~4]{dee2004} and \\citep*{eli2005}.\n\
         \\citealt{fay2006}, \\autocite[ch.~3]{gus2007}, \\cite{ hal2008,ida2009 ,\n   jon2010}.\n\
         \\nocite{kit2011} \\cite{nobody2012}\n\
         % \\cite{hidden2013}\n\
         \\newcommand{\\mycite}[1]{\\cite{#1}}\n",
    );
    let doc = outline(r, &["ch.tex"]);
    let f = file(&doc, "ch.tex");
    let mut expected: Vec<(String, u64)> = [
        ("ana2001", 1),
        ("ben2002", 1),
        ("cal2003", 2),
        ("dee2004", 2),
        ("eli2005", 2),
        ("fay2006", 3),
        ("gus2007", 3),
        ("hal2008", 3),
        ("ida2009", 3),
        ("jon2010", 4),
        ("kit2011", 5),
        ("nobody2012", 5),
    ]
    .iter()
    .map(|(k, l)| p(k, *l))
    .collect();
    assert_eq!(pairs(f, "citations", "key"), expected);
    assert_eq!(codes(f), vec![p("citation-undefined", 5)]);
    expected.truncate(0);
}

/// C09: `@string` macros with `#` and parentheses, and `()`-delimited blocks.
#[test]
fn c09_string_macros_and_parenthesis_blocks_keep_every_entry() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "topic.bib",
        "@string{conf = \"Meeting on \" # venue}\n@String(venue = {Fatigue (Annual)})\n\n\
         @inproceedings{one2021,\n  booktitle = conf # \" Research\",\n  year = 2021\n}\n\n\
         @article(two2022,\n  title = {Parenthesised (really)},\n  year = {2022}\n)\n\n\
         Free text between entries.\n@misc{three2023, title = \"Quoted {Braces}\"}\n",
    );
    let doc = outline(r, &["topic.bib"]);
    let f = file(&doc, "topic.bib");
    let entries: Vec<(String, String, u64)> = f["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["key"].as_str().unwrap().into(), e["type"].as_str().unwrap().into(), e["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        entries,
        vec![
            ("one2021".into(), "inproceedings".into(), 4),
            ("two2022".into(), "article".into(), 9),
            ("three2023".into(), "misc".into(), 15),
        ]
    );
    assert_eq!(codes(f), vec![]);
}

/// C12: a byte-order mark and CRLF do not hide the first bib entry or heading; front
/// matter is not a heading.
#[test]
fn c12_bom_crlf_and_front_matter() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "refs.bib",
        "\u{feff}@article{lead2019,\r\n  title = {Lead}\r\n}\r\n\r\n@article{next2020,\r\n  title = {Next}\r\n}\r\n",
    );
    write(r, "notes.md", "\u{feff}# Overview\r\n\r\nAs in [@lead2019].\r\n\r\n## Details\r\n");
    write(r, "front.md", "---\ntitle: Not a heading\ntags: [x]\n---\n\n# Body\n\nSee @next2020.\n");
    let doc = outline(r, &["refs.bib", "notes.md", "front.md"]);
    assert_eq!(pairs(file(&doc, "refs.bib"), "entries", "key"), vec![p("lead2019", 1), p("next2020", 5)]);
    let notes = file(&doc, "notes.md");
    assert_eq!(headings(notes), vec![h("Overview", 0, None, 1), h("Details", 1, None, 5)]);
    assert_eq!(pairs(notes, "citations", "key"), vec![p("lead2019", 3)]);
    let front = file(&doc, "front.md");
    assert_eq!(headings(front), vec![h("Body", 0, None, 6)]);
    assert_eq!(pairs(front, "citations", "key"), vec![p("next2020", 8)]);
}

/// C13: duplicate keys within and across files: a warning per extra definition naming the
/// first, which wins; no entry after a duplicate is lost.
#[test]
fn c13_duplicate_keys_warn_and_the_first_wins() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "main.tex",
        "\\documentclass{book}\n\\begin{document}\n\\cite{twice, after, other}\n\\bibliography{a,b}\n\\end{document}\n",
    );
    write(r, "a.bib", "@article{twice,\n  title = {First}\n}\n@article{twice,\n  title = {Second}\n}\n@article{after,\n  title = {After}\n}\n");
    write(r, "b.bib", "@book{twice,\n  title = {Third}\n}\n@book{other,\n  title = {Other}\n}\n");
    let doc = outline(r, &[]);
    assert_eq!(codes(file(&doc, "a.bib")), vec![p("bib-duplicate-key", 4)]);
    assert_eq!(codes(file(&doc, "b.bib")), vec![p("bib-duplicate-key", 1)]);
    for f in ["a.bib", "b.bib"] {
        assert!(file(&doc, f)["findings"][0]["message"].as_str().unwrap().contains("a.bib:1 wins"));
    }
    assert_eq!(codes(file(&doc, "main.tex")), vec![], "every citation resolves");
    assert_eq!(doc["summary"]["bibliography_entries"], 3);
}

/// C16: Pandoc citation keys with internal punctuation, braces, digits first; a key cut
/// short by repeated punctuation is reported with the braced form that works.
#[test]
fn c16_pandoc_keys_and_the_braced_form() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    let keys = [
        "lee:2018/b",
        "url:https://ex.org/item/9",
        "AB+:CD:11",
        "mason_cost--wage_2020",
        "Rae_x.y",
        "Rae_x.y.",
        "2001odyssey",
    ];
    let bib: String = keys.iter().map(|k| format!("@misc{{{k},\n  title = {{T}}\n}}\n")).collect();
    write(r, "refs.bib", &bib);
    write(
        r,
        "chapter.md",
        "# Sources\n\n\
         Per [@lee:2018/b, p. 2] and [@plain: after a colon].\n\
         Braced: [@{url:https://ex.org/item/9}].\n\
         Cut short: [@AB+:CD:11] and [@mason_cost--wage_2020].\n\
         Period: as @Rae_x.y. Braced @{Rae_x.y.} too; [@2001odyssey]; mail me@example.org.\n",
    );
    let doc = outline(r, &["chapter.md"]);
    let f = file(&doc, "chapter.md");
    assert_eq!(
        pairs(f, "citations", "key"),
        vec![
            p("lee:2018/b", 3),
            p("plain", 3),
            p("url:https://ex.org/item/9", 4),
            p("AB", 5),
            p("mason_cost", 5),
            p("Rae_x.y", 6),
            p("Rae_x.y.", 6),
            p("2001odyssey", 6),
        ]
    );
    let helps: Vec<&str> = f["findings"].as_array().unwrap().iter().map(|x| x["help"].as_str().unwrap()).collect();
    assert_eq!(codes(f), vec![p("citation-undefined", 3), p("citation-undefined", 5), p("citation-undefined", 5)]);
    assert!(helps[1].contains("[@{AB+:CD:11}]"), "{}", helps[1]);
    assert!(helps[2].contains("[@{mason_cost--wage_2020}]"), "{}", helps[2]);
}

/// C19 (parsing): `@key`, `#cite(label("..."))` with a key that is no valid label, and a
/// cross-reference before a sentence's final period.
#[test]
fn c19_typst_citations_and_references() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "refs.bib", "@article{Ng:2017/x,\n  title = {A}\n}\n@article{Ito2016J.Sleep.,\n  title = {B}\n}\n@book{hall-2015:v2,\n  title = {C}\n}\n");
    write(
        r,
        "chapter.typ",
        "= Methods <sec:methods>\n\nAs in @hall-2015:v2 and #cite(label(\"Ng:2017/x\")), #cite(label(\"Ito2016J.Sleep.\")).\nBack to @sec:methods.\n#cite(<hall-2015:v2>)\n",
    );
    let doc = outline(r, &["chapter.typ"]);
    let f = file(&doc, "chapter.typ");
    assert_eq!(pairs(f, "labels", "name"), vec![p("sec:methods", 1)]);
    assert_eq!(
        pairs(f, "citations", "key"),
        vec![p("hall-2015:v2", 3), p("Ng:2017/x", 3), p("Ito2016J.Sleep.", 3), p("hall-2015:v2", 5)]
    );
    assert_eq!(pairs(f, "references", "name"), vec![p("sec:methods", 4)]);
    assert_eq!(f["environments"], serde_json::json!([]), "inline calls are not environments");
    assert_eq!(codes(f), vec![]);
}

/// C20: nested Typst includes are relative to the including file; `/x` to the root.
#[test]
fn c20_typst_includes_relative_to_the_including_file() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "book.typ", "#include \"parts/one.typ\"\n");
    write(r, "parts/one.typ", "= One <one>\n#include \"sub/a.typ\"\n#include \"/extra/b.typ\"\n");
    write(r, "parts/sub/a.typ", "== One A <one-a>\n");
    write(r, "extra/b.typ", "= Extra <extra>\n");
    write(r, "sub/a.typ", "== Decoy at the root\n");
    write(r, "parts/extra/b.typ", "= Decoy beside the including file\n");
    let doc = outline(r, &[]);
    assert_eq!(doc["roots"], serde_json::json!(["book.typ"]));
    let reachable: Vec<(&str, bool)> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["reachable"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        reachable,
        vec![
            ("book.typ", true),
            ("parts/one.typ", true),
            ("parts/sub/a.typ", true),
            ("extra/b.typ", true),
            ("parts/extra/b.typ", false),
            ("sub/a.typ", false),
        ]
    );
    let includes: Vec<Value> =
        file(&doc, "parts/one.typ")["includes"].as_array().unwrap().iter().map(|i| i["resolved"].clone()).collect();
    assert_eq!(includes, vec![Value::from("parts/sub/a.typ"), Value::from("extra/b.typ")]);
    // The decoys are files no root includes.
    for decoy in ["parts/extra/b.typ", "sub/a.typ"] {
        let codes: Vec<&str> =
            file(&doc, decoy)["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
        assert_eq!(codes, vec!["file-unreachable"], "{decoy}");
    }
    assert_eq!(file(&doc, "parts/sub/a.typ")["findings"], serde_json::json!([]));
}

/// C21: heading-like lines inside HTML blocks are not headings.
#[test]
fn c21_html_blocks_hold_no_headings() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "page.md",
        "# Page\n\n<!--\n## Commented out\n-->\n\n## Real one\n\n<pre>\n# not a heading\n</pre>\n\n<section>\n## Glued to the HTML block\n</section>\n## Also inside the block\n\n## Last\n",
    );
    let doc = outline(r, &["page.md"]);
    assert_eq!(
        headings(file(&doc, "page.md")),
        vec![h("Page", 0, None, 1), h("Real one", 1, None, 7), h("Last", 1, None, 18)]
    );
}
