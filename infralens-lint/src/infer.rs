//! Follows shapes through the core ops without compiling: the lint's view of
//! `x.matmul(&w).split_heads::<H, Dh>()`, with the compiler's own messages when an op's
//! rule is broken.

use crate::diag::{Diagnostic, Edit, Fix, Pos};
use crate::source::Source;
use crate::trace::Tracer;
use infralens_core::rules::{self, Rule};
use proc_macro2::Span;
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::{Expr, GenericArgument, PathArguments, Type};

/// A shape: dim names, outermost first.
pub type Shape = Vec<String>;

/// `(B, H)`, as the compiler prints shapes.
pub(crate) use infralens_syntax::shapes::tuple_text as tuple;

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
    /// `KvCache<B, Hkv, C, Dh>`: it takes new keys and values `(B, Hkv, S, Dh)` and hands
    /// out views `(B, Hkv, T, Dh)`.
    Cache {
        batch: String,
        heads: String,
        width: String,
    },
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
        ("KvCache", [batch, heads, _, width, ..]) => Some(Field::Cache {
            batch: batch.clone(),
            heads: heads.clone(),
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
    /// The fields the lint follows, by struct name: `self.wq`, `cache.keys`, `self.ln_1.0`
    /// (the crate's; a name declared twice differently is left out).
    pub structs: &'a HashMap<String, HashMap<String, Field>>,
    /// The structs the file itself declares, which win over the crate's.
    pub own_structs: &'a HashMap<String, HashMap<String, Field>>,
    pub sizes: &'a Sizes,
    pub kinds: &'a Kinds,
    /// The `Self` type of the method being followed, when it is a plain name.
    pub self_type: Option<String>,
    /// Bindings holding the parts of a `chunk`: the shape of each part.
    pub chunks: HashMap<String, Shape>,
    /// Bindings and parameters holding a layer or a RoPE table.
    pub layers: HashMap<String, Field>,
    pub returns: &'a HashMap<String, Shape>,
    /// The parameter shapes of the crate's functions, by name (`Type::name` for an
    /// associated function).
    pub params: &'a HashMap<String, Vec<Option<Shape>>>,
    pub src: &'a Source,
    /// Where the file's own `dims!` blocks declare their dims.
    pub decls: &'a crate::decls::DimSites,
    pub findings: Vec<Diagnostic>,
    pub cost: Cost,
    /// Closures bound by a `let`, followed where they are called: `cols(wq)`.
    pub closures: HashMap<String, syn::ExprClosure>,
    /// The node a closure call's body made, for the trace of the call.
    pub closure_result: Option<usize>,
    /// The trace of every value, when `explain` asks for one.
    pub trace: Option<Tracer>,
    /// The cost of the ops inferred since the last node was traced: the next node's own.
    pub pending: Cost,
}

fn join(a: Span, b: Span) -> Span {
    a.join(b).unwrap_or(a)
}

impl<'a> Infer<'a> {
    pub(crate) fn size(&self, name: &str) -> Option<u64> {
        self.sizes.get(name).copied().flatten()
    }

    /// The declared kind of `dim`: `Some(None)` for a dim without one, `None` when unknown.
    fn kind(&self, dim: &str) -> Option<Option<&str>> {
        self.kinds.get(dim).map(Option::as_deref)
    }

    /// `HeadsAxis`' rule, in the compiler's words: the dim at axis 1 of `(B, H, S, Dh)` must
    /// be heads (or have no kind).
    fn heads_axis(&mut self, span: Span, dim: &str) -> Option<()> {
        self.axis_kind(span, dim, "Heads", &rules::HEADS_AXIS_KIND)
    }

    /// `dim`, read by an op as an axis of kind `wanted`, has that kind or none; else `rule`
    /// (`HeadsAxis`, `PositionsAxis`) is broken.
    fn axis_kind(&mut self, span: Span, dim: &str, wanted: &str, rule: &Rule) -> Option<()> {
        if let Some(Some(kind)) = self.kind(dim)
            && kind != wanted
        {
            let kind = kind.to_owned();
            self.broke(span, rule, &[("Self", dim), ("K", &kind)]);
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

    pub(crate) fn numel(&self, shape: &[String]) -> Option<u64> {
        shape
            .iter()
            .try_fold(1u64, |n, d| n.checked_mul(self.size(d)?))
    }

    /// Reports `rule` broken at `span`, in the words of its one declaration (the compiler's
    /// message, label and notes), with `args` naming its dims.
    pub(crate) fn broke(&mut self, span: Span, rule: &Rule, args: &[(&str, &str)]) {
        self.findings.push(finding(self.src, span, rule, args));
    }

    /// Adds the sizes behind the finding just reported, which the compiler cannot print:
    /// "`H` = 4, `Dh` = 3, `D` = 16".
    fn sizes_note(&mut self, sizes: &[(&str, u64)]) {
        let sizes: Vec<String> = sizes.iter().map(|(n, s)| format!("`{n}` = {s}")).collect();
        self.note_last(format!("the sizes: {}", sizes.join(", ")));
    }

    /// Adds `note` to the finding just reported: what the lint knows beyond the rule's
    /// words.
    fn note_last(&mut self, note: String) {
        if let Some(d) = self.findings.last_mut() {
            d.notes.push(note);
        }
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
    /// reporting a broken rule, so one mistake gives one finding). Traced, when tracing.
    pub(crate) fn infer(&mut self, expr: &Expr) -> Option<Shape> {
        let shape = self.infer_untraced(expr)?;
        if self.trace.is_some() {
            self.record(expr, &shape);
        }
        Some(shape)
    }

    fn infer_untraced(&mut self, expr: &Expr) -> Option<Shape> {
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
        let args: Vec<&Expr> = c.args.iter().collect();
        // A closure called where it is written, `(|w| …)(wq)`, or through its `let`.
        let mut func = &*c.func;
        while let Expr::Paren(p) = func {
            func = &p.expr;
        }
        if let Expr::Closure(closure) = func {
            return self.closure(closure, "closure", &args);
        }
        if let Expr::Path(f) = func
            && let Some(name) = f.path.get_ident()
            && let Some(closure) = self.closures.remove(&name.to_string())
        {
            // Out of the map while its body is followed: a name in it is an outer one.
            let out = self.closure(&closure, &name.to_string(), &args);
            self.closures.insert(name.to_string(), closure);
            return out;
        }
        let Expr::Path(f) = &*c.func else { return None };
        let segments = &f.path.segments;
        let last = segments.last()?;
        let name = last.ident.to_string();
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
                if k[0] != q[0] {
                    self.unpaired(args[1].span(), &q[0], &k[0]);
                    return None;
                }
                if name == "scaled_dot_product_attention" && k[1] != q[1] {
                    self.broke(
                        args[1].span(),
                        &rules::ATTENTION_HEADS,
                        &[("H", &q[1]), ("Self", &k[1])],
                    );
                    return None;
                }
                if name == "grouped_query_attention" && !self.divides(&k[1], &q[1]) {
                    self.heads_not_shared(args[1].span(), &k[1], &q[1]);
                    return None;
                }
                if k[3] != q[3] {
                    self.unpaired(args[1].span(), &q[3], &k[3]);
                    return None;
                }
                // `ValuesMatchKeys`: the values' batch, then heads, are the keys'.
                if let Some(i) = (0..2).find(|&i| v[i] != k[i]) {
                    self.broke(
                        args[2].span(),
                        &rules::VALUES_MATCH_KEYS,
                        &[("Key", &k[i]), ("Self", &v[i])],
                    );
                    return None;
                }
                if v[2] != k[2] {
                    self.broke(
                        args[2].span(),
                        &rules::KEY_VALUE_LENGTH,
                        &[("T", &k[2]), ("Self", &v[2])],
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
            "zeros" | "ones" | "randn" | "from_fn" | "from_vec" | "zeros_in" | "ones_in"
            | "randn_in" | "from_fn_in" | "from_vec_in"
                if segments.len() >= 2 =>
            {
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
            _ => {
                // `helper(…)`, or `Self::helper(…)` and `Attention::new_scores(…)`.
                let key = if segments.len() == 1 {
                    name
                } else {
                    let ty = segments[segments.len() - 2].ident.to_string();
                    let ty = if ty == "Self" {
                        self.self_type.clone()?
                    } else {
                        ty
                    };
                    format!("{ty}::{name}")
                };
                self.arguments(&key, &args)?;
                self.returns.get(&key).cloned()
            }
        }
    }

    /// `cat::<I, N, _, _, _>(&a, &b)`: the same dims but on axis `I`, where `N` = `a`'s +
    /// `b`'s (checked when the three sizes are known).
    /// `closure` called with `args`: its body with each parameter bound to its argument
    /// (checked against the parameter's written type, as the compiler does).
    fn closure(&mut self, closure: &syn::ExprClosure, name: &str, args: &[&Expr]) -> Option<Shape> {
        if closure.inputs.len() != args.len() {
            return None;
        }
        let mut bound = Vec::new();
        for (pat, arg) in closure.inputs.iter().zip(args) {
            let param = infralens_syntax::function::pat_name(pat)?.to_string();
            let got = self.infer(arg);
            let written = match pat {
                syn::Pat::Type(t) => tensor_type(&t.ty).map(|(s, _)| s),
                _ => None,
            };
            if let (Some(want), Some(got)) = (&written, &got)
                && want != got
            {
                self.wrong_argument(arg.span(), name, want, got);
                return None;
            }
            bound.push((param, written.or(got), self.node_of(arg)));
        }
        let mut saved = Vec::new();
        for (param, shape, node) in bound {
            let var = self.trace.as_mut().and_then(|t| match node {
                Some(n) => t.vars.insert(param.clone(), n),
                None => t.vars.remove(&param),
            });
            let old = match shape {
                Some(s) => self.env.insert(param.clone(), s),
                None => self.env.remove(&param),
            };
            saved.push((param, old, var));
        }
        let out = self.infer(&closure.body);
        let result = out.as_ref().and_then(|_| self.node_of(&closure.body));
        for (param, old, var) in saved {
            match old {
                Some(s) => self.env.insert(param.clone(), s),
                None => self.env.remove(&param),
            };
            if let Some(t) = self.trace.as_mut() {
                match var {
                    Some(n) => t.vars.insert(param, n),
                    None => t.vars.remove(&param),
                };
            }
        }
        self.closure_result = result;
        out
    }

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

    /// The arguments of a call to the crate's function `key` against its parameters' shapes,
    /// as the compiler compares them: `None` after reporting one that differs.
    fn arguments(&mut self, key: &str, args: &[&Expr]) -> Option<()> {
        let Some(params) = self.params.get(key) else {
            self.check_each(args.iter().copied());
            return Some(());
        };
        if params.len() != args.len() {
            return Some(());
        }
        for (param, arg) in params.iter().zip(args) {
            let Some(want) = param else { continue };
            if let Some(got) = self.infer(arg)
                && got != *want
            {
                let name = key.rsplit("::").next().unwrap_or(key);
                self.wrong_argument(arg.span(), name, want, &got);
                return None;
            }
        }
        Some(())
    }

    /// `argument-shape`: `function` takes `want` where this argument is `got`.
    fn wrong_argument(&mut self, span: Span, function: &str, want: &[String], got: &[String]) {
        self.broke(
            span,
            &rules::ARGUMENT_SHAPE,
            &[
                ("Fn", function),
                ("Expected", &tuple(want)),
                ("Found", &tuple(got)),
            ],
        );
    }

    /// The arguments of a call the lint cannot follow: what they compute is still checked
    /// (`helper(add_bias(&x.matmul(&w), &b))`).
    fn check_each<'e>(&mut self, args: impl IntoIterator<Item = &'e Expr>) {
        for arg in args {
            self.infer(arg);
        }
    }

    /// `AttentionPair`: a key dim must be the query's.
    fn unpaired(&mut self, span: Span, query: &str, keys: &str) {
        self.broke(
            span,
            &rules::ATTENTION_PAIR,
            &[("Query", query), ("Self", keys)],
        );
    }

    /// `DividesHeads`: the key/value heads divide the query heads.
    fn heads_not_shared(&mut self, span: Span, hkv: &str, h: &str) {
        self.broke(span, &rules::KV_HEADS_DIVIDE, &[("Self", hkv), ("H", h)]);
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
        self.pending.flops = Some(self.pending.flops.unwrap_or(0).saturating_add(flops));
    }

    /// The dims in a turbofish: `::<H, Dh>` → `["H", "Dh"]`.
    pub(crate) fn turbofish(m: &syn::ExprMethodCall) -> Vec<&GenericArgument> {
        m.turbofish
            .as_ref()
            .map(|t| t.args.iter().collect())
            .unwrap_or_default()
    }

    /// What `expr` holds when it is a layer, table, cache or struct: a parameter or local
    /// (through references and parentheses), or a field — named or by position — of
    /// `self` or of any value whose struct the crate declares (`self.wq`, `cache.keys`,
    /// `self.ln_1.0`, `self.attn.wq`).
    pub(crate) fn field(&self, expr: &Expr) -> Option<Field> {
        match expr {
            Expr::Reference(r) => self.field(&r.expr),
            Expr::Paren(p) => self.field(&p.expr),
            Expr::Path(p) => self.layers.get(&p.path.get_ident()?.to_string()).cloned(),
            Expr::Field(f) => {
                let owner = match &*f.base {
                    Expr::Path(base) if base.path.is_ident("self") => self.self_type.clone()?,
                    base => match self.field(base)? {
                        Field::Struct(ty) => ty,
                        _ => return None,
                    },
                };
                let member = match &f.member {
                    syn::Member::Named(name) => name.to_string(),
                    syn::Member::Unnamed(i) => i.index.to_string(),
                };
                self.own_structs
                    .get(&owner)
                    .or_else(|| self.structs.get(&owner))?
                    .get(&member)
                    .cloned()
            }
            _ => None,
        }
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

    /// `cache.append::<S, T>(&k, &v)` itself: see [`Infer::appended`].
    fn append(&mut self, m: &syn::ExprMethodCall) -> Option<Shape> {
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
        for arg in &m.args {
            if let Some(got) = self.infer(arg)
                && got != want
            {
                self.wrong_argument(arg.span(), "append", &want, &got);
                return None;
            }
        }
        Some(vec![batch, heads, total.clone(), width])
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
                [batch, heads, _, width, ..] => Some(Field::Cache {
                    batch: batch.clone(),
                    heads: heads.clone(),
                    width: width.clone(),
                }),
                _ => None,
            },
            "Rope" => match turbofish.as_slice() {
                [positions, width, ..] => {
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
                    let last = x.last()?;
                    if *last != d {
                        self.broke(
                            m.args[0].span(),
                            &rules::NORM_WIDTH,
                            &[("Op", "forward"), ("Last", last), ("Found", &tuple(&[d]))],
                        );
                        return None;
                    }
                    return Some(x);
                }
                _ => {}
            }
        }
        // The KV cache: `cache.append::<S, T>(&k, &v)` (its views are bound by a `let`
        // pattern), `cache.keys::<T>()`, `cache.values::<T>()`.
        if let Some(Field::Cache {
            batch,
            heads,
            width,
        }) = self.field(&m.receiver)
        {
            if name == "append" {
                self.append(m);
                return None;
            }
            if matches!(name.as_str(), "keys" | "values")
                && let [GenericArgument::Type(t)] = Self::turbofish(m).as_slice()
            {
                let len = single(t)?.pop()?;
                return Some(vec![batch, heads, len, width]);
            }
            return None;
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
            self.check_each(&m.args);
            return self.returns.get(&format!("{ty}::{name}")).cloned();
        }
        let Some(recv) = self.infer(&m.receiver) else {
            // A receiver the lint cannot type.
            self.check_each(&m.args);
            return None;
        };
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
                self.axis_kind(call_span, rows, "Sequence", &rules::POSITIONS_AXIS_KIND)?;
                if let Some(Field::Rope { width, .. }) = self.field(&m.args[0]) {
                    let col = recv.last()?;
                    if *col != width {
                        self.broke(
                            m.args[0].span(),
                            &rules::ROPE_WIDTH,
                            &[("Self", &width), ("Dh", col)],
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
                    self.broke(
                        m.args[0].span(),
                        &rules::NORM_WIDTH,
                        &[("Op", &name), ("Last", last), ("Found", &tuple(&weight))],
                    );
                    return None;
                }
                Some(recv)
            }
            "swiglu" if m.args.len() == 2 => {
                let gate = self.infer(&m.args[0])?;
                let up = self.infer(&m.args[1])?;
                if gate != up {
                    self.broke(
                        m.args[1].span(),
                        &rules::SWIGLU_WIDTHS,
                        &[("Gate", &tuple(&gate)), ("Up", &tuple(&up))],
                    );
                    return None;
                }
                self.matmul(m.args[0].span(), &recv, &gate)
            }
            // A bias over the scores' last two axes: `(S, T)` for scores `(…, S, T)`.
            "add_bias" if m.args.len() == 1 && recv.len() >= 2 => {
                let bias = self.infer(&m.args[0])?;
                let want = &recv[recv.len() - 2..];
                if bias.len() == 2 && bias != want {
                    self.wrong_argument(m.args[0].span(), "add_bias", want, &bias);
                    return None;
                }
                Some(recv)
            }
            "softmax" | "scale" | "map" | "clone" | "to_tensor" | "silu" | "gelu" | "gelu_tanh"
            | "rope" | "masked" | "add_bias" | "expect" | "unwrap" => Some(recv),
            "add" | "sub" | "mul" if m.args.len() == 1 => {
                let rhs = self.infer(&m.args[0])?;
                if rhs.len() > recv.len() || recv[recv.len() - rhs.len()..] != rhs[..] {
                    self.broke(
                        m.args[0].span(),
                        &rules::BROADCAST,
                        &[("Small", &tuple(&rhs)), ("Self", &tuple(&recv))],
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
            "t" if recv.len() >= 2 => {
                let mut out = recv;
                let n = out.len();
                out.swap(n - 1, n - 2);
                Some(out)
            }
            "causal_mask" if recv.len() >= 2 => {
                let n = recv.len();
                if recv[n - 1] != recv[n - 2] {
                    self.broke(
                        call_span,
                        &rules::SQUARE_SCORES,
                        &[("Row", &recv[n - 2]), ("Self", &recv[n - 1])],
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
                    let (i, j) = (i.to_string(), j.to_string());
                    self.broke(
                        call_span,
                        &rules::SWAP_AXES_RANGE,
                        &[("I", &i), ("J", &j), ("Self", &tuple(&recv))],
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
                    self.broke(
                        call_span,
                        &rules::RESHAPE_NUMEL,
                        &[("Self", &tuple(&recv)), ("Target", &tuple(&target))],
                    );
                    self.note_last(format!("{a} elements cannot become {b}"));
                    return None;
                }
                if name == "reshape"
                    && let (Some(from), Some(to)) =
                        (self.kind_order(&recv), self.kind_order(&target))
                    && from != to
                {
                    self.broke(
                        call_span,
                        &rules::RESHAPE_AXIS_ORDER,
                        &[("Self", &tuple(&recv)), ("Target", &tuple(&target))],
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
            _ => {
                // A method the lint does not know.
                self.check_each(&m.args);
                None
            }
        }
    }

    /// `H × Dh = D`, checked when all three sizes are known.
    fn partition(&mut self, span: Span, h: &str, dh: &str, d: &str) -> Option<()> {
        if let (Some(hs), Some(dhs), Some(ds)) = (self.size(h), self.size(dh), self.size(d))
            && hs.checked_mul(dhs) != Some(ds)
        {
            self.broke(
                span,
                &rules::HEADS_PARTITION,
                &[("H", h), ("Dh", dh), ("Self", d)],
            );
            self.sizes_note(&[(h, hs), (dh, dhs), (d, ds)]);
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

/// The finding for `rule` broken at `span` in `src`: the rule's message, label and notes
/// with `args` filled in, its id and its lab.
pub(crate) fn finding(src: &Source, span: Span, rule: &Rule, args: &[(&str, &str)]) -> Diagnostic {
    let mut d = src.diagnostic(span, rule.id, &rule.message_with(args));
    d.label = Some(rule.label_with(args));
    d.notes = rule.notes_with(args);
    d.lab = Some(rule.lab.to_owned());
    d
}
