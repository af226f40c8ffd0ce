//! Masks and biases over the scores.
//!
//! The lint's side of `infralens-core/src/ops/mask.rs`: the same rules, in the compiler's words.

use super::{Infer, Shape, call_span, tuple};
use infralens_core::rules;
use syn::spanned::Spanned;

impl Infer<'_> {
    /// `scores.add_bias(&bias)`: a bias over the scores' last two axes, `(S, T)`.
    pub(super) fn add_bias(&mut self, m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        let bias = self.infer(&m.args[0])?;
        let want = &recv[recv.len() - 2..];
        if bias != want {
            self.broke(
                m.args[0].span(),
                &rules::SCORES_BIAS,
                &[("Scores", &tuple(want)), ("Self", &tuple(&bias))],
            );
            return None;
        }
        Some(recv)
    }

    /// `scores.causal_mask()`: square scores only (queries and keys the same positions).
    pub(super) fn causal_mask(&mut self, m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        let call_span = call_span(m);
        let n = recv.len();
        if recv[n - 1] != recv[n - 2] {
            self.broke(
                call_span,
                &rules::SQUARE_SCORES,
                &[("Row", &recv[n - 2]), ("Self", &recv[n - 1])],
            );
            self.fix_last(
                call_span,
                "mask new queries against all their keys, aligned bottom-right: `masked(Mask::Causal)`".to_owned(),
                "masked(Mask::Causal)".to_owned(),
            );
            return None;
        }
        Some(recv)
    }
}
