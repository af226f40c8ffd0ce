//! What `#[shapes(...)]` does to a function, as data: the signature rewritten with its
//! shapes, and every `#[shape(...)]` on a `let` found and checked, with the same spanned
//! errors for the proc macro (which turns them into compile errors) and for the CLI (which
//! reports them without compiling).
//!
//! ```
//! use infralens_syntax::function::{apply_signature, walk_lets};
//! use infralens_syntax::shapes::ShapesArgs;
//! use quote::ToTokens;
//!
//! let args: ShapesArgs = syn::parse_str("x: [B, S, D] -> [B, S, D]")?;
//! let mut func: syn::ItemFn = syn::parse_str(
//!     "fn f(x: &Tensor) -> Tensor { #[shape(B, S, D)] let y = x.softmax(); y }",
//! )?;
//! apply_signature(&args, &mut func)?;
//! assert_eq!(
//!     func.sig.to_token_stream().to_string(),
//!     "fn f (x : & Tensor < (B , S , D ,) >) -> Tensor < (B , S , D ,) >",
//! );
//!
//! let mut annotated = Vec::new();
//! walk_lets(&mut func.block, |site| {
//!     annotated.extend(site.shape.map(|(shape, _)| (site.name.unwrap().to_string(), shape.to_string())));
//!     None
//! })?;
//! assert_eq!(annotated, vec![("y".to_owned(), "[B, S, D]".to_owned())]);
//! # Ok::<(), syn::Error>(())
//! ```

use crate::messages::{NOT_ON_LET, ON_A_PATTERN, TWO_SHAPES, no_value};
use crate::shapes::{LetShape, RelationKind, ShapeLit, ShapesArgs};
use quote::{ToTokens, quote_spanned};
use syn::visit_mut::VisitMut;
use syn::{
    Attribute, FnArg, GenericArgument, Ident, ItemFn, Local, Pat, PathArguments, ReturnType, Stmt,
    Type, TypePath,
};

/// Errors gathered along the way: every one is reported, not just the first.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// Writes the annotated shapes into the `Tensor` types of `func`'s signature (a bare
/// `Tensor` gets `Tensor<(B, S, D)>`; one written in full is checked against the
/// annotation), and turns `where` relations into bounds. The signature is rewritten as far
/// as it can be even when there are errors; all of them are returned together.
///
/// ```
/// use infralens_syntax::function::apply_signature;
/// let args = syn::parse_str("x: [B, S, D]")?;
/// let mut func: syn::ItemFn = syn::parse_str("fn f(x: Tensor, y: Tensor) {}")?;
/// let err = apply_signature(&args, &mut func).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "`y` is a `Tensor` without a shape: add `y: [B, S, D]` (its dims) to `#[shapes(...)]`",
/// );
/// # Ok::<(), syn::Error>(())
/// ```
pub fn apply_signature(args: &ShapesArgs, func: &mut ItemFn) -> syn::Result<()> {
    let mut errors = Errors::default();
    rewrite_signature(args, func, &mut errors);
    errors.finish()
}

/// One `let` of an annotated function, as [`walk_lets`] meets it.
///
/// ```
/// use infralens_syntax::function::walk_lets;
/// let mut block: syn::Block = syn::parse_str("{ let a = 1; #[shape(S)] let b = a; }")?;
/// let mut seen = Vec::new();
/// walk_lets(&mut block, |site| {
///     seen.push((site.name.map(|n| n.to_string()), site.shape.is_some()));
///     None
/// })?;
/// assert_eq!(seen, vec![(Some("a".into()), false), (Some("b".into()), true)]);
/// # Ok::<(), syn::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct LetSite<'a> {
    /// The statement, its `#[shape]` attribute removed.
    pub local: &'a Local,
    /// The bound variable, when the pattern is a plain name (`let x`, `let mut x: T`).
    pub name: Option<&'a Ident>,
    /// The asserted shape and the `#[shape(...)]` attribute it came from, if any.
    pub shape: Option<(&'a ShapeLit, &'a Attribute)>,
}

