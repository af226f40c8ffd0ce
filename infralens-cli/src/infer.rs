//! Follows shapes through the core ops without compiling: the lint's view of
//! `x.matmul(&w).split_heads::<H, Dh>()`, with the compiler's own messages when an op's
//! rule is broken.

use crate::diag::{Diagnostic, Edit, Fix, Pos};
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
    /// `Rope<T, Dh>`: a table over `T` positions for heads of width `Dh`.
    Rope { positions: String, width: String },
    /// Another type of the crate, such as a layer written there: its annotated methods are
    /// followed (`self.attn.forward(&h)` returns what `Attention::forward` is annotated to).
    Struct(String),
}

/// The kind of a struct field's type, when it is one the lint follows.
pub(crate) fn field_type(ty: &Type) -> Option<Field> {
    if let Some((shape, _)) = tensor_type(ty) {
        return Some(Field::Tensor(shape));
    }
    let ty = match ty {
        Type::Reference(r) => &*r.elem,
        ty => ty,
    };
    let Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return Some(Field::Struct(last.ident.to_string()));
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
        ("Rope", [positions, width, ..]) => Some(Field::Rope {
            positions: positions.clone(),
            width: width.clone(),
        }),
        (name, _) => Some(Field::Struct(name.to_owned())),
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

/// The axis kind each dim is declared with in `dims!` (`None`: declared without one). A dim
/// missing here (declared nowhere, or with different kinds) has no kind to judge by.
pub type Kinds = HashMap<String, Option<String>>;

/// The kinds a dim of kind `kind` stands for in a reshape's order (the core's `KindsOf`):
/// a model width is the heads and the head width it splits into; a dim with no kind is
/// not constrained. `None` for a kind the lint does not know.
fn kinds_of(kind: Option<&str>) -> Option<&'static [&'static str]> {
    Some(match kind {
        None => &[],
        Some("Batch") => &["Batch"],
        Some("Sequence") => &["Sequence"],
        Some("Heads") => &["Heads"],
        Some("HeadWidth") => &["HeadWidth"],
        Some("ModelWidth") => &["Heads", "HeadWidth"],
        Some(_) => return None,
    })
}

/// What one traced expression cost: the matmuls in it. Counted in `u128`, saturating at
/// `u128::MAX` (shown as "≥ 2^128"), so that no size, however large, wraps.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// Floating-point operations of the matmuls, `2·M·N·K` per output matrix; `None`
    /// when a size is unknown.
    pub flops: Option<u128>,
    /// Elements of the rank-2 weights multiplied in.
    pub params: Option<u128>,
}

/// The product of `factors`, saturating at `u128::MAX`.
fn product(factors: &[u64]) -> u128 {
    factors
        .iter()
        .fold(1u128, |n, &f| n.saturating_mul(u128::from(f)))
}

