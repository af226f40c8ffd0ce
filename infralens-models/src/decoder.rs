//! The Llama-family decoder: one implementation for Llama, Qwen3 and Mistral checkpoints.

use crate::{
    Architecture, B, C, Checkpoint, Config, D, D3, Dh, Dkv, Dq, F, H, Hkv, LoadError, One, P, S, V,
    WeightDtype,
};
use infralens::layers::{Conv1D, Embedding, LayerNorm, Linear, RmsNorm, SwiGlu};
use infralens::prelude::*;
use infralens::{Backend, HalfTensor, Ids, Native, Rope, RopeStyle};
use std::path::Path;

/// The Llama-family layer — its weights, the context it reads, and its `#[shapes]`
/// forward — written once against dims named `B`, `S`, `C`, `D`, `H`, `Hkv`, `Dh`,
/// `Dq`, `Dkv` and `F` in the scope where it is expanded. This crate expands it over its
/// run-time dims (widths from `config.json`); expand it in a module whose `dims!` gives them
/// compile-time sizes, and the very same code is a statically sized layer, every relation
/// checked by the compiler.
///
/// ```
/// mod tiny {
///     use infralens::layers::{Linear, RmsNorm, SwiGlu};
///     use infralens::prelude::*;
///     dims! {
///         pub B: Batch = 1; pub S: Sequence = dyn; pub C: Sequence = 8;
///         pub D: ModelWidth = 8; pub H: Heads = 2; pub Hkv: Heads = 1; pub Dh: HeadWidth = D / H;
///         pub Dq = H * Dh; pub Dkv = Hkv * Dh; pub F = 16;
///     }
///     infralens_models::llama_layer!();
/// }
/// let _ = std::mem::size_of::<tiny::Layer>();
/// ```
#[macro_export]
macro_rules! llama_layer {
    () => {
        /// One decoder layer's weights, as the checkpoint stores them, on backend `Be`
        /// (the native CPU kernels by default).
        pub struct Layer<Be: ::infralens::Backend = ::infralens::Native> {
            /// `input_layernorm`.
            pub attn_norm: RmsNorm<D, f32, Be>,
            /// `self_attn.q_proj`.
            pub q: Linear<D, Dq, f32, Be>,
            /// `self_attn.k_proj`.
            pub k: Linear<D, Dkv, f32, Be>,
            /// `self_attn.v_proj`.
            pub v: Linear<D, Dkv, f32, Be>,
            /// `self_attn.o_proj`.
            pub o: Linear<Dq, D, f32, Be>,
            /// Qwen3's RMSNorm over each head's queries and keys.
            pub qk_norm: Option<(RmsNorm<Dh, f32, Be>, RmsNorm<Dh, f32, Be>)>,
            /// `post_attention_layernorm`.
            pub mlp_norm: RmsNorm<D, f32, Be>,
            /// `mlp`: `gate_proj`, `up_proj` and `down_proj`.
            pub mlp: SwiGlu<D, F, f32, Be>,
        }

        /// What every layer reads besides its weights.
        pub struct Context<'a> {
            /// The sizes of the run-time dims.
            pub sizes: &'a ::infralens::Sizes,
            /// RoPE's table.
            pub rope: &'a ::infralens::Rope<C, Dh>,
            /// Causal, or with a sliding window.
            pub mask: ::infralens::Mask<'static>,
        }

        impl<Be: ::infralens::Backend> Layer<Be> {
            /// Attention and MLP, each with its residual: `(B, S, D) → (B, S, D)`, the new
            /// positions' keys and values appended to `cache`.
            #[shapes(x: [B, S, D] -> [B, S, D])]
            pub fn forward(
                &self,
                x: &Tensor<_, f32, Be>,
                cache: &mut KvCache<B, Hkv, C, Dh, f32, Be>,
                ctx: &Context<'_>,
            ) -> Result<Tensor<_, f32, Be>, ShapeError> {
                let h = self.attn_norm.forward(x);
                #[shape(B, H, S, Dh)]
                let q = self.q.forward(&h).split_heads_in::<H, Dh>(ctx.sizes);
                #[shape(B, Hkv, S, Dh)]
                let k = self.k.forward(&h).split_heads_in::<Hkv, Dh>(ctx.sizes);
                let v = self.v.forward(&h).split_heads_in::<Hkv, Dh>(ctx.sizes);
                let (q, k) = match &self.qk_norm {
                    Some((q_norm, k_norm)) => (q_norm.forward(&q), k_norm.forward(&k)),
                    None => (q, k),
                };
                // The new rows' positions come from the cache: they start where it ends.
                let at = cache.positions::<S>(x.sizes()[1])?;
                let q = q.rope_at(ctx.rope, &at)?;
                let k = k.rope_at(ctx.rope, &at)?;
                // Appended, then attended over everything the cache holds.
                #[shape(B, H, S, Dh)]
                let attn = cache.attend(&q, &k, &v, ctx.mask)?;
                let x = x.add(&self.o.forward(&attn.merge_heads::<Dq>()));
                let h = self.mlp_norm.forward(&x);
                Ok(x.add(&self.mlp.forward(&h)))
            }

            /// The layer on another backend (or device): one explicit copy of its weights.
            ///
            /// # Errors
            ///
            /// When the device cannot hold a weight (the backend's reason).
            pub fn to_backend<To: ::infralens::Backend>(
                &self,
                device: &To::Device,
            ) -> Result<Layer<To>, ShapeError> {
                Ok(Layer {
                    attn_norm: self.attn_norm.to_backend::<To>(device)?,
                    q: self.q.to_backend::<To>(device)?,
                    k: self.k.to_backend::<To>(device)?,
                    v: self.v.to_backend::<To>(device)?,
                    o: self.o.to_backend::<To>(device)?,
                    qk_norm: match &self.qk_norm {
                        Some((q, k)) => {
                            Some((q.to_backend::<To>(device)?, k.to_backend::<To>(device)?))
                        }
                        None => None,
                    },
                    mlp_norm: self.mlp_norm.to_backend::<To>(device)?,
                    mlp: self.mlp.to_backend::<To>(device)?,
                })
            }
        }
    };
}

