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
        if out.is_some()
            && let Some(width) = recv.last().cloned()
        {
            let at = self.src.positions(m.span());
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
}
