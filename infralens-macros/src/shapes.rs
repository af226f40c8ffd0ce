//! `#[shapes(...)]`: fill in and check the `Tensor` shapes of a function from its
//! annotation, and turn each `#[shape(...)]` on a `let` into a compile-time assertion.

use infralens_syntax::shapes::{LetShape, RelationKind, ShapeLit, ShapesArgs};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::visit_mut::VisitMut;
use syn::{
    FnArg, GenericArgument, Ident, ItemFn, Pat, PathArguments, ReturnType, Stmt, Type, TypePath,
};

/// Errors gathered while rewriting; every one is reported, the function is still emitted.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
}

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => return not_a_function(item),
    };
    let mut errors = Errors::default();
    match syn::parse2::<ShapesArgs>(args) {
        Ok(args) => rewrite_signature(&args, &mut func, &mut errors),
        Err(e) => errors.push(e),
    }
    let mut lets = LetShapes {
        errors: &mut errors,
    };
    lets.visit_block_mut(&mut func.block);
    match errors.0 {
        None => quote! { #func },
        Some(e) => {
            // Keep the function so its callers still resolve, without a cascade of
            // "missing generics" or body errors behind the annotation error.
            stub(&mut func);
            let e = e.to_compile_error();
            quote! { #e #func }
        }
    }
}

/// Gives every still-bare `Tensor` of the signature a placeholder shape and the body
/// `unimplemented!()`.
fn stub(func: &mut ItemFn) {
    fn placeholder(ty: &mut Type) {
        match ty {
            Type::Reference(r) => placeholder(&mut r.elem),
            Type::Path(p) if is_bare_tensor(p) => {
                if let Some(last) = p.path.segments.last_mut() {
                    last.arguments = PathArguments::AngleBracketed(
                        syn::parse_quote!(<::infralens::__private::UnknownShape>),
                    );
                }
            }
            _ => {}
        }
    }
    for arg in &mut func.sig.inputs {
        if let FnArg::Typed(t) = arg {
            placeholder(&mut t.ty);
        }
    }
    if let ReturnType::Type(_, ty) = &mut func.sig.output {
        placeholder(wrapped_value(ty));
    }
    *func.block = syn::parse_quote!({ ::core::unimplemented!() });
}

/// `#[shapes]` on a struct, an impl block, …: one error, and the item unchanged.
fn not_a_function(item: TokenStream) -> TokenStream {
    let what = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Struct(s)) => Some(("a struct", s.struct_token.span)),
        Ok(syn::Item::Enum(e)) => Some(("an enum", e.enum_token.span)),
        Ok(syn::Item::Impl(i)) => Some(("an impl block", i.impl_token.span)),
        Ok(syn::Item::Trait(t)) => Some(("a trait", t.trait_token.span)),
        Ok(syn::Item::Const(c)) => Some(("a constant", c.const_token.span)),
        Ok(syn::Item::Static(s)) => Some(("a static", s.static_token.span)),
        Ok(syn::Item::Mod(m)) => Some(("a module", m.mod_token.span)),
        _ => None,
    };
    let (what, span) = what.unwrap_or(("this item", Span::call_site()));
    let msg = format!(
        "`#[shapes]` goes on a function, not on {what}: annotate each function that takes or returns tensors"
    );
    let err = syn::Error::new(span, msg).to_compile_error();
    quote! { #err #item }
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

    let mut unknown_name = false;
    for param in &args.params {
        let name = param.name.to_string();
        let arg = func.sig.inputs.iter_mut().find(|arg| match arg {
            FnArg::Typed(t) => pat_name(&t.pat).is_some_and(|i| *i == name),
            FnArg::Receiver(_) => name == "self",
        });
        match arg {
            None => {
                unknown_name = true;
                errors.push(syn::Error::new(
                    param.name.span(),
                    format!(
                        "`{name}` is not a parameter of `{fn_name}`; its parameters are {}",
                        list(&param_names)
                    ),
                ));
            }
            Some(FnArg::Receiver(r)) => errors.push(syn::Error::new(
                param.name.span(),
                format!(
                    "`self` here is `{}`, not a `Tensor`: annotate the tensor parameters instead",
                    r.ty.to_token_stream().to_string().replace("& ", "&")
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
    for arg in func.sig.inputs.iter().filter(|_| !unknown_name) {
        if let FnArg::Typed(t) = arg {
            let name = pat_name(&t.pat)
                .map(|i| i.to_string())
                .unwrap_or_else(|| "_".to_owned());
            let annotated = args.params.iter().any(|p| p.name == name);
            if !annotated && bare_tensor(&t.ty).is_some() {
                errors.push(syn::Error::new_spanned(
                    &t.ty,
                    format!("`{name}` is a `Tensor` without a shape: add `{name}: [B, S, D]` (its dims) to `#[shapes(...)]`"),
                ));
            }
        }
    }

    match (&args.ret, &mut func.sig.output) {
        (Some(shape), ReturnType::Type(_, ty)) => {
            let ty = wrapped_value(ty);
            if let Err(e) = fill(ty, shape, "the return value") {
                errors.push(e);
            }
        }
        (Some(shape), ReturnType::Default) => errors.push(syn::Error::new(
            shape.span,
            format!("`{fn_name}` returns nothing, but the annotation gives it the shape `{shape}`: add `-> Tensor` to the signature or drop `-> {shape}`"),
        )),
        (None, ReturnType::Type(_, ty)) => {
            if bare_tensor(wrapped_value(ty)).is_some() {
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
        };
        match syn::parse2(bound) {
            Ok(predicate) => where_clause.predicates.push(predicate),
            Err(e) => errors.push(e),
        }
    }
}

/// `T` of `Result<T, E>` or `Option<T>`, else the type itself.
fn wrapped_value(ty: &mut Type) -> &mut Type {
    let is_wrapper = matches!(ty, Type::Path(TypePath { qself: None, path })
        if path.segments.last().is_some_and(|s| (s.ident == "Result" || s.ident == "Option")
            && matches!(s.arguments, PathArguments::AngleBracketed(_))));
    if !is_wrapper {
        return ty;
    }
    let Type::Path(TypePath { path, .. }) = ty else {
        unreachable!("checked above")
    };
    let Some(last) = path.segments.last_mut() else {
        unreachable!("checked above")
    };
    let PathArguments::AngleBracketed(args) = &mut last.arguments else {
        unreachable!("checked above")
    };
    match args.args.first_mut() {
        Some(GenericArgument::Type(inner)) => inner,
        _ => unreachable!("Result and Option have a type argument"),
    }
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
fn is_bare_tensor(p: &TypePath) -> bool {
    p.qself.is_none()
        && p.path
            .segments
            .last()
            .is_some_and(|last| last.ident == "Tensor" && last.arguments.is_none())
}

/// The shape as a tuple type: `(B, S, D,)` (the trailing comma makes rank 1 a tuple too).
fn shape_tuple(shape: &ShapeLit) -> TokenStream {
    let dims = &shape.dims;
    quote_spanned!(shape.span=> (#(#dims,)*))
}

/// Writes `shape` into a `Tensor` type, or checks one written in full against it.
fn fill(ty: &mut Type, shape: &ShapeLit, what: &str) -> syn::Result<()> {
    let original = ty.to_token_stream();
    let path = match ty {
        Type::Reference(r) => return fill(&mut r.elem, shape, what),
        Type::Path(p) if p.qself.is_none() => &mut p.path,
        _ => {
            return Err(syn::Error::new(
                shape.span,
                format!(
                    "{what} is annotated with the shape `{shape}`, but its type `{original}` is not a `Tensor`"
                ),
            ));
        }
    };
    let Some(last) = path.segments.last_mut() else {
        return Err(syn::Error::new(shape.span, "expected a `Tensor` type"));
    };
    if last.ident != "Tensor" {
        return Err(syn::Error::new(
            shape.span,
            format!(
                "{what} is annotated with the shape `{shape}`, but its type `{original}` is not a `Tensor`"
            ),
        ));
    }
    let tuple: Type = syn::parse2(shape_tuple(shape))?;
    match &mut last.arguments {
        PathArguments::None => {
            last.arguments = PathArguments::AngleBracketed(syn::parse_quote!(<#tuple>));
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
                let written_text = written.to_token_stream().to_string().replace(" ,", ",");
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

fn pat_name(pat: &Pat) -> Option<&Ident> {
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

/// Finds `#[shape(...)]` on statements, removes it, and after each annotated `let` adds
/// a check that fails to compile, at the annotation, when the value has another shape.
struct LetShapes<'a> {
    errors: &'a mut Errors,
}

fn take_shape_attr(attrs: &mut Vec<syn::Attribute>) -> Option<syn::Attribute> {
    let at = attrs.iter().position(|a| a.path().is_ident("shape"))?;
    Some(attrs.remove(at))
}

impl VisitMut for LetShapes<'_> {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let mut stmts = Vec::with_capacity(block.stmts.len());
        for mut stmt in std::mem::take(&mut block.stmts) {
            self.visit_stmt_mut(&mut stmt);
            let check = match &mut stmt {
                Stmt::Local(local) => take_shape_attr(&mut local.attrs)
                    .map(|attr| (attr, pat_name(&local.pat).cloned())),
                Stmt::Expr(expr, _) => {
                    if let Some(attrs) = expr_attrs(expr)
                        && let Some(attr) = take_shape_attr(attrs)
                    {
                        self.errors.push(not_on_let(&attr));
                    }
                    None
                }
                Stmt::Macro(m) => {
                    if let Some(attr) = take_shape_attr(&mut m.attrs) {
                        self.errors.push(not_on_let(&attr));
                    }
                    None
                }
                Stmt::Item(_) => None,
            };
            stmts.push(stmt);
            if let Some((attr, name)) = check {
                match (attr.parse_args::<LetShape>(), name) {
                    (Ok(shape), Some(name)) => stmts.push(check_stmt(&name, &shape.shape, &attr)),
                    (Err(e), _) => self.errors.push(e),
                    (Ok(_), None) => self.errors.push(syn::Error::new_spanned(
                        &attr,
                        "`#[shape]` names one variable's shape: use it on `let name = …;`, not on a pattern",
                    )),
                }
            }
        }
        block.stmts = stmts;
    }
}

fn expr_attrs(expr: &mut syn::Expr) -> Option<&mut Vec<syn::Attribute>> {
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

fn not_on_let(attr: &syn::Attribute) -> syn::Error {
    syn::Error::new_spanned(
        attr,
        "`#[shape]` goes on a `let`: write `#[shape(B, S, D)] let x = …;`",
    )
}

fn check_stmt(name: &Ident, shape: &ShapeLit, attr: &syn::Attribute) -> Stmt {
    let expected = shape_tuple(shape);
    let message = format!("shape mismatch at `{name}`: expected `{{Expected}}`, found `{{Self}}`");
    let label = format!("`{name}` is `{{Self}}` here");
    let open = attr.pound_token.span;
    let close = attr.bracket_token.span.close();
    let p = quote!(::infralens::__private);
    let call = quote_spanned!(open=> check_shape::<_, #expected, _>);
    let arg = quote_spanned!(close=> (&#name));
    syn::parse_quote_spanned! {open=>
        {
            #[diagnostic::on_unimplemented(message = #message, label = #label)]
            trait HasShape<Expected> {}
            impl<T> HasShape<T> for T {}
            #[inline(always)]
            fn check_shape<Sh: #p::Shape + HasShape<Expected>, Expected, E: #p::Element>(
                _: &#p::Tensor<Sh, E>,
            ) {
            }
            #call #arg;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::expand;
    use quote::quote;

    /// An annotated function expands to exactly the function a user would type by hand:
    /// the annotation costs nothing at run time.
    #[test]
    fn expansion_is_the_hand_typed_function() {
        let annotated = expand(
            quote!(x: [B, S, D], wq: [D, D] -> [B, S, D], where D = H * Dh),
            quote!(
                fn project(x: &Tensor, wq: &Tensor<_, f64>) -> Result<Tensor, Error> {
                    Ok(x.matmul(wq))
                }
            ),
        );
        // Written as the expansion prints it (tuples keep a trailing comma, so rank 1 is a tuple).
        #[rustfmt::skip]
        let by_hand = quote!(
            #[allow(clippy::multiple_bound_locations)]
            fn project(x: &Tensor<(B, S, D,)>, wq: &Tensor<(D, D,), f64>) -> Result<Tensor<(B, S, D,)>, Error>
            where D: ::infralens::__private::HeadsPartition<H, Dh>
            {
                Ok(x.matmul(wq))
            }
        );
        assert_eq!(annotated.to_string(), by_hand.to_string());
    }

    /// A `#[shape]` adds one block whose only call is to an empty `#[inline(always)]`
    /// function: a compile-time check, no run-time work.
    #[test]
    fn let_shape_adds_only_an_empty_check() {
        let out = expand(
            quote!(x: [B, S, D] -> [B, S, D]),
            quote!(
                fn f(x: Tensor) -> Tensor {
                    #[shape(B, S, D)]
                    let y = x;
                    y
                }
            ),
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("fn check_shape"), "{out}");
        assert!(out.contains("# [inline (always)]"), "{out}");
        assert!(
            !out.contains("# [shape"),
            "the `#[shape]` attribute must be removed: {out}"
        );
    }
}
