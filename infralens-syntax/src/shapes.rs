//! The grammar of `#[shapes(...)]` on functions and `#[shape(...)]` on `let`s.
//!
//! ```text
//! #[shapes(x: [B, S, D], wq: [D, D] -> [B, H, S, Dh], where D = H * Dh)]
//!          ^  ^^^^^^^^^                ^^^^^^^^^^^^^^  ^^^^^^^^^^^^^^^^
//!          |  |                        |               relations between dims of a
//!          |  |                        |               dim-generic function: `X = A * B`
//!          |  |                        |               or `X = A / B`, comma-separated
//!          |  |                        the return shape, after `->`
//!          |  a shape: named dims in brackets, outermost first, 1 to 6 of them
//!          a parameter of the function (or `self`)
//!
//! #[shape(B, H, S, Dh)]          on a `let` inside the function: the value's shape there
//! let q = x.matmul(&wq).split_heads::<H, Dh>();
//! ```
//!
//! ```
//! use infralens_syntax::shapes::ShapesArgs;
//!
//! let args: ShapesArgs = syn::parse_str("x: [B, S, D], wq: [D, D] -> [B, H, S, Dh]")?;
//! assert_eq!(args.params.len(), 2);
//! assert_eq!(args.ret.as_ref().map(|s| s.to_string()), Some("[B, H, S, Dh]".to_owned()));
//! # Ok::<(), syn::Error>(())
//! ```

use crate::dims::SizeExpr;
use proc_macro2::Span;
use std::collections::HashSet;
use std::fmt;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Ident, Token, bracketed};

/// The most dims a shape may have (the tensor ranks `infralens` implements).
pub const MAX_RANK: usize = 6;

/// The arguments of `#[shapes(...)]`.
///
/// ```
/// use infralens_syntax::shapes::ShapesArgs;
/// let args: ShapesArgs = syn::parse_str("x: [B, S, D] -> [B, H, S, Dh], where D = H * Dh")?;
/// assert_eq!(args.params[0].name.to_string(), "x");
/// assert_eq!(args.relations.len(), 1);
/// # Ok::<(), syn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ShapesArgs {
    /// `name: [dims]` for each annotated parameter, in order.
    pub params: Vec<ParamShape>,
    /// The return shape, after `->`.
    pub ret: Option<ShapeLit>,
    /// `where` relations.
    pub relations: Vec<Relation>,
}

/// `x: [B, S, D]`.
///
/// ```
/// use infralens_syntax::shapes::ParamShape;
/// let p: ParamShape = syn::parse_str("wq: [D, D]")?;
/// assert_eq!((p.name.to_string(), p.shape.dims.len()), ("wq".to_owned(), 2));
/// # Ok::<(), syn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ParamShape {
    /// The parameter's name (`self` for a receiver).
    pub name: Ident,
    /// Its shape.
    pub shape: ShapeLit,
}

/// `[B, H, S, Dh]`: named dims, outermost first.
///
/// ```
/// use infralens_syntax::shapes::ShapeLit;
/// let s: ShapeLit = syn::parse_str("[B, H, S, Dh]")?;
/// assert_eq!(s.to_string(), "[B, H, S, Dh]");
/// # Ok::<(), syn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ShapeLit {
    /// The dims.
    pub dims: Vec<Ident>,
    /// The span of the whole shape, brackets included.
    pub span: Span,
}

/// A `where` relation: `D = H * Dh`, `Dh = D / H` or `T = P + S`.
///
/// ```
/// use infralens_syntax::shapes::{Relation, RelationKind};
/// let r: Relation = syn::parse_str("Dh = D / H")?;
/// assert_eq!(r.kind, RelationKind::Quotient);
/// assert_eq!((r.left.to_string(), r.a.to_string(), r.b.to_string()), ("Dh".into(), "D".into(), "H".into()));
/// # Ok::<(), syn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Relation {
    /// The dim on the left of `=`.
    pub left: Ident,
    /// `*`, `/` or `+`.
    pub kind: RelationKind,
    /// The first operand.
    pub a: Ident,
    /// The second operand.
    pub b: Ident,
    /// The whole relation's span.
    pub span: Span,
}

/// Which relation: `X = A * B`, `X = A / B` or `X = A + B`.
///
/// ```
/// use infralens_syntax::shapes::RelationKind;
/// assert_ne!(RelationKind::Product, RelationKind::Quotient);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    /// `X = A * B`.
    Product,
    /// `X = A / B` (exact: `A = X * B`).
    Quotient,
    /// `X = A + B` (as the axis of a `cat`).
    Sum,
}

