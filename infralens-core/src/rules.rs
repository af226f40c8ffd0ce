//! Every shape rule, declared once: its id, the message a learner reads, its notes, the lab
//! that teaches it and a wrong and a right example.
//!
//! A rule that the compiler checks with a trait ([`relations`](crate::relations)) is
//! declared by the `relation!` macro next to its trait: the macro writes the trait's
//! `#[diagnostic::on_unimplemented]` attribute and the [`Rule`] from the same literals, so
//! the text `cargo check` prints and the text `infralens lint` prints cannot drift apart.
//! A rule the compiler reports as a plain type mismatch (E0308: a layer's weight, a
//! function's return value) is declared here with the words the lint uses.
//!
//! Every rule's wrong example is a `compile_fail` doc test and its right example a doc test
//! that compiles, so the examples are checked by the compiler; the lint's tests lint the
//! same two examples.
//!
//! ```
//! use infralens::rules::{self, RULES};
//!
//! let rule = rules::rule("heads-partition").expect("declared");
//! assert_eq!(rule.lab, "02");
//! assert_eq!(
//!     rule.message_with(&[("H", "H"), ("Dh", "Dh"), ("Self", "D")]),
//!     "shape mismatch: `H` × `Dh` must equal `D`: the heads partition the model width",
//! );
//! assert!(RULES.len() >= 24);
//! ```

/// One shape rule: what the compiler and the lint say when it is broken.
///
/// The texts are templates: `{Self}`, `{H}`, … stand for the dims involved, as in
/// `#[diagnostic::on_unimplemented]`; [`Rule::message_with`] fills them in.
///
/// ```
/// let rule = infralens::rules::MATMUL_CONTRACTION;
/// assert_eq!(rule.id, "matmul-contraction");
/// assert!(rule.matches(
///     "shape mismatch: matmul contracts `D` with `F`, but the left operand's last dim must be the right operand's row dim"
/// ));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Its id, kebab-case: what findings, `allow(…)` and `infralens rule ID` name.
    pub id: &'static str,
    /// The trait that states it (`HeadsPartition`), or `None` for a rule the compiler
    /// checks as a type mismatch.
    pub relation: Option<&'static str>,
    /// The compiler's error code for it: `E0277` for a trait, `E0308` for a type mismatch.
    pub code: &'static str,
    /// One line: what must hold.
    pub summary: &'static str,
    /// The message, a template: the first line of the error.
    pub message: &'static str,
    /// The label under the carets, a template.
    pub label: &'static str,
    /// The notes, templates.
    pub notes: &'static [&'static str],
    /// The lab that teaches the mistake: `"02"`.
    pub lab: &'static str,
    /// Code that breaks the rule (after `use infralens::prelude::*;`).
    pub wrong: &'static str,
    /// The same code, fixed.
    pub right: &'static str,
}

impl Rule {
    /// The message with each `{Name}` replaced by the dims `args` gives for it.
    ///
    /// ```
    /// let m = infralens::rules::KV_HEADS_DIVIDE.message_with(&[("Self", "Hkv"), ("H", "H")]);
    /// assert_eq!(m, "shape mismatch: `Hkv` key/value heads must divide `H` query heads");
    /// ```
    pub fn message_with(&self, args: &[(&str, &str)]) -> String {
        fill(self.message, args)
    }

    /// The label with `args` filled in, as [`Rule::message_with`].
    ///
    /// ```
    /// let l = infralens::rules::KV_HEADS_DIVIDE.label_with(&[("Self", "Hkv"), ("H", "H")]);
    /// assert_eq!(l, "`H` query heads cannot be shared out evenly over `Hkv` key/value heads");
    /// ```
    pub fn label_with(&self, args: &[(&str, &str)]) -> String {
        fill(self.label, args)
    }

    /// The notes with `args` filled in, as [`Rule::message_with`].
    ///
    /// ```
    /// let notes = infralens::rules::CAT_SUM.notes_with(&[("A", "P"), ("B", "S")]);
    /// assert!(notes[0].contains("Sum<P, S>"));
    /// ```
    pub fn notes_with(&self, args: &[(&str, &str)]) -> Vec<String> {
        self.notes.iter().map(|n| fill(n, args)).collect()
    }

