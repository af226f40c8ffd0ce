//! Dim sums, `cat` and `narrow`: join two tensors along an axis whose result is the sum of
//! theirs, or cut a part of an axis out as a named dim.

use crate::dim::{Dim, DimSize, Dyn};
use crate::shape::Shape;
use crate::sizes::agree_axes;
use crate::{DimInfo, Element, Tensor};
use core::marker::PhantomData;
use core::ops::Add;
use typenum::{Same, Unsigned};

/// The dim `A + B`: the axis of `cat` of an `A` and a `B` when no name is given to it.
/// Its size is the sum at compile time when both are compile-time sizes, else a run-time
/// size; its name is `"A + B"`.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::Sum;
/// dims! { pub P = 5; pub S = 3; pub Q = dyn; }
/// assert_eq!(<Sum<P, S>>::SIZE, 8);
/// assert_eq!(<Sum<P, S>>::NAME, "P + S");
/// assert_eq!(<Sum<P, Q>>::EXTENT, None);
/// ```
pub struct Sum<A, B>(PhantomData<fn() -> (A, B)>);

impl<A, B> Clone for Sum<A, B> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<A, B> Copy for Sum<A, B> {}
impl<A: Dim, B: Dim> core::fmt::Debug for Sum<A, B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} + {}", A::NAME, B::NAME)
    }
}

/// The size of `A + B` (internal to [`Sum`]): a `typenum` sum, or [`Dyn`] when either is.
#[doc(hidden)]
pub trait AddSize<Rhs> {
    /// The sum's size.
    type Output: DimSize;
}
impl<A: Unsigned + Add<B> + 'static, B: Unsigned + 'static> AddSize<B> for A
where
    typenum::Sum<A, B>: Unsigned + 'static,
{
    type Output = typenum::Sum<A, B>;
}
impl<B: DimSize> AddSize<B> for Dyn {
    type Output = Dyn;
}
impl<A: Unsigned + 'static> AddSize<Dyn> for A {
    type Output = Dyn;
}

const NAME_BYTES: usize = 128;

/// `"a + b"` as bytes and a length, at compile time (truncated past 128 bytes).
const fn join_names(a: &str, b: &str) -> ([u8; NAME_BYTES], usize) {
    let mut out = [0u8; NAME_BYTES];
    let mut n = 0;
    let parts = [a.as_bytes(), b" + ", b.as_bytes()];
    let mut p = 0;
    while p < parts.len() {
        let s = parts[p];
        let mut i = 0;
        while i < s.len() && n < NAME_BYTES {
            out[n] = s[i];
            n += 1;
            i += 1;
        }
        p += 1;
    }
    (out, n)
}

impl<A: Dim, B: Dim> Sum<A, B> {
    const NAME_BUF: ([u8; NAME_BYTES], usize) = join_names(A::NAME, B::NAME);
}

impl<A: Dim, B: Dim> Dim for Sum<A, B>
where
    A::Size: AddSize<B::Size>,
{
    type Size = <A::Size as AddSize<B::Size>>::Output;
    type Kind = A::Kind;
    const NAME: &'static str =
        match core::str::from_utf8(Self::NAME_BUF.0.split_at(Self::NAME_BUF.1).0) {
            Ok(name) => name,
            Err(_) => "sum",
        };
}

relation! {
/// `Self` is `A + B`: the axis `cat` forms. Holds at compile time when all three are
/// compile-time sizes and add up; when one of them is a run-time dim the sum is checked
/// when `cat` runs.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::SumOf;
/// dims! { pub P = 5; pub S = 3; pub T = P + S; pub N = dyn; }
/// fn sums<N: SumOf<A, B>, A, B>() {}
/// sums::<T, P, S>();
/// sums::<N, P, S>(); // checked at run time
/// ```
#[rule(
    CAT_SUM,
    id = "cat-sum",
    lab = "05",
    summary = "`cat` along an axis of `A` and `B` makes `A + B`: declare the joined length as the sum.",
    wrong = "dims! { pub B = 1; pub H = 2; pub P = 3; pub S = 1; pub T = 5; pub Dh = 8; pub Dk = 4; }\n#[shapes(past: [B, H, P, Dh], new: [B, H, S, Dh] -> [B, H, T, Dh])]\nfn grow(past: &Tensor, new: &Tensor) -> Tensor {\n    cat::<2, T, _, _, _>(past, new)\n}",
    right = "dims! { pub B = 1; pub H = 2; pub P = 3; pub S = 1; pub T = P + S; pub Dh = 8; pub Dk = 4; }\n#[shapes(past: [B, H, P, Dh], new: [B, H, S, Dh] -> [B, H, T, Dh])]\nfn grow(past: &Tensor, new: &Tensor) -> Tensor {\n    cat::<2, T, _, _, _>(past, new)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: `{A}` + `{B}` must equal `{Self}`: `cat` joins the two along this axis",
    label = "`{A}` and `{B}` do not add up to `{Self}`",
    note = "declare the sum in `dims!` (`pub T = P + S;`), or name the axis `Sum<{A}, {B}>`"
)]
pub trait SumOf<A, B> {}
}
#[diagnostic::do_not_recommend]
impl<N: Dim, A: Dim, B: Dim> SumOf<A, B> for N where (N::Size, A::Size, B::Size): SizeSum {}

