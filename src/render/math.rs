//! LaTeX math in Typst math: symbols and Greek letters by name, `\frac`, `\text`,
//! scripts, spacing; inline `$...$` with bare `_{2}` / `^2` as text sub/superscripts.
//!
//! What is left out: display-math environments with their labels ([`super::environment`])
//! and whether the result parses ([`super::validate`]).

use super::convert::Converter;
use super::latex_syntax::braced;

/// LaTeX math symbols by command name and their Typst math names.
const SYMBOLS: &[(&str, &str)] = &[
    ("times", "times"),
    ("cdot", "dot"),
    ("leq", "<="),
    ("le", "<="),
    ("geq", ">="),
    ("ge", ">="),
    ("neq", "!="),
    ("pm", "plus.minus"),
    ("approx", "approx"),
    ("sim", "tilde"),
    ("to", "->"),
    ("rightarrow", "->"),
    ("leftarrow", "<-"),
    ("infty", "infinity"),
    ("circ", "compose"),
    ("uparrow", "arrow.t"),
    ("downarrow", "arrow.b"),
    ("mu", "mu"),
    ("ldots", "..."),
    ("quad", "quad"),
    ("qquad", "wide"),
    ("cdots", "dots.c"),
    ("ll", "<<"),
    ("gg", ">>"),
    ("propto", "prop"),
    ("Delta", "Delta"),
    ("degree", "degree"),
    ("ne", "!="),
    ("leqslant", "<="),
    ("geqslant", ">="),
    ("mp", "minus.plus"),
    ("div", "div"),
    ("in", "in"),
    ("notin", "in.not"),
    ("subset", "subset"),
    ("subseteq", "subset.eq"),
    ("supset", "supset"),
    ("cup", "union"),
    ("cap", "sect"),
    ("setminus", "without"),
    ("emptyset", "emptyset"),
    ("forall", "forall"),
    ("exists", "exists"),
    ("neg", "not"),
    ("lnot", "not"),
    ("land", "and"),
    ("wedge", "and"),
    ("lor", "or"),
    ("vee", "or"),
    ("Rightarrow", "=>"),
    ("implies", "=>"),
    ("Leftarrow", "arrow.l.double"),
    ("Leftrightarrow", "<=>"),
    ("iff", "<=>"),
    ("leftrightarrow", "<->"),
    ("longrightarrow", "-->"),
    ("mapsto", "|->"),
    ("equiv", "equiv"),
    ("simeq", "tilde.eq"),
    ("cong", "tilde.equiv"),
    ("lesssim", "lt.tilde"),
    ("gtrsim", "gt.tilde"),
    ("vdots", "dots.v"),
    ("ddots", "dots.down"),
    ("prime", "prime"),
    ("partial", "diff"),
    ("nabla", "nabla"),
    ("sum", "sum"),
    ("prod", "product"),
    ("int", "integral"),
    ("mid", "|"),
    ("vert", "|"),
    ("lvert", "|"),
    ("rvert", "|"),
    ("star", "star"),
    ("ast", "ast"),
    ("bullet", "bullet"),
    ("dagger", "dagger"),
    ("langle", "angle.l"),
    ("rangle", "angle.r"),
    ("perp", "perp"),
    ("parallel", "parallel"),
    ("ell", "ell"),
    ("hbar", "planck.reduce"),
    ("varepsilon", "epsilon.alt"),
    ("vartheta", "theta.alt"),
    ("varphi", "phi.alt"),
    ("varrho", "rho.alt"),
    ("varsigma", "sigma.alt"),
    // Operators Typst math writes upright by the same name.
    ("log", "log"),
    ("ln", "ln"),
    ("exp", "exp"),
    ("sin", "sin"),
    ("cos", "cos"),
    ("tan", "tan"),
    ("max", "max"),
    ("min", "min"),
    ("lim", "lim"),
    ("sup", "sup"),
    ("inf", "inf"),
    ("det", "det"),
    ("arg", "arg"),
];

