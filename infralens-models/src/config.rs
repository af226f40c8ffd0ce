//! `config.json` as `transformers` 4.x and 5.x write it, read into the sizes of the dims.

use crate::{B, C, D, D3, Dh, Dkv, Dq, F, H, Hkv, LoadError, P, V};
use infralens::{RopeScaling, Sizes};
use serde_json::Value;
use std::path::Path;

/// The decoder architectures this crate runs.
///
/// ```
/// use infralens_models::Architecture;
/// assert_eq!(Architecture::from_model_type("qwen3"), Some(Architecture::Qwen3));
/// assert_eq!(Architecture::from_model_type("gpt_neox"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Architecture {
    /// Llama 2 and 3: RMSNorm, RoPE, GQA, SwiGLU.
    Llama,
    /// Qwen3: Llama's block with RMSNorm on each head's queries and keys, and `head_dim` set
    /// on its own (`H × Dh` need not be `D`).
    Qwen3,
    /// Mistral: Llama's block with a sliding attention window.
    Mistral,
    /// Qwen2 and Qwen2.5: Llama's block with biases on the q, k and v projections.
    Qwen2,
    /// GPT-2: learned positions, LayerNorm, GELU (tanh), `Conv1D` layers stored `(In, Out)`
    /// with a fused `c_attn`, tied embeddings.
    Gpt2,
}

impl Architecture {
    /// The architecture of a `model_type`.
    ///
    /// ```
    /// use infralens_models::Architecture;
    /// assert_eq!(Architecture::from_model_type("llama"), Some(Architecture::Llama));
    /// ```
    pub fn from_model_type(model_type: &str) -> Option<Self> {
        match model_type {
            "llama" => Some(Architecture::Llama),
            "qwen3" => Some(Architecture::Qwen3),
            "mistral" => Some(Architecture::Mistral),
            "qwen2" => Some(Architecture::Qwen2),
            "gpt2" => Some(Architecture::Gpt2),
            _ => None,
        }
    }
}

/// A model's configuration: the fields of `config.json` the decoder uses.
///
/// ```
/// use infralens_models::Config;
/// let config = Config::from_json(r#"{"model_type": "llama", "hidden_size": 64,
///     "num_attention_heads": 4, "num_key_value_heads": 3, "intermediate_size": 96,
///     "num_hidden_layers": 2, "vocab_size": 256, "max_position_embeddings": 128}"#);
/// assert_eq!(
///     config.unwrap_err().to_string(),
///     "config.json: `num_key_value_heads` = 3 must divide `num_attention_heads` = 4 (`Hkv` divides `H`)"
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// `model_type`.
    pub architecture: Architecture,
    /// `hidden_size`: `D`.
    pub hidden_size: usize,
    /// `num_attention_heads`: `H`.
    pub heads: usize,
    /// `num_key_value_heads`: `Hkv` (`H` when absent).
    pub kv_heads: usize,
    /// `head_dim`: `Dh` (`hidden_size / num_attention_heads` when absent).
    pub head_dim: usize,
    /// `intermediate_size`: `F`.
    pub intermediate_size: usize,
    /// `num_hidden_layers`.
    pub layers: usize,
    /// `vocab_size`: `V`.
    pub vocab_size: usize,
    /// `max_position_embeddings`: the positions RoPE's table covers.
    pub max_positions: usize,
    /// `rms_norm_eps` (GPT-2: `layer_norm_epsilon`).
    pub rms_norm_eps: f64,
    /// `rope_theta`, or `rope_parameters.rope_theta` (transformers 5); unused by GPT-2.
    pub rope_theta: f64,
    /// `rope_scaling` (transformers 4) or `rope_parameters` (5): `default`, `linear` or
    /// `llama3` (Llama 3.1 and 3.2); any other kind is refused.
    pub rope_scaling: RopeScaling,
    /// `sliding_window` when the model uses one (Mistral).
    pub sliding_window: Option<usize>,
    /// `tie_word_embeddings`: the output projection is the embedding table.
    pub tie_word_embeddings: bool,
    /// `attention_bias` (Llama, Qwen3; GPT-2 always): the q/k/v/o projections have biases.
    pub attention_bias: bool,
    /// `mlp_bias` (Llama; GPT-2 always): the MLP's projections have biases.
    pub mlp_bias: bool,
    /// The q, k and v projections have biases and o has none, whatever `attention_bias`
    /// says (Qwen2 and Qwen2.5).
    pub qkv_bias: bool,
    /// `eos_token_id` (one id or a list): the ids that end generation.
    /// [`Config::load`] takes them from `generation_config.json` when it names them, as
    /// `transformers`' `generate` does.
    pub eos_token_ids: Vec<u32>,
}