/// The three sizes `(n, a, b)` may satisfy `n = a + b` (internal to [`SumOf`]).
#[doc(hidden)]
pub trait SizeSum {}
impl<X: DimSize, Y: DimSize> SizeSum for (Dyn, X, Y) {}
impl<U: Unsigned, X: Unsigned + Add<Y>, Y: Unsigned> SizeSum for (U, X, Y) where
    typenum::Sum<X, Y>: Same<U>
{
}
impl<U: Unsigned, Y: DimSize> SizeSum for (U, Dyn, Y) {}
impl<U: Unsigned, X: Unsigned> SizeSum for (U, X, Dyn) {}

relation! {
/// Axis `I` of a shape: its dim, and the shape with another dim there.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::Axis;
/// dims! { pub B = 1; pub T = 6; pub D = 4; pub S = 2; }
/// type Cut = <(B, T, D) as Axis<1>>::With<S>;
/// assert_eq!(Cut::symbolic(), "(B, S, D)");
/// ```
#[rule(
    AXIS_RANGE,
    id = "axis-range",
    lab = "05",
    summary = "An op that names an axis by number (`narrow`, `cat`) names one that exists: axes are numbered from 0.",
    wrong = "dims! { pub B = 1; pub T = 6; pub D = 4; pub One = 1; }\n#[shapes(x: [B, T, D] -> [B, One, D])]\nfn last(x: &Tensor) -> Tensor {\n    x.narrow::<3, One>(5, 1)\n}",
    right = "dims! { pub B = 1; pub T = 6; pub D = 4; pub One = 1; }\n#[shapes(x: [B, T, D] -> [B, One, D])]\nfn last(x: &Tensor) -> Tensor {\n    x.narrow::<1, One>(5, 1)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: `{Self}` has no axis {I}",
    label = "axes are numbered from 0 to the rank minus one"
)]
pub trait Axis<const I: usize>: Shape {
    /// The dim at axis `I`.
    type Dim: Dim;
    /// The shape with `N` at axis `I`.
    type With<N: Dim>: Shape;
}
}

relation! {
/// `Self` and `Other` have the same dims on every axis but `I` (what `cat` needs).
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::SameExcept;
/// dims! { pub B = 1; pub P = 4; pub S = 2; pub D = 8; }
/// fn same<A: SameExcept<1, O>, O>() {}
/// same::<(B, P, D), (B, S, D)>();
/// ```
#[rule(
    CAT_SAME_EXCEPT,
    id = "cat-same-except",
    lab = "05",
    summary = "`cat` joins two tensors that agree on every axis but the one it joins along.",
    wrong = "dims! { pub B = 1; pub H = 2; pub P = 3; pub S = 1; pub T = P + S; pub Dh = 8; pub Dk = 4; }\n#[shapes(past: [B, H, P, Dh], new: [B, H, S, Dk] -> [B, H, T, Dh])]\nfn grow(past: &Tensor, new: &Tensor) -> Tensor {\n    cat::<2, T, _, _, _>(past, new)\n}",
    right = "dims! { pub B = 1; pub H = 2; pub P = 3; pub S = 1; pub T = P + S; pub Dh = 8; pub Dk = 4; }\n#[shapes(past: [B, H, P, Dh], new: [B, H, S, Dh] -> [B, H, T, Dh])]\nfn grow(past: &Tensor, new: &Tensor) -> Tensor {\n    cat::<2, T, _, _, _>(past, new)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: `cat` along axis {I} joins `{Self}` and `{Other}`, but every other axis must be the same dim",
    label = "`{Other}` differs from `{Self}` on an axis other than {I}"
)]
pub trait SameExcept<const I: usize, Other> {}
}

