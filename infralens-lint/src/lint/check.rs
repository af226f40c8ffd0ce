//! Pass 2: every function checked against what pass 1 collected — its annotation, each
//! `let`, each call, its returned value — and, for `explain`, its rows and trace.

use super::collect::self_type_name;
use super::*;
use crate::diag::Diagnostic;
use crate::infer::{Cost, Field, Infer, Kinds, Shape, Sizes, field_type, tensor_type, tuple};
use crate::source::Source;
use crate::trace::{Node, Tracer};
use infralens_core::rules;
use infralens_syntax::function::{apply_signature, pat_name, walk_lets};
use proc_macro2::Span;
use std::collections::{HashMap, HashSet};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Attribute, FnArg, ItemFn, Stmt};

/// One row of `infralens explain`: a value of the function and its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `param`, `let` or `return`.
    pub kind: &'static str,
    /// The variable (`return` for the returned value).
    pub var: String,
    /// The expression, as written (empty for parameters).
    pub expr: String,
    /// Its dims.
    pub shape: Shape,
    /// Bytes of one element.
    pub elem_bytes: usize,
    /// The matmuls of the expression.
    pub cost: Cost,
}

/// What `explain` asks of the checker: the function to trace, and where its rows go.
pub(crate) struct Explain {
    pub function: String,
    /// `Type` of a `FILE::Type::method` target: only a method of that type's impls.
    pub self_type: Option<String>,
    pub found: bool,
    pub rows: Vec<Row>,
    pub trace: Vec<Node>,
}

/// Pass 2: every annotated function.
pub(crate) struct Checker<'a> {
    pub krate: &'a Crate,
    pub file: usize,
    /// The file's source, for the part of it being checked (see [`Source::part`]).
    pub src: &'a Source,
    pub impl_generics: Vec<HashSet<String>>,
    /// The `Self` type of each enclosing impl block, when it is a plain name.
    pub impl_self: Vec<Option<String>>,
    pub out: &'a mut Vec<Diagnostic>,
    pub explain: Option<&'a mut Explain>,
    /// The sizes this file sees: its own `dims!` first (a name there is that file's
    /// type), then the rest of the crate's.
    pub sizes: Sizes,
    /// The kinds this file sees, in the same order.
    pub kinds: Kinds,
    /// The dims this file sees as known only at run time.
    pub run_time: HashSet<String>,
}

impl Crate {
    /// The sizes file `file` sees (see [`Checker::sizes`]).
    pub(crate) fn sizes_for(&self, file: usize) -> Sizes {
        let mut sizes = self.sizes.clone();
        sizes.extend(self.files[file].own_sizes.clone());
        sizes
    }

    /// The dims file `file` sees as known only at run time: its own blocks decide the dims
    /// they declare.
    pub(crate) fn run_time_for(&self, file: usize) -> HashSet<String> {
        let own = &self.files[file];
        let mut run_time: HashSet<String> = self
            .run_time
            .iter()
            .filter(|d| !own.own_sizes.contains_key(*d))
            .cloned()
            .collect();
        run_time.extend(own.own_run_time.iter().cloned());
        run_time
    }

    /// The kinds file `file` sees: its own first (see [`Checker::kinds`]).
    pub(crate) fn kinds_for(&self, file: usize) -> Kinds {
        let mut kinds = self.kinds.clone();
        kinds.extend(self.files[file].own_kinds.clone());
        kinds
    }
}

/// The names a pattern binds.
pub(super) fn pat_idents(pat: &syn::Pat) -> Vec<String> {
    struct Names(Vec<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(p.ident.to_string());
            syn::visit::visit_pat_ident(self, p);
        }
    }
    let mut names = Names(Vec::new());
    names.visit_pat(pat);
    names.0
}

/// Whether a parameter is a tensor whose type is written in full (`x: &Tensor<(B, S, D)>`):
/// such a function is followed without an annotation.
pub(super) fn typed_tensor_params(sig: &syn::Signature) -> bool {
    sig.inputs.iter().any(|arg| match arg {
        FnArg::Typed(t) => tensor_type(&t.ty).is_some(),
        FnArg::Receiver(_) => false,
    })
}

pub(super) fn generic_names(g: &syn::Generics) -> HashSet<String> {
    g.type_params().map(|p| p.ident.to_string()).collect()
}

