//! The shape relations the ops check, one trait each, with the compiler message a
//! learner sees when a relation does not hold.
//!
//! Each trait is implemented exactly when its relation holds, so an op states its rule as
//! a bound (`where D: HeadsPartition<H, Dh>`) and a mistake is reported by `cargo check`
//! in the words of the rule: "shape mismatch: `H` × `Dh` must equal `D` …". Relations on
//! sizes are decided with `typenum` inside impls marked `#[diagnostic::do_not_recommend]`,
//! so the message never shows `typenum` internals.
//!
//! | trait | holds when |
//! | --- | --- |
//! | [`Contracts<K>`] | a projection's contracted dims are the same dim |
//! | [`ContractsScores<K>`] | a batched matmul's contracted dims are the same dim |
//! | [`SameBatch<L>`] | a batched matmul's leading dims are the same dims |
//! | [`HeadsPartition<H, Dh>`] | `H × Dh` equals the model width |
//! | [`DividesHeads<H>`] | the key/value head count divides `H` |
//! | [`Broadcasts<S>`] | `S`'s dims are the trailing dims of the shape (element-wise ops) |
//! | [`SameNumel<T>`] | two shapes have the same element count |
//! | [`KeepsAxisOrder<T>`] | a reshape keeps the axis kinds in order |
//! | [`SquareScores<S>`] | the last two dims are the same dim |
//! | [`AttentionPair<Q>`] | a key dim matches the query's batch or width dim |
//! | [`SameHeads<H>`] | keys have the query's heads |
//! | [`ValuesMatchKeys<K>`] | a value dim matches the keys' batch or head dim |
//! | [`HeadsAxis<K>`] | a dim an op reads as the heads is of kind heads (or has no kind) |
//! | [`SameKeyLen<T>`] | keys and values have the same length |
//! | [`ScaleWidth<W>`] | the attention scale is taken from the width the scores contract |
//! | [`SoftmaxOver<T>`] | a softmax named for the keys `T` runs over the last axis, `T` |
//! | [`HasShape<Expected, Name>`] | a `#[shape(...)]`-annotated `let` has its annotated shape |
//! | [`SwapAxes<I, J>`] | axes `I` and `J` exist in the shape |
//! | [`PositionsAxis<K>`] | a dim RoPE reads as positions is of kind sequence (or has no kind) |
//! | [`SumOf<A, B>`] | a dim is `A + B` (compile time, or checked at run time) |
//! | [`CacheHeads<K>`] | a KV cache's second dim is of kind heads (or has no kind) |
//! | [`HeadWidthAxis<K>`] | a dim a RoPE table is built for is of kind head width (or has no kind) |
//! | [`NormWeight<Last>`] | a norm's weight has the width of the last axis |
//! | [`SwigluUp<Gate>`] | SwiGLU's up weight has the gate weight's shape |
//! | [`ScoresBias<Scores>`] | a bias added to scores `(…, S, T)` is `(S, T)` |
//! | [`CacheRows<Rows>`] | keys and values appended to a KV cache have its layout |
//! | [`EvenWidth`] | a head width is even (RoPE) |
//! | [`RopeWidth<Dh>`] | a RoPE table is built for the width of the rows it rotates |
//! | [`SameExcept<I, O>`] | two shapes agree on every axis but `I` |
//! | [`Axis<I>`] | axis `I` exists (its dim, and the shape with another dim there) |
//!
//! ```
//! use infralens::prelude::*;
//! use infralens::relations::{DividesHeads, HeadsPartition};
//!
//! dims! { pub D = 16; pub H = 4; pub Dh = D / H; pub Hkv = 2; }
//!
//! fn holds<D: HeadsPartition<H, Dh>, Hk: DividesHeads<H>>() {}
//! holds::<D, Hkv>();
//! ```

pub use crate::ops::broadcast::Broadcasts;
pub use crate::ops::cache::CacheRows;
pub use crate::ops::embedding::Append;
pub use crate::ops::heads::{MergeLast, SplitLast};
pub use crate::ops::join::{Axis, Chunks, SameExcept, SumOf};
pub use crate::ops::mask::ScoresBias;
pub use crate::ops::norm::{NormWeight, SwigluUp};
pub use crate::ops::reshape::KeepsAxisOrder;
pub use crate::ops::rope::{EvenWidth, RopeWidth};

use crate::dim::{Dim, DimSize, Dyn, kind};
use crate::{Element, Shape, Tensor};
use core::ops::{Mul, Rem};
use typenum::{Mod, Prod, Same, U0, Unsigned};

relation! {
/// `Self` (a weight's rows) is the same dim as `Left` (the left operand's last dim): the
/// contraction of a projection `(…, K)·(K, N)`.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::Contracts;
/// dims! { pub D = 16; }
/// fn contracts<R: Contracts<L>, L>() {}
/// contracts::<D, D>();
/// ```
#[rule(
    MATMUL_CONTRACTION,
    id = "matmul-contraction",
    lab = "01",
    summary = "A projection `(…, K)·(K, N)` contracts the same dim on both sides: a weight is read (in, out).",
    wrong = "dims! { pub S = 4; pub D = 16; pub F = 64; }\n#[shapes(x: [S, D], w: [F, D] -> [S, F])]\nfn up(x: &Tensor, w: &Tensor) -> Tensor {\n    x.matmul(w)\n}",
    right = "dims! { pub S = 4; pub D = 16; pub F = 64; }\n#[shapes(x: [S, D], w: [F, D] -> [S, F])]\nfn up(x: &Tensor, w: &Tensor) -> Tensor {\n    x.matmul(&w.t())\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: matmul contracts `{Left}` with `{Self}`, but the left operand's last dim must be the right operand's row dim",
    label = "the left operand ends in `{Left}`, this weight's rows are `{Self}`",
    note = "a projection `(…, K)·(K, N)` wants a weight whose rows are `{Left}`: one stored (out, in), as `nn.Linear` keeps it, has `{Left}` as its columns and reads through `.t()` (or a `Linear`); one without `{Left}` at all is another projection's weight, or of the wrong width"
)]
pub trait Contracts<Left> {}
}
impl<K: Dim> Contracts<K> for K {}

