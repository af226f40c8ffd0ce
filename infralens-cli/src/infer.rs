//! Follows shapes through the core ops without compiling: the lint's view of
//! `x.matmul(&w).split_heads::<H, Dh>()`, with the compiler's own messages when an op's
//! rule is broken.

use crate::diag::Diagnostic;
use crate::source::Source;
use proc_macro2::Span;
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::{Expr, GenericArgument, PathArguments, Type};

/// A shape: dim names, outermost first.
pub type Shape = Vec<String>;

/// `[B, S, D]`, as annotations write shapes; `(B, H)`, as the compiler prints them.
pub(crate) use infralens_syntax::shapes::{bracket_text as show, tuple_text as tuple};

/// The dims of `Tensor<(B, S, D)>` (through `&`), and the element size in bytes.
pub(crate) fn tensor_type(ty: &Type) -> Option<(Shape, usize)> {
    match ty {
        Type::Reference(r) => tensor_type(&r.elem),
        Type::Paren(p) => tensor_type(&p.elem),
        Type::Path(p) => {
            let last = p.path.segments.last()?;
            if last.ident != "Tensor" {
                return None;
            }
            let PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            let mut args = args.args.iter();
            let Some(GenericArgument::Type(shape)) = args.next() else {
                return None;
            };
            let bytes = match args.next() {
                Some(GenericArgument::Type(Type::Path(e))) if e.path.is_ident("f64") => 8,
                _ => 4,
            };
            Some((tuple_type(shape)?, bytes))
        }
        _ => None,
    }
}

/// What a struct field holds, for the lint to follow `self.field` in methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    /// `Tensor<(…)>`: its shape.
    Tensor(Shape),
    /// `Linear<In, Out>` (weight stored `(Out, In)`, transposed in `forward`) or
    /// `Conv1D<In, Out>` (stored `(In, Out)`): either way `(…, In) → (…, Out)`.
    Projection { input: String, output: String },
    /// `RmsNorm<D>` or `LayerNorm<D>`: `(…, D)` unchanged.
    Norm(String),
}

/// The kind of a struct field's type, when it is one the lint follows.
pub(crate) fn field_type(ty: &Type) -> Option<Field> {
    if let Some((shape, _)) = tensor_type(ty) {
        return Some(Field::Tensor(shape));
    }
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let dims: Vec<String> = args
        .args
        .iter()
        .filter_map(|a| match a {
            GenericArgument::Type(Type::Path(t)) => t.path.get_ident().map(ToString::to_string),
            _ => None,
        })
        .collect();
    match (last.ident.to_string().as_str(), dims.as_slice()) {
        ("Linear" | "Conv1D", [input, output, ..]) => Some(Field::Projection {
            input: input.clone(),
            output: output.clone(),
        }),
        ("RmsNorm" | "LayerNorm", [d, ..]) => Some(Field::Norm(d.clone())),
        _ => None,
    }
}

/// The dim names of a tuple type `(B, S, D)`.
pub(crate) fn tuple_type(ty: &Type) -> Option<Shape> {
    match ty {
        Type::Tuple(t) => t
            .elems
            .iter()
            .map(|e| match e {
                Type::Path(p) if p.qself.is_none() => {
                    p.path.segments.last().map(|s| s.ident.to_string())
                }
                _ => None,
            })
            .collect(),
        Type::Paren(p) => tuple_type(&p.elem).or_else(|| single(&p.elem)),
        _ => None,
    }
}

fn single(ty: &Type) -> Option<Shape> {
    match ty {
        Type::Path(p) => p.path.get_ident().map(|i| vec![i.to_string()]),
        _ => None,
    }
}

/// The dims with a known size (`None`: declared with different sizes in different blocks).
pub type Sizes = HashMap<String, Option<u64>>;

/// What one traced expression cost: the matmuls in it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// Floating-point operations of the matmuls, `2·M·N·K` per output matrix; `None`
    /// when a size is unknown.
    pub flops: Option<u64>,
    /// Elements of the rank-2 weights multiplied in.
    pub params: Option<u64>,
}

/// Infers the shapes of expressions in one function.
pub(crate) struct Infer<'a> {
    pub env: HashMap<String, Shape>,
    /// The fields of `self`'s type, in a method.
    pub fields: Option<&'a HashMap<String, Field>>,
    pub sizes: &'a Sizes,
    pub returns: &'a HashMap<String, Shape>,
    pub src: &'a Source,
    pub findings: Vec<Diagnostic>,
    pub cost: Cost,
}

