//! `causal_mask` and `masked`: hide keys from queries in scores `(…, S, T)`.

use crate::backend::BinaryOp;
use crate::ops::mask_type::MaskFor;
use crate::relations::SquareScores;
use crate::sizes::agree;
use crate::{Element, Mask, Matrix, Shape, Tensor};

relation! {
/// `Self`, the shape of a bias added to scores, is `Scores`, the scores' last two axes
/// `(S, T)`: queries by keys.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::ScoresBias;
/// dims! { pub S = 4; pub T = 6; }
/// fn bias<Bs: ScoresBias<(S, T)>>() {}
/// bias::<(S, T)>();
/// ```
#[rule(
    SCORES_BIAS,
    id = "scores-bias",
    lab = "03",
    summary = "A bias added to the scores `(…, S, T)` is `(S, T)`: a row per query, a column per key.",
    wrong = "dims! { pub B = 1; pub H = 2; pub S = 3; pub T = 5; }\n#[shapes(scores: [B, H, S, T], bias: [T, S] -> [B, H, S, T])]\nfn biased(scores: &Tensor, bias: &Tensor) -> Tensor {\n    scores.add_bias(bias)\n}",
    right = "dims! { pub B = 1; pub H = 2; pub S = 3; pub T = 5; }\n#[shapes(scores: [B, H, S, T], bias: [S, T] -> [B, H, S, T])]\nfn biased(scores: &Tensor, bias: &Tensor) -> Tensor {\n    scores.add_bias(bias)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: a bias added to scores is `{Scores}`, queries by keys, as the scores' last two axes; this one is `{Self}`",
    label = "`{Self}` here, `{Scores}` wanted",
    note = "the scores `Q·K^T` are `(…, S, T)`: row `i` holds query `i`'s score for each key, and a bias (an additive mask, ALiBi) gives every pair of query and key its number in the same place"
)]
pub trait ScoresBias<Scores> {}
}
impl<Sh: Shape> ScoresBias<Sh> for Sh {}

impl<Sh: Matrix, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// Sets every score of query `i` for a later key `j > i` to `-inf`, so that the
    /// [`softmax`](Tensor::softmax) gives it weight 0. The scores must be square,
    /// `(…, S, S)`: a causal mask compares positions of one sequence. For scores of `S` new
    /// queries against `T` keys (decoding with a cache) use [`Tensor::masked`] with
    /// [`Mask::Causal`].
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 3; }
    /// let p = Tensor::<(S, S)>::zeros().causal_mask().softmax();
    /// assert_eq!(p.to_vec(), vec![1.0, 0.0, 0.0, 0.5, 0.5, 0.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0]);
    /// ```
    pub fn causal_mask(&self) -> Self
    where
        Sh::Col: SquareScores<Sh::Row>,
    {
        self.apply_mask(Mask::Causal)
    }

    /// Applies `mask` to scores `(…, S, T)`: every hidden score becomes `-inf`, so that the
    /// [`softmax`](Tensor::softmax) gives it weight 0. Axis 0 is the batch that
    /// [`Mask::with_key_lengths`] indexes. See [`Mask`] for the alignment of causal masks.
    ///
    /// # Panics
    ///
    /// When the mask's key lengths do not match the batch (one per entry of axis 0, none
    /// above `T`), or [`Mask::CausalTopLeft`] meets fewer queries than keys; the message
    /// names the dims.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 1; pub T = 3; }
    /// // one new query after 2 cached keys sees all 3 (bottom-right alignment)
    /// let p = Tensor::<(S, T)>::zeros().masked(Mask::Causal).softmax();
    /// assert_eq!(p.to_vec(), vec![1.0 / 3.0; 3]);
    /// // top-left, asked for by name: it sees key 0 only
    /// let p = Tensor::<(S, T)>::zeros().masked(Mask::causal_from(0)).softmax();
    /// assert_eq!(p.to_vec(), vec![1.0, 0.0, 0.0]);
    /// ```
    ///
    /// PyTorch's `is_causal=True` ported as `Mask::CausalTopLeft` while decoding hides the
    /// cache from the new query: for scores of queries `S` against keys `T` it does not
    /// compile (`MaskFor`):
    ///
    /// ```compile_fail
    /// use infralens::prelude::*;
    /// dims! { pub S = 1; pub T = 3; }
    /// // mask mismatch: `Mask::CausalTopLeft` lines query 0 up with key 0, but the queries
    /// // `S` and the keys `T` are different dims, …
    /// let _ = Tensor::<(S, T)>::zeros().masked(Mask::CausalTopLeft);
    /// ```
    #[track_caller]
    pub fn masked<'m>(&self, mask: impl MaskFor<'m, Sh::Row, Sh::Col>) -> Self {
        self.apply_mask(mask.into_mask())
    }

    /// Adds an additive mask or bias `(S, T)` to scores `(…, S, T)`, the same for every
    /// leading index: an additive mask of `0` and `-inf` (Hugging Face's form of
    /// `attention_mask`) or a position bias (ALiBi). A bias of other dims is a compile error;
    /// run-time sizes are checked, naming the dim.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub H = 2; pub S = 2; pub T = 3; }
    /// let scores = Tensor::<(H, S, T)>::zeros();
    /// let bias = Tensor::<(S, T)>::from_fn(|i| if i[1] > i[0] + 1 { f32::NEG_INFINITY } else { 0.0 });
    /// let p = scores.add_bias(&bias).softmax();
    /// assert_eq!(p.get(&[1, 0, 2]), Some(0.0));
    /// assert_eq!(p.get(&[1, 1, 2]), Some(1.0 / 3.0));
    /// ```
    #[track_caller]
    pub fn add_bias<Bs>(&self, bias: &Tensor<Bs, E, Backend>) -> Self
    where
        Bs: Shape + ScoresBias<(Sh::Row, Sh::Col)>,
    {
        let (sizes, b) = (self.sizes(), bias.sizes());
        let (s, t) = (sizes[Sh::RANK - 2], sizes[Sh::RANK - 1]);
        agree::<Sh::Row>("add_bias", (s, "the scores"), (b[0], "the bias"));
        agree::<Sh::Col>("add_bias", (t, "the scores"), (b[1], "the bias"));
        self.with_data(Backend::broadcast(
            BinaryOp::Add,
            self.storage(),
            bias.storage(),
        ))
    }

    #[track_caller]
    fn apply_mask(&self, mask: Mask<'_>) -> Self {
        let sizes = self.sizes();
        let (s, t) = (sizes[Sh::RANK - 2], sizes[Sh::RANK - 1]);
        let per_batch: usize = if Sh::RANK > 2 {
            sizes[1..Sh::RANK - 2].iter().product()
        } else {
            1
        };
        let batch = if Sh::RANK > 2 { sizes[0] } else { 1 };
        mask.check(
            (batch, Sh::NAMES[0]),
            (s, Sh::NAMES[Sh::RANK - 2]),
            (t, Sh::NAMES[Sh::RANK - 1]),
        );
        let rows = mask.rows(s, t);
        self.with_data(Backend::mask(
            self.storage(),
            (batch, per_batch, s, t),
            rows,
        ))
    }
}
