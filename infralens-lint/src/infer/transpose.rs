//! Swapping two axes.
//!
//! The lint's side of `infralens-core/src/ops/transpose.rs`: the same rules, in the compiler's words.

use super::{Infer, Shape, call_span, const_arg, tuple};
use infralens_core::rules;

impl Infer<'_> {
    /// `x.transpose::<I, J>()`: two axes of the shape swapped.
    pub(super) fn transpose(&mut self, m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        let call_span = call_span(m);
        let generics = Self::turbofish(m);
        let (i, j) = (const_arg(&generics, 0)?, const_arg(&generics, 1)?);
        if i >= recv.len() || j >= recv.len() {
            let (i, j) = (i.to_string(), j.to_string());
            self.broke(
                call_span,
                &rules::SWAP_AXES_RANGE,
                &[("I", &i), ("J", &j), ("Self", &tuple(&recv))],
            );
            return None;
        }
        let mut out = recv;
        out.swap(i, j);
        Some(out)
    }
}