fn join(a: Span, b: Span) -> Span {
    a.join(b).unwrap_or(a)
}

impl<'a> Infer<'a> {
    fn size(&self, name: &str) -> Option<u64> {
        self.sizes.get(name).copied().flatten()
    }

    pub(crate) fn numel(&self, shape: &[String]) -> Option<u64> {
        shape
            .iter()
            .try_fold(1u64, |n, d| n.checked_mul(self.size(d)?))
    }

    fn mismatch(&mut self, span: Span, message: String, label: String, notes: &[&str]) {
        let mut d = self.src.diagnostic(span, "shape-mismatch", &message);
        d.label = Some(label);
        d.notes = notes.iter().map(|n| (*n).to_owned()).collect();
        d.lab = Some("02".to_owned());
        self.findings.push(d);
    }

    /// The shape of `expr`, when the ops in it are known; `None` otherwise (or after
    /// reporting a broken rule, so one mistake gives one finding).
    pub(crate) fn infer(&mut self, expr: &Expr) -> Option<Shape> {
        match expr {
            Expr::Path(p) => self.env.get(&p.path.get_ident()?.to_string()).cloned(),
            Expr::Field(_) => match self.field(expr)? {
                Field::Tensor(shape) => Some(shape.clone()),
                _ => None,
            },
            Expr::Reference(r) => self.infer(&r.expr),
            Expr::Paren(p) => self.infer(&p.expr),
            Expr::Group(g) => self.infer(&g.expr),
            Expr::Try(t) => self.infer(&t.expr),
            Expr::Block(b) => match b.block.stmts.last() {
                Some(syn::Stmt::Expr(e, None)) => self.infer(e),
                _ => None,
            },
            Expr::MethodCall(m) => self.method(m),
            Expr::Call(c) => self.call(c),
            _ => None,
        }
    }

