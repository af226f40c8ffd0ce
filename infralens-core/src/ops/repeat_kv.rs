//! `repeat_kv::<H>()`: share `Hkv` key/value heads out over `H` query heads (GQA, MQA).

use super::heads::fixed;
use crate::kernels::permute::repeat_heads;
use crate::relations::{DividesHeads, HeadsAxis};
use crate::{Dim, Element, Tensor};

impl<B: Dim, Hkv: Dim, S: Dim, Dh: Dim, E: Element> Tensor<(B, Hkv, S, Dh), E> {
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
    pub fn repeat_kv<H: Dim>(&self) -> Tensor<(B, H, S, Dh), E>
    where
        Hkv: HeadsAxis<Hkv::Kind> + DividesHeads<H>,
    {
        let x = self.sizes();
        let h = fixed::<H>();
        let data = repeat_heads(self.as_slice(), x[0], x[1], h, x[2] * x[3]);
        Tensor::from_parts(data, &[x[0], h, x[2], x[3]])
    }
}
