//! The grammar of `dims!`, and the evaluation of the sizes it declares.
//!
//! ```text
//! dims! {
//!     /// Batch size.          <- doc comments and other attributes: kept
//!     pub B = 2;               <- visibility, name, `=`, size, `;`
//!     ^^^ ^   ^
//!     |   |   a size: an integer literal ≥ 1, a dim of this block, or `*`, `/` and `+`
//!     |   |   of sizes, with parentheses (`/` must divide exactly); or `dyn`
//!     |   the dim's name: a type name, unique in the block
//!     any visibility (`pub`, `pub(crate)`, none)
//!     pub Dh = D / H;          <- a derived dim
//!     pub S: Sequence = dyn;   <- an axis kind, and a size known only at run time
//! }
//! ```
//!
//! The kinds are `Batch`, `Sequence`, `Heads`, `HeadWidth` and `ModelWidth`.
//!
//! Names in sizes refer to dims of the same block, in any order; cycles are rejected.
//!
//! ```
//! use infralens_syntax::dims::DimsBlock;
//!
//! let block: DimsBlock = syn::parse_str("pub Dh = D / H; pub D = 4096; pub H = 32; pub S = dyn;")?;
//! assert_eq!(block.resolve()?, vec![Some(128), Some(4096), Some(32), None]);
//!
//! let bad: DimsBlock = syn::parse_str("pub D = 18; pub H = 4; pub Dh = D / H;")?;
//! assert_eq!(bad.resolve().unwrap_err().to_string(), "`D` = 18 is not divisible by `H` = 4");
//! # Ok::<(), syn::Error>(())
//! ```

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, BinOp, Expr, Ident, LitInt, Token, Visibility};

/// The whole body of a `dims!` invocation.
///
/// ```
/// use infralens_syntax::dims::DimsBlock;
/// let block: DimsBlock = syn::parse_str("/// Batch.\npub B = 2; S = 4;")?;
/// assert_eq!(block.decls.len(), 2);
/// assert_eq!(block.decls[0].attrs.len(), 1);
/// # Ok::<(), syn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DimsBlock {
    /// The declarations, in source order.
    pub decls: Vec<DimDecl>,
}

/// One declaration: `pub Dh = D / H;`.
///
/// ```
/// use infralens_syntax::dims::{DimDecl, SizeExpr};
/// let decl: DimDecl = syn::parse_str("pub(crate) Dh = D / H;")?;
/// assert_eq!(decl.name.to_string(), "Dh");
/// assert!(matches!(decl.size, SizeExpr::Binary { .. }));
/// # Ok::<(), syn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DimDecl {
    /// Doc comments and other outer attributes.
    pub attrs: Vec<Attribute>,
    /// Visibility of the generated type.
    pub vis: Visibility,
    /// The dim's name.
    pub name: Ident,
    /// Its axis kind, if declared: `Sequence` in `pub S: Sequence = dyn;`.
    pub kind: Option<Ident>,
    /// Its size.
    pub size: SizeExpr,
    /// The size as written, for messages and docs: `D / H`.
    pub size_text: String,
}

/// A size expression.
///
/// ```
/// use infralens_syntax::dims::SizeExpr;
/// let e: SizeExpr = syn::parse_str("(D * 2) / H")?;
/// assert!(matches!(e, SizeExpr::Binary { op: '/', .. }));
/// # Ok::<(), syn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub enum SizeExpr {
    /// An integer literal: `16`.
    Literal(LitInt),
    /// `dyn`: a size known only at run time.
    Dyn(Token![dyn]),
    /// Another dim of the block: `D`.
    Dim(Ident),
    /// `left * right` or `left / right`.
    Binary {
        /// Left operand.
        left: Box<SizeExpr>,
        /// `'*'`, `'/'` or `'+'`.
        op: char,
        /// The operator token, for spans.
        op_tokens: TokenStream,
        /// Right operand.
        right: Box<SizeExpr>,
        /// The whole expression's tokens, for spans.
        tokens: TokenStream,
    },
}

const SIZE_HELP: &str = "expected a size: an integer such as `16`, a dim such as `D`, `*`, `/` and `+` of sizes such as `D / H`, or `dyn` for a size known at run time";

/// The axis kinds `dims!` accepts after a name.
pub const KINDS: [&str; 5] = ["Batch", "Sequence", "Heads", "HeadWidth", "ModelWidth"];