llama_layer!();

/// One GPT-2 block's weights, `Conv1D`s stored `(In, Out)` as GPT-2 checkpoints keep them.
struct Gpt2Layer<Be: Backend = Native> {
    ln_1: LayerNorm<D, f32, Be>,
    c_attn: Conv1D<D, D3, f32, Be>,
    c_proj: Conv1D<D, D, f32, Be>,
    ln_2: LayerNorm<D, f32, Be>,
    c_fc: Conv1D<D, F, f32, Be>,
    mlp_proj: Conv1D<F, D, f32, Be>,
}

impl<Be: Backend> Gpt2Layer<Be> {
    /// Pre-norm attention and MLP with residuals: `(B, S, D) → (B, S, D)`.
    #[shapes(x: [B, S, D] -> [B, S, D])]
    #[allow(clippy::type_complexity)] // a tensor on a backend, in a `Result`
    fn forward(
        &self,
        x: &Tensor<_, f32, Be>,
        cache: &mut KvCache<B, Hkv, C, Dh, f32, Be>,
        ctx: &Context<'_>,
    ) -> Result<Tensor<_, f32, Be>, ShapeError> {
        let h = self.ln_1.forward(x);
        // The fused projection `(…, 3·D)`, cut into queries, keys and values.
        let [q, k, v] = self.c_attn.forward(&h).chunk_array::<3, D>();
        #[shape(B, H, S, Dh)]
        let q = q.split_heads_in::<H, Dh>(ctx.sizes);
        // GPT-2 has as many key/value heads as query heads: `Hkv = H` in its sizes.
        let k = k.split_heads_in::<Hkv, Dh>(ctx.sizes);
        let v = v.split_heads_in::<Hkv, Dh>(ctx.sizes);
        let attn = cache.attend(&q, &k, &v, ctx.mask)?;
        let x = x.add(&self.c_proj.forward(&attn.merge_heads::<D>()));
        let h = self.ln_2.forward(&x);
        #[shape(B, S, F)]
        let act = self.c_fc.forward(&h).gelu_tanh();
        Ok(x.add(&self.mlp_proj.forward(&act)))
    }

    fn to_backend<To: Backend>(&self, device: &To::Device) -> Result<Gpt2Layer<To>, ShapeError> {
        Ok(Gpt2Layer {
            ln_1: self.ln_1.to_backend::<To>(device)?,
            c_attn: self.c_attn.to_backend::<To>(device)?,
            c_proj: self.c_proj.to_backend::<To>(device)?,
            ln_2: self.ln_2.to_backend::<To>(device)?,
            c_fc: self.c_fc.to_backend::<To>(device)?,
            mlp_proj: self.mlp_proj.to_backend::<To>(device)?,
        })
    }
}

/// The blocks of one architecture family, and its final norm.
enum Blocks<Be: Backend = Native> {
    Llama(Vec<Layer<Be>>, RmsNorm<D, f32, Be>),
    Gpt2 {
        layers: Vec<Gpt2Layer<Be>>,
        ln_f: LayerNorm<D, f32, Be>,
        wpe: Tensor<(P, D), f32, Be>,
    },
}

