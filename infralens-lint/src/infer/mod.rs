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

mod attention;
mod broadcast;
mod cache;
mod decode;
mod elementwise;
mod heads;
mod join;
mod layers;
mod mask;
mod matmul;
mod norm;
mod repeat_kv;
mod reshape;
mod rope;
mod transpose;

mod types;
pub use types::*;

/// What the lint knows of a product's value: the dim it contracted, and for batched scores
/// (`q · kᵀ`), the axis holding the keys — moved by `t()` and `transpose`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scores {
    /// The dim the product contracted (`Dh` for `q · kᵀ`).
    pub contracted: String,
    /// The axis of the keys, for a batched product; `None` for a product with a weight.
    pub keys_axis: Option<usize>,
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
    /// The dims whose size is known only at run time.
    pub run_time: &'a std::collections::HashSet<String>,
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
    /// Each product by its place: the dim it contracted, and whether it is batched scores
    /// (`q.matmul(&k.t())`, keys on its last axis) — see [`Scores`].
    pub contracted_at: HashMap<(Pos, Pos), Scores>,
    /// The same, for the product a variable holds: `let s = q.matmul(&k.t());`.
    pub contracted_vars: HashMap<String, Scores>,
    /// Square weights read raw from a checkpoint (`ckpt.tensor::<(D, D)>(…)`), by variable.
    pub square_weights: std::collections::HashSet<String>,
    /// The function takes a KV cache: it decodes, so positions must come from the cache.
    pub decoding: bool,
    /// Variables appended to a KV cache (`cache.append::<S, T>(&k, &v)`): this step's keys
    /// and values, not what attention should read.
    pub appended: std::collections::HashSet<String>,
    /// The trace of every value, when `explain` asks for one.
    pub trace: Option<Tracer>,
    /// The cost of the ops inferred since the last node was traced: the next node's own.
    pub pending: Cost,
}

fn join(a: Span, b: Span) -> Span {
    a.join(b).unwrap_or(a)
}

/// The span of a method call's name and arguments: `matmul(&w)` of `x.matmul(&w)`.
pub(super) fn call_span(m: &syn::ExprMethodCall) -> Span {
    join(m.method.span(), m.paren_token.span.close())
}