impl VisitMut for Checker<'_> {
    // As in the collector: annotated functions are items, not expressions.
    fn visit_expr_mut(&mut self, _: &mut syn::Expr) {}

    fn visit_item_impl_mut(&mut self, i: &mut syn::ItemImpl) {
        self.impl_generics.push(generic_names(&i.generics));
        self.impl_self.push(self_type_name(&i.self_ty));
        syn::visit_mut::visit_item_impl_mut(self, i);
        self.impl_self.pop();
        self.impl_generics.pop();
    }

    fn visit_item_fn_mut(&mut self, f: &mut ItemFn) {
        if self.wants(&f.attrs, &f.sig) {
            self.check_fn(f);
        }
        syn::visit_mut::visit_item_fn_mut(self, f);
    }

    fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
        if self.wants(&f.attrs, &f.sig) {
            // Checked as a free function; the parts are moved, not copied, and put back.
            let empty = syn::Block {
                brace_token: f.block.brace_token,
                stmts: Vec::new(),
            };
            let mut func = ItemFn {
                attrs: std::mem::take(&mut f.attrs),
                vis: f.vis.clone(),
                sig: f.sig.clone(),
                block: Box::new(std::mem::replace(&mut f.block, empty)),
            };
            self.check_fn(&mut func);
            f.attrs = func.attrs;
            f.block = *func.block;
        }
        syn::visit_mut::visit_impl_item_fn_mut(self, f);
    }
}