impl<Be: Backend> Blocks<Be> {
    fn to_backend<To: Backend>(&self, device: &To::Device) -> Result<Blocks<To>, ShapeError> {
        Ok(match self {
            Blocks::Llama(layers, norm) => Blocks::Llama(
                layers
                    .iter()
                    .map(|l| l.to_backend::<To>(device))
                    .collect::<Result<_, _>>()?,
                norm.to_backend::<To>(device)?,
            ),
            Blocks::Gpt2 { layers, ln_f, wpe } => Blocks::Gpt2 {
                layers: layers
                    .iter()
                    .map(|l| l.to_backend::<To>(device))
                    .collect::<Result<_, _>>()?,
                ln_f: ln_f.to_backend::<To>(device)?,
                wpe: wpe.to_backend::<To>(device)?,
            },
        })
    }
}

/// A decoder loaded from a Hugging Face checkpoint directory: Llama, Qwen3, Mistral or
/// GPT-2. It runs on backend `Be`: the native CPU kernels by default, candle (feature
/// `candle`) after [`Decoder::to_backend`].
pub struct Decoder<Be: Backend = Native> {
    config: Config,
    embed: Embedding<V, D, f32, Be>,
    blocks: Blocks<Be>,
    /// The output projection; `None` when tied: the embedding table, read transposed (one
    /// copy of it, not two).
    lm_head: Option<Linear<D, V, f32, Be>>,
}

impl<Be: Backend> std::fmt::Debug for Decoder<Be> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What [`Decoder::generate`] gives: the logits of the last prompt position, and the
/// greedy tokens after the prompt.
#[derive(Clone, Debug, PartialEq)]
pub struct Generation {
    /// The logits `(V,)` of the last prompt position.
    pub logits: Vec<f32>,
    /// The generated tokens, one a step.
    pub tokens: Vec<u32>,
}

impl Decoder {
    /// Loads `DIR/config.json` and the checkpoint beside it, `model.safetensors` or the shards
    /// of `model.safetensors.index.json` ([`Checkpoint::open_dir`]): Llama, Qwen2, Qwen3,
    /// Mistral or GPT-2. Every weight is fetched into its typed shape; a missing tensor or a
    /// stored shape that disagrees with the config is an error naming the tensor, the dims
    /// and both shapes. Each matrix is kept in the dtype the checkpoint stores it in (a bf16
    /// checkpoint stays bf16 in memory; [`Decoder::load_as`] chooses otherwise).
    ///
    /// ```
    /// use infralens_models::Decoder;
    /// let err = Decoder::load("/no/such/model").unwrap_err();
    /// assert!(err.to_string().starts_with("cannot read /no/such/model/config.json"));
    /// ```
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, LoadError> {
        Self::load_as(dir, WeightDtype::AsStored)
    }

    /// [`Decoder::load`], with the matrices kept as `dtype` says: `bf16` or `f16` halves the
    /// memory they take and the bytes each decode step reads; activations stay `f32`.
    ///
    /// ```
    /// use infralens_models::{Decoder, WeightDtype};
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama");
    /// let full = Decoder::load_as(dir, WeightDtype::F32)?;
    /// let half = Decoder::load_as(dir, WeightDtype::Bf16)?;
    /// assert_eq!(2 * half.weight_bytes_per_token(), full.weight_bytes_per_token());
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn load_as(dir: impl AsRef<Path>, dtype: WeightDtype) -> Result<Self, LoadError> {
        let dir = dir.as_ref();
        let config = Config::load(dir)?;
        let ckpt = Checkpoint::open_dir(dir)?;
        Self::from_checkpoint_as(config, &ckpt, dtype)
    }

    /// A model from a configuration and a checkpoint already read (from memory, another
    /// file layout): every tensor the config asks for is fetched and checked as
    /// [`Decoder::load`] does, and a tensor left unread is an error.
    ///
    /// ```
    /// use infralens_models::{Checkpoint, Config, Decoder};
    /// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/qwen3");
    /// let config = Config::from_json(&std::fs::read_to_string(dir.join("config.json"))?)?;
    /// let ckpt = Checkpoint::from_bytes("in memory".into(), std::fs::read(dir.join("model.safetensors"))?)?;
    /// let model = Decoder::from_checkpoint(config, &ckpt)?;
    /// assert_eq!(model.generate(&[1, 2, 3], 2)?.tokens.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Decoder::load`], but for reading the files.
    pub fn from_checkpoint(config: Config, ckpt: &Checkpoint) -> Result<Self, LoadError> {
        Self::from_checkpoint_as(config, ckpt, WeightDtype::AsStored)
    }

