//! Repeating key/value heads up to the query heads.
//!
//! The lint's side of `infralens-core/src/ops/repeat_kv.rs`: the same rules, in the compiler's words.

use super::{Infer, Shape, call_span, type_arg};

impl Infer<'_> {
    /// `k.repeat_kv::<H>()`: the key/value heads repeated to the query heads.
    pub(super) fn repeat_kv(&mut self, m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        let call_span = call_span(m);
        let generics = Self::turbofish(m);
        let h = type_arg(&generics, 0)?;
        self.heads_axis(call_span, &recv[1])?;
        if !self.divides(&recv[1], &h) {
            self.heads_not_shared(call_span, &recv[1], &h);
            return None;
        }
        Some(vec![recv[0].clone(), h, recv[2].clone(), recv[3].clone()])
    }
}
