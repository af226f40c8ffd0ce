//! Products: the contracted dims agree, the batch dims too; FLOPs and weights counted.
//!
//! The lint's side of `infralens-core/src/ops/matmul.rs`: the same rules, in the compiler's words.

use super::{Infer, Shape, product, tuple};
use infralens_core::rules;
use proc_macro2::Span;
use syn::Expr;
use syn::spanned::Spanned;

impl Infer<'_> {
    /// `x.t()`: the last two axes swapped.
    pub(super) fn t(&mut self, _m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        let mut out = recv;
        let n = out.len();
        out.swap(n - 1, n - 2);
        Some(out)
    }

    /// `x.matmul(&w)`: the product, with a fix when the operand read transposed would do.
    pub(super) fn matmul_method(&mut self, m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        let arg = &m.args[0];
        let rhs = self.infer(arg)?;
        let reported = self.findings.len();
        let out = self.matmul(arg.span(), &recv, &rhs);
        if out.is_some() && rhs.len() > 2 {
            self.scores_over_heads(m, &recv)?;
        }
        if out.is_some()
            && let Some(width) = recv.last().cloned()
        {
            let at = self.src.positions(m.span());
            if rhs.len() == 2 && rhs[0] == rhs[1] {
                self.square_weight(arg, &rhs[0]);
            }
            let keys_axis = (rhs.len() > 2).then(|| recv.len() - 1);
            self.contracted_at.insert(
                at,
                super::Scores {
                    contracted: width.clone(),
                    keys_axis,
                },
            );
            // Queries scaled by hand on their way in: `q.scale(1.0 / (Dh::SIZE as f32).sqrt())`.
            let mut left = &*m.receiver;
            while let Expr::Paren(p) = left {
                left = &p.expr;
            }
            if let Expr::MethodCall(s) = left
                && s.method == "scale"
                && let Some((at, used)) = s.args.first().and_then(super::elementwise::sqrt_of_dim)
            {
                self.scaled_by(at, &used, &width)?;
            }
        }
        // A weight stored the other way round, or keys not read transposed: the
        // product holds once the operand is read transposed.
        let (n, l) = (rhs.len(), recv.len());
        if out.is_none()
            && self.findings.len() == reported + 1
            && n >= 2
            && l >= 2
            && recv[l - 1] == rhs[n - 1]
            && (n == 2 || recv[..l - 2] == rhs[..n - 2])
        {
            let fixed = self.transposed(arg);
            let what = if n == 2 { "the weight" } else { "the keys" };
            self.fix_last(
                arg.span(),
                format!("read {what} transposed: `{fixed}`"),
                fixed,
            );
        }
        out
    }

    pub(super) fn matmul(&mut self, span: Span, lhs: &[String], rhs: &[String]) -> Option<Shape> {
        if lhs.len() < 2 || rhs.len() < 2 {
            return None;
        }
        let (k_left, k_right) = (&lhs[lhs.len() - 1], &rhs[rhs.len() - 2]);
        if k_left != k_right {
            // The compiler's `Contracts` (a weight) or `ContractsScores` (batched).
            let rule = if rhs.len() == 2 {
                &rules::MATMUL_CONTRACTION
            } else {
                &rules::SCORES_CONTRACTION
            };
            self.broke(span, rule, &[("Left", k_left), ("Self", k_right)]);
            return None;
        }
        let (lb, rb) = (&lhs[..lhs.len() - 2], &rhs[..rhs.len() - 2]);
        if !rb.is_empty() && lb != rb {
            self.broke(
                span,
                &rules::MATMUL_BATCH,
                &[("Left", &tuple(lb)), ("Self", &tuple(rb))],
            );
            return None;
        }
        let mut out = lhs[..lhs.len() - 1].to_vec();
        out.push(rhs[rhs.len() - 1].clone());
        // `2·M·N·K`: every size of the left operand, and the right operand's last.
        if let Some(mut factors) = lhs
            .iter()
            .chain(rhs.last())
            .map(|d| self.size(d))
            .collect::<Option<Vec<u64>>>()
        {
            factors.push(2);
            self.add_flops(product(&factors));
        }
        if rb.is_empty()
            && let Some(sizes) = rhs
                .iter()
                .map(|d| self.size(d))
                .collect::<Option<Vec<u64>>>()
        {
            let p = product(&sizes);
            self.cost.params = Some(self.cost.params.unwrap_or(0).saturating_add(p));
            self.pending.params = Some(self.pending.params.unwrap_or(0).saturating_add(p));
        }
        Some(out)
    }

    /// Batched scores whose rows are a heads axis (`(B, S, H, Dh)·(B, S, Dh, H)`): heads
    /// split but never transposed, so attention pairs heads with heads. Kinds are declared,
    /// so the lint sees it where no bound does (code generic over the dims included).
    fn scores_over_heads(&mut self, m: &syn::ExprMethodCall, lhs: &[String]) -> Option<()> {
        let rows = &lhs[lhs.len() - 2];
        if self.kind(rows) != Some(Some("Heads")) {
            return Some(());
        }
        let message = format!(
            "attention scores over the heads: the rows of this batched product are `{rows}`, declared a heads axis, so each head's scores pair heads with heads instead of positions with positions"
        );
        let mut d = self
            .src
            .diagnostic(super::call_span(m), "scores-axis-kind", &message);
        d.label = Some(format!("rows of `{rows}`, a heads axis"));
        d.notes.push(
            "split the heads and move them before the positions, `(B, S, D) → (B, H, S, Dh)`: `split_heads::<H, Dh>()` does both (`split_last` alone keeps `(B, S, H, Dh)`)"
                .to_owned(),
        );
        d.lab = Some("03".to_owned());
        self.findings.push(d);
        None
    }

    /// A square weight read raw from a checkpoint and multiplied in: its shape `(D, D)`
    /// cannot tell `(out, in)` from `(in, out)`, so the wrong way round compiles and gives
    /// wrong numbers. A warning, with the two ways to make the orientation part of the type.
    fn square_weight(&mut self, arg: &Expr, dim: &str) {
        let mut inner = arg;
        loop {
            inner = match inner {
                Expr::Reference(r) => &r.expr,
                Expr::Paren(p) => &p.expr,
                Expr::MethodCall(m) if m.method == "t" => &m.receiver,
                _ => break,
            };
        }
        let Expr::Path(p) = inner else { return };
        let Some(name) = p.path.get_ident().map(ToString::to_string) else {
            return;
        };
        if !self.square_weights.contains(&name) {
            return;
        }
        let message = format!(
            "the weight `{name}` is square, `({dim}, {dim})`: read raw from a checkpoint, its shape cannot tell `nn.Linear`'s `(out, in)` from `Conv1D`'s `(in, out)`, so either way compiles"
        );
        let mut d = self.src.diagnostic(arg.span(), "square-weight", &message);
        d.severity = crate::diag::Severity::Warning;
        d.label = Some(format!("`({dim}, {dim})` either way round"));
        d.notes.push(format!(
            "load it as the layer it is, which knows its stored orientation: `ckpt.linear::<{dim}, {dim}>(\"…\")` (or `conv1d`), and call `forward`; or give the output width a dim of its own (`pub Dq = H * Dh;`) so that `({dim}, Dq)` and `(Dq, {dim})` differ"
        ));
        d.lab = Some("01".to_owned());
        self.findings.push(d);
    }
}
