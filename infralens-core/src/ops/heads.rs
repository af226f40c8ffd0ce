//! `split_heads` and `merge_heads`: `(B, S, D) ↔ (B, H, S, Dh)` with `H × Dh = D`.

use crate::relations::{HeadsAxis, HeadsPartition};
use crate::{Dim, DimInfo, Element, Shape, Sizes, Tensor};

/// The sizes of `H` and `Dh` that split a width of `d`: compile-time sizes from the types,
/// run-time ones from `sizes`, or one of them from `d` and the other; `H × Dh = d` checked
/// when a size is a run-time one (the compiler proved it otherwise).
#[track_caller]
pub(crate) fn partition<D: Dim, H: Dim, Dh: Dim>(
    op: &str,
    d: usize,
    sizes: Option<&Sizes>,
) -> (usize, usize) {
    let named = |extent: Option<usize>, get: fn(&Sizes) -> Option<usize>| {
        extent.or_else(|| sizes.and_then(get))
    };
    let h = named(H::EXTENT, |s| s.get::<H>());
    let dh = named(Dh::EXTENT, |s| s.get::<Dh>());
    let (h, dh) = match (h, dh) {
        (Some(h), Some(dh)) => (h, dh),
        (Some(h), None) if h > 0 && d.is_multiple_of(h) => (h, d / h),
        (None, Some(dh)) if dh > 0 && d.is_multiple_of(dh) => (d / dh, dh),
        (Some(h), None) => panic!(
            "shape mismatch in {op}: `{}` = {d} does not split into `{}` = {h} heads of equal width `{}`",
            D::NAME,
            H::NAME,
            Dh::NAME
        ),
        (None, Some(dh)) => panic!(
            "shape mismatch in {op}: `{}` = {d} does not split into heads of width `{}` = {dh}",
            D::NAME,
            Dh::NAME
        ),
        (None, None) => panic!(
            "{op}: `{}` and `{}` are both run-time dims, so their sizes must be given: `{op}_in::<{}, {}>(&sizes![{} = …])`",
            H::NAME,
            Dh::NAME,
            H::NAME,
            Dh::NAME,
            H::NAME
        ),
    };
    if h.checked_mul(dh) != Some(d) {
        panic!(
            "shape mismatch in {op}: `{}` × `{}` must equal `{}`, but {h} × {dh} ≠ {d}",
            H::NAME,
            Dh::NAME,
            D::NAME
        );
    }
    (h, dh)
}

