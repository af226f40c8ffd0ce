//! `matmul`: projections `(…, K)·(K, N)` and batched products `(…, S, K)·(…, K, T)`.

pub use crate::backend::Layout;
use crate::kernels::gemm::{Strided, gemm, gemm_par};
use crate::kernels::stream::{
    STREAM_ROWS, by_column_blocks, rows_times_matrix, rows_times_rows, rows_times_rows_strided,
};
use crate::relations::{ContractsAs, SameBatch};
use crate::shape::{Extents, describe_sizes};
use crate::sizes::{agree, agree_axes};
use crate::{Element, Matrix, Native, Shape, Tensor};
use core::marker::PhantomData;

/// The shape rule of [`Tensor::matmul`]: `Self · R`, with `Output` the result's shape.
///
/// One blanket impl states the rule for every rank: the right operand's rows are the left
/// operand's last dim ([`Contracts`](crate::relations::Contracts) for a weight,
/// [`ContractsScores`](crate::relations::ContractsScores) for a batched product), and its leading dims are the left operand's
/// ([`SameBatch`]), unless it is a rank-2 weight shared by all of them.
///
/// ```
/// use infralens::prelude::*;
/// use infralens::MatMul;
///
/// dims! { pub B = 2; pub S = 4; pub D = 16; pub F = 64; }
///
/// type Y = <(B, S, D) as MatMul<(D, F)>>::Output;
/// assert_eq!(Y::symbolic(), "(B, S, F)");
/// ```
pub trait MatMul<R: Matrix>: Matrix {
    /// The result's shape: `Self` with its last dim replaced by `R`'s.
    type Output: Shape;
}

impl<L: Matrix, R: Matrix> MatMul<R> for L
where
    R::Form: ContractsAs<L::Col, R::Row>,
    R::BatchLike<L::Batch>: SameBatch<L::Batch>,
{
    type Output = L::WithCol<R::Col>;
}

/// A right-hand matmul operand: `&Tensor` or a transposed view from [`Tensor::t`].
///
/// ```
/// use infralens::prelude::*;
/// use infralens::Operand;
///
/// dims! { pub S = 4; pub D = 16; }
/// fn rows<R: Operand<f32>>(r: R) -> usize { r.sizes()[0] }
///
/// let w = Tensor::<(S, D)>::zeros();
/// assert_eq!(rows(&w), 4);
/// assert_eq!(rows(w.t()), 16);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a matmul operand",
    label = "pass a reference `&w` or a transposed view `w.t()`"
)]
pub trait Operand<E: Element, Backend: crate::Backend = Native> {
    /// The operand's logical shape.
    type Shape: Matrix;
    /// How its matrices are stored.
    #[doc(hidden)]
    fn layout(&self) -> Layout<'_, E, Backend>;
    /// The size of each axis of the logical shape.
    fn sizes(&self) -> Vec<usize>;
    /// The logical extents (internal).
    #[doc(hidden)]
    fn extents(&self) -> Extents;
}

impl<Sh: Matrix, E: Element, Backend: crate::Backend> Operand<E, Backend>
    for &Tensor<Sh, E, Backend>
{
    type Shape = Sh;
    fn layout(&self) -> Layout<'_, E, Backend> {
        Layout::contiguous(Backend::slice(self.storage()), Tensor::sizes(self), false)
    }
    fn sizes(&self) -> Vec<usize> {
        Tensor::sizes(self).to_vec()
    }
    fn extents(&self) -> Extents {
        Tensor::extents(self)
    }
}

impl<Sh: Matrix, E: Element, Backend: crate::Backend> Operand<E, Backend>
    for Transposed<'_, Sh, E, Backend>
{
    type Shape = Sh;
    fn layout(&self) -> Layout<'_, E, Backend> {
        Layout::contiguous(
            Backend::slice(self.source.storage()),
            self.source.sizes(),
            true,
        )
    }
    fn sizes(&self) -> Vec<usize> {
        self.extents_swapped()[..Sh::RANK].to_vec()
    }
    fn extents(&self) -> Extents {
        self.extents_swapped()
    }
}

