//! The KV cache: what `append` takes, the views it hands out.
//!
//! The lint's side of `infralens-core/src/ops/cache.rs`: the same rules, in the compiler's words.

use super::{Field, Infer, Shape, single, tuple};
use infralens_core::rules;
use syn::spanned::Spanned;
use syn::{Expr, GenericArgument};

impl Infer<'_> {
    /// A method of a KV cache: `append::<S, T>(&k, &v)` (checked; its views are bound by
    /// a `let` pattern, see [`Infer::appended`]), `keys::<T>()`, `values::<T>()`.
    pub(super) fn cache_method(&mut self, m: &syn::ExprMethodCall, cache: Field) -> Option<Shape> {
        let Field::Cache {
            batch,
            heads,
            width,
        } = cache
        else {
            return None;
        };
        let name = m.method.to_string();
        if name == "append" {
            self.append(m);
            return None;
        }
        if name == "attend" && m.args.len() == 4 {
            return self.attend(m, [batch, heads, width]);
        }
        if matches!(name.as_str(), "keys" | "values")
            && let [GenericArgument::Type(t)] = Self::turbofish(m).as_slice()
        {
            let len = single(t)?.pop()?;
            return Some(vec![batch, heads, len, width]);
        }
        None
    }

    /// The two views `cache.append::<S, T>(&k, &v)` hands out, `(B, Hkv, T, Dh)` each,
    /// after checking the new keys and values against `(B, Hkv, S, Dh)`; through `?`,
    /// `.expect(…)` and `.unwrap()`. `None` for anything else (or after a finding).
    pub(crate) fn appended(&mut self, expr: &Expr) -> Option<Shape> {
        let m = match expr {
            Expr::Try(t) => return self.appended(&t.expr),
            Expr::Paren(p) => return self.appended(&p.expr),
            Expr::MethodCall(m) if matches!(m.method.to_string().as_str(), "expect" | "unwrap") => {
                return self.appended(&m.receiver);
            }
            Expr::MethodCall(m) => m,
            _ => return None,
        };
        self.append(m)
    }

    /// `cache.attend(&q, &k, &v, mask)`: the new keys and values `(B, Hkv, S, Dh)` appended
    /// (`S` the queries'), then grouped-query attention over everything the cache holds
    /// (its length named `T`, as the compiler's messages name it).
    fn attend(
        &mut self,
        m: &syn::ExprMethodCall,
        [batch, heads, width]: [String; 3],
    ) -> Option<Shape> {
        let q = self.infer(&m.args[0])?;
        let new = q.get(2)?.clone();
        let want = vec![batch.clone(), heads.clone(), new, width.clone()];
        let mut kv = Vec::with_capacity(2);
        for arg in m.args.iter().skip(1).take(2) {
            let got = self.infer(arg)?;
            if got != want {
                self.wrong_argument(arg.span(), "attend", &want, &got);
                return None;
            }
            kv.push(vec![
                batch.clone(),
                heads.clone(),
                "T".to_owned(),
                width.clone(),
            ]);
        }
        let spans = [m.args[0].span(), m.args[1].span(), m.args[2].span()];
        let v = kv.pop()?;
        let k = kv.pop()?;
        self.attention_of(
            "grouped_query_attention",
            spans,
            [q, k, v],
            Some(&m.args[3]),
        )
    }

    /// `cache.append::<S, T>(&k, &v)` itself: see [`Infer::appended`].
    pub(super) fn append(&mut self, m: &syn::ExprMethodCall) -> Option<Shape> {
        if m.method != "append" || m.args.len() != 2 {
            return None;
        }
        let Some(Field::Cache {
            batch,
            heads,
            width,
        }) = self.field(&m.receiver)
        else {
            return None;
        };
        let dims: Vec<String> = Self::turbofish(m)
            .iter()
            .filter_map(|g| match g {
                GenericArgument::Type(t) => single(t)?.pop(),
                _ => None,
            })
            .collect();
        let [new, total] = dims.as_slice() else {
            return None;
        };
        let want = vec![batch.clone(), heads.clone(), new.clone(), width.clone()];
        self.appended
            .extend(m.args.iter().filter_map(super::decode::read_name));
        for arg in &m.args {
            if let Some(got) = self.infer(arg)
                && got != want
            {
                self.broke(
                    arg.span(),
                    &rules::CACHE_ROWS,
                    &[("Rows", &tuple(&want)), ("Self", &tuple(&got))],
                );
                return None;
            }
        }
        Some(vec![batch, heads, total.clone(), width])
    }
}
