//! The lint's rules, documented: what each finds, a wrong and a right example, and the lab
//! that teaches the mistake. `infralens rules` lists them, `infralens rule ID` prints one,
//! SARIF carries the text as each rule's `help`.
//!
//! The shape rules are not written here: each is read from its one declaration in
//! [`infralens_core::rules`], next to the trait the compiler checks, so that the lint's
//! finding and the compiler's error are the same text. This file declares only the lint's
//! own rules (a file that does not parse, a malformed annotation, `dims!` arithmetic, an
//! unknown dim) and the group `shape-mismatch`.

use std::borrow::Cow;
use std::sync::LazyLock;

/// One rule of `infralens lint`.
///
/// ```
/// let rule = infralens_lint::rules::rule("matmul-contraction").expect("a rule");
/// assert!(rule.wrong.contains("matmul"));
/// assert_eq!(rule.group, Some("shape-mismatch"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The id findings carry: `heads-partition`.
    pub id: &'static str,
    /// One line.
    pub summary: &'static str,
    /// A paragraph: what the rule checks and why it matters.
    pub explanation: Cow<'static, str>,
    /// Code it reports.
    pub wrong: &'static str,
    /// The same code fixed.
    pub right: &'static str,
    /// The lab that teaches the mistake, if one does.
    pub lab: Option<&'static str>,
    /// The group it belongs to (`shape-mismatch`), which `allow(…)` and `infralens.toml`
    /// also accept.
    pub group: Option<&'static str>,
    /// For a shape rule, its declaration in the core: the compiler's message, label and
    /// notes.
    pub shape: Option<&'static infralens_core::rules::Rule>,
}

/// The group of every shape rule: `allow(shape-mismatch)` allows them all.
pub const SHAPE_MISMATCH: &str = "shape-mismatch";

/// The groups of rules, with what they hold.
///
/// ```
/// assert_eq!(infralens_lint::rules::GROUPS[0].0, "shape-mismatch");
/// ```
pub const GROUPS: &[(&str, &str)] = &[(
    SHAPE_MISMATCH,
    "every shape rule: following the ops, a value has another shape than its annotation or its op requires",
)];

/// One of the lint's own rules, as declared here.
struct Own {
    id: &'static str,
    summary: &'static str,
    explanation: &'static str,
    wrong: &'static str,
    right: &'static str,
    lab: Option<&'static str>,
}