/// The widest width (`H × Dh`, `D`) a config may give: 2^24, far past any model (Llama 3
/// 405B is 16,384 wide), and small enough that no product of the program's sizes wraps.
const MAX_WIDTH: usize = 1 << 24;

fn field(json: &Value, name: &str) -> Result<usize, LoadError> {
    match json.get(name) {
        Some(v) => v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| LoadError::Config {
                field: name.to_owned(),
                message: format!("must be a whole number of at least 1, not {v}"),
            }),
        None => Err(LoadError::Config {
            field: name.to_owned(),
            message: "is missing".to_owned(),
        }),
    }
}

/// A positive finite number (`rms_norm_eps`, `rope_theta`), or `default` when absent.
fn positive(json: &Value, name: &str, default: f64) -> Result<f64, LoadError> {
    match json.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_f64()
            .filter(|x| x.is_finite() && *x > 0.0)
            .ok_or_else(|| LoadError::Config {
                field: name.to_owned(),
                message: format!("must be a number above 0, not {v}"),
            }),
    }
}

/// What a field that changes the computation must hold for this decoder to compute what
/// `transformers` does.
#[derive(Clone, Copy)]
enum Implemented {
    /// Absent, `null` or `false`.
    False,
    /// Absent, `null` or `true`.
    True,
    /// Absent, `null` or one of these strings.
    OneOf(&'static [&'static str]),
    /// Absent, `null` or this number.
    Number(f64),
}

/// A `config.json` field that changes what the model computes, and what this decoder
/// implements of it. Stated once here: [`Config::from_json`] refuses every other value by
/// name, never runs it with plain defaults.
struct Computes {
    field: &'static str,
    /// The architectures whose `transformers` code reads the field (others ignore it).
    architectures: &'static [Architecture],
    implemented: Implemented,
    /// What a value other than the implemented one asks for.
    asks_for: &'static str,
}

use Architecture::{Gpt2, Llama, Mistral, Qwen2, Qwen3};

const COMPUTES: &[Computes] = &[
    Computes {
        field: "hidden_act",
        architectures: &[Llama, Qwen3, Mistral, Qwen2],
        implemented: Implemented::OneOf(&["silu", "swish"]),
        asks_for: "another activation in the MLP's gate",
    },
    Computes {
        field: "activation_function",
        architectures: &[Gpt2],
        implemented: Implemented::OneOf(&["gelu_new", "gelu_pytorch_tanh", "gelu_fast"]),
        asks_for: "another activation in the MLP",
    },
    Computes {
        field: "partial_rotary_factor",
        architectures: &[Llama, Qwen3, Mistral, Qwen2],
        implemented: Implemented::Number(1.0),
        asks_for: "RoPE on part of each head only",
    },
    Computes {
        field: "attn_logit_softcapping",
        architectures: &[Llama, Qwen3, Mistral, Qwen2],
        implemented: Implemented::OneOf(&[]),
        asks_for: "capped attention scores",
    },
    Computes {
        field: "final_logit_softcapping",
        architectures: &[Llama, Qwen3, Mistral, Qwen2],
        implemented: Implemented::OneOf(&[]),
        asks_for: "capped logits",
    },
    Computes {
        field: "scale_attn_weights",
        architectures: &[Gpt2],
        implemented: Implemented::True,
        asks_for: "attention scores not divided by `sqrt(Dh)`",
    },
    Computes {
        field: "scale_attn_by_inverse_layer_idx",
        architectures: &[Gpt2],
        implemented: Implemented::False,
        asks_for: "attention scores divided by the layer's number as well",
    },
    Computes {
        field: "add_cross_attention",
        architectures: &[Gpt2],
        implemented: Implemented::False,
        asks_for: "cross-attention to an encoder",
    },
];

