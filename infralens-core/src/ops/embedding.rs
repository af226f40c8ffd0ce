//! Token ids and what turns them into vectors and back: [`Ids`], `embedding`, `argmax`, and
//! seeded sampling.

use crate::error::ShapeError;
use crate::rng::SplitMix64;
use crate::shape::{Extents, describe_sizes};
use crate::sizes::Sizes;
use crate::{Dim, Element, LastAxis, Shape, StaticShape, Tensor};
use core::marker::PhantomData;

/// Integer tensors: token ids `(B, S)` (or any shape), `u32` as tokenizers give them.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::Ids;
/// dims! { pub B = 1; pub S = dyn; }
/// let ids = Ids::<(B, S)>::from_vec_in(vec![15496, 11, 995], &sizes![S = 3])?;
/// assert_eq!(ids.describe(), "[B=1, S=3]");
/// assert_eq!(ids.as_slice(), &[15496, 11, 995]);
/// # Ok::<(), ShapeError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Ids<Sh: Shape> {
    data: Vec<u32>,
    extents: Extents,
    shape: PhantomData<Sh>,
}

impl<Sh: Shape> Ids<Sh> {
    /// Token ids in row-major order, for a shape whose sizes are all compile-time sizes; an
    /// error names the shape and both lengths.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::Ids;
    /// dims! { pub S = 2; }
    /// assert!(Ids::<(S,)>::from_vec(vec![1, 2]).is_ok());
    /// assert_eq!(
    ///     Ids::<(S,)>::from_vec(vec![1]).unwrap_err().to_string(),
    ///     "shape [S=2] holds 2 elements, but 1 values were given"
    /// );
    /// ```
    pub fn from_vec(data: Vec<u32>) -> Result<Self, ShapeError>
    where
        Sh: StaticShape,
    {
        Self::from_vec_in(data, &Sizes::new())
    }

    /// Token ids whose run-time dims take their sizes from `sizes`; an error names a
    /// run-time dim without a size, or the shape and both lengths.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::Ids;
    /// dims! { pub S = dyn; }
    /// let ids = Ids::<(S,)>::from_vec_in(vec![7, 8], &sizes![S = 2])?;
    /// assert_eq!(ids.sizes(), &[2]);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn from_vec_in(data: Vec<u32>, sizes: &Sizes) -> Result<Self, ShapeError> {
        // Checked: sizes whose product wraps (to 0, say) are refused, naming the shape.
        let extents = crate::tensor::extents_for::<Sh, u32>(sizes, data.len())?;
        Ok(Ids {
            data,
            extents,
            shape: PhantomData,
        })
    }

    /// The ids, row-major.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::Ids;
    /// dims! { pub S = 2; }
    /// assert_eq!(Ids::<(S,)>::from_vec(vec![3, 4])?.as_slice(), &[3, 4]);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn as_slice(&self) -> &[u32] {
        &self.data
    }

    /// The size of each axis.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::Ids;
    /// dims! { pub B = 1; pub S = 2; }
    /// assert_eq!(Ids::<(B, S)>::from_vec(vec![3, 4])?.sizes(), &[1, 2]);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn sizes(&self) -> &[usize] {
        &self.extents[..Sh::RANK]
    }

    /// The shape with its sizes: `[B=1, S=3]`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::Ids;
    /// dims! { pub S = 2; }
    /// assert_eq!(Ids::<(S,)>::from_vec(vec![3, 4])?.describe(), "[S=2]");
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn describe(&self) -> String {
        describe_sizes(Sh::NAMES, self.sizes())
    }
}

impl<Sh: Shape> core::fmt::Debug for Ids<Sh> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ids")
            .field("shape", &self.describe())
            .field("data", &self.data)
            .finish()
    }
}

/// `Self` with the dim `D` appended: what an embedding lookup gives, `(B, S) → (B, S, D)`.
/// Implemented for ranks 1 to 5.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::relations::Append;
/// dims! { pub B = 1; pub S = 2; pub D = 4; }
/// assert_eq!(<(B, S) as Append<D>>::Output::symbolic(), "(B, S, D)");
/// ```
pub trait Append<D>: Shape {
    /// The longer shape.
    type Output: Shape;
}

macro_rules! append_impls {
    ($( ($($a:ident),+) ; )+) => {$(
        impl<$($a: Dim,)+ D: Dim> Append<D> for ($($a,)+) {
            type Output = ($($a,)+ D);
        }
    )+};
}
append_impls! {
    (A0);
    (A0, A1);
    (A0, A1, A2);
    (A0, A1, A2, A3);
    (A0, A1, A2, A3, A4);
}