    /// `message` is this rule's message with some dims filled in: how a compiler error is
    /// traced back to its rule.
    ///
    /// ```
    /// use infralens::rules::{SCORES_CONTRACTION, SQUARE_SCORES};
    /// let m = "shape mismatch: a causal mask needs square scores, but the last two dims are `S` and `T`";
    /// assert!(SQUARE_SCORES.matches(m));
    /// assert!(!SCORES_CONTRACTION.matches(m));
    /// ```
    pub fn matches(&self, message: &str) -> bool {
        matches_template(self.message, message)
    }
}

/// `template` with each `{Name}` that `args` names replaced by its value; any other text,
/// including an unnamed `{X}`, stays as written.
fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// `text` is `template` with every `{Name}` standing for some text (the same text
/// wherever the same name stands).
fn matches_template(template: &str, text: &str) -> bool {
    fn go<'a>(template: &str, text: &'a str, bound: &mut Vec<(String, &'a str)>) -> bool {
        let Some(open) = template.find('{') else {
            return template == text;
        };
        let Some(close) = template[open..].find('}').map(|c| open + c) else {
            return template == text;
        };
        let (literal, name, rest) = (
            &template[..open],
            &template[open + 1..close],
            &template[close + 1..],
        );
        let Some(text) = text.strip_prefix(literal) else {
            return false;
        };
        if let Some((_, value)) = bound.iter().find(|(n, _)| n == name) {
            let value: &str = value;
            return text.strip_prefix(value).is_some_and(|t| go(rest, t, bound));
        }
        // Try every end for the value, shortest first.
        for (end, _) in text.char_indices().skip(1).chain([(text.len(), ' ')]) {
            bound.push((name.to_owned(), &text[..end]));
            if go(rest, &text[end..], bound) {
                return true;
            }
            bound.pop();
        }
        false
    }
    go(template, text, &mut Vec::new())
}

/// Declares a relation trait and the [`Rule`] it states, from one set of literals: the
/// trait gets its `#[diagnostic::on_unimplemented]` attribute, the constant the same
/// texts, and the constant's docs the rule's examples as doc tests (the wrong one must
/// not compile).
macro_rules! relation {
    (
        $(#[doc = $doc:literal])*
        #[rule(
            $konst:ident,
            id = $id:literal,
            lab = $lab:literal,
            summary = $summary:literal,
            wrong = $wrong:literal,
            right = $right:literal $(,)?
        )]
        #[diagnostic::on_unimplemented(
            message = $message:literal,
            label = $label:literal
            $(, note = $note:literal)* $(,)?
        )]
        $vis:vis trait $name:ident $($rest:tt)*
    ) => {
        $(#[doc = $doc])*
        ///
        #[doc = concat!("States the rule [`", stringify!($konst), "`](crate::rules::", stringify!($konst), ") (`", $id, "`).")]
        #[diagnostic::on_unimplemented(message = $message, label = $label $(, note = $note)*)]
        $vis trait $name $($rest)*

        rule_const! {
            $konst,
            relation = Some(stringify!($name)),
            code = "E0277",
            id = $id,
            lab = $lab,
            summary = $summary,
            message = $message,
            label = $label,
            notes = [$($note),*],
            wrong = $wrong,
            right = $right,
        }
    };
}

/// The [`Rule`] constant, with its examples as doc tests.
macro_rules! rule_const {
    (
        $konst:ident,
        relation = $relation:expr,
        code = $code:literal,
        id = $id:literal,
        lab = $lab:literal,
        summary = $summary:literal,
        message = $message:literal,
        label = $label:literal,
        notes = [$($note:literal),*],
        wrong = $wrong:literal,
        right = $right:literal $(,)?
    ) => {
        #[doc = concat!("`", $id, "`: ", $summary)]
        ///
        #[doc = concat!("The message: \"", $message, "\". Taught in Lab ", $lab, ".")]
        ///
        /// Wrong (does not compile):
        ///
        #[doc = concat!("```compile_fail,", $code)]
        /// use infralens::prelude::*;
        #[doc = $wrong]
        /// ```
        ///
        /// Right:
        ///
        /// ```
        /// use infralens::prelude::*;
        #[doc = $right]
        /// ```
        pub const $konst: $crate::rules::Rule = $crate::rules::Rule {
            id: $id,
            relation: $relation,
            code: $code,
            summary: $summary,
            message: $message,
            label: $label,
            notes: &[$($note),*],
            lab: $lab,
            wrong: $wrong,
            right: $right,
        };
    };
}