/// LaTeX math commands of one braced argument and the Typst math function that takes it
/// (`\hat{x}` -> `hat(x)`; `\bar` is the macron accent).
const ONE_ARGUMENT: &[(&str, &str)] = &[
    ("bar", "macron"),
    ("hat", "hat"),
    ("widehat", "hat"),
    ("tilde", "tilde"),
    ("widetilde", "tilde"),
    ("vec", "arrow"),
    ("dot", "dot"),
    ("ddot", "dot.double"),
    ("overline", "overline"),
    ("underline", "underline"),
    ("mathbf", "bold"),
    ("boldsymbol", "bold"),
    ("bm", "bold"),
    ("mathit", "italic"),
    ("mathcal", "cal"),
    ("mathbb", "bb"),
    ("mathsf", "sans"),
    ("mathtt", "mono"),
    ("sqrt", "sqrt"),
];

impl Converter<'_> {
    /// Inline math (`$...$`, `\(...\)` content) as Typst: `VO$_{2}$`-style bare scripts as
    /// text sub/superscripts, else `$...$` with the math converted.
    pub(super) fn inline_math(&mut self, inner: &str) -> String {
        if let Some(script) = bare_script(inner) {
            return script;
        }
        // An attachment needs a base in Typst math: an empty one.
        let base = if inner.trim_start().starts_with(['_', '^']) { "\"\"" } else { "" };
        format!("${base}{}$", self.math(inner))
    }

    /// Converts LaTeX math to Typst math: `\alpha` -> `alpha`, `_{x}` -> `_(x)`,
    /// `\text{x}` -> `"x"`, `\frac{a}{b}` -> `(a)/(b)`, multi-letter words quoted.
    pub(super) fn math(&mut self, m: &str) -> String {
        let mut out = String::new();
        let mut rest = m;
        while let Some(c) = rest.chars().next() {
            if c == '\\' {
                rest = self.math_command(rest, &mut out);
            } else if c == '{' {
                out.push('(');
                rest = &rest[1..];
            } else if c == '}' {
                out.push(')');
                rest = &rest[1..];
            } else if c.is_ascii_alphabetic() {
                let word: String = rest.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
                if word.len() > 1 {
                    out.push_str(&format!("\"{word}\""));
                } else {
                    out.push_str(&word);
                }
                rest = &rest[word.len()..];
            } else {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        single_spaces(&out)
    }

    /// One command at the start of `rest` (which starts with `\`), converted onto `out`;
    /// returns what follows the command and its arguments.
    fn math_command<'a>(&mut self, rest: &'a str, out: &mut String) -> &'a str {
        let name: String = rest[1..].chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        let after = &rest[1 + name.len()..];
        if name == "text" || name == "mathrm" {
            if let Some((inner, used)) = braced(after.trim_start()) {
                out.push_str(&format!("\"{inner}\""));
                return &after.trim_start()[used..];
            }
        }
        if let Some((_, func)) = ONE_ARGUMENT.iter().find(|(l, _)| *l == name) {
            // `\sqrt[n]{x}` is the n-th root.
            let (index, tail) = match after.trim_start().strip_prefix('[').and_then(|r| r.split_once(']')) {
                Some((n, tail)) if name == "sqrt" => (Some(n), tail),
                _ => (None, after),
            };
            let tail = tail.trim_start();
            let arg = braced(tail).map(|(a, used)| (a.to_string(), used)).or_else(|| {
                // A single-token argument: `\hat x`, `\sqrt2`.
                let c = tail.chars().next().filter(|c| c.is_alphanumeric())?;
                Some((c.to_string(), c.len_utf8()))
            });
            if let Some((arg, used)) = arg {
                let arg = self.math(&arg);
                out.push_str(&match index {
                    Some(n) => format!("root({}, {arg})", self.math(n)),
                    None => format!("{func}({arg})"),
                });
                return &tail[used..];
            }
        }
        if name == "operatorname" {
            if let Some((op, used)) = braced(after.trim_start()) {
                out.push_str(&format!("op(\"{op}\")"));
                return &after.trim_start()[used..];
            }
        }
        // `\left(` ... `\right)`: Typst math scales matched delimiters itself.
        if name == "left" || name == "right" || name.starts_with("big") || name.starts_with("Big") {
            return sized_delimiter(after, out);
        }
        if name == "frac" || name == "dfrac" || name == "tfrac" {
            if let Some((num, u1)) = braced(after.trim_start()) {
                let r2 = &after.trim_start()[u1..];
                if let Some((den, u2)) = braced(r2.trim_start()) {
                    out.push_str(&format!("({})/({})", self.math(num), self.math(den)));
                    return &r2.trim_start()[u2..];
                }
            }
        }
        if let Some((_, t)) = SYMBOLS.iter().find(|(l, _)| *l == name) {
            out.push_str(t);
            out.push(' ');
        } else if is_greek(&name) {
            out.push_str(&name);
            out.push(' ');
        } else if name.is_empty() {
            return escaped_character(rest, out);
        } else {
            out.push_str(&self.unconverted(&format!("\\{name}")));
        }
        after
    }
}

