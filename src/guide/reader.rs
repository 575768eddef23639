//! The guide reader: one walk over a guide's Markdown blocks ([`super::markdown::blocks`])
//! that opens targets at target headings, rank fields and `**File:**` lines, gives them the
//! fields and snippets that follow, and collects citation keys, tables and bibtex fences on
//! the way; then the steps that only the whole guide decides (table or loose targets when
//! nothing else names one, "same file" targets, files inferred from the target before, the
//! keys of each part of a batch guide).
//!
//! [`Reader`] holds the state of the walk, with one method per kind of block or line. What
//! a heading or field value says is asked of `fields`, `snippet`, `keys` and `tables`;
//! locating and loading the files is `files`'s.

use std::ops::Range;

use super::fields::{
    avoid_lines, certainty_line, chapter_shorthand, continues_value, file_in_text, file_value, heading_field,
    heading_hint, names_a_spot, new_heading_title, path_value, rank_field, says_new_section, says_same_file,
    section_hints, target_heading,
};
use super::keys::{assign_part_keys, bibtex_entries, keys_in_snippet, looks_like_key, prose_citations, push_key};
use super::loose;
use super::markdown::{blocks, field_captures, field_is, plain_field_captures, quoted_or_whole, strip_md, Block};
use super::model::{describe_rank, empty_guide, Guide, Markup, Snippet, SuppliedEntry, Target};
use super::snippet::{
    attach_snippet, attach_to, drop_file_comment, fence_labels, fence_title, first_line_file, is_stub,
    listed_snippet_kind, sniff_markup, snippet_is_alternative, typst_block_end, unfenced_typst,
};
use super::tables::{claims_in_table, table_keys, targets_in_table};
use crate::finding::{Code, Finding};
use crate::rules::Rules;
use crate::text::LineIndex;
use pairing::LooseFence;

mod pairing;

/// Parses an integration guide. `path` is the guide's path relative to the book root.
/// A guide without target headings, fields or tables is read a second time for the files
/// and snippets it names in other ways (see `guide::loose`).
pub fn parse_guide(text: &str, path: &str, rules: &Rules) -> Guide {
    read_guide(text, path, rules, true)
}

/// [`parse_guide`]; `loose` allows the second reading (key-findings files have their own:
/// the Integration Points).
pub(super) fn read_guide(text: &str, path: &str, rules: &Rules, loose: bool) -> Guide {
    let mut reader = Reader::new(text, path, rules);
    for block in blocks(text) {
        reader.block(block);
    }
    reader.finish(loose)
}