relation! {
/// `Self` (the right operand's rows) is the same dim as `Left` (the left operand's last
/// dim) in a batched matmul `(…, S, K)·(…, K, T)`, such as the scores `Q·K^T`.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::ContractsScores;
/// dims! { pub Dh = 4; }
/// fn contracts<R: ContractsScores<L>, L>() {}
/// contracts::<Dh, Dh>();
/// ```
#[rule(
    SCORES_CONTRACTION,
    id = "scores-contraction",
    lab = "02",
    summary = "A batched matmul `(…, S, K)·(…, K, T)` contracts the same dim on both sides: the scores read the keys transposed.",
    wrong = "dims! { pub B = 2; pub H = 4; pub S = 4; pub Dh = 8; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh] -> [B, H, S, S])]\nfn scores(q: &Tensor, k: &Tensor) -> Tensor {\n    q.matmul(k)\n}",
    right = "dims! { pub B = 2; pub H = 4; pub S = 4; pub Dh = 8; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh] -> [B, H, S, S])]\nfn scores(q: &Tensor, k: &Tensor) -> Tensor {\n    q.matmul(&k.t())\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: matmul contracts `{Left}` with `{Self}`, but the left operand's last dim must be the right operand's row dim",
    label = "the left operand ends in `{Left}`, this operand's rows are `{Self}`",
    note = "a batched product `(…, S, K)·(…, K, T)` contracts the left operand's last dim with the right operand's second-to-last; the scores `Q·K^T` contract the head width, so the keys are read transposed"
)]
pub trait ContractsScores<Left> {}
}
impl<K: Dim> ContractsScores<K> for K {}

/// Which contraction a matmul is (`Self`): by a shared weight ([`Projection`]) or batched
/// ([`Batched`]); chooses between [`Contracts`] and [`ContractsScores`] for the right
/// operand's rows `Row`.
#[doc(hidden)]
pub trait ContractsAs<Left, Row> {}
// No `do_not_recommend` here: the error must name the inner relation, with its message;
// and the form is `Self`, so that exactly one impl is the candidate.
impl<Left, Row: Contracts<Left>> ContractsAs<Left, Row> for Projection {}
impl<Left, Row: ContractsScores<Left>> ContractsAs<Left, Row> for Batched {}

/// A rank-2 right operand: a weight shared by every leading index.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum Projection {}
/// A right operand with leading dims of its own.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum Batched {}

relation! {
/// `Self` (the right operand's leading dims) are the same dims as `Left` (the left
/// operand's leading dims) in a batched matmul.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::SameBatch;
/// dims! { pub B = 2; pub H = 4; }
/// fn same<R: SameBatch<L>, L>() {}
/// same::<(B, H), (B, H)>();
/// ```
#[rule(
    MATMUL_BATCH,
    id = "matmul-batch",
    lab = "02",
    summary = "A batched matmul has the same leading dims on both sides.",
    wrong = "dims! { pub B = 1; pub H = 4; pub Hkv = 2; pub S = 4; pub Dh = 8; }\n#[shapes(q: [B, H, S, Dh], k: [B, Hkv, S, Dh] -> [B, H, S, S])]\nfn scores(q: &Tensor, k: &Tensor) -> Tensor {\n    q.matmul(&k.t())\n}",
    right = "dims! { pub B = 1; pub H = 4; pub Hkv = 2; pub S = 4; pub Dh = 8; }\n#[shapes(q: [B, H, S, Dh], k: [B, Hkv, S, Dh] -> [B, H, S, S])]\nfn scores(q: &Tensor, k: &Tensor) -> Tensor {\n    q.matmul(&k.repeat_kv::<H>().t())\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: batched matmul needs the same leading dims on both sides, found `{Left}` and `{Self}`",
    label = "leading dims `{Left}` on the left, `{Self}` here",
    note = "a batched matmul multiplies matrix `i` of the left operand by matrix `i` of the right one: their leading dims must be the same dims, in the same order"
)]
pub trait SameBatch<Left> {}
}
impl<L> SameBatch<L> for L {}

