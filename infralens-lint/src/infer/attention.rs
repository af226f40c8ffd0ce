//! `scaled_dot_product_attention` and `grouped_query_attention`: queries, keys and values that pair up.
//!
//! The lint's side of `infralens-core/src/ops/attention.rs`: the same rules, in the compiler's words.

use super::{Infer, Shape, product};
use infralens_core::rules;
use proc_macro2::Span;
use syn::Expr;
use syn::spanned::Spanned;

impl Infer<'_> {
    /// `scaled_dot_product_attention(&q, &k, &v, mask)` (`name`) or
    /// `grouped_query_attention`: `q (B, H, S, Dh)`, `k (B, Hk, T, Dh)`, `v (B, Hk, T, Dv)`
    /// pair up; `(B, H, S, Dv)`, and `QKᵀ`'s and `P·V`'s FLOPs.
    pub(super) fn attention(&mut self, name: &str, args: &[&Expr]) -> Option<Shape> {
        let q = self.infer(args[0])?;
        let k = self.infer(args[1])?;
        let v = self.infer(args[2])?;
        let spans = [args[0].span(), args[1].span(), args[2].span()];
        let reported = self.findings.len();
        let out = self.attention_of(name, spans, [q, k, v], args.get(3).copied());
        // One bug, one finding: a shape already broken is the finding.
        if self.findings.len() == reported {
            self.stale_keys(args[1], args[2]);
        }
        out
    }

    /// [`Infer::attention`] on inferred shapes: `spans` of the queries, keys and values.
    pub(super) fn attention_of(
        &mut self,
        name: &str,
        spans: [Span; 3],
        [q, k, v]: [Shape; 3],
        mask: Option<&Expr>,
    ) -> Option<Shape> {
        if q.len() != 4 || k.len() != 4 || v.len() != 4 {
            return None;
        }
        self.heads_axis(spans[0], &q[1])?;
        if k[0] != q[0] {
            self.unpaired(spans[1], &q[0], &k[0]);
            return None;
        }
        if name == "scaled_dot_product_attention" && k[1] != q[1] {
            self.broke(
                spans[1],
                &rules::ATTENTION_HEADS,
                &[("H", &q[1]), ("Self", &k[1])],
            );
            return None;
        }
        if name == "grouped_query_attention" && !self.divides(&k[1], &q[1]) {
            self.heads_not_shared(spans[1], &k[1], &q[1]);
            return None;
        }
        if k[3] != q[3] {
            self.unpaired(spans[1], &q[3], &k[3]);
            return None;
        }
        // `ValuesMatchKeys`: the values' batch, then heads, are the keys'.
        if let Some(i) = (0..2).find(|&i| v[i] != k[i]) {
            self.broke(
                spans[2],
                &rules::VALUES_MATCH_KEYS,
                &[("Key", &k[i]), ("Self", &v[i])],
            );
            return None;
        }
        if v[2] != k[2] {
            self.broke(
                spans[2],
                &rules::KEY_VALUE_LENGTH,
                &[("T", &k[2]), ("Self", &v[2])],
            );
            return None;
        }
        if let (Some(b), Some(h), Some(s), Some(t), Some(dh), Some(dv)) = (
            self.size(&q[0]),
            self.size(&q[1]),
            self.size(&q[2]),
            self.size(&k[2]),
            self.size(&q[3]),
            self.size(&v[3]),
        ) {
            let width = product(&[2, b, h, s, t]);
            self.add_flops(width.saturating_mul(u128::from(dh) + u128::from(dv)));
        }
        if let Some(mask) = mask {
            self.mask_alignment(mask, &q[2], &k[2]);
        }
        Some(vec![q[0].clone(), q[1].clone(), q[2].clone(), v[3].clone()])
    }

    /// `AttentionPair`: a key dim must be the query's.
    pub(super) fn unpaired(&mut self, span: Span, query: &str, keys: &str) {
        self.broke(
            span,
            &rules::ATTENTION_PAIR,
            &[("Query", query), ("Self", keys)],
        );
    }

    /// `DividesHeads`: the key/value heads divide the query heads.
    pub(super) fn heads_not_shared(&mut self, span: Span, hkv: &str, h: &str) {
        self.broke(span, &rules::KV_HEADS_DIVIDE, &[("Self", hkv), ("H", h)]);
    }

    /// `small` divides `big`, as far as the sizes are known: a dim without a single known
    /// size is the compiler's to judge, not a finding.
    pub(super) fn divides(&self, small: &str, big: &str) -> bool {
        match (self.size(small), self.size(big)) {
            (Some(s), Some(b)) => s != 0 && b % s == 0,
            _ => true,
        }
    }

    /// `Mask::CausalTopLeft` for queries `s` and keys `t` that are different dims: the
    /// decoding case it gets wrong, refused by the compiler (`MaskFor`). The value is still
    /// followed.
    pub(super) fn mask_alignment(&mut self, mask: &Expr, s: &str, t: &str) {
        let Expr::Path(p) = mask else { return };
        let last = p.path.segments.last().map(|s| s.ident.to_string());
        if last.as_deref() != Some("CausalTopLeft") || s == t {
            return;
        }
        self.broke(mask.span(), &rules::MASK_ALIGNMENT, &[("S", s), ("T", t)]);
        self.fix_last_at(
            self.src.positions(mask.span()),
            "the decoding mask, aligned bottom-right: `Mask::Causal`".to_owned(),
            "Mask::Causal".to_owned(),
        );
    }
}
