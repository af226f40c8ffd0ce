//! The light parse of a `#[shapes]` signature (issue: cheap typed builds): the common
//! function — annotated parameters written as a bare `Tensor` (behind `&`/`&mut`), the
//! return value as a bare `Tensor`, `Result<Tensor, E>` or `Option<Tensor>` — is rewritten
//! from its token trees, without building a syn syntax tree (run unoptimised, as cargo's
//! default profile runs proc macros, syn's parse of a signature cost about a fifth of the
//! macro's time). Anything else — `const`/`async` functions, `where` relations, annotated
//! tensors written in full, patterns near a tensor, errors of any kind — returns `None`,
//! and the macro takes the syn path, which produces the same tokens for what this path
//! handles (a test compares the two on every annotated function of the repository) and
//! the errors for the rest.

use infralens_syntax::shapes::{ShapeLit, ShapesArgs};
use proc_macro2::{Delimiter, Group, Punct, Spacing, Span, TokenStream, TokenTree};

/// A function signature read from its tokens, annotated shapes filled in.
pub(crate) struct Light {
    /// Everything before the body, rewritten.
    pub head: Vec<TokenTree>,
    /// The function's name.
    pub name: String,
    /// The rewritten return type, when the annotation gives one.
    pub output: Option<TokenStream>,
}

fn is_punct(tree: Option<&TokenTree>, c: char) -> bool {
    matches!(tree, Some(TokenTree::Punct(p)) if p.as_char() == c)
}

fn is_ident(tree: Option<&TokenTree>, word: &str) -> bool {
    matches!(tree, Some(TokenTree::Ident(i)) if i == word)
}

/// Whether `Tensor` occurs anywhere in `tokens` (inside groups too).
fn mentions_tensor(tokens: &[TokenTree]) -> bool {
    tokens.iter().any(|t| match t {
        TokenTree::Ident(i) => i == "Tensor",
        TokenTree::Group(g) => mentions_tensor(&g.stream().into_iter().collect::<Vec<_>>()),
        _ => false,
    })
}

/// `Tensor<(B, S, D,)>` as syn prints the path `apply_signature` builds: `<` and `>` at
/// the call site, the tuple's parentheses and commas at the annotation.
fn shape_args(shape: &ShapeLit) -> [TokenTree; 3] {
    let mut inner = Vec::with_capacity(shape.dims.len() * 2);
    for dim in &shape.dims {
        inner.push(TokenTree::Ident(dim.clone()));
        let mut comma = Punct::new(',', Spacing::Alone);
        comma.set_span(shape.span);
        inner.push(TokenTree::Punct(comma));
    }
    let mut tuple = Group::new(Delimiter::Parenthesis, inner.into_iter().collect());
    tuple.set_span(shape.span);
    let angle = |c| {
        let mut p = Punct::new(c, Spacing::Alone);
        p.set_span(Span::call_site());
        TokenTree::Punct(p)
    };
    [angle('<'), TokenTree::Group(tuple), angle('>')]
}

/// `type` with the shape written into its `Tensor`, when it is a bare `Tensor` path,
/// behind `&`, a lifetime or `mut` at most: `&'a mut infralens::Tensor`.
fn fill(ty: &[TokenTree], shape: &ShapeLit, refs_allowed: bool) -> Option<Vec<TokenTree>> {
    is_bare_tensor(ty, refs_allowed).then(|| {
        let mut out = ty.to_vec();
        out.extend(shape_args(shape));
        out
    })
}

/// How many tokens `& ['a] [mut]` take at the start of `ty` (0 when it is no reference).
fn reference_len(ty: &[TokenTree]) -> usize {
    if !is_punct(ty.first(), '&') {
        return 0;
    }
    let mut at = 1;
    if matches!(ty.get(at), Some(TokenTree::Punct(p)) if p.as_char() == '\'' && p.spacing() == Spacing::Joint)
    {
        at += 2;
    }
    if is_ident(ty.get(at), "mut") {
        at += 1;
    }
    at
}

/// Whether `ty` is a bare `Tensor` path (`[::] name (:: name)*` ending in `Tensor`), behind
/// a reference at most when `refs_allowed`.
fn is_bare_tensor(ty: &[TokenTree], refs_allowed: bool) -> bool {
    let at = if refs_allowed { reference_len(ty) } else { 0 };
    let path = &ty[at.min(ty.len())..];
    let mut k = 0;
    loop {
        if is_punct(path.get(k), ':') {
            if !(is_punct(path.get(k + 1), ':')) {
                return false;
            }
            k += 2;
        }
        match path.get(k) {
            Some(TokenTree::Ident(_)) => k += 1,
            _ => return false,
        }
        if k == path.len() {
            break;
        }
    }
    is_ident(path.last(), "Tensor")
}