impl<V: Dim, D: Dim, E: Element, Backend: crate::Backend> Tensor<(V, D), E, Backend> {
    /// Looks up the row of each token id: an embedding table `(V, D)` and ids `(B, S)` give
    /// `(B, S, D)`. An id that is not a row of the table is an error naming it and `V`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::Ids;
    /// dims! { pub V = 3; pub D = 2; pub S = 2; }
    /// let table = Tensor::<(V, D)>::from_fn(|i| (10 * i[0] + i[1]) as f32);
    /// let x = table.embedding(&Ids::<(S,)>::from_vec(vec![2, 0])?)?;
    /// assert_eq!(x.to_vec(), vec![20.0, 21.0, 0.0, 1.0]);
    ///
    /// let err = table.embedding(&Ids::<(S,)>::from_vec(vec![1, 3])?).unwrap_err();
    /// assert_eq!(err.to_string(), "token id 3 (at position 1) is not a row of the embedding table: `V` = 3, ids go from 0 to 2");
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn embedding<Sh: Append<D>>(
        &self,
        ids: &Ids<Sh>,
    ) -> Result<Tensor<Sh::Output, E, Backend>, ShapeError> {
        let (v, d) = (self.sizes()[0], self.sizes()[1]);
        check_ids::<V, Sh>(ids, v, || self.describe())?;
        let data = Backend::gather_rows(self.storage(), d, &ids.data);
        let mut sizes = ids.sizes().to_vec();
        sizes.push(d);
        Ok(Tensor::from_parts(data, &sizes))
    }
}

/// The rows of `ids` from a table of `v` rows of width `d`, each written by `row(i, out)`;
/// an id past the table is an error naming it and `V` (the table described by `table`).
pub(crate) fn gather<V: Dim, D: Dim, Sh: Append<D>, E: Element, Backend: crate::Backend>(
    ids: &Ids<Sh>,
    (v, d): (usize, usize),
    table: impl Fn() -> String,
    row: impl Fn(usize, &mut [E]),
) -> Result<Tensor<Sh::Output, E, Backend>, ShapeError> {
    check_ids::<V, Sh>(ids, v, table)?;
    let mut data = vec![E::ZERO; ids.data.len() * d];
    for (&id, out) in ids.data.iter().zip(data.chunks_exact_mut(d.max(1))) {
        row(id as usize, &mut out[..d]);
    }
    let mut sizes = ids.sizes().to_vec();
    sizes.push(d);
    let data = Backend::from_vec(data, &sizes, &Backend::default_device())?;
    Ok(Tensor::from_parts(data, &sizes))
}

/// Every id a row of a table of `v` rows, or the error naming the first that is not.
fn check_ids<V: Dim, Sh: Shape>(
    ids: &Ids<Sh>,
    v: usize,
    table: impl Fn() -> String,
) -> Result<(), ShapeError> {
    match ids
        .data
        .iter()
        .enumerate()
        .find(|&(_, &id)| id as usize >= v)
    {
        None => Ok(()),
        Some((at, &id)) => Err(ShapeError::other(
            format!(
                "token id {id} (at position {at}) is not a row of the embedding table: `{}` = {v}, ids go from 0 to {}",
                V::NAME,
                v.saturating_sub(1)
            ),
            table(),
            v,
            id as usize,
        )),
    }
}

impl<Sh: LastAxis, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// The index of the largest value of each row of the last axis (the first one on a
    /// tie): greedy decoding's next token, one per row of logits `(…, V)`. A NaN is never
    /// chosen over a number.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub V = 3; }
    /// let logits = Tensor::<(B, V)>::from_vec(vec![0.1, 2.0, -1.0, 5.0, 5.0, 1.0])?;
    /// assert_eq!(logits.argmax(), vec![1, 0]);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn argmax(&self) -> Vec<u32> {
        let v = self.sizes()[Sh::RANK - 1];
        if v == 0 {
            return Vec::new();
        }
        Backend::host(self.storage(), |all| {
            all.chunks_exact(v).map(argmax_row).collect()
        })
    }
}

fn argmax_row<E: Element>(row: &[E]) -> u32 {
    let mut best = 0;
    for (i, &x) in row.iter().enumerate() {
        // `!(x <= best)` would prefer a NaN; this keeps the first maximum and skips NaN.
        if x > row[best] || row[best].to_f64().is_nan() && !x.to_f64().is_nan() {
            best = i;
        }
    }
    best as u32
}

/// Seeded sampling of the next token from logits: temperature, then top-k, then top-p
/// (nucleus), then a draw; the same seed gives the same tokens on every machine. A
/// temperature of 0 (or `top_k = 1`) is greedy decoding.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::Sampler;
/// dims! { pub B = 1; pub V = 4; }
/// let logits = Tensor::<(B, V)>::from_vec(vec![1.0, 3.0, 0.5, 2.9])?;
/// let mut greedy = Sampler::new(0).temperature(0.0);
/// assert_eq!(greedy.sample(&logits), vec![1]);
/// let mut nucleus = Sampler::new(42).temperature(0.8).top_k(2).top_p(0.9);
/// let token = nucleus.sample(&logits)[0];
/// assert!(token == 1 || token == 3); // only the two most likely survive top-k = 2
/// # Ok::<(), ShapeError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Sampler {
    rng: SplitMix64,
    temperature: f64,
    top_k: Option<usize>,
    top_p: Option<f64>,
}