relation! {
/// `H` heads of width `Dh` make exactly the model width `Self`: `H × Dh = D`. Checked by
/// the compiler when all three are compile-time sizes; when one is a run-time dim (a model
/// whose widths come from its `config.json`), it holds here and the ops check it when they
/// run, naming the dims.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::HeadsPartition;
/// dims! { pub D = 16; pub H = 4; pub Dh = D / H; }
/// fn partition<D: HeadsPartition<H, Dh>, H, Dh>() {}
/// partition::<D, H, Dh>();
/// ```
#[rule(
    HEADS_PARTITION,
    id = "heads-partition",
    lab = "02",
    summary = "`H` heads of width `Dh` make exactly the width they split or merge: `H × Dh = D`.",
    wrong = "dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = 8; }\n#[shapes(x: [B, S, D] -> [B, H, S, Dh])]\nfn heads(x: &Tensor) -> Tensor {\n    x.split_heads::<H, Dh>()\n}",
    right = "dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }\n#[shapes(x: [B, S, D] -> [B, H, S, Dh])]\nfn heads(x: &Tensor) -> Tensor {\n    x.split_heads::<H, Dh>()\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: `{H}` × `{Dh}` must equal `{Self}`: the heads partition the model width",
    label = "`{H}` heads of width `{Dh}` do not make `{Self}`",
    note = "the heads split exactly the width they are given: when the tensor should be `{H}` × `{Dh}` wide, the product that made it has the wrong width (a key projection left `(D, D)` where GQA keys are `(D, Dkv)`); when its width is right, declare it `H * Dh` in `dims!` (`pub Dq = H * Dh;`, a head width set on its own, as in Qwen3) or declare `Dh = D / H` when the heads share the model width",
    note = "in a function generic over its dims, state the relation: `#[shapes(…, where D = H * Dh)]`"
)]
pub trait HeadsPartition<H, Dh> {}
}
#[diagnostic::do_not_recommend]
impl<D: Dim, H: Dim, Dh: Dim> HeadsPartition<H, Dh> for D where
    (D::Size, H::Size, Dh::Size): ProductOf
{
}

/// The sizes `(n, a, b)` may satisfy `n = a × b`: all compile-time and equal, or one of them a
/// run-time size (checked when the op runs). Internal to [`HeadsPartition`].
#[doc(hidden)]
pub trait ProductOf {}
impl<N: Unsigned, A: Unsigned + Mul<B>, B: Unsigned> ProductOf for (N, A, B) where
    Prod<A, B>: Same<N>
{
}
impl<A: DimSize, B: DimSize> ProductOf for (Dyn, A, B) {}
impl<N: Unsigned, B: DimSize> ProductOf for (N, Dyn, B) {}
impl<N: Unsigned, A: Unsigned> ProductOf for (N, A, Dyn) {}

relation! {
/// `Self` key/value heads divide `H` query heads (grouped-query and multi-query attention).
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::DividesHeads;
/// dims! { pub H = 32; pub Hkv = 8; }
/// fn divides<Hk: DividesHeads<H>, H>() {}
/// divides::<Hkv, H>();
/// ```
#[rule(
    KV_HEADS_DIVIDE,
    id = "kv-heads-divide",
    lab = "05",
    summary = "The key/value head count divides the query head count (GQA, MQA).",
    wrong = "dims! { pub B = 1; pub H = 4; pub Hkv = 3; pub S = 4; pub Dh = 8; }\n#[shapes(k: [B, Hkv, S, Dh] -> [B, H, S, Dh])]\nfn share(k: &Tensor) -> Tensor {\n    k.repeat_kv::<H>()\n}",
    right = "dims! { pub B = 1; pub H = 4; pub Hkv = 2; pub S = 4; pub Dh = 8; }\n#[shapes(k: [B, Hkv, S, Dh] -> [B, H, S, Dh])]\nfn share(k: &Tensor) -> Tensor {\n    k.repeat_kv::<H>()\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: `{Self}` key/value heads must divide `{H}` query heads",
    label = "`{H}` query heads cannot be shared out evenly over `{Self}` key/value heads",
    note = "in GQA every group of `H / Hkv` query heads reads one key/value head; MQA is `Hkv = 1`"
)]
pub trait DividesHeads<H> {}
}
#[diagnostic::do_not_recommend]
impl<Hkv: Dim, H: Dim> DividesHeads<H> for Hkv where (H::Size, Hkv::Size): DivisibleBy {}

/// The sizes `(h, hkv)` may satisfy `hkv | h`: both compile-time and dividing, or one of
/// them a run-time size (checked when the op runs). Internal to [`DividesHeads`].
#[doc(hidden)]
pub trait DivisibleBy {}
impl<H: Unsigned + Rem<K>, K: Unsigned> DivisibleBy for (H, K) where Mod<H, K>: Same<U0> {}
impl<K: DimSize> DivisibleBy for (Dyn, K) {}
impl<H: Unsigned> DivisibleBy for (H, Dyn) {}

relation! {
/// The shapes `Self` and `Target` hold the same number of elements, so one can be
/// reshaped into the other.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::SameNumel;
/// dims! { pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }
/// fn same<A: SameNumel<T>, T>() {}
/// same::<(S, D), (S, H, Dh)>();
/// ```
#[rule(
    RESHAPE_NUMEL,
    id = "reshape-numel",
    lab = "02",
    summary = "A reshape keeps the element count.",
    wrong = "dims! { pub S = 4; pub D = 16; pub H = 4; pub Dh = 8; }\n#[shapes(x: [S, D] -> [S, H, Dh])]\nfn split(x: &Tensor) -> Tensor {\n    x.clone().reshape::<(S, H, Dh)>()\n}",
    right = "dims! { pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }\n#[shapes(x: [S, D] -> [S, H, Dh])]\nfn split(x: &Tensor) -> Tensor {\n    x.clone().reshape::<(S, H, Dh)>()\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: cannot reshape `{Self}` into `{Target}`: their element counts differ, or are not known at compile time",
    label = "the compiler cannot prove that `{Self}` and `{Target}` hold the same number of elements",
    note = "a reshape only regroups the same elements; to change the width, multiply by a weight",
    note = "with run-time or generic dims, regroup with `split_last::<H, Dh>()` / `merge_last::<D>()` or `split_heads` / `merge_heads`, which prove the count from the dims they regroup"
)]
pub trait SameNumel<Target> {}
}
#[diagnostic::do_not_recommend]
impl<S: TypeNumel, T: TypeNumel> SameNumel<T> for S where S::Numel: Same<T::Numel> {}