    /// [`Decoder::from_checkpoint`], with the matrices kept as `dtype` says (as
    /// [`Decoder::load_as`]). GPT-2's `Conv1D` weights stay `f32`.
    ///
    /// ```
    /// use infralens_models::{Checkpoint, Config, Decoder, WeightDtype};
    /// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/llama-bf16");
    /// let config = Config::load(&dir)?;
    /// let ckpt = Checkpoint::open_dir(&dir)?;
    /// let model = Decoder::from_checkpoint_as(config, &ckpt, WeightDtype::AsStored)?;
    /// assert_eq!(model.generate(&[1, 2, 3], 2)?.tokens.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_checkpoint_as(
        config: Config,
        ckpt: &Checkpoint,
        dtype: WeightDtype,
    ) -> Result<Self, LoadError> {
        // What this load reads, apart from what the caller fetched before.
        let fetched_before = ckpt.take_used();
        let loaded = Self::from_checkpoint_counted(config, ckpt, dtype);
        ckpt.restore_used(fetched_before);
        loaded
    }

    fn from_checkpoint_counted(
        config: Config,
        ckpt: &Checkpoint,
        dtype: WeightDtype,
    ) -> Result<Self, LoadError> {
        let sizes = config.sizes(1, 1);
        let (embed, blocks) = if config.architecture == Architecture::Gpt2 {
            Self::load_gpt2(&config, ckpt, &sizes, dtype)?
        } else {
            Self::load_llama(&config, ckpt, &sizes, dtype)?
        };
        let lm_head = if config.tie_word_embeddings {
            // Tied: `transformers` uses the embedding table, whatever `lm_head.weight` holds;
            // a stored copy that differs would be silently dropped, so it is refused.
            if ckpt.contains("lm_head.weight") {
                let stored = ckpt.tensor::<(V, D)>("lm_head.weight", &sizes)?;
                // Compared as the table is kept (rounded alike when it is kept half).
                let same = match embed.half_table() {
                    Some(table) => HalfTensor::from_tensor(&stored, table.half()) == *table,
                    None => stored == *embed.table(),
                };
                if !same {
                    return Err(LoadError::Config {
                        field: "tie_word_embeddings".to_owned(),
                        message: "is true, but the checkpoint's `lm_head.weight` differs from the embedding table: `transformers` would use the table and drop `lm_head.weight`; set it to false to use `lm_head.weight`".to_owned(),
                    });
                }
            }
            None
        } else {
            // Not tied: `lm_head.weight` must be there (the missing-tensor error otherwise,
            // with the closest names).
            let head = ckpt.linear_as::<D, V>("lm_head", &sizes, dtype)?;
            Some(head)
        };
        // Every tensor is read, or the checkpoint is refused: GPT-2's causal-mask buffers
        // (`attn.bias`, `attn.masked_bias`, saved by older `transformers`) hold no weights.
        let unused: Vec<String> = ckpt
            .unused()
            .into_iter()
            .filter(|n| !(n.ends_with(".attn.bias") || n.ends_with(".attn.masked_bias")))
            .collect();
        if !unused.is_empty() {
            return Err(LoadError::Unused {
                count: unused.len(),
                names: unused.into_iter().take(3).collect(),
            });
        }
        Ok(Decoder {
            config,
            embed,
            blocks,
            lm_head,
        })
    }

    fn load_llama(
        config: &Config,
        ckpt: &Checkpoint,
        sizes: &Sizes,
        dtype: WeightDtype,
    ) -> Result<(Embedding<V, D>, Blocks), LoadError> {
        let eps = config.rms_norm_eps as f32;
        let embed = ckpt.embedding_as::<V, D>("model.embed_tokens", sizes, dtype)?;
        // Grown as the layers load: a `num_hidden_layers` the checkpoint does not hold fails
        // on the first missing tensor, not on an allocation for all of them.
        let mut layers = Vec::new();
        for i in 0..config.layers {
            let p = format!("model.layers.{i}");
            let qk_norm = if config.architecture == Architecture::Qwen3 {
                Some((
                    ckpt.rms_norm::<Dh>(&format!("{p}.self_attn.q_norm"), eps, sizes)?,
                    ckpt.rms_norm::<Dh>(&format!("{p}.self_attn.k_norm"), eps, sizes)?,
                ))
            } else {
                None
            };
            // Biases exactly when the config says so, as `transformers` builds the layers: a
            // bias the config does not ask for is left unread, and so refused below.
            let attn = Projections {
                ckpt,
                prefix: format!("{p}.self_attn"),
                flag: "attention_bias",
                says: "is true",
                bias: config.attention_bias,
                sizes,
                dtype,
            };
            // Qwen2's q, k and v have biases whatever the config says; its o has none.
            let qkv = if config.qkv_bias && !config.attention_bias {
                Projections {
                    flag: "model_type",
                    says: "is `qwen2`, whose q, k and v projections have biases",
                    bias: true,
                    ..attn.clone()
                }
            } else {
                attn.clone()
            };
            let mlp = Projections {
                prefix: format!("{p}.mlp"),
                flag: "mlp_bias",
                bias: config.mlp_bias,
                ..attn.clone()
            };
            layers.push(Layer {
                attn_norm: ckpt.rms_norm(&format!("{p}.input_layernorm"), eps, sizes)?,
                q: qkv.get("q_proj")?,
                k: qkv.get("k_proj")?,
                v: qkv.get("v_proj")?,
                o: attn.get("o_proj")?,
                qk_norm,
                mlp_norm: ckpt.rms_norm(&format!("{p}.post_attention_layernorm"), eps, sizes)?,
                mlp: SwiGlu::new(
                    mlp.get("gate_proj")?,
                    mlp.get("up_proj")?,
                    mlp.get("down_proj")?,
                ),
            });
        }
        let norm = ckpt.rms_norm("model.norm", eps, sizes)?;
        Ok((embed, Blocks::Llama(layers, norm)))
    }

    fn load_gpt2(
        config: &Config,
        ckpt: &Checkpoint,
        sizes: &Sizes,
        dtype: WeightDtype,
    ) -> Result<(Embedding<V, D>, Blocks), LoadError> {
        let eps = config.rms_norm_eps as f32;
        // `transformers` saves GPT-2 with or without the `transformer.` prefix.
        let prefix = if ckpt.contains("transformer.wte.weight") {
            "transformer."
        } else {
            ""
        };
        let norm = |name: &str| ckpt.layer_norm::<D>(&format!("{prefix}{name}"), eps, sizes);
        let embed = ckpt.embedding_as::<V, D>(&format!("{prefix}wte"), sizes, dtype)?;
        let wpe = ckpt.tensor::<(P, D)>(&format!("{prefix}wpe.weight"), sizes)?;
        // Grown as the layers load: a `num_hidden_layers` the checkpoint does not hold fails
        // on the first missing tensor, not on an allocation for all of them.
        let mut layers = Vec::new();
        for i in 0..config.layers {
            let p = format!("{prefix}h.{i}");
            layers.push(Gpt2Layer {
                ln_1: norm(&format!("h.{i}.ln_1"))?,
                c_attn: ckpt.conv1d(&format!("{p}.attn.c_attn"), sizes)?,
                c_proj: ckpt.conv1d(&format!("{p}.attn.c_proj"), sizes)?,
                ln_2: norm(&format!("h.{i}.ln_2"))?,
                c_fc: ckpt.conv1d(&format!("{p}.mlp.c_fc"), sizes)?,
                mlp_proj: ckpt.conv1d(&format!("{p}.mlp.c_proj"), sizes)?,
            });
        }
        let ln_f = norm("ln_f")?;
        Ok((embed, Blocks::Gpt2 { layers, ln_f, wpe }))
    }

    /// The model on another backend (or device): one explicit copy of every weight. Half
    /// weights stay half on the native backend and are widened to `f32` on candle, whose
    /// CPU backend has no half-precision matmul.
    ///
    /// ```
    /// use infralens::Native;
    /// let model = infralens_models::Decoder::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama"))?;
    /// let moved = model.to_backend::<Native>(&())?;
    /// assert_eq!(moved.generate(&[1, 2, 3], 2)?, model.generate(&[1, 2, 3], 2)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When the device cannot hold a weight (the backend's reason).
    pub fn to_backend<To: Backend>(&self, device: &To::Device) -> Result<Decoder<To>, ShapeError> {
        Ok(Decoder {
            config: self.config.clone(),
            embed: self.embed.to_backend::<To>(device)?,
            blocks: self.blocks.to_backend::<To>(device)?,
            lm_head: self
                .lm_head
                .as_ref()
                .map(|h| h.to_backend::<To>(device))
                .transpose()?,
        })
    }
}

