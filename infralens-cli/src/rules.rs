//! The lint's rules, documented: what each finds, a wrong and a right example, and the lab
//! that teaches the mistake. `infralens rules` lists them, `infralens rule ID` prints one,
//! SARIF carries the text as each rule's `help`.

/// One rule of `infralens lint`.
///
/// ```
/// let rule = infralens_cli::rules::rule("shape-mismatch").expect("a rule");
/// assert!(rule.wrong.contains("matmul"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The id findings carry: `shape-mismatch`.
    pub id: &'static str,
    /// One line.
    pub summary: &'static str,
    /// A paragraph: what the rule checks and why it matters.
    pub explanation: &'static str,
    /// Code it reports.
    pub wrong: &'static str,
    /// The same code fixed.
    pub right: &'static str,
    /// The lab that teaches the mistake, if one does.
    pub lab: Option<&'static str>,
}

/// Every rule, in the order `infralens rules` lists them.
///
/// ```
/// assert_eq!(infralens_cli::rules::RULES.len(), 6);
/// ```
pub const RULES: &[Rule] = &[
    Rule {
        id: "parse-error",
        summary: "The file is not valid Rust.",
        explanation: "The lint reads files with `syn`; a file it cannot parse (an unclosed bracket, a stray character, nesting too deep) is one finding at the first problem, never a crash.",
        wrong: "fn f() { let x = (1, 2; }",
        right: "fn f() { let x = (1, 2); }",
        lab: None,
    },
    Rule {
        id: "annotation",
        summary: "A `#[shapes]` or `#[shape]` annotation is malformed or disagrees with the signature.",
        explanation: "The annotation is parsed as the macro parses it: each parameter it names must exist and be a tensor, a type written in full must agree with it, and `#[shape(...)]` goes on a `let` with a plain name. The message says what to write instead.",
        wrong: "#[shapes(x: [B, S, D])]\nfn f(x: Tensor<(B, D, S)>) {} // `x` is annotated `[B, S, D]` but declared `(B, D, S)`",
        right: "#[shapes(x: [B, S, D])]\nfn f(x: Tensor) {} // the annotation fills the type in",
        lab: Some("02"),
    },
    Rule {
        id: "dims",
        summary: "A `dims!` block declares a size that does not divide, a cycle, a duplicate or a zero.",
        explanation: "`dims!` evaluates every size when the crate is linted, as the macro does when it compiles: `Dh = D / H` must divide exactly, names must be unique and declared, sizes at least 1, and a size cannot be computed from a run-time (`dyn`) dim.",
        wrong: "dims! { pub D = 18; pub H = 4; pub Dh = D / H; } // `D` = 18 is not divisible by `H` = 4",
        right: "dims! { pub D = 16; pub H = 4; pub Dh = D / H; }",
        lab: Some("02"),
    },
    Rule {
        id: "unknown-dim",
        summary: "An annotation names a dim declared in no `dims!` block and no generic parameter.",
        explanation: "Every dim of an annotation is a type: it must be declared in a `dims!` block of the crate, imported, or be a generic parameter of the function or its impl. A typo here would be a `cannot find type` error from the compiler.",
        wrong: "dims! { pub B = 2; pub S = 4; pub D = 16; }\n#[shapes(x: [B, S, Dm] -> [B, S, Dm])]\nfn f(x: &Tensor) -> Tensor { x.clone() }",
        right: "dims! { pub B = 2; pub S = 4; pub D = 16; }\n#[shapes(x: [B, S, D] -> [B, S, D])]\nfn f(x: &Tensor) -> Tensor { x.clone() }",
        lab: Some("01"),
    },
    Rule {
        id: "shape-mismatch",
        summary: "Following the ops, a value has another shape than its annotation or its op requires.",
        explanation: "The lint follows shapes through the ops (matmul, the head split and merge, attention, masks, broadcasting, norms, layers held in struct fields) from the annotated or fully typed parameters, and reports what the compiler would: a contraction of two different dims, heads that do not partition the width, key/value heads that do not divide the query heads, a `#[shape]` or return type the value does not have, cache joins and chunks of the wrong length, axis kinds out of order, a RoPE table or a norm weight of the wrong width. The message is the compiler's own. Where the fix is mechanical (a weight or the keys read transposed, the attention scale's width, a bottom-right causal mask, a head width declared as a number where `Dh = D / H` is meant) the finding shows it as a suggestion and `infralens lint --fix` applies it.",
        wrong: "#[shapes(x: [B, S, D], wk: [Dkv, D] -> [B, S, Dkv])]\nfn keys(x: &Tensor, wk: &Tensor) -> Tensor {\n    x.matmul(wk) // matmul contracts `D` with `Dkv`\n}",
        right: "#[shapes(x: [B, S, D], wk: [Dkv, D] -> [B, S, Dkv])]\nfn keys(x: &Tensor, wk: &Tensor) -> Tensor {\n    x.matmul(wk.t()) // nn.Linear stores (out, in): read it transposed\n}",
        lab: Some("02"),
    },
    Rule {
        id: "internal-error",
        summary: "InfraLens could not analyse this file; please report it.",
        explanation: "A bug in the lint, caught so that the other files are still checked. The finding names the file; the compiler's own check (`infralens check`) is unaffected.",
        wrong: "(any file that triggers it)",
        right: "(report it with the file)",
        lab: None,
    },
];

/// The rule `id`, if there is one.
///
/// ```
/// assert!(infralens_cli::rules::rule("dims").is_some());
/// assert!(infralens_cli::rules::rule("nope").is_none());
/// ```
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

impl Rule {
    /// The rule as `infralens rule ID` prints it.
    ///
    /// ```
    /// let text = infralens_cli::rules::rule("dims").expect("a rule").page();
    /// assert!(text.starts_with("dims: "));
    /// assert!(text.contains("Wrong:") && text.contains("Right:"));
    /// ```
    pub fn page(&self) -> String {
        let indent =
            |code: &str| -> String { code.lines().map(|l| format!("    {l}\n")).collect() };
        let mut text = format!(
            "{}: {}\n\n{}\n\nWrong:\n\n{}\nRight:\n\n{}",
            self.id,
            self.summary,
            self.explanation,
            indent(self.wrong),
            indent(self.right)
        );
        if let Some(lab) = self.lab {
            text.push_str(&format!("\nTaught in Lab {lab}: `infralens lab {lab}`.\n"));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::RULES;
    use crate::lint::lint_sources;
    use crate::source::Source;

    /// Each rule's wrong example is reported under that rule, and its right example is clean:
    /// the documentation is checked by the lint it documents.
    #[test]
    fn wrong_examples_are_reported_and_right_ones_are_clean() {
        let header = "dims! { pub B = 1; pub S = 4; pub D = 16; pub Dkv = 8; }\n";
        let lint = |code: &str| {
            let text = if code.contains("dims!") {
                code.to_owned()
            } else {
                format!("{header}{code}")
            };
            lint_sources(vec![Source::new("example.rs", text)]).diagnostics
        };
        for r in RULES.iter().filter(|r| r.id != "internal-error") {
            let wrong = lint(r.wrong);
            assert!(
                wrong.iter().any(|d| d.code == r.id),
                "{}: the wrong example gives {:?}",
                r.id,
                wrong
                    .iter()
                    .map(|d| (&d.code, &d.message))
                    .collect::<Vec<_>>()
            );
            let right = lint(r.right);
            assert!(
                right.is_empty(),
                "{}: the right example gives {right:?}",
                r.id
            );
        }
    }
}