impl Parse for DimsBlock {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut decls = Vec::new();
        while !input.is_empty() {
            decls.push(input.parse()?);
        }
        Ok(DimsBlock { decls })
    }
}

impl Parse for DimDecl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        if !input.peek(Ident) {
            return Err(input.error("expected a dim name, as in `pub B = 2;`"));
        }
        let name: Ident = input.parse()?;
        let mut kind = None;
        if input.peek(Token![:]) && !input.peek(Token![::]) {
            input.parse::<Token![:]>()?;
            let choices = format!(
                "one of {}, as in `pub {name}: Sequence = dyn;`",
                KINDS.map(|k| format!("`{k}`")).join(", ")
            );
            if !input.peek(Ident) {
                return Err(
                    input.error(format!("expected an axis kind after `{name}:`, {choices}"))
                );
            }
            let k: Ident = input.parse()?;
            if !KINDS.contains(&k.to_string().as_str()) {
                return Err(syn::Error::new(
                    k.span(),
                    format!("unknown axis kind `{k}`: {choices}"),
                ));
            }
            kind = Some(k);
        }
        if !input.peek(Token![=]) {
            return Err(input.error(format!(
                "expected `=` and a size after `{name}`, as in `pub {name} = 4;`"
            )));
        }
        input.parse::<Token![=]>()?;
        if input.is_empty() || input.peek(Token![;]) {
            return Err(input.error(format!(
                "expected a size for `{name}`, as in `pub {name} = 4;`"
            )));
        }
        let (size, size_text) = if input.peek(Token![dyn]) {
            (SizeExpr::Dyn(input.parse()?), "dyn".to_owned())
        } else {
            check_size_extent(input)?;
            let expr: Expr = input
                .parse()
                .map_err(|e| syn::Error::new(e.span(), SIZE_HELP))?;
            let text = normalize(&expr.to_token_stream().to_string());
            (SizeExpr::from_expr(&expr)?, text)
        };
        if !input.peek(Token![;]) {
            return Err(input.error(format!("expected `;` after the size of `{name}`")));
        }
        input.parse::<Token![;]>()?;
        Ok(DimDecl {
            attrs,
            vis,
            name,
            kind,
            size,
            size_text,
        })
    }
}

/// The deepest parentheses a size may nest, and the most tokens it may have: far beyond any
/// real size, and well within what the parser (recursive, on the compiler's stack inside a
/// proc macro) can take.
const MAX_SIZE_DEPTH: usize = 32;
const MAX_SIZE_TOKENS: usize = 512;

/// Refuses a size nested deeper or longer than the limits, measured before parsing and
/// without recursion: the size runs to the `;` at its level.
fn check_size_extent(input: ParseStream<'_>) -> syn::Result<()> {
    // Measured before parsing, without recursion: the size runs to the `;` at its level.
    let (mut depth, mut tokens) = (0usize, 0usize);
    let mut stack: Vec<proc_macro2::token_stream::IntoIter> = Vec::new();
    let mut cursor = input.cursor();
    while let Some((tt, next)) = cursor.token_tree() {
        if matches!(&tt, proc_macro2::TokenTree::Punct(p) if p.as_char() == ';') {
            break;
        }
        cursor = next;
        let mut pending = vec![tt];
        while let Some(tt) = pending.pop() {
            tokens += 1;
            if let proc_macro2::TokenTree::Group(g) = tt {
                stack.push(g.stream().into_iter());
                depth = depth.max(stack.len());
            }
            while let Some(inner) = stack.last_mut() {
                match inner.next() {
                    Some(t) => {
                        pending.push(t);
                        break;
                    }
                    None => {
                        stack.pop();
                    }
                }
            }
            if tokens > MAX_SIZE_TOKENS || depth > MAX_SIZE_DEPTH {
                return Err(input.error(format!(
                        "this size is {} than InfraLens reads ({MAX_SIZE_DEPTH} levels of parentheses, {MAX_SIZE_TOKENS} tokens): write it flatter, as in `Dh = D / H`, or give it a name of its own",
                        if depth > MAX_SIZE_DEPTH { "nested deeper" } else { "longer" }
                    )));
            }
        }
    }
    Ok(())
}

impl Parse for SizeExpr {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        check_size_extent(input)?;
        let expr: Expr = input.parse()?;
        SizeExpr::from_expr(&expr)
    }
}

