//! The check shared by the outline fuzz targets: parsing never panics, and every line the
//! outline reports lies inside the text.

use chapter_integrator::guide::Markup;
use chapter_integrator::outline::Outline;

/// Outlines `text` in `markup` and checks the reported lines.
pub fn check(markup: Markup, text: &str) {
    let o = Outline::parse(markup, text);
    let lines = text.split_inclusive('\n').count().max(1);
    for h in &o.headings {
        assert!(h.line >= 1 && h.line <= lines, "heading line {} of {lines}", h.line);
    }
    for &(a, b) in &o.blocked {
        assert!(a <= b);
    }
    let _ = o.heading_stack_at(lines);
}