relation! {
/// The last dim `Self` is the same dim as the second-to-last `Row`: square scores.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::SquareScores;
/// dims! { pub S = 4; }
/// fn square<C: SquareScores<R>, R>() {}
/// square::<S, S>();
/// ```
#[rule(
    SQUARE_SCORES,
    id = "causal-mask-square",
    lab = "03",
    summary = "`causal_mask` (top-left) needs square scores, `(…, S, S)`; scores against a cache are masked bottom-right.",
    wrong = "dims! { pub B = 1; pub H = 4; pub S = 1; pub T = 6; }\n#[shapes(scores: [B, H, S, T] -> [B, H, S, T])]\nfn mask(scores: &Tensor) -> Tensor {\n    scores.causal_mask()\n}",
    right = "dims! { pub B = 1; pub H = 4; pub S = 1; pub T = 6; }\n#[shapes(scores: [B, H, S, T] -> [B, H, S, T])]\nfn mask(scores: &Tensor) -> Tensor {\n    scores.masked(Mask::Causal)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: a causal mask needs square scores, but the last two dims are `{Row}` and `{Self}`",
    label = "scores over `{Row}` queries and `{Self}` keys",
    note = "a causal mask compares query position i with key position j of the same sequence: both axes must be `S`"
)]
pub trait SquareScores<Row> {}
}
impl<S: Dim> SquareScores<S> for S {}

relation! {
/// A key dim `Self` matches the query's dim `Query` (the batch, or the head width that
/// `Q·K^T` contracts).
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::AttentionPair;
/// dims! { pub Dh = 4; }
/// fn pair<K: AttentionPair<Q>, Q>() {}
/// pair::<Dh, Dh>();
/// ```
#[rule(
    ATTENTION_PAIR,
    id = "attention-pair",
    lab = "03",
    summary = "Queries and keys have the same batch and head width: `(B, H, S, Dh)` with `(B, H, T, Dh)`.",
    wrong = "dims! { pub B = 1; pub H = 4; pub S = 4; pub Dh = 8; pub Dk = 16; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dk], v: [B, H, S, Dh] -> [B, H, S, Dh])]\nfn attend(q: &Tensor, k: &Tensor, v: &Tensor) -> Tensor {\n    scaled_dot_product_attention(q, k, v, Mask::None)\n}",
    right = "dims! { pub B = 1; pub H = 4; pub S = 4; pub Dh = 8; pub Dk = 16; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh], v: [B, H, S, Dh] -> [B, H, S, Dh])]\nfn attend(q: &Tensor, k: &Tensor, v: &Tensor) -> Tensor {\n    scaled_dot_product_attention(q, k, v, Mask::None)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: attention pairs the query's `{Query}` with the keys' `{Self}`; they must be the same dim",
    label = "the query has `{Query}` here, the keys have `{Self}`",
    note = "queries, keys and values are `(B, H, S, Dh)`, `(B, H, T, Dh)` and `(B, H, T, Dv)`"
)]
pub trait AttentionPair<Query> {}
}
impl<D: Dim> AttentionPair<D> for D {}

relation! {
/// The keys' heads `Self` are the query's heads `H` (multi-head attention).
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::SameHeads;
/// dims! { pub H = 4; }
/// fn same<K: SameHeads<Q>, Q>() {}
/// same::<H, H>();
/// ```
#[rule(
    ATTENTION_HEADS,
    id = "attention-heads",
    lab = "05",
    summary = "Multi-head attention reads keys with the query's heads; fewer key/value heads take grouped-query attention.",
    wrong = "dims! { pub B = 1; pub H = 4; pub Hkv = 2; pub S = 4; pub Dh = 8; }\n#[shapes(q: [B, H, S, Dh], k: [B, Hkv, S, Dh], v: [B, Hkv, S, Dh] -> [B, H, S, Dh])]\nfn attend(q: &Tensor, k: &Tensor, v: &Tensor) -> Tensor {\n    scaled_dot_product_attention(q, k, v, Mask::None)\n}",
    right = "dims! { pub B = 1; pub H = 4; pub Hkv = 2; pub S = 4; pub Dh = 8; }\n#[shapes(q: [B, H, S, Dh], k: [B, Hkv, S, Dh], v: [B, Hkv, S, Dh] -> [B, H, S, Dh])]\nfn attend(q: &Tensor, k: &Tensor, v: &Tensor) -> Tensor {\n    grouped_query_attention(q, k, v, Mask::None)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: attention pairs the query's heads `{H}` with the keys' `{Self}`; they must be the same dim",
    label = "the query has `{H}` heads, the keys have `{Self}`",
    note = "when the keys and values have fewer heads than the queries (grouped-query attention), `grouped_query_attention` shares each of them with a group of query heads"
)]
pub trait SameHeads<H> {}
}
impl<D: Dim> SameHeads<D> for D {}

