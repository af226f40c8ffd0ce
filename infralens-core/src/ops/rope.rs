//! Rotary position embeddings (RoPE), in both conventions, with a position offset for
//! decoding and tables typed by the sequence dim they cover.

use super::positions::Positions;
use crate::error::ShapeError;
use crate::relations::{HeadWidthAxis, PositionsAxis};
use crate::sizes::Sizes;
use crate::{Dim, DimInfo, Element, Matrix, Tensor};
use core::marker::PhantomData;
use core::ops::Rem;
use typenum::{Mod, Same, U0, U2};

/// How a model stretches RoPE's frequencies past the context it was trained on: the
/// `rope_scaling` of a `config.json` (`rope_parameters` in `transformers` 5).
///
/// Each lane pair `i` of a head of width `Dh` turns at `θ^(-2i/Dh)` radians a position;
/// a scaling changes that frequency, never the rotation itself.
///
/// ```
/// use infralens::RopeScaling;
/// let llama_3_1 = RopeScaling::Llama3 {
///     factor: 8.0,
///     low_freq_factor: 1.0,
///     high_freq_factor: 4.0,
///     original_max_positions: 8192,
/// };
/// // The fastest pair (a wavelength of 2π positions) is kept; the slowest is divided by 8.
/// assert_eq!(llama_3_1.frequency(500_000.0, 0, 128), 1.0);
/// let slowest = 500_000f64.powf(-126.0 / 128.0);
/// assert!((llama_3_1.frequency(500_000.0, 63, 128) - slowest / 8.0).abs() < 1e-18);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum RopeScaling {
    /// Plain RoPE (`rope_type: "default"`).
    None,
    /// Every frequency divided by `factor` (`rope_type: "linear"`, position interpolation).
    Linear {
        /// The divisor, at least 1.
        factor: f64,
    },
    /// Llama 3.1's scaling (`rope_type: "llama3"`): pairs whose wavelength is shorter than
    /// `original_max_positions / high_freq_factor` are kept, those longer than
    /// `original_max_positions / low_freq_factor` are divided by `factor`, and those between
    /// are blended smoothly, as `transformers`' `_compute_llama3_parameters` does.
    Llama3 {
        /// The divisor of the slow pairs (8 in Llama 3.1 and 3.2, 32 in Llama 3.2's 1B and
        /// 3B).
        factor: f64,
        /// Where the slow pairs begin: a wavelength of `original_max_positions /
        /// low_freq_factor`.
        low_freq_factor: f64,
        /// Where the fast pairs end: a wavelength of `original_max_positions /
        /// high_freq_factor`; above `low_freq_factor`.
        high_freq_factor: f64,
        /// The context the model was first trained on (8192 in Llama 3.1).
        original_max_positions: usize,
    },
}

impl RopeScaling {
    /// The frequency of lane pair `i` (of `dh / 2`) with base `theta`, in radians a position.
    ///
    /// ```
    /// use infralens::RopeScaling;
    /// assert_eq!(RopeScaling::None.frequency(10_000.0, 1, 4), 0.01);
    /// assert_eq!(RopeScaling::Linear { factor: 4.0 }.frequency(10_000.0, 1, 4), 0.0025);
    /// ```
    pub fn frequency(&self, theta: f64, i: usize, dh: usize) -> f64 {
        let plain = theta.powf(-((2 * i) as f64) / dh as f64);
        match *self {
            RopeScaling::None => plain,
            RopeScaling::Linear { factor } => plain / factor,
            RopeScaling::Llama3 {
                factor,
                low_freq_factor,
                high_freq_factor,
                original_max_positions,
            } => {
                let original = original_max_positions as f64;
                let wavelength = 2.0 * core::f64::consts::PI / plain;
                if wavelength < original / high_freq_factor {
                    plain
                } else if wavelength > original / low_freq_factor {
                    plain / factor
                } else {
                    let smooth = (original / wavelength - low_freq_factor)
                        / (high_freq_factor - low_freq_factor);
                    (1.0 - smooth) * plain / factor + smooth * plain
                }
            }
        }
    }

