//! [`Mask`]: which keys each query may see, for attention and for scores op by op.

use crate::kernels::attention::MaskRows;

/// Which keys each query may see: none hidden, causal (with its alignment), a sliding
/// window, padding given as per-batch key lengths, or a combination.
///
/// **Alignment.** With `S` queries and `T` keys, [`Mask::Causal`] is aligned
/// *bottom-right*: query `i` sees keys `0 ..= T - S + i`, so the last query sees every key.
/// This is what decoding with a KV cache needs (`S` new tokens after `P = T - S` cached
/// ones: query `i` is position `P + i`), and what FlashAttention (≥ 2.1) does. PyTorch's
/// `is_causal=True` is aligned *top-left* (query `i` sees keys `0 ..= i`): that is
/// [`Mask::CausalTopLeft`]. The two agree when `S = T`. [`Mask::causal_from`] states the
/// offset outright.
///
/// A query that sees no key (every key masked or padded) gets a zero output row, where
/// PyTorch gives NaN.
///
/// ```
/// use infralens::prelude::*;
///
/// // 2 new tokens after 3 cached ones: query 0 is position 3.
/// assert_eq!(Mask::Causal.visible(0, 0, 2, 5), 0..4);
/// assert_eq!(Mask::Causal.visible(0, 1, 2, 5), 0..5);
/// assert_eq!(Mask::CausalTopLeft.visible(0, 0, 2, 5), 0..1);
/// assert_eq!(Mask::causal_from(3), Mask::Causal.with_offset_for(2, 5));
///
/// // Mistral's sliding window: each query sees its own position and the 2 before it.
/// assert_eq!(Mask::sliding_window(3).visible(0, 4, 5, 5), 2..5);
///
/// // Padding: batch 1 has only 2 real keys.
/// let lengths = [5, 2];
/// assert_eq!(Mask::None.with_key_lengths(&lengths).visible(1, 0, 1, 5), 0..2);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Mask<'a> {
    causal: Option<Causal>,
    window: Option<usize>,
    key_lengths: Option<&'a [usize]>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Causal {
    BottomRight,
    TopLeft,
    From(usize),
}

#[allow(non_upper_case_globals)]
impl Mask<'static> {
    /// Every query sees every key (encoders, cross-attention).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// assert_eq!(Mask::None.visible(0, 0, 4, 4), 0..4);
    /// ```
    pub const None: Mask<'static> = Mask {
        causal: None,
        window: None,
        key_lengths: None,
    };

    /// Causal, bottom-right aligned: query `i` of `S` sees keys `0 ..= T - S + i` (decoders;
    /// with `S = T`, keys `0 ..= i`).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// assert_eq!(Mask::Causal.visible(0, 1, 4, 4), 0..2);
    /// assert_eq!(Mask::Causal.visible(0, 0, 1, 7), 0..7); // one decode step sees the whole cache
    /// ```
    pub const Causal: Mask<'static> = Mask {
        causal: Some(Causal::BottomRight),
        window: None,
        key_lengths: None,
    };

    /// Causal, top-left aligned as PyTorch's `is_causal=True`: query `i` sees keys `0 ..= i`.
    ///
    /// A mask of its own type, [`CausalTopLeft`]: attention and
    /// [`Tensor::masked`](crate::Tensor::masked) accept it only where the queries and the keys
    /// are one dim (`S` against `S`). Queries `S` against keys `T` — new tokens after cached
    /// ones, where PyTorch's `is_causal=True` hides the cache from them — is a compile error
    /// naming both dims ([`MaskFor`]); where one run-time dim holds fewer queries than keys,
    /// the op refuses it when it runs. [`Mask::causal_from(0)`](Mask::causal_from) is the
    /// same alignment asked for by name.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// assert_eq!(Mask::CausalTopLeft.visible(0, 0, 1, 7), 0..1);
    /// ```
    pub const CausalTopLeft: CausalTopLeft = CausalTopLeft;

    /// The top-left causal mask as a plain [`Mask`].
    const TOP_LEFT: Mask<'static> = Mask {
        causal: Some(Causal::TopLeft),
        window: None,
        key_lengths: None,
    };

    /// Causal with the first query at position `offset`: query `i` sees keys
    /// `0 ..= offset + i` (`offset` = the number of cached tokens before these queries).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// assert_eq!(Mask::causal_from(6).visible(0, 0, 1, 7), 0..7);
    /// ```
    pub const fn causal_from(offset: usize) -> Mask<'static> {
        Mask {
            causal: Some(Causal::From(offset)),
            window: None,
            key_lengths: None,
        }
    }

    /// Causal (bottom-right) with a sliding window of `window` keys, as Mistral: query at
    /// position `p` sees keys `p + 1 - window ..= p`. A window of 0 is treated as 1 (a
    /// query always sees its own position).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// assert_eq!(Mask::sliding_window(2).visible(0, 3, 4, 4), 2..4);
    /// ```
    pub const fn sliding_window(window: usize) -> Mask<'static> {
        Mask {
            causal: Some(Causal::BottomRight),
            window: Some(if window == 0 { 1 } else { window }),
            key_lengths: None,
        }
    }
}

