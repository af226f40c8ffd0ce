//! The `#[shape(...)]` statements of a function body, found by walking its token trees:
//! no syntax tree is built, so `#[shapes]` costs the compiler little more than reading the
//! body once (issue: cheap typed builds), and a deeply nested body cannot exhaust the
//! stack of a recursive-descent parser.
//!
//! What it recognises, in any block of the body (closures and nested blocks included):
//!
//! ```text
//! #[cfg(…)] #[shape(B, S, D)] let mut q: Tensor<_> = x.matmul(w);
//! ^^^^^^^^^ ^^^^^^^^^^^^^^^^^ ^^^ ^^^ ^             ^^^^^^^^^^^^^^
//! other     the shape         let (mut/ref) name    the value, up to the `;`
//! attributes (`cfg` ones also guard the inserted check)
//! ```
//!
//! ```
//! use infralens_syntax::body::rewrite_shape_lets;
//! use quote::quote;
//!
//! let body: proc_macro2::TokenStream = quote!({
//!     #[shape(B, S, D)]
//!     let y = x.softmax();
//!     y
//! });
//! let mut seen = Vec::new();
//! let out = rewrite_shape_lets(body, |site| {
//!     seen.push((site.name.to_string(), site.shape.to_string()));
//!     quote!(check(&y);)
//! })?;
//! assert_eq!(seen, vec![("y".to_owned(), "[B, S, D]".to_owned())]);
//! assert_eq!(out.to_string(), "{ let y = x . softmax () ; { check (& y) ; } y }");
//! # Ok::<(), syn::Error>(())
//! ```

use crate::messages::{NOT_ON_LET, ON_A_PATTERN, TWO_SHAPES, no_value};
use crate::shapes::{LetShape, NO_PARENTHESES, ShapeLit};
use proc_macro2::{Delimiter, Group, Ident, Spacing, Span, TokenStream, TokenTree};

/// Blocks nested deeper than this are reported instead of walked (rustc itself refuses a
/// few hundred levels more than any real function has).
pub const MAX_DEPTH: usize = 1024;

/// One `#[shape(...)] let name = …;`, as [`rewrite_shape_lets`] meets it.
pub struct ShapeSite<'a> {
    /// The bound variable (a raw identifier such as `r#type` stays raw).
    pub name: &'a Ident,
    /// The asserted shape.
    pub shape: &'a ShapeLit,
    /// Where the check's error belongs: the `let` of the annotated statement, on the line
    /// that makes the value (an error on the attribute's line pointed one line above it).
    pub at: Span,
    /// The span of the attribute's `[...]`.
    pub bracket: Span,
}

/// Removes every `#[shape(...)]` from `body` and inserts, right after each annotated
/// `let`, a block of the tokens `check` returns for it (guarded by the `let`'s own `#[cfg]`
/// attributes, so a `let` compiled out takes its check with it). Misplaced or malformed
/// annotations are errors, all returned together.
///
/// ```
/// use infralens_syntax::body::rewrite_shape_lets;
/// let body = quote::quote!({ #[shape(B, S)] f(); });
/// let err = rewrite_shape_lets(body, |_| Default::default()).unwrap_err();
/// assert_eq!(err.to_string(), "`#[shape]` goes on a `let`: write `#[shape(B, S, D)] let x = …;`");
/// ```
///
/// # Errors
/// A `#[shape]` on anything but a `let` of one name with a value, twice on one `let`, inside
/// a macro call, with arguments that are not a shape, or blocks nested deeper than
/// [`MAX_DEPTH`].
pub fn rewrite_shape_lets(
    body: TokenStream,
    mut check: impl FnMut(ShapeSite<'_>) -> TokenStream,
) -> syn::Result<TokenStream> {
    let mut walker = Walker {
        errors: None,
        edits: 0,
        check: &mut check,
    };
    let out = walker.stream(body, 0);
    match walker.errors {
        None => Ok(out),
        Some(e) => Err(e),
    }
}

struct Walker<'c> {
    errors: Option<syn::Error>,
    /// How many `#[shape]`s were taken out so far.
    edits: usize,
    check: &'c mut dyn FnMut(ShapeSite<'_>) -> TokenStream,
}

/// `#` followed by `[...]`: an outer attribute starting at `i`.
fn attribute_at(tokens: &[TokenTree], i: usize) -> Option<&Group> {
    match (tokens.get(i), tokens.get(i + 1)) {
        (Some(TokenTree::Punct(p)), Some(TokenTree::Group(g)))
            if p.as_char() == '#' && g.delimiter() == Delimiter::Bracket =>
        {
            Some(g)
        }
        _ => None,
    }
}

