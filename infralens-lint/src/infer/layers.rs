//! Layers and tables built by a `let`: `Linear`, `Conv1D`, norms, `Rope`.
//!
//! The lint's side of `infralens-core/src/layers.rs`: the same rules, in the compiler's words.

use super::{Field, Infer, Shape, call_span, single, tuple};
use infralens_core::rules;
use syn::spanned::Spanned;
use syn::{Expr, GenericArgument, PathArguments};

impl Infer<'_> {
    /// `layer.forward(&x)` of a projection (`(…, In) → (…, Out)`, its weight's FLOPs and
    /// parameters) or a norm (`(…, D)` unchanged).
    pub(super) fn forward(&mut self, m: &syn::ExprMethodCall, layer: Field) -> Option<Shape> {
        let call_span = call_span(m);
        match layer {
            Field::Projection { input, output } => {
                let x = self.infer(&m.args[0])?;
                let weight = [input, output];
                self.matmul(call_span, &x, &weight)
            }
            Field::Mlp { width, hidden } => {
                // `down(silu(gate(x)) · up(x))`: the gate's and the up projection's, then the
                // down projection's.
                let x = self.infer(&m.args[0])?;
                let h = self.matmul(call_span, &x, &[width.clone(), hidden.clone()])?;
                self.matmul(call_span, &x, &[width.clone(), hidden.clone()])?;
                self.matmul(call_span, &h, &[hidden, width])
            }
            Field::Norm(d) => {
                let x = self.infer(&m.args[0])?;
                let last = x.last()?;
                if *last != d {
                    self.broke(
                        m.args[0].span(),
                        &rules::NORM_WIDTH,
                        &[("Self", &d), ("Last", last)],
                    );
                    return None;
                }
                Some(x)
            }
            _ => None,
        }
    }

    /// The layer or table a `let` builds: `Linear::new(w, b)` (weight `(Out, In)`),
    /// `Conv1D::new(w, b)` (`(In, Out)`), `RmsNorm::new(w, eps)`, `LayerNorm::new(w, b, eps)`,
    /// `Rope::<T, Dh>::new(…)`; with `declared`, the type the `let` writes, whose weight
    /// layout the value must have.
    pub(crate) fn layer(&mut self, init: &Expr, declared: Option<&Field>) -> Option<Field> {
        let Expr::Call(c) = init else {
            return declared.cloned();
        };
        let Expr::Path(f) = &*c.func else {
            return declared.cloned();
        };
        let segments = &f.path.segments;
        if segments.len() < 2 || segments[segments.len() - 1].ident != "new" {
            return declared.cloned();
        }
        let ty = &segments[segments.len() - 2];
        let kind = ty.ident.to_string();
        let turbofish: Vec<String> = match &ty.arguments {
            PathArguments::AngleBracketed(a) => a
                .args
                .iter()
                .filter_map(|g| match g {
                    GenericArgument::Type(t) => single(t)?.pop(),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let built = match kind.as_str() {
            "KvCache" => match turbofish.as_slice() {
                [batch, heads, _, width, ..] => {
                    // `CacheHeads`: the cache is heads-first, `(B, Hkv, C, Dh)`.
                    self.axis_kind(c.func.span(), heads, "Heads", &rules::CACHE_HEADS_FIRST)?;
                    Some(Field::Cache {
                        batch: batch.clone(),
                        heads: heads.clone(),
                        width: width.clone(),
                    })
                }
                _ => None,
            },
            "Rope" => match turbofish.as_slice() {
                [positions, width, ..] => {
                    // `HeadWidthAxis`: a table for the width of one head.
                    self.axis_kind(c.func.span(), width, "HeadWidth", &rules::ROPE_TABLE_KIND)?;
                    // `EvenWidth`: the lanes rotate in pairs.
                    if self.size(width).is_some_and(|w| w % 2 == 1) {
                        self.broke(c.span(), &rules::ROPE_EVEN_WIDTH, &[("Self", width)]);
                        return None;
                    }
                    Some(Field::Rope {
                        positions: positions.clone(),
                        width: width.clone(),
                    })
                }
                _ => None,
            },
            "Linear" | "Conv1D" | "RmsNorm" | "LayerNorm" if !c.args.is_empty() => {
                let Some(weight) = self.infer(&c.args[0]) else {
                    return declared.cloned();
                };
                let built = match (kind.as_str(), weight.as_slice()) {
                    ("Linear", [out, input]) => Field::Projection {
                        input: input.clone(),
                        output: out.clone(),
                    },
                    ("Conv1D", [input, out]) => Field::Projection {
                        input: input.clone(),
                        output: out.clone(),
                    },
                    ("RmsNorm" | "LayerNorm", [d]) => Field::Norm(d.clone()),
                    _ => return None,
                };
                if let (
                    Some(Field::Projection { input, output }),
                    Field::Projection {
                        input: got_in,
                        output: got_out,
                    },
                ) = (declared, &built)
                    && (input, output) != (got_in, got_out)
                {
                    let stored = if kind == "Linear" {
                        format!("({output}, {input})")
                    } else {
                        format!("({input}, {output})")
                    };
                    let layout = if kind == "Linear" {
                        "(out, in), as PyTorch's `nn.Linear`"
                    } else {
                        "(in, out), as GPT-2's `Conv1D`"
                    };
                    self.broke(
                        c.args[0].span(),
                        &rules::LAYER_LAYOUT,
                        &[
                            ("Layer", &kind),
                            ("In", input),
                            ("Out", output),
                            ("Stored", &stored),
                            ("Layout", layout),
                            ("Found", &tuple(&weight)),
                        ],
                    );
                    return None;
                }
                Some(built)
            }
            _ => None,
        };
        built.or_else(|| declared.cloned())
    }

    /// A struct built field by field: a table or a cache built in place for a field whose
    /// type names its dims (`rope: Rope::new(…)` for `rope: Rope<MaxPos, D>`) is checked as
    /// `Rope::new` and `KvCache::new` check it; every field's value is followed.
    pub(super) fn struct_literal(&mut self, s: &syn::ExprStruct) {
        let name = s.path.segments.last().map(|l| l.ident.to_string());
        let name = match name.as_deref() {
            Some("Self") => self.self_type.clone(),
            other => other.map(str::to_owned),
        };
        let fields = name.and_then(|n| {
            self.own_structs
                .get(&n)
                .or_else(|| self.structs.get(&n))
                .cloned()
        });
        for f in &s.fields {
            let syn::Member::Named(member) = &f.member else {
                self.infer(&f.expr);
                continue;
            };
            let built = match &f.expr {
                Expr::Call(c) => match &*c.func {
                    Expr::Path(p) => {
                        let segs: Vec<String> = p
                            .path
                            .segments
                            .iter()
                            .map(|s| s.ident.to_string())
                            .collect();
                        match segs.as_slice() {
                            [.., ty, new] if new == "new" => Some((ty.clone(), c)),
                            _ => None,
                        }
                    }
                    _ => None,
                },
                _ => None,
            };
            let field = fields.as_ref().and_then(|fs| fs.get(&member.to_string()));
            // The dim `new` checks the kind of: a table's width, a cache's heads.
            let checked = match (built, field) {
                (Some((ty, c)), Some(Field::Rope { width, .. })) if ty == "Rope" => {
                    Some((c, width.clone(), "HeadWidth", &rules::ROPE_TABLE_KIND))
                }
                (Some((ty, c)), Some(Field::Cache { heads, .. })) if ty == "KvCache" => {
                    Some((c, heads.clone(), "Heads", &rules::CACHE_HEADS_FIRST))
                }
                _ => None,
            };
            if let Some((c, dim, kind, rule)) = checked
                && self.axis_kind(c.func.span(), &dim, kind, rule).is_none()
            {
                continue;
            }
            self.infer(&f.expr);
        }
    }
}