    fn call(&mut self, c: &syn::ExprCall) -> Option<Shape> {
        let Expr::Path(f) = &*c.func else { return None };
        let segments = &f.path.segments;
        let last = segments.last()?;
        let name = last.ident.to_string();
        let args: Vec<&Expr> = c.args.iter().collect();
        match name.as_str() {
            "Ok" | "Some" if args.len() == 1 => self.infer(args[0]),
            "scaled_dot_product_attention" | "grouped_query_attention" if args.len() >= 3 => {
                let q = self.infer(args[0])?;
                let k = self.infer(args[1])?;
                let v = self.infer(args[2])?;
                if q.len() != 4 || k.len() != 4 || v.len() != 4 {
                    return None;
                }
                if name == "scaled_dot_product_attention" && k[1] != q[1] {
                    let (h, hk) = (&q[1], &k[1]);
                    self.mismatch(
                        args[1].span(),
                        format!("shape mismatch: attention pairs the query's heads `{h}` with the keys' `{hk}`; they must be the same dim"),
                        format!("the query has `{h}` heads, the keys have `{hk}`"),
                        &["when the keys and values have fewer heads than the queries (grouped-query attention), `grouped_query_attention` shares each of them with a group of query heads"],
                    );
                    return None;
                }
                if name == "grouped_query_attention" && !self.divides(&k[1], &q[1]) {
                    self.heads_not_shared(args[1].span(), &k[1], &q[1]);
                    return None;
                }
                if k[3] != q[3] {
                    self.unpaired(
                        args[1].span(),
                        (&q[3], &k[3]),
                        "queries, keys and values are `(B, H, S, Dh)`, `(B, H, T, Dh)` and `(B, H, T, Dv)`",
                    );
                    return None;
                }
                if v[2] != k[2] {
                    self.mismatch(
                        args[2].span(),
                        format!(
                            "shape mismatch: keys have length `{}` but values have length `{}`; every key needs its value",
                            k[2], v[2]
                        ),
                        format!("values of length `{}`, keys of length `{}`", v[2], k[2]),
                        &[],
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
                    self.add_flops(2 * b * h * s * t * (dh + dv));
                }
                Some(vec![q[0].clone(), q[1].clone(), q[2].clone(), v[3].clone()])
            }
            // `Tensor::<(B, S, D)>::randn(0)` and the other constructors.
            "zeros" | "ones" | "randn" | "from_fn" | "from_vec" if segments.len() >= 2 => {
                let ty = &segments[segments.len() - 2];
                if ty.ident != "Tensor" {
                    return None;
                }
                let PathArguments::AngleBracketed(a) = &ty.arguments else {
                    return None;
                };
                match a.args.first() {
                    Some(GenericArgument::Type(t)) => tuple_type(t),
                    _ => None,
                }
            }
            _ if segments.len() == 1 => self.returns.get(&name).cloned(),
            _ => None,
        }
    }

    /// `AttentionPair`'s rule, in the compiler's words: a key dim must be the query's.
    fn unpaired(&mut self, span: Span, (query, keys): (&str, &str), note: &str) {
        self.mismatch(
            span,
            format!("shape mismatch: attention pairs the query's `{query}` with the keys' `{keys}`; they must be the same dim"),
            format!("the query has `{query}` here, the keys have `{keys}`"),
            &[note],
        );
    }

    /// `DividesHeads`' rule, in the compiler's words.
    fn heads_not_shared(&mut self, span: Span, hkv: &str, h: &str) {
        self.mismatch(
            span,
            format!("shape mismatch: `{hkv}` key/value heads must divide `{h}` query heads"),
            format!("`{h}` query heads cannot be shared out evenly over `{hkv}` key/value heads"),
            &["in GQA every group of `H / Hkv` query heads reads one key/value head; MQA is `Hkv = 1`"],
        );
    }

    /// `small` divides `big`, as far as the sizes are known: a dim without a single known
    /// size is the compiler's to judge, not a finding.
    fn divides(&self, small: &str, big: &str) -> bool {
        match (self.size(small), self.size(big)) {
            (Some(s), Some(b)) => s != 0 && b % s == 0,
            _ => true,
        }
    }

    fn add_flops(&mut self, flops: u64) {
        self.cost.flops = Some(self.cost.flops.unwrap_or(0).saturating_add(flops));
    }

    /// The dims in a turbofish: `::<H, Dh>` → `["H", "Dh"]`.
    fn turbofish(m: &syn::ExprMethodCall) -> Vec<&GenericArgument> {
        m.turbofish
            .as_ref()
            .map(|t| t.args.iter().collect())
            .unwrap_or_default()
    }

    /// The field `self.name` (through references and parentheses), in a method.
    fn field(&self, expr: &Expr) -> Option<&'a Field> {
        match expr {
            Expr::Reference(r) => self.field(&r.expr),
            Expr::Paren(p) => self.field(&p.expr),
            Expr::Field(f) => {
                let Expr::Path(base) = &*f.base else {
                    return None;
                };
                if !base.path.is_ident("self") {
                    return None;
                }
                let syn::Member::Named(name) = &f.member else {
                    return None;
                };
                self.fields?.get(&name.to_string())
            }
            _ => None,
        }
    }

