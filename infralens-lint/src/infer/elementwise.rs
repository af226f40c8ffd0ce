//! Element-wise ops with a rule: the attention scale's width.
//!
//! The lint's side of `infralens-core/src/ops/elementwise.rs`: the same rules, in the compiler's words.

use super::{Infer, Shape, call_span, type_arg};
use infralens_core::rules;
use syn::spanned::Spanned;

impl Infer<'_> {
    /// `q.attention_scale::<Dh>()`: scaled by the width of its own last axis.
    pub(super) fn attention_scale(
        &mut self,
        m: &syn::ExprMethodCall,
        recv: Shape,
    ) -> Option<Shape> {
        let call_span = call_span(m);
        let generics = Self::turbofish(m);
        let w = type_arg(&generics, 0)?;
        let col = recv.last()?.clone();
        if w != col {
            self.broke(call_span, &rules::SCALE_WIDTH, &[("W", &col), ("Self", &w)]);
            if let Some(g) = generics.first() {
                self.fix_last(
                    g.span(),
                    format!("scale by the head width: `attention_scale::<{col}>()`"),
                    col,
                );
            }
            return None;
        }
        Some(recv)
    }
}