impl<Be: Backend> Decoder<Be> {
    /// The configuration it was loaded with.
    ///
    /// ```
    /// let model = infralens_models::Decoder::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mistral"))?;
    /// assert_eq!(model.config().sliding_window, Some(4));
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The number of weights.
    ///
    /// ```
    /// let model = infralens_models::Decoder::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama"))?;
    /// assert!(model.parameters() > 0);
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn parameters(&self) -> usize {
        let c = &self.config;
        let (d, f, v) = (c.hidden_size, c.intermediate_size, c.vocab_size);
        let (dq, dkv) = (c.heads * c.head_dim, c.kv_heads * c.head_dim);
        let (per_layer, extra) = match &self.blocks {
            Blocks::Llama(layers, _) => {
                let qk_norm = layers.first().map_or(0, |l| {
                    if l.qk_norm.is_some() {
                        2 * c.head_dim
                    } else {
                        0
                    }
                });
                (
                    d * dq + 2 * d * dkv + dq * d + 3 * d * f + 2 * d + qk_norm,
                    d,
                )
            }
            Blocks::Gpt2 { wpe, .. } => (
                d * 3 * d + 3 * d + d * d + d + 2 * d * f + f + d + 4 * d,
                wpe.numel() + 2 * d,
            ),
        };
        let head = if c.tie_word_embeddings { 0 } else { v * d };
        v * d + head + c.layers * per_layer + extra
    }

