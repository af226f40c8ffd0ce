//! Real decoders in InfraLens: Hugging Face checkpoints (`config.json` +
//! `model.safetensors`) of the Llama family — Llama, Qwen3 (per-head q/k norm, a head width
//! set on its own), Mistral (sliding window) — and GPT-2 (learned positions, LayerNorm,
//! GELU, `Conv1D`, tied embeddings), loaded into typed shapes and run with a KV cache, every
//! layer annotated with `#[shapes]`.
//!
//! The model's widths are run-time dims bound from `config.json`, so one binary loads a
//! checkpoint of any size; their names are still types, so `(B, S, H, Dh)` against
//! `(B, H, S, Dh)` is a compile error, and the relations between them (`H × Dh` against the
//! projection widths, `Hkv` dividing `H`, an even head width for RoPE) are checked at load,
//! naming the config field.
//!
//! Matrices stay in the precision the checkpoint stores them in — `bf16` and `f16` kept half
//! in memory and read directly by the kernels, activations in `f32` — or as
//! [`WeightDtype`] chooses ([`Decoder::load_as`]).
//!
//! ```
//! use infralens_models::Decoder;
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama");
//! let model = Decoder::load(dir)?;
//! let out = model.generate(&[3, 14, 15, 92], 4)?;
//! assert_eq!(out.tokens.len(), 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod checkpoint;
pub mod config;
mod decoder;
pub mod tokenizer;

pub use checkpoint::{Checkpoint, LoadError, WeightDtype};
pub use config::{Architecture, Config};
pub use decoder::{Decoder, DecoderCache, Generation};
pub use tokenizer::{TextStream, Tokenizer};

use infralens::dims;

dims! {
    /// The batch.
    pub B: Batch = dyn;
    /// The new positions of one forward pass: the prompt, then 1 a step.
    pub S: Sequence = dyn;
    /// The positions in the KV cache after a step.
    pub T: Sequence = dyn;
    /// The KV cache's capacity and the RoPE table's positions.
    pub C: Sequence = dyn;
    /// `hidden_size`.
    pub D: ModelWidth = dyn;
    /// `num_attention_heads`.
    pub H: Heads = dyn;
    /// `num_key_value_heads`.
    pub Hkv: Heads = dyn;
    /// `head_dim` (`hidden_size / num_attention_heads` when absent).
    pub Dh: HeadWidth = dyn;
    /// The query projection's width, `H × Dh` (not always `D`: Qwen3).
    pub Dq = dyn;
    /// The key and value projections' width, `Hkv × Dh`.
    pub Dkv = dyn;
    /// `intermediate_size`.
    pub F = dyn;
    /// `vocab_size`.
    pub V = dyn;
    /// One position: the last one, whose logits pick the next token.
    pub One: Sequence = 1;
    /// GPT-2's fused `c_attn` width, `3 × D`.
    pub D3 = dyn;
    /// The three parts of `c_attn`: queries, keys, values.
    pub Three = 3;
    /// GPT-2's learned positions, `n_positions`.
    pub P: Sequence = dyn;
}