/// The state of the walk over one guide's blocks.
struct Reader<'a> {
    /// The guide's text.
    text: &'a str,
    /// The guide's path relative to the book root, for targets and findings.
    path: &'a str,
    rules: &'a Rules,
    idx: LineIndex,
    /// The guide being read: its findings and bibliography entries grow during the walk,
    /// the rest is filled in by [`Reader::finish`].
    guide: Guide,
    /// Citation keys in order of first mention.
    keys: Vec<String>,
    targets: Vec<Target>,
    /// The level of the heading that opened the current target (`u8::MAX` for one opened by
    /// a field before any heading); `None` outside targets.
    open: Option<u8>,
    /// The level of the citation-key heading whose section the walk is in.
    in_key_section: Option<u8>,
    /// The level of the last heading; 0 before the first.
    current_level: u8,
    current_heading_text: String,
    /// The last line of prose before the current block ("**Alternative inline version:**").
    previous_text: String,
    /// Whether the open target already took a `**File:**` line (a heading's file name may be
    /// replaced by one; a second `**File:**` starts the next target).
    file_field_seen: bool,
    /// First lines of the guide's parts (headings of level 1 and 2): papers in a batch guide.
    part_starts: Vec<usize>,
    /// Targets read from tables with a file column, used when nothing else names a target.
    table_targets: Vec<Target>,
    /// Citation edits read from tables of claims the book already makes.
    claim_targets: Vec<Target>,
    /// Targets opened by a sub-heading of a target; dropped when they get no snippet.
    sub_targets: Vec<usize>,
    /// Last line of an unfenced Typst block taken as a snippet: its paragraphs are read.
    skip_until: usize,
    /// Lines of targets opened by a bare `**File:**` field, not by a heading.
    bare_file_lines: Vec<usize>,
    /// Sub-targets whose heading hint a hint field replaced.
    hinted_sub: Vec<usize>,
    /// No heading since the last target was opened: its block's hints hold for every snippet.
    in_target_block: bool,
    /// The headings enclosing the current block, outermost first, with their levels.
    heading_stack: Vec<(u8, String)>,
    /// Fences no target's section encloses, paired with targets once the whole guide is read.
    loose_fences: Vec<LooseFence>,
    /// Section hints given under the current heading while no target was open (`**Location**:`
    /// beside a `### Proposed New Section` fence): they place the fences of that heading.
    orphan_hints: Vec<String>,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str, path: &'a str, rules: &'a Rules) -> Self {
        Reader {
            text,
            path,
            rules,
            idx: LineIndex::new(text),
            guide: empty_guide(path),
            keys: Vec::new(),
            targets: Vec::new(),
            open: None,
            in_key_section: None,
            current_level: 0,
            current_heading_text: String::new(),
            previous_text: String::new(),
            file_field_seen: false,
            part_starts: vec![1],
            table_targets: Vec::new(),
            claim_targets: Vec::new(),
            sub_targets: Vec::new(),
            skip_until: 0,
            bare_file_lines: Vec::new(),
            hinted_sub: Vec::new(),
            in_target_block: false,
            heading_stack: Vec::new(),
            loose_fences: Vec::new(),
            orphan_hints: Vec::new(),
        }
    }

    /// One block of the guide, in document order.
    fn block(&mut self, block: Block) {
        match block {
            Block::Heading { level, text, line } => self.heading(level, &text, line),
            Block::Text { range } if self.idx.line_of(range.start) <= self.skip_until => {}
            Block::Text { range }
                if self.open.is_some()
                    && !self.targets.is_empty()
                    && unfenced_typst(&self.text[range.clone()], self.rules) =>
            {
                self.unfenced_snippet(range)
            }
            Block::Text { range } => self.text_block(range),
            Block::Code { info, text, line, fenced, closed } => self.code(&info, text, line, fenced, closed),
        }
    }

    /// A new target opened at `line`, numbered after the targets so far when it has no rank.
    fn new_target(&self, rank: Option<usize>, title: String, line: usize) -> Target {
        Target {
            rank: rank.unwrap_or(self.targets.len() + 1),
            file_hint: file_in_text(&title),
            title_hint: title,
            line,
            source: self.path.to_string(),
            ..Target::default()
        }
    }

    /// Makes `target`, opened by a heading of `level`, the current target.
    fn open_target(&mut self, target: Target, level: u8) {
        self.targets.push(target);
        self.open = Some(level);
        self.file_field_seen = false;
    }

    /// The level a target opened by a field lasts to: the current heading's, else all.
    fn field_level(&self) -> u8 {
        if self.current_level == 0 {
            u8::MAX
        } else {
            self.current_level
        }
    }

    /// A heading: it closes the target and key section it does not sit under, and may open
    /// a key section, a target or a sub-target, or give a section hint as a field.
    fn heading(&mut self, level: u8, htext: &str, line: usize) {
        let g = &self.rules.guide;
        if level <= 2 {
            self.part_starts.push(line);
        }
        let targets_before = self.targets.len();
        while self.heading_stack.last().is_some_and(|(l, _)| *l >= level) {
            self.heading_stack.pop();
        }
        self.heading_stack.push((level, htext.to_string()));
        self.orphan_hints.clear();
        self.current_level = level;
        self.current_heading_text = htext.to_string();
        self.previous_text.clear();
        if self.open.is_some_and(|l| l != u8::MAX && level <= l) {
            self.open = None;
        }
        if self.in_key_section.is_some_and(|l| level <= l) {
            self.in_key_section = None;
        }
        let lower = htext.to_lowercase();
        if g.headings.citation_keys.iter().any(|h| htext.eq_ignore_ascii_case(h))
            || g.headings.citation_key_phrases.iter().any(|p| lower.contains(&p.to_lowercase()))
        {
            self.in_key_section = Some(level);
            return;
        }
        self.heading_target(level, htext, line);
        // A snippet before the next heading sits in the block of the target opened here.
        self.in_target_block = self.targets.len() > targets_before;
        // `### Insertion Point: After "X" (around line 56)`: a hint field as heading.
        if let Some((name, value)) = heading_field(htext) {
            if field_is(&name, &g.fields.section_hint) {
                self.section_hint(&value);
            }
        }
    }

    /// The target a heading opens, if any: a target heading, a heading naming a file or a
    /// chapter shorthand, else a sub-target of the current target.
    fn heading_target(&mut self, level: u8, htext: &str, line: usize) {
        let g = &self.rules.guide;
        if let Some((rank, title)) = target_heading(htext, g) {
            let t = self.new_target(rank, title, line);
            self.open_target(t, level);
        } else if let Some(file) = file_in_text(htext)
            .filter(|_| level >= 2 && heading_field(htext).is_none_or(|(n, _)| !field_is(&n, &g.fields.section_hint)))
        {
            // `## Section 1: ch07-immune-dysfunction.typ - New Content`.
            let mut t = self.new_target(None, htext.to_string(), line);
            t.file_hint = Some(file);
            self.open_target(t, level);
        } else if let Some(shorthand) = chapter_shorthand(htext).filter(|_| level >= 3) {
            // `### ch02 — treatment options`: map/report guides name chapters by
            // number; the hint is the shorthand as written.
            let mut t = self.new_target(None, htext.to_string(), line);
            t.file_hint = Some(shorthand);
            self.open_target(t, level);
        } else {
            self.sub_target(level, htext, line);
        }
    }

    /// `### Addition 2` under a target that has its snippet already: the next spot in the
    /// same file, with its own fields and snippet.
    fn sub_target(&mut self, level: u8, htext: &str, line: usize) {
        let open = self.open;
        let Some(t) =
            self.targets.last().filter(|t| t.snippet.is_some() && open.is_some_and(|l| level > l || l == u8::MAX))
        else {
            return;
        };
        let mut next = t.clone();
        next.rank = self.targets.len() + 1;
        next.line = line;
        next.title_hint = htext.to_string();
        // The heading names the spot unless a hint field follows.
        next.section_hints = heading_hint(htext).into_iter().collect();
        next.block_hints.clear();
        next.environment = None;
        next.environment_raw = None;
        next.rationale = None;
        next.snippet = None;
        self.targets.push(next);
        self.sub_targets.push(self.targets.len() - 1);
    }

    /// A section-hint field (or heading) of the open target. The first one of a sub-target
    /// replaces the hint its heading gave.
    fn section_hint(&mut self, value: &str) {
        let last = self.targets.len().saturating_sub(1);
        let Some(t) = self.targets.last_mut().filter(|_| self.open.is_some()) else { return };
        if self.sub_targets.last() == Some(&last) && !self.hinted_sub.contains(&last) {
            t.section_hints.clear();
            self.hinted_sub.push(last);
        }
        t.section_hints.extend(section_hints(value));
    }

    /// A paragraph that is a Typst environment pasted without a fence: it may run over
    /// blank lines, up to its closing bracket.
    fn unfenced_snippet(&mut self, range: Range<usize>) {
        let text = self.text;
        let end = typst_block_end(text, range.start).unwrap_or(range.end);
        let code = text[range.start..end].trim_end().to_string();
        let line = self.idx.line_of(range.start);
        self.skip_until = self.idx.line_of(end.saturating_sub(1).max(range.start));
        self.snippet(Snippet { language: Some(Markup::Typst), text: code, line });
    }

    /// A snippet of the open target: its keys are the guide's, and it goes to the target
    /// unless it is an alternative wording of the one before (a finding says so).
    fn snippet(&mut self, snippet: Snippet) {
        keys_in_snippet(&snippet.text).iter().for_each(|k| push_key(&mut self.keys, k));
        let line = snippet.line;
        // `% In appendix-h-entries.tex` opening the snippet: it goes to that file.
        if let (Some(file), Some(t)) = (first_line_file(&snippet), self.targets.last()) {
            let stem = |p: &str| p.rsplit('/').next().unwrap_or(p).to_lowercase();
            if t.file_hint.as_deref().is_none_or(|f| stem(f) != stem(&file)) {
                let mut other = self.new_target(None, self.current_heading_text.clone(), line);
                other.file_hint = Some(file);
                other.keys.clone_from(&t.keys);
                // The heading that opened the target names its spot, not this one's.
                if !self.in_target_block {
                    other.section_hints = heading_hint(&self.current_heading_text).into_iter().collect();
                }
                other.snippet = Some(drop_file_comment(snippet));
                self.targets.push(other);
                return;
            }
        }
        if !attach_snippet(
            &mut self.targets,
            snippet,
            &self.current_heading_text,
            &self.previous_text,
            self.in_target_block,
        ) {
            self.alternative_finding(line);
        } else if self.says_replace() {
            if let Some(t) = self.targets.last_mut() {
                t.replace = true;
            }
        }
    }

    /// Whether the line before the current fence or its heading says the snippet replaces
    /// what is there (a word of `replace_words`).
    fn says_replace(&self) -> bool {
        let words = &self.rules.guide.headings.replace_words;
        [&self.previous_text, &self.current_heading_text].iter().any(|t| {
            t.to_lowercase()
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| words.iter().any(|r| r.eq_ignore_ascii_case(w)))
        })
    }

    fn alternative_finding(&mut self, line: usize) {
        self.guide.findings.push(
            Finding::new(
                Code::SnippetAlternative,
                "this fence is an alternative wording of the snippet before it; it is not inserted",
            )
            .at(self.path, Some(line))
            .help("to insert it instead, put it first under the target"),
        );
    }

    /// Whether a heading enclosing the current block says it holds content to insert.
    fn in_content_section(&self) -> bool {
        let words = &self.rules.guide.headings.content_words;
        self.heading_stack.iter().any(|(_, h)| {
            // Whole words (a plural too): "Context" holds no "text".
            let spaced = |t: &str| {
                let words: Vec<String> = t
                    .to_lowercase()
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(|w| w.trim_end_matches('s').to_string())
                    .collect();
                format!(" {} ", words.join(" "))
            };
            let heading = spaced(h);
            words.iter().any(|w| heading.contains(&spaced(w)))
        })
    }

    /// A paragraph, list or table: its tables, then each of its lines.
    fn text_block(&mut self, range: Range<usize>) {
        let src = &self.text[range.clone()];
        self.previous_text = src.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").to_string();
        let first_line = self.idx.line_of(range.start);
        if src.trim_start().starts_with('|') {
            self.table(src, first_line);
        }
        let lines: Vec<&str> = src.lines().collect();
        for (i, &line) in lines.iter().enumerate() {
            match field_captures(line) {
                Some(c) => self.field(&c[1], &c[2], &lines[i + 1..], first_line + i),
                None => self.plain_line(line),
            }
        }
    }

    /// A Markdown table: its key column's keys, its claims to cite, or the targets its file
    /// column names.
    fn table(&mut self, src: &str, first_line: usize) {
        let (rules, path) = (self.rules, self.path);
        table_keys(src, first_line, &rules.guide, path, &mut self.keys, &mut self.guide.findings);
        let claims = claims_in_table(src, first_line, path, &rules.guide);
        // A claims table's file column names where each claim is, not a target.
        if claims.is_empty() {
            self.table_targets.extend(targets_in_table(src, first_line, rules, path));
        }
        self.claim_targets.extend(claims);
    }

    /// A line that is not a `**Field:**` line: a plain `Section: ...` line inside a target,
    /// or a bare key under a key heading (`Key2024`, - Key2024 — ..., - @Key2024).
    fn plain_line(&mut self, line: &str) {
        let g = &self.rules.guide;
        if let (Some(t), Some(c)) =
            (self.targets.last_mut().filter(|_| self.open.is_some()), plain_field_captures(line))
        {
            if field_is(&c[1], &g.fields.section_hint) {
                t.section_hints.extend(quoted_or_whole(&c[2]));
            }
            return;
        }
        if self.in_key_section.is_some() {
            let bare = line.trim().trim_start_matches(['-', '*', '+']).trim();
            if bare.starts_with('`') {
                push_key(&mut self.keys, bare.split('`').nth(1).unwrap_or(""));
            } else if let Some(first) = bare.split_whitespace().next().filter(|w| looks_like_key(w)) {
                push_key(&mut self.keys, first.trim_end_matches([':', ',', ';']));
            }
        }
    }

    /// A `**Field:** value` line at `line_no`; `rest` is the lines after it in its block.
    fn field(&mut self, name: &str, value: &str, rest: &[&str], line_no: usize) {
        let g = &self.rules.guide;
        if field_is(name, &g.fields.citation_key) {
            self.key_field(value);
        } else if let Some(rank) = rank_field(name, g) {
            self.rank_field(rank, value, rest, line_no);
        } else if field_is(name, &g.fields.file) {
            self.file_field(value, line_no);
        } else if field_is(name, &g.fields.inline_text) {
            self.inline_text(value, rest, line_no);
        } else {
            self.target_field(name, value);
        }
    }

    /// `**Suggested text:** "A sentence ..."` in the open target: the sentence (its value and
    /// the lines continuing it, quotes and emphasis dropped) is kept as the target's drafted
    /// text; a value of fewer than five words is a lead-in to a fence, not text. A
    /// `**Suggested inline citation:**` sentence also says it edits a sentence in place.
    fn inline_text(&mut self, value: &str, rest: &[&str], line_no: usize) {
        let mut text = value.trim().to_string();
        for next in rest.iter().take_while(|l| continues_value(l)) {
            text.push(' ');
            text.push_str(next.trim());
        }
        let text = strip_md(text.trim());
        let text = text.trim().trim_matches(['"', '“', '”']).trim().to_string();
        if text.split_whitespace().count() < 5 {
            return;
        }
        let Some(t) = self.targets.last_mut().filter(|_| self.open.is_some()) else { return };
        if t.inline_text.is_none() {
            let language = sniff_markup(&text);
            t.inline_text = Some(Snippet { language, text, line: line_no });
        }
    }

    /// `**BibTeX key:** `Key2024``: the backticked keys, else each comma-separated one.
    fn key_field(&mut self, value: &str) {
        let inner: Vec<&str> = value.split('`').skip(1).step_by(2).collect();
        if inner.is_empty() {
            value.split([',', ';']).for_each(|k| push_key(&mut self.keys, k.split_whitespace().next().unwrap_or("")));
        } else {
            inner.iter().for_each(|k| push_key(&mut self.keys, k));
        }
    }

    /// `**Primary:** ch08-x.tex` / `**Primary target:** `path``: a target that lasts until
    /// the next heading at the current level or above. A value wrapped onto the next lines
    /// of its paragraph goes on there ("... or the pediatric section of / whichever chapter
    /// covers ...").
    fn rank_field(&mut self, rank: usize, value: &str, rest: &[&str], line_no: usize) {
        let mut title = value.to_string();
        for next in rest.iter().take_while(|l| continues_value(l)) {
            title.push(' ');
            title.push_str(next.trim());
        }
        let mut t = self.new_target(Some(rank), title, line_no);
        t.file_hint = Some(file_value(value)).filter(|v| !v.is_empty());
        self.targets.push(t);
        self.open = Some(self.field_level());
        self.file_field_seen = false;
        self.in_target_block = true;
    }

    /// `**File:**`: the open target's file. Outside a target, or in one that already has a
    /// file, it opens a new target lasting until the next heading at this level.
    fn file_field(&mut self, value: &str, line_no: usize) {
        if self.open.is_none() || self.file_field_seen {
            let t = self.new_target(None, String::new(), line_no);
            self.targets.push(t);
            self.bare_file_lines.push(line_no);
            self.open = Some(self.field_level());
            self.in_target_block = true;
        }
        self.file_field_seen = true;
        if let Some(t) = self.targets.last_mut() {
            t.file_hint = Some(path_value(value)).filter(|v| !v.is_empty());
        }
    }

    /// Another field of the open target: section hint, environment, rationale, new section,
    /// edit, or a field of another kind whose value says where the text goes.
    fn target_field(&mut self, name: &str, value: &str) {
        let f = &self.rules.guide.fields;
        if self.open.is_none() || self.targets.is_empty() {
            if field_is(name, &f.section_hint) {
                self.orphan_hints.extend(section_hints(value));
            }
            return;
        }
        if field_is(name, &f.section_hint) {
            self.section_hint(value);
            return;
        }
        let Some(t) = self.targets.last_mut() else { return };
        if field_is(name, &f.environment) {
            t.environment = self.rules.environments.normalize(value);
            t.environment_raw = Some(value.trim().to_string());
        } else if field_is(name, &f.rationale) {
            t.rationale = Some(value.trim().to_string());
        } else if field_is(name, &f.new_section) {
            t.new_section = Some(new_heading_title(value));
        } else if field_is(name, &f.edit) {
            t.edit = Some(strip_md(value.trim()));
        } else if names_a_spot(value) {
            // `**Suggested addition** (after the X paragraph at ~line 327):`.
            t.section_hints.extend(section_hints(value.trim().trim_end_matches(':')));
        }
    }

    /// A code block: a ```bibtex fence's entries, a key list under a key heading, or a
    /// snippet of the open target.
    fn code(&mut self, info: &str, code: String, line: usize, fenced: bool, closed: bool) {
        if !closed {
            self.guide.findings.push(
                Finding::new(
                    Code::SnippetFenceUnclosed,
                    "this code fence is never closed: everything after it up to the end of the guide is part of it",
                )
                .at(self.path, Some(line))
                .help("close the fence with ``` on its own line"),
            );
        }
        let lang = info.split_whitespace().next().unwrap_or("").to_lowercase();
        if lang == "bibtex" || lang == "bib" {
            for (key, entry) in bibtex_entries(&code) {
                push_key(&mut self.keys, &key);
                self.guide.bib_entries.push(SuppliedEntry { key, text: entry, source: self.path.to_string() });
            }
            return;
        }
        if self.in_key_section.is_some() && self.open.is_none() {
            code.lines().for_each(|l| push_key(&mut self.keys, l));
            return;
        }
        let language = Markup::from_fence(info).or_else(|| sniff_markup(&code));
        let is_snippet = fenced && (language.is_some() || lang.is_empty());
        if is_snippet && self.open.is_some() && !self.targets.is_empty() {
            self.snippet(Snippet { language, text: code, line });
            // `**Suggested inline citation:**` before the fence: the snippet edits a
            // sentence in place.
            if self.previous_text.to_lowercase().contains("inline citation") {
                if let Some(t) = self.targets.last_mut() {
                    t.edit.get_or_insert_with(|| strip_md(self.previous_text.trim()));
                }
            }
        } else if is_snippet && matches!(language, Some(Markup::Latex | Markup::Typst)) {
            let content = self.in_content_section();
            let heading = self.current_heading_text.clone();
            let alternative = snippet_is_alternative(&heading) || snippet_is_alternative(&self.previous_text);
            let snippet = Snippet { language, text: code, line };
            let hints = self.orphan_hints.clone();
            self.loose_fences.push(LooseFence { snippet, heading, content, alternative, hints });
        }
    }

    /// The keys a paired fence cites are the guide's.
    fn take_keys(&mut self, snippet: &Snippet) {
        keys_in_snippet(&snippet.text).iter().for_each(|k| push_key(&mut self.keys, k));
    }

    /// After the walk: the targets the whole guide decides, the keys of each, and the
    /// guide-wide lines.
    fn finish(mut self, loose: bool) -> Guide {
        self.fallback_targets(loose);
        self.pair_loose_fences();
        // A target no fence went to inserts the sentence its guide gave in a field.
        for t in &mut self.targets {
            if let (None, Some(s)) = (&t.snippet, t.inline_text.take()) {
                keys_in_snippet(&s.text).iter().for_each(|k| push_key(&mut self.keys, k));
                t.snippet = Some(s);
                t.drafted = true;
            }
        }
        self.add_claims();
        let mut index = 0;
        let sub_targets = std::mem::take(&mut self.sub_targets);
        self.targets.retain(|t| {
            index += 1;
            !sub_targets.contains(&(index - 1)) || t.snippet.is_some()
        });
        follow_same_file(&mut self.targets, &self.rules.guide.headings.same_file);
        self.infer_files();
        self.drop_header_default();
        for t in &mut self.targets {
            if t.file_hint.is_none() {
                self.guide.findings.push(
                    Finding::new(
                        Code::TargetFileMissing,
                        format!("the {} target names no file", describe_rank(t.rank)),
                    )
                    .at(self.path, Some(t.line))
                    .help("add a `**File:** `path/to/chapter`` line to the target"),
                );
            }
        }
        // An environment field listing several kinds over a block of snippets names each
        // snippet's own kind, not the first for all.
        for t in &mut self.targets {
            if let Some(kind) = listed_snippet_kind(t, &self.rules.environments) {
                t.environment = Some(kind);
            }
        }
        // Typst-era guides cite in prose (`(@Douzi2018Sleep)`, unfenced snippet text).
        for key in prose_citations(self.text) {
            push_key(&mut self.keys, &key);
        }
        let (text, idx) = (self.text, &self.idx);
        self.targets.sort_by_key(|t| t.rank);
        assign_part_keys(text, idx, &self.part_starts, &self.keys, &mut self.targets);
        let mut guide = self.guide;
        guide.key_lines =
            self.keys.iter().filter_map(|k| Some((k.clone(), idx.line_of(text.find(k.as_str())?)))).collect();
        guide.citation_keys = self.keys;
        guide.targets = self.targets;
        guide.avoid = avoid_lines(text);
        guide.certainty = certainty_line(text, &self.rules.guide.key_findings.certainty);
        guide.adds_sections = says_new_section(text);
        guide
    }

    /// When no heading or field names a target: the targets of tables with a file column,
    /// else (with `loose`) those the guide names in other ways.
    fn fallback_targets(&mut self, loose: bool) {
        if self.targets.is_empty() {
            self.targets = std::mem::take(&mut self.table_targets);
            for (i, t) in self.targets.iter_mut().enumerate() {
                t.rank = i + 1;
            }
        }
        if self.targets.is_empty() && loose {
            // No target heading, field or table: the guide names its files in other ways.
            self.targets = loose::loose_targets(self.text, self.path, self.rules);
            loose::snippet_keys(&self.targets).iter().for_each(|k| push_key(&mut self.keys, k));
        }
    }

    /// Claims to cite are in the file their row names, else in the one the guide's targets
    /// name; a claim with neither is left out.
    fn add_claims(&mut self) {
        let guide_file = self.targets.iter().find_map(|t| t.file_hint.clone());
        for mut t in std::mem::take(&mut self.claim_targets) {
            t.file_hint = t.file_hint.or_else(|| guide_file.clone());
            if t.file_hint.is_some() {
                t.rank = self.targets.len() + 1;
                self.targets.push(t);
            }
        }
    }

    /// A target without a file goes to the file of the target before it (a guide's later
    /// targets often only name another spot in the same chapter), with a finding.
    fn infer_files(&mut self) {
        let mut previous: Option<String> = self.targets.iter().find_map(|t| t.file_hint.clone());
        for t in &mut self.targets {
            match (&t.file_hint, &previous) {
                (Some(f), _) => previous = Some(f.clone()),
                (None, Some(f)) => {
                    self.guide.findings.push(
                        Finding::new(
                            Code::TargetFileInferred,
                            format!(
                                "target {} names no file; using `{f}` from the target before it",
                                describe_rank(t.rank)
                            ),
                        )
                        .at(self.path, Some(t.line))
                        .help("add a `**File:**` line to the target"),
                    );
                    t.file_hint = Some(f.clone());
                }
                (None, None) => {}
            }
        }
    }

    /// A bare `**File:**` line before the targets, with nothing of its own (no snippet, hint
    /// or environment), is the file the targets after it go to, not a target: drop it when
    /// a later target took its file, and say so in the findings of those that did.
    fn drop_header_default(&mut self) {
        let targets = &mut self.targets;
        let header_default = targets.first().is_some_and(|t| {
            self.bare_file_lines.contains(&t.line)
                && t.snippet.is_none()
                && t.section_hints.is_empty()
                && t.environment_raw.is_none()
                && targets.len() > 1
                && self.guide.findings.iter().any(|f| f.code == Code::TargetFileInferred)
        });
        if !header_default {
            return;
        }
        let line = targets[0].line;
        targets.remove(0);
        for (i, t) in targets.iter_mut().enumerate() {
            t.rank = i + 1;
        }
        for f in self.guide.findings.iter_mut().filter(|f| f.code == Code::TargetFileInferred) {
            let Some(t) = targets.iter().find(|t| Some(t.line) == f.line) else { continue };
            *f = Finding::new(
                Code::TargetFileDefault,
                format!(
                    "the {} target names no file; using `{}`, named at line {line} for the guide's targets",
                    describe_rank(t.rank),
                    t.file_hint.as_deref().unwrap_or_default()
                ),
            )
            .at(self.path, f.line);
        }
    }
}

/// "Same as above" / "same file" name the file of the target before: such a target gets no
/// file hint of its own and follows the last target that names one.
fn follow_same_file(targets: &mut [Target], same_file: &[String]) {
    let mut own_file: Option<usize> = None;
    for t in targets {
        let same_value = t.file_hint.as_deref().is_some_and(|h| says_same_file(h, same_file, true));
        if same_value {
            t.file_hint = None;
        }
        if same_value || says_same_file(&t.title_hint, same_file, false) {
            t.follows = own_file;
        } else if t.file_hint.is_some() {
            own_file = Some(t.rank);
        }
    }
}