/// The lint's own rules, before the shape rules.
const OWN: &[Own] = &[
    Own {
        id: "parse-error",
        summary: "The file is not valid Rust.",
        explanation: "The lint reads files with `syn`; a file it cannot parse (an unclosed bracket, a stray character, nesting too deep) is one finding at the first problem, never a crash.",
        wrong: "fn f() { let x = (1, 2; }",
        right: "fn f() { let x = (1, 2); }",
        lab: None,
    },
    Own {
        id: "annotation",
        summary: "A `#[shapes]` or `#[shape]` annotation is malformed or disagrees with the signature.",
        explanation: "The annotation is parsed as the macro parses it: each parameter it names must exist and be a tensor, a type written in full must agree with it, and `#[shape(...)]` goes on a `let` with a plain name. The message says what to write instead.",
        wrong: "#[shapes(x: [B, S, D])]\nfn f(x: Tensor<(B, D, S)>) {} // `x` is annotated `[B, S, D]` but declared `(B, D, S)`",
        right: "#[shapes(x: [B, S, D])]\nfn f(x: Tensor) {} // the annotation fills the type in",
        lab: Some("02"),
    },
    Own {
        id: "dims",
        summary: "A `dims!` block declares a size that does not divide, a cycle, a duplicate or a zero.",
        explanation: "`dims!` evaluates every size when the crate is linted, as the macro does when it compiles: `Dh = D / H` must divide exactly, names must be unique and declared, sizes at least 1, and a size cannot be computed from a run-time (`dyn`) dim.",
        wrong: "dims! { pub D = 18; pub H = 4; pub Dh = D / H; } // `D` = 18 is not divisible by `H` = 4",
        right: "dims! { pub D = 16; pub H = 4; pub Dh = D / H; }",
        lab: Some("02"),
    },
    Own {
        id: "unknown-dim",
        summary: "An annotation names a dim declared in no `dims!` block and no generic parameter.",
        explanation: "Every dim of an annotation is a type: it must be declared in a `dims!` block of the crate, imported, or be a generic parameter of the function or its impl. A typo here would be a `cannot find type` error from the compiler.",
        wrong: "dims! { pub B = 2; pub S = 4; pub D = 16; }\n#[shapes(x: [B, S, Dm] -> [B, S, Dm])]\nfn f(x: &Tensor) -> Tensor { x.clone() }",
        right: "dims! { pub B = 2; pub S = 4; pub D = 16; }\n#[shapes(x: [B, S, D] -> [B, S, D])]\nfn f(x: &Tensor) -> Tensor { x.clone() }",
        lab: Some("01"),
    },
    Own {
        id: "softmax-axis",
        summary: "Attention's softmax runs over the keys: the scores' last axis, where `q·kᵀ` puts them.",
        explanation: "`softmax()` normalises the last axis. Scores transposed before it (`s.transpose::<2, 3>().softmax()`, or `t()`) normalise each key's column over the queries instead of each query's row over the keys: the shapes still agree when `S = T`, and the numbers are wrong. The lint follows where a product put the keys through `t()` and `transpose`.",
        wrong: "dims! { pub B = 1; pub H = 2; pub S = 4; pub Dh = 4; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh] -> [B, H, S, S])]\nfn weights(q: &Tensor, k: &Tensor) -> Tensor {\n    let s = q.matmul(&k.t());\n    s.transpose::<2, 3>().softmax()\n}",
        right: "dims! { pub B = 1; pub H = 2; pub S = 4; pub Dh = 4; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh] -> [B, H, S, S])]\nfn weights(q: &Tensor, k: &Tensor) -> Tensor {\n    let s = q.matmul(&k.t());\n    s.softmax()\n}",
        lab: Some("03"),
    },
    Own {
        id: "square-weight",
        summary: "A square weight read raw from a checkpoint hides its orientation: load it as a layer.",
        explanation: "`nn.Linear` saves `(out, in)`, GPT-2's `Conv1D` `(in, out)`. For a square weight `(D, D)` both readings have the same shape, so the wrong one compiles and gives wrong numbers. A warning where such a tensor (`ckpt.tensor::<(D, D)>(…)`) is multiplied in: load it with `Checkpoint::linear` or `conv1d`, which know the orientation, or give the output width a dim of its own.",
        wrong: "dims! { pub S = 4; pub D = 8; }\nfn project(ckpt: &Checkpoint, x: &Tensor<(S, D)>) -> Result<Tensor<(S, D)>, LoadError> {\n    let w = ckpt.tensor::<(D, D)>(\"q_proj.weight\", &sizes![])?;\n    Ok(x.matmul(&w.t()))\n}",
        right: "dims! { pub S = 4; pub D = 8; }\nfn project(ckpt: &Checkpoint, x: &Tensor<(S, D)>) -> Result<Tensor<(S, D)>, LoadError> {\n    let q_proj = ckpt.linear::<D, D>(\"q_proj\", &sizes![])?;\n    Ok(q_proj.forward(x))\n}",
        lab: Some("01"),
    },
    Own {
        id: "scores-axis-kind",
        summary: "Attention scores pair positions with positions: the rows of `q·kᵀ` are not a heads axis.",
        explanation: "Heads split with `split_last` (or a reshape) but never transposed stay `(B, S, H, Dh)`; `q.matmul(&k.t())` is then `(B, S, H, H)`: each position's heads scored against its own heads. The shapes agree, and with kinds declared (`H: Heads`) the lint reports it at the product, in code generic over the dims too. Split with `split_heads::<H, Dh>()`, which moves the heads before the positions.",
        wrong: "dims! { pub B: Batch = 1; pub S: Sequence = 4; pub H: Heads = 2; pub Dh: HeadWidth = 4; pub D: ModelWidth = H * Dh; }\n#[shapes(x: [B, S, D] -> [B, S, H, H])]\nfn scores(x: &Tensor) -> Tensor {\n    let q = x.clone().split_last::<H, Dh>();\n    q.matmul(&q.t())\n}",
        right: "dims! { pub B: Batch = 1; pub S: Sequence = 4; pub H: Heads = 2; pub Dh: HeadWidth = 4; pub D: ModelWidth = H * Dh; }\n#[shapes(x: [B, S, D] -> [B, H, S, S])]\nfn scores(x: &Tensor) -> Tensor {\n    let q = x.split_heads::<H, Dh>();\n    q.matmul(&q.t())\n}",
        lab: Some("03"),
    },
    Own {
        id: "decode-positions",
        summary: "While decoding, the new rows' positions come from the KV cache, not from 0.",
        explanation: "A decode step's new rows come after the cached ones: RoPE must rotate them as positions `cache.len()..`, and a learned position table (GPT-2's `wpe`) must give those rows. An offset written as a number (`q.rope(&rope, 0)`, `wpe.narrow::<0, S>(0, s)`) in a function that takes a KV cache rotates every step as the first; the shapes agree and the tokens come out wrong. A warning: take the positions from the cache before appending — `let at = cache.positions::<S>(n)?;` — and use `q.rope_at(&rope, &at)?` or `wpe.at_positions(&at)?`.",
        wrong: "dims! { pub B = 1; pub H = 2; pub C = 16; pub S = dyn; pub T = dyn; pub Dh = 4; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh] -> [B, H, S, Dh])]\nfn step(q: &Tensor, k: &Tensor, rope: &Rope<C, Dh>, cache: &mut KvCache<B, H, C, Dh>) -> Result<Tensor, ShapeError> {\n    let q = q.rope(rope, 0);\n    let k = k.rope(rope, 0);\n    cache.attend(&q, &k, &k, Mask::Causal)\n}",
        right: "dims! { pub B = 1; pub H = 2; pub C = 16; pub S = dyn; pub T = dyn; pub Dh = 4; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh] -> [B, H, S, Dh])]\nfn step(q: &Tensor, k: &Tensor, rope: &Rope<C, Dh>, cache: &mut KvCache<B, H, C, Dh>) -> Result<Tensor, ShapeError> {\n    let at = cache.positions::<S>(q.sizes()[2])?;\n    let q = q.rope_at(rope, &at)?;\n    let k = k.rope_at(rope, &at)?;\n    cache.attend(&q, &k, &k, Mask::Causal)\n}",
        lab: Some("06"),
    },
    Own {
        id: "stale-keys",
        summary: "Attention after `append` reads the cache's views, not the keys and values just appended.",
        explanation: "`cache.append::<S, T>(&k, &v)` writes this step's keys and values after the cached ones and hands back views of all `T` of them. Passing the new `k`, `v` to attention instead attends to this step's positions only: in a prefill the numbers agree, and every decode step after it is wrong. Attend to the views it returns, or append and attend in one step with `cache.attend(&q, &k, &v, mask)`.",
        wrong: "dims! { pub B = 1; pub H = 2; pub C = 16; pub S = dyn; pub T = dyn; pub Dh = 4; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh] -> [B, H, S, Dh])]\nfn step(q: &Tensor, k: &Tensor, cache: &mut KvCache<B, H, C, Dh>) -> Result<Tensor, ShapeError> {\n    let (_keys, _values) = cache.append::<S, T>(k, k)?;\n    Ok(scaled_dot_product_attention(q, k, k, Mask::Causal))\n}",
        right: "dims! { pub B = 1; pub H = 2; pub C = 16; pub S = dyn; pub T = dyn; pub Dh = 4; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh] -> [B, H, S, Dh])]\nfn step(q: &Tensor, k: &Tensor, cache: &mut KvCache<B, H, C, Dh>) -> Result<Tensor, ShapeError> {\n    let (keys, values) = cache.append::<S, T>(k, k)?;\n    Ok(scaled_dot_product_attention(q, keys, values, Mask::Causal))\n}",
        lab: Some("05"),
    },
];

