//! `reshape::<T>()`: regroup the same elements into another shape.

use crate::dim::kind;
use crate::relations::SameNumel;
use crate::{Dim, Element, Shape, Tensor};
use core::marker::PhantomData;
use typenum::Same;

impl<Sh: Shape, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// Regroups the elements, in order, into shape `T` without copying: the `view` or
    /// `reshape` of PyTorch code. `T` must hold the same number of elements.
    ///
    /// A reshape never moves data between axes: `(B, S, D) → (B, S, H, Dh)` is the head
    /// split *before* its transpose. See [`Tensor::split_heads`] for both steps. With axis
    /// kinds declared, a reshape must keep them in order ([`KeepsAxisOrder`]), so the merge
    /// without its transpose, `(B, H, S, Dh) → (B, S, D)`, does not compile;
    /// [`Tensor::reshape_raw`] regroups without that rule.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }
    ///
    /// let x = Tensor::<(B, S, D)>::randn(0);
    /// let heads = x.clone().reshape::<(B, S, H, Dh)>();
    /// assert_eq!(heads.as_slice(), x.as_slice());
    /// ```
    ///
    /// Another element count does not compile:
    ///
    /// ```compile_fail
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; }
    /// let x = Tensor::<(B, S, D)>::zeros();
    /// let _ = x.reshape::<(B, S, H)>(); // shape mismatch: cannot reshape `(B, S, D)` into `(B, S, H)` …
    /// ```
    pub fn reshape<T: Shape>(self) -> Tensor<T, E, Backend>
    where
        Sh: SameNumel<T> + KeepsAxisOrder<T>,
    {
        self.reshape_raw()
    }

    /// Regroups the elements, in memory order, into any shape `T` of the same element
    /// count, whatever the kinds of its axes: the deliberate raw `view` (and the way to
    /// write a mistake on purpose, as the labs do).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! {
    ///     pub B: Batch = 1; pub S: Sequence = 2;
    ///     pub D: ModelWidth = 4; pub H: Heads = 2; pub Dh: HeadWidth = D / H;
    /// }
    /// let ctx = Tensor::<(B, H, S, Dh)>::randn(0);
    /// let raw: Tensor<(B, S, D)> = ctx.clone().reshape_raw(); // not `merge_heads`!
    /// assert_eq!(raw.as_slice(), ctx.as_slice());
    /// assert_ne!(raw, ctx.merge_heads::<D>());
    /// ```
    pub fn reshape_raw<T: Shape>(self) -> Tensor<T, E, Backend>
    where
        Sh: SameNumel<T>,
    {
        // `SameNumel` holds only between shapes whose every size is a compile-time size.
        let sizes: Vec<usize> = T::EXTENTS.iter().map(|e| e.unwrap_or(1)).collect();
        self.regroup(&sizes)
    }
}

/// The axis kinds of a shape in order, with a model width counted as the heads and head
/// width it splits into, and dims without a kind left out (internal to [`KeepsAxisOrder`]).
#[doc(hidden)]
pub trait KindOrder {
    /// A type-level list of kinds.
    type List;
}

/// The empty list of kinds.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum KNil {}
/// A kind `K` before the list `Rest`.
#[doc(hidden)]
pub struct KCons<K, Rest>(PhantomData<fn() -> (K, Rest)>);

/// The kinds one dim of kind `Self` stands for.
#[doc(hidden)]
pub trait KindsOf {
    /// The list.
    type List;
}
impl KindsOf for kind::Any {
    type List = KNil;
}
impl KindsOf for kind::Batch {
    type List = KCons<kind::Batch, KNil>;
}
impl KindsOf for kind::Sequence {
    type List = KCons<kind::Sequence, KNil>;
}
impl KindsOf for kind::Heads {
    type List = KCons<kind::Heads, KNil>;
}
impl KindsOf for kind::HeadWidth {
    type List = KCons<kind::HeadWidth, KNil>;
}
impl KindsOf for kind::ModelWidth {
    type List = KCons<kind::Heads, KCons<kind::HeadWidth, KNil>>;
}