/// `self`, `&self`, `&mut self`, `&'a self`, `mut self` (not `self: Type`).
fn is_receiver(param: &[TokenTree]) -> bool {
    let mut at = reference_len(param);
    if at == 0 && is_ident(param.first(), "mut") {
        at = 1;
    }
    is_ident(param.get(at), "self") && at + 1 == param.len()
}

/// A type a closure can be given, in the simplest form: names, paths, generic arguments
/// and tuples of them (no reference, lifetime, `impl`, `dyn`, `fn`).
fn plain_type(ty: &[TokenTree]) -> bool {
    ty.iter().all(|t| match t {
        TokenTree::Ident(i) => !["impl", "dyn", "fn", "_", "unsafe", "extern"]
            .iter()
            .any(|k| i == k),
        TokenTree::Punct(p) => matches!(p.as_char(), ':' | '<' | '>' | ','),
        TokenTree::Group(g) => {
            g.delimiter() == Delimiter::Parenthesis
                && plain_type(&g.stream().into_iter().collect::<Vec<_>>())
        }
        TokenTree::Literal(_) => false,
    })
}

/// `Result<Tensor, E>` or `Option<Tensor>` (a path ending in either) with the shape
/// written into its `Tensor`, where the rest is a plain type; as `with_value_type` and
/// `fill` do on syn's tree.
fn fill_value(ty: &[TokenTree], shape: &ShapeLit) -> Option<Vec<TokenTree>> {
    let open = ty.iter().position(|t| is_punct(Some(t), '<'))?;
    if !(is_ident(ty.get(open.wrapping_sub(1)), "Result")
        || is_ident(ty.get(open.wrapping_sub(1)), "Option"))
        || !is_punct(ty.last(), '>')
        || !plain_type(ty)
    {
        return None;
    }
    // The first argument runs to the first top-level `,` or the closing `>`.
    let (mut depth, mut end) = (0usize, None);
    for (k, t) in ty.iter().enumerate().skip(open + 1) {
        match t {
            TokenTree::Punct(p) if p.as_char() == '<' => depth += 1,
            TokenTree::Punct(p) if p.as_char() == '>' && depth == 0 => {
                end = Some(k);
                break;
            }
            TokenTree::Punct(p) if p.as_char() == '>' => depth -= 1,
            TokenTree::Punct(p) if p.as_char() == ',' && depth == 0 => {
                end = Some(k);
                break;
            }
            _ => {}
        }
    }
    let end = end?;
    let mut out = ty[..open + 1].to_vec();
    out.extend(fill(&ty[open + 1..end], shape, false)?);
    out.extend(ty[end..].iter().cloned());
    Some(out)
}