/// The delimiter after `\left`/`\right`/`\big...` (`after` starts right after the command
/// name), written onto `out` as Typst math draws it; returns what follows it.
fn sized_delimiter<'a>(after: &'a str, out: &mut String) -> &'a str {
    let delim = after.strip_prefix('\\').unwrap_or(after);
    let c = delim.chars().next().unwrap_or(' ');
    let backslash = after.len() - delim.len();
    if c == '.' {
        &after[backslash + 1..]
    } else if backslash == 1 && "{}|".contains(c) {
        out.push_str(match c {
            '{' => "\\{",
            '}' => "\\}",
            _ => "||",
        });
        &delim[1..]
    } else {
        after
    }
}

/// A backslash before a non-letter (`rest` starts with it): spacing commands and escaped
/// characters, written onto `out`; returns what follows.
fn escaped_character<'a>(rest: &'a str, out: &mut String) -> &'a str {
    let next = rest[1..].chars().next().unwrap_or(' ');
    match next {
        // Spacing commands: thin, medium, thick, negative thin.
        ',' => out.push_str(" thin "),
        ':' | '>' => out.push_str(" med "),
        ';' => out.push_str(" thick "),
        '!' => {}
        ' ' => out.push(' '),
        '%' => out.push('%'),
        // Typst math draws `{`/`}` as written; `\|` is the double bar.
        '{' | '}' => out.push_str(if next == '{' { "\\{" } else { "\\}" }),
        '|' => out.push_str("||"),
        _ => out.push(next),
    }
    &rest[1 + next.len_utf8().min(rest.len() - 1)..]
}

/// `_{2}` / `^2` alone -> `#sub[2]` / `#super[2]`.
fn bare_script(math: &str) -> Option<String> {
    let (func, rest) = match math.trim().chars().next()? {
        '_' => ("sub", &math.trim()[1..]),
        '^' => ("super", &math.trim()[1..]),
        _ => return None,
    };
    let body = rest.strip_prefix('{').and_then(|r| r.strip_suffix('}')).unwrap_or(rest);
    (!body.is_empty() && body.chars().all(|c| c.is_alphanumeric() || " +-.,".contains(c)))
        .then(|| format!("#{func}[{body}]"))
}

fn is_greek(name: &str) -> bool {
    const GREEK: &[&str] = &[
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "nu", "xi",
        "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda",
        "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega",
    ];
    GREEK.contains(&name)
}

/// `out` without trailing space and with runs of spaces outside quoted text made one:
/// symbols are followed by a space, and the source may have one too.
fn single_spaces(out: &str) -> String {
    let mut tidy = String::with_capacity(out.len());
    let mut quoted = false;
    for c in out.trim_end().chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if c == ' ' && !quoted && tidy.ends_with(' ') {
            continue;
        }
        // A script attaches to what stands before it; LaTeX math ignores the space between.
        if matches!(c, '_' | '^') && !quoted && tidy.ends_with(' ') {
            tidy.pop();
        }
        tidy.push(c);
    }
    tidy
}