/// The arguments of `#[shape(...)]` on a `let`: `B, H, S, Dh` (brackets optional).
///
/// ```
/// use infralens_syntax::shapes::LetShape;
/// let a: LetShape = syn::parse_str("B, H, S, Dh")?;
/// let b: LetShape = syn::parse_str("[B, H, S, Dh]")?;
/// assert_eq!(a.shape.to_string(), b.shape.to_string());
/// # Ok::<(), syn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LetShape {
    /// The asserted shape.
    pub shape: ShapeLit,
}

/// A shape as annotations write it: `[B, S, D]`.
///
/// ```
/// assert_eq!(infralens_syntax::shapes::bracket_text(&["B", "S"]), "[B, S]");
/// ```
pub fn bracket_text<S: AsRef<str>>(names: &[S]) -> String {
    let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    format!("[{}]", names.join(", "))
}

/// A shape as a Rust tuple type prints: `(B, S, D)`, and `(S,)` for rank 1.
///
/// ```
/// use infralens_syntax::shapes::tuple_text;
/// assert_eq!((tuple_text(&["B", "H"]), tuple_text(&["S"])), ("(B, H)".into(), "(S,)".into()));
/// ```
pub fn tuple_text<S: AsRef<str>>(names: &[S]) -> String {
    let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    if names.len() == 1 {
        format!("({},)", names[0])
    } else {
        format!("({})", names.join(", "))
    }
}

impl fmt::Display for ShapeLit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.dims.iter().map(Ident::to_string).collect();
        f.write_str(&bracket_text(&names))
    }
}

impl ShapeLit {
    /// The shape as a Rust tuple type would be written: `(B, S, D)` (`(S,)` for rank 1).
    ///
    /// ```
    /// use infralens_syntax::shapes::ShapeLit;
    /// let s: ShapeLit = syn::parse_str("[S]")?;
    /// assert_eq!(s.tuple_text(), "(S,)");
    /// # Ok::<(), syn::Error>(())
    /// ```
    pub fn tuple_text(&self) -> String {
        let names: Vec<String> = self.dims.iter().map(Ident::to_string).collect();
        tuple_text(&names)
    }

    /// The shape as a Rust tuple type, spanned at the annotation: `(B, S, D,)` (the
    /// trailing comma makes rank 1 a tuple too).
    ///
    /// ```
    /// use infralens_syntax::shapes::ShapeLit;
    /// let s: ShapeLit = syn::parse_str("[B, S]")?;
    /// assert_eq!(s.tuple_type().to_string(), "(B , S ,)");
    /// # Ok::<(), syn::Error>(())
    /// ```
    pub fn tuple_type(&self) -> proc_macro2::TokenStream {
        let dims = &self.dims;
        quote::quote_spanned!(self.span=> (#(#dims,)*))
    }

    /// Parses dims up to the end of `input` (no brackets), for `#[shape(B, S, D)]`.
    fn parse_bare(input: ParseStream<'_>, span: Span) -> syn::Result<Self> {
        let mut dims = Vec::new();
        while !input.is_empty() {
            dims.push(parse_dim(input)?);
            if input.is_empty() {
                break;
            }
            if !input.peek(Token![,]) {
                return Err(input.error("expected `,` between dims, as in `[B, S, D]`"));
            }
            input.parse::<Token![,]>()?;
        }
        if dims.is_empty() {
            return Err(syn::Error::new(
                span,
                "a shape needs at least one dim, as in `[B, S, D]`",
            ));
        }
        if dims.len() > MAX_RANK {
            return Err(syn::Error::new(
                dims[MAX_RANK].span(),
                format!(
                    "a shape has at most {MAX_RANK} dims; this one has {}",
                    dims.len()
                ),
            ));
        }
        Ok(ShapeLit { dims, span })
    }
}

fn parse_dim(input: ParseStream<'_>) -> syn::Result<Ident> {
    if input.peek(Token![_]) {
        let wild: Token![_] = input.parse()?;
        return Err(syn::Error::new(
            wild.span,
            "`_` is not a dim: name every axis, as in `[B, S, D]` (declare a name in `dims!` for an axis you do not care about)",
        ));
    }
    if input.peek(syn::LitInt) {
        let lit: syn::LitInt = input.parse()?;
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "expected a dim name such as `S`, found the number `{lit}`: declare sizes in `dims!` and name them here"
            ),
        ));
    }
    if input.peek(Ident) {
        return input.parse();
    }
    if input.peek(syn::LitStr) {
        let lit: syn::LitStr = input.parse()?;
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "expected a dim name such as `S`, found a string: write `{}` without quotes",
                lit.value()
            ),
        ));
    }
    Err(input.error("expected a dim name such as `S`"))
}