relation! {
/// A value dim `Self` matches the keys' dim `Key` (batch or heads).
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::ValuesMatchKeys;
/// dims! { pub Hkv = 2; }
/// fn pair<V: ValuesMatchKeys<K>, K>() {}
/// pair::<Hkv, Hkv>();
/// ```
#[rule(
    VALUES_MATCH_KEYS,
    id = "values-match-keys",
    lab = "03",
    summary = "Values have the keys' batch and heads: one value per key.",
    wrong = "dims! { pub B = 1; pub H = 4; pub Hkv = 2; pub S = 4; pub Dh = 8; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh], v: [B, Hkv, S, Dh] -> [B, H, S, Dh])]\nfn attend(q: &Tensor, k: &Tensor, v: &Tensor) -> Tensor {\n    scaled_dot_product_attention(q, k, v, Mask::None)\n}",
    right = "dims! { pub B = 1; pub H = 4; pub Hkv = 2; pub S = 4; pub Dh = 8; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh], v: [B, H, S, Dh] -> [B, H, S, Dh])]\nfn attend(q: &Tensor, k: &Tensor, v: &Tensor) -> Tensor {\n    scaled_dot_product_attention(q, k, v, Mask::None)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: values must have the keys' `{Key}`, found `{Self}`",
    label = "the keys have `{Key}` here, the values have `{Self}`",
    note = "keys and values are `(B, H, T, Dh)` and `(B, H, T, Dv)`: one value per key"
)]
pub trait ValuesMatchKeys<Key> {}
}
impl<D: Dim> ValuesMatchKeys<D> for D {}

relation! {
/// The values' length `Self` is the keys' length `T`.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::SameKeyLen;
/// dims! { pub T = 6; }
/// fn same<V: SameKeyLen<K>, K>() {}
/// same::<T, T>();
/// ```
#[rule(
    KEY_VALUE_LENGTH,
    id = "key-value-length",
    lab = "03",
    summary = "Keys and values have the same length `T`: every key needs its value.",
    wrong = "dims! { pub B = 1; pub H = 4; pub S = 4; pub P = 3; pub Dh = 8; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh], v: [B, H, P, Dh] -> [B, H, S, Dh])]\nfn attend(q: &Tensor, k: &Tensor, v: &Tensor) -> Tensor {\n    scaled_dot_product_attention(q, k, v, Mask::None)\n}",
    right = "dims! { pub B = 1; pub H = 4; pub S = 4; pub P = 3; pub Dh = 8; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh], v: [B, H, S, Dh] -> [B, H, S, Dh])]\nfn attend(q: &Tensor, k: &Tensor, v: &Tensor) -> Tensor {\n    scaled_dot_product_attention(q, k, v, Mask::None)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: keys have length `{T}` but values have length `{Self}`; every key needs its value",
    label = "values of length `{Self}`, keys of length `{T}`"
)]
pub trait SameKeyLen<T> {}
}

relation! {
/// `Self` is `W`, the width `Q·K^T` contracts: attention scales by `1/sqrt(W)`.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::ScaleWidth;
/// dims! { pub Dh = 4; }
/// fn scales<K: ScaleWidth<W>, W>() {}
/// scales::<Dh, Dh>();
/// ```
#[rule(
    SCALE_WIDTH,
    id = "scale-width",
    lab = "02",
    summary = "The attention scale is `1/sqrt(Dh)`, of the width the scores contract.",
    wrong = "dims! { pub B = 2; pub H = 4; pub S = 4; pub D = 16; pub Dh = D / H; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh] -> [B, H, S, S])]\nfn scores(q: &Tensor, k: &Tensor) -> Tensor {\n    q.attention_scale::<D>().matmul(&k.t())\n}",
    right = "dims! { pub B = 2; pub H = 4; pub S = 4; pub D = 16; pub Dh = D / H; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh] -> [B, H, S, S])]\nfn scores(q: &Tensor, k: &Tensor) -> Tensor {\n    q.attention_scale::<Dh>().matmul(&k.t())\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: the attention scale is `1/sqrt({W})`, the width `Q·K^T` contracts, not `1/sqrt({Self})`",
    label = "the query rows have width `{W}`, not `{Self}`",
    note = "scaling by the model width `D` instead of the head width `Dh` shrinks every score by `sqrt(H)`, and the softmax comes out too flat"
)]
pub trait ScaleWidth<W> {}
}
relation! {
/// `Self`, the last dim of the scores, is `T`, the dim a softmax is asked to normalise over.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::SoftmaxOver;
/// dims! { pub T = 4; }
/// fn over<L: SoftmaxOver<T>, T>() {}
/// over::<T, T>();
/// ```
#[rule(
    SOFTMAX_OVER,
    id = "softmax-over",
    lab = "03",
    summary = "`softmax_over::<T>()` normalises the last axis, which must be `T`: attention's keys.",
    wrong = "dims! { pub B = 1; pub H = 2; pub S = 4; pub T = 4; pub Dh = 4; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, T, Dh] -> [B, H, T, S])]\nfn weights(q: &Tensor, k: &Tensor) -> Tensor {\n    q.matmul(&k.t()).transpose::<2, 3>().softmax_over::<T>()\n}",
    right = "dims! { pub B = 1; pub H = 2; pub S = 4; pub T = 4; pub Dh = 4; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, T, Dh] -> [B, H, S, T])]\nfn weights(q: &Tensor, k: &Tensor) -> Tensor {\n    q.matmul(&k.t()).softmax_over::<T>()\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: `softmax_over::<{T}>()` normalises over `{T}`, but the last axis of these scores is `{Self}`",
    label = "the last axis is `{Self}`, not `{T}`",
    note = "softmax normalises the last axis: attention's scores are `(…, S, T)`, the keys last; scores transposed first would normalise each key over the queries"
)]
pub trait SoftmaxOver<T> {}
}
impl<T: Dim> SoftmaxOver<T> for T {}
impl<T: Dim> ScaleWidth<T> for T {}
impl<T: Dim> SameKeyLen<T> for T {}