/// The last rule: the lint's own failure.
const INTERNAL: Own = Own {
    id: "internal-error",
    summary: "InfraLens could not analyse this file; please report it.",
    explanation: "A bug in the lint, caught so that the other files are still checked. The finding names the file; the compiler's own check (`infralens check`) is unaffected.",
    wrong: "(any file that triggers it)",
    right: "(report it with the file)",
    lab: None,
};

/// A shape rule's explanation, from its declaration: how the compiler reports it and
/// its notes.
fn shape_explanation(r: &infralens_core::rules::Rule) -> String {
    let mut text = match r.relation {
        Some(relation) => format!(
            "The compiler checks it as the trait `{relation}` and reports it (error {}) in the words the lint uses: “{}”.",
            r.code, r.message
        ),
        None => format!(
            "The compiler reports it as a type mismatch (error {}, `mismatched types`); the lint names the dims: “{}”.",
            r.code, r.message
        ),
    };
    for note in r.notes {
        text.push_str("\n\nNote: ");
        text.push_str(note);
    }
    text
}

/// Every rule, in the order `infralens rules` lists them: the lint's own, then every
/// shape rule of [`infralens_core::rules::RULES`], then `internal-error`.
///
/// ```
/// let rules = &*infralens_lint::rules::RULES;
/// assert!(rules.len() >= 24 + 5);
/// assert_eq!(rules[0].id, "parse-error");
/// ```
pub static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let own = |o: &Own| Rule {
        id: o.id,
        summary: o.summary,
        explanation: Cow::Borrowed(o.explanation),
        wrong: o.wrong,
        right: o.right,
        lab: o.lab,
        group: None,
        shape: None,
    };
    let shapes = infralens_core::rules::RULES.iter().map(|r| Rule {
        id: r.id,
        summary: r.summary,
        explanation: Cow::Owned(shape_explanation(r)),
        wrong: r.wrong,
        right: r.right,
        lab: Some(r.lab),
        group: Some(SHAPE_MISMATCH),
        shape: Some(r),
    });
    OWN.iter()
        .map(own)
        .chain(shapes)
        .chain([own(&INTERNAL)])
        .collect()
});