    /// What the matrices are kept as: `"f32"`, `"bf16"`, `"f16"`, or the formats found,
    /// joined by `" and "`, when the checkpoint mixes them (loaded as stored).
    ///
    /// ```
    /// use infralens_models::{Decoder, WeightDtype};
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama-bf16");
    /// assert_eq!(Decoder::load(dir)?.weight_dtype(), "bf16");
    /// assert_eq!(Decoder::load_as(dir, WeightDtype::F32)?.weight_dtype(), "f32");
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn weight_dtype(&self) -> String {
        let name = |h: Option<infralens::Half>| h.map_or("f32".to_owned(), |h| h.to_string());
        let mut kept = vec![name(self.embed.half_table().map(|t| t.half()))];
        if let Blocks::Llama(layers, _) = &self.blocks {
            for l in layers {
                kept.push(name(l.q.half_weight().map(|w| w.half())));
                kept.push(name(l.k.half_weight().map(|w| w.half())));
                kept.push(name(l.v.half_weight().map(|w| w.half())));
                kept.push(name(l.o.half_weight().map(|w| w.half())));
            }
        } else {
            kept.push("f32".to_owned());
        }
        if let Some(head) = &self.lm_head {
            kept.push(name(head.half_weight().map(|w| w.half())));
        }
        kept.sort();
        kept.dedup();
        kept.join(" and ")
    }

    /// The bytes of weights one position's matrix products read: every projection once,
    /// and the output projection (the embedding table itself when tied) — at the precision
    /// each is kept in ([`Decoder::load_as`]). Norms, biases and the one embedding row looked
    /// up are left out. A decode step reads this and its KV cache.
    ///
    /// ```
    /// use infralens_models::{Decoder, WeightDtype};
    /// let model = Decoder::load_as(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama"), WeightDtype::F32)?;
    /// let c = model.config();
    /// let (d, f, v, dq, dkv) = (c.hidden_size, c.intermediate_size, c.vocab_size, c.heads * c.head_dim, c.kv_heads * c.head_dim);
    /// let per_layer = 2 * d * dq + 2 * d * dkv + 3 * d * f;
    /// assert_eq!(model.weight_bytes_per_token(), 4 * (c.layers * per_layer + v * d));
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn weight_bytes_per_token(&self) -> usize {
        let c = &self.config;
        let layers: usize = match &self.blocks {
            Blocks::Llama(layers, _) => layers
                .iter()
                .map(|l| {
                    l.q.weight_bytes()
                        + l.k.weight_bytes()
                        + l.v.weight_bytes()
                        + l.o.weight_bytes()
                        + l.mlp.weight_bytes()
                })
                .sum(),
            // `Conv1D`s are kept in `f32`.
            Blocks::Gpt2 { .. } => {
                let (d, f) = (c.hidden_size, c.intermediate_size);
                c.layers * 4 * (3 * d * d + d * d + 2 * d * f)
            }
        };
        let head = match &self.lm_head {
            Some(head) => head.weight_bytes(),
            None => self.embed.table_bytes(),
        };
        layers + head
    }

    /// The bytes of KV cache one position takes over all layers (`f32`):
    /// `2 · layers · Hkv · Dh · 4`.
    ///
    /// ```
    /// let model = infralens_models::Decoder::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama"))?;
    /// assert_eq!(model.kv_bytes_per_token(), 2 * 2 * 2 * 16 * 4);
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn kv_bytes_per_token(&self) -> usize {
        2 * self.config.layers * self.config.kv_heads * self.config.head_dim * 4
    }

    /// The floating-point operations of the matrix products in one forward pass over
    /// `positions` new positions, 2 a multiply-add: every layer's projections on every
    /// position, the output projection on the last one only (the logits a step needs).
    /// The embedding lookup multiplies nothing, and attention's scores and weighted sums
    /// (which grow with the cache) are left out. A decode step is `flops(1)`, a prefill of
    /// `n` tokens `flops(n)`.
    ///
    /// ```
    /// let model = infralens_models::Decoder::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama"))?;
    /// let c = model.config();
    /// let (d, f, v, dq, dkv) = (c.hidden_size, c.intermediate_size, c.vocab_size, c.heads * c.head_dim, c.kv_heads * c.head_dim);
    /// let layer = 2 * d * dq + 2 * d * dkv + 3 * d * f;
    /// assert_eq!(model.flops(1), 2 * (c.layers * layer + v * d));
    /// assert_eq!(model.flops(8), 2 * (8 * c.layers * layer + v * d));
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn flops(&self, positions: usize) -> usize {
        let c = &self.config;
        let (d, f, v) = (c.hidden_size, c.intermediate_size, c.vocab_size);
        let (dq, dkv) = (c.heads * c.head_dim, c.kv_heads * c.head_dim);
        let layer = match &self.blocks {
            Blocks::Llama(..) => 2 * d * dq + 2 * d * dkv + 3 * d * f,
            Blocks::Gpt2 { .. } => 4 * d * d + 2 * d * f,
        };
        2 * (positions * c.layers * layer + v * d)
    }