/// `( D * 2 ) / H` → `(D * 2) / H`.
fn normalize(text: &str) -> String {
    text.replace("( ", "(").replace(" )", ")")
}

impl SizeExpr {
    /// Converts a parsed Rust expression, rejecting what is not a size.
    fn from_expr(expr: &Expr) -> syn::Result<Self> {
        match expr {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(lit),
                attrs,
            }) if attrs.is_empty() => Ok(SizeExpr::Literal(lit.clone())),
            Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => match p.path.get_ident() {
                Some(ident) => Ok(SizeExpr::Dim(ident.clone())),
                None => Err(syn::Error::new_spanned(
                    p,
                    "expected a dim of this `dims!` block such as `D`, not a path",
                )),
            },
            Expr::Paren(p) => SizeExpr::from_expr(&p.expr),
            Expr::Group(g) => SizeExpr::from_expr(&g.expr),
            Expr::Binary(b) => {
                let op = match b.op {
                    BinOp::Mul(_) => '*',
                    BinOp::Div(_) => '/',
                    BinOp::Add(_) => '+',
                    _ => {
                        return Err(syn::Error::new_spanned(
                            b.op,
                            "a size combines dims with `*`, `/` and `+` only, as in `Dh = D / H` or `T = P + S`",
                        ));
                    }
                };
                Ok(SizeExpr::Binary {
                    left: Box::new(SizeExpr::from_expr(&b.left)?),
                    op,
                    op_tokens: b.op.to_token_stream(),
                    right: Box::new(SizeExpr::from_expr(&b.right)?),
                    tokens: b.to_token_stream(),
                })
            }
            other => Err(syn::Error::new_spanned(other, SIZE_HELP)),
        }
    }

    /// The dims this size names, in order.
    fn names<'a>(&'a self, out: &mut Vec<&'a Ident>) {
        match self {
            SizeExpr::Literal(_) | SizeExpr::Dyn(_) => {}
            SizeExpr::Dim(ident) => out.push(ident),
            SizeExpr::Binary { left, right, .. } => {
                left.names(out);
                right.names(out);
            }
        }
    }

    /// How the expression reads in a message: `` `D` = 18 `` or `` `D * 2` = 36 ``.
    fn describe(&self, value: u64) -> String {
        match self {
            SizeExpr::Literal(_) | SizeExpr::Dyn(_) => value.to_string(),
            SizeExpr::Dim(ident) => format!("`{ident}` = {value}"),
            SizeExpr::Binary { tokens, .. } => {
                format!("`{}` = {value}", normalize(&tokens.to_string()))
            }
        }
    }
}

impl DimsBlock {
    /// Evaluates every declared size, in declaration order; `None` for a run-time (`dyn`)
    /// dim.
    ///
    /// All problems are reported together, each spanned at its cause: a duplicate name, an
    /// unknown name, a cycle, a zero size, a `/` that does not divide, an overflow, a size
    /// computed from a run-time dim.
    ///
    /// ```
    /// use infralens_syntax::dims::DimsBlock;
    /// let block: DimsBlock = syn::parse_str("pub V = 128_256; pub D = 4096; pub X = V * D;")?;
    /// assert_eq!(block.resolve()?, vec![Some(128_256), Some(4096), Some(128_256 * 4096)]);
    ///
    /// let dup: DimsBlock = syn::parse_str("pub S = 4; pub S = 8;")?;
    /// assert_eq!(dup.resolve().unwrap_err().to_string(), "`S` is declared twice in this `dims!` block; rename one of them");
    /// # Ok::<(), syn::Error>(())
    /// ```
    pub fn resolve(&self) -> syn::Result<Vec<Option<u64>>> {
        let (sizes, result) = self.resolve_lenient();
        result.map(|()| sizes)
    }

