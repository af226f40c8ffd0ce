//! The ops, one file each: API, docs and shape rule together.
//!
//! | op | shapes | rule checked at compile time |
//! | --- | --- | --- |
//! | [`matmul`](crate::Tensor::matmul) | `(…, K)·(K, N)`, `(…, S, K)·(…, K, T)` | contracted dims and leading dims identical |
//! | [`t`](crate::Tensor::t), [`transpose`](crate::Tensor::transpose) | swap two axes | axes exist |
//! | [`reshape`](crate::Tensor::reshape) | any → any | same element count |
//! | [`split_heads`](crate::Tensor::split_heads), [`merge_heads`](crate::Tensor::merge_heads) | `(B, S, D) ↔ (B, H, S, Dh)` | `H × Dh = D`; axis 1 a heads axis |
//! | [`scale`](crate::Tensor::scale), [`softmax`](crate::Tensor::softmax) | same shape | — |
//! | [`add`](crate::Tensor::add), [`sub`](crate::Tensor::sub), [`mul`](crate::Tensor::mul) (`+ - *`) | `(B, S, D) ∘ (…, D)` | the smaller shape's dims are the larger one's trailing dims |
//! | [`causal_mask`](crate::Tensor::causal_mask) | `(…, S, S)` | last two dims identical, positions |
//! | [`masked`](crate::Tensor::masked) | `(…, S, T)` | last two dims positions |
//! | [`repeat_kv`](crate::Tensor::repeat_kv) | `(B, Hkv, S, Dh) → (B, H, S, Dh)` | `Hkv` divides `H`; axis 1 a heads axis |
//! | [`cat`](crate::cat), [`narrow`](crate::Tensor::narrow) | join or cut along an axis | other axes identical |
//! | [`scaled_dot_product_attention`](crate::scaled_dot_product_attention) | `(B,H,S,Dh)·(B,H,T,Dh)·(B,H,T,Dv)` | batch, heads, `Dh`, `T` identical; heads before positions |
//! | [`grouped_query_attention`](crate::grouped_query_attention) | `(B,H,S,Dh)·(B,Hkv,T,Dh)·(B,Hkv,T,Dv)` | as above, `Hkv` divides `H` |
//! | [`KvCache::append`](crate::KvCache::append) | `(B,Hkv,S,Dh)` into `(B,Hkv,C,Dh)` → views `(B,Hkv,T,Dh)` | — (run time: capacity) |
//!
//! Where a dim is a run-time dim (`S = dyn`), its *size* is compared when the op runs
//! (a panic naming the dim and both sizes); its name and position are still compile-time.

pub(crate) mod attention;
pub(crate) mod broadcast;
pub(crate) mod cache;
pub(crate) mod elementwise;
pub(crate) mod embedding;
pub(crate) mod heads;
pub(crate) mod join;
pub(crate) mod kv_view;
pub(crate) mod mask;
pub(crate) mod mask_type;
pub(crate) mod matmul;
pub(crate) mod norm;
pub(crate) mod positions;
pub(crate) mod repeat_kv;
pub(crate) mod reshape;
pub(crate) mod rope;
pub(crate) mod transpose;
