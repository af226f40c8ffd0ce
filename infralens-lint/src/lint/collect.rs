//! Pass 1: every file of the crate parsed once, its `dims!` sizes and kinds, its structs'
//! fields, its functions' parameter and return shapes collected for pass 2.

use super::*;
use crate::decls::DimSites;
use crate::diag::Diagnostic;
use crate::infer::{Field, Kinds, Shape, Sizes, field_type, tensor_type};
use crate::source::Source;
use infralens_syntax::dims::DimsBlock;
use infralens_syntax::function::pat_name;
use infralens_syntax::shapes::ShapesArgs;
use proc_macro2::{Span, TokenStream};
use std::collections::{HashMap, HashSet};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Attribute, FnArg, ItemFn, Meta, Stmt};

/// A parsed file.
pub(crate) struct File {
    pub src: Source,
    /// The file parsed (else its `parse-error` is in the crate's diagnostics).
    pub(crate) parsed: bool,
    /// Names brought in by `use`.
    pub(crate) imported: HashSet<String>,
    /// The sizes declared in this file's own `dims!` blocks.
    pub own_sizes: Sizes,
    /// The dims this file's own `dims!` blocks declare known only at run time.
    pub(crate) own_run_time: HashSet<String>,
    /// The kinds declared in this file's own `dims!` blocks.
    pub own_kinds: Kinds,
    /// The structs this file declares, which win over the crate's (two modules may each
    /// have a `Block`).
    pub own_structs: HashMap<String, HashMap<String, Field>>,
    /// Where this file's `dims!` blocks declare their dims (for fixes there).
    pub decls: DimSites,
    /// `// infralens: allow(rule)` comments: the rule and the lines they cover.
    pub(crate) allows: Vec<crate::config::Allow>,
    /// For a file too large to parse whole, the ranges of top-level items pass 1 parsed
    /// one at a time; pass 2 reads it the same way.
    pub(crate) parts: Option<Vec<std::ops::Range<usize>>>,
}

/// Everything the files declare together.
pub(crate) struct Crate {
    pub files: Vec<File>,
    pub sizes: Sizes,
    /// Each dim's kind, crate-wide (a dim declared with two kinds is left out).
    pub kinds: Kinds,
    /// The dims whose size is known only at run time (`dyn` in every `dims!` block that
    /// declares them); a file's own blocks decide for it ([`Crate::run_time_for`]).
    pub run_time: HashSet<String>,
    pub(crate) returns: HashMap<String, Shape>,
    /// The parameter shapes of the crate's functions (`None` for a parameter that is not a
    /// known tensor), by name.
    pub(crate) params: HashMap<String, Vec<Option<Shape>>>,
    /// The fields the lint follows, by struct name (a name declared twice with other
    /// fields is left out).
    pub(crate) structs: HashMap<String, HashMap<String, Field>>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

pub(super) fn is_shapes_attr(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "shapes")
}

/// The `#[shapes(...)]` arguments, as the macro would parse them.
pub(super) fn shapes_args(attr: &Attribute) -> syn::Result<ShapesArgs> {
    parse_shapes_args(attr).map_err(|e| {
        // An error about the annotation as a whole points at the attribute.
        e.into_iter()
            .map(|e| {
                if e.span().byte_range() == (0..0) {
                    syn::Error::new_spanned(attr, e.to_string())
                } else {
                    e
                }
            })
            .reduce(|mut all, e| {
                all.combine(e);
                all
            })
            .unwrap_or_else(|| syn::Error::new_spanned(attr, "malformed annotation"))
    })
}

pub(super) fn parse_shapes_args(attr: &Attribute) -> syn::Result<ShapesArgs> {
    match &attr.meta {
        Meta::List(list) => ShapesArgs::from_tokens(list.tokens.clone()),
        Meta::Path(_) => syn::parse2(TokenStream::new()),
        Meta::NameValue(nv) => Err(syn::Error::new_spanned(
            nv,
            "write the shapes in parentheses, as in `#[shapes(x: [B, S, D] -> [B, S, D])]`",
        )),
    }
}

pub(super) fn push_errors(out: &mut Vec<Diagnostic>, src: &Source, code: &str, err: syn::Error) {
    for e in err {
        out.push(src.diagnostic(e.span(), code, &e.to_string()));
    }
}

