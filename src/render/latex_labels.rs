//! A LaTeX snippet going into a LaTeX file: its `\label`s moved to where `\ref` gets the
//! environment's number (inside the environment, after a float's caption).
//!
//! What is left out: converting LaTeX to Typst ([`super::convert`]); labels the book
//! already defines (the label checks).

use regex::Regex;

use super::latex_syntax::{braced, latex_caption};
use crate::finding::{Code, Finding};
use crate::outline::patterns;

/// LaTeX with every `\label` where `\ref` finds the right number: in a float (`figure`,
/// `table`) after its `\caption` (before it, `\ref` gives the section's number); a label
/// written right after an environment's `\end` moves inside it (after the caption of a
/// float, else right after `\begin{..}[..]`). A `snippet-label-moved` info finding when
/// anything moved.
pub(super) fn latex_labels_in_place(text: String, findings: &mut Vec<Finding>, where_: (&str, usize)) -> String {
    static AFTER_END: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let after_end_re = AFTER_END.get_or_init(|| {
        Regex::new(&format!(r"\\end\{{([^}}]+)\}}[ \t]*\n?[ \t]*({})", patterns::LATEX_LABEL)).unwrap()
    });
    let (label_re, caption_re) = (patterns::latex_label(), latex_caption());
    let mut out = text;
    let mut moved = 0;
    // A label after `\end{env}`: take it out and put it back inside.
    while let Some(c) = after_end_re.captures(&out) {
        let (name, label) = (c[1].to_string(), c[2].to_string());
        let whole = c.get(0).unwrap();
        let end_tag = format!("\\end{{{name}}}");
        let (start, stop) = (whole.start(), whole.end());
        let mut without = format!("{}{}{}", &out[..start], end_tag, &out[stop..]);
        let Some(begin) = without[..start].rfind(&format!("\\begin{{{name}}}")) else { break };
        let open_end = begin + format!("\\begin{{{name}}}").len();
        // Past an optional title `[...]`.
        let after_open = if without[open_end..].starts_with('[') {
            without[open_end..].find(']').map_or(open_end, |i| open_end + i + 1)
        } else {
            open_end
        };
        without.insert_str(after_open, &label);
        out = without;
        moved += 1;
    }
    // In floats, the label goes after the caption.
    for float in ["figure", "figure*", "table", "table*"] {
        let (open, close) = (format!("\\begin{{{float}}}"), format!("\\end{{{float}}}"));
        let mut from = 0;
        while let Some(b) = out[from..].find(&open).map(|i| from + i) {
            let Some(e) = out[b..].find(&close).map(|i| b + i) else { break };
            let body = out[b..e].to_string();
            from = e;
            let (Some(l), Some(cap)) = (label_re.find(&body), caption_re.find(&body)) else { continue };
            let cap_close = braced(&body[cap.end() - 1..]).map(|(_, used)| cap.end() - 1 + used);
            if l.start() > cap.start() {
                continue;
            }
            let Some(cap_close) = cap_close else { continue };
            let label = l.as_str().to_string();
            let mut fixed = body.clone();
            fixed.insert_str(cap_close, &format!(" {label}"));
            fixed.replace_range(l.start()..l.end(), "");
            // The label's own line, if it held nothing else, goes too.
            let fixed = fixed.replace("\n\n", "\n");
            out.replace_range(b..e, &fixed);
            from = b + fixed.len();
            moved += 1;
        }
    }
    if moved > 0 {
        findings.push(
            Finding::new(Code::SnippetLabelMoved, format!("{moved} `\\label` moved where `\\ref` gets the environment's number (inside it, after a float's caption)"),
            )
            .at(where_.0, Some(where_.1)),
        );
    }
    out
}