    fn method(&mut self, m: &syn::ExprMethodCall) -> Option<Shape> {
        let name = m.method.to_string();
        let call_span = join(m.method.span(), m.paren_token.span.close());
        // A layer held in a field: `self.q.forward(&h)`.
        if name == "forward" && m.args.len() == 1 {
            match self.field(&m.receiver) {
                Some(Field::Projection { input, output }) => {
                    let x = self.infer(&m.args[0])?;
                    let weight = [input.clone(), output.clone()];
                    return self.matmul(call_span, &x, &weight);
                }
                Some(Field::Norm(d)) => {
                    let x = self.infer(&m.args[0])?;
                    return (x.last() == Some(d)).then_some(x);
                }
                _ => {}
            }
        }
        let recv = self.infer(&m.receiver)?;
        let generics = Self::turbofish(m);
        let type_arg = |i: usize| -> Option<String> {
            match generics.get(i) {
                Some(GenericArgument::Type(Type::Path(p))) => {
                    p.path.segments.last().map(|s| s.ident.to_string())
                }
                _ => None,
            }
        };
        match name.as_str() {
            "softmax" | "scale" | "map" | "clone" | "to_tensor" | "silu" | "gelu" | "gelu_tanh"
            | "rms_norm" | "layer_norm" | "rope" | "masked" | "add_bias" => Some(recv),
            "add" | "sub" | "mul" if m.args.len() == 1 => {
                let rhs = self.infer(&m.args[0])?;
                if rhs.len() > recv.len() || recv[recv.len() - rhs.len()..] != rhs[..] {
                    self.mismatch(
                        m.args[0].span(),
                        format!(
                            "shape mismatch: `{}` does not broadcast over `{}`: its dims must be the trailing dims of `{}`",
                            tuple(&rhs),
                            tuple(&recv),
                            tuple(&recv)
                        ),
                        format!("`{}` is not the end of `{}`", tuple(&rhs), tuple(&recv)),
                        &["element-wise ops line the smaller shape up with the end of the larger one, by name: `(B, S, D)` takes `(D,)` (a bias), `(S, D)` (position embeddings) or `(B, S, D)` (a residual)"],
                    );
                    return None;
                }
                Some(recv)
            }
            "narrow" => {
                let axis = match generics.first() {
                    Some(GenericArgument::Const(Expr::Lit(l))) => match &l.lit {
                        syn::Lit::Int(n) => n.base10_parse::<usize>().ok()?,
                        _ => return None,
                    },
                    _ => return None,
                };
                let dim = type_arg(1)?;
                let mut out = recv;
                *out.get_mut(axis)? = dim;
                Some(out)
            }
            "split_last" if !recv.is_empty() => {
                let (h, dh) = (type_arg(0)?, type_arg(1)?);
                let mut out = recv;
                let d = out.pop()?;
                self.partition(call_span, &h, &dh, &d)?;
                out.extend([h, dh]);
                Some(out)
            }
            "attention_scale" => {
                let w = type_arg(0)?;
                let col = recv.last()?.clone();
                if w != col {
                    self.mismatch(
                        call_span,
                        format!("shape mismatch: the attention scale is `1/sqrt({col})`, the width `Q·K^T` contracts, not `1/sqrt({w})`"),
                        format!("the query rows have width `{col}`, not `{w}`"),
                        &["scaling by the model width `D` instead of the head width `Dh` shrinks every score by `sqrt(H)`, and the softmax comes out too flat"],
                    );
                    return None;
                }
                Some(recv)
            }
            "t" if recv.len() >= 2 => {
                let mut out = recv;
                let n = out.len();
                out.swap(n - 1, n - 2);
                Some(out)
            }
            "causal_mask" if recv.len() >= 2 => {
                let n = recv.len();
                if recv[n - 1] != recv[n - 2] {
                    self.mismatch(
                        call_span,
                        format!(
                            "shape mismatch: a causal mask needs square scores, but the last two dims are `{}` and `{}`",
                            recv[n - 2], recv[n - 1]
                        ),
                        format!("scores over `{}` queries and `{}` keys", recv[n - 2], recv[n - 1]),
                        &["a causal mask compares query position i with key position j of the same sequence: both axes must be `S`"],
                    );
                    return None;
                }
                Some(recv)
            }
            "transpose" => {
                let axis = |i: usize| -> Option<usize> {
                    match generics.get(i) {
                        Some(GenericArgument::Const(Expr::Lit(l))) => match &l.lit {
                            syn::Lit::Int(n) => n.base10_parse().ok(),
                            _ => None,
                        },
                        _ => None,
                    }
                };
                let (i, j) = (axis(0)?, axis(1)?);
                if i >= recv.len() || j >= recv.len() {
                    self.mismatch(
                        call_span,
                        format!(
                            "shape mismatch: cannot swap axes {i} and {j} of `{}`: an axis index is past the last axis",
                            tuple(&recv)
                        ),
                        "axes are numbered from 0 to the rank minus one".to_owned(),
                        &[],
                    );
                    return None;
                }
                let mut out = recv;
                out.swap(i, j);
                Some(out)
            }
            "reshape" => {
                let target = match generics.first() {
                    Some(GenericArgument::Type(t)) => tuple_type(t)?,
                    _ => return None,
                };
                if let (Some(a), Some(b)) = (self.numel(&recv), self.numel(&target))
                    && a != b
                {
                    self.mismatch(
                        call_span,
                        format!(
                            "shape mismatch: cannot reshape `{}` into `{}`: their element counts differ, or are not known at compile time",
                            tuple(&recv),
                            tuple(&target)
                        ),
                        format!("{a} elements cannot become {b}"),
                        &["a reshape only regroups the same elements; to change the width, multiply by a weight"],
                    );
                    return None;
                }
                Some(target)
            }
            "split_heads" | "split_heads_in" if recv.len() == 3 => {
                let (h, dh) = (type_arg(0)?, type_arg(1)?);
                self.partition(call_span, &h, &dh, &recv[2])?;
                Some(vec![recv[0].clone(), h, recv[1].clone(), dh])
            }
            "merge_heads" if recv.len() == 4 => {
                let d = type_arg(0)?;
                self.partition(call_span, &recv[1], &recv[3], &d)?;
                Some(vec![recv[0].clone(), recv[2].clone(), d])
            }
            "repeat_kv" | "repeat_kv_in" if recv.len() == 4 => {
                let h = type_arg(0)?;
                if !self.divides(&recv[1], &h) {
                    self.heads_not_shared(call_span, &recv[1], &h);
                    return None;
                }
                Some(vec![recv[0].clone(), h, recv[2].clone(), recv[3].clone()])
            }
            "matmul" if m.args.len() == 1 => {
                let arg = &m.args[0];
                let rhs = self.infer(arg)?;
                self.matmul(arg.span(), &recv, &rhs)
            }
            _ => None,
        }
    }