/// An error spanning the whole attribute `#[…]`.
fn attribute_error(pound: &TokenTree, group: &Group, msg: &str) -> syn::Error {
    let tokens: TokenStream = [pound.clone(), TokenTree::Group(group.clone())]
        .into_iter()
        .collect();
    syn::Error::new_spanned(tokens, msg)
}

/// The attribute's path when it is one name: `shape`, `cfg`, `allow`, …
fn attribute_name(group: &Group) -> Option<String> {
    match group.stream().into_iter().next() {
        Some(TokenTree::Ident(i)) => Some(i.to_string()),
        _ => None,
    }
}

/// `if !(a) {…}`, `return !(x)`: a keyword and a negation, not a macro call.
fn is_keyword_before_not(name: &Ident) -> bool {
    [
        "if", "while", "match", "return", "break", "in", "else", "let", "yield",
    ]
    .iter()
    .any(|k| name == k)
}

fn is_punct(tree: Option<&TokenTree>, c: char) -> bool {
    matches!(tree, Some(TokenTree::Punct(p)) if p.as_char() == c)
}

fn is_ident(tree: Option<&TokenTree>, word: &str) -> bool {
    matches!(tree, Some(TokenTree::Ident(i)) if i == word)
}

impl Walker<'_> {
    fn push(&mut self, e: syn::Error) {
        match &mut self.errors {
            Some(all) => all.combine(e),
            None => self.errors = Some(e),
        }
    }

    fn group(&mut self, g: &Group, depth: usize) -> TokenTree {
        if depth >= MAX_DEPTH {
            self.push(syn::Error::new(
                g.span_open(),
                format!(
                    "blocks are nested more than {MAX_DEPTH} levels deep here: `#[shapes]` stops reading; split the function"
                ),
            ));
            return TokenTree::Group(g.clone());
        }
        let edits = self.edits;
        let inner = self.stream(g.stream(), depth + 1);
        if self.edits == edits {
            // Nothing to change inside: keep the original group, spans and all (cheaper
            // for the compiler than a rebuilt one).
            return TokenTree::Group(g.clone());
        }
        let mut out = Group::new(g.delimiter(), inner);
        out.set_span(g.span());
        TokenTree::Group(out)
    }

    fn stream(&mut self, stream: TokenStream, depth: usize) -> TokenStream {
        let tokens: Vec<TokenTree> = stream.into_iter().collect();
        let mut out: Vec<TokenTree> = Vec::with_capacity(tokens.len());
        let mut i = 0;
        while i < tokens.len() {
            // A run of outer attributes: `#[a] #[b] …`.
            if attribute_at(&tokens, i).is_some() {
                let mut run = Vec::new();
                while let Some(group) = attribute_at(&tokens, i) {
                    run.push((&tokens[i], group));
                    i += 2;
                }
                i = self.attributes(&tokens, &run, i, depth, &mut out);
                continue;
            }
            // A macro call `name!(…)`: its tokens are the macro's, not statements.
            if let (
                Some(TokenTree::Ident(name)),
                Some(TokenTree::Punct(bang)),
                Some(TokenTree::Group(g)),
            ) = (tokens.get(i), tokens.get(i + 1), tokens.get(i + 2))
                && !is_keyword_before_not(name)
                && bang.as_char() == '!'
                && bang.spacing() == Spacing::Alone
            {
                if let Some(e) = shapes_inside_macro(g.stream()) {
                    self.push(e);
                }
                out.extend(tokens[i..i + 3].iter().cloned());
                i += 3;
                continue;
            }
            match &tokens[i] {
                TokenTree::Group(g) => out.push(self.group(g, depth)),
                other => out.push(other.clone()),
            }
            i += 1;
        }
        out.into_iter().collect()
    }

    /// Handles a run of attributes (each its `#` and its `[…]`) and what they annotate,
    /// which starts at `tokens[end]`; returns the index to continue from.
    fn attributes<'t>(
        &mut self,
        tokens: &'t [TokenTree],
        run: &[(&'t TokenTree, &'t Group)],
        end: usize,
        depth: usize,
        out: &mut Vec<TokenTree>,
    ) -> usize {
        let mut shapes: Vec<(&TokenTree, &Group)> = Vec::new();
        let mut guards: Vec<TokenTree> = Vec::new();
        let mut kept: Vec<TokenTree> = Vec::new();
        for &(pound, group) in run {
            match attribute_name(group).as_deref() {
                Some("shape") => shapes.push((pound, group)),
                name => {
                    if matches!(name, Some("cfg")) {
                        guards.extend([pound.clone(), TokenTree::Group(group.clone())]);
                    }
                    kept.extend([pound.clone(), TokenTree::Group(group.clone())]);
                }
            }
        }
        out.extend(kept);
        let Some(&(pound, group)) = shapes.first() else {
            return end;
        };
        self.edits += 1;
        for (p, g) in &shapes[1..] {
            self.push(attribute_error(p, g, TWO_SHAPES));
        }
        let bracket = group.span();
        let whole = |msg: &str| attribute_error(pound, group, msg);
        if !is_ident(tokens.get(end), "let") {
            self.push(whole(NOT_ON_LET));
            return end;
        }
        let let_span = tokens[end].span();
        // `let` [`mut` | `ref` [`mut`]] name (`:` | `=` | `;`)
        let mut at = end + 1;
        while is_ident(tokens.get(at), "mut") || is_ident(tokens.get(at), "ref") {
            at += 1;
        }
        let name = match tokens.get(at) {
            Some(TokenTree::Ident(name))
                if name != "_"
                    && matches!(tokens.get(at + 1), Some(TokenTree::Punct(p))
                        if (p.as_char() == ':' && !is_punct(tokens.get(at + 2), ':'))
                            || (p.as_char() == '=' && p.spacing() == Spacing::Alone)
                            || p.as_char() == ';') =>
            {
                Some(name)
            }
            _ => None,
        };
        // The statement runs to the first `;` of this block.
        let semi = (end..tokens.len()).find(|&k| is_punct(tokens.get(k), ';'));
        let stop = semi.map_or(tokens.len(), |k| k + 1);
        let statement: TokenStream = tokens[end..stop].iter().cloned().collect();
        out.extend(self.stream(statement, depth));
        let Some(name) = name else {
            self.push(whole(ON_A_PATTERN));
            return stop;
        };
        let has_value = tokens[at + 1..stop]
            .iter()
            .any(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == '=' && p.spacing() == Spacing::Alone));
        if !has_value {
            self.push(whole(&no_value(name)));
            return stop;
        }
        if semi.is_none() {
            // Not a statement rustc accepts either: its own error says so.
            return stop;
        }
        // `shape(…)`: the arguments straight from the tokens (no `syn::Attribute` built).
        let mut inside = group.stream().into_iter().skip(1);
        let parsed = match (inside.next(), inside.next()) {
            (Some(TokenTree::Group(args)), None) if args.delimiter() == Delimiter::Parenthesis => {
                LetShape::from_tokens(args.stream(), args.span_close())
            }
            _ => Err(whole(NO_PARENTHESES)),
        };
        let attr = match parsed {
            Ok(shape) => shape,
            Err(e) => {
                self.push(e);
                return stop;
            }
        };
        let check = (self.check)(ShapeSite {
            name,
            shape: &attr.shape,
            at: let_span,
            bracket,
        });
        out.extend(guards);
        let mut block = Group::new(Delimiter::Brace, check);
        block.set_span(let_span);
        out.push(TokenTree::Group(block));
        stop
    }
}