impl<B: Dim, S: Dim, D: Dim, E: Element, Backend: crate::Backend> Tensor<(B, S, D), E, Backend> {
    /// Splits the model width `D` into `H` heads of width `Dh` and moves the heads before
    /// the sequence: `(B, S, D) → (B, H, S, Dh)`, the reshape and `transpose(1, 2)` of
    /// PyTorch code in one step. Head `h` takes columns `h·Dh .. (h+1)·Dh` of `D`.
    ///
    /// `B` and `S` may be run-time dims; `D`, `H` and `Dh` are compile-time sizes (the
    /// partition is checked by the compiler), so a function generic over `B` and `S` needs
    /// no extra bound. The result's axis 1 is `H`: the heads.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }
    ///
    /// let x = Tensor::<(B, S, D)>::randn(0);
    /// let q: Tensor<(B, H, S, Dh)> = x.split_heads::<H, Dh>();
    /// // batch 1, head 2, position 3, lane 1 is column 2·4 + 1 of position 3
    /// assert_eq!(q.get(&[1, 2, 3, 1]), x.get(&[1, 3, 9]));
    /// ```
    ///
    /// Heads that do not partition `D` do not compile:
    ///
    /// ```compile_fail
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = 3; }
    /// let _ = Tensor::<(B, S, D)>::zeros().split_heads::<H, Dh>(); // `H` × `Dh` must equal `D`
    /// ```
    #[track_caller]
    pub fn split_heads<H: Dim, Dh: Dim>(&self) -> Tensor<(B, H, S, Dh), E, Backend>
    where
        D: HeadsPartition<H, Dh>,
    {
        self.split_heads_at::<H, Dh>("split_heads", None)
    }

    /// [`Tensor::split_heads`] where `H` and `Dh` are both run-time dims (a model whose
    /// widths come from its config): their sizes from `sizes`, `H × Dh = D` checked.
    ///
    /// # Panics
    ///
    /// When a size is missing or the heads do not make `D`; the message names the dims.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub S = dyn; pub D = dyn; pub H = dyn; pub Dh = dyn; }
    /// let config = sizes![S = 2, D = 8, H = 2, Dh = 4];
    /// let x = Tensor::<(B, S, D)>::randn_in(0, &config);
    /// let q = x.split_heads_in::<H, Dh>(&config);
    /// assert_eq!(q.describe(), "[B=1, H=2, S=2, Dh=4]");
    /// ```
    #[track_caller]
    pub fn split_heads_in<H: Dim, Dh: Dim>(
        &self,
        sizes: &Sizes,
    ) -> Tensor<(B, H, S, Dh), E, Backend>
    where
        D: HeadsPartition<H, Dh>,
    {
        self.split_heads_at::<H, Dh>("split_heads", Some(sizes))
    }

    #[track_caller]
    fn split_heads_at<H: Dim, Dh: Dim>(
        &self,
        op: &str,
        sizes: Option<&Sizes>,
    ) -> Tensor<(B, H, S, Dh), E, Backend> {
        let x = self.sizes();
        let (h, dh) = partition::<D, H, Dh>(op, x[2], sizes);
        let data = Backend::swap_axes(self.storage(), &[x[0], x[1], h, dh], 1, 2);
        Tensor::from_parts(data, &[x[0], h, x[1], dh])
    }
}

impl<B: Dim, H: Dim, S: Dim, Dh: Dim, E: Element, Backend: crate::Backend>
    Tensor<(B, H, S, Dh), E, Backend>
{
    /// Merges `H` heads of width `Dh` back into the model width `D`:
    /// `(B, H, S, Dh) → (B, S, D)`, the inverse of [`Tensor::split_heads`]. With axis kinds
    /// declared, axis 1 must be a heads axis (in a function generic over `H`, add the bound
    /// `H: HeadsAxis<H::Kind>`).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }
    ///
    /// let x = Tensor::<(B, S, D)>::randn(0);
    /// let back: Tensor<(B, S, D)> = x.split_heads::<H, Dh>().merge_heads::<D>();
    /// assert_eq!(back, x);
    /// ```
    pub fn merge_heads<D>(&self) -> Tensor<(B, S, D), E, Backend>
    where
        H: HeadsAxis<H::Kind>,
        D: Dim + HeadsPartition<H, Dh>,
    {
        let x = self.sizes();
        let d = x[1] * x[3];
        if let Some(fixed) = D::EXTENT
            && fixed != d
        {
            panic!(
                "shape mismatch in merge_heads: `{}` × `{}` must equal `{}`, but {} × {} ≠ {fixed}",
                H::NAME,
                Dh::NAME,
                D::NAME,
                x[1],
                x[3]
            );
        }
        let data = Backend::swap_axes(self.storage(), x, 1, 2);
        Tensor::from_parts(data, &[x[0], x[2], d])
    }
}

/// The last axis `D` split into `H × Dh`: `(…, D) → (…, H, Dh)` (what
/// [`Tensor::split_last`] gives). Implemented for ranks 1 to 5.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::SplitLast;
/// dims! { pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }
/// type Split = <(S, D) as SplitLast<H, Dh>>::Output;
/// assert_eq!(Split::symbolic(), "(S, H, Dh)");
/// ```
#[diagnostic::on_unimplemented(
    message = "cannot split the last axis of `{Self}`: a shape has at most 6 axes",
    label = "this shape already has 6 axes"
)]
pub trait SplitLast<H, Dh>: Shape {
    /// The last dim, which `H × Dh` must equal.
    type Last: Dim;
    /// The shape with `H, Dh` in place of the last dim.
    type Output: Shape;
}

