//! RoPE: positions on the rows axis, a table as wide as the rows.
//!
//! The lint's side of `infralens-core/src/ops/rope.rs`: the same rules, in the compiler's words.

use super::{Field, Infer, Shape, call_span};
use infralens_core::rules;
use syn::spanned::Spanned;

impl Infer<'_> {
    /// `x.rope(&rope, offset)`: positions on the rows axis, the table as wide as the rows.
    pub(super) fn rope_method(&mut self, m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        let call_span = call_span(m);
        let rows = &recv[recv.len() - 2];
        self.axis_kind(call_span, rows, "Sequence", &rules::POSITIONS_AXIS_KIND)?;
        if let Some(Field::Rope { width, .. }) = self.field(&m.args[0]) {
            let col = recv.last()?;
            if *col != width {
                self.broke(
                    m.args[0].span(),
                    &rules::ROPE_WIDTH,
                    &[("Self", &width), ("Dh", col)],
                );
                return None;
            }
        }
        Some(recv)
    }
}