    /// Like [`DimsBlock::resolve`], but also gives a best-effort size for every static dim
    /// (1 where none can be had, a rounded-down quotient where `/` does not divide), so
    /// that a macro can still declare every dim after reporting the errors and spare the
    /// user a cascade of "cannot find type" errors.
    ///
    /// ```
    /// use infralens_syntax::dims::DimsBlock;
    /// let block: DimsBlock = syn::parse_str("pub D = 18; pub H = 4; pub Dh = D / H;")?;
    /// let (sizes, result) = block.resolve_lenient();
    /// assert_eq!(sizes, vec![Some(18), Some(4), Some(4)]);
    /// assert!(result.is_err());
    /// # Ok::<(), syn::Error>(())
    /// ```
    pub fn resolve_lenient(&self) -> (Vec<Option<u64>>, syn::Result<()>) {
        let mut errors: Option<syn::Error> = None;
        let mut push = |e: syn::Error| match &mut errors {
            Some(all) => all.combine(e),
            None => errors = Some(e),
        };

        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, decl) in self.decls.iter().enumerate() {
            let name = decl.name.to_string();
            match index.entry(name) {
                Entry::Occupied(first) => push(syn::Error::new(
                    decl.name.span(),
                    format!(
                        "`{}` is declared twice in this `dims!` block; rename one of them",
                        first.key()
                    ),
                )),
                Entry::Vacant(slot) => {
                    slot.insert(i);
                }
            }
        }

        // Dependencies, checked for unknown names.
        let mut deps: Vec<Vec<usize>> = Vec::with_capacity(self.decls.len());
        for decl in &self.decls {
            let mut names = Vec::new();
            decl.size.names(&mut names);
            let mut these = Vec::new();
            for ident in names {
                match index.get(&ident.to_string()) {
                    Some(&j) => these.push(j),
                    None => push(syn::Error::new(
                        ident.span(),
                        format!(
                            "unknown dim `{ident}`: declare it in this `dims!` block, as in `pub {ident} = 4;`"
                        ),
                    )),
                }
            }
            deps.push(these);
        }

        // Evaluation order by depth-first search; a back edge is a cycle.
        let n = self.decls.len();
        let mut state = vec![0u8; n]; // 0 new, 1 on the stack, 2 done
        let mut order = Vec::with_capacity(n);
        let mut in_cycle = vec![false; n];
        for start in 0..n {
            self.visit(
                start,
                &deps,
                &mut state,
                &mut Vec::new(),
                &mut order,
                &mut in_cycle,
                &mut push,
            );
        }