/// The last two axes `H, Dh` merged into `D`: `(…, H, Dh) → (…, D)` (what
/// [`Tensor::merge_last`] gives). Implemented for ranks 2 to 6.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::MergeLast;
/// dims! { pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }
/// type Merged = <(S, H, Dh) as MergeLast<D>>::Output;
/// assert_eq!(Merged::symbolic(), "(S, D)");
/// ```
pub trait MergeLast<D>: Shape {
    /// The second-to-last dim.
    type Heads: Dim;
    /// The last dim.
    type Width: Dim;
    /// The shape with `D` in place of the last two dims.
    type Output: Shape;
}

macro_rules! regroup_impls {
    ($( ($($a:ident),*) ; )+) => {$(
        impl<$($a: Dim,)* L: Dim, H: Dim, Dh: Dim> SplitLast<H, Dh> for ($($a,)* L,) {
            type Last = L;
            type Output = ($($a,)* H, Dh);
        }
        impl<$($a: Dim,)* H: Dim, Dh: Dim, D: Dim> MergeLast<D> for ($($a,)* H, Dh) {
            type Heads = H;
            type Width = Dh;
            type Output = ($($a,)* D,);
        }
    )+};
}

regroup_impls! {
    ();
    (A0);
    (A0, A1);
    (A0, A1, A2);
    (A0, A1, A2, A3);
}

impl<Sh: Shape, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// Splits the last axis `D` into `H` groups of `Dh`, in place (no copy, no transpose):
    /// `(…, D) → (…, H, Dh)`, the `view(…, H, Dh)` of PyTorch code, with the count proven
    /// from the dims it regroups (`H × Dh = D`), so the leading dims may be run-time or
    /// generic.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = dyn; pub S = dyn; pub D = 16; pub H = 4; pub Dh = D / H; }
    ///
    /// let x = Tensor::<(B, S, D)>::randn_in(0, &sizes![B = 2, S = 3]);
    /// let heads = x.clone().split_last::<H, Dh>();
    /// assert_eq!(heads.describe(), "[B=2, S=3, H=4, Dh=4]");
    /// assert_eq!(heads.as_slice(), x.as_slice());
    /// ```
    pub fn split_last<H: Dim, Dh: Dim>(self) -> Tensor<Sh::Output, E, Backend>
    where
        Sh: SplitLast<H, Dh>,
        Sh::Last: HeadsPartition<H, Dh>,
    {
        let mut sizes = self.sizes().to_vec();
        let d = sizes.pop().unwrap_or(1);
        let (h, dh) = partition::<Sh::Last, H, Dh>("split_last", d, None);
        sizes.extend([h, dh]);
        self.regroup(&sizes)
    }

    /// Merges the last two axes `H, Dh` into `D = H × Dh`, in place: `(…, H, Dh) → (…, D)`,
    /// the inverse of [`Tensor::split_last`].
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = dyn; pub D = 16; pub H = 4; pub Dh = D / H; }
    /// let x = Tensor::<(S, D)>::randn_in(0, &sizes![S = 3]);
    /// assert_eq!(x.clone().split_last::<H, Dh>().merge_last::<D>(), x);
    /// ```
    pub fn merge_last<D>(self) -> Tensor<Sh::Output, E, Backend>
    where
        Sh: MergeLast<D>,
        D: Dim + HeadsPartition<Sh::Heads, Sh::Width>,
    {
        let mut sizes = self.sizes().to_vec();
        let width = sizes.pop().unwrap_or(1);
        let heads = sizes.pop().unwrap_or(1);
        if let Some(fixed) = D::EXTENT
            && fixed != heads * width
        {
            panic!(
                "shape mismatch in merge_last: `{}` × `{}` must equal `{}`, but {heads} × {width} ≠ {fixed}",
                <Sh::Heads as Dim>::NAME,
                <Sh::Width as Dim>::NAME,
                D::NAME
            );
        }
        sizes.push(heads * width);
        self.regroup(&sizes)
    }
}