macro_rules! axis_impls {
    ($($i:literal: [$($pre:ident),*] $x:ident [$($post:ident),*];)+) => {$(
        impl<$($pre: Dim,)* $x: Dim, $($post: Dim),*> Axis<$i> for ($($pre,)* $x, $($post,)*) {
            type Dim = $x;
            type With<N: Dim> = ($($pre,)* N, $($post,)*);
        }
        impl<$($pre: Dim,)* $x: Dim, Z: Dim, $($post: Dim),*>
            SameExcept<$i, ($($pre,)* Z, $($post,)*)> for ($($pre,)* $x, $($post,)*) {}
    )+};
}

axis_impls! {
    0: [] A0 [];
    0: [] A0 [A1];
    1: [A0] A1 [];
    0: [] A0 [A1, A2];
    1: [A0] A1 [A2];
    2: [A0, A1] A2 [];
    0: [] A0 [A1, A2, A3];
    1: [A0] A1 [A2, A3];
    2: [A0, A1] A2 [A3];
    3: [A0, A1, A2] A3 [];
    0: [] A0 [A1, A2, A3, A4];
    1: [A0] A1 [A2, A3, A4];
    2: [A0, A1] A2 [A3, A4];
    3: [A0, A1, A2] A3 [A4];
    4: [A0, A1, A2, A3] A4 [];
    0: [] A0 [A1, A2, A3, A4, A5];
    1: [A0] A1 [A2, A3, A4, A5];
    2: [A0, A1] A2 [A3, A4, A5];
    3: [A0, A1, A2] A3 [A4, A5];
    4: [A0, A1, A2, A3] A4 [A5];
    5: [A0, A1, A2, A3, A4] A5 [];
}

/// Joins `a` and `b` along axis `I`; the result's axis `I` is `N`, which must be the sum
/// of theirs: a dim declared `P + S` in `dims!` (checked at compile time), a run-time dim
/// (checked when `cat` runs), or [`Sum<P, S>`] itself. Every other axis must be the same
/// dim (and, for run-time dims, the same size).
///
/// ```
/// use infralens::prelude::*;
/// dims! { pub B = 1; pub P = 2; pub S = 1; pub T = P + S; pub D = 2; }
///
/// let past = Tensor::<(B, P, D)>::from_vec(vec![1.0, 2.0, 3.0, 4.0])?;
/// let new = Tensor::<(B, S, D)>::from_vec(vec![5.0, 6.0])?;
/// let all: Tensor<(B, T, D)> = cat::<1, T, _, _, _>(&past, &new);
/// assert_eq!(all.to_vec(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// # Ok::<(), ShapeError>(())
/// ```
///
/// A sum that does not add up does not compile:
///
/// ```compile_fail
/// use infralens::prelude::*;
/// dims! { pub B = 1; pub P = 2; pub S = 1; pub T = 4; pub D = 2; }
/// let past = Tensor::<(B, P, D)>::zeros();
/// let new = Tensor::<(B, S, D)>::zeros();
/// let _ = cat::<1, T, _, _, _>(&past, &new); // `P` + `S` must equal `T`
/// ```
///
/// # Panics
///
/// When a run-time sum does not hold, or two run-time dims of the other axes differ in
/// size; the message names the dims and sizes.
#[track_caller]
pub fn cat<const I: usize, N, A, B, E: Element>(
    a: &Tensor<A, E>,
    b: &Tensor<B, E>,
) -> Tensor<A::With<N>, E>
where
    A: Axis<I> + SameExcept<I, B>,
    B: Axis<I>,
    N: Dim + SumOf<A::Dim, B::Dim>,
{
    cat_on::<I, N, A, B, E, crate::Native>(a, b)
}

/// [`cat`] on the candle backend (feature `candle`), with the same turbofish
/// (`cat::<AXIS, N, _, _, _>`): what `infralens::prelude::candle` calls `cat`.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::{Candle, cat_candle};
/// dims! { pub B = 1; pub P = 2; pub S = 1; pub T = P + S; pub D = 2; }
/// let past = Tensor::<(B, P, D), f32, Candle>::from_vec(vec![1.0, 2.0, 3.0, 4.0])?;
/// let new = Tensor::<(B, S, D), f32, Candle>::from_vec(vec![5.0, 6.0])?;
/// let all: Tensor<(B, T, D), f32, Candle> = cat_candle::<1, T, _, _, _>(&past, &new);
/// assert_eq!(all.to_vec(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// # Ok::<(), ShapeError>(())
/// ```
#[cfg(feature = "candle")]
#[track_caller]
pub fn cat_candle<const I: usize, N, A, B, E: Element>(
    a: &Tensor<A, E, crate::Candle>,
    b: &Tensor<B, E, crate::Candle>,
) -> Tensor<A::With<N>, E, crate::Candle>
where
    A: Axis<I> + SameExcept<I, B>,
    B: Axis<I>,
    N: Dim + SumOf<A::Dim, B::Dim>,
{
    cat_on::<I, N, A, B, E, crate::Candle>(a, b)
}