relation! {
/// `Self` is a dim that an op may read as the heads: of kind [`Heads`](kind::Heads), or
/// with no declared kind. `K` is `Self`'s kind.
///
/// Attention, `repeat_kv` and `merge_heads` state it for the dim at axis 1; in a function
/// generic over that dim, add the bound `H: HeadsAxis<H::Kind>`.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::HeadsAxis;
/// dims! { pub H: Heads = 4; pub X = 2; }
/// fn heads<D: Dim + HeadsAxis<D::Kind>>() {}
/// heads::<H>();
/// heads::<X>();
/// ```
#[rule(
    HEADS_AXIS_KIND,
    id = "heads-axis-kind",
    lab = "03",
    summary = "Ops that read axis 1 as the heads get a heads axis there: `(B, H, S, Dh)`, not `(B, S, H, Dh)`.",
    wrong = "dims! { pub B: Batch = 1; pub S: Sequence = 4; pub H: Heads = 4; pub Dh: HeadWidth = 8; }\n#[shapes(q: [B, S, H, Dh], k: [B, S, H, Dh], v: [B, S, H, Dh] -> [B, S, H, Dh])]\nfn attend(q: &Tensor, k: &Tensor, v: &Tensor) -> Tensor {\n    scaled_dot_product_attention(q, k, v, Mask::None)\n}",
    right = "dims! { pub B: Batch = 1; pub S: Sequence = 4; pub H: Heads = 4; pub Dh: HeadWidth = 8; }\n#[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh], v: [B, H, S, Dh] -> [B, H, S, Dh])]\nfn attend(q: &Tensor, k: &Tensor, v: &Tensor) -> Tensor {\n    scaled_dot_product_attention(q, k, v, Mask::None)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: `{Self}` stands where the heads go (axis 1 of `(B, H, S, Dh)`), but `{Self}` is declared a `{K}` axis",
    label = "the heads are expected here, not a `{K}` axis",
    note = "heads come right after the batch: `(B, H, S, Dh)`; a tensor in `(B, S, H, Dh)` order had its heads split but not transposed: `.transpose::<1, 2>()` puts them first"
)]
pub trait HeadsAxis<K> {}
}
impl<D: Dim<Kind = kind::Heads>> HeadsAxis<kind::Heads> for D {}
impl<D: Dim<Kind = kind::Any>> HeadsAxis<kind::Any> for D {}

relation! {
/// `Self` is a dim that an op may read as token positions: of kind
/// [`Sequence`](kind::Sequence), or with no declared kind. `K` is `Self`'s kind. RoPE states
/// it for the rows it rotates (in a function generic over that dim, add the bound).
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::PositionsAxis;
/// dims! { pub S: Sequence = dyn; }
/// fn positions<D: Dim + PositionsAxis<D::Kind>>() {}
/// positions::<S>();
/// ```
#[rule(
    POSITIONS_AXIS_KIND,
    id = "positions-axis-kind",
    lab = "06",
    summary = "RoPE rotates rows by their position: the rows it reads are a sequence axis.",
    wrong = "dims! { pub B: Batch = 1; pub H: Heads = 2; pub S: Sequence = 4; pub Dh: HeadWidth = 8; pub MaxPos: Sequence = 16; }\n#[shapes(q: [B, S, H, Dh] -> [B, S, H, Dh])]\nfn rotate(q: &Tensor) -> Tensor {\n    let rope = infralens::Rope::<MaxPos, Dh>::new(10_000.0, infralens::RopeStyle::Halves, &sizes![]);\n    q.rope(&rope, 0)\n}",
    right = "dims! { pub B: Batch = 1; pub H: Heads = 2; pub S: Sequence = 4; pub Dh: HeadWidth = 8; pub MaxPos: Sequence = 16; }\n#[shapes(q: [B, H, S, Dh] -> [B, H, S, Dh])]\nfn rotate(q: &Tensor) -> Tensor {\n    let rope = infralens::Rope::<MaxPos, Dh>::new(10_000.0, infralens::RopeStyle::Halves, &sizes![]);\n    q.rope(&rope, 0)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: RoPE rotates each row by its position, but the rows here are `{Self}`, declared a `{K}` axis",
    label = "positions are expected here, not a `{K}` axis",
    note = "apply RoPE to `(B, H, S, Dh)`, after the heads moved before the positions: in `(B, S, H, Dh)` the rows are the heads, and each head would be rotated by its index"
)]
pub trait PositionsAxis<K> {}
}
impl<D: Dim<Kind = kind::Sequence>> PositionsAxis<kind::Sequence> for D {}
impl<D: Dim<Kind = kind::Any>> PositionsAxis<kind::Any> for D {}