    /// Why these parameters cannot scale anything, if they cannot: a `factor` below 1 or not
    /// finite, Llama 3's `low_freq_factor` not below `high_freq_factor`, or an original
    /// context of 0.
    ///
    /// ```
    /// use infralens::RopeScaling;
    /// assert!(RopeScaling::Linear { factor: 0.5 }.problem().is_some());
    /// assert!(RopeScaling::None.problem().is_none());
    /// ```
    pub fn problem(&self) -> Option<String> {
        let factor_ok = |f: f64| f.is_finite() && f >= 1.0;
        match *self {
            RopeScaling::None => None,
            RopeScaling::Linear { factor } => (!factor_ok(factor))
                .then(|| format!("`factor` = {factor} must be a number of at least 1")),
            RopeScaling::Llama3 {
                factor,
                low_freq_factor,
                high_freq_factor,
                original_max_positions,
            } => {
                if !factor_ok(factor) {
                    Some(format!(
                        "`factor` = {factor} must be a number of at least 1"
                    ))
                } else if !(low_freq_factor.is_finite()
                    && high_freq_factor.is_finite()
                    && low_freq_factor > 0.0
                    && low_freq_factor < high_freq_factor)
                {
                    Some(format!(
                        "`low_freq_factor` = {low_freq_factor} must be above 0 and below `high_freq_factor` = {high_freq_factor}"
                    ))
                } else if original_max_positions == 0 {
                    Some("`original_max_position_embeddings` must be at least 1".to_owned())
                } else {
                    None
                }
            }
        }
    }
}

/// Which lanes of a head RoPE rotates together.
///
/// ```
/// use infralens::RopeStyle;
/// assert_ne!(RopeStyle::Interleaved, RopeStyle::Halves);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RopeStyle {
    /// Lanes `(2i, 2i+1)`: Meta's Llama code (`torch.view_as_complex` on pairs).
    Interleaved,
    /// Lanes `(i, i + Dh/2)`: Hugging Face's `rotate_half` (Llama, Qwen, Mistral in
    /// `transformers`). A checkpoint converted to Hugging Face format has its q/k projection
    /// rows permuted to match.
    Halves,
}

relation! {
/// The head width `Self` is even: RoPE rotates lanes in pairs.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::EvenWidth;
/// dims! { pub Dh = 64; }
/// fn even<D: EvenWidth>() {}
/// even::<Dh>();
/// ```
#[rule(
    ROPE_EVEN_WIDTH,
    id = "rope-even-width",
    lab = "06",
    summary = "RoPE rotates a head's lanes in pairs: its head width is even.",
    wrong = "dims! { pub B = 1; pub H = 2; pub S = 4; pub Dh = 5; pub MaxPos = 16; }\n#[shapes(q: [B, H, S, Dh] -> [B, H, S, Dh])]\nfn rotate(q: &Tensor) -> Tensor {\n    let rope = infralens::Rope::<MaxPos, Dh>::new(10_000.0, infralens::RopeStyle::Halves, &sizes![]);\n    q.rope(&rope, 0)\n}",
    right = "dims! { pub B = 1; pub H = 2; pub S = 4; pub Dh = 6; pub MaxPos = 16; }\n#[shapes(q: [B, H, S, Dh] -> [B, H, S, Dh])]\nfn rotate(q: &Tensor) -> Tensor {\n    let rope = infralens::Rope::<MaxPos, Dh>::new(10_000.0, infralens::RopeStyle::Halves, &sizes![]);\n    q.rope(&rope, 0)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: RoPE rotates the lanes of a head in pairs, so the head width `{Self}` must be even",
    label = "`{Self}` is odd, or not a compile-time size",
    note = "every real model's head width is even (64, 128, …); check the `dims!` declaration"
)]
pub trait EvenWidth {}
}
#[diagnostic::do_not_recommend]
impl<D: Dim> EvenWidth for D where D::Size: EvenSize {}

relation! {
/// `Self`, the head width a RoPE table is built for, is `Dh`, the width of the rows it
/// rotates.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::RopeWidth;
/// dims! { pub Dh = 64; }
/// fn rotates<W: RopeWidth<Dh>>() {}
/// rotates::<Dh>();
/// ```
#[rule(
    ROPE_WIDTH,
    id = "rope-width",
    lab = "06",
    summary = "A RoPE table is built for the head width of the rows it rotates, `Rope<MaxPos, Dh>`.",
    wrong = "dims! { pub B = 1; pub H = 2; pub S = 4; pub D = 16; pub Dh = 8; pub MaxPos = 16; }\n#[shapes(q: [B, H, S, Dh] -> [B, H, S, Dh])]\nfn rotate(q: &Tensor) -> Tensor {\n    let rope = infralens::Rope::<MaxPos, D>::new(10_000.0, infralens::RopeStyle::Halves, &sizes![]);\n    q.rope(&rope, 0)\n}",
    right = "dims! { pub B = 1; pub H = 2; pub S = 4; pub D = 16; pub Dh = 8; pub MaxPos = 16; }\n#[shapes(q: [B, H, S, Dh] -> [B, H, S, Dh])]\nfn rotate(q: &Tensor) -> Tensor {\n    let rope = infralens::Rope::<MaxPos, Dh>::new(10_000.0, infralens::RopeStyle::Halves, &sizes![]);\n    q.rope(&rope, 0)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: the RoPE table `Rope<_, {Self}>` rotates heads of width `{Self}`, but these rows are `{Dh}` wide",
    label = "a table for `{Self}`, rows of `{Dh}`",
    note = "RoPE rotates each head's lanes in pairs: its table is built for the head width, `Rope<MaxPos, Dh>`, not the model width"
)]
pub trait RopeWidth<Dh> {}
}
impl<D: Dim> RopeWidth<D> for D {}

