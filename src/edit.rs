//! Insertions (and replacements of whole lines) as data, applied once to the original text.
//!
//! Every insertion is computed against the original text; they are sorted by line (stable,
//! so insertions at the same point keep their order) and applied in one pass. A replacement
//! ([`Insertion::replaces`] > 0) puts its text in place of that many lines, with no blank
//! lines added; two edits of the same lines are refused. The file's
//! line ending (LF or CRLF, from its first line break) is used for inserted lines; a blank
//! line separates the block from non-blank neighbours; a missing final newline stays
//! missing. Nothing else of the original changes.

/// A block of text to insert after a 1-based line of the original (0: at the very start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insertion {
    /// 1-based line after which the block goes; 0 for the start of the file.
    pub after_line: usize,
    /// The block, `\n`-separated, without trailing newline.
    pub text: String,
    /// A line among lines (an `#include` beside its siblings): no blank lines around it.
    pub tight: bool,
    /// How many lines after `after_line` the text replaces (0: it is inserted). Replacing
    /// lines is always tight.
    pub replaces: usize,
}

/// `original` with its 1-based `line` replaced by `text` (the line's own ending kept);
/// `None` when there is no such line.
pub fn replace_line(original: &str, line: usize, text: &str) -> Option<String> {
    let mut lines: Vec<&str> = original.split_inclusive('\n').collect();
    let old = lines.get(line.checked_sub(1)?)?;
    let ending = if old.ends_with("\r\n") {
        "\r\n"
    } else if old.ends_with('\n') {
        "\n"
    } else {
        ""
    };
    let replaced = format!("{text}{ending}");
    lines[line - 1] = &replaced;
    Some(lines.concat())
}

/// Whether `later` edits lines `earlier` edits, `earlier` being sorted before it (by line,
/// stably): a replacement's lines take no other edit, and a replacement at the point of an
/// earlier one would end inside it. Insertions at the same point do not overlap. The one
/// rule for both outcomes: planning leaves the later edit out (`edit-overlap`), [`apply`]
/// refuses the set (`edit-failed`).
pub fn overlaps(earlier: &Insertion, later: &Insertion) -> bool {
    let (a, b) = (earlier.after_line, earlier.after_line + earlier.replaces);
    let (c, d) = (later.after_line, later.after_line + later.replaces);
    (earlier.replaces > 0 && c >= a && c < b)
        || (later.replaces > 0 && a >= c && a < d && (earlier.replaces > 0 || a > c))
}

