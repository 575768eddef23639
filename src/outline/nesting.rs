//! How deeply a Typst text nests, estimated by one pass over its bytes, before it is parsed.
//!
//! typst-syntax (0.14) has no depth limit: its parser recurses once or more per level of
//! nesting (brackets, embedded calls, strong/emph, list items, operator chains), and so do
//! dropping and printing the tree it builds. A file nested some thousands of levels deep
//! overflows any thread's stack, which aborts the process. [`too_deep`] finds such a text
//! first so that it is never parsed.
//!
//! The estimate follows the parser's modes (markup, code, math) well enough to count what
//! nests and leave out what does not: prose punctuation, sibling list items, commas and
//! statements. It counts generously where it cannot tell (an unclosed bracket stays open).
//! What it leaves out: strings, raw text and comments are skipped, not checked.

/// The deepest nesting a Typst text may have to be parsed: 256 levels. Real chapters stay
/// far below (the 3,663 Typst files of a large book, show rules, closures and tables
/// included, all estimate below 64, all but two below 32); a debug build
/// of the parser needs 1–2 KiB of stack a level (measured: a 2 MiB thread overflows at
/// 1,000–2,000 levels of `#strong[`), so 256 levels fit in a default 2 MiB thread stack
/// with room for what the estimate undercounts, and far more in the 64 MiB the parsing
/// threads get (see [`crate::text::parallel_map`]).
pub const MAX_NESTING: usize = 256;

/// `nesting-too-deep` for the Typst file `path` (relative to the book root) when its text
/// nests deeper than [`MAX_NESTING`] (see [`too_deep`]), at the line where it does.
pub fn finding(path: &str, text: &str) -> Option<crate::finding::Finding> {
    let line = too_deep(text)?;
    Some(
        crate::finding::Finding::new(crate::finding::Code::NestingTooDeep, format!(
                "the Typst markup nests deeper than {MAX_NESTING} levels here; the file is not parsed: only its headings are read, and nothing is inserted inside it"
            ),
        )
        .at(path, Some(line))
        .help("flatten the nesting (split the construct, or generate it with a loop)"),
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Markup,
    Code,
    Math,
}

/// One open level: its mode, the byte that closes it, and what nests inside it without a
/// bracket of its own.
struct Frame {
    mode: Mode,
    close: u8,
    /// Operators chained at this level since the last `,` or `;` (code, math).
    chain: usize,
    /// Open strong/emph delimiters, innermost last (markup).
    delims: Vec<u8>,
    /// Indents of the open list items (markup).
    items: Vec<usize>,
    /// An embedded expression (`#name.field(args)[body]`) in markup or math: it ends at the
    /// first byte that continues no call or field access.
    embedded: bool,
}

impl Frame {
    fn new(mode: Mode, close: u8) -> Frame {
        Frame { mode, close, chain: 0, delims: Vec::new(), items: Vec::new(), embedded: false }
    }

    /// The levels this frame adds: itself and what nests in it.
    fn weight(&self) -> usize {
        1 + self.chain + self.delims.len() + self.items.len()
    }
}

/// The 1-based line where `text`'s nesting first exceeds [`MAX_NESTING`]; `None` when it
/// never does.
pub fn too_deep(text: &str) -> Option<usize> {
    let mut scan = Scan { text, b: text.as_bytes(), stack: vec![Frame::new(Mode::Markup, 0)], line_start: true, i: 0 };
    while scan.i < scan.b.len() {
        let c = scan.b[scan.i];
        let mode = scan.top().mode;
        // Prose: a letter or digit inside a markup line changes nothing (most of a chapter).
        if mode == Mode::Markup && !scan.line_start && (c.is_ascii_alphanumeric() || c >= 0x80) {
            scan.i += 1;
            continue;
        }
        if scan.skip_opaque(c, mode) || scan.ends_embedded(c) || scan.space(c) {
            continue;
        }
        let step = if scan.line_start && mode == Mode::Markup { scan.list_items() } else { Step::Byte };
        let step = match step {
            Step::Byte => {
                scan.line_start = false;
                scan.byte(c)
            }
            step => step,
        };
        match step {
            Step::TooDeep => return Some(scan.line()),
            Step::Next => {}
            Step::Byte => {
                if scan.depth() > MAX_NESTING {
                    return Some(scan.line());
                }
                scan.i += 1;
            }
        }
    }
    None
}

/// What a step of [`too_deep`]'s scan leaves to do.
enum Step {
    /// Moved on already; the next byte is due.
    Next,
    /// The nesting exceeds [`MAX_NESTING`] at the current byte.
    TooDeep,
    /// The byte is still to be read (after list markers: by [`Scan::byte`]; after it: the
    /// depth check and the move to the next byte).
    Byte,
}

/// The state of [`too_deep`]'s pass: the open levels and where it is.
struct Scan<'t> {
    text: &'t str,
    b: &'t [u8],
    /// Open levels, outermost (the file's markup) first.
    stack: Vec<Frame>,
    /// Nothing but spaces since the last newline.
    line_start: bool,
    /// The byte being read.
    i: usize,
}

