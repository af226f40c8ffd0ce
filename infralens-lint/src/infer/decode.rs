//! Decode-time bugs no shape can see, in a function that decodes with a KV cache:
//! positions written by hand (`rope(&table, 0)`, a position table read from row 0), and
//! attention fed the keys and values just appended instead of the cache's views.
//!
//! The lint's side of `KvCache::positions`, `Tensor::rope_at`, `Tensor::at_positions`
//! and `KvCache::attend` (`infralens-core/src/ops/{cache,positions}.rs`).

use super::Infer;
use crate::diag::Severity;
use syn::Expr;
use syn::spanned::Spanned;

/// The plain name an argument reads: `k` of `&k`, `(k)`, `k.clone()`.
pub(super) fn read_name(arg: &Expr) -> Option<String> {
    match arg {
        Expr::Reference(r) => read_name(&r.expr),
        Expr::Paren(p) => read_name(&p.expr),
        Expr::MethodCall(m) if m.method == "clone" => read_name(&m.receiver),
        Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        _ => None,
    }
}

/// An integer literal: the fixed offset of `rope(&table, 0)`.
fn literal(arg: &Expr) -> Option<String> {
    match arg {
        Expr::Lit(l) => match &l.lit {
            syn::Lit::Int(n) => Some(n.base10_digits().to_owned()),
            _ => None,
        },
        Expr::Paren(p) => literal(&p.expr),
        _ => None,
    }
}

impl Infer<'_> {
    /// `q.rope(&table, 0)` (an offset written as a number) where the function decodes with
    /// a KV cache: every step after the first rotates its rows as positions `0..`.
    pub(super) fn rope_offset(&mut self, m: &syn::ExprMethodCall, rows: &str) {
        if !self.decoding || m.method != "rope" {
            return;
        }
        let Some(offset) = m.args.get(1).and_then(literal) else {
            return;
        };
        let message = format!(
            "RoPE at the fixed offset {offset} in a function that decodes with a KV cache: the new `{rows}` rows come after the cached ones, at positions `cache.len()..`"
        );
        let label = format!("every step rotates its `{rows}` rows as positions {offset}..");
        let table = self.src.text_of(m.args[0].span()).to_owned();
        let note = format!(
            "take the positions from the cache, before appending: `let at = cache.positions::<{rows}>(n)?;` then `.rope_at({table}, &at)?`"
        );
        self.decode_finding(m.args[1].span(), message, label, note);
    }

    /// `wpe.narrow::<0, S>(0, s)`: a learned position table `(P, D)` read from row 0 where
    /// the function decodes with a KV cache.
    pub(super) fn position_rows(&mut self, m: &syn::ExprMethodCall, recv: &[String]) {
        if !self.decoding || recv.len() != 2 {
            return;
        }
        let generics = Self::turbofish(m);
        let (Some(0), Some(rows), Some(start)) = (
            super::const_arg(&generics, 0),
            super::type_arg(&generics, 1),
            m.args.first().and_then(literal),
        ) else {
            return;
        };
        let table = &recv[0];
        let message = format!(
            "rows {start}.. of the position table `({table}, {})` in a function that decodes with a KV cache: the new `{rows}` rows come after the cached ones, at positions `cache.len()..`",
            recv[1]
        );
        let label = format!("every step adds the embeddings of positions {start}..");
        let note = format!(
            "take the positions from the cache, before appending: `table.at_positions(&cache.positions::<{rows}>(n)?)?`"
        );
        self.decode_finding(m.args[0].span(), message, label, note);
    }

    /// Attention fed keys or values (`k`, `v`) appended to a KV cache earlier in this
    /// function: it attends to the new positions only, not to the cache. One finding for
    /// both.
    pub(super) fn stale_keys(&mut self, k: &Expr, v: &Expr) {
        let stale = |arg: &Expr| read_name(arg).filter(|n| self.appended.contains(n));
        let (what, name, span) = match (stale(k), stale(v)) {
            (Some(kn), Some(vn)) => (
                "keys and values",
                format!("`{kn}`, `{vn}`"),
                k.span().join(v.span()).unwrap_or(k.span()),
            ),
            (Some(kn), None) => ("keys", format!("`{kn}`"), k.span()),
            (None, Some(vn)) => ("values", format!("`{vn}`"), v.span()),
            (None, None) => return,
        };
        let message = format!(
            "attention reads the new {what} {name} that were just appended to the KV cache: it sees this step's positions only, not the cache's"
        );
        let label = format!("this step's {what} only");
        let note = "attend to the views `append` hands back — `let (keys, values) = cache.append::<S, T>(&k, &v)?;` — or append and attend in one step: `cache.attend(&q, &k, &v, mask)?`".to_owned();
        let mut d = self.src.diagnostic(span, "stale-keys", &message);
        d.label = Some(label);
        d.notes.push(note);
        d.lab = Some("05".to_owned());
        self.findings.push(d);
    }

    /// A `decode-positions` warning.
    fn decode_finding(
        &mut self,
        span: proc_macro2::Span,
        message: String,
        label: String,
        note: String,
    ) {
        let mut d = self.src.diagnostic(span, "decode-positions", &message);
        d.severity = Severity::Warning;
        d.label = Some(label);
        d.notes.push(note);
        d.lab = Some("06".to_owned());
        self.findings.push(d);
    }
}