/// A size that is even, or a run-time size (checked when the table is built).
#[doc(hidden)]
pub trait EvenSize {}
impl<U: typenum::Unsigned + Rem<U2>> EvenSize for U where Mod<U, U2>: Same<U0> {}
impl EvenSize for crate::Dyn {}

/// The cos and sin tables of RoPE for positions `0 .. T` and heads of width `Dh`:
/// angle `p · θ^(-2i/Dh)` for lane pair `i`. Built once; [`Tensor::rope`] reads the rows of
/// the positions it rotates.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::{Rope, RopeStyle};
/// dims! { pub T = 16; pub Dh = 4; }
/// let rope = Rope::<T, Dh>::new(10_000.0, RopeStyle::Halves, &sizes![]);
/// assert_eq!(rope.positions(), 16);
/// ```
#[derive(Clone, Debug)]
pub struct Rope<T: Dim, Dh: Dim, E: Element = f32> {
    cos: Vec<E>,
    sin: Vec<E>,
    positions: usize,
    style: RopeStyle,
    dims: PhantomData<(T, Dh)>,
}

impl<T: Dim, Dh: Dim, E: Element> Rope<T, Dh, E> {
    /// Tables for `T` positions (its size from `sizes` when it is a run-time dim) with base
    /// `theta` (10,000 in Llama 2, 500,000 in Llama 3, 1,000,000 in Qwen3).
    ///
    /// # Panics
    ///
    /// As [`Tensor::zeros_in`], when `T` is a run-time dim with no size in `sizes`, or when
    /// the table could not be held in memory (the message names the sizes); when `theta` is
    /// not a finite number above 0 (a 0 makes every angle NaN).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Rope, RopeStyle};
    /// dims! { pub T = dyn; pub Dh = 8; }
    /// let rope = Rope::<T, Dh>::new(500_000.0, RopeStyle::Interleaved, &sizes![T = 128]);
    /// assert_eq!(rope.style(), RopeStyle::Interleaved);
    /// ```
    #[track_caller]
    pub fn new(theta: f64, style: RopeStyle, sizes: &Sizes) -> Self
    where
        Dh: HeadWidthAxis<Dh::Kind> + EvenWidth,
    {
        Self::scaled(theta, RopeScaling::None, style, sizes)
    }