impl Parse for ShapeLit {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if !input.peek(syn::token::Bracket) {
            return Err(input.error("expected a shape in brackets, as in `[B, S, D]`"));
        }
        let content;
        let bracket = bracketed!(content in input);
        ShapeLit::parse_bare(&content, bracket.span.join())
    }
}

/// The error for `#[shape]` or `#[shape = …]`: the shape goes in parentheses.
pub(crate) const NO_PARENTHESES: &str =
    "expected the value's shape in parentheses, as in `#[shape(B, S, D)]`";

impl LetShape {
    /// The shape of `#[shape(...)]` (see [`LetShape::from_tokens`], which reads the common
    /// form straight from the tokens); an attribute without parentheses is an error that
    /// says what to write.
    ///
    /// ```
    /// use infralens_syntax::shapes::LetShape;
    /// let attr: syn::Attribute = syn::parse_quote!(#[shape(B, H, S, Dh)]);
    /// assert_eq!(LetShape::from_attr(&attr)?.shape.to_string(), "[B, H, S, Dh]");
    /// let bad: syn::Attribute = syn::parse_quote!(#[shape(B, 4)]);
    /// assert!(LetShape::from_attr(&bad).is_err());
    /// # Ok::<(), syn::Error>(())
    /// ```
    ///
    /// # Errors
    /// The attribute's arguments are not a shape.
    pub fn from_attr(attr: &syn::Attribute) -> syn::Result<Self> {
        match &attr.meta {
            syn::Meta::List(list) if matches!(list.delimiter, syn::MacroDelimiter::Paren(_)) => {
                Self::from_tokens(list.tokens.clone(), list.delimiter.span().close())
            }
            _ => Err(syn::Error::new_spanned(attr, NO_PARENTHESES)),
        }
    }

    /// The shape of `#[shape(...)]` from the tokens inside its parentheses; `span`
    /// (the closing parenthesis) is where an empty shape's error points. The common
    /// form, names separated by commas, is read straight from the tokens (no parse
    /// buffer), which matters to a linter reading thousands of them.
    ///
    /// ```
    /// use infralens_syntax::shapes::LetShape;
    /// let span = proc_macro2::Span::call_site();
    /// let shape = LetShape::from_tokens(quote::quote!(B, H, S, Dh), span)?;
    /// assert_eq!(shape.shape.to_string(), "[B, H, S, Dh]");
    /// assert!(LetShape::from_tokens(quote::quote!(), span).is_err());
    /// # Ok::<(), syn::Error>(())
    /// ```
    ///
    /// # Errors
    /// The tokens are not a shape.
    pub fn from_tokens(tokens: proc_macro2::TokenStream, span: Span) -> syn::Result<Self> {
        if let Some(shape) = Self::names_only(&tokens) {
            return Ok(LetShape { shape });
        }
        if tokens.is_empty() {
            return Err(syn::Error::new(
                span,
                "a shape needs at least one dim, as in `[B, S, D]`",
            ));
        }
        syn::parse2(tokens)
    }

    /// `A, B, C` (a trailing comma allowed), 1 to [`MAX_RANK`] names; `None` otherwise.
    fn names_only(tokens: &proc_macro2::TokenStream) -> Option<ShapeLit> {
        use proc_macro2::TokenTree;
        let mut dims = Vec::new();
        let mut expect_name = true;
        for tree in tokens.clone() {
            match tree {
                TokenTree::Ident(ident) if expect_name && !is_keyword(&ident) && ident != "_" => {
                    dims.push(ident)
                }
                TokenTree::Punct(p) if !expect_name && p.as_char() == ',' => {}
                _ => return None,
            }
            expect_name = !expect_name;
        }
        let span = dims.first()?.span();
        (dims.len() <= MAX_RANK).then_some(ShapeLit { dims, span })
    }
}

/// A keyword is not a dim name: such a shape takes the full parser, and its error.
fn is_keyword(ident: &Ident) -> bool {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait",
        "true", "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do",
        "final", "gen", "macro", "override", "priv", "try", "typeof", "unsized", "virtual",
        "yield",
    ];
    let name = ident.to_string();
    KEYWORDS.contains(&name.as_str())
}

