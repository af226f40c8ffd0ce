//! The decoder's layer code, expanded over compile-time dims (`llama_layer!`), loads the
//! Llama fixture into statically sized shapes and gives transformers' logits: the same code
//! serves a checkpoint of any size (run-time dims) and a fixed one (every relation checked by
//! the compiler), as the labs use.

use infralens_models::Checkpoint;
use serde_json::Value;
use std::path::PathBuf;

mod tiny {
    use infralens::layers::{Linear, RmsNorm, SwiGlu};
    use infralens::prelude::*;

    dims! {
        pub B: Batch = 1;
        pub S: Sequence = dyn;
        pub C: Sequence = 128;
        pub D: ModelWidth = 64;
        pub H: Heads = 4;
        pub Hkv: Heads = 2;
        pub Dh: HeadWidth = D / H;
        pub Dq = H * Dh;
        pub Dkv = Hkv * Dh;
        pub F = 96;
        pub V = 256;
        pub One: Sequence = 1;
    }

    infralens_models::llama_layer!();
}

use infralens::layers::{Embedding, Linear, RmsNorm, SwiGlu};
use infralens::prelude::*;
use infralens::{Ids, Rope, RopeStyle};
use tiny::*;

#[test]
fn a_statically_sized_llama_matches_transformers() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/llama");
    let ckpt = Checkpoint::open(dir.join("model.safetensors")).expect("opens");
    let none = sizes![];
    let eps = 1e-6;
    let linear = |name: &str| format!("model.layers.{name}.weight");
    let layers: Vec<Layer> = (0..2)
        .map(|i| Layer {
            attn_norm: RmsNorm::new(
                ckpt.tensor(&linear(&format!("{i}.input_layernorm")), &none)
                    .expect("w"),
                eps,
            ),
            q: Linear::new(
                ckpt.tensor(&linear(&format!("{i}.self_attn.q_proj")), &none)
                    .expect("q"),
                None,
            ),
            k: Linear::new(
                ckpt.tensor(&linear(&format!("{i}.self_attn.k_proj")), &none)
                    .expect("k"),
                None,
            ),
            v: Linear::new(
                ckpt.tensor(&linear(&format!("{i}.self_attn.v_proj")), &none)
                    .expect("v"),
                None,
            ),
            o: Linear::new(
                ckpt.tensor(&linear(&format!("{i}.self_attn.o_proj")), &none)
                    .expect("o"),
                None,
            ),
            qk_norm: None,
            mlp_norm: RmsNorm::new(
                ckpt.tensor(&linear(&format!("{i}.post_attention_layernorm")), &none)
                    .expect("w"),
                eps,
            ),
            mlp: SwiGlu::new(
                Linear::new(
                    ckpt.tensor(&linear(&format!("{i}.mlp.gate_proj")), &none)
                        .expect("g"),
                    None,
                ),
                Linear::new(
                    ckpt.tensor(&linear(&format!("{i}.mlp.up_proj")), &none)
                        .expect("u"),
                    None,
                ),
                Linear::new(
                    ckpt.tensor(&linear(&format!("{i}.mlp.down_proj")), &none)
                        .expect("d"),
                    None,
                ),
            ),
        })
        .collect();
    let embed = Embedding::new(
        ckpt.tensor::<(V, D)>("model.embed_tokens.weight", &none)
            .expect("embed"),
    );
    let norm = RmsNorm::new(
        ckpt.tensor::<(D,)>("model.norm.weight", &none)
            .expect("norm"),
        eps,
    );
    let lm_head: Linear<D, V> =
        Linear::new(ckpt.tensor("lm_head.weight", &none).expect("head"), None);

    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("golden.json")).expect("golden"))
            .expect("json");
    let prompt: Vec<u32> = golden["prompt"]
        .as_array()
        .expect("prompt")
        .iter()
        .map(|v| v.as_u64().expect("id") as u32)
        .collect();
    let want: Vec<f64> = golden["logits"]
        .as_array()
        .expect("logits")
        .iter()
        .map(|v| v.as_f64().expect("x"))
        .collect();

    let at = sizes![S = prompt.len()];
    let rope = Rope::<C, Dh>::new(10_000.0, RopeStyle::Halves, &at);
    let ctx = Context {
        sizes: &at,
        rope: &rope,
        mask: Mask::Causal,
    };
    let ids = Ids::<(B, S)>::from_vec_in(prompt.clone(), &at).expect("ids");
    let mut x = embed.forward(&ids).expect("in range");
    for layer in &layers {
        let mut cache = KvCache::<B, Hkv, C, Dh>::new(&none);
        x = layer.forward(&x, &mut cache, &ctx).expect("fits");
    }
    let logits = lm_head.forward(&norm.forward(&x.narrow::<1, One>(prompt.len() - 1, 1)));
    let worst = logits
        .as_slice()
        .iter()
        .zip(&want)
        .map(|(&a, &b)| (f64::from(a) - b).abs())
        .fold(0.0, f64::max);
    assert!(
        worst <= 1e-4,
        "static instance differs from transformers by {worst:e}"
    );
}