/// The value a field holds when it is not what this decoder implements.
fn unimplemented_value<'a>(json: &'a Value, rule: &Computes) -> Option<&'a Value> {
    let value = json.get(rule.field).filter(|v| !v.is_null())?;
    let holds = match rule.implemented {
        Implemented::False => value.as_bool() == Some(false),
        Implemented::True => value.as_bool() == Some(true),
        Implemented::OneOf(allowed) => value.as_str().is_some_and(|v| allowed.contains(&v)),
        Implemented::Number(n) => value.as_f64() == Some(n),
    };
    (!holds).then_some(value)
}

/// Fields that change what the model computes and that this decoder does not implement:
/// refused by name, never ignored (a Llama 3.1 checkpoint run with plain RoPE gives wrong
/// logits at every position).
fn refuse_unimplemented(json: &Value, architecture: Architecture) -> Result<(), LoadError> {
    // `rope_scaling` (transformers 4) or `rope_parameters.rope_type` (5): only plain RoPE.
    let scaling = [json.get("rope_scaling"), json.get("rope_parameters")];
    for (field, value) in ["rope_scaling", "rope_parameters"].iter().zip(scaling) {
        let Some(value) = value.filter(|v| !v.is_null()) else {
            continue;
        };
        let kind = rope_kind(value);
        if !matches!(kind, "default" | "linear" | "llama3") {
            return Err(LoadError::Config {
                field: (*field).to_owned(),
                message: format!(
                    "asks for RoPE scaling `{kind}`, which this decoder does not implement: it would run plain RoPE and give wrong logits"
                ),
            });
        }
    }
    for rule in COMPUTES
        .iter()
        .filter(|r| r.architectures.contains(&architecture))
    {
        if let Some(value) = unimplemented_value(json, rule) {
            let implemented = match rule.implemented {
                Implemented::False => "`false`".to_owned(),
                Implemented::True => "`true`".to_owned(),
                Implemented::OneOf(&[]) => "the field left out".to_owned(),
                Implemented::Number(n) => format!("`{n}`"),
                Implemented::OneOf(allowed) => allowed
                    .iter()
                    .map(|a| format!("`\"{a}\"`"))
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            return Err(LoadError::Config {
                field: rule.field.to_owned(),
                message: format!(
                    "is {value}: {}, which this decoder does not implement (it computes with {implemented}); it is refused rather than run with wrong logits",
                    rule.asks_for
                ),
            });
        }
    }
    // Sliding windows on some layers only: Qwen3 windows the layers from `max_window_layers`
    // on, and `layer_types` (transformers 5) says layer by layer; this decoder windows all
    // of them or none.
    if let Some(types) = json.get("layer_types").and_then(Value::as_array) {
        let mut kinds: Vec<&str> = types.iter().map(|t| t.as_str().unwrap_or("?")).collect();
        kinds.sort_unstable();
        kinds.dedup();
        if let Some(other) = kinds
            .iter()
            .find(|k| !matches!(**k, "full_attention" | "sliding_attention"))
        {
            return Err(LoadError::Config {
                field: "layer_types".to_owned(),
                message: format!(
                    "names a layer kind `{other}`; this decoder runs `full_attention` and `sliding_attention` layers"
                ),
            });
        }
        if kinds.len() > 1 {
            return Err(LoadError::Config {
                field: "layer_types".to_owned(),
                message: "mixes `full_attention` and `sliding_attention` layers; this decoder gives every layer the same attention".to_owned(),
            });
        }
    } else if matches!(architecture, Qwen2 | Qwen3)
        && json.get("use_sliding_window").and_then(Value::as_bool) == Some(true)
        && json
            .get("max_window_layers")
            .and_then(Value::as_u64)
            .is_none_or(|n| n > 0)
    {
        return Err(LoadError::Config {
            field: "max_window_layers".to_owned(),
            message: "with `use_sliding_window` gives a window to some layers only; this decoder gives every layer the same attention".to_owned(),
        });
    }
    Ok(())
}

/// The kind of RoPE a `rope_scaling` or `rope_parameters` object asks for: its
/// `rope_type` (`type` in older configs), `default` when it names none.
fn rope_kind(value: &Value) -> &str {
    value
        .get("rope_type")
        .or_else(|| value.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("default")
}

/// The RoPE scaling of `rope_scaling` (transformers 4) or `rope_parameters` (5), its kind
/// already checked by [`refuse_unimplemented`]: `default`, `linear` or `llama3`.
fn rope_scaling(json: &Value) -> Result<RopeScaling, LoadError> {
    let found = ["rope_parameters", "rope_scaling"]
        .into_iter()
        .find_map(|f| json.get(f).filter(|v| v.is_object()).map(|v| (f, v)));
    let Some((field, value)) = found else {
        return Ok(RopeScaling::None);
    };
    let kind = rope_kind(value);
    let number = |name: &str| -> Result<f64, LoadError> {
        value
            .get(name)
            .and_then(Value::as_f64)
            .ok_or_else(|| LoadError::Config {
                field: format!("{field}.{name}"),
                message: format!("must be a number for RoPE scaling `{kind}`"),
            })
    };
    let scaling = match kind {
        "linear" => RopeScaling::Linear {
            factor: number("factor")?,
        },
        "llama3" => RopeScaling::Llama3 {
            factor: number("factor")?,
            low_freq_factor: number("low_freq_factor")?,
            high_freq_factor: number("high_freq_factor")?,
            original_max_positions: field_in(value, field, "original_max_position_embeddings")?,
        },
        _ => RopeScaling::None,
    };
    match scaling.problem() {
        Some(problem) => Err(LoadError::Config {
            field: field.to_owned(),
            message: format!("asks for RoPE scaling `{kind}`, but {problem}"),
        }),
        None => Ok(scaling),
    }
}

/// `eos_token_id`: one id, a list of them, or none (`null` or absent).
fn eos_ids(json: &Value) -> Result<Option<Vec<u32>>, LoadError> {
    let id = |v: &Value| v.as_u64().and_then(|n| u32::try_from(n).ok());
    let bad = |v: &Value| LoadError::Config {
        field: "eos_token_id".to_owned(),
        message: format!("must be a token id or a list of them, not {v}"),
    };
    match json.get("eos_token_id") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(list)) => list
            .iter()
            .map(|v| id(v).ok_or_else(|| bad(v)))
            .collect::<Result<Vec<u32>, _>>()
            .map(Some),
        Some(v) => id(v).map(|n| Some(vec![n])).ok_or_else(|| bad(v)),
    }
}