/// Pass 1: each file's `dims!`, `use` names and annotated return shapes.
pub(super) struct Collector<'a> {
    src: &'a Source,
    /// Where this file's `dims!` blocks declare each dim.
    decls: DimSites,
    /// The `Self` type of each enclosing impl block, when it is a plain name.
    impl_self: Vec<Option<String>>,
    sizes: Sizes,
    kinds: Vec<(String, Option<String>)>,
    /// Dims whose size is known only at run time (`dyn`, or computed from one).
    run_time: Vec<String>,
    imported: HashSet<String>,
    returns: Vec<(String, Shape)>,
    params: Vec<(String, Vec<Option<Shape>>)>,
    structs: Vec<(String, HashMap<String, Field>)>,
    out: Vec<Diagnostic>,
}

impl<'a> Collector<'a> {
    /// Nothing collected yet, from `src`.
    fn new(src: &'a Source) -> Self {
        Collector {
            src,
            decls: DimSites::default(),
            impl_self: Vec::new(),
            sizes: Sizes::new(),
            kinds: Vec::new(),
            run_time: Vec::new(),
            imported: HashSet::new(),
            returns: Vec::new(),
            params: Vec::new(),
            structs: Vec::new(),
            out: Vec::new(),
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    // `dims!` and annotated functions are items (or statements of a block): expressions
    // never hold one worth a look, so they are not walked.
    fn visit_expr(&mut self, _: &'ast syn::Expr) {}

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if mac.path.segments.last().is_some_and(|s| s.ident == "dims") {
            match mac.parse_body::<DimsBlock>() {
                Err(e) => push_errors(&mut self.out, self.src, "dims", e),
                Ok(block) => {
                    let (sizes, result) = block.resolve_lenient();
                    let resolved = result.is_ok();
                    if let Err(e) = result {
                        let before = self.out.len();
                        push_errors(&mut self.out, self.src, "dims", e);
                        for d in &mut self.out[before..] {
                            if d.message.contains("divisible") {
                                d.lab = Some("02".to_owned());
                            }
                        }
                    }
                    for (decl, size) in block.decls.iter().zip(sizes) {
                        let name = decl.name.to_string();
                        // `dyn`, or computed from a `dyn` dim: a size known at run time.
                        let dynamic = matches!(decl.size, infralens_syntax::dims::SizeExpr::Dyn(_));
                        if dynamic || (resolved && size.is_none()) {
                            self.run_time.push(name.clone());
                        }
                        self.decls.note(self.src, decl);
                        self.kinds
                            .push((name.clone(), decl.kind.as_ref().map(ToString::to_string)));
                        let entry = self.sizes.entry(name).or_insert(size);
                        if *entry != size {
                            *entry = None;
                        }
                    }
                }
            }
        }
        syn::visit::visit_macro(self, mac);
    }

    fn visit_use_name(&mut self, u: &'ast syn::UseName) {
        self.imported.insert(u.ident.to_string());
    }

    fn visit_use_rename(&mut self, u: &'ast syn::UseRename) {
        self.imported.insert(u.rename.to_string());
    }

    fn visit_item_fn(&mut self, f: &'ast ItemFn) {
        self.note_signature(&f.attrs, &f.sig);
        syn::visit::visit_item_fn(self, f);
    }

    /// `#[shapes]` on a struct, an impl block, …: the macro's own error.
    fn visit_item(&mut self, item: &'ast syn::Item) {
        use syn::Item;
        let attrs: &[Attribute] = match item {
            Item::Struct(i) => &i.attrs,
            Item::Enum(i) => &i.attrs,
            Item::Impl(i) => &i.attrs,
            Item::Trait(i) => &i.attrs,
            Item::Const(i) => &i.attrs,
            Item::Static(i) => &i.attrs,
            Item::Mod(i) => &i.attrs,
            _ => &[],
        };
        if attrs.iter().any(is_shapes_attr) {
            push_errors(
                &mut self.out,
                self.src,
                "annotation",
                infralens_syntax::not_a_function(item),
            );
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
        let fields: HashMap<String, Field> = s
            .fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                // A tuple struct's fields by position: `self.ln_1.0`.
                let name = f
                    .ident
                    .as_ref()
                    .map_or_else(|| i.to_string(), ToString::to_string);
                Some((name, field_type(&f.ty)?))
            })
            .collect();
        if !fields.is_empty() && s.generics.params.is_empty() {
            self.structs.push((s.ident.to_string(), fields));
        }
        syn::visit::visit_item_struct(self, s);
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        self.impl_self.push(self_type_name(&i.self_ty));
        syn::visit::visit_item_impl(self, i);
        self.impl_self.pop();
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.note_signature(&f.attrs, &f.sig);
        syn::visit::visit_impl_item_fn(self, f);
    }
}

impl Collector<'_> {
    /// A non-generic function's signature, so that a call to it is followed: its parameter
    /// shapes (annotated, or written in full), against which the compiler checks the
    /// arguments, and its return shape (annotated; written in full when it is not
    /// annotated).
    fn note_signature(&mut self, attrs: &[Attribute], sig: &syn::Signature) {
        if !sig.generics.params.is_empty() {
            return;
        }
        let args = attrs.iter().find(|a| is_shapes_attr(a)).map(shapes_args);
        let annotation = match &args {
            Some(Ok(a)) => Some(a),
            _ => None,
        };
        // A method is also known by its type: `Attention::forward`, for
        // `self.attn.forward(…)` and `Self::forward(…)`.
        let mut names = vec![sig.ident.to_string()];
        if let Some(Some(ty)) = self.impl_self.last() {
            names.insert(0, format!("{ty}::{}", sig.ident));
        }
        let params: Vec<Option<Shape>> = sig
            .inputs
            .iter()
            .map(|arg| {
                let FnArg::Typed(t) = arg else { return None };
                let name = pat_name(&t.pat).map(ToString::to_string);
                let annotated = annotation.and_then(|a| {
                    a.params
                        .iter()
                        .find(|p| Some(p.name.to_string()) == name)
                        .map(|p| p.shape.dims.iter().map(ToString::to_string).collect())
                });
                annotated.or_else(|| tensor_type(&t.ty).map(|(s, _)| s))
            })
            .collect();
        if sig.receiver().is_none() && params.iter().any(Option::is_some) {
            for name in &names {
                self.params.push((name.clone(), params.clone()));
            }
        }
        let ret: Option<Shape> = match (&args, &sig.output) {
            (Some(Ok(a)), _) => a
                .ret
                .as_ref()
                .map(|r| r.dims.iter().map(ToString::to_string).collect()),
            (None, syn::ReturnType::Type(_, ty)) => tensor_type(ty).map(|(s, _)| s),
            _ => None,
        };
        if let Some(shape) = ret {
            for name in names {
                self.returns.push((name, shape.clone()));
            }
        }
    }
}