    /// Tables as [`Rope::new`]'s, with each lane pair's frequency changed by `scaling`
    /// ([`RopeScaling::frequency`]): Llama 3.1 and 3.2 checkpoints need
    /// [`RopeScaling::Llama3`].
    ///
    /// # Panics
    ///
    /// As [`Rope::new`]; and when `scaling` cannot scale ([`RopeScaling::problem`]).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Rope, RopeScaling, RopeStyle};
    /// dims! { pub T = 4; pub Dh = 2; }
    /// let linear = RopeScaling::Linear { factor: 2.0 };
    /// let scaled = Rope::<T, Dh, f64>::scaled(10_000.0, linear, RopeStyle::Halves, &sizes![]);
    /// let q = Tensor::<(T, Dh), f64>::from_vec(vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0])?;
    /// // Position 2 turns by 2 · 1 / 2 = 1 radian.
    /// let y = q.rope(&scaled, 0);
    /// assert!((y.get(&[2, 0]).unwrap() - 1f64.cos()).abs() < 1e-6);
    /// # Ok::<(), ShapeError>(())
    /// ```
    #[track_caller]
    pub fn scaled(theta: f64, scaling: RopeScaling, style: RopeStyle, sizes: &Sizes) -> Self
    where
        Dh: HeadWidthAxis<Dh::Kind> + EvenWidth,
    {
        if let Some(problem) = scaling.problem() {
            panic!("rope: the scaling {scaling:?} cannot scale: {problem}");
        }
        let positions = match T::EXTENT.or_else(|| sizes.get::<T>()) {
            Some(n) => n,
            None => panic!(
                "{}",
                ShapeError::other(
                    format!(
                        "`{}` is a run-time dim, and no size was given for it: add `{} = …` to `sizes![…]`",
                        T::NAME,
                        T::NAME
                    ),
                    T::NAME.to_owned(),
                    1,
                    0,
                )
            ),
        };
        let Some(dh) = Dh::EXTENT.or_else(|| sizes.get::<Dh>()) else {
            panic!(
                "rope: `{}` is a run-time dim, and no size was given for it: add `{} = …` to `sizes![…]`",
                Dh::NAME,
                Dh::NAME
            );
        };
        if dh % 2 != 0 {
            panic!(
                "shape mismatch in rope: RoPE rotates the lanes of a head in pairs, so the head width `{}` = {dh} must be even",
                Dh::NAME
            );
        }
        if !(theta.is_finite() && theta > 0.0) {
            panic!(
                "rope: `theta` = {theta} must be a finite number above 0 (10,000 in Llama 2, 500,000 in Llama 3): with it every angle would be NaN or infinite"
            );
        }
        let half = dh / 2;
        // Two tables of `positions × Dh/2`: refused with the sizes before any allocation
        // when no program could hold them.
        let limit = isize::MAX.unsigned_abs() / core::mem::size_of::<E>().max(1) / 2;
        let cells = positions.checked_mul(half).filter(|&n| n <= limit);
        let Some(cells) = cells else {
            panic!(
                "rope: a table of `{}` = {positions} positions for heads of width `{}` = {dh} would hold {} values of {} bytes, twice: no table can be that large; check the sizes",
                T::NAME,
                Dh::NAME,
                (positions as u128) * (half as u128),
                core::mem::size_of::<E>()
            );
        };
        let mut cos = Vec::new();
        let mut sin = Vec::new();
        // Fallibly: a table that fits the address space but not the memory is a panic that
        // names the sizes, not an abort.
        if cos.try_reserve_exact(cells).is_err() || sin.try_reserve_exact(cells).is_err() {
            panic!(
                "rope: a table of `{}` = {positions} positions for heads of width `{}` = {dh} ({cells} values of {} bytes, twice) does not fit in memory; check the sizes",
                T::NAME,
                Dh::NAME,
                core::mem::size_of::<E>()
            );
        }
        for p in 0..positions {
            for i in 0..half {
                let freq = scaling.frequency(theta, i, dh);
                let angle = p as f64 * freq;
                cos.push(E::from_f64(angle.cos()));
                sin.push(E::from_f64(angle.sin()));
            }
        }
        Rope {
            cos,
            sin,
            positions,
            style,
            dims: PhantomData,
        }
    }

    /// The number of positions the tables cover.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Rope, RopeStyle};
    /// dims! { pub T = 8; pub Dh = 2; }
    /// assert_eq!(Rope::<T, Dh>::new(1e4, RopeStyle::Halves, &sizes![]).positions(), 8);
    /// ```
    pub fn positions(&self) -> usize {
        self.positions
    }

    /// Which lanes it pairs.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Rope, RopeStyle};
    /// dims! { pub T = 8; pub Dh = 2; }
    /// assert_eq!(Rope::<T, Dh>::new(1e4, RopeStyle::Halves, &sizes![]).style(), RopeStyle::Halves);
    /// ```
    pub fn style(&self) -> RopeStyle {
        self.style
    }
}