impl<Sh: Matrix, E: Element, Backend: crate::Backend> Operand<E, Backend>
    for &Transposed<'_, Sh, E, Backend>
{
    type Shape = Sh;
    fn layout(&self) -> Layout<'_, E, Backend> {
        Layout::contiguous(
            Backend::slice(self.source.storage()),
            self.source.sizes(),
            true,
        )
    }
    fn sizes(&self) -> Vec<usize> {
        self.extents_swapped()[..Sh::RANK].to_vec()
    }
    fn extents(&self) -> Extents {
        self.extents_swapped()
    }
}

impl<'a, E: Element, Backend: crate::Backend> Layout<'a, E, Backend> {
    /// A contiguous tensor of `stored` sizes.
    fn contiguous(data: &'a Backend::Slice<E>, stored: &[usize], transposed: bool) -> Self {
        let rank = stored.len();
        let (rows, cols) = (stored[rank - 2], stored[rank - 1]);
        Layout {
            data,
            transposed,
            row_stride: cols,
            matrix_stride: rows * cols,
            group: 1,
        }
    }
}

/// A tensor seen with its last two axes swapped, without copying: what [`Tensor::t`]
/// returns. Pass it to [`Tensor::matmul`], where the GEMM reads it through strides, or
/// call [`Transposed::to_tensor`] for a contiguous copy.
///
/// ```
/// use infralens::prelude::*;
///
/// dims! { pub S = 2; pub D = 3; }
/// let x = Tensor::<(S, D)>::from_fn(|i| (i[0] * 3 + i[1]) as f32);
/// let xt = x.t();
/// assert_eq!(xt.describe(), "[D=3, S=2]");
/// assert_eq!(xt.to_tensor().to_vec(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
/// ```
pub struct Transposed<'a, Sh: Matrix, E: Element = f32, Backend: crate::Backend = Native> {
    source: &'a Tensor<Sh::Swapped, E, Backend>,
    shape: PhantomData<Sh>,
}

impl<Sh: Matrix, E: Element, Backend: crate::Backend> Clone for Transposed<'_, Sh, E, Backend> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Sh: Matrix, E: Element, Backend: crate::Backend> Copy for Transposed<'_, Sh, E, Backend> {}

impl<'a, Sh: Matrix, E: Element, Backend: crate::Backend> Transposed<'a, Sh, E, Backend> {
    /// The source's extents with the last two swapped: this view's sizes.
    fn extents_swapped(&self) -> Extents {
        let mut e = self.source.extents();
        e.swap(Sh::RANK - 2, Sh::RANK - 1);
        e
    }

    /// A contiguous copy in the transposed layout.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub D = 3; }
    /// let x = Tensor::<(S, D)>::randn(1);
    /// let y: Tensor<(D, S)> = x.t().to_tensor();
    /// assert_eq!(y.get(&[2, 1]), x.get(&[1, 2]));
    /// ```
    pub fn to_tensor(&self) -> Tensor<Sh, E, Backend> {
        let data = Backend::swap_axes(
            self.source.storage(),
            self.source.sizes(),
            Sh::RANK - 2,
            Sh::RANK - 1,
        );
        Tensor::from_parts(data, &self.extents_swapped()[..Sh::RANK])
    }

    /// The tensor this view reads: transposing back is free.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub D = 3; }
    /// let x = Tensor::<(S, D)>::randn(1);
    /// assert!(std::ptr::eq(x.t().t(), &x));
    /// ```
    pub fn t(self) -> &'a Tensor<Sh::Swapped, E, Backend> {
        self.source
    }

    /// The view's shape with its sizes, as [`Tensor::describe`].
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub S = 2; pub D = 3; }
    /// assert_eq!(Tensor::<(S, D)>::zeros().t().describe(), "[D=3, S=2]");
    /// ```
    pub fn describe(&self) -> String {
        describe_sizes(Sh::NAMES, &self.extents_swapped()[..Sh::RANK])
    }
}

