//! The shapes, fields and costs the inference works with: `Tensor<(B, S, D)>` read as
//! dims, the layers a struct field holds, the sizes and kinds in scope.

use std::collections::HashMap;
use syn::{GenericArgument, PathArguments, Type};

/// A shape: dim names, outermost first.
pub type Shape = Vec<String>;

/// `(B, H)`, as the compiler prints shapes.
pub(crate) use infralens_syntax::shapes::tuple_text as tuple;

/// The dims of `Tensor<(B, S, D)>` (through `&`), and the element size in bytes.
pub(crate) fn tensor_type(ty: &Type) -> Option<(Shape, usize)> {
    match ty {
        Type::Reference(r) => tensor_type(&r.elem),
        Type::Paren(p) => tensor_type(&p.elem),
        Type::Path(p) => {
            let last = p.path.segments.last()?;
            if last.ident != "Tensor" {
                return None;
            }
            let PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            let mut args = args.args.iter();
            let Some(GenericArgument::Type(shape)) = args.next() else {
                return None;
            };
            let bytes = match args.next() {
                Some(GenericArgument::Type(Type::Path(e))) if e.path.is_ident("f64") => 8,
                _ => 4,
            };
            Some((tuple_type(shape)?, bytes))
        }
        _ => None,
    }
}

/// What a struct field holds, for the lint to follow `self.field` in methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    /// `Tensor<(…)>`: its shape.
    Tensor(Shape),
    /// `Linear<In, Out>` (weight stored `(Out, In)`, transposed in `forward`) or
    /// `Conv1D<In, Out>` (stored `(In, Out)`): either way `(…, In) → (…, Out)`.
    Projection { input: String, output: String },
    /// `RmsNorm<D>` or `LayerNorm<D>`: `(…, D)` unchanged.
    Norm(String),
    /// `SwiGlu<D, F>`: `(…, D) → (…, D)` through three projections of hidden width `F`.
    Mlp { width: String, hidden: String },
    /// `Rope<T, Dh>`: a table over `T` positions for heads of width `Dh`.
    Rope { positions: String, width: String },
    /// `KvCache<B, Hkv, C, Dh>`: it takes new keys and values `(B, Hkv, S, Dh)` and hands
    /// out views `(B, Hkv, T, Dh)`.
    Cache {
        batch: String,
        heads: String,
        width: String,
    },
    /// Another type of the crate, such as a layer written there: its annotated methods are
    /// followed (`self.attn.forward(&h)` returns what `Attention::forward` is annotated to).
    Struct(String),
}

/// The kind of a struct field's type, when it is one the lint follows.
pub(crate) fn field_type(ty: &Type) -> Option<Field> {
    if let Some((shape, _)) = tensor_type(ty) {
        return Some(Field::Tensor(shape));
    }
    let ty = match ty {
        Type::Reference(r) => &*r.elem,
        ty => ty,
    };
    let Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return Some(Field::Struct(last.ident.to_string()));
    };
    let dims: Vec<String> = args
        .args
        .iter()
        .filter_map(|a| match a {
            GenericArgument::Type(Type::Path(t)) => t.path.get_ident().map(ToString::to_string),
            _ => None,
        })
        .collect();
    match (last.ident.to_string().as_str(), dims.as_slice()) {
        ("Linear" | "Conv1D", [input, output, ..]) => Some(Field::Projection {
            input: input.clone(),
            output: output.clone(),
        }),
        ("RmsNorm" | "LayerNorm", [d, ..]) => Some(Field::Norm(d.clone())),
        ("SwiGlu", [width, hidden, ..]) => Some(Field::Mlp {
            width: width.clone(),
            hidden: hidden.clone(),
        }),
        ("Rope", [positions, width, ..]) => Some(Field::Rope {
            positions: positions.clone(),
            width: width.clone(),
        }),
        ("KvCache", [batch, heads, _, width, ..]) => Some(Field::Cache {
            batch: batch.clone(),
            heads: heads.clone(),
            width: width.clone(),
        }),
        (name, _) => Some(Field::Struct(name.to_owned())),
    }
}

/// The dim names of a tuple type `(B, S, D)`.
pub(crate) fn tuple_type(ty: &Type) -> Option<Shape> {
    match ty {
        Type::Tuple(t) => t
            .elems
            .iter()
            .map(|e| match e {
                Type::Path(p) if p.qself.is_none() => {
                    p.path.segments.last().map(|s| s.ident.to_string())
                }
                _ => None,
            })
            .collect(),
        Type::Paren(p) => tuple_type(&p.elem).or_else(|| single(&p.elem)),
        _ => None,
    }
}

pub(super) fn single(ty: &Type) -> Option<Shape> {
    match ty {
        Type::Path(p) => p.path.get_ident().map(|i| vec![i.to_string()]),
        _ => None,
    }
}

/// The dims with a known size (`None`: declared with different sizes in different blocks).
pub type Sizes = HashMap<String, Option<u64>>;

/// The axis kind each dim is declared with in `dims!` (`None`: declared without one). A dim
/// missing here (declared nowhere, or with different kinds) has no kind to judge by.
pub type Kinds = HashMap<String, Option<String>>;

/// The kinds a dim of kind `kind` stands for in a reshape's order (the core's `KindsOf`):
/// a model width is the heads and the head width it splits into; a dim with no kind is
/// not constrained. `None` for a kind the lint does not know.
pub(super) fn kinds_of(kind: Option<&str>) -> Option<&'static [&'static str]> {
    Some(match kind {
        None => &[],
        Some("Batch") => &["Batch"],
        Some("Sequence") => &["Sequence"],
        Some("Heads") => &["Heads"],
        Some("HeadWidth") => &["HeadWidth"],
        Some("ModelWidth") => &["Heads", "HeadWidth"],
        Some(_) => return None,
    })
}

/// What one traced expression cost: the matmuls in it. Counted in `u128`, saturating at
/// `u128::MAX` (shown as "≥ 2^128"), so that no size, however large, wraps.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// Floating-point operations of the matmuls, `2·M·N·K` per output matrix; `None`
    /// when a size is unknown.
    pub flops: Option<u128>,
    /// Elements of the rank-2 weights multiplied in.
    pub params: Option<u128>,
}

/// The product of `factors`, saturating at `u128::MAX`.
pub(super) fn product(factors: &[u64]) -> u128 {
    factors
        .iter()
        .fold(1u128, |n, &f| n.saturating_mul(u128::from(f)))
}
