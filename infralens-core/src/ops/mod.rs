//! The ops, one file each: API, docs and shape rule together.
//!
//! | op | shapes | rule checked at compile time |
//! | --- | --- | --- |
//! | [`matmul`](crate::Tensor::matmul) | `(…, K)·(K, N)`, `(…, S, K)·(…, K, T)` | contracted dims and leading dims identical |
//! | [`t`](crate::Tensor::t), [`transpose`](crate::Tensor::transpose) | swap two axes | axes exist |
//! | [`reshape`](crate::Tensor::reshape) | any → any | same element count |
//! | [`split_heads`](crate::Tensor::split_heads), [`merge_heads`](crate::Tensor::merge_heads) | `(B, S, D) ↔ (B, H, S, Dh)` | `H × Dh = D` |
//! | [`scale`](crate::Tensor::scale), [`softmax`](crate::Tensor::softmax) | same shape | — |
//! | [`causal_mask`](crate::Tensor::causal_mask) | `(…, S, S)` | last two dims identical |
//! | [`repeat_kv`](crate::Tensor::repeat_kv) | `(B, Hkv, S, Dh) → (B, H, S, Dh)` | `Hkv` divides `H` |
//! | [`scaled_dot_product_attention`](crate::scaled_dot_product_attention) | `(B,H,S,Dh)·(B,H,T,Dh)·(B,H,T,Dv)` | batch, heads, `Dh`, `T` identical |
//! | [`grouped_query_attention`](crate::grouped_query_attention) | `(B,H,S,Dh)·(B,Hkv,T,Dh)·(B,Hkv,T,Dv)` | as above, `Hkv` divides `H` |

pub(crate) mod attention;
pub(crate) mod elementwise;
pub(crate) mod heads;
pub(crate) mod mask;
pub(crate) mod matmul;
pub(crate) mod repeat_kv;
pub(crate) mod reshape;
pub(crate) mod transpose;