impl Checker<'_> {
    /// Annotated functions are checked; `explain` also wants to hear of its function when
    /// it is not annotated, to say so.
    ///
    /// Every function is followed, annotated or not: a `let` of a typed constructor
    /// (`Tensor::<(B, S, D)>::randn(0)`) or a parameter written in full gives the shapes, as
    /// it does to the compiler.
    fn wants(&self, _attrs: &[Attribute], _sig: &syn::Signature) -> bool {
        true
    }

    /// Whether the function being visited belongs to the type `explain` names, if any.
    fn in_type(&self, e: &Explain) -> bool {
        e.self_type
            .as_ref()
            .is_none_or(|t| self.impl_self.last().is_some_and(|s| s.as_ref() == Some(t)))
    }

    fn check_fn(&mut self, func: &mut ItemFn) {
        let explaining = self
            .explain
            .as_ref()
            .is_some_and(|e| !e.found && func.sig.ident == e.function && self.in_type(e));
        let attr = func.attrs.iter().find(|a| is_shapes_attr(a)).cloned();
        // Unannotated functions are followed too; `explain` still says that a function is
        // not annotated, unless its tensor parameters are written in full.
        if attr.is_none() && explaining && !typed_tensor_params(&func.sig) {
            if explaining && let Some(e) = self.explain.as_mut() {
                e.found = true;
            }
            return;
        }
        let file = &self.krate.files[self.file];
        let src = self.src;
        let mut out = Vec::new();

        let args = match attr {
            None => None,
            Some(attr) => match shapes_args(&attr) {
                Ok(args) => Some(args),
                Err(e) => {
                    push_errors(&mut out, src, "annotation", e);
                    None
                }
            },
        };
        let annotated = func.attrs.iter().any(is_shapes_attr);
        let mut signature_ok = !annotated;
        if let Some(args) = &args {
            match apply_signature(args, func) {
                Ok(()) => signature_ok = true,
                Err(e) => push_errors(&mut out, src, "annotation", e),
            }
        }

        // Every dim an annotation names must be declared somewhere.
        let mut known: HashSet<String> = generic_names(&func.sig.generics);
        known.extend(self.impl_generics.iter().flatten().cloned());
        let mut unknown: Vec<(String, Span)> = Vec::new();
        let mut note_dims = |dims: &mut dyn Iterator<Item = &syn::Ident>| {
            for d in dims {
                let name = d.to_string();
                if !known.contains(&name)
                    && !self.krate.sizes.contains_key(&name)
                    && !file.imported.contains(&name)
                    && !unknown.iter().any(|(n, _)| *n == name)
                {
                    unknown.push((name, d.span()));
                }
            }
        };
        if let Some(args) = &args {
            for p in &args.params {
                note_dims(&mut p.shape.dims.iter());
            }
            if let Some(r) = &args.ret {
                note_dims(&mut r.dims.iter());
            }
            for r in &args.relations {
                note_dims(&mut [&r.left, &r.a, &r.b].into_iter());
            }
        }

        // Parameters, then each `let` in order.
        let mut infer = Infer {
            env: HashMap::new(),
            structs: &self.krate.structs,
            own_structs: &self.krate.files[self.file].own_structs,
            sizes: &self.sizes,
            kinds: &self.kinds,
            run_time: &self.run_time,
            self_type: self.impl_self.last().cloned().flatten(),
            chunks: HashMap::new(),
            layers: HashMap::new(),
            returns: &self.krate.returns,
            params: &self.krate.params,
            src,
            decls: &self.krate.files[self.file].decls,
            findings: Vec::new(),
            cost: Cost::default(),
            closures: HashMap::new(),
            contracted_at: HashMap::new(),
            contracted_vars: HashMap::new(),
            square_weights: HashSet::new(),
            decoding: takes_a_cache(&func.sig, |name| {
                [
                    &self.krate.files[self.file].own_structs,
                    &self.krate.structs,
                ]
                .iter()
                .filter_map(|structs| structs.get(name))
                .any(|fields| fields.values().any(|f| matches!(f, Field::Cache { .. })))
            }),
            appended: HashSet::new(),
            closure_result: None,
            trace: explaining.then(Tracer::default),
            pending: Cost::default(),
        };
        let mut rows = Vec::new();
        for arg in &func.sig.inputs {
            if let FnArg::Typed(t) = arg
                && let Some(name) = pat_name(&t.pat)
                && let Some((shape, bytes)) = tensor_type(&t.ty)
            {
                rows.push(Row {
                    kind: "param",
                    var: name.to_string(),
                    expr: String::new(),
                    shape: shape.clone(),
                    elem_bytes: bytes,
                    cost: Cost::default(),
                });
                if let Some(t) = infer.trace.as_mut() {
                    let i = t.nodes.len();
                    t.nodes
                        .push(Node::leaf(&name.to_string(), "param", shape.clone()));
                    t.vars.insert(name.to_string(), i);
                }
                infer.env.insert(name.to_string(), shape);
            } else if let FnArg::Typed(t) = arg
                && let Some(name) = pat_name(&t.pat)
                && let Some(layer) = field_type(&t.ty)
            {
                infer.layers.insert(name.to_string(), layer);
            }
        }
        let default_bytes = rows.first().map_or(4, |r| r.elem_bytes);
        let mut let_dims: Vec<syn::Ident> = Vec::new();
        let walked = walk_lets(&mut func.block, |site| {
            if let Some((shape, _)) = site.shape {
                let_dims.extend(shape.dims.iter().cloned());
            }
            // A binding whose shape is not known shadows any earlier one of its name: a
            // pattern (`let (q, k) = …`), a deferred `let y;`, or a value not followed.
            let Some(name) = site.name else {
                for id in pat_idents(&site.local.pat) {
                    infer.env.remove(&id);
                    infer.chunks.remove(&id);
                    infer.appended.remove(&id);
                }
                // `let [q, k, v] = x.chunk::<Three, D>();` (also through `.try_into()` and
                // a written type), `let [q, k] = [&a[0], &a[1]];`, `let (q, k) = (a, b);`
                // and `let (keys, values) = cache.append::<S, T>(&k, &v)?;`.
                let pat = match &site.local.pat {
                    syn::Pat::Type(t) => &*t.pat,
                    p => p,
                };
                let elems = match pat {
                    syn::Pat::Slice(slice) => Some(&slice.elems),
                    syn::Pat::Tuple(tuple) => Some(&tuple.elems),
                    _ => None,
                };
                if signature_ok
                    && elems.is_none()
                    && let Some(init) = &site.local.init
                {
                    // `let _ = …;` and other patterns: what the value computes is checked.
                    infer.infer(&init.expr);
                }
                if signature_ok
                    && let Some(elems) = elems
                    && let Some(init) = &site.local.init
                {
                    let names: Vec<Option<String>> = elems
                        .iter()
                        .map(|p| pat_name(p).map(|n| n.to_string()))
                        .collect();
                    let shapes: Vec<Option<Shape>> = match &*init.expr {
                        syn::Expr::Array(a) => a.elems.iter().map(|e| infer.infer(e)).collect(),
                        syn::Expr::Tuple(t) => t.elems.iter().map(|e| infer.infer(e)).collect(),
                        e => {
                            let reported = infer.findings.len();
                            let part = infer.chunk_parts(e).or_else(|| infer.appended(e));
                            if part.is_none() && infer.findings.len() == reported {
                                // Not followed into the pattern, still checked.
                                infer.infer(e);
                            }
                            vec![part; names.len()]
                        }
                    };
                    if shapes.len() == names.len() {
                        for (i, (name, shape)) in names.into_iter().zip(shapes).enumerate() {
                            if let (Some(name), Some(shape)) = (name, shape) {
                                if explaining {
                                    rows.push(Row {
                                        kind: "let",
                                        var: name.clone(),
                                        expr: src.text_of(init.expr.span()).to_owned(),
                                        shape: shape.clone(),
                                        elem_bytes: default_bytes,
                                        cost: Cost::default(),
                                    });
                                    infer.trace_part(&name, &init.expr, i, &shape);
                                }
                                infer.env.insert(name, shape);
                            }
                        }
                    }
                }
                return None;
            };
            infer.chunks.remove(&name.to_string());
            infer.appended.remove(&name.to_string());
            infer.layers.remove(&name.to_string());
            infer.closures.remove(&name.to_string());
            if let Some(init) = site.local.init.as_ref()
                && let syn::Expr::Closure(closure) = &*init.expr
            {
                // Followed where it is called.
                infer.env.remove(&name.to_string());
                infer.closures.insert(name.to_string(), closure.clone());
                return None;
            }
            let Some(init) = site.local.init.as_ref() else {
                infer.env.remove(&name.to_string());
                return None;
            };
            // A layer or RoPE table: `let rope = Rope::<T, Dh>::new(…);`.
            let declared = match &site.local.pat {
                syn::Pat::Type(t) => field_type(&t.ty).filter(|f| !matches!(f, Field::Tensor(_))),
                _ => None,
            };
            if signature_ok
                && site.shape.is_none()
                && (declared.is_some() || matches!(&*init.expr, syn::Expr::Call(_)))
                && let Some(layer) = infer.layer(&init.expr, declared.as_ref())
            {
                infer.env.remove(&name.to_string());
                infer.layers.insert(name.to_string(), layer);
                return None;
            }
            if signature_ok
                && site.shape.is_none()
                && let Some(part) = infer.chunk_parts(&init.expr)
            {
                infer.env.remove(&name.to_string());
                infer.chunks.insert(name.to_string(), part);
                return None;
            }
            // `#[shape(...)]` on a value that is not a tensor: a count, a description.
            // (At the `let`, where the compiler reports every `#[shape]` check.)
            if site.shape.is_some()
                && let Some(ty) = not_a_tensor(&mut infer, &init.expr)
            {
                infer.broke(
                    site.local.let_token.span,
                    &rules::SHAPE_ON_NON_TENSOR,
                    &[("Self", ty)],
                );
                infer.env.remove(&name.to_string());
                return None;
            }
            infer.cost = Cost::default();
            let inferred = if signature_ok {
                infer.infer(&init.expr)
            } else {
                None
            };
            let written = match &site.local.pat {
                syn::Pat::Type(t) => tensor_type(&t.ty).map(|(s, _)| s),
                _ => None,
            };
            let expected = site
                .shape
                .map(|(s, _)| {
                    // At the `let`, as the compiler reports it (the line that makes the
                    // value, not the attribute's above it).
                    (
                        s.dims.iter().map(ToString::to_string).collect::<Shape>(),
                        site.local.let_token.span,
                    )
                })
                .or_else(|| written.map(|s| (s, name.span())));
            if let (Some((want, at)), Some(got)) = (&expected, &inferred)
                && want != got
            {
                let name = name.to_string();
                let mut d = crate::infer::finding(
                    src,
                    *at,
                    &rules::LET_SHAPE,
                    &[
                        ("Name", &name),
                        ("Expected", &tuple(want)),
                        ("Self", &tuple(got)),
                    ],
                );
                d.notes.push(format!(
                    "`{}` has the shape `{}`",
                    src.text_of(init.expr.span()),
                    tuple(got)
                ));
                infer.findings.push(d);
            }
            let Some(shape) = expected.map(|(s, _)| s).or(inferred) else {
                infer.env.remove(&name.to_string());
                return None;
            };
            if explaining {
                rows.push(Row {
                    kind: "let",
                    var: name.to_string(),
                    expr: src.text_of(init.expr.span()).to_owned(),
                    shape: shape.clone(),
                    elem_bytes: default_bytes,
                    cost: infer.cost,
                });
                infer.trace_binding(&name.to_string(), &init.expr, &shape);
            }
            if square_from_checkpoint(&init.expr) {
                infer.square_weights.insert(name.to_string());
            } else {
                infer.square_weights.remove(&name.to_string());
            }
            match infer.contracted_of(&init.expr) {
                Some(scores) => infer.contracted_vars.insert(name.to_string(), scores),
                None => infer.contracted_vars.remove(&name.to_string()),
            };
            infer.env.insert(name.to_string(), shape);
            None
        });
        if let Err(e) = walked {
            push_errors(&mut out, src, "annotation", e);
        }
        note_dims(&mut let_dims.iter());
        for (name, span) in &unknown {
            let fn_name = &func.sig.ident;
            let mut d = src.diagnostic(
                *span,
                "unknown-dim",
                &format!(
                    "unknown dim `{name}`: declare it in a `dims!` block, as in `pub {name} = 4;`, or make it a generic parameter: `fn {fn_name}<{name}: Dim>`"
                ),
            );
            d.label = Some("not declared in any `dims!` block of the crate".to_owned());
            out.push(d);
        }

        // The returned value against the return shape: the annotation's, or the type
        // written in full.
        let ret: Option<Shape> = match args.as_ref() {
            Some(a) => a
                .ret
                .as_ref()
                .map(|r| r.dims.iter().map(ToString::to_string).collect()),
            None => match &func.sig.output {
                syn::ReturnType::Type(_, ty) => tensor_type(ty).map(|(s, _)| s),
                syn::ReturnType::Default => None,
            },
        };
        let returns_a_tensor = ret.is_some();
        if signature_ok
            && unknown.is_empty()
            && !returns_a_tensor
            && let Some(Stmt::Expr(tail, None)) = func.block.stmts.last()
        {
            // A tail of another type (`Ok(x.matmul(&w))`, a tuple, a unit): what it
            // computes is checked all the same.
            infer.infer(tail);
        }
        if signature_ok
            && unknown.is_empty()
            && let Some(want) = ret
            && let Some(Stmt::Expr(tail, None)) = func.block.stmts.last()
        {
            infer.cost = Cost::default();
            if let Some(got) = infer.infer(tail) {
                if want != got {
                    let d = crate::infer::finding(
                        src,
                        tail.span(),
                        &rules::RETURN_SHAPE,
                        &[
                            ("Fn", &func.sig.ident.to_string()),
                            ("Expected", &tuple(&want)),
                            ("Found", &tuple(&got)),
                        ],
                    );
                    infer.findings.push(d);
                }
                if explaining {
                    infer.trace_binding("return", tail, &want);
                    rows.push(Row {
                        kind: "return",
                        var: "return".to_owned(),
                        expr: src.text_of(tail.span()).to_owned(),
                        shape: want,
                        elem_bytes: default_bytes,
                        cost: infer.cost,
                    });
                }
            }
        }
        if unknown.is_empty() {
            out.extend(infer.findings);
        }
        self.out.extend(out);
        if explaining && let Some(e) = self.explain.as_mut() {
            e.found = true;
            e.rows = rows;
            e.trace = infer.trace.map(|t| t.nodes).unwrap_or_default();
        }
    }
}