impl<Sh: Matrix, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// Swaps the last two axes, without copying: `(B, H, S, Dh) → (B, H, Dh, S)`.
    ///
    /// The result is a [`Transposed`] view that [`matmul`](Tensor::matmul) reads through
    /// strides, so `q.matmul(&k.t())` never materialises `K^T`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub H = 4; pub S = 4; pub Dh = 4; }
    ///
    /// let q = Tensor::<(B, H, S, Dh)>::randn(1);
    /// let k = Tensor::<(B, H, S, Dh)>::randn(2);
    /// let scores: Tensor<(B, H, S, S)> = q.matmul(&k.t());
    /// # let _ = scores;
    /// ```
    pub fn t(&self) -> Transposed<'_, Sh::Swapped, E, Backend> {
        Transposed {
            source: self,
            shape: PhantomData,
        }
    }

    /// Matrix product with a weight `(K, N)`, or a batched product with a tensor of the same
    /// leading dims `(…, K, T)`; the contracted dims must be the same dim.
    ///
    /// ```
    /// use infralens::prelude::*;
    ///
    /// dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }
    ///
    /// let x = Tensor::<(B, S, D)>::randn(0);
    /// let wq = Tensor::<(D, D)>::randn(1);
    /// let q: Tensor<(B, S, D)> = x.matmul(&wq);                 // projection
    /// let q = q.split_heads::<H, Dh>();
    /// let k = x.matmul(&Tensor::<(D, D)>::randn(2)).split_heads::<H, Dh>();
    /// let scores: Tensor<(B, H, S, S)> = q.matmul(&k.t());      // batched, K read transposed
    /// # let _ = scores;
    /// ```
    ///
    /// A weight stored the wrong way round is a compile error naming both dims:
    ///
    /// ```compile_fail
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; }
    /// let x = Tensor::<(B, S, D)>::zeros();
    /// let w = Tensor::<(H, D)>::zeros();
    /// let _ = x.matmul(&w); // shape mismatch: matmul contracts `D` with `H` …
    /// ```
    pub fn matmul<R: Operand<E, Backend>>(
        &self,
        rhs: R,
    ) -> Tensor<<Sh as MatMul<R::Shape>>::Output, E, Backend>
    where
        Sh: MatMul<R::Shape>,
    {
        let a = self.sizes();
        let r = rhs.extents();
        let rank = Sh::RANK;
        let r_rank = <R::Shape as Shape>::RANK;
        let (m, k, n) = (a[rank - 2], a[rank - 1], r[r_rank - 1]);
        agree::<Sh::Col>(
            "matmul",
            (k, "the left operand's last axis"),
            (r[r_rank - 2], "the right operand's rows"),
        );
        let shared = r_rank == 2;
        if !shared {
            agree_axes::<Sh>(
                "batched matmul",
                0..rank - 2,
                (a, "the left operand"),
                (&r[..r_rank], "the right operand"),
            );
        }
        let batch: usize = a[..rank - 2].iter().product();
        let weight = if shared {
            crate::cost::product(&[k, n])
        } else {
            0
        };
        crate::cost::record(crate::cost::product(&[2, batch, m, k, n]), weight);
        let out = Backend::matmul(self.storage(), rhs.layout(), (batch, m, k, n), shared);
        let mut sizes = self.extents();
        sizes[rank - 1] = n;
        Tensor::from_parts(out, &sizes[..rank])
    }

    /// The floating-point operations of `self.matmul(rhs)`: `2 · batch · M · K · N`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 2; pub S = 4; pub D = 16; }
    /// let x = Tensor::<(B, S, D)>::zeros();
    /// let w = Tensor::<(D, D)>::zeros();
    /// assert_eq!(x.matmul_flops(&w), 2 * 8 * 16 * 16);
    /// ```
    pub fn matmul_flops<R: Operand<E, Backend>>(&self, rhs: R) -> u64
    where
        Sh: MatMul<R::Shape>,
    {
        let r = rhs.extents();
        let n = r[<R::Shape as Shape>::RANK - 1] as u64;
        2 * self.sizes().iter().map(|&s| s as u64).product::<u64>() * n
    }
}