impl Scan<'_> {
    fn top(&mut self) -> &mut Frame {
        self.stack.last_mut().expect("the file's level is never closed")
    }

    /// The current nesting depth.
    fn depth(&self) -> usize {
        self.stack.iter().map(Frame::weight).sum::<usize>()
    }

    /// The 1-based line of the current byte.
    fn line(&self) -> usize {
        self.b[..self.i].iter().filter(|&&c| c == b'\n').count() + 1
    }

    /// Skipped alike in every mode: comments and raw text; outside code a `\`-escaped byte,
    /// in code a string. True when something was skipped.
    fn skip_opaque(&mut self, c: u8, mode: Mode) -> bool {
        let (b, text, i) = (self.b, self.text, self.i);
        if c == b'/' && b.get(i + 1) == Some(&b'/') && (i == 0 || b[i - 1] != b':') {
            self.i = b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |p| i + p);
            return true;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            self.i = text[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2);
            return true;
        }
        if c == b'`' {
            let run = b[i..].iter().take_while(|&&c| c == b'`').count();
            self.i = if run == 2 { i + run } else { raw_end(text, i + run, &text[i..i + run]) };
            self.line_start = false;
            return true;
        }
        if c == b'\\' && mode != Mode::Code {
            self.i += 2;
            self.line_start = false;
            return true;
        }
        if c == b'"' && mode == Mode::Code {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            self.i = j + 1;
            return true;
        }
        false
    }

    /// An embedded expression ends at the first byte that continues it no further: its
    /// level is closed (true) and the byte read again in the level around it.
    fn ends_embedded(&mut self, c: u8) -> bool {
        let (b, i) = (self.b, self.i);
        if !self.top().embedded {
            return false;
        }
        let continues = c.is_ascii_alphanumeric()
            || c == b'_'
            || c == b'-' && i > 0 && b[i - 1].is_ascii_alphanumeric()
            || matches!(c, b'(' | b'[' | b'{')
            || c == b'.' && b.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic());
        if !continues {
            self.stack.pop();
        }
        !continues
    }

    /// A newline or a space (true when `c` is one).
    fn space(&mut self, c: u8) -> bool {
        match c {
            b'\n' => {
                let line_start = self.line_start;
                let frame = self.top();
                // A statement (`#let x = ...`) ends with its line, and so does a code
                // block's; a blank line ends a paragraph and its strong/emph.
                if frame.close == b'\n' {
                    self.stack.pop();
                    return true;
                }
                if frame.mode == Mode::Code && frame.close == b'}' {
                    frame.chain = 0;
                }
                if frame.mode == Mode::Markup && line_start {
                    frame.delims.clear();
                }
                self.line_start = true;
                self.i += 1;
                true
            }
            b' ' | b'\t' | b'\r' => {
                self.i += 1;
                true
            }
            _ => false,
        }
    }

    /// List, enum and term items at the start of a markup line: an item indented deeper
    /// than the one above it nests in it, and so does each further marker on the same line
    /// (`- - x`).
    fn list_items(&mut self) -> Step {
        let (b, text, i) = (self.b, self.text, self.i);
        let indent = text[..i].rsplit('\n').next().map_or(0, str::len);
        let frame = self.top();
        while frame.items.last().is_some_and(|&d| d >= indent) {
            frame.items.pop();
        }
        let mut j = i;
        let mut markers = 0;
        loop {
            let marker = match b[j..] {
                [b'-' | b'+' | b'/', b' ', ..] => 2,
                _ => {
                    let digits = b[j..].iter().take_while(|c| c.is_ascii_digit()).count();
                    if digits > 0 && b[j + digits..].starts_with(b". ") {
                        digits + 2
                    } else {
                        0
                    }
                }
            };
            if marker == 0 {
                break;
            }
            markers += 1;
            // A term item's description (`/ Term: text`) starts a line of its own.
            if b[j] == b'/' {
                match b[j..].iter().position(|&c| c == b':' || c == b'\n') {
                    Some(p) if b[j + p] == b':' => j += p + 1,
                    _ => break,
                }
            } else {
                j += marker;
            }
            while b.get(j) == Some(&b' ') {
                j += 1;
            }
        }
        for k in 0..markers {
            frame.items.push(indent + k);
        }
        if markers == 0 {
            return Step::Byte;
        }
        self.line_start = false;
        if self.depth() > MAX_NESTING {
            return Step::TooDeep;
        }
        self.i = j;
        Step::Next
    }

    /// Byte `c` in the current level's mode: brackets open and close levels, `$` math, `#`
    /// an embedded expression; operators, strong/emph and statements add to the level.
    fn byte(&mut self, c: u8) -> Step {
        let (b, text, i) = (self.b, self.text, self.i);
        let top = self.stack.len() - 1;
        let stack = &mut self.stack;
        let frame = &mut stack[top];
        match (frame.mode, c) {
            (_, b')' | b']' | b'}') => {
                // A closer closes the innermost level it matches (math's `[0, 1)` closes
                // nothing); an embedded expression it ends goes with it.
                if let Some(k) = (1..stack.len()).rev().find(|&k| stack[k].close == c) {
                    let passes = |f: &Frame| {
                        f.close == c || f.embedded || f.close == b'\n' || f.mode == Mode::Math && f.close != b'$'
                    };
                    if stack[k..].iter().all(passes) {
                        stack.truncate(k);
                    }
                }
            }
            (Mode::Math, b'$') => {
                if let Some(k) = (1..stack.len()).rev().find(|&k| stack[k].close == b'$') {
                    stack.truncate(k);
                }
            }
            (_, b'$') => stack.push(Frame::new(Mode::Math, b'$')),
            (Mode::Markup | Mode::Math, b'#') => {
                let mut f = Frame::new(Mode::Code, 0);
                f.embedded = true;
                stack.push(f);
            }
            // In markup only `[` opens anything (the parser keeps it flat, it counts anyway).
            (Mode::Markup, b'(' | b'{') => {}
            (mode, b'(' | b'[' | b'{') => {
                if mode != Mode::Markup {
                    // A call or group is a level of the tree beside the bracket's own.
                    stack[top].chain += 1;
                }
                let inner = match (mode, c) {
                    (Mode::Math, _) => Mode::Math,
                    (_, b'[') => Mode::Markup,
                    _ => Mode::Code,
                };
                let close = match c {
                    b'(' => b')',
                    b'[' => b']',
                    _ => b'}',
                };
                stack.push(Frame::new(inner, close));
            }
            (Mode::Markup, b'*' | b'_') => {
                if frame.delims.last() == Some(&c) {
                    frame.delims.pop();
                } else {
                    frame.delims.push(c);
                }
            }
            (Mode::Code, b',' | b';') | (Mode::Math, b',' | b'&') => frame.chain = 0,
            // Each character, so `--1` counts both of its minus signs (`=>` counts twice).
            (Mode::Code, b'+' | b'-' | b'*' | b'/' | b'=' | b'<' | b'>' | b'!' | b'.') => frame.chain += 1,
            (Mode::Code, b'a'..=b'z') if i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_') => {
                let word = b[i..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'_').count();
                let name = &text[i..i + word];
                if matches!(name, "not" | "and" | "or" | "in") {
                    frame.chain += 1;
                }
                // `#let`, `#set`, `#show`, `#if`, ...: a whole expression follows, up to the
                // end of the line (or of the bracket it opens there).
                let statement = matches!(
                    name,
                    "let" | "set" | "show" | "import" | "include" | "if" | "for" | "while" | "return" | "context"
                );
                if frame.embedded && statement && i > 0 && b[i - 1] == b'#' {
                    frame.embedded = false;
                    frame.close = b'\n';
                }
                if self.depth() > MAX_NESTING {
                    return Step::TooDeep;
                }
                self.i += word;
                return Step::Next;
            }
            (Mode::Math, b'^' | b'_' | b'/' | b'\'') => frame.chain += 1,
            // An operand after anything but an attachment or fraction starts a sibling.
            (Mode::Math, c) if c.is_ascii_alphanumeric() => {
                let before = b[..i].iter().rev().find(|c| !c.is_ascii_whitespace());
                if !before.is_some_and(|c| matches!(c, b'^' | b'_' | b'/' | b'\'') || c.is_ascii_alphanumeric()) {
                    frame.chain = 0;
                }
            }
            _ => {}
        }
        Step::Byte
    }
}