impl Parse for LetShape {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(syn::token::Bracket) {
            let shape: ShapeLit = input.parse()?;
            if !input.is_empty() {
                return Err(input.error("unexpected tokens after the shape"));
            }
            return Ok(LetShape { shape });
        }
        let span = input.span();
        Ok(LetShape {
            shape: ShapeLit::parse_bare(input, span)?,
        })
    }
}

impl Parse for ParamShape {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name: Ident = if input.peek(Token![self]) {
            let token: Token![self] = input.parse()?;
            Ident::new("self", token.span)
        } else if input.peek(Ident) {
            input.parse()?
        } else {
            return Err(input.error("expected a parameter name, as in `x: [B, S, D]`"));
        };
        if !input.peek(Token![:]) {
            return Err(input.error(format!(
                "expected `:` and a shape after `{name}`, as in `{name}: [B, S, D]`"
            )));
        }
        input.parse::<Token![:]>()?;
        let shape = input.parse()?;
        Ok(ParamShape { name, shape })
    }
}

impl Parse for Relation {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        const HELP: &str =
            "expected a relation between dims, as in `D = H * Dh`, `Dh = D / H` or `T = P + S`";
        let start = input.span();
        if !input.peek(Ident) {
            return Err(input.error(HELP));
        }
        let left: Ident = input.parse()?;
        if !input.peek(Token![=]) {
            return Err(input.error(format!(
                "expected `=` after `{left}`, as in `{left} = H * Dh`"
            )));
        }
        input.parse::<Token![=]>()?;
        let size: SizeExpr = input.parse()?;
        let SizeExpr::Binary {
            left: a,
            op,
            right: b,
            tokens,
            ..
        } = size
        else {
            return Err(syn::Error::new(start, HELP));
        };
        let (SizeExpr::Dim(a), SizeExpr::Dim(b)) = (*a, *b) else {
            return Err(syn::Error::new_spanned(
                tokens,
                "a relation multiplies, divides or adds two dims, as in `H * Dh`; name other sizes in `dims!`",
            ));
        };
        if a == left || b == left {
            return Err(syn::Error::new_spanned(
                tokens,
                format!(
                    "`{left}` appears on both sides of its relation; relate it to other dims, as in `D = H * Dh`"
                ),
            ));
        }
        let kind = match op {
            '*' => RelationKind::Product,
            '+' => RelationKind::Sum,
            _ => RelationKind::Quotient,
        };
        let span = start.join(b.span()).unwrap_or(start);
        Ok(Relation {
            left,
            kind,
            a,
            b,
            span,
        })
    }
}

impl ShapesArgs {
    /// Parses `#[shapes(...)]`'s arguments. The common form — `name: [A, B, …]` pairs and
    /// a return shape, no `where` — is read straight from the tokens (no parse buffer: a
    /// proc macro runs unoptimised under cargo's default profile, where syn's parse of
    /// the annotation was a tenth of `#[shapes]`' time); anything else goes through the
    /// full parser, which also gives the errors. Both read the same arguments alike.
    ///
    /// ```
    /// use infralens_syntax::shapes::ShapesArgs;
    /// let args = ShapesArgs::from_tokens(quote::quote!(x: [B, S, D], w: [D, F] -> [B, S, F]))?;
    /// assert_eq!((args.params.len(), args.ret.map(|r| r.to_string())), (2, Some("[B, S, F]".into())));
    /// let err = ShapesArgs::from_tokens(quote::quote!(x: [B, 4])).unwrap_err();
    /// assert!(err.to_string().starts_with("expected a dim name such as `S`, found the number `4`"));
    /// # Ok::<(), syn::Error>(())
    /// ```
    ///
    /// # Errors
    /// The tokens are not `#[shapes]` arguments.
    pub fn from_tokens(tokens: proc_macro2::TokenStream) -> syn::Result<Self> {
        match Self::plain(&tokens) {
            Some(args) => Ok(args),
            None => syn::parse2(tokens),
        }
    }