impl<'a> Mask<'a> {
    /// This mask with padding: batch index `b` has `lengths[b]` real keys, the rest are
    /// hidden. There must be one length per batch index, none above `T` (checked when the
    /// mask is applied, with a message that names them).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// let lengths = [3, 1];
    /// let mask = Mask::Causal.with_key_lengths(&lengths);
    /// assert_eq!(mask.visible(1, 2, 3, 3), 0..1);
    /// ```
    pub const fn with_key_lengths<'b>(self, lengths: &'b [usize]) -> Mask<'b> {
        Mask {
            causal: self.causal,
            window: self.window,
            key_lengths: Some(lengths),
        }
    }

    /// This mask with a sliding window of `window` keys; a mask that was not causal
    /// becomes causal (bottom-right), since a window counts back from each query's own
    /// position.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// assert_eq!(Mask::causal_from(4).with_window(2).visible(0, 0, 1, 5), 3..5);
    /// ```
    pub const fn with_window(self, window: usize) -> Self {
        Mask {
            causal: match self.causal {
                Some(c) => Some(c),
                None => Some(Causal::BottomRight),
            },
            window: Some(if window == 0 { 1 } else { window }),
            key_lengths: self.key_lengths,
        }
    }

    /// This mask's causal alignment stated as an offset for `s` queries and `t` keys
    /// (bottom-right becomes `causal_from(t - s)`); a mask that is not causal is unchanged.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// assert_eq!(Mask::CausalTopLeft.with_offset_for(2, 9), Mask::causal_from(0));
    /// ```
    pub fn with_offset_for(self, s: usize, t: usize) -> Self {
        let causal = self.causal.map(|c| match c {
            Causal::BottomRight => Causal::From(t.saturating_sub(s)),
            Causal::TopLeft => Causal::From(0),
            from => from,
        });
        Mask { causal, ..self }
    }

    /// Whether any key is hidden by this mask's rule (it is not [`Mask::None`]).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// assert!(Mask::Causal.hides_keys());
    /// assert!(!Mask::None.hides_keys());
    /// ```
    pub fn hides_keys(&self) -> bool {
        self.causal.is_some() || self.window.is_some() || self.key_lengths.is_some()
    }

    /// The keys query `i` of batch index `b` sees, with `s` queries and `t` keys.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// assert_eq!(Mask::Causal.visible(0, 2, 3, 3), 0..3);
    /// ```
    pub fn visible(&self, b: usize, i: usize, s: usize, t: usize) -> core::ops::Range<usize> {
        let (lo, hi) = self.rows(s, t).range(b, i, t);
        lo..hi
    }

    /// The kernel's form, for `s` queries and `t` keys.
    pub(crate) fn rows(&self, s: usize, t: usize) -> MaskRows<'a> {
        let causal_offset = self.causal.map(|c| match c {
            Causal::BottomRight => t as isize - s as isize,
            Causal::TopLeft => 0,
            Causal::From(p) => isize::try_from(p).unwrap_or(isize::MAX),
        });
        MaskRows {
            causal_offset,
            window: self.window,
            key_lengths: self.key_lengths,
        }
    }

    /// Checks the key lengths against the batch `b` and the key count `t`, and a top-left
    /// causal mask against fewer queries than keys, naming the dims.
    #[track_caller]
    pub(crate) fn check(&self, batch: (usize, &str), queries: (usize, &str), keys: (usize, &str)) {
        if self.causal == Some(Causal::TopLeft) && queries.0 < keys.0 {
            panic!(
                "{}",
                top_left_refusal((queries.1, Some(queries.0)), (keys.1, Some(keys.0)))
            );
        }
        if let Some(lengths) = self.key_lengths {
            if lengths.len() != batch.0 {
                panic!(
                    "mask mismatch: {} key lengths for `{}` = {} batch entries; give one length per batch entry",
                    lengths.len(),
                    batch.1,
                    batch.0
                );
            }
            if let Some((b, &len)) = lengths.iter().enumerate().find(|(_, l)| **l > keys.0) {
                panic!(
                    "mask mismatch: key length {len} for batch entry {b} is more than the `{}` = {} keys",
                    keys.1, keys.0
                );
            }
        }
    }
}

