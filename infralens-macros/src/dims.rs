//! `dims!`: parse with `infralens-syntax`, then emit one type and `Dim` impl per dim.

use infralens_syntax::dims::{DimDecl, DimsBlock, SizeExpr};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

/// Parses and expands; on error, the errors plus every dim declared with a best-effort
/// size, so that the user sees the error at the `dims!` block and not a cascade of
/// "cannot find type" errors wherever the dims are used.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let block: DimsBlock = match syn::parse2(input) {
        Ok(block) => block,
        Err(err) => return err.to_compile_error(),
    };
    let (sizes, result) = block.resolve_lenient();
    let mut seen = std::collections::HashSet::new();
    let items = block
        .decls
        .iter()
        .zip(&sizes)
        .filter(|(decl, _)| seen.insert(decl.name.to_string()))
        .map(|(decl, &size)| dim_item(decl, size));
    let errors = result.err().map(|e| e.to_compile_error());
    quote! { #errors #(#items)* }
}

fn dim_item(decl: &DimDecl, size: Option<u64>) -> TokenStream {
    let DimDecl {
        attrs,
        vis,
        name,
        kind,
        size: expr,
        size_text,
    } = decl;
    let name_str = name.to_string();
    let size_type = match size {
        Some(size) => typenum_type(size),
        None => quote!(::infralens::Dyn),
    };
    let kind_type = match kind {
        Some(kind) => quote!(::infralens::kind::#kind),
        None => quote!(::infralens::kind::Any),
    };
    let kind_doc = kind
        .as_ref()
        .map(|k| format!(" Axis kind: `{k}`."))
        .unwrap_or_default();
    let doc = match (expr, size) {
        (SizeExpr::Dyn(_), _) | (_, None) => {
            format!(" Size: known at run time (`dyn`).{kind_doc}")
        }
        (SizeExpr::Literal(_), Some(size)) => format!(" Size: `{size}`.{kind_doc}"),
        (_, Some(size)) => format!(" Size: `{size_text}` = `{size}`.{kind_doc}"),
    };
    let spacer = (!attrs.is_empty()).then(|| quote!(#[doc = ""]));
    quote_spanned! {name.span()=>
        #(#attrs)*
        #spacer
        #[doc = #doc]
        #vis struct #name;

        // Written out rather than derived: three derives per dim were a third of what a
        // `dims!` block costs `cargo check` (issue: cheap typed builds).
        impl ::core::clone::Clone for #name {
            #[inline(always)]
            fn clone(&self) -> Self {
                *self
            }
        }
        impl ::core::marker::Copy for #name {}
        impl ::core::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(#name_str)
            }
        }
        impl ::infralens::__private::Dim for #name {
            type Size = #size_type;
            type Kind = #kind_type;
            const NAME: &'static str = #name_str;
        }
    }
}

/// The `typenum` type of `n`: `UInt<UInt<UTerm, B1>, B0>` for 2, built from `n`'s bits
/// (typenum's own `U<N>` covers only a fixed table of numbers).
fn typenum_type(n: u64) -> TokenStream {
    let tn = quote!(::infralens::__private::typenum);
    if n == 0 {
        return quote!(#tn::UTerm);
    }
    let mut ty = quote!(#tn::UTerm);
    for bit in (0..64 - n.leading_zeros()).rev() {
        let b = if n >> bit & 1 == 1 {
            quote!(#tn::B1)
        } else {
            quote!(#tn::B0)
        };
        ty = quote!(#tn::UInt<#ty, #b>);
    }
    ty
}