/// [`cat`] on any backend.
#[track_caller]
fn cat_on<const I: usize, N, A, B, E: Element, Backend: crate::Backend>(
    a: &Tensor<A, E, Backend>,
    b: &Tensor<B, E, Backend>,
) -> Tensor<A::With<N>, E, Backend>
where
    A: Axis<I>,
    B: Axis<I>,
    N: Dim,
{
    let (sa, sb) = (a.sizes(), b.sizes());
    let mut others = sa.to_vec();
    others[I] = sb[I];
    agree_axes::<B>(
        "cat",
        0..B::RANK,
        (&others, "the first tensor"),
        (sb, "the second tensor"),
    );
    let total = sa[I] + sb[I];
    if let Some(fixed) = N::EXTENT
        && fixed != total
    {
        panic!(
            "shape mismatch in cat: `{}` is {fixed}, but `{}` = {} plus `{}` = {} make {total}",
            N::NAME,
            <A::Dim as Dim>::NAME,
            sa[I],
            <B::Dim as Dim>::NAME,
            sb[I]
        );
    }
    let data = Backend::cat((a.storage(), sa), (b.storage(), sb), I);
    let mut sizes = sa.to_vec();
    sizes[I] = total;
    Tensor::from_parts(data, &sizes)
}

impl<Sh: Shape, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// Positions `start .. start + len` of axis `I`, as the dim `N`: `x[:, start:start+len]`
    /// of PyTorch code with the part named. A compile-time `N` must be `len`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub T = dyn; pub One = 1; pub D = 2; }
    ///
    /// let x = Tensor::<(B, T, D)>::from_vec_in(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &sizes![T = 3])?;
    /// let last: Tensor<(B, One, D)> = x.narrow::<1, One>(2, 1); // x[:, -1:, :]
    /// assert_eq!(last.to_vec(), vec![5.0, 6.0]);
    /// # Ok::<(), ShapeError>(())
    /// ```
    ///
    /// # Panics
    ///
    /// When `start + len` is past the axis, or a compile-time `N` is not `len`; the
    /// message names the dims and sizes.
    #[track_caller]
    pub fn narrow<const I: usize, N: Dim>(
        &self,
        start: usize,
        len: usize,
    ) -> Tensor<Sh::With<N>, E, Backend>
    where
        Sh: Axis<I>,
    {
        let sizes = self.sizes();
        let n = sizes[I];
        let name = <Sh::Dim as Dim>::NAME;
        if start.checked_add(len).is_none_or(|end| end > n) {
            panic!(
                "narrow out of range: positions {start}..{} of `{name}` = {n}",
                start.saturating_add(len)
            );
        }
        if let Some(fixed) = N::EXTENT
            && fixed != len
        {
            panic!(
                "shape mismatch in narrow: `{}` is {fixed}, but {len} positions of `{name}` were asked for",
                N::NAME
            );
        }
        let data = Backend::narrow(self.storage(), sizes, I, (start, len));
        let mut out = sizes.to_vec();
        out[I] = len;
        Tensor::from_parts(data, &out)
    }
}

/// `N` as a dim: the number of parts [`Tensor::chunk_array`] cuts (named `Parts<N>` in its
/// errors).
///
/// ```
/// use infralens::prelude::*;
/// use infralens::Parts;
/// assert_eq!(<Parts<3> as DimInfo>::EXTENT, Some(3));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Parts<const N: usize>;

impl<const N: usize> Dim for Parts<N>
where
    typenum::Const<N>: typenum::ToUInt,
    typenum::U<N>: Unsigned + 'static,
{
    type Size = typenum::U<N>;
    type Kind = crate::kind::Any;
    const NAME: &'static str = "Parts";
}