/// The type of [`Mask::CausalTopLeft`]: PyTorch's `is_causal=True`, which attention accepts
/// only for queries and keys of one dim ([`MaskFor`]). [`CausalTopLeft::mask`] gives the
/// [`Mask`] it stands for.
///
/// ```
/// use infralens::prelude::*;
/// dims! { pub B = 1; pub H = 1; pub S = 3; pub Dh = 2; }
/// let q = Tensor::<(B, H, S, Dh)>::randn(0);
/// // a prompt against itself: top-left and bottom-right agree
/// assert_eq!(
///     scaled_dot_product_attention(&q, &q, &q, Mask::CausalTopLeft),
///     scaled_dot_product_attention(&q, &q, &q, Mask::Causal),
/// );
/// assert_eq!(Mask::CausalTopLeft.with_offset_for(1, 3), Mask::causal_from(0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CausalTopLeft;

impl CausalTopLeft {
    /// The plain [`Mask`] (top-left, unchecked against the dims: it is refused at run time
    /// with fewer queries than keys).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// assert!(Mask::CausalTopLeft.mask().hides_keys());
    /// ```
    pub const fn mask(self) -> Mask<'static> {
        Mask::TOP_LEFT
    }

    /// As [`Mask::visible`].
    ///
    /// ```
    /// use infralens::prelude::*;
    /// assert_eq!(Mask::CausalTopLeft.visible(0, 1, 3, 3), 0..2);
    /// ```
    pub fn visible(self, b: usize, i: usize, s: usize, t: usize) -> core::ops::Range<usize> {
        Mask::TOP_LEFT.visible(b, i, s, t)
    }

    /// As [`Mask::with_key_lengths`].
    ///
    /// ```
    /// use infralens::prelude::*;
    /// assert_eq!(Mask::CausalTopLeft.with_key_lengths(&[1]).visible(0, 2, 3, 3), 0..1);
    /// ```
    pub const fn with_key_lengths(self, lengths: &[usize]) -> Mask<'_> {
        Mask::TOP_LEFT.with_key_lengths(lengths)
    }

    /// As [`Mask::with_window`].
    ///
    /// ```
    /// use infralens::prelude::*;
    /// assert_eq!(Mask::CausalTopLeft.with_window(1).visible(0, 2, 3, 3), 2..3);
    /// ```
    pub const fn with_window(self, window: usize) -> Mask<'static> {
        Mask::TOP_LEFT.with_window(window)
    }

    /// As [`Mask::with_offset_for`]: `causal_from(0)`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// assert_eq!(Mask::CausalTopLeft.with_offset_for(2, 9), Mask::causal_from(0));
    /// ```
    pub fn with_offset_for(self, s: usize, t: usize) -> Mask<'static> {
        Mask::TOP_LEFT.with_offset_for(s, t)
    }
}

