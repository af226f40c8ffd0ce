//! `#[shapes(...)]`: fill in and check the `Tensor` shapes of a function from its
//! annotation, and turn each `#[shape(...)]` on a `let` into a compile-time assertion.

use infralens_syntax::function::{apply_signature, is_bare_tensor, walk_lets, wrapped_value};
use infralens_syntax::shapes::{ShapeLit, ShapesArgs};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{FnArg, Ident, ItemFn, PathArguments, ReturnType, Stmt, Type};

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => return not_a_function(item),
    };
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    if let Err(e) =
        syn::parse2::<ShapesArgs>(args).and_then(|args| apply_signature(&args, &mut func))
    {
        push(e);
    }
    // After each annotated `let`, a check that fails to compile, at the annotation, when
    // the value has another shape.
    let lets = walk_lets(&mut func.block, |site| {
        let (shape, attr) = site.shape?;
        Some(check_stmt(site.name?, shape, attr))
    });
    if let Err(e) = lets {
        push(e);
    }
    match errors {
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

fn check_stmt(name: &Ident, shape: &ShapeLit, attr: &syn::Attribute) -> Stmt {
    let expected = shape.tuple_type();
    let open = attr.pound_token.span;
    let close = attr.bracket_token.span.close();
    // The variable's name, as a type the message can print: an enum with no variants
    // lives in the type namespace only, so it never shadows the variable itself.
    let marker = Ident::new(&name.to_string(), open);
    let call =
        quote_spanned!(open=> ::infralens::__private::check_shape::<_, #expected, #marker, _>);
    let arg = quote_spanned!(close=> (&#name));
    syn::parse_quote_spanned! {open=>
        {
            #[allow(non_camel_case_types, dead_code)]
            enum #marker {}
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

    /// A `#[shape]` adds one block whose only call is to `check_shape`, an empty
    /// `#[inline(always)]` function: a compile-time check, no run-time work.
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
        assert!(out.contains("check_shape"), "{out}");
        assert!(
            !out.contains("# [shape"),
            "the `#[shape]` attribute must be removed: {out}"
        );
    }
}