/// `allowed` (a rule's id or a group) covers findings of the rule `id`.
///
/// ```
/// use infralens_lint::rules::covers;
/// assert!(covers("shape-mismatch", "heads-partition"));
/// assert!(covers("heads-partition", "heads-partition"));
/// assert!(!covers("dims", "heads-partition"));
/// ```
pub fn covers(allowed: &str, id: &str) -> bool {
    allowed == id || rule(id).is_some_and(|r| r.group == Some(allowed))
}

/// The rule `id`, if there is one.
///
/// ```
/// assert!(infralens_lint::rules::rule("dims").is_some());
/// assert!(infralens_lint::rules::rule("nope").is_none());
/// ```
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// `id` names a rule or a group of rules.
///
/// ```
/// assert!(infralens_lint::rules::known("shape-mismatch"));
/// assert!(infralens_lint::rules::known("cat-sum"));
/// assert!(!infralens_lint::rules::known("nope"));
/// ```
pub fn known(id: &str) -> bool {
    rule(id).is_some() || GROUPS.iter().any(|(g, _)| *g == id)
}

impl Rule {
    /// The rule as `infralens rule ID` prints it.
    ///
    /// ```
    /// let text = infralens_lint::rules::rule("dims").expect("a rule").page();
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
        if let Some(group) = self.group {
            text.push_str(&format!(
                "\nIn the group `{group}`: `allow({group})` allows it with the others.\n"
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::RULES;
    use crate::lint::lint_sources;
    use crate::source::Source;

    /// Each rule's wrong example is reported first under that rule, and its right example is
    /// clean: the documentation is checked by the lint it documents (and, for the shape
    /// rules, by the compiler: the core's doc tests).
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
            let mut wrong = lint(r.wrong);
            wrong.sort_by_key(|d| d.start);
            assert!(
                wrong.first().is_some_and(|d| d.code == r.id),
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