impl<Sh: Matrix, E: Element, Backend: crate::Backend> Tensor<Sh, E, Backend> {
    /// `self · Wᵀ` for a weight `W: (Out, In)` kept in half precision: what
    /// [`Linear::forward`](crate::layers::Linear::forward) computes for a half weight, with
    /// the checks and the cost count of `self.matmul(w.t())`.
    pub(crate) fn matmul_half_t<In: crate::Dim, Out: crate::Dim>(
        &self,
        w: &crate::HalfTensor<(Out, In)>,
    ) -> Tensor<<Sh as MatMul<(In, Out)>>::Output, E, Backend>
    where
        Sh: MatMul<(In, Out)>,
    {
        let a = self.sizes();
        let rank = Sh::RANK;
        let (n, k) = (w.sizes()[0], w.sizes()[1]);
        agree::<Sh::Col>(
            "matmul",
            (a[rank - 1], "the left operand's last axis"),
            (k, "the right operand's rows"),
        );
        let rows: usize = a[..rank - 1].iter().product();
        crate::cost::record(
            crate::cost::product(&[2, rows, k, n]),
            crate::cost::product(&[k, n]),
        );
        let out = Backend::matmul_half_t(self.storage(), (w.bits(), w.half()), (rows, k, n));
        let mut sizes = self.extents();
        sizes[rank - 1] = n;
        Tensor::from_parts(out, &sizes[..rank])
    }
}

/// `out = a · b` for a few rows of `a`, `b` a weight `(k, n)` or, `transposed`, stored
/// `(n, k)`.
fn few_rows<E: Element>(
    a: &[E],
    b: &[E],
    transposed: bool,
    (rows, k, n): (usize, usize, usize),
    out: &mut [E],
) {
    if !transposed {
        rows_times_matrix(a, b, (rows, k, n), out);
        return;
    }
    if n < 256 {
        rows_times_rows(a, b, (rows, k, n), out);
        return;
    }
    // Against a weight stored `(n, k)`: each thread takes a range of output columns and
    // reads only those rows of the weight.
    by_column_blocks(
        (rows, n),
        out,
        || (),
        |(), j0, dest| {
            let cols = dest.len() / rows;
            let w = &b[j0 * k..][..cols * k];
            rows_times_rows_strided(a, w, (rows, k, cols), dest, (1, rows));
        },
    );
}

/// Many rows against a weight stored `(n, k)` in the CPU's vector instructions, the
/// weight read where it lies ([`crate::kernels::avx2`], feature `simd` on x86-64),
/// its columns split over the threads. `false` (nothing written) for another element type,
/// another CPU or another build: the caller's GEMM runs then.
fn rows_against_weight_rows<E: Element>(
    a: &[E],
    b: Layout<'_, E>,
    (rows, k, n): (usize, usize, usize),
    out: &mut [E],
) -> bool {
    #[cfg(all(feature = "simd", target_arch = "x86_64"))]
    if let (Some(x), Some(w), Some(out)) = (E::as_f32s(a), E::as_f32s(b.data), E::as_f32s_mut(out))
        && let Some(packed) = crate::kernels::avx2::PackedRows::pack(x, (rows, k))
    {
        let ldw = b.row_stride;
        let threads = crate::threads::num_threads().min(n.div_ceil(64)).max(1);
        if threads == 1 {
            packed.against(w, ldw, n, out, n);
            return true;
        }
        // Each thread takes a range of the weight's rows (the product's columns) into a
        // row-major block of its own, copied into place after.
        let per = n.div_ceil(threads);
        let mut blocks: Vec<(usize, Vec<f32>)> = (0..n)
            .step_by(per)
            .map(|j0| (j0, vec![0.0; rows * per.min(n - j0)]))
            .collect();
        crate::threads::for_each_split(
            blocks.iter_mut().collect(),
            || (),
            |(), _, (j0, block)| {
                let cols = per.min(n - *j0);
                packed.against(&w[*j0 * ldw..], ldw, cols, block, cols);
            },
        );
        for (j0, block) in &blocks {
            let cols = per.min(n - j0);
            for (dst, src) in out.chunks_exact_mut(n).zip(block.chunks_exact(cols)) {
                dst[*j0..][..cols].copy_from_slice(src);
            }
        }
        return true;
    }
    let _ = (a, b, rows, k, n, out);
    false
}

