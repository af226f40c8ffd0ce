//! Element-wise ops with a rule: the attention scale's width.
//!
//! The lint's side of `infralens-core/src/ops/elementwise.rs`: the same rules, in the compiler's words.

use super::{Infer, Scores, Shape, call_span, const_arg, tuple, type_arg};
use infralens_core::rules;
use proc_macro2::Span;
use syn::Expr;
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

    /// `scores.softmax_over::<T>()`: `T` is the last dim (`SoftmaxOver`).
    pub(super) fn softmax_over(&mut self, m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        let generics = Self::turbofish(m);
        let t = type_arg(&generics, 0)?;
        let last = recv.last()?.clone();
        if t != last {
            self.broke(
                call_span(m),
                &rules::SOFTMAX_OVER,
                &[("T", &t), ("Self", &last)],
            );
            return None;
        }
        Some(recv)
    }

    /// `x.scale(1.0 / (D::SIZE as f32).sqrt())`: a scale computed by hand from a dim. On
    /// the scores (a product) it must read the width that product contracted, on the
    /// queries a product then reads, the width it contracts — `attention_scale`'s rule,
    /// which the compiler cannot see inside a number.
    pub(super) fn scale(&mut self, m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        let Some((at, used)) = m.args.first().and_then(sqrt_of_dim) else {
            return Some(recv);
        };
        // The scores of a product seen here (the queries' scale is checked by the product
        // that reads them, `Infer::matmul_method`).
        let Some(width) = self.contracted_of(&m.receiver).map(|s| s.contracted) else {
            return Some(recv);
        };
        self.scaled_by(at, &used, &width)?;
        Some(recv)
    }

    /// A hand-written scale at `at` that reads `used`, on a product contracting `width`.
    pub(super) fn scaled_by(&mut self, at: Span, used: &str, width: &str) -> Option<()> {
        if used != width {
            self.broke(at, &rules::SCALE_WIDTH, &[("W", width), ("Self", used)]);
            self.fix_last(
                at,
                format!("scale by the width the scores contract: `{width}::SIZE`"),
                width.to_owned(),
            );
            return None;
        }
        Some(())
    }

    /// What the product `expr` holds is known to be (see [`Scores`]): through `&`, `( )`,
    /// masks, biases and scales; `t()` and `transpose::<I, J>()` move the keys' axis.
    pub(crate) fn contracted_of(&self, expr: &Expr) -> Option<Scores> {
        match expr {
            Expr::Reference(r) => self.contracted_of(&r.expr),
            Expr::Paren(p) => self.contracted_of(&p.expr),
            Expr::Path(p) => self
                .contracted_vars
                .get(&p.path.get_ident()?.to_string())
                .cloned(),
            Expr::MethodCall(m) if m.method == "matmul" => self
                .contracted_at
                .get(&self.src.positions(m.span()))
                .cloned(),
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "causal_mask" | "masked" | "add_bias" | "clone" | "scale" | "attention_scale"
                ) =>
            {
                self.contracted_of(&m.receiver)
            }
            Expr::MethodCall(m) if m.method == "t" || m.method == "transpose" => {
                let mut scores = self.contracted_of(&m.receiver)?;
                let rank = self.env_rank(&m.receiver)?;
                let (i, j) = if m.method == "t" {
                    (rank.checked_sub(2)?, rank - 1)
                } else {
                    let g = Self::turbofish(m);
                    (const_arg(&g, 0)?, const_arg(&g, 1)?)
                };
                scores.keys_axis = scores.keys_axis.map(|k| match k {
                    k if k == i => j,
                    k if k == j => i,
                    k => k,
                });
                Some(scores)
            }
            _ => None,
        }
    }

    /// The rank of a value the lint followed, read from what it holds (no new findings).
    fn env_rank(&self, expr: &Expr) -> Option<usize> {
        match expr {
            Expr::Reference(r) => self.env_rank(&r.expr),
            Expr::Paren(p) => self.env_rank(&p.expr),
            Expr::Path(p) => self.env.get(&p.path.get_ident()?.to_string()).map(Vec::len),
            Expr::MethodCall(m) => self.env_rank(&m.receiver),
            _ => None,
        }
    }

    /// `scores.softmax()`: over the keys, the scores' last axis. Scores whose keys were moved
    /// off it (transposed first) normalise each key's column over the queries.
    pub(super) fn softmax(&mut self, m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        if let Some(Scores {
            keys_axis: Some(keys),
            ..
        }) = self.contracted_of(&m.receiver)
            && keys + 1 != recv.len()
            && let (Some(last), Some(key)) = (recv.last(), recv.get(keys))
        {
            let message = format!(
                "softmax over the queries: it normalises the last axis, `{last}`, but the keys of these scores `{}` are axis {keys}, `{key}`",
                tuple(&recv)
            );
            let mut d = self.src.diagnostic(call_span(m), "softmax-axis", &message);
            d.label = Some(format!("over `{last}`, not the keys `{key}`"));
            d.notes.push("each query's weights over the keys sum to 1: softmax the scores `(…, S, T)` before transposing them, or transpose them back first".to_owned());
            d.lab = Some("03".to_owned());
            self.findings.push(d);
        }
        Some(recv)
    }
}

/// The dim a hand-written scale takes the square root of, and where it names it:
/// `D` in `1.0 / (D::SIZE as f32).sqrt()`, `(D::SIZE as f32).powf(-0.5)` or
/// `f32::sqrt(D::SIZE as f32)`.
pub(super) fn sqrt_of_dim(expr: &Expr) -> Option<(Span, String)> {
    use syn::visit::Visit;
    /// The first `X::SIZE` inside a square root.
    struct Find(Option<(Span, String)>, bool);
    impl<'ast> Visit<'ast> for Find {
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            let root = m.method == "sqrt"
                || (m.method == "powf" && m.args.first().is_some_and(is_minus_half));
            let outer = self.1;
            self.1 |= root;
            syn::visit::visit_expr_method_call(self, m);
            self.1 = outer;
        }
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            let root = matches!(&*c.func, Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "sqrt"));
            let outer = self.1;
            self.1 |= root;
            syn::visit::visit_expr_call(self, c);
            self.1 = outer;
        }
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            let segments = &p.path.segments;
            if self.1 && self.0.is_none() && segments.len() == 2 && segments[1].ident == "SIZE" {
                self.0 = Some((segments[0].ident.span(), segments[0].ident.to_string()));
            }
        }
    }
    fn is_minus_half(e: &Expr) -> bool {
        match e {
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => matches!(
                &*u.expr,
                Expr::Lit(l) if matches!(&l.lit, syn::Lit::Float(f) if f.base10_digits() == "0.5")
            ),
            Expr::Paren(p) => is_minus_half(&p.expr),
            _ => false,
        }
    }
    let mut find = Find(None, false);
    find.visit_expr(expr);
    find.0
}