impl<Sh: Matrix, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// Rotates queries or keys `(…, S, Dh)` by their positions `offset .. offset + S`: the
    /// rows of `rope` from `offset` (the number of tokens already in the KV cache when
    /// decoding). The table's head width is the last dim's, checked by the type; with axis
    /// kinds declared, the rows must be positions (`(B, H, S, Dh)`, not `(B, S, H, Dh)`).
    ///
    /// # Panics
    ///
    /// When `offset + S` is past the positions the table covers; the message names them.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Rope, RopeStyle};
    /// dims! { pub H = 1; pub S = dyn; pub T = 32; pub Dh = 4; }
    /// let rope = Rope::<T, Dh>::new(10_000.0, RopeStyle::Halves, &sizes![]);
    /// let q = Tensor::<(H, S, Dh)>::randn_in(0, &sizes![S = 3]);
    /// // rotating all three positions, or the last one alone at offset 2, agree
    /// let all = q.rope(&rope, 0);
    /// let last = q.narrow::<1, S>(2, 1).rope(&rope, 2);
    /// assert_eq!(all.narrow::<1, S>(2, 1), last);
    /// ```
    #[track_caller]
    pub fn rope<T: Dim, W>(&self, rope: &Rope<T, W, E>, offset: usize) -> Self
    where
        Sh::Row: PositionsAxis<<Sh::Row as Dim>::Kind>,
        W: Dim + RopeWidth<Sh::Col>,
    {
        match self.rotated(rope, offset) {
            Ok(out) => out,
            Err(e) => panic!("{e}"),
        }
    }

    /// Rotates queries or keys `(…, S, Dh)` by the positions a KV cache handed out
    /// ([`KvCache::positions`](crate::KvCache::positions)): on the cached path the offset
    /// is the cache's, never a number written by hand. The positions are typed by the dim of
    /// the rows they number, so keys `(…, S, Dh)` take `Positions<S>`. An error, never a
    /// panic, when the rows are not as many as the positions or the positions run past the
    /// table.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::{Rope, RopeStyle};
    /// dims! { pub B = 1; pub H = 1; pub C = 4; pub Dh = 2; pub S = dyn; pub T = dyn; }
    /// let rope = Rope::<C, Dh>::new(10_000.0, RopeStyle::Halves, &sizes![]);
    /// let mut cache = KvCache::<B, H, C, Dh>::new(&sizes![]);
    /// let k = Tensor::<(B, H, S, Dh)>::randn_in(0, &sizes![S = 4]);
    /// let k = k.rope_at(&rope, &cache.positions::<S>(4)?)?;
    /// cache.append::<S, T>(&k, &k)?;
    /// // a fifth position does not fit the cache, nor the table
    /// assert!(cache.positions::<S>(1).is_err());
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn rope_at<T: Dim, W>(
        &self,
        rope: &Rope<T, W, E>,
        positions: &Positions<Sh::Row>,
    ) -> Result<Self, ShapeError>
    where
        Sh::Row: PositionsAxis<<Sh::Row as Dim>::Kind>,
        W: Dim + RopeWidth<Sh::Col>,
    {
        positions.check_rows("rope", self.sizes()[Sh::RANK - 2])?;
        self.rotated(rope, positions.start())
    }

    /// Both [`Tensor::rope`] and [`Tensor::rope_at`].
    fn rotated<T: Dim, W: Dim>(
        &self,
        rope: &Rope<T, W, E>,
        offset: usize,
    ) -> Result<Self, ShapeError> {
        let sizes = self.sizes();
        let (s, dh) = (sizes[Sh::RANK - 2], sizes[Sh::RANK - 1]);
        let end = offset.saturating_add(s);
        if end > rope.positions {
            return Err(ShapeError::other(
                format!(
                    "rope out of range: positions {offset}..{end} (`{}` = {s} from offset {offset}), but the table covers `{}` = {} positions",
                    <Sh::Row as Dim>::NAME,
                    T::NAME,
                    rope.positions
                ),
                T::NAME.to_owned(),
                rope.positions,
                end,
            ));
        }
        let half = dh / 2;
        if half != rope.cos.len() / rope.positions.max(1) && rope.positions > 0 {
            return Err(ShapeError::other(
                format!(
                    "shape mismatch in rope: the table is for heads of width {}, these are `{}` = {dh}",
                    2 * rope.cos.len() / rope.positions,
                    <Sh::Col as Dim>::NAME
                ),
                <Sh::Col as Dim>::NAME.to_owned(),
                2 * rope.cos.len() / rope.positions,
                dh,
            ));
        }
        let rows = offset * half..end * half;
        let tables = (&rope.cos[rows.clone()], &rope.sin[rows]);
        Ok(self.with_data(Backend::rope(self.storage(), (s, dh), tables, rope.style)))
    }
}

/// Rotates one head's lanes in place.
pub(crate) fn rotate<E: Element>(row: &mut [E], cos: &[E], sin: &[E], style: RopeStyle) {
    let half = cos.len();
    for i in 0..half {
        let (a, b) = match style {
            RopeStyle::Interleaved => (2 * i, 2 * i + 1),
            RopeStyle::Halves => (i, i + half),
        };
        let (x, y) = (row[a], row[b]);
        row[a] = x * cos[i] - y * sin[i];
        row[b] = y * cos[i] + x * sin[i];
    }
}
