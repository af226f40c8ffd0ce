//! Named dimensions: zero-sized marker types with a size known at compile time (a `typenum`
//! number) or at run time ([`Dyn`]), and an optional axis [`kind`].

use core::fmt::Debug;
use typenum::Unsigned;

/// A named tensor dimension such as `B` (batch), `S` (sequence), `D` (model width),
/// `H` (heads) or `Dh` (head width).
///
/// A dim is a zero-sized type. Two dims are different types even when their sizes are
/// equal, so a tensor in `(B, S, H, Dh)` order is never accepted where `(B, H, S, Dh)`
/// is required, although with the lab's sizes `S = H = Dh = 4`.
///
/// Its size is either a compile-time number (`pub D = 16;`: a `typenum` number, so that
/// relations such as `H × Dh = D` are checked by the compiler) or a run-time number
/// (`pub S = dyn;`: [`Dyn`], bound when a tensor is built, checked where two tensors
/// meet). The name is a type either way, so order and identity errors stay compile errors.
///
/// Declare dims with [`dims!`](../infralens/macro.dims.html), which writes this impl for you:
///
/// ```
/// use infralens::prelude::*;
///
/// dims! {
///     /// Model width.
///     pub D = 16;
///     pub H = 4;
///     pub Dh = D / H;
///     /// The prompt length: a run-time size.
///     pub S: Sequence = dyn;
/// }
///
/// assert_eq!(D::SIZE, 16);
/// assert_eq!(Dh::SIZE, 4);
/// assert_eq!(Dh::NAME, "Dh");
/// assert_eq!(S::EXTENT, None);
/// assert_eq!(S::KIND, "sequence");
/// ```
///
/// A dim cannot disagree with itself: its plain size [`StaticDim::SIZE`] and its
/// [`DimInfo::EXTENT`] are both derived from `Size`, never written by hand.
pub trait Dim: Copy + Debug + Send + Sync + 'static {
    /// The size: a `typenum` number for a compile-time size, [`Dyn`] for a run-time one.
    type Size: DimSize;
    /// The axis kind ([`kind::Any`] when none is declared): ops that read an axis as
    /// heads, sequence or head width check it.
    type Kind: kind::Kind;
    /// The declared name, as a learner writes it: `"Dh"`.
    const NAME: &'static str;
}

/// What every [`Dim`] tells about itself, derived from its `Size` and `Kind` (implemented
/// for you, so it cannot disagree with the type).
///
/// ```
/// use infralens::prelude::*;
/// dims! { pub S: Sequence = dyn; pub D = 16; }
/// assert_eq!((S::EXTENT, D::EXTENT), (None, Some(16)));
/// assert_eq!((S::KIND, D::KIND), ("sequence", "any"));
/// ```
pub trait DimInfo: Dim {
    /// The compile-time size, or `None` for a run-time dim.
    const EXTENT: Option<usize>;
    /// The declared kind, in words (`"heads"`, `"sequence"`, …; `"any"` when none).
    const KIND: &'static str;
}

impl<D: Dim> DimInfo for D {
    const EXTENT: Option<usize> = <D::Size as DimSize>::EXTENT;
    const KIND: &'static str = <D::Kind as kind::Kind>::NAME;
}

/// A dim whose size is known at compile time: every [`Dim`] whose `Size` is a `typenum`
/// number. Implemented for you; [`StaticDim::SIZE`] is derived from the type, so it
/// cannot lie.
///
/// ```
/// use infralens::prelude::*;
/// dims! { pub Vocab = 128_256; }
/// assert_eq!(Vocab::SIZE, 128_256);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no size known at compile time (it is a run-time dim, or generic)",
    label = "a compile-time size is needed here",
    note = "read a run-time size from the tensor that has it: `x.sizes()`"
)]
pub trait StaticDim: Dim {
    /// The size as a plain number (`Self::Size::USIZE`).
    const SIZE: usize;
}

#[diagnostic::do_not_recommend]
impl<D: Dim> StaticDim for D
where
    D::Size: Unsigned,
{
    const SIZE: usize = <D::Size as Unsigned>::USIZE;
}