/// The type of `expr` when it is a tensor's method that returns something else, as the
/// compiler names it: `x.numel()` is a `usize`.
fn not_a_tensor(infer: &mut Infer<'_>, expr: &syn::Expr) -> Option<&'static str> {
    let syn::Expr::MethodCall(m) = expr else {
        return None;
    };
    let ty = match m.method.to_string().as_str() {
        "numel" | "bytes" | "len" => "usize",
        "describe" => "String",
        "matmul_flops" => "u64",
        "is_empty" => "bool",
        _ => return None,
    };
    // Only of a tensor: another type's `len()` may be anything.
    infer.infer(&m.receiver).map(|_| ty)
}

/// Whether `expr` reads a square tensor from a checkpoint: `ckpt.tensor::<(D, D)>(…)`,
/// through `?`, `.expect(…)` and `.unwrap()`.
fn square_from_checkpoint(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::Try(t) => square_from_checkpoint(&t.expr),
        syn::Expr::MethodCall(m)
            if matches!(m.method.to_string().as_str(), "expect" | "unwrap") =>
        {
            square_from_checkpoint(&m.receiver)
        }
        syn::Expr::MethodCall(m) if m.method == "tensor" => m
            .turbofish
            .as_ref()
            .and_then(|t| match t.args.first() {
                Some(syn::GenericArgument::Type(ty)) => crate::infer::tuple_type(ty),
                _ => None,
            })
            .is_some_and(|shape| shape.len() == 2 && shape[0] == shape[1]),
        _ => false,
    }
}

/// The function takes a KV cache (`cache: &mut KvCache<…>`, a slice or `Vec` of them, or a
/// struct `holds_one` says has one as a field): it decodes, one step after another.
fn takes_a_cache(sig: &syn::Signature, holds_one: impl Fn(&str) -> bool) -> bool {
    struct Names(Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Names {
        fn visit_path_segment(&mut self, s: &'ast syn::PathSegment) {
            self.0.push(s.ident.to_string());
            syn::visit::visit_path_segment(self, s);
        }
    }
    let mut names = Names(Vec::new());
    for arg in &sig.inputs {
        if let FnArg::Typed(t) = arg {
            syn::visit::Visit::visit_type(&mut names, &t.ty);
        }
    }
    names.0.iter().any(|n| n == "KvCache" || holds_one(n))
}