/// Reads `tokens` (the function without its body) as `#[attrs] [pub[(…)]] fn name
/// [<generics>] (params) [-> Ret] [where …]`, and fills in the annotated shapes; `None`
/// for anything the syn path must see.
pub(crate) fn read(tokens: &[TokenTree], args: &ShapesArgs) -> Option<Light> {
    if !args.relations.is_empty() {
        return None;
    }
    let mut i = 0;
    while is_punct(tokens.get(i), '#')
        && matches!(tokens.get(i + 1), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket)
    {
        i += 2;
    }
    if is_ident(tokens.get(i), "pub") {
        i += 1;
        if matches!(tokens.get(i), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis)
        {
            i += 1;
        }
    }
    if !is_ident(tokens.get(i), "fn") {
        return None;
    }
    let name = match tokens.get(i + 1) {
        Some(TokenTree::Ident(name)) => name.to_string(),
        _ => return None,
    };
    i += 2;
    // Generics, verbatim: `<` … the `>` that closes it (not one of a `->`).
    if is_punct(tokens.get(i), '<') {
        let mut depth = 0usize;
        loop {
            match tokens.get(i) {
                Some(TokenTree::Punct(p)) if p.as_char() == '<' => depth += 1,
                Some(TokenTree::Punct(p)) if p.as_char() == '>' => {
                    let arrow = matches!(tokens.get(i.wrapping_sub(1)), Some(TokenTree::Punct(q)) if q.as_char() == '-' && q.spacing() == Spacing::Joint);
                    if !arrow {
                        depth = depth.checked_sub(1)?;
                    }
                }
                None => return None,
                _ => {}
            }
            i += 1;
            if depth == 0 {
                break;
            }
        }
    }
    let params = match tokens.get(i) {
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => g,
        _ => return None,
    };
    let params_at = i;
    i += 1;

    // The parameters, split at their top-level commas.
    let inner: Vec<TokenTree> = params.stream().into_iter().collect();
    let mut segments: Vec<(usize, usize)> = Vec::new();
    let (mut start, mut depth) = (0, 0usize);
    for (k, tree) in inner.iter().enumerate() {
        let TokenTree::Punct(p) = tree else { continue };
        match p.as_char() {
            '<' => depth += 1,
            '>' if !(k > 0
                && matches!(&inner[k - 1], TokenTree::Punct(q) if q.as_char() == '-' && q.spacing() == Spacing::Joint)) =>
            {
                depth = depth.checked_sub(1)?;
            }
            ',' if depth == 0 => {
                segments.push((start, k));
                start = k + 1;
            }
            _ => {}
        }
    }
    if start < inner.len() {
        segments.push((start, inner.len()));
    }
    let mut new_params: Vec<TokenTree> = Vec::with_capacity(inner.len() + 4 * args.params.len());
    let mut found = 0;
    for (from, to) in segments {
        let param = &inner[from..to];
        // `[mut] name: Type`
        let at = usize::from(is_ident(param.first(), "mut"));
        let annotated = match (param.get(at), param.get(at + 1)) {
            (Some(TokenTree::Ident(name)), Some(TokenTree::Punct(colon)))
                if colon.as_char() == ':' && colon.spacing() == Spacing::Alone =>
            {
                if name == "self" {
                    return None;
                }
                args.params.iter().find(|p| p.name == *name)
            }
            // A receiver is fine; a pattern or an attribute near a tensor is the syn
            // path's.
            _ if is_punct(param.first(), '#')
                || (mentions_tensor(param) && !is_receiver(param)) =>
            {
                return None;
            }
            _ => None,
        };
        match annotated {
            Some(p) => {
                found += 1;
                new_params.extend(param[..at + 2].iter().cloned());
                new_params.extend(fill(&param[at + 2..], &p.shape, true)?);
            }
            // Not annotated: a bare `Tensor` is an error (the syn path says which), one
            // written in full stays as written.
            None if is_bare_tensor(&param[(at + 2).min(param.len())..], true) => return None,
            None => new_params.extend(param.iter().cloned()),
        }
        // The comma after it, as written.
        if let Some(comma) = inner.get(to) {
            new_params.push(comma.clone());
        }
    }
    if found != args.params.len() {
        return None;
    }

    // `-> Ret`, up to a `where` or the end.
    let mut output = None;
    let mut ret_tokens: Vec<TokenTree> = Vec::new();
    let arrow = matches!(tokens.get(i), Some(TokenTree::Punct(p)) if p.as_char() == '-' && p.spacing() == Spacing::Joint)
        && is_punct(tokens.get(i + 1), '>');
    let where_at = if arrow {
        let from = i + 2;
        let to = (from..tokens.len())
            .find(|&k| is_ident(tokens.get(k), "where"))
            .unwrap_or(tokens.len());
        let ret = &tokens[from..to];
        match &args.ret {
            Some(shape) => {
                let filled = fill(ret, shape, false).or_else(|| fill_value(ret, shape))?;
                output = Some(filled.iter().cloned().collect());
                ret_tokens.extend(tokens[i..from].iter().cloned());
                ret_tokens.extend(filled);
            }
            None if mentions_tensor(ret) => return None,
            None => ret_tokens.extend(tokens[i..to].iter().cloned()),
        }
        to
    } else {
        if args.ret.is_some() {
            return None;
        }
        i
    };
    if mentions_tensor(&tokens[where_at..]) {
        return None;
    }

    let mut head: Vec<TokenTree> = tokens[..params_at].to_vec();
    let mut group = Group::new(Delimiter::Parenthesis, new_params.into_iter().collect());
    group.set_span(params.span());
    head.push(TokenTree::Group(group));
    head.extend(ret_tokens);
    head.extend(tokens[where_at..].iter().cloned());
    Some(Light { head, name, output })
}