relation! {
/// `Self` is a dim that a [`KvCache`](crate::KvCache) may hold as its heads: of kind
/// [`Heads`](kind::Heads), or with no declared kind. `K` is `Self`'s kind.
/// [`KvCache::new`](crate::KvCache::new) states it for its second parameter (in a function
/// generic over that dim, add the bound `Hkv: CacheHeads<Hkv::Kind>`).
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::CacheHeads;
/// dims! { pub Hkv: Heads = 2; pub X = 2; }
/// fn cache_heads<D: Dim + CacheHeads<D::Kind>>() {}
/// cache_heads::<Hkv>();
/// cache_heads::<X>();
/// ```
#[rule(
    CACHE_HEADS_FIRST,
    id = "cache-heads-first",
    lab = "05",
    summary = "A KV cache is heads-first, `KvCache<B, Hkv, C, Dh>`, as the keys attention reads.",
    wrong = "dims! { pub B: Batch = 1; pub C: Sequence = 16; pub S: Sequence = dyn; pub T: Sequence = dyn; pub Hkv: Heads = 2; pub Dh: HeadWidth = 4; }\n#[shapes(k: [B, Hkv, S, Dh])]\nfn fill(k: &Tensor) -> usize {\n    let mut cache = KvCache::<B, C, Hkv, Dh>::new(&sizes![]);\n    let _ = cache.append::<S, T>(k, k);\n    cache.len()\n}",
    right = "dims! { pub B: Batch = 1; pub C: Sequence = 16; pub S: Sequence = dyn; pub T: Sequence = dyn; pub Hkv: Heads = 2; pub Dh: HeadWidth = 4; }\n#[shapes(k: [B, Hkv, S, Dh])]\nfn fill(k: &Tensor) -> usize {\n    let mut cache = KvCache::<B, Hkv, C, Dh>::new(&sizes![]);\n    let _ = cache.append::<S, T>(k, k);\n    cache.len()\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: a KV cache holds its heads second, `KvCache<B, Hkv, C, Dh>`, but `{Self}` there is declared a `{K}` axis",
    label = "the key/value heads are expected here, not a `{K}` axis",
    note = "the cache keeps keys and values `(B, Hkv, C, Dh)`, in the order attention reads them; a cache laid out positions-first (Meta's Llama code keeps `(batch, max_seq, n_kv_heads, head_dim)`) would take keys in another order than the heads-first ones the projections hand it"
)]
pub trait CacheHeads<K> {}
}
impl<D: Dim<Kind = kind::Heads>> CacheHeads<kind::Heads> for D {}
impl<D: Dim<Kind = kind::Any>> CacheHeads<kind::Any> for D {}

relation! {
/// `Self` is a dim that a RoPE table may be built for: of kind
/// [`HeadWidth`](kind::HeadWidth), or with no declared kind. `K` is `Self`'s kind.
/// [`Rope::new`](crate::Rope::new) states it (in a function generic over the width, add the
/// bound `W: HeadWidthAxis<W::Kind>`).
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::HeadWidthAxis;
/// dims! { pub Dh: HeadWidth = 64; pub R = 32; }
/// fn table_width<W: Dim + HeadWidthAxis<W::Kind>>() {}
/// table_width::<Dh>();
/// table_width::<R>();
/// ```
#[rule(
    ROPE_TABLE_KIND,
    id = "rope-table-kind",
    lab = "06",
    summary = "A RoPE table is built for the width of one head, `Rope<MaxPos, Dh>`: a head width, not the model width.",
    wrong = "dims! { pub B: Batch = 1; pub S: Sequence = 4; pub D: ModelWidth = 16; pub H: Heads = 2; pub Dh: HeadWidth = D / H; pub MaxPos: Sequence = 16; }\n#[shapes(q: [B, H, S, Dh] -> [B, H, S, Dh])]\nfn rotate(q: &Tensor) -> Tensor {\n    let rope = infralens::Rope::<MaxPos, D>::new(10_000.0, infralens::RopeStyle::Halves, &sizes![]);\n    q.rope(&rope, 0)\n}",
    right = "dims! { pub B: Batch = 1; pub S: Sequence = 4; pub D: ModelWidth = 16; pub H: Heads = 2; pub Dh: HeadWidth = D / H; pub MaxPos: Sequence = 16; }\n#[shapes(q: [B, H, S, Dh] -> [B, H, S, Dh])]\nfn rotate(q: &Tensor) -> Tensor {\n    let rope = infralens::Rope::<MaxPos, Dh>::new(10_000.0, infralens::RopeStyle::Halves, &sizes![]);\n    q.rope(&rope, 0)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: a RoPE table is built for the width of one head, but `{Self}` is declared a `{K}` axis",
    label = "a head width is expected here, not a `{K}` axis",
    note = "RoPE's frequencies `θ^(-2i/Dh)` come from the width of one head, and every head is rotated alike: a table built for another width has other frequencies, and rows of another width"
)]
pub trait HeadWidthAxis<K> {}
}
impl<D: Dim<Kind = kind::HeadWidth>> HeadWidthAxis<kind::HeadWidth> for D {}
impl<D: Dim<Kind = kind::Any>> HeadWidthAxis<kind::Any> for D {}

relation! {
/// Axes `I` and `J` exist in `Self`; `Output` is `Self` with them swapped.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::SwapAxes;
/// dims! { pub B = 2; pub S = 4; pub H = 4; pub Dh = 4; }
/// fn swapped<Sh: SwapAxes<1, 2>>() -> &'static [&'static str] { <Sh::Output as Shape>::NAMES }
/// assert_eq!(swapped::<(B, S, H, Dh)>(), &["B", "H", "S", "Dh"]);
/// ```
#[rule(
    SWAP_AXES_RANGE,
    id = "swap-axes-range",
    lab = "02",
    summary = "`transpose::<I, J>()` names axes that exist.",
    wrong = "dims! { pub B = 2; pub S = 4; pub D = 16; }\n#[shapes(x: [B, S, D] -> [B, D, S])]\nfn swap(x: &Tensor) -> Tensor {\n    x.transpose::<1, 3>()\n}",
    right = "dims! { pub B = 2; pub S = 4; pub D = 16; }\n#[shapes(x: [B, S, D] -> [B, D, S])]\nfn swap(x: &Tensor) -> Tensor {\n    x.transpose::<1, 2>()\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch: cannot swap axes {I} and {J} of `{Self}`: an axis index is past the last axis",
    label = "axes are numbered from 0 to the rank minus one"
)]
pub trait SwapAxes<const I: usize, const J: usize> {
    /// The shape with axes `I` and `J` swapped.
    type Output: crate::Shape;
}
}