/// A whole number of at least 1 inside an object field: `rope_scaling.original_…`.
fn field_in(value: &Value, outer: &str, name: &str) -> Result<usize, LoadError> {
    field(value, name).map_err(|e| match e {
        LoadError::Config { message, .. } => LoadError::Config {
            field: format!("{outer}.{name}"),
            message,
        },
        other => other,
    })
}

/// `attention_bias` or `mlp_bias` where the architecture reads it (Llama: both; Qwen3:
/// `attention_bias`); `false` elsewhere, as `transformers` builds those layers without one.
fn bias_flag(
    json: &Value,
    name: &str,
    read_by: &[Architecture],
    architecture: Architecture,
) -> Result<bool, LoadError> {
    if !read_by.contains(&architecture) {
        return Ok(false);
    }
    match json.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(LoadError::Config {
            field: name.to_owned(),
            message: format!("must be true or false, not {v}"),
        }),
    }
}

/// A norm's `eps`: a positive number that an `f32` holds (the norms run in `f32`; `1e300`
/// is finite in JSON and infinite there).
fn eps(json: &Value, name: &str, default: f64) -> Result<f64, LoadError> {
    let eps = positive(json, name, default)?;
    if !(eps as f32).is_finite() {
        return Err(LoadError::Config {
            field: name.to_owned(),
            message: format!(
                "= {eps:e} is past what an f32 holds: the norms would divide by infinity (checkpoints use 1e-5 or 1e-6)"
            ),
        });
    }
    Ok(eps)
}

fn optional(json: &Value, name: &str) -> Result<Option<usize>, LoadError> {
    match json.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => field(json, name).map(Some),
    }
}