impl Sampler {
    /// A sampler with temperature 1, no top-k, no top-p, drawing from `seed`.
    ///
    /// ```
    /// use infralens::Sampler;
    /// let _ = Sampler::new(7);
    /// ```
    pub fn new(seed: u64) -> Self {
        Sampler {
            rng: SplitMix64::new(seed),
            temperature: 1.0,
            top_k: None,
            top_p: None,
        }
    }

    /// Always the most likely token (temperature 0): what greedy decoding and golden tests
    /// use.
    ///
    /// ```
    /// use infralens::Sampler;
    /// assert_eq!(Sampler::greedy().sample_slice(&[0.1, 0.7, 0.2]), 1);
    /// ```
    pub fn greedy() -> Self {
        Sampler::new(0).temperature(0.0)
    }

    /// One token from one row of logits (an empty row gives 0).
    ///
    /// ```
    /// use infralens::Sampler;
    /// assert_eq!(Sampler::new(3).top_k(1).sample_slice(&[0.0, 2.0, 1.0]), 1);
    /// ```
    pub fn sample_slice<E: Element>(&mut self, logits: &[E]) -> u32 {
        if logits.is_empty() {
            return 0;
        }
        self.sample_row(logits)
    }

    /// Divides the logits by `t` before the softmax; `t ≤ 0` (or NaN) is greedy.
    ///
    /// ```
    /// use infralens::Sampler;
    /// let _ = Sampler::new(7).temperature(0.7);
    /// ```
    pub fn temperature(mut self, t: f64) -> Self {
        self.temperature = t;
        self
    }

    /// Keeps only the `k` most likely tokens (`k = 0` is treated as 1).
    ///
    /// ```
    /// use infralens::Sampler;
    /// let _ = Sampler::new(7).top_k(50);
    /// ```
    pub fn top_k(mut self, k: usize) -> Self {
        self.top_k = Some(k.max(1));
        self
    }

    /// Keeps the smallest set of most likely tokens whose probability reaches `p` (at least
    /// one token).
    ///
    /// ```
    /// use infralens::Sampler;
    /// let _ = Sampler::new(7).top_p(0.95);
    /// ```
    pub fn top_p(mut self, p: f64) -> Self {
        self.top_p = Some(p);
        self
    }

    /// One token per row of logits `(…, V)`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::Sampler;
    /// dims! { pub V = 3; }
    /// let logits = Tensor::<(V,)>::from_vec(vec![0.0, 0.0, 100.0])?;
    /// assert_eq!(Sampler::new(1).sample(&logits), vec![2]);
    /// # Ok::<(), ShapeError>(())
    /// ```
    pub fn sample<Sh: LastAxis, E: Element, Backend: crate::Backend>(
        &mut self,
        logits: &Tensor<Sh, E, Backend>,
    ) -> Vec<u32> {
        let v = logits.sizes()[Sh::RANK - 1];
        if v == 0 {
            return Vec::new();
        }
        Backend::host(logits.storage(), |all| {
            all.chunks_exact(v)
                .map(|row| self.sample_row(row))
                .collect()
        })
    }

    fn sample_row<E: Element>(&mut self, row: &[E]) -> u32 {
        // A temperature that is not a positive number (0, negative, NaN) means greedy.
        let greedy = self.temperature.is_nan() || self.temperature <= 0.0 || self.top_k == Some(1);
        if greedy {
            return argmax_row(row);
        }
        // Candidates by falling logit (NaN last), then top-k.
        let mut order: Vec<usize> = (0..row.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (row[a].to_f64(), row[b].to_f64());
            y.partial_cmp(&x)
                .unwrap_or_else(|| x.is_nan().cmp(&y.is_nan()))
        });
        if let Some(k) = self.top_k {
            order.truncate(k);
        }
        let max = row[order[0]].to_f64() / self.temperature;
        let mut probs: Vec<f64> = order
            .iter()
            .map(|&i| (row[i].to_f64() / self.temperature - max).exp())
            .map(|p| if p.is_nan() { 0.0 } else { p })
            .collect();
        let total: f64 = probs.iter().sum();
        if total.is_nan() || total <= 0.0 {
            return order[0] as u32;
        }
        probs.iter_mut().for_each(|p| *p /= total);
        if let Some(top_p) = self.top_p {
            let mut mass = 0.0;
            let keep = probs
                .iter()
                .position(|&p| {
                    mass += p;
                    mass >= top_p
                })
                .map_or(probs.len(), |i| i + 1);
            order.truncate(keep);
            probs.truncate(keep);
            let kept: f64 = probs.iter().sum();
            probs.iter_mut().for_each(|p| *p /= kept);
        }
        let mut draw = self.rng.next_f64();
        for (&i, &p) in order.iter().zip(&probs) {
            if draw < p {
                return i as u32;
            }
            draw -= p;
        }
        order[order.len() - 1] as u32
    }
}