/// The `i`th const argument of a turbofish: `2` of `::<2, 3>`.
pub(super) fn const_arg(generics: &[&GenericArgument], i: usize) -> Option<usize> {
    match generics.get(i) {
        Some(GenericArgument::Const(Expr::Lit(l))) => match &l.lit {
            syn::Lit::Int(n) => n.base10_parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// The `i`th type argument of a turbofish, by its last segment: `H` of `::<H, Dh>`.
pub(super) fn type_arg(generics: &[&GenericArgument], i: usize) -> Option<String> {
    match generics.get(i) {
        Some(GenericArgument::Type(Type::Path(p))) => {
            p.path.segments.last().map(|s| s.ident.to_string())
        }
        _ => None,
    }
}

impl<'a> Infer<'a> {
    pub(crate) fn size(&self, name: &str) -> Option<u64> {
        self.sizes.get(name).copied().flatten()
    }

    /// The declared kind of `dim`: `Some(None)` for a dim without one, `None` when unknown.
    fn kind(&self, dim: &str) -> Option<Option<&str>> {
        self.kinds.get(dim).map(Option::as_deref)
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
    pub(super) fn fix_last_at(
        &mut self,
        (start, end): (Pos, Pos),
        message: String,
        replacement: String,
    ) {
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
            Expr::Struct(s) => {
                self.struct_literal(s);
                None
            }
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
                self.attention(&name, &args)
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
                let shape = match a.args.first() {
                    Some(GenericArgument::Type(t)) => tuple_type(t)?,
                    _ => return None,
                };
                // `StaticShape`: built without naming a size, every size is a constant.
                if !name.ends_with("_in") && shape.iter().any(|d| self.run_time.contains(d)) {
                    self.broke(
                        c.func.span(),
                        &rules::STATIC_SHAPE,
                        &[("Self", &tuple(&shape))],
                    );
                    return None;
                }
                Some(shape)
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

    /// `closure` called with `args`: its body with each parameter bound to its argument
    /// (checked against the parameter's written type, as the compiler does).
    fn closure(&mut self, closure: &syn::ExprClosure, name: &str, args: &[&Expr]) -> Option<Shape> {
        if closure.inputs.len() != args.len() {
            return None;
        }
        let mut bound = Vec::new();
        let mut layers = Vec::new();
        for (pat, arg) in closure.inputs.iter().zip(args) {
            let param = infralens_syntax::function::pat_name(pat)?.to_string();
            // A layer passed in (`|w: &Linear<D, F>| w.forward(x)`): bound as a layer.
            if let Some(layer) = self.field(arg).filter(|f| !matches!(f, Field::Tensor(_))) {
                layers.push((param.clone(), self.layers.insert(param, layer)));
                continue;
            }
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
        for (param, old) in layers {
            match old {
                Some(layer) => self.layers.insert(param, layer),
                None => self.layers.remove(&param),
            };
        }
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

    fn method(&mut self, m: &syn::ExprMethodCall) -> Option<Shape> {
        let name = m.method.to_string();
        // `ckpt.tensor::<(Out, In)>(name, &sizes)?`: a tensor read from a checkpoint has
        // the shape it is asked for (the loader checks it against the file).
        if name == "tensor"
            && let [GenericArgument::Type(t)] = Self::turbofish(m).as_slice()
            && let Some(shape) = tuple_type(t)
        {
            self.check_each(&m.args);
            return Some(shape);
        }
        // A layer built in place: `Linear::new(w, None).forward(&x)`.
        if name == "forward"
            && m.args.len() == 1
            && let Expr::Call(c) = &*m.receiver
            && let Expr::Path(f) = &*c.func
            && let [.., ty, new] = f.path.segments.iter().collect::<Vec<_>>().as_slice()
            && new.ident == "new"
            && ["Linear", "Conv1D", "RmsNorm", "LayerNorm"].contains(&ty.ident.to_string().as_str())
        {
            let layer = self.layer(&m.receiver, None)?;
            return self.forward(m, layer);
        }
        // A layer held in a field: `self.q.forward(&h)`.
        if name == "forward"
            && m.args.len() == 1
            && let Some(layer) = self.field(&m.receiver)
            && matches!(
                layer,
                Field::Projection { .. } | Field::Norm(_) | Field::Mlp { .. }
            )
        {
            return self.forward(m, layer);
        }
        // The KV cache: `cache.append::<S, T>(&k, &v)`, `cache.keys::<T>()`.
        if let Some(cache @ Field::Cache { .. }) = self.field(&m.receiver) {
            return self.cache_method(m, cache);
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
        match name.as_str() {
            "rope" | "rope_at" if recv.len() >= 2 && !m.args.is_empty() => {
                self.rope_offset(m, &recv[recv.len() - 2]);
                self.rope_method(m, recv)
            }
            "rms_norm" | "layer_norm" if !m.args.is_empty() => self.norm_method(m, recv),
            "swiglu" if m.args.len() == 2 => self.swiglu(m, recv),
            "add_bias" if m.args.len() == 1 && recv.len() >= 2 => self.add_bias(m, recv),
            "scale" if m.args.len() == 1 => self.scale(m, recv),
            "masked" if m.args.len() == 1 && recv.len() >= 2 => {
                let n = recv.len();
                self.mask_alignment(&m.args[0], &recv[n - 2], &recv[n - 1]);
                Some(recv)
            }
            "softmax" => self.softmax(m, recv),
            "softmax_over" if recv.len() >= 2 => self.softmax_over(m, recv),
            "scale" | "map" | "clone" | "to_tensor" | "silu" | "gelu" | "gelu_tanh" | "rope"
            | "rope_at" | "masked" | "add_bias" | "expect" | "unwrap" => Some(recv),
            "add" | "sub" | "mul" if m.args.len() == 1 => self.broadcast(m, recv),
            "narrow" => {
                self.position_rows(m, &recv);
                self.narrow(m, recv)
            }
            "split_last" if !recv.is_empty() => self.split_last(m, recv),
            "attention_scale" => self.attention_scale(m, recv),
            "t" if recv.len() >= 2 => self.t(m, recv),
            "causal_mask" if recv.len() >= 2 => self.causal_mask(m, recv),
            "transpose" => self.transpose(m, recv),
            "reshape" | "reshape_raw" => self.reshape(m, &name, recv),
            "split_heads" | "split_heads_in" if recv.len() == 3 => self.split_heads(m, recv),
            "merge_heads" if recv.len() == 4 => self.merge_heads(m, recv),
            "repeat_kv" | "repeat_kv_in" if recv.len() == 4 => self.repeat_kv(m, recv),
            "matmul" if m.args.len() == 1 => self.matmul_method(m, recv),
            _ => {
                // A method the lint does not know.
                self.check_each(&m.args);
                None
            }
        }
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