/// One file after the first pass: what it declares, for the whole crate to merge.
pub(crate) struct Collected {
    pub(crate) file: File,
    pub(crate) sizes: Sizes,
    pub(crate) kinds: Vec<(String, Option<String>)>,
    pub(crate) run_time: Vec<String>,
    pub(crate) returns: Vec<(String, Shape)>,
    pub(crate) params: Vec<(String, Vec<Option<Shape>>)>,
    pub(crate) structs: Vec<(String, HashMap<String, Field>)>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl Crate {
    /// Parses every source: the crate's declarations, and each file's syntax tree (`None`
    /// for a file that does not parse; its diagnostic is in the crate).
    pub(crate) fn parse(sources: Vec<Source>) -> (Crate, Vec<Option<syn::File>>) {
        let (asts, collected): (Vec<_>, Vec<_>) = sources.into_iter().map(Crate::parse_one).unzip();
        (Crate::merge(collected), asts)
    }

    /// Parses one source and collects what it declares: its `dims!`, `use` names, struct
    /// fields, annotated return shapes and allow comments.
    pub(crate) fn parse_one(src: Source) -> (Option<syn::File>, Collected) {
        if src.text.len() > PARSED_WHOLE
            && !src.not_utf8
            && let Some(ranges) = crate::prescan::top_level_ranges(&src.text)
            && let Some(collected) = Crate::parse_parts(&src, ranges)
        {
            return (None, collected);
        }
        let problem = crate::prescan::prescan(&src.text);
        let parsed = if src.not_utf8 {
            let at = crate::diag::Pos { line: 1, column: 1 };
            Err(Diagnostic::new(
                &src.name,
                at,
                at,
                "parse-error",
                "this file is not UTF-8 text, so it is not Rust source",
            ))
        } else if let Some(problem @ crate::prescan::Problem::TooDeep { .. }) = problem {
            let (line, column) = problem.position();
            let at = crate::diag::Pos { line, column };
            Err(Diagnostic::new(
                &src.name,
                at,
                at,
                "parse-error",
                &problem.message(),
            ))
        } else {
            syn::parse_file(&src.text).map_err(|e| {
                // The lexer's own message says nothing a reader can act on.
                let lexer = e.to_string() == "cannot parse string into token stream";
                let (message, label) = if lexer && let Some(p) = problem {
                    let (line, column) = p.position();
                    let at = crate::diag::Pos { line, column };
                    let mut d = Diagnostic::new(&src.name, at, at, "parse-error", &p.message());
                    d.excerpt = Some(src.excerpt(at, at));
                    return d;
                } else if lexer {
                    (
                        "this file does not parse as Rust: a bracket, brace or parenthesis is not closed, or is closed by the wrong one".to_owned(),
                        "the lexer stopped here".to_owned(),
                    )
                } else {
                    (
                        format!("this file does not parse as Rust: {e}"),
                        e.to_string(),
                    )
                };
                let mut d = src.diagnostic(e.span(), "parse-error", &message);
                d.label = Some(label);
                d
            })
        };
        let ast = match parsed {
            Ok(ast) => ast,
            Err(d) => {
                let file = File {
                    src,
                    parsed: false,
                    imported: HashSet::new(),
                    own_sizes: Sizes::new(),
                    own_run_time: HashSet::new(),
                    own_kinds: Kinds::new(),
                    own_structs: HashMap::new(),
                    decls: DimSites::default(),
                    allows: Vec::new(),
                    parts: None,
                };
                let collected = Collected {
                    file,
                    sizes: Sizes::new(),
                    kinds: Vec::new(),
                    run_time: Vec::new(),
                    returns: Vec::new(),
                    params: Vec::new(),
                    structs: Vec::new(),
                    diagnostics: vec![d],
                };
                return (None, collected);
            }
        };
        let mut c = Collector::new(&src);
        c.visit_file(&ast);
        let collected = Crate::collected(&src, c, None, || {
            let mut spans = ItemSpans(&src, Vec::new());
            spans.visit_file(&ast);
            spans.1
        });
        (Some(ast), collected)
    }

    /// Pass 1 of a file too large to parse whole, one range of top-level items at a time
    /// (a syn tree takes about 50 times its source: a 2.3 MB file would hold 340 MB at
    /// once). `None` when a range does not parse on its own: the file is then parsed whole,
    /// so that its error is reported as for any file.
    fn parse_parts(src: &Source, ranges: Vec<std::ops::Range<usize>>) -> Option<Collected> {
        let parts: Vec<Source> = ranges.iter().map(|r| src.part(r.start)).collect();
        let mut c = Collector::new(src);
        let mut spans = Vec::new();
        for (range, part) in ranges.iter().zip(&parts) {
            let ast = syn::parse_file(&src.text[range.clone()]).ok()?;
            c.src = part;
            c.visit_file(&ast);
            let mut item_spans = ItemSpans(part, Vec::new());
            item_spans.visit_file(&ast);
            spans.extend(item_spans.1);
        }
        Some(Crate::collected(src, c, Some(ranges), || spans))
    }

    /// What pass 1 found in a file: `c`'s declarations, its allow comments (`item_spans`
    /// gives the lines of its items, asked for only when it has one), and how pass 2 reads
    /// it (`parts`).
    fn collected(
        src: &Source,
        c: Collector<'_>,
        parts: Option<Vec<std::ops::Range<usize>>>,
        item_spans: impl FnOnce() -> Vec<(usize, usize)>,
    ) -> Collected {
        let Collector {
            sizes,
            kinds,
            run_time,
            imported,
            returns,
            params,
            structs,
            mut out,
            decls,
            ..
        } = c;
        let (allows, bad) = crate::config::inline_allows(&src.text, item_spans);
        for (line, message) in bad {
            let at = crate::diag::Pos { line, column: 1 };
            let mut d = Diagnostic::new(&src.name, at, at, "annotation", &message);
            d.excerpt = Some(src.excerpt(at, at));
            out.push(d);
        }
        let own_kinds = kinds.iter().cloned().collect();
        let file = File {
            // Shares the text and its index.
            src: src.clone(),
            parsed: true,
            imported,
            own_sizes: sizes.clone(),
            own_run_time: run_time.iter().cloned().collect(),
            own_kinds,
            own_structs: structs.iter().cloned().collect(),
            decls,
            allows,
            parts,
        };
        Collected {
            file,
            sizes,
            kinds,
            run_time,
            returns,
            params,
            structs,
            diagnostics: out,
        }
    }

    /// The crate of the collected files: a name declared twice alike is known, one declared
    /// differently in two files is left to each file's own declarations.
    pub(crate) fn merge(collected: Vec<Collected>) -> Crate {
        let mut files = Vec::with_capacity(collected.len());
        let mut diagnostics = Vec::new();
        let mut sizes = Sizes::new();
        let mut returns: HashMap<String, Option<Shape>> = HashMap::new();
        let mut params: HashMap<String, Option<Vec<Option<Shape>>>> = HashMap::new();
        let mut structs: HashMap<String, Option<HashMap<String, Field>>> = HashMap::new();
        let mut kinds: HashMap<String, Option<Option<String>>> = HashMap::new();
        let mut run_time = HashSet::new();
        let mut fixed = HashSet::new();
        for c in collected {
            run_time.extend(c.run_time);
            fixed.extend(
                c.sizes
                    .iter()
                    .filter(|(_, s)| s.is_some())
                    .map(|(n, _)| n.clone()),
            );
            for (name, kind) in c.kinds {
                agree(&mut kinds, name, kind);
            }
            for (name, fields) in c.structs {
                agree(&mut structs, name, fields);
            }
            for (name, size) in c.sizes {
                let entry = sizes.entry(name).or_insert(size);
                if *entry != size {
                    *entry = None;
                }
            }
            for (name, shape) in c.returns {
                agree(&mut returns, name, shape);
            }
            for (name, shapes) in c.params {
                agree(&mut params, name, shapes);
            }
            diagnostics.extend(c.diagnostics);
            files.push(c.file);
        }
        // A dim declared `dyn` in one file and with a size in another is neither, crate-wide.
        run_time.retain(|d| !fixed.contains(d));
        Crate {
            files,
            sizes,
            run_time,
            kinds: kinds
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect(),
            returns: returns
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect(),
            params: params
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect(),
            structs: structs
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect(),
            diagnostics,
        }
    }
}

/// Records `value` for `name` as the files merge: a name declared twice alike is known, one
/// declared differently is known as neither (`None`).
pub(super) fn agree<V: PartialEq>(map: &mut HashMap<String, Option<V>>, name: String, value: V) {
    match map.entry(name) {
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(Some(value));
        }
        std::collections::hash_map::Entry::Occupied(mut e) => {
            if e.get().as_ref() != Some(&value) {
                e.insert(None);
            }
        }
    }
}