/// The size of a run-time dim (`pub S = dyn;` in `dims!`): each tensor carries the number.
///
/// ```
/// use infralens::prelude::*;
/// dims! { pub S = dyn; pub D = 8; }
/// let x = Tensor::<(S, D)>::zeros_in(&sizes![S = 3]);
/// assert_eq!(x.describe(), "[S=3, D=8]");
/// ```
#[derive(Clone, Copy, Debug)]
pub enum Dyn {}

/// What a [`Dim::Size`] can be: a `typenum` number or [`Dyn`].
///
/// ```
/// use infralens::DimSize;
/// assert_eq!(<typenum::U16 as DimSize>::EXTENT, Some(16));
/// assert_eq!(<infralens::Dyn as DimSize>::EXTENT, None);
/// ```
pub trait DimSize: 'static {
    /// The size, or `None` when it is a run-time number.
    const EXTENT: Option<usize>;
}

impl<U: Unsigned + 'static> DimSize for U {
    const EXTENT: Option<usize> = Some(U::USIZE);
}

impl DimSize for Dyn {
    const EXTENT: Option<usize> = None;
}

/// Axis kinds: what an axis *is* (batch, sequence, heads, head width, model width), so that
/// ops which interpret axes can refuse a tensor whose axes are in the wrong order even
/// where no shape was annotated.
///
/// A kind is optional: a dim declared without one ([`Any`](kind::Any)) is accepted
/// anywhere. Declare it after the name in `dims!`:
///
/// ```
/// use infralens::prelude::*;
/// dims! {
///     pub B: Batch = dyn;
///     pub S: Sequence = dyn;
///     pub H: Heads = 4;
///     pub Dh: HeadWidth = 8;
///     pub D: ModelWidth = H * Dh;
/// }
/// assert_eq!((B::KIND, H::KIND, D::KIND), ("batch", "heads", "model width"));
/// ```
pub mod kind {
    /// An axis kind; the kinds are exactly the types of this module.
    ///
    /// ```
    /// use infralens::kind::{Heads, Kind};
    /// assert_eq!(Heads::NAME, "heads");
    /// ```
    pub trait Kind: sealed::Sealed + 'static {
        /// The kind in words.
        const NAME: &'static str;
    }

    mod sealed {
        pub trait Sealed {}
    }

    macro_rules! kinds {
        ($($(#[$doc:meta])* $name:ident = $words:literal;)+) => {$(
            $(#[$doc])*
            #[derive(Clone, Copy, Debug)]
            pub enum $name {}
            impl sealed::Sealed for $name {}
            impl Kind for $name {
                const NAME: &'static str = $words;
            }
        )+};
    }

    kinds! {
        /// No kind declared: the axis is accepted wherever a kind is checked.
        ///
        /// ```
        /// use infralens::prelude::*;
        /// dims! { pub X = 3; }
        /// assert_eq!(X::KIND, "any");
        /// ```
        Any = "any";
        /// The batch: independent sequences processed together.
        ///
        /// ```
        /// use infralens::prelude::*;
        /// dims! { pub B: Batch = 2; }
        /// assert_eq!(B::KIND, "batch");
        /// ```
        Batch = "batch";
        /// Token positions: queries `S`, keys `T`, a cache's length.
        ///
        /// ```
        /// use infralens::prelude::*;
        /// dims! { pub S: Sequence = dyn; }
        /// assert_eq!(S::KIND, "sequence");
        /// ```
        Sequence = "sequence";
        /// Attention heads: `H`, `Hkv`.
        ///
        /// ```
        /// use infralens::prelude::*;
        /// dims! { pub H: Heads = 4; }
        /// assert_eq!(H::KIND, "heads");
        /// ```
        Heads = "heads";
        /// The width of one head: `Dh`, the width `Q·K^T` contracts.
        ///
        /// ```
        /// use infralens::prelude::*;
        /// dims! { pub Dh: HeadWidth = 4; }
        /// assert_eq!(Dh::KIND, "head width");
        /// ```
        HeadWidth = "head width";
        /// The model width `D` (hidden size): what the heads partition.
        ///
        /// ```
        /// use infralens::prelude::*;
        /// dims! { pub D: ModelWidth = 16; }
        /// assert_eq!(D::KIND, "model width");
        /// ```
        ModelWidth = "model width";
    }
}