/// Applies `insertions` to `original`.
///
/// # Errors
/// A message when an insertion's line is past the end of the text.
pub fn apply(original: &str, insertions: &[Insertion]) -> Result<String, String> {
    let eol = if original.split_once('\n').is_some_and(|(first, _)| first.ends_with('\r')) { "\r\n" } else { "\n" };
    let lines: Vec<&str> = original.split_inclusive('\n').collect();
    let mut sorted: Vec<&Insertion> = insertions.iter().collect();
    sorted.sort_by_key(|i| i.after_line);
    if let Some(bad) = sorted.iter().find(|i| i.after_line + i.replaces > lines.len()) {
        return Err(format!(
            "edit of lines {}..{} but the file has {} lines",
            bad.after_line + 1,
            bad.after_line + bad.replaces.max(1),
            lines.len()
        ));
    }
    for w in sorted.windows(2) {
        if overlaps(w[0], w[1]) {
            return Err(format!("two edits change line {}", w[1].after_line.max(w[0].after_line + 1)));
        }
    }
    let blank = |l: &str| l.trim().is_empty();
    let mut out = String::with_capacity(original.len() + sorted.iter().map(|i| i.text.len() + 8).sum::<usize>());
    let mut next = 0;
    for (n, ins) in sorted.iter().enumerate() {
        while next < ins.after_line {
            out.push_str(lines[next]);
            next += 1;
        }
        if ins.replaces > 0 {
            // The replaced lines' last ending is kept (none when the file lacks a final one).
            let last = lines[ins.after_line + ins.replaces - 1];
            let ending = if last.ends_with("\r\n") {
                "\r\n"
            } else if last.ends_with('\n') {
                "\n"
            } else {
                ""
            };
            let block: Vec<&str> = ins.text.lines().collect();
            out.push_str(&block.join(eol));
            out.push_str(ending);
            next = ins.after_line + ins.replaces;
            continue;
        }
        let at_end = ins.after_line == lines.len();
        // The last line lacks a newline: give it one; the block then ends without one.
        // (Only the first insertion at the end adds it; the others follow a block.)
        let missing_final_newline = at_end && !original.is_empty() && !original.ends_with('\n');
        let first_at_point = n == 0 || sorted[n - 1].after_line != ins.after_line;
        if missing_final_newline && first_at_point {
            out.push_str(eol);
        }
        let prev_blank = ins.after_line == 0 || blank(lines[ins.after_line - 1]);
        let same_point_follows = sorted.get(n + 1).is_some_and(|s| s.after_line == ins.after_line);
        if !prev_blank && !ins.tight && !out.ends_with(&format!("{eol}{eol}")) {
            out.push_str(eol);
        }
        let block: Vec<&str> = ins.text.lines().collect();
        out.push_str(&block.join(eol));
        if !missing_final_newline || same_point_follows {
            out.push_str(eol);
        }
        let next_blank = lines.get(ins.after_line).is_none_or(|l| blank(l));
        if !ins.tight && (!next_blank || same_point_follows) {
            out.push_str(eol);
        }
    }
    for l in &lines[next..] {
        out.push_str(l);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ins(after_line: usize, text: &str) -> Insertion {
        Insertion { after_line, text: text.into(), tight: false, replaces: 0 }
    }

    #[test]
    fn a_replacement_takes_the_place_of_its_lines_only() {
        let r = |after_line, replaces, text: &str| Insertion { after_line, text: text.into(), tight: true, replaces };
        assert_eq!(
            apply(
                "a
b c.
d
",
                &[r(1, 1, "b c @k.")]
            )
            .unwrap(),
            "a
b c @k.
d
"
        );
        assert_eq!(
            apply(
                "a
b
c",
                &[r(
                    1, 2, "B
C"
                )]
            )
            .unwrap(),
            "a
B
C"
        );
        assert_eq!(
            apply(
                "a
b
",
                &[r(1, 1, "B"), ins(2, "X")]
            )
            .unwrap(),
            "a
B

X
"
        );
        assert!(apply(
            "a
b
c
",
            &[r(0, 2, "A"), r(1, 1, "B")]
        )
        .is_err());
        assert!(apply(
            "a
",
            &[r(1, 1, "B")]
        )
        .is_err());
    }

    #[test]
    fn overlap_is_a_replacement_taking_a_later_edit_s_line() {
        let r = |after_line, replaces| Insertion { after_line, text: "R".into(), tight: true, replaces };
        assert!(!overlaps(&ins(1, "X"), &ins(1, "Y")));
        assert!(!overlaps(&ins(1, "X"), &r(1, 1)));
        assert!(overlaps(&r(1, 2), &ins(2, "X")));
        assert!(!overlaps(&r(1, 2), &ins(3, "X")));
        assert!(overlaps(&r(1, 1), &r(1, 1)));
    }

    #[test]
    fn block_is_separated_by_blank_lines() {
        assert_eq!(apply("a\nb\n", &[ins(1, "X\nY")]).unwrap(), "a\n\nX\nY\n\nb\n");
        assert_eq!(apply("a\n\nb\n", &[ins(1, "X")]).unwrap(), "a\n\nX\n\nb\n");
        assert_eq!(apply("a\n\nb\n", &[ins(2, "X")]).unwrap(), "a\n\nX\n\nb\n");
    }

    #[test]
    fn crlf_and_missing_final_newline_are_kept() {
        assert_eq!(apply("a\r\nb\r\n", &[ins(2, "X")]).unwrap(), "a\r\nb\r\n\r\nX\r\n");
        assert_eq!(apply("a\nb", &[ins(2, "X")]).unwrap(), "a\nb\n\nX");
    }

    #[test]
    fn insertions_at_the_same_point_keep_their_order() {
        assert_eq!(apply("a\nb\n", &[ins(1, "X"), ins(1, "Y")]).unwrap(), "a\n\nX\n\nY\n\nb\n");
    }

    #[test]
    fn two_insertions_at_an_end_without_newline() {
        assert_eq!(apply("a\nb", &[ins(2, "X"), ins(2, "Y")]).unwrap(), "a\nb\n\nX\n\nY");
    }

    #[test]
    fn past_the_end_is_refused() {
        assert!(apply("a\n", &[ins(3, "X")]).is_err());
    }

    proptest! {
        #[test]
        fn insertion_changes_no_byte_outside_the_block(
            lines in proptest::collection::vec("[a-z ]{0,8}", 1..12),
            at in 0usize..12,
            crlf in any::<bool>(),
            final_nl in any::<bool>(),
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut original = lines.join(eol);
            if final_nl { original.push_str(eol); }
            prop_assume!(!original.is_empty());
            let n = original.split_inclusive('\n').count();
            let at = at.min(n);
            let new = apply(&original, &[ins(at, "INSERTED")]).unwrap();
            let removed = new.replacen("INSERTED", "", 1);
            // Removing the block and the blank lines added around it gives the original back.
            let orig_lines: Vec<&str> = original.split_inclusive('\n').collect();
            let prefix: String = orig_lines[..at].concat();
            prop_assert!(new.starts_with(&prefix));
            let suffix: String = orig_lines[at..].concat();
            prop_assert!(new.ends_with(&suffix) || (suffix.is_empty()));
            prop_assert_eq!(new.matches("INSERTED").count(), 1);
            prop_assert!(removed.len() >= original.len());
            prop_assert_eq!(original.ends_with('\n'), new.ends_with('\n'));
        }
    }
}
