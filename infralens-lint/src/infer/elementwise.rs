//! Element-wise ops with a rule: the attention scale's width.
//!
//! The lint's side of `infralens-core/src/ops/elementwise.rs`: the same rules, in the compiler's words.

use super::{Infer, Shape, call_span, type_arg};
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
        let Some(width) = self.contracted_of(&m.receiver) else {
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

    /// The dim the product `expr` holds contracted, through `&`, `( )`, masks and biases.
    pub(crate) fn contracted_of(&self, expr: &Expr) -> Option<String> {
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
                    "causal_mask" | "masked" | "add_bias" | "clone"
                ) =>
            {
                self.contracted_of(&m.receiver)
            }
            _ => None,
        }
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
