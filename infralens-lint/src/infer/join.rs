//! `cat`, `chunk` and `narrow`: joining, cutting and slicing along an axis.
//!
//! The lint's side of `infralens-core/src/ops/join.rs`: the same rules, in the compiler's words.

use super::{Infer, Shape, call_span, const_arg, single, tuple, type_arg};
use infralens_core::rules;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, GenericArgument, PathArguments};

impl Infer<'_> {
    /// `x.narrow::<I, N>(start, len)`: axis `I` becomes `N`.
    pub(super) fn narrow(&mut self, m: &syn::ExprMethodCall, recv: Shape) -> Option<Shape> {
        let call_span = call_span(m);
        let generics = Self::turbofish(m);
        let axis = const_arg(&generics, 0)?;
        let dim = type_arg(&generics, 1)?;
        if axis >= recv.len() {
            let axis = axis.to_string();
            self.broke(
                call_span,
                &rules::AXIS_RANGE,
                &[("Self", &tuple(&recv)), ("I", &axis)],
            );
            return None;
        }
        let mut out = recv;
        out[axis] = dim;
        Some(out)
    }

    /// `cat::<I, N, _, _, _>(&a, &b)`: the same dims but on axis `I`, where `N` = `a`'s +
    /// `b`'s (checked when the three sizes are known).
    pub(super) fn cat(
        &mut self,
        span: Span,
        path: &syn::PathSegment,
        args: &[&Expr],
    ) -> Option<Shape> {
        let PathArguments::AngleBracketed(generics) = &path.arguments else {
            return None;
        };
        let mut generics = generics.args.iter();
        let axis: usize = match generics.next() {
            Some(GenericArgument::Const(Expr::Lit(l))) => match &l.lit {
                syn::Lit::Int(n) => n.base10_parse().ok()?,
                _ => return None,
            },
            _ => return None,
        };
        let n = match generics.next() {
            Some(GenericArgument::Type(t)) => single(t)?.pop()?,
            _ => return None,
        };
        let (a, b) = (self.infer(args[0])?, self.infer(args[1])?);
        if axis >= a.len() {
            let axis = axis.to_string();
            self.broke(
                span,
                &rules::AXIS_RANGE,
                &[("Self", &tuple(&a)), ("I", &axis)],
            );
            return None;
        }
        let others_differ = a.len() != b.len()
            || a.iter()
                .zip(&b)
                .enumerate()
                .any(|(i, (x, y))| i != axis && x != y);
        if others_differ {
            let axis = axis.to_string();
            self.broke(
                span,
                &rules::CAT_SAME_EXCEPT,
                &[("I", &axis), ("Self", &tuple(&a)), ("Other", &tuple(&b))],
            );
            return None;
        }
        let (x, y) = (&a[axis], &b[axis]);
        if let (Some(xs), Some(ys), Some(ns)) = (self.size(x), self.size(y), self.size(&n))
            && xs.checked_add(ys) != Some(ns)
        {
            self.broke(span, &rules::CAT_SUM, &[("A", x), ("B", y), ("Self", &n)]);
            self.sizes_note(&[(x, xs), (y, ys), (&n, ns)]);
            return None;
        }
        let mut out = a;
        out[axis] = n;
        Some(out)
    }

    /// The shape of each part when `expr` is a `chunk` (or a binding of one).
    pub(crate) fn chunk_parts(&mut self, expr: &Expr) -> Option<Shape> {
        match expr {
            Expr::Path(p) => self.chunks.get(&p.path.get_ident()?.to_string()).cloned(),
            Expr::Reference(r) => self.chunk_parts(&r.expr),
            Expr::Paren(p) => self.chunk_parts(&p.expr),
            Expr::Try(t) => self.chunk_parts(&t.expr),
            // `x.chunk::<Three, D>().try_into().expect("3 parts")`: into an array.
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "try_into" | "expect" | "unwrap"
                ) =>
            {
                self.chunk_parts(&m.receiver)
            }
            Expr::MethodCall(m) if m.method == "chunk" || m.method == "chunk_array" => {
                let recv = self.infer(&m.receiver)?;
                let generics = Self::turbofish(m);
                // `chunk::<Three, D>()`, or `chunk_array::<3, D>()` whose count the compiler
                // names `Parts<3>`.
                let (k, known, part) = match generics.as_slice() {
                    [GenericArgument::Type(k), GenericArgument::Type(part)] => {
                        let k = single(k)?.pop()?;
                        (k.clone(), self.size(&k), single(part)?.pop()?)
                    }
                    [GenericArgument::Const(_), GenericArgument::Type(part)] => {
                        let n = const_arg(&generics, 0)?;
                        (format!("Parts<{n}>"), Some(n as u64), single(part)?.pop()?)
                    }
                    _ => return None,
                };
                let last = recv.last()?.clone();
                if let (Some(ks), Some(ps), Some(ls)) = (known, self.size(&part), self.size(&last))
                    && ks.checked_mul(ps) != Some(ls)
                {
                    // Where the compiler reports it: the tensor being cut.
                    self.broke(
                        m.receiver.span(),
                        &rules::CHUNK_PARTITION,
                        &[("K", &k), ("Part", &part), ("Self", &last)],
                    );
                    self.sizes_note(&[(&k, ks), (&part, ps), (&last, ls)]);
                    return None;
                }
                let mut out = recv;
                *out.last_mut()? = part;
                Some(out)
            }
            _ => None,
        }
    }
}