/// The element count of a shape as a `typenum` number (internal to [`SameNumel`]).
#[doc(hidden)]
pub trait TypeNumel {
    /// `Prod` of every dim's `Size`.
    type Numel: Unsigned;
}

macro_rules! type_numel {
    ($a:ident) => {
        impl<$a: Dim> TypeNumel for ($a,)
        where
            $a::Size: Unsigned,
        {
            type Numel = $a::Size;
        }
    };
    ($a:ident, $($rest:ident),+) => {
        impl<$a: Dim, $($rest: Dim),+> TypeNumel for ($a, $($rest),+)
        where
            ($($rest,)+): TypeNumel,
            $a::Size: Unsigned,
            $a::Size: Mul<<($($rest,)+) as TypeNumel>::Numel>,
            Prod<$a::Size, <($($rest,)+) as TypeNumel>::Numel>: Unsigned,
        {
            type Numel = Prod<$a::Size, <($($rest,)+) as TypeNumel>::Numel>;
        }
        type_numel!($($rest),+);
    };
}
type_numel!(A0, A1, A2, A3, A4, A5);

relation! {
/// `Self` is `Expected`: what `#[shape(...)]` on a `let` checks. `Name` is a type named
/// after the variable, so that the message names it.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::HasShape;
/// dims! { pub S = 4; pub D = 8; }
/// enum x {}
/// fn has<Sh: HasShape<Expected, Name>, Expected, Name>() {}
/// has::<(S, D), (S, D), x>();
/// ```
#[rule(
    LET_SHAPE,
    id = "let-shape",
    lab = "02",
    summary = "A `#[shape(...)]`-annotated `let` has the shape it is annotated with.",
    wrong = "dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }\n#[shapes(x: [B, S, D])]\nfn heads(x: &Tensor) {\n    #[shape(B, H, S, Dh)]\n    let q = x.clone().reshape::<(B, S, H, Dh)>();\n    drop(q);\n}",
    right = "dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }\n#[shapes(x: [B, S, D])]\nfn heads(x: &Tensor) {\n    #[shape(B, H, S, Dh)]\n    let q = x.split_heads::<H, Dh>();\n    drop(q);\n}",
)]
#[diagnostic::on_unimplemented(
    message = "shape mismatch at `{Name}`: expected `{Expected}`, found `{Self}`",
    label = "`{Name}` is `{Self}` here"
)]
pub trait HasShape<Expected, Name> {}
}
impl<T, Name> HasShape<T, Name> for T {}

relation! {
/// Anything `#[shape(...)]` can annotate: a [`Tensor`], a transposed view
/// ([`Transposed`](crate::Transposed), what `x.t()` gives), or a reference to either.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::Shaped;
/// dims! { pub S = 4; pub D = 8; }
/// fn shape_of<T: Shaped>(_: &T) -> &'static [&'static str] {
///     <T::Shape as Shape>::NAMES
/// }
/// let x = Tensor::<(S, D)>::zeros();
/// assert_eq!(shape_of(&x.t()), &["D", "S"]);
/// ```
#[rule(
    SHAPE_ON_NON_TENSOR,
    id = "shape-on-non-tensor",
    lab = "02",
    summary = "`#[shape(...)]` annotates a `let` whose value is a tensor (or a view of one), not a number or another value.",
    wrong = "dims! { pub S = 4; pub D = 16; }\n#[shapes(x: [S, D] -> [S, D])]\nfn count(x: &Tensor) -> Tensor {\n    #[shape(S, D)]\n    let n = x.numel();\n    x.scale(n as f32)\n}",
    right = "dims! { pub S = 4; pub D = 16; }\n#[shapes(x: [S, D] -> [S, D])]\nfn count(x: &Tensor) -> Tensor {\n    let n = x.numel();\n    x.scale(n as f32)\n}",
)]
#[diagnostic::on_unimplemented(
    message = "`#[shape(...)]` annotates a tensor, and `{Self}` is not one",
    label = "this is a `{Self}`, not a `Tensor` or a view of one",
    note = "put `#[shape(...)]` on a `let` whose value is a `Tensor<…>` (or `x.t()`, a view); a number, a tuple or an `Option` has no shape to check"
)]
pub trait Shaped {
    /// Its shape.
    type Shape: Shape;
}
}
impl<Sh: Shape, E: Element, Backend: crate::Backend> Shaped for Tensor<Sh, E, Backend> {
    type Shape = Sh;
}
impl<Sh: crate::Matrix, E: Element, Backend: crate::Backend> Shaped
    for crate::Transposed<'_, Sh, E, Backend>
{
    type Shape = Sh;
}
impl<T: Shaped + ?Sized> Shaped for &T {
    type Shape = T::Shape;
}

/// The check `#[shape(...)]` expands to: compiles only when the shape of `T` (a tensor or
/// a view of one) is `Expected`; does nothing at run time.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::check_shape;
/// dims! { pub S = 4; pub D = 8; }
/// enum x {}
/// let t = Tensor::<(S, D)>::zeros();
/// check_shape::<_, _, (S, D), x>(&t);
/// check_shape::<_, _, (D, S), x>(&t.t());
/// ```
#[inline(always)]
pub fn check_shape<T: Shaped<Shape = Sh>, Sh: Shape + HasShape<Expected, Name>, Expected, Name>(
    _: &T,
) {
}