    /// `H × Dh = D`, checked when all three sizes are known.
    fn partition(&mut self, span: Span, h: &str, dh: &str, d: &str) -> Option<()> {
        if let (Some(hs), Some(dhs), Some(ds)) = (self.size(h), self.size(dh), self.size(d))
            && hs.checked_mul(dhs) != Some(ds)
        {
            self.mismatch(
                span,
                format!("shape mismatch: `{h}` × `{dh}` must equal `{d}`: the heads partition the model width"),
                format!("`{h}` = {hs} heads of width `{dh}` = {dhs} do not make `{d}` = {ds}"),
                &["the heads split exactly the width they are given: declare it `H * Dh` in `dims!` (`pub Dq = H * Dh;`, the output of a query projection whose head width is set on its own, as in Qwen3) or declare `Dh = D / H` when the heads share the model width"],
            );
            return None;
        }
        Some(())
    }

    fn matmul(&mut self, span: Span, lhs: &[String], rhs: &[String]) -> Option<Shape> {
        if lhs.len() < 2 || rhs.len() < 2 {
            return None;
        }
        let (k_left, k_right) = (&lhs[lhs.len() - 1], &rhs[rhs.len() - 2]);
        if k_left != k_right {
            // The compiler's `Contracts` (a weight) or `ContractsScores` (batched), each with
            // its own note.
            let (operand, note) = if rhs.len() == 2 {
                (
                    "weight",
                    "a projection `(…, K)·(K, N)` wants its weight stored (in, out); a PyTorch `nn.Linear` weight is stored (out, in), and reads the other way round",
                )
            } else {
                (
                    "operand",
                    "a batched product `(…, S, K)·(…, K, T)` contracts the left operand's last dim with the right operand's second-to-last; the scores `Q·K^T` contract the head width, so the keys are read transposed",
                )
            };
            self.mismatch(
                span,
                format!(
                    "shape mismatch: matmul contracts `{k_left}` with `{k_right}`, but the left operand's last dim must be the right operand's row dim"
                ),
                format!("the left operand ends in `{k_left}`, this {operand}'s rows are `{k_right}`"),
                &[note],
            );
            return None;
        }
        let (lb, rb) = (&lhs[..lhs.len() - 2], &rhs[..rhs.len() - 2]);
        if !rb.is_empty() && lb != rb {
            self.mismatch(
                span,
                format!(
                    "shape mismatch: batched matmul needs the same leading dims on both sides, found `{}` and `{}`",
                    tuple(lb),
                    tuple(rb)
                ),
                format!("leading dims `{}` on the left, `{}` here", tuple(lb), tuple(rb)),
                &["a batched matmul multiplies matrix `i` of the left operand by matrix `i` of the right one: their leading dims must be the same dims, in the same order"],
            );
            return None;
        }
        let mut out = lhs[..lhs.len() - 1].to_vec();
        out.push(rhs[rhs.len() - 1].clone());
        if let (Some(rows), Some(k), Some(n)) = (
            self.numel(&lhs[..lhs.len() - 1]),
            self.size(k_left),
            self.size(&rhs[rhs.len() - 1]),
        ) {
            self.add_flops(2 * rows * k * n);
        }
        if rb.is_empty()
            && let Some(p) = self.numel(rhs)
        {
            self.cost.params = Some(self.cost.params.unwrap_or(0) + p);
        }
        Some(out)
    }
}