    /// Runs the prompt, then `steps` greedy tokens through the KV cache (one new position a
    /// step): the logits of the last prompt position and the generated tokens.
    ///
    /// Errors (never panics) when the prompt is empty, a token id is not below
    /// `vocab_size`, or prompt and steps together exceed `max_position_embeddings`.
    ///
    /// ```
    /// let model = infralens_models::Decoder::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama"))?;
    /// let err = model.generate(&[999], 1).unwrap_err();
    /// assert_eq!(err.to_string(), "token id 999 (at position 0) is not a row of the embedding table: `V` = 256, ids go from 0 to 255");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn generate(&self, prompt: &[u32], steps: usize) -> Result<Generation, ShapeError> {
        self.generate_with(prompt, steps, |_, _| {})
    }

    /// [`Decoder::generate`], calling `on_token(step, token)` after each token.
    ///
    /// ```
    /// let model = infralens_models::Decoder::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/qwen3"))?;
    /// let mut seen = Vec::new();
    /// model.generate_with(&[1, 2, 3], 2, |_, token| seen.push(token))?;
    /// assert_eq!(seen.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn generate_with(
        &self,
        prompt: &[u32],
        steps: usize,
        on_token: impl FnMut(usize, u32),
    ) -> Result<Generation, ShapeError> {
        let c = &self.config;
        let total = prompt.len().saturating_add(steps);
        if prompt.is_empty() || total > c.max_positions {
            return Err(generation_error(prompt.len(), steps, c.max_positions));
        }
        if steps == 0 {
            // No token to choose: the prompt's logits alone.
            use infralens::generate::CausalLm;
            let mut cache = self.new_cache(total)?;
            return Ok(Generation {
                logits: self.forward(prompt, &mut cache)?,
                tokens: Vec::new(),
            });
        }
        let out = infralens::generate::generate_with(
            self,
            prompt,
            steps,
            &mut infralens::Sampler::greedy(),
            &[],
            on_token,
        )?;
        Ok(Generation {
            logits: out.logits.into_iter().next().unwrap_or_default(),
            tokens: out.tokens,
        })
    }

    /// One forward pass of new positions `ids`: the logits of the last one.
    #[allow(clippy::type_complexity)] // a tensor on a backend, in a `Result`
    fn step(
        &self,
        ids: &[u32],
        state: &mut DecoderCache<Be>,
    ) -> Result<Tensor<(B, One, V), f32, Be>, ShapeError> {
        let ctx = Context {
            sizes: &state.sizes,
            rope: &state.rope,
            mask: state.mask,
        };
        let (caches, ctx) = (&mut state.caches, &ctx); // disjoint fields of `state`
        let at = ctx.sizes.with::<S>(ids.len());
        let ids = Ids::<(B, S)>::from_vec_in(ids.to_vec(), &at)?;
        let mut x = self.embed.forward(&ids)?;
        let s = ids.sizes()[1];
        let last = match &self.blocks {
            Blocks::Llama(layers, norm) => {
                for (layer, cache) in layers.iter().zip(caches.iter_mut()) {
                    x = layer.forward(&x, cache, ctx)?;
                }
                norm.forward(&x.narrow::<1, One>(s - 1, 1))
            }
            Blocks::Gpt2 { layers, ln_f, wpe } => {
                // Learned positions: the rows of the positions the cache hands out.
                if let Some(cache) = caches.first() {
                    x = x.add(&wpe.at_positions(&cache.positions::<S>(s)?)?);
                }
                for (layer, cache) in layers.iter().zip(caches.iter_mut()) {
                    x = layer.forward(&x, cache, ctx)?;
                }
                ln_f.forward(&x.narrow::<1, One>(s - 1, 1))
            }
        };
        Ok(match &self.lm_head {
            Some(head) => head.forward(&last),
            None => self.embed.unembed(&last),
        })
    }
}

/// What a [`Decoder`] keeps between decode steps: a KV cache per layer, the RoPE table and
/// the sizes of its run-time dims, for a capacity of positions.
pub struct DecoderCache<Be: Backend = Native> {
    caches: Vec<KvCache<B, Hkv, C, Dh, f32, Be>>,
    sizes: infralens::Sizes,
    rope: Rope<C, Dh>,
    mask: Mask<'static>,
}

