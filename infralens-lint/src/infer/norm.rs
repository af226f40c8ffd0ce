//! Norms and SwiGLU.
//!
//! The lint's side of `infralens-core/src/ops/norm.rs`: the same rules, in the compiler's words.

use super::{Infer, Shape, tuple};
use infralens_core::rules;
use syn::spanned::Spanned;

impl Infer<'_> {
    /// `x.rms_norm(&w, eps)`, `x.layer_norm(&w, &b, eps)`: a weight `(D,)` for rows `(…, D)`.
    pub(super) fn norm_method(&mut self, m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        let weight = self.infer(&m.args[0])?;
        let last = recv.last()?;
        if weight.len() != 1 || weight[0] != *last {
            self.broke(
                m.args[0].span(),
                &rules::NORM_WIDTH,
                &[("Self", &weight.join(", ")), ("Last", last)],
            );
            return None;
        }
        Some(recv)
    }

    /// `x.swiglu(&wg, &wu)`: two weights of one shape, each multiplied in.
    pub(super) fn swiglu(&mut self, m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        let gate = self.infer(&m.args[0])?;
        let up = self.infer(&m.args[1])?;
        if gate != up {
            self.broke(
                m.args[1].span(),
                &rules::SWIGLU_WIDTHS,
                &[("Gate", &tuple(&gate)), ("Self", &tuple(&up))],
            );
            return None;
        }
        self.matmul(m.args[0].span(), &recv, &gate)
    }
}