/// Walks the statements of `block` (nested blocks included) in source order, removes every
/// `#[shape(...)]`, and calls `on_let` for each `let`; a statement `on_let` returns is
/// inserted right after that `let`. A `#[shape]` that is malformed, or placed on anything
/// but a `let` of one name, is an error; all errors are returned together.
///
/// ```
/// use infralens_syntax::function::walk_lets;
/// let mut block: syn::Block = syn::parse_str("{ #[shape(B, S)] f(); }")?;
/// let err = walk_lets(&mut block, |_| None).unwrap_err();
/// assert_eq!(err.to_string(), "`#[shape]` goes on a `let`: write `#[shape(B, S, D)] let x = …;`");
/// # Ok::<(), syn::Error>(())
/// ```
pub fn walk_lets(
    block: &mut syn::Block,
    on_let: impl FnMut(LetSite<'_>) -> Option<Stmt>,
) -> syn::Result<()> {
    let mut errors = Errors::default();
    LetShapes {
        errors: &mut errors,
        on_let,
    }
    .visit_block_mut(block);
    errors.finish()
}

fn rewrite_signature(args: &ShapesArgs, func: &mut ItemFn, errors: &mut Errors) {
    let fn_name = func.sig.ident.to_string();
    let param_names: Vec<String> = func
        .sig
        .inputs
        .iter()
        .filter_map(|arg| match arg {
            FnArg::Typed(t) => pat_name(&t.pat).map(|i| i.to_string()),
            FnArg::Receiver(_) => Some("self".to_owned()),
        })
        .collect();

    // Each parameter's position by name, so that 10,000 annotated parameters cost
    // 10,000 look-ups, not 10,000².
    let mut position: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, name) in param_names.iter().enumerate() {
        position.entry(name.as_str()).or_insert(i);
    }
    let by_index: Vec<usize> = func
        .sig
        .inputs
        .iter()
        .enumerate()
        .filter(|(_, arg)| match arg {
            FnArg::Typed(t) => pat_name(&t.pat).is_some(),
            FnArg::Receiver(_) => true,
        })
        .map(|(i, _)| i)
        .collect();
    let mut unknown_name = false;
    for param in &args.params {
        let name = param.name.to_string();
        let arg = position
            .get(name.as_str())
            .and_then(|&k| by_index.get(k))
            .and_then(|&i| func.sig.inputs.iter_mut().nth(i));
        match arg {
            None => {
                unknown_name = true;
                // A parameter written as a pattern has no name to annotate it by.
                let pattern = func.sig.inputs.iter().find_map(|arg| match arg {
                    FnArg::Typed(t) if pat_name(&t.pat).is_none() => {
                        Some((tokens_text(t.pat.to_token_stream()), type_text(&t.ty)))
                    }
                    _ => None,
                });
                let message = match pattern {
                    Some((pat, ty)) => format!(
                        "`{name}` is not a parameter of `{fn_name}`: its parameter `{pat}: {ty}` is a pattern, and `#[shapes]` names a parameter by its name; take each tensor as a parameter of its own (`{name}: &Tensor`)"
                    ),
                    None => format!(
                        "`{name}` is not a parameter of `{fn_name}`; its parameters are {}",
                        list(&param_names)
                    ),
                };
                errors.push(syn::Error::new(param.name.span(), message));
            }
            Some(FnArg::Receiver(r)) => errors.push(syn::Error::new(
                param.name.span(),
                format!(
                    "`self` here is `{}`, not a `Tensor`: annotate the tensor parameters instead",
                    type_text(&r.ty)
                ),
            )),
            Some(FnArg::Typed(t)) => {
                if let Err(e) = fill(&mut t.ty, &param.shape, &format!("`{name}`")) {
                    errors.push(e);
                }
            }
        }
    }

    // A bare `Tensor` parameter that the annotation does not mention has no shape (unless
    // the annotation names a parameter that does not exist: that error lists them already).
    let annotated_names: std::collections::HashSet<String> =
        args.params.iter().map(|p| p.name.to_string()).collect();
    for arg in func.sig.inputs.iter().filter(|_| !unknown_name) {
        if let FnArg::Typed(t) = arg {
            let name = pat_name(&t.pat)
                .map(|i| i.to_string())
                .unwrap_or_else(|| "_".to_owned());
            let annotated = annotated_names.contains(&name);
            if !annotated && bare_tensor(&t.ty).is_some() {
                let message = if name == "_" {
                    // The grammar names parameters: `_: [B, S, D]` is not one.
                    "this `Tensor` parameter has no name and no shape: name it (`x: &Tensor`) and add `x: [B, S, D]` (its dims) to `#[shapes(...)]`".to_owned()
                } else {
                    format!(
                        "`{name}` is a `Tensor` without a shape: add `{name}: [B, S, D]` (its dims) to `#[shapes(...)]`"
                    )
                };
                errors.push(syn::Error::new_spanned(&t.ty, message));
            }
        }
    }

    match (&args.ret, &mut func.sig.output) {
        (Some(shape), ReturnType::Type(_, ty)) => {
            if let Err(e) = with_value_type(ty, |ty| fill(ty, shape, "the return value")) {
                errors.push(e);
            }
        }
        (Some(shape), ReturnType::Default) => errors.push(syn::Error::new(
            shape.span,
            format!("`{fn_name}` returns nothing, but the annotation gives it the shape `{shape}`: add `-> Tensor` to the signature or drop `-> {shape}`"),
        )),
        (None, ReturnType::Type(_, ty)) => {
            if with_value_type(ty, |ty| bare_tensor(ty).is_some()) {
                errors.push(syn::Error::new_spanned(
                    ty,
                    "the returned `Tensor` has no shape: add `-> [B, S, D]` (its dims) to `#[shapes(...)]`",
                ));
            }
        }
        (None, ReturnType::Default) => {}
    }

    if !args.relations.is_empty() {
        // The relations land in the `where` clause beside the user's own `X: Dim` bounds.
        func.attrs
            .push(syn::parse_quote!(#[allow(clippy::multiple_bound_locations)]));
    }
    let where_clause = func.sig.generics.make_where_clause();
    for rel in &args.relations {
        let (x, a, b) = (&rel.left, &rel.a, &rel.b);
        let bound = match rel.kind {
            // X = A * B  ⇔  A × B = X
            RelationKind::Product => {
                quote_spanned!(rel.span=> #x: ::infralens::__private::HeadsPartition<#a, #b>)
            }
            // X = A / B  ⇔  B × X = A
            RelationKind::Quotient => {
                quote_spanned!(rel.span=> #a: ::infralens::__private::HeadsPartition<#b, #x>)
            }
            // X = A + B: the axis `cat` forms
            RelationKind::Sum => {
                quote_spanned!(rel.span=> #x: ::infralens::__private::SumOf<#a, #b>)
            }
        };
        match syn::parse2(bound) {
            Ok(predicate) => where_clause.predicates.push(predicate),
            Err(e) => errors.push(e),
        }
    }
}

/// Calls `f` with the value a function returns, for its return shape: `T` of
/// `Result<T, E>` or `Option<T>` (the first type argument, whatever precedes it), else
/// the type itself. `Option<>`, `Option<3>` or `Result<'a>` have no type argument: `f`
/// gets the whole type, and the annotation's check reports it as not a `Tensor`.
///
/// ```
/// use infralens_syntax::function::with_value_type;
/// use quote::ToTokens;
/// let text = |ty: &mut syn::Type| ty.to_token_stream().to_string();
/// let mut ty: syn::Type = syn::parse_str("Result<Tensor, Error>")?;
/// assert_eq!(with_value_type(&mut ty, text), "Tensor");
/// let mut ty: syn::Type = syn::parse_str("Result<'a, Tensor>")?;
/// assert_eq!(with_value_type(&mut ty, text), "Tensor");
/// let mut ty: syn::Type = syn::parse_str("Option<>")?;
/// assert_eq!(with_value_type(&mut ty, text), "Option < >");
/// # Ok::<(), syn::Error>(())
/// ```
pub fn with_value_type<R>(ty: &mut Type, f: impl FnOnce(&mut Type) -> R) -> R {
    if let Type::Path(TypePath { qself: None, path }) = ty
        && let Some(last) = path.segments.last_mut()
        && (last.ident == "Result" || last.ident == "Option")
        && let PathArguments::AngleBracketed(args) = &mut last.arguments
        && let Some(inner) = args.args.iter_mut().find_map(|arg| match arg {
            GenericArgument::Type(inner) => Some(inner),
            _ => None,
        })
    {
        return f(inner);
    }
    f(ty)
}

/// The `Tensor` path inside `ty` (through `&` and `&mut`) when it has no shape yet.
fn bare_tensor(ty: &Type) -> Option<&TypePath> {
    match ty {
        Type::Reference(r) => bare_tensor(&r.elem),
        Type::Path(p) => is_bare_tensor(p).then_some(p),
        _ => None,
    }
}

/// `Tensor` (any path ending in it) without generic arguments.
///
/// ```
/// use infralens_syntax::function::is_bare_tensor;
/// assert!(is_bare_tensor(&syn::parse_str("infralens::Tensor")?));
/// assert!(!is_bare_tensor(&syn::parse_str("Tensor<(B, S)>")?));
/// # Ok::<(), syn::Error>(())
/// ```
pub fn is_bare_tensor(p: &TypePath) -> bool {
    p.qself.is_none()
        && p.path
            .segments
            .last()
            .is_some_and(|last| last.ident == "Tensor" && last.arguments.is_none())
}

/// `(B, S, D,)`, built directly (the trailing comma makes rank 1 a tuple too): the same
/// tokens as [`ShapeLit::tuple_type`], without printing and parsing them.
fn tuple_of(shape: &ShapeLit) -> Type {
    let mut elems = syn::punctuated::Punctuated::new();
    for dim in &shape.dims {
        elems.push(Type::Path(TypePath {
            qself: None,
            path: syn::Path::from(dim.clone()),
        }));
        elems.push_punct(syn::Token![,](shape.span));
    }
    Type::Tuple(syn::TypeTuple {
        paren_token: syn::token::Paren(shape.span),
        elems,
    })
}

/// Writes `shape` into a `Tensor` type, or checks one written in full against it.
fn fill(ty: &mut Type, shape: &ShapeLit, what: &str) -> syn::Result<()> {
    if let Type::Reference(r) = ty {
        return fill(&mut r.elem, shape, what);
    }
    let is_tensor = matches!(&*ty, Type::Path(p) if p.qself.is_none()
        && p.path.segments.last().is_some_and(|last| last.ident == "Tensor"));
    if !is_tensor {
        return Err(syn::Error::new(
            shape.span,
            format!(
                "{what} is annotated with the shape `{shape}`, but its type `{}` is not a `Tensor`",
                type_text(ty)
            ),
        ));
    }
    let Type::Path(TypePath { path, .. }) = ty else {
        unreachable!("checked above")
    };
    let Some(last) = path.segments.last_mut() else {
        unreachable!("checked above")
    };
    let tuple = tuple_of(shape);
    match &mut last.arguments {
        PathArguments::None => {
            let mut args = syn::punctuated::Punctuated::new();
            args.push(GenericArgument::Type(tuple));
            last.arguments = PathArguments::AngleBracketed(syn::AngleBracketedGenericArguments {
                colon2_token: None,
                lt_token: syn::Token![<](proc_macro2::Span::call_site()),
                args,
                gt_token: syn::Token![>](proc_macro2::Span::call_site()),
            });
            Ok(())
        }
        PathArguments::AngleBracketed(args) => match args.args.first_mut() {
            Some(GenericArgument::Type(Type::Infer(_))) => {
                args.args[0] = GenericArgument::Type(tuple);
                Ok(())
            }
            Some(GenericArgument::Type(written)) => {
                let written_dims = tuple_dims(written);
                let annotated: Vec<String> = shape.dims.iter().map(Ident::to_string).collect();
                if written_dims.as_deref() == Some(annotated.as_slice()) {
                    return Ok(());
                }
                let written_text = type_text(written);
                let mut e = syn::Error::new(
                    shape.span,
                    format!(
                        "{what} is annotated `{shape}` but declared `Tensor<{written_text}>`: make the two agree, or write just `Tensor` and let the annotation fill it in"
                    ),
                );
                e.combine(syn::Error::new_spanned(
                    written,
                    format!("declared here as `{written_text}`"),
                ));
                Err(e)
            }
            _ => Err(syn::Error::new(
                shape.span,
                "expected `Tensor` or `Tensor<(…)>`",
            )),
        },
        PathArguments::Parenthesized(_) => Err(syn::Error::new(
            shape.span,
            "expected `Tensor` or `Tensor<(…)>`",
        )),
    }
}

/// A type as a person writes it: `Option<Tensor>`, `&mut Tensor<(B, S)>`, not the token
/// printer's `Option < Tensor >`.
///
/// ```
/// use infralens_syntax::function::type_text;
/// let ty: syn::Type = syn::parse_str("&mut Option<Vec<(B, S,)>>")?;
/// assert_eq!(type_text(&ty), "&mut Option<Vec<(B, S,)>>");
/// # Ok::<(), syn::Error>(())
/// ```
pub fn type_text(ty: &Type) -> String {
    tokens_text(ty.to_token_stream())
}

/// Tokens as a learner writes them, the same whichever `proc_macro` printed them (the
/// compiler's and `proc-macro2`'s spacing differ): `(x , _y)` → `(x, _y)`.
fn tokens_text(tokens: proc_macro2::TokenStream) -> String {
    let mut text = tokens.to_string();
    for (from, to) in [
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
        ("& ", "&"),
        (" :: ", "::"),
        (":: ", "::"),
        ("( ", "("),
        (" )", ")"),
    ] {
        text = text.replace(from, to);
    }
    text
}

/// The dim names of a written shape tuple: `(B, S, D)` → `["B", "S", "D"]`.
fn tuple_dims(ty: &Type) -> Option<Vec<String>> {
    let Type::Tuple(t) = ty else { return None };
    t.elems
        .iter()
        .map(|e| match e {
            Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        })
        .collect()
}

/// The name a pattern binds, when it is one name: `x`, `mut x`, `x: T`.
///
/// ```
/// use infralens_syntax::function::pat_name;
/// let pat = syn::Pat::parse_single.parse_str("mut x")?;
/// # use syn::parse::Parser;
/// assert_eq!(pat_name(&pat).map(|i| i.to_string()), Some("x".into()));
/// # Ok::<(), syn::Error>(())
/// ```
pub fn pat_name(pat: &Pat) -> Option<&Ident> {
    match pat {
        Pat::Ident(p) => Some(&p.ident),
        Pat::Type(t) => pat_name(&t.pat),
        _ => None,
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        return "none".to_owned();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Finds `#[shape(...)]` on statements, removes it, and hands every `let` to `on_let`, in
/// source order; what `on_let` returns is inserted after the `let`.
struct LetShapes<'a, F> {
    errors: &'a mut Errors,
    on_let: F,
}

/// Removes every `#[shape]` of `attrs`; returns the first and the errors for any more.
fn take_shape_attr(attrs: &mut Vec<Attribute>, errors: &mut Errors) -> Option<Attribute> {
    let at = attrs.iter().position(|a| a.path().is_ident("shape"))?;
    let first = attrs.remove(at);
    while let Some(again) = attrs.iter().position(|a| a.path().is_ident("shape")) {
        errors.push(syn::Error::new_spanned(attrs.remove(again), TWO_SHAPES));
    }
    Some(first)
}

impl<F: FnMut(LetSite<'_>) -> Option<Stmt>> VisitMut for LetShapes<'_, F> {
    /// A `#[shape]` inside a macro call is reported as the proc macro reports it.
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        if let Some(e) = crate::body::shapes_inside_macro(mac.tokens.clone()) {
            self.errors.push(e);
        }
    }

    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        // Statements to insert, after the statement at each index; added at the end so
        // that a block with none (every block, for the linter) is never rebuilt.
        let mut inserted: Vec<(usize, Stmt)> = Vec::new();
        for (index, stmt) in block.stmts.iter_mut().enumerate() {
            self.visit_stmt_mut(stmt);
            let mut site = None;
            match stmt {
                Stmt::Local(local) => {
                    let attr = take_shape_attr(&mut local.attrs, self.errors);
                    site = Some(attr);
                }
                Stmt::Expr(expr, _) => {
                    if let Some(attrs) = expr_attrs(expr)
                        && let Some(attr) = take_shape_attr(attrs, self.errors)
                    {
                        self.errors.push(not_on_let(&attr));
                    }
                }
                Stmt::Macro(m) => {
                    if let Some(attr) = take_shape_attr(&mut m.attrs, self.errors) {
                        self.errors.push(not_on_let(&attr));
                    }
                }
                Stmt::Item(_) => {}
            }
            if let (Some(attr), Stmt::Local(local)) = (site, &*stmt)
                && let Some(check) = self.let_site(local, attr)
            {
                inserted.push((index, check));
            }
        }
        for (index, check) in inserted.into_iter().rev() {
            block.stmts.insert(index + 1, check);
        }
    }
}

impl<F: FnMut(LetSite<'_>) -> Option<Stmt>> LetShapes<'_, F> {
    fn let_site(&mut self, local: &Local, attr: Option<Attribute>) -> Option<Stmt> {
        let name = pat_name(&local.pat);
        let Some(attr) = attr else {
            return (self.on_let)(LetSite {
                local,
                name,
                shape: None,
            });
        };
        match (LetShape::from_attr(&attr), name) {
            (Ok(_), Some(name)) if local.init.is_none() => {
                self.errors
                    .push(syn::Error::new_spanned(&attr, no_value(name)));
                None
            }
            (Ok(shape), Some(_)) => (self.on_let)(LetSite {
                local,
                name,
                shape: Some((&shape.shape, &attr)),
            }),
            (Err(e), _) => {
                self.errors.push(e);
                None
            }
            (Ok(_), None) => {
                self.errors
                    .push(syn::Error::new_spanned(&attr, ON_A_PATTERN));
                None
            }
        }
    }
}

fn expr_attrs(expr: &mut syn::Expr) -> Option<&mut Vec<Attribute>> {
    use syn::Expr::*;
    Some(match expr {
        Call(e) => &mut e.attrs,
        MethodCall(e) => &mut e.attrs,
        Assign(e) => &mut e.attrs,
        Path(e) => &mut e.attrs,
        Block(e) => &mut e.attrs,
        If(e) => &mut e.attrs,
        Match(e) => &mut e.attrs,
        Macro(e) => &mut e.attrs,
        Return(e) => &mut e.attrs,
        _ => return None,
    })
}

fn not_on_let(attr: &Attribute) -> syn::Error {
    syn::Error::new_spanned(attr, NOT_ON_LET)
}