impl From<CausalTopLeft> for Mask<'static> {
    fn from(_: CausalTopLeft) -> Self {
        Mask::TOP_LEFT
    }
}

relation! {
/// `Self` can mask the scores of queries `S` against keys `T`: every [`Mask`], and
/// [`Mask::CausalTopLeft`] where `S` and `T` are one dim.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::MaskFor;
/// dims! { pub S = 4; pub T = 4; }
/// fn masks<'a, M: MaskFor<'a, S, T>>(_: M) {}
/// masks(Mask::Causal);
/// ```
#[rule(
    MASK_ALIGNMENT,
    id = "mask-alignment",
    lab = "03",
    summary = "`Mask::CausalTopLeft` (PyTorch's `is_causal=True`) is not the mask of new queries after cached keys.",
    wrong = "dims! { pub B = 1; pub H = 2; pub S = dyn; pub T = dyn; pub Dh = 4; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, T, Dh], v: [B, H, T, Dh] -> [B, H, S, Dh])]\nfn step(q: &Tensor, k: &Tensor, v: &Tensor) -> Tensor {\n    scaled_dot_product_attention(q, k, v, Mask::CausalTopLeft)\n}",
    right = "dims! { pub B = 1; pub H = 2; pub S = dyn; pub T = dyn; pub Dh = 4; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, T, Dh], v: [B, H, T, Dh] -> [B, H, S, Dh])]\nfn step(q: &Tensor, k: &Tensor, v: &Tensor) -> Tensor {\n    scaled_dot_product_attention(q, k, v, Mask::Causal)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "mask mismatch: `Mask::CausalTopLeft` lines query 0 up with key 0, but the queries `{S}` and the keys `{T}` are different dims, as new queries after cached keys are",
    label = "top-left: query 0 of `{S}` would see key 0 of `{T}` only",
    note = "the decoding mask is `Mask::Causal`, aligned bottom-right; if top-left is what you mean, say so with `Mask::causal_from(0)`"
)]
pub trait MaskFor<'a, S, T>: Copy {
    /// The mask to apply.
    #[doc(hidden)]
    fn into_mask(self) -> Mask<'a>;
}
}

impl<'a, S, T> MaskFor<'a, S, T> for Mask<'a> {
    fn into_mask(self) -> Mask<'a> {
        self
    }
}

impl<S> MaskFor<'static, S, S> for CausalTopLeft {
    fn into_mask(self) -> Mask<'static> {
        Mask::TOP_LEFT
    }
}

/// Why [`Mask::CausalTopLeft`] is refused for queries `(name, size)` after cached keys: the
/// run-time check's message (where one run-time dim holds fewer queries than keys). A size
/// not known is left out.
///
/// ```
/// use infralens::rules::top_left_refusal;
/// let m = top_left_refusal(("S", Some(1)), ("T", Some(5)));
/// assert!(m.starts_with("mask mismatch: `Mask::CausalTopLeft` lines query 0 up with key 0, but these `S` = 1 queries come after 4 of the `T` = 5 keys"));
/// let m = top_left_refusal(("S", None), ("T", None));
/// assert!(m.contains("but these `S` queries come after cached keys of `T`"));
/// ```
pub fn top_left_refusal(queries: (&str, Option<usize>), keys: (&str, Option<usize>)) -> String {
    let place = match (queries.1, keys.1) {
        (Some(s), Some(t)) => format!(
            "these `{}` = {s} queries come after {} of the `{}` = {t} keys",
            queries.0,
            t.saturating_sub(s),
            keys.0
        ),
        _ => format!(
            "these `{}` queries come after cached keys of `{}`",
            queries.0, keys.0
        ),
    };
    format!(
        "mask mismatch: `Mask::CausalTopLeft` lines query 0 up with key 0, but {place} (decoding with a cache): their causal mask is `Mask::Causal`, aligned bottom-right; if top-left is what you mean, say so with `Mask::causal_from(0)`"
    )
}
