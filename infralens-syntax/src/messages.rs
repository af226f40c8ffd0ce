//! The errors a misplaced annotation gets: `#[shape]` on something other than a `let`
//! (shared by the signature pass, [`function`](crate::function), and the body pass,
//! [`body`](crate::body), so that neither module reads the other for them), and `#[shapes]`
//! on something other than a function (shared by the macro and the lint).

/// The error for a `#[shape]` on a statement that is not a `let`.
pub(crate) const NOT_ON_LET: &str =
    "`#[shape]` goes on a `let`: write `#[shape(B, S, D)] let x = …;`";

/// The error for a second `#[shape]` on one `let`.
pub(crate) const TWO_SHAPES: &str =
    "this `let` has two `#[shape]`s: keep the one that states its shape";

/// The error for a `#[shape]` on `let name;`, which binds no value to check.
pub(crate) fn no_value(name: &impl std::fmt::Display) -> String {
    format!(
        "`#[shape]` checks the value a `let` binds, and `{name}` gets none here: put the annotation on a `let` with a value, as in `#[shape(B, S, D)] let {name} = …;`"
    )
}

/// The error for a `#[shape]` on a `let` that binds a pattern.
pub(crate) const ON_A_PATTERN: &str =
    "`#[shape]` names one variable's shape: use it on `let name = …;`, not on a pattern";

/// The error for `#[shapes]` on an item that is not a function: a struct, an impl block, …,
/// at the item's keyword.
///
/// ```
/// let item: syn::Item = syn::parse_quote!(struct Layer { w: u8 });
/// let e = infralens_syntax::not_a_function(&item);
/// assert!(e.to_string().starts_with("`#[shapes]` goes on a function, not on a struct"));
/// ```
pub fn not_a_function(item: &syn::Item) -> syn::Error {
    use proc_macro2::Span;
    let (what, span) = match item {
        syn::Item::Struct(s) => ("a struct", s.struct_token.span),
        syn::Item::Enum(e) => ("an enum", e.enum_token.span),
        syn::Item::Impl(i) => ("an impl block", i.impl_token.span),
        syn::Item::Trait(t) => ("a trait", t.trait_token.span),
        syn::Item::Const(c) => ("a constant", c.const_token.span),
        syn::Item::Static(s) => ("a static", s.static_token.span),
        syn::Item::Mod(m) => ("a module", m.mod_token.span),
        _ => ("this item", Span::call_site()),
    };
    not_on(what, span)
}

/// The error for `#[shapes]` on `what`, at `span`.
pub(crate) fn not_on(what: &str, span: proc_macro2::Span) -> syn::Error {
    syn::Error::new(
        span,
        format!(
            "`#[shapes]` goes on a function, not on {what}: annotate each function that takes or returns tensors"
        ),
    )
}

/// The error for `#[shapes]` on tokens that are no item at all.
///
/// ```
/// let e = infralens_syntax::not_an_item();
/// assert!(e.to_string().contains("not on this item"));
/// ```
pub fn not_an_item() -> syn::Error {
    not_on("this item", proc_macro2::Span::call_site())
}