/// Infers the shapes of expressions in one function.
pub(crate) struct Infer<'a> {
    pub env: HashMap<String, Shape>,
    /// The fields of `self`'s type, in a method.
    pub fields: Option<&'a HashMap<String, Field>>,
    pub sizes: &'a Sizes,
    pub kinds: &'a Kinds,
    /// The `Self` type of the method being followed, when it is a plain name.
    pub self_type: Option<String>,
    /// Bindings holding the parts of a `chunk`: the shape of each part.
    pub chunks: HashMap<String, Shape>,
    /// Bindings and parameters holding a layer or a RoPE table.
    pub layers: HashMap<String, Field>,
    pub returns: &'a HashMap<String, Shape>,
    pub src: &'a Source,
    /// Where the file's own `dims!` blocks declare their dims.
    pub decls: &'a crate::lint::DimSites,
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

    /// The declared kind of `dim`: `Some(None)` for a dim without one, `None` when unknown.
    fn kind(&self, dim: &str) -> Option<Option<&str>> {
        self.kinds.get(dim).map(Option::as_deref)
    }

    /// `HeadsAxis`' rule, in the compiler's words: the dim at axis 1 of `(B, H, S, Dh)` must
    /// be heads (or have no kind).
    fn heads_axis(&mut self, span: Span, dim: &str) -> Option<()> {
        if let Some(Some(kind)) = self.kind(dim)
            && kind != "Heads"
        {
            self.mismatch(
                span,
                format!("shape mismatch: `{dim}` stands where the heads go (axis 1 of `(B, H, S, Dh)`), but `{dim}` is declared a `{kind}` axis"),
                format!("the heads are expected here, not a `{kind}` axis"),
                &["heads come right after the batch: `(B, H, S, Dh)`; a tensor in `(B, S, H, Dh)` order had its heads split but not transposed: `.transpose::<1, 2>()` puts them first"],
            );
            return None;
        }
        Some(())
    }

    /// The kinds of `shape` in a reshape's order, `None` when one is not known.
    fn kind_order(&self, shape: &[String]) -> Option<Vec<&'static str>> {
        let mut out = Vec::new();
        for d in shape {
            out.extend(kinds_of(self.kind(d)?)?);
        }
        Some(out)
    }

    /// The shape of each part when `expr` is a `chunk` (or a binding of one).
    pub(crate) fn chunk_parts(&mut self, expr: &Expr) -> Option<Shape> {
        match expr {
            Expr::Path(p) => self.chunks.get(&p.path.get_ident()?.to_string()).cloned(),
            Expr::Reference(r) => self.chunk_parts(&r.expr),
            Expr::Paren(p) => self.chunk_parts(&p.expr),
            Expr::MethodCall(m) if m.method == "chunk" => {
                let recv = self.infer(&m.receiver)?;
                let generics = Self::turbofish(m);
                let (k, part) = match generics.as_slice() {
                    [GenericArgument::Type(k), GenericArgument::Type(part)] => {
                        (single(k)?.pop()?, single(part)?.pop()?)
                    }
                    _ => return None,
                };
                let last = recv.last()?.clone();
                if let (Some(ks), Some(ps), Some(ls)) =
                    (self.size(&k), self.size(&part), self.size(&last))
                    && ks.checked_mul(ps) != Some(ls)
                {
                    let call_span = join(m.method.span(), m.paren_token.span.close());
                    self.mismatch(
                        call_span,
                        format!("shape mismatch: `{k}` × `{part}` must equal `{last}`: `chunk` cuts the last axis into `{k}` equal parts of `{part}`"),
                        format!("`{k}` = {ks} parts of `{part}` = {ps} do not make `{last}` = {ls}"),
                        &["a fused projection such as GPT-2's `c_attn` is `(…, 3·D)`: `chunk::<Three, D>()` gives the queries, keys and values"],
                    );
                    return None;
                }
                let mut out = recv;
                *out.last_mut()? = part;
                Some(out)
            }
            _ => None,
        }
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

    /// Offers a fix for the finding just reported: `span`'s text becomes `replacement`.
    fn fix_last(&mut self, span: Span, message: String, replacement: String) {
        self.fix_last_at(self.src.positions(span), message, replacement);
    }

    /// [`Infer::fix_last`] at positions of the file.
    fn fix_last_at(&mut self, (start, end): (Pos, Pos), message: String, replacement: String) {
        if let Some(d) = self.findings.last_mut() {
            d.fixes.push(Fix {
                message,
                edits: vec![Edit {
                    start,
                    end,
                    replacement,
                }],
            });
        }
    }

    /// The matmul operand `arg` read the other way round: `&w` → `&w.t()`, `&w.t()` → `&w`.
    fn transposed(&self, arg: &Expr) -> String {
        let inner = match arg {
            Expr::Reference(r) => &*r.expr,
            e => e,
        };
        if let Expr::MethodCall(t) = inner
            && t.method == "t"
            && t.args.is_empty()
        {
            return format!("&{}", self.src.text_of(t.receiver.span()));
        }
        let text = self.src.text_of(inner.span());
        match inner {
            Expr::Path(_)
            | Expr::Field(_)
            | Expr::MethodCall(_)
            | Expr::Call(_)
            | Expr::Paren(_)
            | Expr::Index(_) => format!("&{text}.t()"),
            _ => format!("&({text}).t()"),
        }
    }

    /// The shape of `expr`, when the ops in it are known; `None` otherwise (or after
    /// reporting a broken rule, so one mistake gives one finding).
    pub(crate) fn infer(&mut self, expr: &Expr) -> Option<Shape> {
        match expr {
            Expr::Path(p) => self.env.get(&p.path.get_ident()?.to_string()).cloned(),
            Expr::Field(_) => match self.field(expr)? {
                Field::Tensor(shape) => Some(shape),
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
            // One part of a `chunk`: `qkv[0]`.
            Expr::Index(i) => self.chunk_parts(&i.expr),
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
            "cat" if args.len() == 2 => self.cat(c.span(), last, &args),
            "scaled_dot_product_attention" | "grouped_query_attention" if args.len() >= 3 => {
                let q = self.infer(args[0])?;
                let k = self.infer(args[1])?;
                let v = self.infer(args[2])?;
                if q.len() != 4 || k.len() != 4 || v.len() != 4 {
                    return None;
                }
                self.heads_axis(args[0].span(), &q[1])?;
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
                    let width = product(&[2, b, h, s, t]);
                    self.add_flops(width.saturating_mul(u128::from(dh) + u128::from(dv)));
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
            // `Self::helper(…)`, `Attention::new_scores(…)`.
            _ => {
                let ty = segments[segments.len() - 2].ident.to_string();
                let ty = if ty == "Self" {
                    self.self_type.clone()?
                } else {
                    ty
                };
                self.returns.get(&format!("{ty}::{name}")).cloned()
            }
        }
    }

    /// `cat::<I, N, _, _, _>(&a, &b)`: the same dims but on axis `I`, where `N` = `a`'s +
    /// `b`'s (checked when the three sizes are known).
    fn cat(&mut self, span: Span, path: &syn::PathSegment, args: &[&Expr]) -> Option<Shape> {
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
            self.mismatch(
                span,
                format!("shape mismatch: `{}` has no axis {axis}", tuple(&a)),
                "axes are numbered from 0 to the rank minus one".to_owned(),
                &[],
            );
            return None;
        }
        let others_differ = a.len() != b.len()
            || a.iter()
                .zip(&b)
                .enumerate()
                .any(|(i, (x, y))| i != axis && x != y);
        if others_differ {
            self.mismatch(
                span,
                format!(
                    "shape mismatch: `cat` along axis {axis} joins `{}` and `{}`, but every other axis must be the same dim",
                    tuple(&a),
                    tuple(&b)
                ),
                format!("joined along axis {axis}, `{}` here", a[axis]),
                &["a KV cache grows along the positions: keys `(B, Hkv, T, Dh)` are joined on axis 2, after the heads were moved before the positions"],
            );
            return None;
        }
        let (x, y) = (&a[axis], &b[axis]);
        if let (Some(xs), Some(ys), Some(ns)) = (self.size(x), self.size(y), self.size(&n))
            && xs.checked_add(ys) != Some(ns)
        {
            self.mismatch(
                span,
                format!("shape mismatch: `{x}` + `{y}` must equal `{n}`: `cat` joins the two along this axis"),
                format!("`{x}` = {xs} and `{y}` = {ys} make {}, not `{n}` = {ns}", xs.saturating_add(ys)),
                &["declare the joined length as the sum in `dims!`: `pub T = P + S;`"],
            );
            return None;
        }
        let mut out = a;
        out[axis] = n;
        Some(out)
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

    fn add_flops(&mut self, flops: u128) {
        self.cost.flops = Some(self.cost.flops.unwrap_or(0).saturating_add(flops));
    }

    /// The dims in a turbofish: `::<H, Dh>` → `["H", "Dh"]`.
    fn turbofish(m: &syn::ExprMethodCall) -> Vec<&GenericArgument> {
        m.turbofish
            .as_ref()
            .map(|t| t.args.iter().collect())
            .unwrap_or_default()
    }

    /// The field `self.name`, in a method, or a local layer or table (through references
    /// and parentheses).
    fn field(&self, expr: &Expr) -> Option<Field> {
        match expr {
            Expr::Reference(r) => self.field(&r.expr),
            Expr::Paren(p) => self.field(&p.expr),
            Expr::Path(p) => self.layers.get(&p.path.get_ident()?.to_string()).cloned(),
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
                self.fields?.get(&name.to_string()).cloned()
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
            "Rope" => match turbofish.as_slice() {
                [positions, width, ..] => Some(Field::Rope {
                    positions: positions.clone(),
                    width: width.clone(),
                }),
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
                    self.mismatch(
                        c.args[0].span(),
                        format!(
                            "shape mismatch: `{kind}<{input}, {output}>` stores its weight `{stored}`, {layout}, but this weight is `{}`",
                            tuple(&weight)
                        ),
                        format!("`{}` here, `{stored}` wanted", tuple(&weight)),
                        &["`Linear<In, Out>` holds `(Out, In)` and `Conv1D<In, Out>` holds `(In, Out)`: both map `(…, In)` to `(…, Out)`"],
                    );
                    return None;
                }
                Some(built)
            }
            _ => None,
        };
        built.or_else(|| declared.cloned())
    }

    fn method(&mut self, m: &syn::ExprMethodCall) -> Option<Shape> {
        let name = m.method.to_string();
        let call_span = join(m.method.span(), m.paren_token.span.close());
        // A layer held in a field: `self.q.forward(&h)`.
        if name == "forward" && m.args.len() == 1 {
            match self.field(&m.receiver) {
                Some(Field::Projection { input, output }) => {
                    let x = self.infer(&m.args[0])?;
                    let weight = [input, output];
                    return self.matmul(call_span, &x, &weight);
                }
                Some(Field::Norm(d)) => {
                    let x = self.infer(&m.args[0])?;
                    return (x.last() == Some(&d)).then_some(x);
                }
                _ => {}
            }
        }
        // A method of a type of the crate: `self.attn.forward(&h)`, `self.helper(&x)`.
        let owner = match &*m.receiver {
            Expr::Path(p) if p.path.is_ident("self") => self.self_type.clone(),
            receiver => match self.field(receiver) {
                Some(Field::Struct(ty)) => Some(ty),
                _ => None,
            },
        };
        if let Some(ty) = owner {
            return self.returns.get(&format!("{ty}::{name}")).cloned();
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
            "rope" if recv.len() >= 2 && !m.args.is_empty() => {
                let rows = &recv[recv.len() - 2];
                if let Some(Some(kind)) = self.kind(rows)
                    && kind != "Sequence"
                {
                    self.mismatch(
                        call_span,
                        format!("shape mismatch: RoPE rotates each row by its position, but the rows here are `{rows}`, declared a `{kind}` axis"),
                        format!("positions are expected here, not a `{kind}` axis"),
                        &["apply RoPE to `(B, H, S, Dh)`, after the heads moved before the positions: in `(B, S, H, Dh)` the rows are the heads, and each head would be rotated by its index"],
                    );
                    return None;
                }
                if let Some(Field::Rope { positions, width }) = self.field(&m.args[0]) {
                    let col = recv.last()?;
                    if *col != width {
                        self.mismatch(
                            m.args[0].span(),
                            format!("shape mismatch: the RoPE table `Rope<{positions}, {width}>` rotates heads of width `{width}`, but these rows are `{col}` wide"),
                            format!("a table for `{width}`, rows of `{col}`"),
                            &["RoPE rotates each head's lanes in pairs: its table is built for the head width, `Rope<MaxPos, Dh>`, not the model width"],
                        );
                        return None;
                    }
                }
                Some(recv)
            }
            "rms_norm" | "layer_norm" if !m.args.is_empty() => {
                let weight = self.infer(&m.args[0])?;
                let last = recv.last()?;
                if weight.len() != 1 || weight[0] != *last {
                    self.mismatch(
                        m.args[0].span(),
                        format!(
                            "shape mismatch: `{name}` normalises the last axis `{last}`, so its weight is `({last},)`, not `{}`",
                            tuple(&weight)
                        ),
                        format!("a weight of `{}` for rows of `{last}`", tuple(&weight)),
                        &["a norm scales each of the `D` numbers of a position: `input_layernorm.weight` is `(hidden_size,)`"],
                    );
                    return None;
                }
                Some(recv)
            }
            "swiglu" if m.args.len() == 2 => {
                let gate = self.infer(&m.args[0])?;
                let up = self.infer(&m.args[1])?;
                if gate != up {
                    self.mismatch(
                        m.args[1].span(),
                        format!(
                            "shape mismatch: `swiglu` multiplies the gate and the up projection element by element, so both weights are `{}`; this one is `{}`",
                            tuple(&gate),
                            tuple(&up)
                        ),
                        format!("`{}` here, `{}` for the gate", tuple(&up), tuple(&gate)),
                        &["Llama's MLP is `down(silu(x·Wg) ⊙ (x·Wu))`: gate and up both map `D` to the hidden width `F`"],
                    );
                    return None;
                }
                self.matmul(m.args[0].span(), &recv, &gate)
            }
            "softmax" | "scale" | "map" | "clone" | "to_tensor" | "silu" | "gelu" | "gelu_tanh"
            | "rope" | "masked" | "add_bias" => Some(recv),
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
                    self.fix_last(
                        call_span,
                        "mask new queries against all their keys, aligned bottom-right: `masked(Mask::Causal)`".to_owned(),
                        "masked(Mask::Causal)".to_owned(),
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
            "reshape" | "reshape_raw" => {
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
                if name == "reshape"
                    && let (Some(from), Some(to)) =
                        (self.kind_order(&recv), self.kind_order(&target))
                    && from != to
                {
                    self.mismatch(
                        call_span,
                        format!(
                            "shape mismatch: reshaping `{}` into `{}` moves axes across each other, which a reshape cannot do",
                            tuple(&recv),
                            tuple(&target)
                        ),
                        format!(
                            "a reshape regroups neighbouring axes in place; the axis kinds of `{}` and `{}` are in another order",
                            tuple(&recv),
                            tuple(&target)
                        ),
                        &[
                            "a model width splits into heads, then head width, in place: `(…, D) → (…, H, Dh)`; moving the heads past the positions takes a transpose: `split_heads` and `merge_heads` do both steps, `(B, S, D) ↔ (B, H, S, Dh)`",
                            "a deliberately raw regroup of the elements in memory order is `reshape_raw`",
                        ],
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
                self.heads_axis(call_span, &recv[1])?;
                self.partition(call_span, &recv[1], &recv[3], &d)?;
                Some(vec![recv[0].clone(), recv[2].clone(), d])
            }
            "repeat_kv" | "repeat_kv_in" if recv.len() == 4 => {
                let h = type_arg(0)?;
                self.heads_axis(call_span, &recv[1])?;
                if !self.divides(&recv[1], &h) {
                    self.heads_not_shared(call_span, &recv[1], &h);
                    return None;
                }
                Some(vec![recv[0].clone(), h, recv[2].clone(), recv[3].clone()])
            }
            "matmul" if m.args.len() == 1 => {
                let arg = &m.args[0];
                let rhs = self.infer(arg)?;
                let reported = self.findings.len();
                let out = self.matmul(arg.span(), &recv, &rhs);
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
            // The head width written as a number in this file, and no width declared as
            // `H * Dh` (a model that sets its head width on its own, as Qwen3, declares
            // one): the heads are meant to share the model width.
            // Not when the head width named is the model width or the head count itself
            // (`split_heads::<H, D>()`: the call names the wrong dim, and `D = D / H`
            // would be no fix).
            if let Some(&(start, end)) = self.decls.literals.get(dh)
                && dh != d
                && dh != h
                && !self.decls.has_product(h, dh)
                && hs > 0
                && ds % hs == 0
            {
                self.fix_last_at(
                    (start, end),
                    format!(
                        "the heads share the model width: declare `{dh} = {d} / {h}` (= {})",
                        ds / hs
                    ),
                    format!("{d} / {h}"),
                );
            }
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
        }
        Some(out)
    }
}