impl Config {
    /// Reads `DIR/config.json`.
    ///
    /// ```
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/qwen3");
    /// let config = infralens_models::Config::load(dir)?;
    /// assert_eq!((config.hidden_size, config.heads, config.head_dim), (64, 4, 24));
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, LoadError> {
        let path = dir.as_ref().join("config.json");
        // A config is a few kilobytes: 16 MiB is far past any.
        let bytes = crate::checkpoint::read_regular(&path, 16 << 20)?;
        let text = String::from_utf8(bytes).map_err(|e| LoadError::Format {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let mut config = Self::from_json(&text).map_err(|e| match e {
            LoadError::Format { message, .. } => LoadError::Format { path, message },
            other => other,
        })?;
        let generation = dir.as_ref().join("generation_config.json");
        if generation.exists() {
            let bytes = crate::checkpoint::read_regular(&generation, 16 << 20)?;
            let json: Value = serde_json::from_slice(&bytes).map_err(|e| LoadError::Format {
                path: generation.clone(),
                message: e.to_string(),
            })?;
            if let Some(ids) = eos_ids(&json)?.filter(|ids| !ids.is_empty()) {
                config.eos_token_ids = ids;
            }
        }
        Ok(config)
    }

    /// Parses the text of a `config.json`, and checks the relations between its sizes.
    ///
    /// ```
    /// use infralens_models::Config;
    /// let err = Config::from_json("{}").unwrap_err();
    /// assert_eq!(err.to_string(), "config.json: `model_type` is missing");
    /// ```
    pub fn from_json(text: &str) -> Result<Self, LoadError> {
        let json: Value = serde_json::from_str(text).map_err(|e| LoadError::Format {
            path: "config.json".into(),
            message: e.to_string(),
        })?;
        let model_type = match json.get("model_type") {
            Some(Value::String(name)) => name.as_str(),
            None | Some(Value::Null) => {
                return Err(LoadError::Config {
                    field: "model_type".to_owned(),
                    message: "is missing".to_owned(),
                });
            }
            Some(other) => {
                return Err(LoadError::Config {
                    field: "model_type".to_owned(),
                    message: format!(
                        "must be the name of an architecture, such as \"llama\", not {other}"
                    ),
                });
            }
        };
        let architecture =
            Architecture::from_model_type(model_type).ok_or_else(|| LoadError::Config {
                field: "model_type".to_owned(),
                message: format!(
                    "is `{model_type}`; this decoder runs `llama`, `qwen3`, `mistral` and `gpt2`"
                ),
            })?;
        refuse_unimplemented(&json, architecture)?;
        if architecture == Architecture::Gpt2 {
            return Self::gpt2(&json);
        }
        let hidden_size = field(&json, "hidden_size")?;
        let heads = field(&json, "num_attention_heads")?;
        let kv_heads = optional(&json, "num_key_value_heads")?.unwrap_or(heads);
        let head_dim = match optional(&json, "head_dim")? {
            Some(dh) => dh,
            None if hidden_size % heads == 0 => hidden_size / heads,
            None => {
                return Err(LoadError::Config {
                    field: "num_attention_heads".to_owned(),
                    message: format!(
                        "= {heads} does not divide `hidden_size` = {hidden_size}, and there is no `head_dim`"
                    ),
                });
            }
        };
        // Products of sizes the program computes (`H × Dh`, `3 × D`, the cache per token)
        // must not wrap: sizes that large are refused before anything is allocated.
        for (what, product) in [
            ("num_attention_heads", heads.checked_mul(head_dim)),
            ("num_key_value_heads", kv_heads.checked_mul(head_dim)),
            ("hidden_size", hidden_size.checked_mul(4)),
        ] {
            if product.is_none_or(|p| p > MAX_WIDTH) {
                return Err(LoadError::Config {
                    field: what.to_owned(),
                    message: format!(
                        "with `head_dim` = {head_dim} and `hidden_size` = {hidden_size} makes widths past {MAX_WIDTH}: no model is that wide; check the config"
                    ),
                });
            }
        }
        if heads % kv_heads != 0 {
            return Err(LoadError::Config {
                field: "num_key_value_heads".to_owned(),
                message: format!(
                    "= {kv_heads} must divide `num_attention_heads` = {heads} (`Hkv` divides `H`)"
                ),
            });
        }
        if head_dim % 2 != 0 {
            return Err(LoadError::Config {
                field: "head_dim".to_owned(),
                message: format!(
                    "= {head_dim} must be even: RoPE rotates the lanes in pairs (`Dh`)"
                ),
            });
        }
        let rope_theta = match json
            .get("rope_parameters")
            .filter(|p| p.get("rope_theta").is_some())
        {
            Some(p) => positive(p, "rope_theta", 10_000.0)?,
            None => positive(&json, "rope_theta", 10_000.0)?,
        };
        let rope_scaling = rope_scaling(&json)?;
        let uses_window = json
            .get("use_sliding_window")
            .and_then(Value::as_bool)
            .unwrap_or(architecture == Architecture::Mistral);
        let sliding_window = if uses_window {
            optional(&json, "sliding_window")?
        } else {
            None
        };
        Ok(Config {
            architecture,
            hidden_size,
            heads,
            kv_heads,
            head_dim,
            intermediate_size: field(&json, "intermediate_size")?,
            layers: field(&json, "num_hidden_layers")?,
            vocab_size: field(&json, "vocab_size")?,
            max_positions: field(&json, "max_position_embeddings")?,
            rms_norm_eps: eps(&json, "rms_norm_eps", 1e-6)?,
            rope_theta,
            rope_scaling,
            sliding_window,
            tie_word_embeddings: json
                .get("tie_word_embeddings")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            attention_bias: bias_flag(&json, "attention_bias", &[Llama, Qwen3], architecture)?,
            mlp_bias: bias_flag(&json, "mlp_bias", &[Llama], architecture)?,
            qkv_bias: architecture == Qwen2,
            eos_token_ids: eos_ids(&json)?.unwrap_or_default(),
        })
    }

    /// GPT-2's names for the same fields.
    fn gpt2(json: &Value) -> Result<Self, LoadError> {
        let hidden_size = field(json, "n_embd")?;
        let heads = field(json, "n_head")?;
        if hidden_size > MAX_WIDTH {
            return Err(LoadError::Config {
                field: "n_embd".to_owned(),
                message: format!(
                    "= {hidden_size} is past {MAX_WIDTH}: no model is that wide; check the config"
                ),
            });
        }
        if hidden_size % heads != 0 {
            return Err(LoadError::Config {
                field: "n_head".to_owned(),
                message: format!(
                    "= {heads} must divide `n_embd` = {hidden_size} (`H` × `Dh` = `D`)"
                ),
            });
        }
        Ok(Config {
            architecture: Architecture::Gpt2,
            hidden_size,
            heads,
            kv_heads: heads,
            head_dim: hidden_size / heads,
            intermediate_size: optional(json, "n_inner")?.unwrap_or(4 * hidden_size),
            layers: field(json, "n_layer")?,
            vocab_size: field(json, "vocab_size")?,
            max_positions: field(json, "n_positions")?,
            rms_norm_eps: eps(json, "layer_norm_epsilon", 1e-5)?,
            rope_theta: 0.0,
            rope_scaling: RopeScaling::None,
            sliding_window: None,
            tie_word_embeddings: json
                .get("tie_word_embeddings")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            attention_bias: true,
            mlp_bias: true,
            qkv_bias: false,
            eos_token_ids: eos_ids(json)?.unwrap_or_default(),
        })
    }

    /// The sizes of the model's dims, for `batch` sequences and a cache of `capacity`
    /// positions.
    ///
    /// ```
    /// use infralens_models::{Config, D, Dq};
    /// let config = Config::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/qwen3"))?;
    /// let sizes = config.sizes(1, 32);
    /// assert_eq!((sizes.get::<D>(), sizes.get::<Dq>()), (Some(64), Some(96)));
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn sizes(&self, batch: usize, capacity: usize) -> Sizes {
        Sizes::new()
            .with::<B>(batch)
            .with::<C>(capacity)
            .with::<D>(self.hidden_size)
            .with::<H>(self.heads)
            .with::<Hkv>(self.kv_heads)
            .with::<Dh>(self.head_dim)
            .with::<Dq>(self.heads * self.head_dim)
            .with::<Dkv>(self.kv_heads * self.head_dim)
            .with::<F>(self.intermediate_size)
            .with::<V>(self.vocab_size)
            .with::<D3>(3 * self.hidden_size)
            .with::<P>(self.max_positions)
    }
}