/// The line spans of a file's items, fields and statements, for the allow comments (lines
/// of the file, through the source of the part parsed).
pub(super) struct ItemSpans<'a>(&'a Source, Vec<(usize, usize)>);

impl ItemSpans<'_> {
    fn note(&mut self, span: Span) {
        let (start, end) = self.0.positions(span);
        self.1.push((start.line, end.line));
    }
}

impl<'ast> Visit<'ast> for ItemSpans<'_> {
    fn visit_item(&mut self, i: &'ast syn::Item) {
        self.note(i.span());
        syn::visit::visit_item(self, i);
    }
    fn visit_impl_item(&mut self, i: &'ast syn::ImplItem) {
        self.note(i.span());
        syn::visit::visit_impl_item(self, i);
    }
    fn visit_trait_item(&mut self, i: &'ast syn::TraitItem) {
        self.note(i.span());
        syn::visit::visit_trait_item(self, i);
    }
    fn visit_field(&mut self, f: &'ast syn::Field) {
        self.note(f.span());
        syn::visit::visit_field(self, f);
    }
    fn visit_stmt(&mut self, st: &'ast Stmt) {
        self.note(st.span());
        syn::visit::visit_stmt(self, st);
    }
}

/// The name of an impl block's `Self` type, when it is a plain path: `Attention` in
/// `impl Attention` and `impl<B: Dim> Attention<B>`.
pub(super) fn self_type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => {
            p.path.segments.last().map(|s| s.ident.to_string())
        }
        _ => None,
    }
}
