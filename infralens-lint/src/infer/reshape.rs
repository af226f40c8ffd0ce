//! Reshapes: as many elements, and the axis kinds in the same order.
//!
//! The lint's side of `infralens-core/src/ops/reshape.rs`: the same rules, in the compiler's words.

use super::{Infer, Shape, call_span, kinds_of, tuple, tuple_type};
use infralens_core::rules;
use syn::GenericArgument;

impl Infer<'_> {
    /// `x.reshape::<T>()`, `reshape_raw`: as many elements; `reshape` keeps the axis kinds' order.
    pub(super) fn reshape(
        &mut self,
        m: &syn::ExprMethodCall,
        name: &str,
        recv: Shape,
    ) -> Option<Shape> {
        let call_span = call_span(m);
        let generics = Self::turbofish(m);
        let target = match generics.first() {
            Some(GenericArgument::Type(t)) => tuple_type(t)?,
            _ => return None,
        };
        if let (Some(a), Some(b)) = (self.numel(&recv), self.numel(&target))
            && a != b
        {
            self.broke(
                call_span,
                &rules::RESHAPE_NUMEL,
                &[("Self", &tuple(&recv)), ("Target", &tuple(&target))],
            );
            self.note_last(format!("{a} elements cannot become {b}"));
            return None;
        }
        if name == "reshape"
            && let (Some(from), Some(to)) = (self.kind_order(&recv), self.kind_order(&target))
            && from != to
        {
            self.broke(
                call_span,
                &rules::RESHAPE_AXIS_ORDER,
                &[("Self", &tuple(&recv)), ("Target", &tuple(&target))],
            );
            return None;
        }
        Some(target)
    }

    /// The kinds of `shape` in a reshape's order, `None` when one is not known.
    pub(super) fn kind_order(&self, shape: &[String]) -> Option<Vec<&'static str>> {
        let mut out = Vec::new();
        for d in shape {
            out.extend(kinds_of(self.kind(d)?)?);
        }
        Some(out)
    }
}