pub use crate::ops::broadcast::BROADCAST;
pub use crate::ops::cache::CACHE_ROWS;
pub use crate::ops::join::{AXIS_RANGE, CAT_SAME_EXCEPT, CAT_SUM, CHUNK_PARTITION};
pub use crate::ops::mask::SCORES_BIAS;
pub use crate::ops::mask_type::{MASK_ALIGNMENT, top_left_refusal};
pub use crate::ops::norm::{NORM_WIDTH, SWIGLU_WIDTHS};
pub use crate::ops::reshape::RESHAPE_AXIS_ORDER;
pub use crate::ops::rope::{ROPE_EVEN_WIDTH, ROPE_WIDTH};
pub use crate::relations::{
    ATTENTION_HEADS, ATTENTION_PAIR, CACHE_HEADS_FIRST, HEADS_AXIS_KIND, HEADS_PARTITION,
    KEY_VALUE_LENGTH, KV_HEADS_DIVIDE, LET_SHAPE, MATMUL_BATCH, MATMUL_CONTRACTION,
    POSITIONS_AXIS_KIND, RESHAPE_NUMEL, ROPE_TABLE_KIND, SCALE_WIDTH, SCORES_CONTRACTION,
    SHAPE_ON_NON_TENSOR, SOFTMAX_OVER, SQUARE_SCORES, SWAP_AXES_RANGE, VALUES_MATCH_KEYS,
};
pub use crate::shape::STATIC_SHAPE;

rule_const! {
    RETURN_SHAPE,
    relation = None,
    code = "E0308",
    id = "return-shape",
    lab = "02",
    summary = "A function returns a value of the shape its signature or annotation names.",
    message = "shape mismatch at the return value of `{Fn}`: expected `{Expected}`, found `{Found}`",
    label = "this is `{Found}`",
    notes = ["the signature returns `{Expected}`"],
    wrong = "dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }\n#[shapes(x: [B, S, D] -> [B, H, S, Dh])]\nfn heads(x: &Tensor) -> Tensor {\n    x.reshape::<(B, S, H, Dh)>()\n}",
    right = "dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }\n#[shapes(x: [B, S, D] -> [B, H, S, Dh])]\nfn heads(x: &Tensor) -> Tensor {\n    x.split_heads::<H, Dh>()\n}",
}

rule_const! {
    ARGUMENT_SHAPE,
    relation = None,
    code = "E0308",
    id = "argument-shape",
    lab = "01",
    summary = "A call passes each tensor in the shape the function's parameter names: equal sizes are not the same dims.",
    message = "shape mismatch: `{Fn}` takes `{Expected}` here, but this argument is `{Found}`",
    label = "`{Found}` here",
    notes = ["dims are names, not sizes: `(B, S, H, Dh)` is not `(B, H, S, Dh)` even where `S` and `H` are both 4"],
    wrong = "dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }\n#[shapes(q: [B, H, S, Dh] -> [B, H, S, S])]\nfn scores(q: &Tensor) -> Tensor {\n    q.matmul(&q.t())\n}\nfn run(x: &Tensor<(B, S, D)>) -> Tensor<(B, H, S, S)> {\n    scores(&x.clone().reshape::<(B, S, H, Dh)>())\n}",
    right = "dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }\n#[shapes(q: [B, H, S, Dh] -> [B, H, S, S])]\nfn scores(q: &Tensor) -> Tensor {\n    q.matmul(&q.t())\n}\nfn run(x: &Tensor<(B, S, D)>) -> Tensor<(B, H, S, S)> {\n    scores(&x.split_heads::<H, Dh>())\n}",
}

rule_const! {
    LAYER_LAYOUT,
    relation = None,
    code = "E0308",
    id = "layer-layout",
    lab = "07",
    summary = "A layer is built from a weight stored the way it reads it: `Linear<In, Out>` from `(Out, In)`, `Conv1D<In, Out>` from `(In, Out)`.",
    message = "shape mismatch: `{Layer}<{In}, {Out}>` stores its weight `{Stored}`, {Layout}, but this weight is `{Found}`",
    label = "`{Found}` here, `{Stored}` wanted",
    notes = ["`Linear<In, Out>` holds `(Out, In)` and `Conv1D<In, Out>` holds `(In, Out)`: both map `(…, In)` to `(…, Out)`"],
    wrong = "use infralens::layers::Linear;\ndims! { pub D = 16; pub F = 64; }\nfn up(w: Tensor<(D, F)>) -> Linear<D, F> {\n    let l: Linear<D, F> = Linear::new(w, None);\n    l\n}",
    right = "use infralens::layers::Linear;\ndims! { pub D = 16; pub F = 64; }\nfn up(w: Tensor<(F, D)>) -> Linear<D, F> {\n    let l: Linear<D, F> = Linear::new(w, None);\n    l\n}",
}