impl<Be: Backend> std::fmt::Debug for DecoderCache<Be> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecoderCache")
            .field("layers", &self.caches.len())
            .field("len", &self.caches.first().map_or(0, KvCache::len))
            .finish_non_exhaustive()
    }
}

/// The decoder as [`infralens::generate`] and [`infralens::testing`] drive any model.
///
/// ```
/// use infralens::generate::CausalLm;
/// let model = infralens_models::Decoder::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama"))?;
/// let check = infralens::testing::check_cached_decode(&model, &[3, 14, 15, 92, 65], 2, 1e-4)?;
/// assert_eq!(check.positions, 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl<Be: Backend> infralens::generate::CausalLm for Decoder<Be> {
    type Cache = DecoderCache<Be>;

    fn new_cache(&self, capacity: usize) -> Result<DecoderCache<Be>, ShapeError> {
        let c = &self.config;
        if capacity > c.max_positions {
            return Err(ShapeError::from_message(format!(
                "a cache of {capacity} positions is more than `max_position_embeddings` = {}",
                c.max_positions
            )));
        }
        let sizes = c.sizes(1, capacity);
        // GPT-2 has learned positions instead; its table is never read.
        let theta = if c.rope_theta > 0.0 {
            c.rope_theta
        } else {
            10_000.0
        };
        let rope = Rope::<C, Dh>::scaled(theta, c.rope_scaling, RopeStyle::Halves, &sizes);
        let mask = match c.sliding_window {
            Some(w) => Mask::sliding_window(w),
            None => Mask::Causal,
        };
        // The caches live where the weights do (a GPU's memory with candle's features).
        let device = self.embed.device();
        let caches = (0..c.layers)
            .map(|_| KvCache::new_on(&sizes, &device))
            .collect::<Result<_, _>>()?;
        Ok(DecoderCache {
            caches,
            sizes,
            rope,
            mask,
        })
    }

    fn forward(
        &self,
        tokens: &[u32],
        cache: &mut DecoderCache<Be>,
    ) -> Result<Vec<f32>, ShapeError> {
        if tokens.is_empty() {
            return Err(generation_error(0, 0, self.config.max_positions));
        }
        let position = cache.caches.first().map_or(0, KvCache::len) + tokens.len() - 1;
        let logits = self.step(tokens, cache)?.into_vec();
        // NaN or infinite weights (or an overflow) give no distribution to choose from.
        if let Some(bad) = logits.iter().find(|x| !x.is_finite()) {
            return Err(ShapeError::from_message(format!(
                "the logits of position {position} are not finite ({bad} among them): the checkpoint holds NaN or infinite weights, or the activations overflowed"
            )));
        }
        Ok(logits)
    }
}

fn generation_error(prompt: usize, steps: usize, max: usize) -> ShapeError {
    let message = if prompt == 0 {
        "the prompt is empty: give at least one token".to_owned()
    } else {
        format!(
            "{prompt} prompt tokens and {steps} steps make {} positions, more than `max_position_embeddings` = {max}",
            // In u128: the sum of two `usize`s never wraps there (it did, to "1 positions").
            prompt as u128 + steps as u128
        )
    };
    ShapeError::from_message(message)
}

/// The `nn.Linear`s under `prefix` (`model.layers.0.self_attn`), each `{name}.weight` with
/// `{name}.bias` when `bias` (the config's `flag`) is set, and then required: a config that
/// asks for biases the checkpoint lacks is refused by the flag's name (`transformers` would
/// start them at random).
#[derive(Clone)]
struct Projections<'a> {
    ckpt: &'a Checkpoint,
    prefix: String,
    /// The config field that asks for the biases, and what it says ("is true").
    flag: &'static str,
    says: &'static str,
    bias: bool,
    sizes: &'a Sizes,
    /// How the weights are kept.
    dtype: WeightDtype,
}

impl Projections<'_> {
    fn get<In: Dim, Out: Dim>(&self, name: &str) -> Result<Linear<In, Out>, LoadError> {
        let name = format!("{}.{name}", self.prefix);
        let bias = format!("{name}.bias");
        if self.bias && !self.ckpt.contains(&bias) {
            return Err(LoadError::Config {
                field: self.flag.to_owned(),
                message: format!("{}, but the checkpoint has no `{bias}`", self.says),
            });
        }
        let bias = if self.bias {
            Some(self.ckpt.tensor::<(Out,)>(&bias, self.sizes)?)
        } else {
            // A bias the config does not ask for is left unread, and so refused below.
            None
        };
        self.ckpt
            .linear_with(&format!("{name}.weight"), bias, self.sizes, self.dtype)
    }
}
