//! The markup languages the tool reads and writes (LaTeX, Typst, Markdown), told apart by a
//! file's extension or a fence's info string.
//!
//! What it leaves out: parsing a markup (see [`crate::outline`]) and writing one (see
//! [`crate::render`]).

use serde::Serialize;

/// The markup of a snippet or chapter file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Markup {
    /// LaTeX (`.tex`).
    Latex,
    /// Typst (`.typ`).
    Typst,
    /// Markdown (`.md`).
    Markdown,
}

impl Markup {
    /// The markup of a fence info string (`latex`, `tex`, `typst`, `typ`, `markdown`, `md`).
    pub fn from_fence(info: &str) -> Option<Self> {
        match info.split_whitespace().next().unwrap_or("").to_lowercase().as_str() {
            "latex" | "tex" => Some(Markup::Latex),
            "typst" | "typ" => Some(Markup::Typst),
            "markdown" | "md" => Some(Markup::Markdown),
            _ => None,
        }
    }

    /// The markup of a file by its extension.
    pub fn from_path(path: &str) -> Option<Self> {
        let ext = path.rsplit_once('.')?.1;
        let is = |e: &str| ext.eq_ignore_ascii_case(e);
        if is("tex") || is("ltx") {
            Some(Markup::Latex)
        } else if is("typ") {
            Some(Markup::Typst)
        } else if is("md") {
            Some(Markup::Markdown)
        } else {
            None
        }
    }
}