/// Every rule, in the order `infralens rules` lists them: the ops' rules by lab, then the
/// rules the compiler reports as type mismatches.
///
/// ```
/// use infralens::rules::RULES;
/// let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
/// ids.sort();
/// ids.dedup();
/// assert_eq!(ids.len(), RULES.len(), "ids are unique");
/// ```
pub const RULES: &[Rule] = &[
    MATMUL_CONTRACTION,
    SCORES_CONTRACTION,
    MATMUL_BATCH,
    BROADCAST,
    HEADS_PARTITION,
    LET_SHAPE,
    SHAPE_ON_NON_TENSOR,
    SCALE_WIDTH,
    SOFTMAX_OVER,
    RESHAPE_NUMEL,
    RESHAPE_AXIS_ORDER,
    SWAP_AXES_RANGE,
    HEADS_AXIS_KIND,
    SQUARE_SCORES,
    SCORES_BIAS,
    ATTENTION_PAIR,
    VALUES_MATCH_KEYS,
    KEY_VALUE_LENGTH,
    KV_HEADS_DIVIDE,
    ATTENTION_HEADS,
    MASK_ALIGNMENT,
    CAT_SUM,
    CAT_SAME_EXCEPT,
    AXIS_RANGE,
    ROPE_EVEN_WIDTH,
    ROPE_WIDTH,
    ROPE_TABLE_KIND,
    POSITIONS_AXIS_KIND,
    CACHE_HEADS_FIRST,
    CACHE_ROWS,
    CHUNK_PARTITION,
    STATIC_SHAPE,
    RETURN_SHAPE,
    ARGUMENT_SHAPE,
    LAYER_LAYOUT,
    NORM_WIDTH,
    SWIGLU_WIDTHS,
];

/// The rule with this id.
///
/// ```
/// assert_eq!(infralens::rules::rule("cat-sum").map(|r| r.lab), Some("05"));
/// assert!(infralens::rules::rule("no-such-rule").is_none());
/// ```
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// The rule whose message `message` is (a compiler error's first line, without
/// `error[E0277]: `), if any.
///
/// ```
/// let m = "shape mismatch: `Hkv` key/value heads must divide `H` query heads";
/// assert_eq!(infralens::rules::for_message(m).map(|r| r.id), Some("kv-heads-divide"));
/// ```
pub fn for_message(message: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.matches(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_fills_and_matches_back() {
        for rule in RULES {
            let names = [
                "Self", "H", "Dh", "Left", "Small", "Target", "K", "W", "A", "B",
            ];
            let args: Vec<(&str, &str)> = names.iter().map(|n| (*n, "X1")).collect();
            let filled = rule.message_with(&args);
            assert!(rule.matches(&filled), "{}: {filled}", rule.id);
        }
        assert!(!HEADS_PARTITION.matches("shape mismatch: `H` × `Dh` must equal `D`"));
        // The same name stands for the same text.
        assert!(!BROADCAST.matches(
            "shape mismatch: `(D,)` does not broadcast over `(S, F)`: its dims must be the trailing dims of `(S, G)`"
        ));
    }

    #[test]
    fn ids_are_kebab_case_and_labs_exist() {
        for rule in RULES {
            assert!(
                rule.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                rule.id
            );
            assert!(("01"..="08").contains(&rule.lab), "{}", rule.id);
            // Two rules are about what is built or annotated, not two shapes that differ;
            // one about a mask that does not fit the scores.
            let usage = ["static-shape", "shape-on-non-tensor"].contains(&rule.id);
            let mask = rule.id == "mask-alignment" && rule.message.starts_with("mask mismatch");
            assert!(
                usage || mask || rule.message.starts_with("shape mismatch"),
                "{}",
                rule.id
            );
        }
    }
}
