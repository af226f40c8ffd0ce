//! Element-wise ops between tensors: the smaller one's dims are the larger one's last.
//!
//! The lint's side of `infralens-core/src/ops/broadcast.rs`: the same rules, in the compiler's words.

use super::{Infer, Shape, tuple};
use infralens_core::rules;
use syn::spanned::Spanned;

impl Infer<'_> {
    /// `a.add(&b)`, `sub`, `mul`: `b`'s dims are `a`'s last ones.
    pub(super) fn broadcast(&mut self, m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        let rhs = self.infer(&m.args[0])?;
        if rhs.len() > recv.len() || recv[recv.len() - rhs.len()..] != rhs[..] {
            self.broke(
                m.args[0].span(),
                &rules::BROADCAST,
                &[("Small", &tuple(&rhs)), ("Self", &tuple(&recv))],
            );
            return None;
        }
        Some(recv)
    }
}
