//! Pairing the fences no target's section enclosed with the guide's targets, once the whole
//! guide is read: stubs give way to full blocks, a fence naming a file goes there, a guide
//! with one target owns them all, fences under content headings pair in order, and a fence
//! goes to the target naming its label, title or file. The rest are findings.
//!
//! What it leaves out: reading the fences (see [`super::Reader::code`]).

use super::*;

/// A LaTeX or Typst fence read while no target was open.
pub(super) struct LooseFence {
    pub(super) snippet: Snippet,
    /// The heading it sits under.
    pub(super) heading: String,
    /// A heading enclosing it says it holds content (`content_words` in `rules/guide.toml`).
    pub(super) content: bool,
    /// Its heading or the line before it offers it as another wording ("Option B").
    pub(super) alternative: bool,
    /// Section hints given beside it while no target was open.
    pub(super) hints: Vec<String>,
}

impl Reader<'_> {
    /// The fences no target's section enclosed, read as a whole: a stub gives way to the full
    /// block with its label; a fence whose first line names a file goes to that file; a
    /// guide with one target owns them all; fences under content headings pair in order with
    /// the targets that have no snippet when they are as many (or all go to the only one);
    /// a fence whose heading names a target's file goes to it. The rest are findings.
    pub(super) fn pair_loose_fences(&mut self) {
        let mut fences = std::mem::take(&mut self.loose_fences);
        let taken: Vec<usize> = self.targets.iter().filter_map(|t| t.snippet.as_ref().map(|s| s.line)).collect();
        fences.retain(|f| !taken.contains(&f.snippet.line));
        self.full_blocks_replace_stubs(&mut fences);
        let mut rest = Vec::new();
        for f in fences {
            if is_stub(&f.snippet) {
                self.stub_finding(f.snippet.line);
            } else if f.alternative {
                self.alternative_finding(f.snippet.line);
            } else if let Some(file) = first_line_file(&f.snippet) {
                let mut t = self.new_target(None, f.heading.clone(), f.snippet.line);
                t.file_hint = Some(file);
                t.section_hints = fence_hints(&f);
                self.take_keys(&f.snippet);
                t.snippet = Some(drop_file_comment(f.snippet));
                self.targets.push(t);
            } else {
                rest.push(f);
            }
        }
        // Sub-targets still without a snippet are dropped later: they are not targets.
        let live: Vec<usize> = (0..self.targets.len())
            .filter(|&i| !self.sub_targets.contains(&i) || self.targets[i].snippet.is_some())
            .collect();
        // A fence whose label or title a target's own text names goes to that target first.
        let spans = self.target_spans(&live);
        let (named, rest): (Vec<_>, Vec<_>) = rest
            .into_iter()
            .map(|f| (target_naming(self.text, &spans, &f.snippet), f))
            .partition(|(to, _)| to.is_some());
        let named: Vec<(usize, LooseFence)> = named.into_iter().filter_map(|(to, f)| Some((to?, f))).collect();
        let rest: Vec<LooseFence> = rest.into_iter().map(|(_, f)| f).collect();
        let wanting: Vec<usize> = live
            .iter()
            .copied()
            .filter(|&i| self.targets[i].snippet.is_none() && !named.iter().any(|(to, _)| *to == i))
            .collect();
        for (i, f) in named {
            self.take_keys(&f.snippet);
            let hints = fence_hints(&f);
            attach_to(&mut self.targets, i, f.snippet, hints);
        }
        let content = rest.iter().filter(|f| f.content).count();
        let mut unpaired = Vec::new();
        let mut by_order = wanting.iter();
        for f in rest {
            let to = if let [only] = live.as_slice() {
                Some(*only)
            } else if f.content && content == wanting.len() {
                by_order.next().copied()
            } else if let ([only], true) = (wanting.as_slice(), f.content) {
                Some(*only)
            } else {
                self.target_named_by(&f.heading, &live)
            };
            match to {
                Some(i) => {
                    self.take_keys(&f.snippet);
                    let hints = fence_hints(&f);
                    attach_to(&mut self.targets, i, f.snippet, hints);
                }
                None => unpaired.push(f.snippet.line),
            }
        }
        for line in unpaired {
            self.guide.findings.push(
                Finding::new(
                    Code::SnippetUnpaired,
                    "this fence sits outside every target's section and nothing pairs it with a target; it is not inserted",
                )
                .at(self.path, Some(line))
                .help("move the fence under its target, or name the target's file in the heading above it"),
            );
        }
    }

    /// A target's snippet that is a stub gives way to a fence carrying one of its labels
    /// that is not a stub (the full block wins); the stub is reported.
    fn full_blocks_replace_stubs(&mut self, fences: &mut Vec<LooseFence>) {
        for i in 0..self.targets.len() {
            let Some(stub) = self.targets[i].snippet.as_ref().filter(|s| is_stub(s)) else { continue };
            let labels = fence_labels(stub);
            let Some(at) = fences
                .iter()
                .position(|f| !is_stub(&f.snippet) && fence_labels(&f.snippet).iter().any(|l| labels.contains(l)))
            else {
                continue;
            };
            let full = fences.remove(at).snippet;
            let stub_line = stub.line;
            self.take_keys(&full);
            self.targets[i].snippet = Some(full);
            self.stub_finding(stub_line);
        }
    }

    fn stub_finding(&mut self, line: usize) {
        self.guide.findings.push(
            Finding::new(
                Code::SnippetStub,
                "this fence only opens an environment (its title and label) without content; it is not inserted",
            )
            .at(self.path, Some(line))
            .help("give the full block under the target"),
        );
    }

    /// Each target of `live` with the 1-based guide lines its own text spans: from its line
    /// to the next target's (or the end of the guide).
    fn target_spans(&self, live: &[usize]) -> Vec<(usize, Range<usize>)> {
        let total = self.idx.line_of(self.text.len()) + 1;
        live.iter()
            .map(|&i| {
                let start = self.targets[i].line;
                let end = self.targets.iter().map(|t| t.line).filter(|&l| l > start).min().unwrap_or(total);
                (i, start..end)
            })
            .collect()
    }

    /// The one target of `live` whose file hint's file name the heading names.
    fn target_named_by(&self, heading: &str, live: &[usize]) -> Option<usize> {
        let named = file_in_text(heading)?;
        let stem = |p: &str| p.rsplit('/').next().unwrap_or(p).to_lowercase();
        let matching: Vec<usize> = live
            .iter()
            .copied()
            .filter(|&i| self.targets[i].file_hint.as_deref().is_some_and(|f| stem(f) == stem(&named)))
            .collect();
        match matching.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}