relation! {
/// The last dim `Self` is `K` parts of `Part`: `K × Part = Self` (what [`Tensor::chunk`]
/// cuts).
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::Chunks;
/// dims! { pub D = 8; pub Three = 3; pub D3 = Three * D; }
/// fn parts<W: Chunks<K, P>, K, P>() {}
/// parts::<D3, Three, D>();
/// ```
#[rule(
    CHUNK_PARTITION,
    id = "chunk-partition",
    lab = "07",
    summary = "`chunk::<K, Part>()` cuts the last axis into `K` equal parts: `K × Part` is its width.",
    wrong = "dims! { pub S = 4; pub D = 16; pub Three = 3; pub D3 = 40; }\n#[shapes(x: [S, D3] -> [S, D])]\nfn queries(x: &Tensor) -> Tensor {\n    let parts = x.chunk::<Three, D>();\n    parts[0].clone()\n}",
    right = "dims! { pub S = 4; pub D = 16; pub Three = 3; pub D3 = Three * D; }\n#[shapes(x: [S, D3] -> [S, D])]\nfn queries(x: &Tensor) -> Tensor {\n    let parts = x.chunk::<Three, D>();\n    parts[0].clone()\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: `{K}` × `{Part}` must equal `{Self}`: `chunk` cuts the last axis into `{K}` equal parts of `{Part}`",
    label = "`{K}` parts of `{Part}` do not make `{Self}`",
    note = "GPT-2's fused `c_attn` is `(…, 3·D)`: declare `pub D3 = Three * D;` and cut it with `chunk::<Three, D>()`"
)]
pub trait Chunks<K, Part> {}
}
#[diagnostic::do_not_recommend]
impl<W: Dim, K: Dim, P: Dim> Chunks<K, P> for W
where
    K::Size: Unsigned,
    (W::Size, K::Size, P::Size): crate::relations::ProductOf,
{
}

impl<Sh: crate::LastAxis, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// Cuts the last axis into `N` equal parts of width `Part`, in order, as an array to
    /// destructure: the `split` of a fused projection, `(…, 3·D) → 3 × (…, D)` for GPT-2's
    /// `c_attn`. `N × Part` must be the width: checked by the type, or when it runs for a
    /// run-time width.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 1; pub D = 2; pub Three = 3; pub D3 = Three * D; }
    /// let qkv = Tensor::<(S, D3)>::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])?;
    /// let [q, k, v] = qkv.chunk_array::<3, D>();
    /// assert_eq!((q.to_vec(), k.to_vec(), v.to_vec()), (vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]));
    /// # Ok::<(), ShapeError>(())
    /// ```
    ///
    /// Parts that do not make the width are a compile error naming the dims:
    ///
    /// ```compile_fail
    /// use infralens::prelude::*;
    /// dims! { pub S = 1; pub D = 2; pub D5 = 5; }
    /// let x = Tensor::<(S, D5)>::zeros();
    /// let [_a, _b] = x.chunk_array::<2, D>(); // `Parts<2>` × `D` must equal `D5`
    /// ```
    pub fn chunk_array<const N: usize, Part: Dim>(
        &self,
    ) -> [Tensor<Sh::WithLast<Part>, E, Backend>; N]
    where
        Parts<N>: Dim,
        Sh::Last: Chunks<Parts<N>, Part>,
    {
        self.chunk::<Parts<N>, Part>()
            .try_into()
            .unwrap_or_else(|_| unreachable!("`chunk` cuts exactly `N` parts"))
    }

    /// [`Tensor::chunk_array`] and the parts of a `Vec`: cuts the last axis into `K` equal
    /// parts of width `Part`, `K` a dim of its own.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 1; pub D = 2; pub Three = 3; pub D3 = Three * D; }
    /// let qkv = Tensor::<(S, D3)>::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])?;
    /// let parts = qkv.chunk::<Three, D>();
    /// assert_eq!(parts[2].to_vec(), vec![5.0, 6.0]);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn chunk<K: Dim, Part: Dim>(&self) -> Vec<Tensor<Sh::WithLast<Part>, E, Backend>>
    where
        Sh::Last: Chunks<K, Part>,
    {
        let sizes = self.sizes();
        let w = sizes[Sh::RANK - 1];
        // `K` has a compile-time size (the bound above); the width may be a run-time one.
        let k = K::EXTENT.unwrap_or(1).max(1);
        let part = w / k;
        if part * k != w || Part::EXTENT.is_some_and(|p| p != part) {
            panic!(
                "shape mismatch in chunk: `{}` = {w} does not cut into `{}` = {k} parts of `{}`{}",
                <Sh::Last as Dim>::NAME,
                K::NAME,
                Part::NAME,
                Part::EXTENT.map(|p| format!(" = {p}")).unwrap_or_default()
            );
        }
        let mut out_sizes = sizes.to_vec();
        out_sizes[Sh::RANK - 1] = part;
        (0..k)
            .map(|i| {
                let data = Backend::narrow(self.storage(), sizes, Sh::RANK - 1, (i * part, part));
                Tensor::from_parts(data, &out_sizes)
            })
            .collect()
    }
}