        let mut sizes: Vec<Option<u64>> = vec![None; n];
        for &i in &order {
            if in_cycle[i] {
                continue;
            }
            let decl = &self.decls[i];
            let value = self.eval(&decl.size, &index, &sizes, &mut push);
            match value {
                Some(0) => push(syn::Error::new_spanned(
                    decl.size_tokens(),
                    format!(
                        "`{}` has size 0; a dim must have at least one element",
                        decl.name
                    ),
                )),
                Some(v) if usize::try_from(v).is_err() => push(syn::Error::new_spanned(
                    decl.size_tokens(),
                    format!(
                        "`{}` = {v} does not fit in `usize` on this target",
                        decl.name
                    ),
                )),
                _ => {}
            }
            sizes[i] = value;
        }
        let best: Vec<Option<u64>> = sizes
            .iter()
            .zip(&self.decls)
            .map(|(s, decl)| match decl.size {
                SizeExpr::Dyn(_) => None,
                _ => Some(s.unwrap_or(1).max(1)),
            })
            .collect();
        (best, errors.map_or(Ok(()), Err))
    }

    #[allow(clippy::too_many_arguments)]
    fn visit(
        &self,
        i: usize,
        deps: &[Vec<usize>],
        state: &mut [u8],
        stack: &mut Vec<usize>,
        order: &mut Vec<usize>,
        in_cycle: &mut [bool],
        push: &mut impl FnMut(syn::Error),
    ) {
        match state[i] {
            2 => return,
            1 => {
                let from = stack.iter().position(|&j| j == i).unwrap_or(0);
                let cycle: Vec<String> = stack[from..]
                    .iter()
                    .chain(Some(&i))
                    .map(|&j| format!("`{}`", self.decls[j].name))
                    .collect();
                for &j in &stack[from..] {
                    in_cycle[j] = true;
                }
                push(syn::Error::new(
                    self.decls[i].name.span(),
                    format!(
                        "`{}` is defined in terms of itself: {}; give one of them a number",
                        self.decls[i].name,
                        cycle.join(" → ")
                    ),
                ));
                return;
            }
            _ => {}
        }
        state[i] = 1;
        stack.push(i);
        for &j in &deps[i] {
            self.visit(j, deps, state, stack, order, in_cycle, push);
            if in_cycle[j] {
                in_cycle[i] = true;
            }
        }
        stack.pop();
        state[i] = 2;
        order.push(i);
    }

    fn eval(
        &self,
        expr: &SizeExpr,
        index: &HashMap<String, usize>,
        sizes: &[Option<u64>],
        push: &mut impl FnMut(syn::Error),
    ) -> Option<u64> {
        match expr {
            SizeExpr::Literal(lit) => match lit.base10_parse::<u64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    push(syn::Error::new(
                        lit.span(),
                        "a size must be a whole number that fits in 64 bits",
                    ));
                    None
                }
            },
            SizeExpr::Dyn(_) => None,
            SizeExpr::Dim(ident) => {
                let j = *index.get(&ident.to_string())?;
                if matches!(self.decls[j].size, SizeExpr::Dyn(_)) {
                    push(syn::Error::new(
                        ident.span(),
                        format!(
                            "`{ident}` is a run-time dim (`dyn`), so a size computed from it is known only at run time: declare this one `dyn` too, or join tensors into `Sum<…>` with `cat`"
                        ),
                    ));
                    return None;
                }
                sizes[j]
            }
            SizeExpr::Binary {
                left,
                op,
                op_tokens,
                right,
                tokens,
            } => {
                let l = self.eval(left, index, sizes, push);
                let r = self.eval(right, index, sizes, push);
                let (l, r) = (l?, r?);
                if *op == '+' {
                    let sum = l.checked_add(r);
                    if sum.is_none() {
                        push(syn::Error::new_spanned(
                            tokens,
                            format!(
                                "{} + {} overflows 64 bits",
                                left.describe(l),
                                right.describe(r)
                            ),
                        ));
                    }
                    sum
                } else if *op == '*' {
                    let product = l.checked_mul(r);
                    if product.is_none() {
                        push(syn::Error::new_spanned(
                            tokens,
                            format!(
                                "{} × {} overflows 64 bits",
                                left.describe(l),
                                right.describe(r)
                            ),
                        ));
                    }
                    product
                } else if r == 0 {
                    // A zero dim is reported at its own declaration; a literal zero here.
                    if let SizeExpr::Literal(lit) = right.as_ref() {
                        push(syn::Error::new(
                            lit.span(),
                            "division by zero: a divisor must be at least 1",
                        ));
                    }
                    None
                } else {
                    if l % r != 0 {
                        let at = match left.as_ref() {
                            SizeExpr::Dim(_) | SizeExpr::Literal(_) | SizeExpr::Dyn(_) => {
                                tokens.clone()
                            }
                            SizeExpr::Binary { .. } => op_tokens.clone(),
                        };
                        push(syn::Error::new_spanned(
                            at,
                            format!(
                                "{} is not divisible by {}",
                                left.describe(l),
                                right.describe(r)
                            ),
                        ));
                    }
                    Some(l / r)
                }
            }
        }
    }
}