/// The one target whose own text (`spans`: its guide lines, the fence's own lines aside)
/// names a label the fence defines, or its environment's title (two words or more): a
/// `**Label:** `obs:x`` field, a `**New subsection:** Title`.
fn target_naming(text: &str, spans: &[(usize, Range<usize>)], snippet: &Snippet) -> Option<usize> {
    let labels = fence_labels(snippet);
    let title = fence_title(snippet).filter(|t| t.split_whitespace().count() >= 2).map(|t| t.to_lowercase());
    if labels.is_empty() && title.is_none() {
        return None;
    }
    let own = snippet.line..snippet.line + snippet.text.lines().count() + 2;
    let lines: Vec<&str> = text.lines().collect();
    let names = |span: &Range<usize>| {
        (span.start..span.end).filter(|l| !own.contains(l)).filter_map(|l| lines.get(l - 1)).any(|line| {
            labels.iter().any(|lab| line.contains(lab.as_str()))
                || title.as_ref().is_some_and(|t| line.to_lowercase().contains(t.as_str()))
        })
    };
    let naming: Vec<usize> = spans.iter().filter(|(_, span)| names(span)).map(|(i, _)| *i).collect();
    match naming.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// Where a paired fence goes: the section hints given beside it, else its heading's hint.
fn fence_hints(f: &LooseFence) -> Vec<String> {
    if f.hints.is_empty() {
        heading_hint(&f.heading).into_iter().collect()
    } else {
        f.hints.clone()
    }
}
