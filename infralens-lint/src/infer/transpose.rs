//! Swapping two axes.
//!
//! The lint's side of `infralens-core/src/ops/transpose.rs`: the same rules, in the compiler's words.

use super::{Infer, Shape, call_span, tuple};
use infralens_core::rules;
use syn::{Expr, GenericArgument};

impl Infer<'_> {
    /// `x.transpose::<I, J>()`: two axes of the shape swapped.
    pub(super) fn transpose(&mut self, m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        let call_span = call_span(m);
        let generics = Self::turbofish(m);
        let axis = |i: usize| -> Option<usize> {
            match generics.get(i) {
                Some(GenericArgument::Const(Expr::Lit(l))) => match &l.lit {
                    syn::Lit::Int(n) => n.base10_parse().ok(),
                    _ => None,
                },
                _ => None,
            }
        };
        let (i, j) = (axis(0)?, axis(1)?);
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