    /// `name: [dims], …, -> [dims]` with each name once and each shape names only;
    /// `None` for anything else.
    fn plain(tokens: &proc_macro2::TokenStream) -> Option<Self> {
        use proc_macro2::{Delimiter, Spacing, TokenTree};
        let tokens: Vec<TokenTree> = tokens.clone().into_iter().collect();
        let shape = |tree: Option<&TokenTree>| match tree {
            Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket => {
                let names = LetShape::names_only(&g.stream())?;
                Some(ShapeLit {
                    dims: names.dims,
                    span: g.span(),
                })
            }
            _ => None,
        };
        let comma = |tree: Option<&TokenTree>| matches!(tree, Some(TokenTree::Punct(p)) if p.as_char() == ',');
        let (mut params, mut ret) = (Vec::<ParamShape>::new(), None);
        let mut i = 0;
        while i < tokens.len() {
            match (&tokens[i], tokens.get(i + 1)) {
                (TokenTree::Ident(name), Some(TokenTree::Punct(colon)))
                    if ret.is_none()
                        && colon.as_char() == ':'
                        && colon.spacing() == Spacing::Alone
                        && !is_keyword(name) =>
                {
                    if params.iter().any(|p| p.name == *name) {
                        return None;
                    }
                    let shape = shape(tokens.get(i + 2))?;
                    params.push(ParamShape {
                        name: name.clone(),
                        shape,
                    });
                    i += 3;
                }
                (TokenTree::Punct(dash), Some(TokenTree::Punct(gt)))
                    if ret.is_none()
                        && dash.as_char() == '-'
                        && dash.spacing() == Spacing::Joint
                        && gt.as_char() == '>' =>
                {
                    ret = Some(shape(tokens.get(i + 2))?);
                    i += 3;
                }
                _ => return None,
            }
            if comma(tokens.get(i)) {
                i += 1;
            } else if i < tokens.len()
                && !matches!(&tokens[i], TokenTree::Punct(p) if p.as_char() == '-')
            {
                return None;
            }
        }
        if params.is_empty() && ret.is_none() {
            return None;
        }
        Some(ShapesArgs {
            params,
            ret,
            relations: Vec::new(),
        })
    }
}

