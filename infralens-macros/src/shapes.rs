//! `#[shapes(...)]`: fill in and check the `Tensor` shapes of a function from its
//! annotation, and turn each `#[shape(...)]` on a `let` into a compile-time assertion.

use infralens_syntax::body::{ShapeSite, rewrite_shape_lets};
use infralens_syntax::function::{apply_signature, is_bare_tensor, with_value_type};
use infralens_syntax::shapes::ShapesArgs;
use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::{FnArg, ItemFn, PathArguments, ReturnType, Type};

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_with(args, item, true)
}

/// [`expand`], with or without the light parse of the signature (the tests compare the
/// two paths).
pub(crate) fn expand_with(args: TokenStream, item: TokenStream, light: bool) -> TokenStream {
    // The body is walked as token trees (issue: cheap typed builds); the signature is
    // read from its tokens when it is a plain one (`signature`), else parsed by syn with
    // an empty body in the body's place.
    let mut tokens: Vec<TokenTree> = item.clone().into_iter().collect();
    let body = match tokens.pop() {
        Some(TokenTree::Group(body)) if body.delimiter() == Delimiter::Brace => body,
        // A trait's method without a body: its signature is filled in and checked.
        Some(TokenTree::Punct(p)) if p.as_char() == ';' => return declaration(args, item),
        _ => return not_a_function(item),
    };
    let parsed = ShapesArgs::from_tokens(args);
    if light
        && let Ok(args) = &parsed
        && let Some(sig) = crate::signature::read(&tokens, args)
        && let Ok(body) = rewrite_shape_lets(
            TokenStream::from(TokenTree::Group(body.clone())),
            check_stmt,
        )
    {
        let info = FnInfo {
            name: sig.name,
            plain: true,
            output: sig.output,
        };
        let mut out: TokenStream = sig.head.into_iter().collect();
        out.extend(bind_run_time_dims(args, &info, body));
        return out;
    }
    let mut empty = Group::new(Delimiter::Brace, TokenStream::new());
    empty.set_span(body.span());
    tokens.push(TokenTree::Group(empty));
    let mut func: ItemFn = match syn::parse2(tokens.into_iter().collect()) {
        Ok(func) => func,
        Err(_) => return not_a_function(item),
    };
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    if let Err(e) = parsed
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|args| apply_signature(args, &mut func))
    {
        push(e);
    }
    // After each annotated `let`, a check that fails to compile, at the annotation, when
    // the value has another shape.
    let body = match rewrite_shape_lets(TokenStream::from(TokenTree::Group(body)), check_stmt) {
        Ok(body) => body,
        Err(e) => {
            push(e);
            TokenStream::new()
        }
    };
    match errors {
        None => {
            let body = match &parsed {
                Ok(args) => bind_run_time_dims(args, &FnInfo::of(&func), body),
                Err(_) => body,
            };
            let ItemFn {
                attrs, vis, sig, ..
            } = &func;
            quote! { #(#attrs)* #vis #sig #body }
        }
        Some(e) => {
            // Keep the function so its callers still resolve, without a cascade of
            // "missing generics" or body errors behind the annotation error.
            stub(&mut func);
            let e = e.to_compile_error();
            quote! { #e #func }
        }
    }
}

/// Wraps the body so that each call binds the run-time dims (`S = dyn`) of the annotated
/// parameters, checks that every use agrees, and checks the result against the bindings
/// (jaxtyping's per-call semantics). For dims with compile-time sizes every check is a
/// constant `if` that the compiler removes: O(rank) per call at most, no allocation.
///
/// The result is checked through a closure with the function's own return type, so that a
/// `return` or `?` in the body still passes the check. That needs a return type a closure
/// can spell: one without `impl Trait` or references; otherwise (and in `async` or `const`
/// functions) only the parameters are checked.
///
/// A plain block instead of the closure, where the body has no `return`, was measured
/// (issue: cheap typed builds): about 40 µs less of `cargo check` per function, but a
/// wrong result then loses rustc's label "expected `Tensor<(S, F)>` because of return
/// type" pointing at the annotation — the line a learner needs to see why. The closure
/// stays.
fn bind_run_time_dims(args: &ShapesArgs, func: &FnInfo, body: TokenStream) -> TokenStream {
    if !func.plain {
        return body;
    }
    let fn_name = &func.name;
    let binds: Vec<TokenStream> = args
        .params
        .iter()
        .map(|p| {
            let name = &p.name;
            let text = name.to_string();
            let text = text.strip_prefix("r#").unwrap_or(&text);
            quote!(.bind(#text, &#name))
        })
        .collect();
    let ret = func.output.as_ref().filter(|_| args.ret.is_some());
    if binds.is_empty() && ret.is_none() {
        return body;
    }
    let bindings = quote!(__infralens_bindings);
    let bind_params = (!binds.is_empty()).then(|| quote!(#bindings #(#binds)*;));
    match ret {
        Some(ty) => quote! {{
            let mut #bindings = ::infralens::__private::Bindings::new(#fn_name);
            #bind_params
            let __infralens_result: #ty = ::infralens::__private::call(|| -> #ty #body);
            #bindings.bind("the result", &__infralens_result);
            __infralens_result
        }},
        None => quote! {{
            ::infralens::__private::Bindings::new(#fn_name) #(#binds)*;
            #body
        }},
    }
}

/// What the binding of run-time dims needs to know of a function.
struct FnInfo {
    /// Its name, for the messages.
    name: String,
    /// Neither `const` nor `async`: a function whose body can be wrapped.
    plain: bool,
    /// The return type, when a closure can spell it.
    output: Option<TokenStream>,
}

impl FnInfo {
    fn of(func: &ItemFn) -> Self {
        let output = match &func.sig.output {
            ReturnType::Type(_, ty) if closure_can_return(ty) => Some(ty.to_token_stream()),
            _ => None,
        };
        FnInfo {
            name: func.sig.ident.to_string(),
            plain: func.sig.constness.is_none(),
            output: output.filter(|_| func.sig.asyncness.is_none()),
        }
    }
}

/// Whether a closure can be given this return type: no `impl Trait`, no reference, no
/// lifetime, no `dyn` (their elision rules differ between functions and closures). Read
/// from the type's structure: printing it to text cost the macro a tenth of its time.
fn closure_can_return(ty: &Type) -> bool {
    fn args_ok(args: &PathArguments) -> bool {
        match args {
            PathArguments::None => true,
            PathArguments::AngleBracketed(a) => a.args.iter().all(|arg| match arg {
                syn::GenericArgument::Type(t) => closure_can_return(t),
                syn::GenericArgument::Const(_) => true,
                syn::GenericArgument::AssocType(a) => closure_can_return(&a.ty),
                _ => false,
            }),
            PathArguments::Parenthesized(_) => false,
        }
    }
    match ty {
        Type::Path(p) => {
            p.qself.as_ref().is_none_or(|q| closure_can_return(&q.ty))
                && p.path.segments.iter().all(|s| args_ok(&s.arguments))
        }
        Type::Tuple(t) => t.elems.iter().all(closure_can_return),
        Type::Array(a) => closure_can_return(&a.elem),
        Type::Paren(p) => closure_can_return(&p.elem),
        Type::Group(g) => closure_can_return(&g.elem),
        _ => false,
    }
}

/// Gives every still-bare `Tensor` of the signature a placeholder shape and the body
/// `unimplemented!()`.
fn stub(func: &mut ItemFn) {
    fn placeholder(ty: &mut Type) {
        match ty {
            Type::Reference(r) => placeholder(&mut r.elem),
            Type::Tuple(t) => t.elems.iter_mut().for_each(placeholder),
            Type::Paren(p) => placeholder(&mut p.elem),
            Type::Array(a) => placeholder(&mut a.elem),
            Type::Slice(sl) => placeholder(&mut sl.elem),
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
        with_value_type(ty, placeholder);
    }
    *func.block = syn::parse_quote!({ ::core::unimplemented!() });
    // The body is gone: its parameters are unused, and that is not the user's mistake.
    func.attrs
        .push(syn::parse_quote!(#[allow(unused_variables, unused_mut)]));
}

/// `#[shapes]` on a trait's method without a body (`fn forward(&self, x: &Tensor) -> Tensor;`):
/// the signature filled in from the annotation, checked as a function's is.
fn declaration(args: TokenStream, item: TokenStream) -> TokenStream {
    let Ok(method) = syn::parse2::<syn::TraitItemFn>(item.clone()) else {
        return not_a_function(item);
    };
    let mut func = ItemFn {
        attrs: method.attrs,
        vis: syn::Visibility::Inherited,
        sig: method.sig,
        block: Box::new(syn::parse_quote!({})),
    };
    let applied = ShapesArgs::from_tokens(args).and_then(|args| {
        if args.relations.is_empty() {
            apply_signature(&args, &mut func)
        } else {
            Err(syn::Error::new(
                func.sig.ident.span(),
                "a method without a body cannot state relations (`where …`): give them in each implementation's annotation",
            ))
        }
    });
    let error = applied.err().map(|e| {
        stub(&mut func);
        e.to_compile_error()
    });
    let ItemFn { attrs, sig, .. } = &func;
    let attrs = attrs
        .iter()
        .filter(|a| !a.path().is_ident("allow") || error.is_none());
    quote! { #error #(#attrs)* #sig; }
}

/// `#[shapes]` on a struct, an impl block, …: one error, and the item unchanged.
fn not_a_function(item: TokenStream) -> TokenStream {
    let err = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(parsed) => infralens_syntax::not_a_function(&parsed),
        Err(_) => infralens_syntax::not_an_item(),
    }
    .to_compile_error();
    quote! { #err #item }
}

/// The check after `#[shape(B, S, D)] let name = …;`: a call that compiles only when
/// `name` has that shape, its error at the annotation.
fn check_stmt(site: ShapeSite<'_>) -> TokenStream {
    let expected = site.shape.tuple_type();
    // The variable's name, as a type the message can print: an enum with no variants
    // lives in the type namespace only, so it never shadows the variable itself. A raw
    // name (`r#type`) stays raw, so the enum is valid Rust too.
    let mut marker = site.name.clone();
    marker.set_span(site.at);
    // The argument on the `#` too, so that a value that is no tensor at all gives one
    // error there, not a second one on the `let` line.
    let mut name = site.name.clone();
    name.set_span(site.at);
    let call =
        quote_spanned!(site.at=> ::infralens::__private::check_shape::<_, _, #expected, #marker>);
    let arg = quote_spanned!(site.at=> (&#name));
    quote_spanned! {site.at=>
        #[allow(non_camel_case_types, dead_code)]
        enum #marker {}
        #call #arg;
    }
}

#[cfg(test)]
mod tests {
    use super::expand;
    use quote::quote;

    /// An annotated function expands to the function a user would type by hand, plus the
    /// binding of run-time dims: one `bind` per annotated parameter and one for the result,
    /// each a constant `if` that compiles away when every dim has a compile-time size.
    #[test]
    fn expansion_is_the_hand_typed_function_plus_bindings() {
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
                let mut __infralens_bindings = ::infralens::__private::Bindings::new("project");
                __infralens_bindings.bind("x", &x).bind("wq", &wq);
                let __infralens_result: Result<Tensor<(B, S, D,)>, Error> =
                    ::infralens::__private::call(|| -> Result<Tensor<(B, S, D,)>, Error> {
                        Ok(x.matmul(wq))
                    });
                __infralens_bindings.bind("the result", &__infralens_result);
                __infralens_result
            }
        );
        assert_eq!(annotated.to_string(), by_hand.to_string());
    }

    /// The `.rs` files under `dir`, `target` and `.git` left out.
    fn rs_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() && name != "target" && name != ".git" {
                rs_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The functions of `items` (methods as functions too, inline modules included).
    fn functions(items: &[syn::Item], out: &mut Vec<syn::ItemFn>) {
        for item in items {
            match item {
                syn::Item::Fn(f) => out.push(f.clone()),
                syn::Item::Impl(i) => out.extend(i.items.iter().filter_map(|it| match it {
                    syn::ImplItem::Fn(f) => Some(syn::ItemFn {
                        attrs: f.attrs.clone(),
                        vis: f.vis.clone(),
                        sig: f.sig.clone(),
                        block: Box::new(f.block.clone()),
                    }),
                    _ => None,
                })),
                syn::Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        functions(items, out);
                    }
                }
                _ => {}
            }
        }
    }

    /// Expands `func` under `args` through the light path and through syn, asserts the
    /// two agree, and returns whether the light path read it. With `cuts`, every prefix
    /// and suffix of the signature is also read (without a panic).
    fn expands_alike(
        args: proc_macro2::TokenStream,
        func: &syn::ItemFn,
        what: &str,
        cuts: bool,
    ) -> bool {
        use quote::ToTokens;
        let item = func.to_token_stream();
        let fast = super::expand_with(args.clone(), item.clone(), true).to_string();
        let slow = super::expand_with(args.clone(), item.clone(), false).to_string();
        assert_eq!(fast, slow, "{what}");
        let mut tokens: Vec<proc_macro2::TokenTree> = item.into_iter().collect();
        tokens.pop();
        let Ok(parsed) = syn::parse2(args) else {
            return false;
        };
        if cuts {
            for end in 0..tokens.len() {
                let _ = crate::signature::read(&tokens[..end], &parsed);
                let _ = crate::signature::read(&tokens[end..], &parsed);
            }
        }
        crate::signature::read(&tokens, &parsed).is_some()
    }

    /// The light parse of the signature and syn's produce the same tokens, on every
    /// `#[shapes]` function of the repository (labs, models, tests, the UI cases with
    /// their mistakes, the parity corpus): the light one where it applies, syn's where it
    /// declines. Also counts how many functions take the light path.
    #[test]
    fn the_light_signature_path_expands_as_syn_does() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut paths = Vec::new();
        rs_files(&root, &mut paths);
        let (mut compared, mut light) = (0, 0);
        for path in paths {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            if !text.contains("shapes(") {
                continue;
            }
            let Ok(file) = syn::parse_file(&text) else {
                continue;
            };
            let mut found = Vec::new();
            functions(&file.items, &mut found);
            for mut func in found {
                let Some(attr) = func.attrs.iter().find(|a| a.path().is_ident("shapes")) else {
                    continue;
                };
                let syn::Meta::List(list) = &attr.meta else {
                    continue;
                };
                let args = list.tokens.clone();
                // The item as the macro receives it: without its `#[shapes]` attribute.
                func.attrs.retain(|a| !a.path().is_ident("shapes"));
                let what = format!("{}: `{}`", path.display(), func.sig.ident);
                compared += 1;
                light += usize::from(expands_alike(args, &func, &what, true));
            }
        }
        println!("{compared} annotated functions, {light} of them read without syn");
        assert!(
            compared > 100 && light > compared / 2,
            "{compared} compared, {light} light"
        );
    }

    /// Real signatures of every style, from the crates in `$CARGO_HOME/registry/src` (a
    /// fixed sample of 30 of them; all with `INFRALENS_ROBUSTNESS_ALL=1`): each function's
    /// first named parameter becomes an annotated `&Tensor` and its return value an
    /// annotated `Tensor`, and the light path must expand it as syn's does — through
    /// generics with `->` in their bounds, `where` clauses, lifetimes, receivers,
    /// attributes, patterns, qualifiers — or decline it.
    #[test]
    fn real_signatures_expand_alike_both_ways() {
        let home = std::env::var_os("CARGO_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cargo"))
            });
        let Some(home) = home else { return };
        let mut crates: Vec<std::path::PathBuf> = std::fs::read_dir(home.join("registry/src"))
            .into_iter()
            .flatten()
            .flatten()
            .flat_map(|r| std::fs::read_dir(r.path()).into_iter().flatten().flatten())
            .map(|k| k.path())
            .filter(|p| p.is_dir())
            .collect();
        crates.sort();
        if std::env::var_os("INFRALENS_ROBUSTNESS_ALL").is_none() && crates.len() > 30 {
            let step = crates.len().div_ceil(30);
            crates = crates.into_iter().step_by(step).collect();
        }
        let (mut compared, mut light) = (0usize, 0usize);
        for krate in &crates {
            let mut files = Vec::new();
            rs_files(krate, &mut files);
            for path in files {
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let Ok(file) = syn::parse_file(&text) else {
                    continue;
                };
                let mut sigs = Vec::new();
                functions(&file.items, &mut sigs);
                for mut func in sigs {
                    let Some(name) = func.sig.inputs.iter_mut().find_map(|arg| match arg {
                        syn::FnArg::Typed(t) => match &*t.pat {
                            syn::Pat::Ident(p) => {
                                let name = p.ident.clone();
                                *t.ty = syn::parse_quote!(&Tensor);
                                Some(name)
                            }
                            _ => None,
                        },
                        syn::FnArg::Receiver(_) => None,
                    }) else {
                        continue;
                    };
                    func.sig.output = syn::parse_quote!(-> Tensor);
                    *func.block = syn::parse_quote!({ unimplemented!() });
                    let args = quote::quote!(#name: [B, S] -> [B, S]);
                    let what = format!("{}: `{}`", path.display(), func.sig.ident);
                    compared += 1;
                    light += usize::from(expands_alike(args, &func, &what, false));
                }
            }
        }
        println!(
            "{} crates: {compared} real signatures, {light} of them read without syn",
            crates.len()
        );
        assert!(
            crates.is_empty() || light > 0,
            "{compared} compared, none light"
        );
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