/// The errors for every `#[shape]` inside a macro call's tokens (`name!(…)`): `#[shapes]`
/// cannot see into a macro, so each one is reported where it is, together. Shared by the
/// proc macro and the lint.
///
/// ```
/// use infralens_syntax::body::shapes_inside_macro;
/// let err = shapes_inside_macro(quote::quote!(#[shape(B, S)] let y = x;)).unwrap();
/// assert!(err.to_string().starts_with("`#[shape]` inside a macro call is not seen by `#[shapes]`"));
/// assert!(shapes_inside_macro(quote::quote!("{}", x)).is_none());
/// ```
pub fn shapes_inside_macro(tokens: TokenStream) -> Option<syn::Error> {
    let mut errors: Option<syn::Error> = None;
    let mut stack = vec![(tokens, 0)];
    while let Some((stream, depth)) = stack.pop() {
        if depth >= MAX_DEPTH {
            continue;
        }
        let tokens: Vec<TokenTree> = stream.into_iter().collect();
        for (i, tree) in tokens.iter().enumerate() {
            if let Some(g) = attribute_at(&tokens, i)
                && attribute_name(g).as_deref() == Some("shape")
            {
                let e = attribute_error(
                    &tokens[i],
                    g,
                    "`#[shape]` inside a macro call is not seen by `#[shapes]`: move the `let` out of the macro, or write its type, as in `let x: Tensor<(B, S, D)> = …;`",
                );
                match &mut errors {
                    Some(all) => all.combine(e),
                    None => errors = Some(e),
                }
            }
            if let TokenTree::Group(g) = tree {
                stack.push((g.stream(), depth + 1));
            }
        }
    }
    errors
}