/// The work of [`Tensor::matmul`], generic over the element type only (not over shapes),
/// so that it is compiled once whatever number of shapes a program multiplies:
/// `batch` products `(m × k)·(k × n)`; the right operand is stored as `b` says (contiguous,
/// transposed, or the blocks of a KV cache), and one matrix shared by every batch index when
/// `shared`.
#[inline(never)]
pub(crate) fn matmul_kernel<E: Element>(
    (batch, m, k, n): (usize, usize, usize, usize),
    a_data: &[E],
    b: Layout<'_, E>,
    shared: bool,
) -> Vec<E> {
    let (b_data, transposed) = (b.data, b.transposed);
    let (rsb, csb) = if transposed {
        (1, b.row_stride)
    } else {
        (b.row_stride, 1)
    };
    let mut out = vec![E::ZERO; batch * m * n];
    if out.is_empty() || k == 0 {
        return out;
    }
    if shared && batch * m <= STREAM_ROWS {
        // A few rows through a weight (one token at a time): stream the weight once, split
        // over the threads by output columns when there is one row.
        few_rows(a_data, b_data, transposed, (batch * m, k, n), &mut out);
        return out;
    }
    if shared && transposed && rows_against_weight_rows(a_data, b, (batch * m, k, n), &mut out) {
        return out;
    }
    if shared {
        // A weight shared by every leading index: one GEMM over all rows.
        gemm_par(
            (batch * m, k, n),
            E::ONE,
            Strided {
                data: a_data,
                row_stride: k,
                col_stride: 1,
            },
            Strided {
                data: b_data,
                row_stride: rsb,
                col_stride: csb,
            },
            E::ZERO,
            &mut out,
        );
    } else {
        // One GEMM per leading index, split over the threads.
        #[allow(clippy::type_complexity)]
        let blocks: Vec<((&[E], &[E]), &mut [E])> = a_data
            .chunks_exact(m * k)
            .enumerate()
            .map(|(i, a)| (a, &b_data[(i / b.group) * b.matrix_stride..]))
            .zip(out.chunks_exact_mut(m * n))
            .collect();
        // A few rows against rows that lie one after another (a decode step's scores
        // against a cache's keys, or its probabilities through the values): streamed, so
        // no packing buffer the size of the right operand is allocated.
        let stream = m <= STREAM_ROWS && b.row_stride == if transposed { k } else { n };
        crate::threads::for_each_split(
            blocks,
            || (),
            |(), _, ((a, b), c)| {
                if stream {
                    if transposed {
                        rows_times_rows(a, b, (m, k, n), c);
                    } else {
                        rows_times_matrix(a, b, (m, k, n), c);
                    }
                    return;
                }
                gemm(
                    (m, k, n),
                    E::ONE,
                    Strided {
                        data: a,
                        row_stride: k,
                        col_stride: 1,
                    },
                    Strided {
                        data: b,
                        row_stride: rsb,
                        col_stride: csb,
                    },
                    E::ZERO,
                    c,
                );
            },
        );
    }
    out
}
