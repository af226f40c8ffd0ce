//! Splitting `D` into heads and merging them back: `H × Dh = D`, heads on axis 1.
//!
//! The lint's side of `infralens-core/src/ops/heads.rs`: the same rules, in the compiler's words.

use super::{Infer, Shape, call_span, type_arg};
use infralens_core::rules;
use proc_macro2::Span;

impl Infer<'_> {
    /// `x.split_last::<H, Dh>()`: the last dim `D` split into `H × Dh`.
    pub(super) fn split_last(&mut self, m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        let call_span = call_span(m);
        let generics = Self::turbofish(m);
        let (h, dh) = (type_arg(&generics, 0)?, type_arg(&generics, 1)?);
        let mut out = recv;
        let d = out.pop()?;
        self.partition(call_span, &h, &dh, &d)?;
        out.extend([h, dh]);
        Some(out)
    }

    /// `x.split_heads::<H, Dh>()`: `(B, S, D)` → `(B, H, S, Dh)`.
    pub(super) fn split_heads(&mut self, m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        let call_span = call_span(m);
        let generics = Self::turbofish(m);
        let (h, dh) = (type_arg(&generics, 0)?, type_arg(&generics, 1)?);
        self.partition(call_span, &h, &dh, &recv[2])?;
        Some(vec![recv[0].clone(), h, recv[1].clone(), dh])
    }

    /// `x.merge_heads::<D>()`: `(B, H, S, Dh)` → `(B, S, D)`.
    pub(super) fn merge_heads(&mut self, m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        let call_span = call_span(m);
        let generics = Self::turbofish(m);
        let d = type_arg(&generics, 0)?;
        self.heads_axis(call_span, &recv[1])?;
        self.partition(call_span, &recv[1], &recv[3], &d)?;
        Some(vec![recv[0].clone(), recv[2].clone(), d])
    }

    /// `H × Dh = D`, checked when all three sizes are known.
    pub(super) fn partition(&mut self, span: Span, h: &str, dh: &str, d: &str) -> Option<()> {
        if let (Some(hs), Some(dhs), Some(ds)) = (self.size(h), self.size(dh), self.size(d))
            && hs.checked_mul(dhs) != Some(ds)
        {
            self.broke(
                span,
                &rules::HEADS_PARTITION,
                &[("H", h), ("Dh", dh), ("Self", d)],
            );
            self.sizes_note(&[(h, hs), (dh, dhs), (d, ds)]);
            // The head width written as a number in this file, and no width declared as
            // `H * Dh` (a model that sets its head width on its own, as Qwen3, declares
            // one): the heads are meant to share the model width.
            // Not when the head width named is the model width or the head count itself
            // (`split_heads::<H, D>()`: the call names the wrong dim, and `D = D / H`
            // would be no fix).
            if let Some(&(start, end)) = self.decls.literals.get(dh)
                && dh != d
                && dh != h
                && !self.decls.has_product(h, dh)
                && hs > 0
                && ds % hs == 0
            {
                self.fix_last_at(
                    (start, end),
                    format!(
                        "the heads share the model width: declare `{dh} = {d} / {h}` (= {})",
                        ds / hs
                    ),
                    format!("{d} / {h}"),
                );
            }
            return None;
        }
        Some(())
    }

    /// `HeadsAxis`' rule, in the compiler's words: the dim at axis 1 of `(B, H, S, Dh)` must
    /// be heads (or have no kind).
    pub(super) fn heads_axis(&mut self, span: Span, dim: &str) -> Option<()> {
        self.axis_kind(span, dim, "Heads", &rules::HEADS_AXIS_KIND)
    }
}