/// Where raw text opened by the backtick run `fence` ends: past the next run of exactly
/// as many backticks from byte `from`, or the end of `text`.
fn raw_end(text: &str, from: usize, fence: &str) -> usize {
    let b = text.as_bytes();
    let run = fence.len();
    let mut j = from;
    loop {
        let Some(p) = text[j..].find(fence) else { return b.len() };
        let at = j + p;
        let len = b[at..].iter().take_while(|&&c| c == b'`').count();
        j = at + len;
        if len == run {
            return j;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `head`, then `open` `n` times, `body`, `close` `n` times.
    fn nested(head: &str, open: &str, body: &str, close: &str, n: usize) -> String {
        format!("{head}{}{body}{}\n", open.repeat(n), close.repeat(n))
    }

    #[test]
    fn every_form_of_deep_nesting_is_found_at_its_line() {
        let n = 5000;
        let forms = [
            nested("#", "strong[", "x", "]", n),
            nested("#let a = ", "(", "1", ")", n),
            nested("#", "{", "1", "}", n),
            nested("#let a = ", "(1,", "", ")", n),
            nested("#", "f(", "", ")", n),
            nested("", "_*", "x", "*_", n),
            nested("", "+ ", "x", "", n),
            nested("", "/ a: ", "x", "", n),
            nested("#let a = ", "- ", "1", "", n),
            nested("#let a = ", "not ", "true", "", n),
            nested("#let a = ", "x => ", "1", "", n),
            nested("#let a = 1", "+1", "", "", n),
            nested("#a", ".b", "", "", n),
            nested("$ a", " ^ b", " $", "", n),
            nested("$ ", "sqrt(", "x", ")", n),
        ];
        for text in &forms {
            let text = format!("= Deep\n\nSome text.\n{text}");
            assert_eq!(too_deep(&text), Some(4), "{}", &text[..60]);
        }
        // One list item a line, each indented deeper: the 256th item (line 3 + 256) nests
        // in 255 others inside the file's own level.
        let list: String = (0..n).map(|i| format!("{}- a\n", " ".repeat(i))).collect();
        assert_eq!(too_deep(&format!("= Deep\n\nSome text.\n{list}")), Some(259));
    }

    #[test]
    fn never_panics_on_any_short_mix_of_its_tokens() {
        let tokens = ["\\", "é", "$", "#", "`", "/", "*", "\n", " ", "-", "[", "(", "\"", "a", ":", "1."];
        let mut text = String::new();
        for n in 0..tokens.len().pow(4) {
            text.clear();
            let mut k = n;
            for _ in 0..4 {
                text.push_str(tokens[k % tokens.len()]);
                k /= tokens.len();
            }
            assert_eq!(too_deep(&text), None, "{text:?}");
        }
    }

    #[test]
    fn ordinary_chapters_and_what_is_skipped_are_not_too_deep() {
        let chapter =
            "#import \"env.typ\": *\n#show heading: it => block(above: 1em)[#text(weight: \"bold\")[#it.body]]\n\
                       = Title <ch:title>\n\nProse (with parentheses, {braces}, a_b and *strong* _emph_), 1.5-2.0 mg.\n\
                       - one\n  - two\n    - three\n- four\n\n$ x_1 + x_2 + x_3^2 = sum_(i=1)^n a_i $\n\
                       #figure(table(columns: 2, [a], [b]), caption: [A #emph[table]]) <tab:t>\n";
        assert_eq!(too_deep(chapter), None);
        // A long flat chapter: siblings do not nest.
        assert_eq!(too_deep(&chapter.repeat(500)), None);
        let sums = format!("$ {} $\n", (0..2000).map(|i| format!("x_{i}")).collect::<Vec<_>>().join(" + "));
        assert_eq!(too_deep(&sums), None);
        let data = format!("#let data = ({})\n", (0..2000).map(|i| format!("{i}.5")).collect::<Vec<_>>().join(", "));
        assert_eq!(too_deep(&data), None);
        // Brackets in raw text, comments and strings open nothing.
        let deep = "(".repeat(5000);
        for skipped in [
            format!("`{deep}`"),
            format!("```\n{deep}\n```"),
            format!("// {deep}"),
            format!("/* {deep} */"),
            format!("#let s = \"{deep}\""),
            format!("Prose {deep}"),
        ] {
            assert_eq!(too_deep(&skipped), None, "{}", &skipped[..20]);
        }
    }
}