impl DimDecl {
    /// The tokens of the size, for spans.
    fn size_tokens(&self) -> TokenStream {
        match &self.size {
            SizeExpr::Literal(lit) => lit.to_token_stream(),
            SizeExpr::Dyn(token) => token.to_token_stream(),
            SizeExpr::Dim(ident) => ident.to_token_stream(),
            SizeExpr::Binary { tokens, .. } => tokens.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 800 levels of parentheses (which once crashed rustc inside the proc macro) and a
    /// 600-token sum are one spanned error; 20 levels are read as any size.
    #[test]
    fn sizes_too_deep_or_too_long_are_refused_without_recursing() {
        let deep = format!("pub D = {}4{};", "(".repeat(800), ")".repeat(800));
        let Err(err) = syn::parse_str::<DimsBlock>(&deep) else {
            panic!("800 levels are refused")
        };
        assert!(
            err.to_string()
                .starts_with("this size is nested deeper than InfraLens reads"),
            "{err}"
        );
        let long = format!("pub A = 1; pub D = A{};", " + A".repeat(300));
        let Err(err) = syn::parse_str::<DimsBlock>(&long) else {
            panic!("601 tokens are refused")
        };
        assert!(
            err.to_string()
                .starts_with("this size is longer than InfraLens reads"),
            "{err}"
        );
        let fine = format!(
            "pub D = {}4{}; pub E = D + 1;",
            "(".repeat(20),
            ")".repeat(20)
        );
        let block: DimsBlock = syn::parse_str(&fine).expect("parses");
        assert_eq!(block.resolve().map(|s| s.len()).ok(), Some(2));
    }

    fn errors(src: &str) -> Vec<String> {
        let block: DimsBlock = syn::parse_str(src).expect("parses");
        match block.resolve() {
            Ok(_) => vec![],
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn real_model_sizes() {
        let block: DimsBlock = syn::parse_str(
            "pub D = 4096; pub H = 32; pub Hkv = 8; pub Dh = D / H; pub Vocab = 128_256; pub G = H / Hkv;",
        )
        .expect("parses");
        assert_eq!(
            block.resolve().expect("resolves"),
            [4096, 32, 8, 128, 128_256, 4].map(Some).to_vec()
        );
    }

    #[test]
    fn each_problem_is_named() {
        assert_eq!(
            errors("pub D = 18; pub H = 4; pub Dh = D / H;"),
            ["`D` = 18 is not divisible by `H` = 4"]
        );
        assert_eq!(
            errors("pub D = 16; pub Dh = D / X;"),
            ["unknown dim `X`: declare it in this `dims!` block, as in `pub X = 4;`"]
        );
        assert_eq!(
            errors("pub Z = 0;"),
            ["`Z` has size 0; a dim must have at least one element"]
        );
        assert_eq!(
            errors("pub A = B * 2; pub B = A / 2;"),
            ["`A` is defined in terms of itself: `A` → `B` → `A`; give one of them a number"]
        );
        assert_eq!(
            errors("pub A = 3; pub B = (A * 2) / 4;"),
            ["`A * 2` = 6 is not divisible by 4"]
        );
        assert_eq!(
            errors("pub A = 4294967296; pub B = A * A;"),
            ["`A` = 4294967296 × `A` = 4294967296 overflows 64 bits"]
        );
    }

    #[test]
    fn run_time_dims_kinds_and_sums() {
        let block: DimsBlock =
            syn::parse_str("pub B: Batch = dyn; pub P = 5; pub S = 3; pub T: Sequence = P + S;")
                .expect("parses");
        assert_eq!(
            block.resolve().expect("resolves"),
            vec![None, Some(5), Some(3), Some(8)]
        );
        assert_eq!(
            block.decls[3].kind.as_ref().map(ToString::to_string),
            Some("Sequence".to_owned())
        );
        assert_eq!(
            errors("pub S = dyn; pub T = S + 1;"),
            [
                "`S` is a run-time dim (`dyn`), so a size computed from it is known only at run time: declare this one `dyn` too, or join tensors into `Sum<…>` with `cat`"
            ]
        );
        assert_eq!(
            errors("pub A = 18446744073709551615; pub B = A + 1;"),
            ["`A` = 18446744073709551615 + 1 overflows 64 bits"]
        );
    }

    #[test]
    fn bad_syntax_says_what_to_write() {
        let err = |src: &str| {
            syn::parse_str::<DimsBlock>(src)
                .expect_err("rejects")
                .to_string()
        };
        assert_eq!(
            err("pub B 2;"),
            "expected `=` and a size after `B`, as in `pub B = 4;`"
        );
        assert_eq!(
            err("pub B = ;"),
            "expected a size for `B`, as in `pub B = 4;`"
        );
        assert_eq!(
            err("pub B = 2"),
            "unexpected end of input, expected `;` after the size of `B`"
        );
        assert_eq!(err("pub 3 = 2;"), "expected a dim name, as in `pub B = 2;`");
        assert_eq!(
            err("pub B = D - H;"),
            "a size combines dims with `*`, `/` and `+` only, as in `Dh = D / H` or `T = P + S`"
        );
        assert_eq!(
            err("pub S: Seq = dyn;"),
            "unknown axis kind `Seq`: one of `Batch`, `Sequence`, `Heads`, `HeadWidth`, `ModelWidth`, as in `pub S: Sequence = dyn;`"
        );
        assert_eq!(
            err("pub S: = dyn;"),
            "expected an axis kind after `S:`, one of `Batch`, `Sequence`, `Heads`, `HeadWidth`, `ModelWidth`, as in `pub S: Sequence = dyn;`"
        );
        assert_eq!(err("pub B = \"two\";"), SIZE_HELP);
        assert_eq!(
            err("pub B = a::b;"),
            "expected a dim of this `dims!` block such as `D`, not a path"
        );
    }
}