/// `Self ++ R` for type-level lists of kinds.
#[doc(hidden)]
pub trait Append<R> {
    /// The joined list.
    type Out;
}
impl<R> Append<R> for KNil {
    type Out = R;
}
impl<K, Rest: Append<R>, R> Append<R> for KCons<K, Rest> {
    type Out = KCons<K, Rest::Out>;
}

macro_rules! kind_order {
    ($a:ident) => {
        impl<$a: Dim> KindOrder for ($a,)
        where
            $a::Kind: KindsOf,
        {
            type List = <$a::Kind as KindsOf>::List;
        }
    };
    ($a:ident, $($rest:ident),+) => {
        impl<$a: Dim, $($rest: Dim),+> KindOrder for ($a, $($rest),+)
        where
            $a::Kind: KindsOf,
            ($($rest,)+): KindOrder,
            <$a::Kind as KindsOf>::List: Append<<($($rest,)+) as KindOrder>::List>,
        {
            type List = <<$a::Kind as KindsOf>::List as Append<<($($rest,)+) as KindOrder>::List>>::Out;
        }
        kind_order!($($rest),+);
    };
}
kind_order!(A0, A1, A2, A3, A4, A5);

relation! {
/// A reshape of `Self` into `Target` keeps the axes' kinds in order: it only regroups
/// neighbouring axes in place (a model width counts as heads then head width; dims without
/// a kind are not constrained). `(B, S, D) → (B, S, H, Dh)` keeps the order;
/// `(B, H, S, Dh) → (B, S, D)`, the merge without its transpose, does not.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::KeepsAxisOrder;
/// dims! {
///     pub B: Batch = 2; pub S: Sequence = 4;
///     pub D: ModelWidth = 16; pub H: Heads = 4; pub Dh: HeadWidth = D / H;
/// }
/// fn keeps<A: KeepsAxisOrder<T>, T>() {}
/// keeps::<(B, S, D), (B, S, H, Dh)>();
/// ```
#[rule(
    RESHAPE_AXIS_ORDER,
    id = "reshape-axis-order",
    lab = "04",
    summary = "A reshape regroups neighbouring axes in place; moving axes past each other takes a transpose.",
    wrong = "dims! { pub B: Batch = 2; pub S: Sequence = 4; pub D: ModelWidth = 16; pub H: Heads = 4; pub Dh: HeadWidth = D / H; }\n#[shapes(x: [B, S, D] -> [B, H, S, Dh])]\nfn heads(x: &Tensor) -> Tensor {\n    x.clone().reshape::<(B, H, S, Dh)>()\n}",
    right = "dims! { pub B: Batch = 2; pub S: Sequence = 4; pub D: ModelWidth = 16; pub H: Heads = 4; pub Dh: HeadWidth = D / H; }\n#[shapes(x: [B, S, D] -> [B, H, S, Dh])]\nfn heads(x: &Tensor) -> Tensor {\n    x.split_heads::<H, Dh>()\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: reshaping `{Self}` into `{Target}` moves axes across each other, which a reshape cannot do",
    label = "a reshape regroups neighbouring axes in place; the axis kinds of `{Self}` and `{Target}` are in another order",
    note = "a model width splits into heads, then head width, in place: `(…, D) → (…, H, Dh)`; moving the heads past the positions takes a transpose: `split_heads` and `merge_heads` do both steps, `(B, S, D) ↔ (B, H, S, Dh)`",
    note = "a deliberately raw regroup of the elements in memory order is `reshape_raw`"
)]
pub trait KeepsAxisOrder<Target> {}
}
#[diagnostic::do_not_recommend]
impl<S: KindOrder, T: KindOrder> KeepsAxisOrder<T> for S where S::List: Same<T::List> {}
