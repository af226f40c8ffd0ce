//! Loading errors, on deliberately broken copies of the fixtures: each names what to look
//! at, none panics.

use infralens::prelude::*;
use infralens_models::{Checkpoint, Config, Decoder, LoadError};
use safetensors::tensor::TensorView;
use safetensors::{Dtype, serialize};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A broken copy of a fixture: its directory, removed when the copy is dropped.
struct Broken(PathBuf);

impl Drop for Broken {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for Broken {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Broken {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

/// A copy of a fixture in a fresh directory, with `edit` applied to its files.
fn broken(name: &str, edit: impl FnOnce(&Path)) -> Broken {
    let dir = std::env::temp_dir().join(format!(
        "infralens-broken-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for file in ["config.json", "model.safetensors"] {
        std::fs::copy(fixture(name).join(file), dir.join(file)).expect("copy");
    }
    edit(&dir);
    Broken(dir)
}

fn edit_config(dir: &Path, from: &str, to: &str) {
    let path = dir.join("config.json");
    let text = std::fs::read_to_string(&path).expect("config");
    assert!(text.contains(from), "{from} in config");
    std::fs::write(&path, text.replace(from, to)).expect("write");
}

#[test]
fn a_truncated_checkpoint_is_a_format_error() {
    let dir = broken("llama", |dir| {
        let path = dir.join("model.safetensors");
        let bytes = std::fs::read(&path).expect("read");
        std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("write");
    });
    let err = Decoder::load(&dir).expect_err("truncated");
    assert!(matches!(err, LoadError::Format { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("model.safetensors is not a valid file"),
        "{err}"
    );
}

#[test]
fn a_config_that_disagrees_with_the_weights_names_both_shapes() {
    let dir = broken("llama", |dir| {
        edit_config(dir, "\"hidden_size\": 64", "\"hidden_size\": 32")
    });
    let err = Decoder::load(&dir).expect_err("sizes disagree");
    assert_eq!(
        err.to_string(),
        "`model.embed_tokens.weight` is [256, 64] in the file, but `(V, D)` = [256, 32]"
    );
    let dir = broken("qwen3", |dir| {
        edit_config(dir, "\"head_dim\": 24", "\"head_dim\": 16")
    });
    let err = Decoder::load(&dir).expect_err("sizes disagree");
    assert_eq!(
        err.to_string(),
        "`model.layers.0.self_attn.q_norm.weight` is [24] in the file, but `(Dh)` = [16]"
    );
}

#[test]
fn config_relations_are_checked_at_load() {
    let dir = broken("llama", |dir| {
        edit_config(
            dir,
            "\"num_key_value_heads\": 2",
            "\"num_key_value_heads\": 3",
        )
    });
    assert_eq!(
        Decoder::load(&dir)
            .expect_err("3 does not divide 4")
            .to_string(),
        "config.json: `num_key_value_heads` = 3 must divide `num_attention_heads` = 4 (`Hkv` divides `H`)"
    );
    let dir = broken("llama", |dir| {
        edit_config(dir, "\"head_dim\": 16", "\"head_dim\": 15")
    });
    assert_eq!(
        Decoder::load(&dir).expect_err("odd").to_string(),
        "config.json: `head_dim` = 15 must be even: RoPE rotates the lanes in pairs (`Dh`)"
    );
    let dir = broken("llama", |dir| {
        edit_config(
            dir,
            "\"model_type\": \"llama\"",
            "\"model_type\": \"gpt_neox\"",
        )
    });
    assert_eq!(
        Decoder::load(&dir).expect_err("unknown").to_string(),
        "config.json: `model_type` is `gpt_neox`; this decoder runs `llama`, `qwen3`, `mistral` and `gpt2`"
    );
    let dir = broken("llama", |dir| {
        edit_config(dir, "\"vocab_size\": 256", "\"vocab_size\": -1")
    });
    assert_eq!(
        Decoder::load(&dir).expect_err("negative").to_string(),
        "config.json: `vocab_size` must be a whole number of at least 1, not -1"
    );
    assert!(matches!(
        Config::from_json("{not json"),
        Err(LoadError::Format { .. })
    ));
}

#[test]
fn a_missing_tensor_lists_the_closest_names() {
    let ckpt = Checkpoint::open(fixture("llama").join("model.safetensors")).expect("opens");
    dims! { pub D = 64; pub Dkv = 32; }
    let err = ckpt
        .tensor::<(Dkv, D)>("model.layers.0.self_attn.kproj.weight", &sizes![])
        .expect_err("no such name");
    assert_eq!(
        err.to_string(),
        "no tensor `model.layers.0.self_attn.kproj.weight` in the checkpoint; the closest names are `model.layers.0.self_attn.k_proj.weight`, `model.layers.0.self_attn.o_proj.weight`, `model.layers.0.self_attn.q_proj.weight`"
    );
}

#[test]
fn half_precision_widens_and_other_types_are_named() {
    dims! { pub N = 3; }
    let f16: Vec<u8> = [1.5f32, -2.0, 0.25]
        .iter()
        .flat_map(|&x| half::f16::from_f32(x).to_le_bytes())
        .collect();
    let bf16: Vec<u8> = [1.5f32, -2.0, 0.25]
        .iter()
        .flat_map(|&x| half::bf16::from_f32(x).to_le_bytes())
        .collect();
    let ints: Vec<u8> = [1i32, 2, 3].iter().flat_map(|x| x.to_le_bytes()).collect();
    let bytes = serialize(
        [
            (
                "a",
                TensorView::new(Dtype::F16, vec![3], &f16).expect("view"),
            ),
            (
                "b",
                TensorView::new(Dtype::BF16, vec![3], &bf16).expect("view"),
            ),
            (
                "c",
                TensorView::new(Dtype::I32, vec![3], &ints).expect("view"),
            ),
        ],
        &None,
    )
    .expect("serializes");
    let ckpt = Checkpoint::from_bytes("mem.safetensors".into(), bytes).expect("valid");
    assert_eq!(
        ckpt.tensor::<(N,)>("a", &sizes![]).expect("f16").to_vec(),
        vec![1.5, -2.0, 0.25]
    );
    assert_eq!(
        ckpt.tensor::<(N,)>("b", &sizes![]).expect("bf16").to_vec(),
        vec![1.5, -2.0, 0.25]
    );
    assert_eq!(
        ckpt.tensor::<(N,)>("c", &sizes![])
            .expect_err("ints")
            .to_string(),
        "`c` is stored as I32; InfraLens loads F32, F16, BF16 and F64"
    );
}

#[test]
fn generation_errors_are_errors() {
    let model = Decoder::load(fixture("llama")).expect("loads");
    assert_eq!(
        model.generate(&[], 4).expect_err("empty").to_string(),
        "the prompt is empty: give at least one token"
    );
    assert_eq!(
        model
            .generate(&[1; 100], 40)
            .expect_err("too long")
            .to_string(),
        "100 prompt tokens and 40 steps make 140 positions, more than `max_position_embeddings` = 128"
    );
    // Steps past any count: the sum is said as it is (it wrapped to "1 positions", and
    // panicked in a debug build).
    assert_eq!(
        model
            .generate(&[1, 2], usize::MAX)
            .expect_err("too many")
            .to_string(),
        format!(
            "2 prompt tokens and {} steps make {} positions, more than `max_position_embeddings` = 128",
            usize::MAX,
            usize::MAX as u128 + 2
        )
    );
}

/// `Checkpoint::linear` reads the weight `(out, in)` and the bias when there is one (as
/// Qwen2 saves its q/k/v projections), and computes `x · Wᵀ + b` against a plain reference;
/// a bias of another width is refused by name.
#[test]
fn a_linear_layer_loads_with_its_bias_when_the_checkpoint_has_one() {
    dims! { pub S = 2; pub D = 3; pub F = 2; }
    let le = |v: &[f32]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
    // nn.Linear(3, 2): weight (out = 2, in = 3), bias (2,).
    let weight = [1.0f32, 2.0, 3.0, -1.0, 0.5, 0.0];
    let bias = [10.0f32, -10.0];
    let (w, b, wide) = (le(&weight), le(&bias), le(&[0.0; 3]));
    let bytes = serialize(
        [
            (
                "proj.weight",
                TensorView::new(Dtype::F32, vec![2, 3], &w).expect("view"),
            ),
            (
                "proj.bias",
                TensorView::new(Dtype::F32, vec![2], &b).expect("view"),
            ),
            (
                "plain.weight",
                TensorView::new(Dtype::F32, vec![2, 3], &w).expect("view"),
            ),
            (
                "odd.weight",
                TensorView::new(Dtype::F32, vec![2, 3], &w).expect("view"),
            ),
            (
                "odd.bias",
                TensorView::new(Dtype::F32, vec![3], &wide).expect("view"),
            ),
        ],
        &None,
    )
    .expect("serializes");
    let ckpt = Checkpoint::from_bytes("mem.safetensors".into(), bytes).expect("valid");
    let x = Tensor::<(S, D)>::from_vec(vec![1.0, 0.0, -1.0, 2.0, 1.0, 0.5]).expect("x");
    let reference = |with_bias: bool| -> Vec<f32> {
        let xs = x.to_vec();
        let mut out = Vec::new();
        for s in 0..2 {
            for f in 0..2 {
                let dot: f64 = (0..3)
                    .map(|d| f64::from(xs[s * 3 + d]) * f64::from(weight[f * 3 + d]))
                    .sum();
                out.push((dot + if with_bias { f64::from(bias[f]) } else { 0.0 }) as f32);
            }
        }
        out
    };
    let proj = ckpt.linear::<D, F>("proj", &sizes![]).expect("proj");
    assert_eq!(proj.forward(&x).to_vec(), reference(true));
    let plain = ckpt.linear::<D, F>("plain", &sizes![]).expect("plain");
    assert_eq!(plain.forward(&x).to_vec(), reference(false));
    let odd = ckpt
        .linear::<D, F>("odd", &sizes![])
        .expect_err("a bias of 3");
    assert!(odd.to_string().contains("odd.bias"), "{odd}");
}

/// What the decoder does not implement is refused by name, never run with plain defaults:
/// RoPE scaling, another activation, an MLP bias, an eps or theta that is not a positive
/// number (issue 27).
#[test]
fn a_config_asking_for_what_is_not_implemented_is_refused_by_name() {
    let cases = [
        (
            "\"rope_type\": \"default\"",
            "\"rope_type\": \"yarn\", \"factor\": 8.0",
            "config.json: `rope_parameters` asks for RoPE scaling `yarn`, which this decoder does not implement: it would run plain RoPE and give wrong logits",
        ),
        (
            "\"hidden_act\": \"silu\"",
            "\"hidden_act\": \"gelu\"",
            "config.json: `hidden_act` is \"gelu\": another activation in the MLP's gate, which this decoder does not implement (it computes with `\"silu\"` or `\"swish\"`); it is refused rather than run with wrong logits",
        ),
        (
            "\"mlp_bias\": false",
            "\"mlp_bias\": true",
            "config.json: `mlp_bias` is true, but the checkpoint has no `model.layers.0.mlp.gate_proj.bias`",
        ),
        (
            "\"attention_bias\": false",
            "\"attention_bias\": true",
            "config.json: `attention_bias` is true, but the checkpoint has no `model.layers.0.self_attn.q_proj.bias`",
        ),
        (
            "\"attention_bias\": false",
            "\"attention_bias\": \"yes\"",
            "config.json: `attention_bias` must be true or false, not \"yes\"",
        ),
        (
            "\"attention_bias\": false",
            "\"partial_rotary_factor\": 0.5",
            "config.json: `partial_rotary_factor` is 0.5: RoPE on part of each head only, which this decoder does not implement (it computes with `1`); it is refused rather than run with wrong logits",
        ),
        (
            "\"attention_bias\": false",
            "\"final_logit_softcapping\": 30.0",
            "config.json: `final_logit_softcapping` is 30.0: capped logits, which this decoder does not implement (it computes with the field left out); it is refused rather than run with wrong logits",
        ),
        (
            "\"model_type\": \"llama\"",
            "\"model_type\": 7",
            "config.json: `model_type` must be the name of an architecture, such as \"llama\", not 7",
        ),
        (
            "\"rms_norm_eps\": 1e-06",
            "\"rms_norm_eps\": \"1e-5\"",
            "config.json: `rms_norm_eps` must be a number above 0, not \"1e-5\"",
        ),
        (
            "\"rms_norm_eps\": 1e-06",
            "\"rms_norm_eps\": -1",
            "config.json: `rms_norm_eps` must be a number above 0, not -1",
        ),
        (
            "\"rope_theta\": 10000.0",
            "\"rope_theta\": 0",
            "config.json: `rope_theta` must be a number above 0, not 0",
        ),
        // Found by the fuzzer: finite in JSON, infinite as the f32 the norms run in.
        (
            "\"rms_norm_eps\": 1e-06",
            "\"rms_norm_eps\": 1e300",
            "config.json: `rms_norm_eps` = 1e300 is past what an f32 holds: the norms would divide by infinity (checkpoints use 1e-5 or 1e-6)",
        ),
    ];
    for (from, to, want) in cases {
        let dir = broken("llama", |dir| edit_config(dir, from, to));
        assert_eq!(Decoder::load(&dir).expect_err(to).to_string(), want);
    }
    // The default of such a field is read, not refused.
    let dir = broken("llama", |dir| {
        edit_config(
            dir,
            "\"attention_bias\": false",
            "\"attention_bias\": false, \"partial_rotary_factor\": 1.0",
        )
    });
    Decoder::load(&dir).expect("partial_rotary_factor 1.0 is full RoPE");
    let text = r#"{"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4,
        "intermediate_size": 96, "num_hidden_layers": 2, "vocab_size": 256,
        "max_position_embeddings": 128, "rope_scaling": {"type": "yarn", "factor": 4.0}}"#;
    assert!(
        Config::from_json(text)
            .expect_err("yarn")
            .to_string()
            .contains("`rope_scaling` asks for RoPE scaling `yarn`")
    );
}

/// A config with fewer layers than the checkpoint holds is refused, naming what is left
/// unread; NaN weights give an error naming the position, not tokens `0, 0` (issue 27).
#[test]
fn unread_tensors_and_nan_logits_are_errors() {
    let dir = broken("llama", |dir| {
        edit_config(dir, "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1")
    });
    let err = Decoder::load(&dir)
        .expect_err("a layer left out")
        .to_string();
    assert!(
        err.starts_with(
            "the checkpoint holds 9 tensors this model does not read (`model.layers.1."
        ),
        "{err}"
    );
    let dir = broken("llama", |dir| {
        let path = dir.join("model.safetensors");
        let bytes = std::fs::read(&path).expect("read");
        let file = safetensors::SafeTensors::deserialize(&bytes).expect("valid");
        // every weight of the final norm NaN
        let nan: Vec<u8> = f32::NAN.to_le_bytes().repeat(64);
        let views: Vec<(String, TensorView<'_>)> = file
            .tensors()
            .into_iter()
            .map(|(name, t)| {
                let data = if name == "model.norm.weight" {
                    &nan[..]
                } else {
                    t.data()
                };
                let view = TensorView::new(t.dtype(), t.shape().to_vec(), data).expect("view");
                (name, view)
            })
            .collect();
        std::fs::write(&path, serialize(views, &None).expect("serialize")).expect("write");
    });
    let model = Decoder::load(&dir).expect("loads");
    let err = model.generate(&[1, 2, 3], 2).expect_err("NaN").to_string();
    assert!(
        err.starts_with("the logits of position 2 are not finite (NaN among them)"),
        "{err}"
    );
}

/// Sizes whose products would wrap (`H × Dh` = 2^64) are refused before any allocation, and
/// a `num_hidden_layers` far past the checkpoint fails on its first missing layer, not on an
/// allocation for all of them (issue 27).
#[test]
fn sizes_that_wrap_or_layers_that_are_not_there_are_errors() {
    let text = r#"{"model_type": "llama", "hidden_size": 64, "num_attention_heads": 8589934592,
        "num_key_value_heads": 8589934592, "head_dim": 2147483648, "intermediate_size": 96,
        "num_hidden_layers": 2, "vocab_size": 256, "max_position_embeddings": 128}"#;
    let err = Config::from_json(text).expect_err("wraps").to_string();
    assert!(err.contains("no model is that wide"), "{err}");
    let dir = broken("llama", |dir| {
        edit_config(
            dir,
            "\"num_hidden_layers\": 2",
            "\"num_hidden_layers\": 1000000000",
        )
    });
    let err = Decoder::load(&dir).expect_err("no such layers").to_string();
    assert!(err.starts_with("no tensor `model.layers.2."), "{err}");
}

/// Only regular files are read: `model.safetensors` linked to `/dev/zero` (read without end
/// before) and a `config.json` that is a FIFO (which blocked forever) are errors naming them
/// (issue 27).
#[cfg(unix)]
#[test]
fn devices_and_pipes_are_refused_not_read() {
    let dir = broken("llama", |dir| {
        std::fs::remove_file(dir.join("model.safetensors")).expect("rm");
        std::os::unix::fs::symlink("/dev/zero", dir.join("model.safetensors")).expect("link");
    });
    let err = Decoder::load(&dir).expect_err("a device").to_string();
    assert!(
        err.ends_with("model.safetensors: it is not a regular file (a device, a pipe, a socket); give the file itself"),
        "{err}"
    );
    let dir = broken("llama", |dir| {
        std::fs::remove_file(dir.join("config.json")).expect("rm");
        let made = std::process::Command::new("mkfifo")
            .arg(dir.join("config.json"))
            .status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    });
    let err = Decoder::load(&dir).expect_err("a pipe").to_string();
    assert!(
        err.contains("config.json: it is not a regular file"),
        "{err}"
    );
}

/// The checkpoint at `dir` rewritten: `edit` sees each tensor (name, dtype, shape, bytes) and
/// returns what to write instead (none, one or more tensors).
type Owned = (String, Dtype, Vec<usize>, Vec<u8>);
fn rewrite(dir: &Path, mut edit: impl FnMut(Owned) -> Vec<Owned>) {
    let path = dir.join("model.safetensors");
    let bytes = std::fs::read(&path).expect("read");
    let file = safetensors::SafeTensors::deserialize(&bytes).expect("valid");
    let owned: Vec<Owned> = file
        .tensors()
        .into_iter()
        .flat_map(|(name, t)| edit((name, t.dtype(), t.shape().to_vec(), t.data().to_vec())))
        .collect();
    let views: Vec<(String, TensorView<'_>)> = owned
        .iter()
        .map(|(name, dtype, shape, data)| {
            let view = TensorView::new(*dtype, shape.clone(), data).expect("view");
            (name.clone(), view)
        })
        .collect();
    std::fs::write(&path, serialize(views, &None).expect("serialize")).expect("write");
}

/// Beside each weight `X.weight` for which `value` gives a number, a bias `X.bias` of that
/// value throughout.
fn add_biases(dir: &Path, value: impl Fn(&str) -> Option<f32>) {
    rewrite(dir, |(name, dtype, shape, data)| {
        let mut out = vec![(name.clone(), dtype, shape.clone(), data)];
        if let Some(v) = value(&name) {
            let bytes = v.to_le_bytes().repeat(shape[0]);
            out.push((
                name.replace(".weight", ".bias"),
                Dtype::F32,
                vec![shape[0]],
                bytes,
            ));
        }
        out
    });
}

/// `attention_bias` and `mlp_bias` are implemented as `transformers` builds the layers:
/// biases read exactly when the config asks for them. Zero biases give the same logits as
/// none; a bias on `v_proj` changes them; biases stored but not asked for are refused by name,
/// as `transformers` would leave them unread (issue 27).
#[test]
fn attention_and_mlp_biases_follow_the_config() {
    let plain = Decoder::load(fixture("llama"))
        .expect("loads")
        .generate(&[1, 2, 3], 0)
        .expect("runs")
        .logits;
    let with_biases = |value: f32| {
        move |dir: &Path| {
            edit_config(dir, "\"attention_bias\": false", "\"attention_bias\": true");
            edit_config(dir, "\"mlp_bias\": false", "\"mlp_bias\": true");
            add_biases(dir, |name| {
                name.ends_with("_proj.weight")
                    .then_some(if name.contains("v_proj") { value } else { 0.0 })
            });
        }
    };
    let zero = Decoder::load(broken("llama", with_biases(0.0)))
        .expect("zero biases load")
        .generate(&[1, 2, 3], 0)
        .expect("runs")
        .logits;
    assert_eq!(zero, plain);
    let shifted = Decoder::load(broken("llama", with_biases(0.5)))
        .expect("biases load")
        .generate(&[1, 2, 3], 0)
        .expect("runs")
        .logits;
    let moved = shifted
        .iter()
        .zip(&plain)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        moved > 1e-3,
        "a v_proj bias of 0.5 moves the logits ({moved})"
    );
    // Stored, but the config does not ask for them: left unread, and so refused.
    let dir = broken("llama", |dir| {
        add_biases(dir, |name| name.ends_with("k_proj.weight").then_some(0.0))
    });
    let err = Decoder::load(&dir).expect_err("unread biases").to_string();
    assert!(
        err.starts_with("the checkpoint holds 2 tensors this model does not read (`model.layers.0.self_attn.k_proj.bias`"),
        "{err}"
    );
}

/// A tied model whose stored `lm_head.weight` differs from the embedding table is refused
/// (`transformers` would drop the stored head); an equal copy loads (issue 27).
#[test]
fn a_tied_head_that_differs_from_the_embedding_is_refused() {
    let with_head = |scale: f32| {
        move |dir: &Path| {
            edit_config(
                dir,
                "\"tie_word_embeddings\": false",
                "\"tie_word_embeddings\": true",
            );
            let mut embed = None;
            rewrite(dir, |(name, dtype, shape, data)| match name.as_str() {
                "lm_head.weight" => vec![],
                "model.embed_tokens.weight" => {
                    embed = Some(data.clone());
                    let head: Vec<u8> = data
                        .chunks_exact(4)
                        .flat_map(|b| {
                            (f32::from_le_bytes([b[0], b[1], b[2], b[3]]) * scale).to_le_bytes()
                        })
                        .collect();
                    vec![
                        (name, dtype, shape.clone(), data),
                        ("lm_head.weight".to_owned(), dtype, shape, head),
                    ]
                }
                _ => vec![(name, dtype, shape, data)],
            });
            assert!(embed.is_some());
        }
    };
    Decoder::load(broken("llama", with_head(1.0))).expect("an equal head loads");
    let err = Decoder::load(broken("llama", with_head(2.0)))
        .expect_err("a different head")
        .to_string();
    assert!(
        err.starts_with("config.json: `tie_word_embeddings` is true, but the checkpoint's `lm_head.weight` differs from the embedding table"),
        "{err}"
    );
}

/// Sliding windows on some layers only are refused (this decoder windows all or none), and
/// GPT-2's attention variants are refused by name (issue 27).
#[test]
fn per_layer_windows_and_gpt2_variants_are_refused() {
    let dir = broken("qwen3", |dir| {
        edit_config(dir, "\"full_attention\"\n  ]", "\"sliding_attention\"\n  ]")
    });
    assert_eq!(
        Decoder::load(&dir).expect_err("mixed").to_string(),
        "config.json: `layer_types` mixes `full_attention` and `sliding_attention` layers; this decoder gives every layer the same attention"
    );
    let text = r#"{"model_type": "qwen3", "hidden_size": 64, "num_attention_heads": 4,
        "intermediate_size": 96, "num_hidden_layers": 2, "vocab_size": 256,
        "max_position_embeddings": 128, "use_sliding_window": true, "sliding_window": 4}"#;
    assert!(
        Config::from_json(text)
            .expect_err("qwen3 windows")
            .to_string()
            .starts_with("config.json: `max_window_layers` with `use_sliding_window`")
    );
    for (from, to) in [
        (
            "\"scale_attn_weights\": true",
            "\"scale_attn_weights\": false",
        ),
        (
            "\"scale_attn_by_inverse_layer_idx\": false",
            "\"scale_attn_by_inverse_layer_idx\": true",
        ),
        (
            "\"add_cross_attention\": false",
            "\"add_cross_attention\": true",
        ),
    ] {
        let dir = broken("gpt2", |dir| edit_config(dir, from, to));
        let err = Decoder::load(&dir).expect_err(to).to_string();
        let field = from.split('"').nth(1).unwrap_or_default();
        assert!(
            err.starts_with(&format!("config.json: `{field}` is ")),
            "{err}"
        );
    }
}

/// A program that forgets a size is told so, not sent to `config.json` (issue 27).
#[test]
fn a_missing_size_is_the_programs_not_the_configs() {
    let ckpt = Checkpoint::open(fixture("llama").join("model.safetensors")).expect("opens");
    dims! { pub Vx = dyn; pub Dx = dyn; }
    let err = ckpt
        .tensor::<(Vx, Dx)>("model.embed_tokens.weight", &sizes![Vx = 256])
        .expect_err("no size for Dx")
        .to_string();
    assert!(
        err.starts_with(
            "loading `model.embed_tokens.weight`: the sizes the program passed are incomplete: "
        ),
        "{err}"
    );
    assert!(
        err.contains("`Dx`") && !err.contains("config.json"),
        "{err}"
    );
}

/// Safetensors errors in words, naming the tensor where the header says (they were the
/// crate's variant names, `HeaderTooSmall`; an unknown dtype was not named) (issue 27).
#[test]
fn safetensors_errors_are_in_words() {
    let header = |json: &str| {
        let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(json.as_bytes());
        bytes
    };
    let cases: [(Vec<u8>, &str); 5] = [
        (
            vec![1, 2, 3],
            "it is 3 bytes; a safetensors file starts with 8 bytes",
        ),
        (
            header(r#"{"w": {"dtype": "Q4_K", "shape": [2], "data_offsets": [0, 8]}}"#),
            "tensor `w` has dtype `Q4_K`, which safetensors does not define",
        ),
        (
            header(r#"{"w": {"dtype": "F32", "shape": [2]}}"#),
            "tensor `w` has no `data_offsets` pair of whole numbers in the header",
        ),
        (
            [u64::MAX.to_le_bytes().to_vec(), b"{}".to_vec()].concat(),
            "its first 8 bytes give a header",
        ),
        (
            header(r#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 12]}}"#),
            "does not match its shape and dtype",
        ),
    ];
    for (bytes, want) in cases {
        let err = Checkpoint::from_bytes("m.safetensors".into(), bytes)
            .expect_err(want)
            .to_string();
        assert!(
            err.starts_with("m.safetensors is not a valid file: "),
            "{err}"
        );
        assert!(err.contains(want), "{err}\nwant: {want}");
        for name in [
            "HeaderTooSmall",
            "InvalidHeader",
            "TensorInvalidInfo",
            "Metadata",
        ] {
            assert!(!err.contains(name), "{err}");
        }
    }
}

/// The header is read and checked before the data: a 1 TiB file (sparse) that is not a
/// checkpoint, or whose header describes other data, is refused at once, not read to the end
/// (issue 27).
#[test]
fn the_header_is_checked_before_the_data_is_read() {
    let dir = std::env::temp_dir().join(format!("infralens-header-first-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("model.safetensors");
    let header = br#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#;
    for (start, want) in [
        (Vec::new(), "its header is not"),
        (
            [&(header.len() as u64).to_le_bytes()[..], header].concat(),
            "data past what the header describes: the header describes 8 bytes of data, the file holds",
        ),
    ] {
        let file = std::fs::File::create(&path).expect("create");
        std::io::Write::write_all(&mut &file, &start).expect("write");
        // The rest of the terabyte is a hole: nothing is on disk, but reading it would take
        // hours and the memory to hold it.
        if file.set_len(1 << 40).is_err() {
            eprintln!("skipped: this file system cannot hold a sparse 1 TiB file");
            return;
        }
        drop(file);
        let err = Checkpoint::open(&path).expect_err("refused").to_string();
        assert!(err.contains(want), "{err}\nwant: {want}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Llama 3.1/3.2's RoPE scaling as `transformers` 4 writes it (`rope_scaling`,
/// `torch_dtype`) and as 5 does (`rope_parameters`, `dtype`): the same scaling either way;
/// parameters that cannot scale are refused, naming the field (issue 28).
#[test]
fn rope_scaling_reads_from_either_transformers_version() {
    let base = r#""model_type": "llama", "hidden_size": 64, "num_attention_heads": 4,
        "intermediate_size": 96, "num_hidden_layers": 2, "vocab_size": 256,
        "max_position_embeddings": 128"#;
    let params = r#""factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192, "rope_type": "llama3""#;
    let v4 = format!(
        r#"{{{base}, "torch_dtype": "bfloat16", "rope_theta": 500000.0, "rope_scaling": {{{params}}}}}"#
    );
    let v5 = format!(
        r#"{{{base}, "dtype": "bfloat16", "rope_parameters": {{"rope_theta": 500000.0, {params}}}}}"#
    );
    let want = infralens::RopeScaling::Llama3 {
        factor: 8.0,
        low_freq_factor: 1.0,
        high_freq_factor: 4.0,
        original_max_positions: 8192,
    };
    for text in [&v4, &v5] {
        let config = Config::from_json(text).expect("reads");
        assert_eq!((config.rope_scaling, config.rope_theta), (want, 500_000.0));
    }
    let linear = format!(r#"{{{base}, "rope_scaling": {{"type": "linear", "factor": 2.0}}}}"#);
    assert_eq!(
        Config::from_json(&linear).expect("reads").rope_scaling,
        infralens::RopeScaling::Linear { factor: 2.0 }
    );
    for (from, to, want) in [
        (
            r#""factor": 8.0, "#,
            "",
            "config.json: `rope_scaling.factor` must be a number for RoPE scaling `llama3`",
        ),
        (
            r#""low_freq_factor": 1.0"#,
            r#""low_freq_factor": 4.0"#,
            "config.json: `rope_scaling` asks for RoPE scaling `llama3`, but `low_freq_factor` = 4 must be above 0 and below `high_freq_factor` = 4",
        ),
        (
            r#""factor": 8.0"#,
            r#""factor": 0.5"#,
            "config.json: `rope_scaling` asks for RoPE scaling `llama3`, but `factor` = 0.5 must be a number of at least 1",
        ),
        (
            r#""original_max_position_embeddings": 8192"#,
            r#""original_max_position_embeddings": 0"#,
            "config.json: `rope_scaling.original_max_position_embeddings` must be a whole number of at least 1, not 0",
        ),
    ] {
        let text = v4.replace(from, to);
        assert_ne!(text, v4, "{from}");
        assert_eq!(Config::from_json(&text).expect_err(to).to_string(), want);
    }
}

/// Qwen2's q, k and v biases are read whatever `attention_bias` says, and are required; its
/// o projection has none (issue 28).
#[test]
fn qwen2_reads_its_qkv_biases_and_requires_them() {
    let config = Config::from_json(
        &std::fs::read_to_string(fixture("qwen2").join("config.json")).expect("config"),
    )
    .expect("reads");
    assert!(config.qkv_bias && !config.attention_bias);
    let dir = broken("qwen2", |dir| {
        rewrite(dir, |t| {
            if t.0 == "model.layers.1.self_attn.k_proj.bias" {
                Vec::new()
            } else {
                vec![t]
            }
        })
    });
    assert_eq!(
        Decoder::load(&dir).expect_err("no k bias").to_string(),
        "config.json: `model_type` is `qwen2`, whose q, k and v projections have biases, but the checkpoint has no `model.layers.1.self_attn.k_proj.bias`"
    );
}

/// A sharded checkpoint's index must agree with its shards, and names files beside it only
/// (issue 28).
#[test]
fn a_sharded_checkpoint_is_refused_when_its_index_disagrees() {
    let sharded = |edit: &dyn Fn(&Path)| {
        let dir = std::env::temp_dir().join(format!(
            "infralens-sharded-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        for entry in std::fs::read_dir(fixture("llama-sharded")).expect("fixture") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), dir.join(entry.file_name())).expect("copy");
        }
        edit(&dir);
        Broken(dir)
    };
    let index = |dir: &Path, from: &str, to: &str| {
        let path = dir.join("model.safetensors.index.json");
        let text = std::fs::read_to_string(&path).expect("index");
        assert!(text.contains(from), "{from}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
    };
    let dir = sharded(&|_| {});
    Decoder::load(&dir).expect("the copy loads");
    type Edit<'a> = &'a dyn Fn(&Path);
    let cases: [(Edit<'_>, &str); 4] = [
        (
            &|d| {
                index(
                    d,
                    "\"model.norm.weight\": \"model-00003-of-00003.safetensors\"",
                    "\"model.norm.weight\": \"../model-00003-of-00003.safetensors\"",
                )
            },
            "`weight_map` puts `model.norm.weight` in `../model-00003-of-00003.safetensors`: a shard is a file beside the index, named without a path",
        ),
        (
            &|d| {
                index(
                    d,
                    "\"model.norm.weight\": \"model-00003-of-00003.safetensors\"",
                    "\"model.norm.weight\": \"model-00001-of-00003.safetensors\"",
                )
            },
            "`weight_map` puts `model.norm.weight` in `model-00001-of-00003.safetensors`, but it is in `model-00003-of-00003.safetensors`",
        ),
        (
            &|d| {
                index(
                    d,
                    "\"model.embed_tokens.weight\": \"model-00001-of-00003.safetensors\",",
                    "",
                )
            },
            "`model-00001-of-00003.safetensors` holds `model.embed_tokens.weight`, which `weight_map` does not list",
        ),
        (
            &|d| index(d, "\"weight_map\"", "\"weights\""),
            "has no `weight_map` object",
        ),
    ];
    for (edit, want) in cases {
        let dir = sharded(edit);
        let err = Decoder::load(&dir).expect_err(want).to_string();
        assert!(err.ends_with(want), "{err}");
        assert!(err.contains("model.safetensors.index.json"), "{err}");
    }
}

/// `eos_token_id` is one id or a list, from `config.json` or, overriding it,
/// `generation_config.json`; anything else is refused by name (issue 28).
#[test]
fn eos_ids_are_one_or_a_list_and_nothing_else() {
    let base = r#""model_type": "llama", "hidden_size": 64, "num_attention_heads": 4,
        "intermediate_size": 96, "num_hidden_layers": 2, "vocab_size": 256,
        "max_position_embeddings": 128"#;
    for (eos, want) in [
        ("2", vec![2]),
        ("[128001, 128008, 128009]", vec![128001, 128008, 128009]),
        ("null", vec![]),
    ] {
        let config =
            Config::from_json(&format!(r#"{{{base}, "eos_token_id": {eos}}}"#)).expect(eos);
        assert_eq!(config.eos_token_ids, want);
    }
    assert_eq!(
        Config::from_json(&format!(r#"{{{base}, "eos_token_id": "</s>"}}"#))
            .expect_err("a string")
            .to_string(),
        "config.json: `eos_token_id` must be a token id or a list of them, not \"</s>\""
    );
    // `generation_config.json` names them for `generate`; `config.json` says 2.
    let dir = broken("llama", |dir| {
        std::fs::write(
            dir.join("generation_config.json"),
            r#"{"eos_token_id": [5, 6]}"#,
        )
        .expect("write")
    });
    assert_eq!(Config::load(&dir).expect("loads").eos_token_ids, vec![5, 6]);
    assert_eq!(
        Config::load(fixture("llama")).expect("loads").eos_token_ids,
        vec![2]
    );
}

/// Half-precision loading: a bf16 tensor is kept bit for bit, an f32 one rounded as
/// `HalfTensor::from_tensor` rounds, a wrong shape refused by name as for `f32`, and the
/// bytes read counted once a tensor.
#[test]
fn half_tensors_keep_or_round_and_refuse_wrong_shapes() {
    use infralens::{Half, HalfTensor};
    dims! { pub V = 256; pub D = 64; pub W = 32; }
    let bf16 = Checkpoint::open_dir(fixture("llama-bf16")).expect("opens");
    let name = "model.embed_tokens.weight";
    let kept = bf16
        .half_tensor::<(V, D)>(name, &sizes![], Half::Bf16)
        .expect("loads");
    let wide = bf16.tensor::<(V, D)>(name, &sizes![]).expect("loads");
    assert_eq!(kept.to_tensor::<f32>(), wide, "bf16 kept exactly");
    assert_eq!(
        bf16.fetched_bytes(),
        2 * 256 * 64 * 2,
        "each read counted once"
    );
    let err = bf16
        .half_tensor::<(V, W)>(name, &sizes![], Half::Bf16)
        .expect_err("a (V, W) table is refused")
        .to_string();
    assert_eq!(
        err,
        "`model.embed_tokens.weight` is [256, 64] in the file, but `(V, W)` = [256, 32]"
    );
    let f32s = Checkpoint::open_dir(fixture("llama")).expect("opens");
    let rounded = f32s
        .half_tensor::<(V, D)>(name, &sizes![], Half::F16)
        .expect("loads");
    let from = f32s.tensor::<(V, D)>(name, &sizes![]).expect("loads");
    assert_eq!(rounded, HalfTensor::from_tensor(&from, Half::F16));
    assert_eq!(f32s.stored_half(name), None);
    assert_eq!(bf16.stored_half(name), Some(Half::Bf16));
}
