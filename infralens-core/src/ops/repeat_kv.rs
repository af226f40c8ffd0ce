//! `repeat_kv::<H>()`: share `Hkv` key/value heads out over `H` query heads (GQA, MQA).

use crate::relations::{DividesHeads, HeadsAxis};
use crate::{Dim, DimInfo, Element, Sizes, Tensor};

impl<B: Dim, Hkv: Dim, S: Dim, Dh: Dim, E: Element, Backend: crate::Backend>
    Tensor<(B, Hkv, S, Dh), E, Backend>
{
    /// Repeats each key/value head `H / Hkv` times: `(B, Hkv, S, Dh) → (B, H, S, Dh)`.
    /// Query head `h` reads key/value head `h / (H / Hkv)`, as Llama's `repeat_kv`.
    /// `Hkv` must divide `H`; `Hkv = 1` is multi-query attention. Axis 1 must be the
    /// heads: with axis kinds declared, a `(B, S, Hkv, Dh)` tensor is refused.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub H = 8; pub Hkv = 2; pub S = 4; pub Dh = 4; }
    ///
    /// let k = Tensor::<(B, Hkv, S, Dh)>::randn(0);
    /// let k_all: Tensor<(B, H, S, Dh)> = k.repeat_kv::<H>();
    /// assert_eq!(k_all.get(&[0, 5, 1, 2]), k.get(&[0, 1, 1, 2])); // head 5 reads kv head 5 / 4
    /// ```
    #[track_caller]
    pub fn repeat_kv<H: Dim>(&self) -> Tensor<(B, H, S, Dh), E, Backend>
    where
        Hkv: HeadsAxis<Hkv::Kind> + DividesHeads<H>,
    {
        self.repeat_kv_at::<H>(None)
    }

    /// [`Tensor::repeat_kv`] where `H` is a run-time dim: its size from `sizes`, and `Hkv`
    /// dividing it checked, naming both.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// dims! { pub B = 1; pub H = dyn; pub Hkv = dyn; pub S = 2; pub Dh = 4; }
    /// let config = sizes![H = 8, Hkv = 2];
    /// let k = Tensor::<(B, Hkv, S, Dh)>::randn_in(0, &config);
    /// assert_eq!(k.repeat_kv_in::<H>(&config).describe(), "[B=1, H=8, S=2, Dh=4]");
    /// ```
    #[track_caller]
    pub fn repeat_kv_in<H: Dim>(&self, sizes: &Sizes) -> Tensor<(B, H, S, Dh), E, Backend>
    where
        Hkv: HeadsAxis<Hkv::Kind> + DividesHeads<H>,
    {
        self.repeat_kv_at::<H>(Some(sizes))
    }

    #[track_caller]
    fn repeat_kv_at<H: Dim>(&self, sizes: Option<&Sizes>) -> Tensor<(B, H, S, Dh), E, Backend> {
        let x = self.sizes();
        let h = query_heads::<H>(sizes);
        check_groups::<H, Hkv>("repeat_kv", h, x[1]);
        let data = Backend::repeat_heads(self.storage(), [x[0], x[1], x[2], x[3]], h);
        Tensor::from_parts(data, &[x[0], h, x[2], x[3]])
    }
}

/// The size of the query heads `H` that `repeat_kv` shares the key/value heads out over:
/// its compile-time size, or the one `sizes` gives.
#[track_caller]
pub(crate) fn query_heads<H: Dim>(sizes: Option<&Sizes>) -> usize {
    match H::EXTENT.or_else(|| sizes.and_then(|s| s.get::<H>())) {
        Some(h) => h,
        None => panic!(
            "repeat_kv: `{}` is a run-time dim, so its size must be given: `repeat_kv_in::<{}>(&sizes![{} = …])`",
            H::NAME,
            H::NAME,
            H::NAME
        ),
    }
}

/// `hkv` divides `h`, checked at run time, naming the dims.
#[track_caller]
pub(crate) fn check_groups<H: Dim, Hkv: Dim>(op: &str, h: usize, hkv: usize) {
    if hkv == 0 || !h.is_multiple_of(hkv) {
        panic!(
            "shape mismatch in {op}: `{}` = {hkv} key/value heads must divide `{}` = {h} query heads",
            Hkv::NAME,
            H::NAME
        );
    }
}
