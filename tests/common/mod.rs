//! Shared test helpers: plain f64 references and a tolerance check.
#![allow(dead_code)] // each test binary uses a part

/// The tolerance the ops promise for `f32`: `1e-5 · sqrt(K)` for contraction length `K`.
pub fn f32_tolerance(k: usize) -> f64 {
    1e-5 * (k as f64).sqrt()
}

/// Asserts `got` and `want` have the same length and differ by at most `tol` anywhere.
#[track_caller]
pub fn assert_close<E: Copy + Into<f64>>(got: &[E], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "lengths differ");
    let (worst, at) = got
        .iter()
        .zip(want)
        .enumerate()
        .map(|(i, (&g, &w))| ((g.into() - w).abs(), i))
        .fold((0.0f64, 0), |a, b| if b.0 > a.0 { b } else { a });
    assert!(
        worst <= tol,
        "max abs error {worst:e} at {at} exceeds {tol:e}"
    );
    assert!(
        got.iter().all(|&g| g.into().is_finite()),
        "non-finite output"
    );
}

pub fn to_f64<E: Copy + Into<f64>>(v: &[E]) -> Vec<f64> {
    v.iter().map(|&x| x.into()).collect()
}

/// `c[bt][i][j] = Σ_p a[bt][i][p] · b[bt or 0][p][j]`; `b` shared when `b_batched` is false.
pub fn matmul(
    a: &[f64],
    b: &[f64],
    batch: usize,
    m: usize,
    k: usize,
    n: usize,
    b_batched: bool,
) -> Vec<f64> {
    let mut c = vec![0.0; batch * m * n];
    for bt in 0..batch {
        let bo = if b_batched { bt * k * n } else { 0 };
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0.0;
                for p in 0..k {
                    acc += a[(bt * m + i) * k + p] * b[bo + p * n + j];
                }
                c[(bt * m + i) * n + j] = acc;
            }
        }
    }
    c
}

/// Swaps the last two axes of `batch` matrices of `m × n`.
pub fn transpose_last(a: &[f64], batch: usize, m: usize, n: usize) -> Vec<f64> {
    let mut t = vec![0.0; a.len()];
    for bt in 0..batch {
        for i in 0..m {
            for j in 0..n {
                t[(bt * n + j) * m + i] = a[(bt * m + i) * n + j];
            }
        }
    }
    t
}

/// Softmax of every row of length `n`; masked entries are `-inf`.
pub fn softmax(a: &[f64], n: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(a.len());
    for row in a.chunks(n) {
        let max = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        if max == f64::NEG_INFINITY {
            out.extend(std::iter::repeat_n(0.0, n));
            continue;
        }
        let e: Vec<f64> = row.iter().map(|x| (x - max).exp()).collect();
        let s: f64 = e.iter().sum();
        out.extend(e.iter().map(|x| x / s));
    }
    out
}

/// Which keys a query sees, written from the definitions (not from `Mask`'s code):
/// `sees(b, i, j, s, t)` for batch `b`, query `i` of `s`, key `j` of `t`.
#[derive(Clone, Copy, Debug)]
#[allow(dead_code)]
pub enum RefMask<'a> {
    /// Every key.
    None,
    /// PyTorch's `is_causal`: `j <= i`.
    TopLeft,
    /// FlashAttention's: `j <= i + (t - s)`.
    BottomRight,
    /// The first query is position `p`: `j <= p + i`.
    From(usize),
    /// Bottom-right, and at most the `w` last keys: `p - w < j <= p` for `p = i + t - s`.
    Window(usize),
    /// Bottom-right causal (or not) with `lengths[b]` real keys.
    Lengths(&'a [usize], bool),
}

impl RefMask<'_> {
    /// Whether query `i` of batch `b` sees key `j`.
    pub fn sees(&self, b: usize, i: usize, j: usize, s: usize, t: usize) -> bool {
        let (i, j, s, t) = (i as i64, j as i64, s as i64, t as i64);
        match *self {
            RefMask::None => true,
            RefMask::TopLeft => j <= i,
            RefMask::BottomRight => j <= i + t - s,
            RefMask::From(p) => j <= p as i64 + i,
            RefMask::Window(w) => {
                let p = i + t - s;
                j <= p && j > p - w as i64
            }
            RefMask::Lengths(lengths, causal) => {
                j < lengths[b] as i64 && (!causal || j <= i + t - s)
            }
        }
    }
}

/// Attention written out: `q (b,h,s,dh)`, `k (b,hkv,t,dh)`, `v (b,hkv,t,dv)`.
#[allow(clippy::too_many_arguments)]
pub fn attention(
    q: &[f64],
    k: &[f64],
    v: &[f64],
    (b, h, hkv, s, t, dh, dv): (usize, usize, usize, usize, usize, usize, usize),
    mask: RefMask<'_>,
) -> Vec<f64> {
    let scale = 1.0 / (dh as f64).sqrt();
    let mut out = vec![0.0; b * h * s * dv];
    for bi in 0..b {
        for hi in 0..h {
            let kh = hi / (h / hkv);
            for i in 0..s {
                let mut scores = vec![f64::NEG_INFINITY; t];
                for (j, score) in scores.iter_mut().enumerate() {
                    if !mask.sees(bi, i, j, s, t) {
                        continue;
                    }
                    let mut acc = 0.0;
                    for d in 0..dh {
                        acc += q[((bi * h + hi) * s + i) * dh + d]
                            * k[((bi * hkv + kh) * t + j) * dh + d];
                    }
                    *score = acc * scale;
                }
                let p = softmax(&scores, t);
                for e in 0..dv {
                    let mut acc = 0.0;
                    for (j, pj) in p.iter().enumerate() {
                        acc += pj * v[((bi * hkv + kh) * t + j) * dv + e];
                    }
                    out[((bi * h + hi) * s + i) * dv + e] = acc;
                }
            }
        }
    }
    out
}

/// `t` on backend `Bk` (its default device): the tests build their inputs natively, move
/// them, and compare what comes back against the f64 reference.
pub fn on<Bk: infralens::Backend, Sh: infralens::Shape, E: infralens::Element>(
    t: &infralens::Tensor<Sh, E>,
) -> infralens::Tensor<Sh, E, Bk> {
    t.to_backend::<Bk>(&Bk::default_device())
        .expect("the test backend holds the tensor")
}

/// `t` back on the native backend, to read it element by element.
pub fn back<Bk: infralens::Backend, Sh: infralens::Shape, E: infralens::Element>(
    t: &infralens::Tensor<Sh, E, Bk>,
) -> infralens::Tensor<Sh, E> {
    t.to_backend::<infralens::Native>(&())
        .expect("the native backend holds the tensor")
}

/// A `#[test]` per backend for each generic test function `name::<Bk>()`: `native::name`
/// always, `candle::name` with the feature `candle`.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod native {
            $(#[test]
            fn $name() {
                super::$name::<infralens::Native>();
            })*
        }
        #[cfg(feature = "candle")]
        mod candle {
            $(#[test]
            fn $name() {
                super::$name::<infralens::Candle>();
            })*
        }
    };
}