impl Parse for ShapesArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut params: Vec<ParamShape> = Vec::new();
        let mut ret: Option<ShapeLit> = None;
        let mut relations = Vec::new();
        let mut names = HashSet::new();
        while !input.is_empty() {
            if input.peek(Token![where]) {
                input.parse::<Token![where]>()?;
                loop {
                    relations.push(input.parse::<Relation>()?);
                    if input.is_empty() {
                        break;
                    }
                    input.parse::<Token![,]>()?;
                    if input.is_empty() {
                        break;
                    }
                }
                break;
            }
            if input.peek(Token![->]) {
                let arrow: Token![->] = input.parse()?;
                if ret.is_some() {
                    return Err(syn::Error::new(
                        arrow.span(),
                        "only one return shape `-> [...]` is allowed",
                    ));
                }
                ret = Some(input.parse()?);
            } else {
                if ret.is_some() {
                    return Err(input.error("parameters come before the return shape `-> [...]`"));
                }
                let param: ParamShape = input.parse()?;
                if !names.insert(param.name.to_string()) {
                    return Err(syn::Error::new(
                        param.name.span(),
                        format!(
                            "`{}` is annotated twice; give each parameter one shape",
                            param.name
                        ),
                    ));
                }
                params.push(param);
                if input.peek(Token![->]) {
                    continue;
                }
            }
            if input.is_empty() {
                break;
            }
            if ret.is_some() && input.peek(Token![->]) {
                return Err(input.error("only one return shape `-> [...]` is allowed"));
            }
            if !input.peek(Token![,]) {
                return Err(input
                    .error("expected `,` between annotations, or `->` before the return shape"));
            }
            input.parse::<Token![,]>()?;
        }
        if params.is_empty() && ret.is_none() {
            return Err(syn::Error::new(
                Span::call_site(),
                "`#[shapes]` needs at least one shape, as in `#[shapes(x: [B, S, D] -> [B, S, D])]`",
            ));
        }
        Ok(ShapesArgs {
            params,
            ret,
            relations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The token-level reading of the common form gives what the full parser gives, and
    /// declines everything else (which the full parser then reports).
    #[test]
    fn plain_arguments_read_as_the_parser_reads_them() {
        let same = [
            "x: [B, S, D]",
            "x: [B, S, D], w: [D, F] -> [B, S, F]",
            "x: [B, S, D], w: [D, F], -> [B, S, F],",
            "x: [B, S, D] -> [B, S, D]",
            "-> [B, S, D]",
            "r#type: [A], y: [A, B, C, D, E, F]",
            "x: [B, S, D,], w: [D,]",
        ];
        for src in same {
            let tokens: proc_macro2::TokenStream = src.parse().expect("tokens");
            let plain = ShapesArgs::plain(&tokens).unwrap_or_else(|| panic!("`{src}` is plain"));
            let full: ShapesArgs = syn::parse2(tokens).expect("parses");
            assert_eq!(format!("{plain:?}"), format!("{full:?}"), "{src}");
        }
        let declined = [
            "x: [B, S, D] where D = H * Dh",
            "x: [B, 4]",
            "x: [_]",
            "x: []",
            "x: [A, B, C, D, E, F, G]",
            "x: [B], x: [B]",
            "-> [B], x: [B]",
            "-> [B] -> [B]",
            "self: [B]",
            "x: [B] y: [B]",
            "x [B]",
            "x: B",
            "",
        ];
        for src in declined {
            let tokens: proc_macro2::TokenStream = src.parse().expect("tokens");
            assert!(ShapesArgs::plain(&tokens).is_none(), "`{src}` is not plain");
        }
    }

    fn err(src: &str) -> String {
        syn::parse_str::<ShapesArgs>(src)
            .expect_err("rejects")
            .to_string()
    }

    #[test]
    fn full_annotation() {
        let a: ShapesArgs = syn::parse_str(
            "x: [B, S, D], wq: [D, D] -> [B, H, S, Dh], where D = H * Dh, Dh = D / H,",
        )
        .expect("parses");
        assert_eq!(a.params.len(), 2);
        assert_eq!(a.ret.expect("ret").dims.len(), 4);
        assert_eq!(a.relations.len(), 2);
        assert_eq!(a.relations[1].kind, RelationKind::Quotient);
        let only_ret: ShapesArgs = syn::parse_str("-> [B, S, D]").expect("parses");
        assert!(only_ret.params.is_empty());
        let receiver: ShapesArgs = syn::parse_str("self: [B, S, D]").expect("parses");
        assert_eq!(receiver.params[0].name.to_string(), "self");
    }

    #[test]
    fn mistakes_say_what_to_write() {
        assert_eq!(
            err("where D = D * H"),
            "`D` appears on both sides of its relation; relate it to other dims, as in `D = H * Dh`"
        );
        assert_eq!(
            err("x: [B] -> [B] -> [B]"),
            "only one return shape `-> [...]` is allowed"
        );
        assert_eq!(
            err("x: [\"B\"]"),
            "expected a dim name such as `S`, found a string: write `B` without quotes"
        );
        assert_eq!(
            err("x [B, S, D]"),
            "expected `:` and a shape after `x`, as in `x: [B, S, D]`"
        );
        assert_eq!(
            err("x: B, S, D"),
            "expected a shape in brackets, as in `[B, S, D]`"
        );
        assert_eq!(
            err("x: []"),
            "a shape needs at least one dim, as in `[B, S, D]`"
        );
        assert!(
            err("x: [B, 4, D]")
                .starts_with("expected a dim name such as `S`, found the number `4`")
        );
        assert_eq!(
            err("x: [B S D]"),
            "expected `,` between dims, as in `[B, S, D]`"
        );
        assert_eq!(
            err("x: [B], x: [S]"),
            "`x` is annotated twice; give each parameter one shape"
        );
        assert_eq!(
            err("-> [B], -> [S]"),
            "only one return shape `-> [...]` is allowed"
        );
        assert_eq!(
            err("x: [A, B, C, D, E, F, G]"),
            "a shape has at most 6 dims; this one has 7"
        );
        assert_eq!(
            err("x: [B] where D = H * Dh"),
            "expected `,` between annotations, or `->` before the return shape"
        );
        assert_eq!(
            err("where D = H - Dh"),
            "a size combines dims with `*`, `/` and `+` only, as in `Dh = D / H` or `T = P + S`"
        );
        assert_eq!(
            err("where D = H"),
            "expected a relation between dims, as in `D = H * Dh`, `Dh = D / H` or `T = P + S`"
        );
        assert_eq!(
            err("where D = H * 2"),
            "a relation multiplies, divides or adds two dims, as in `H * Dh`; name other sizes in `dims!`"
        );
        assert_eq!(
            err(""),
            "`#[shapes]` needs at least one shape, as in `#[shapes(x: [B, S, D] -> [B, S, D])]`"
        );
        assert_eq!(
            err("-> [B], x: [S]"),
            "parameters come before the return shape `-> [...]`"
        );
    }
}
