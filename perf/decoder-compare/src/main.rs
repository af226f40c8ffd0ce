//! The same random Llama-architecture model (D = 1024, 4 layers, H = 16, Hkv = 4, F = 2816,
//! V = 32000, f32) in InfraLens (`infralens-models`) and in `candle-transformers`' llama:
//! prefill of 128 tokens, then 64 greedy decode steps through the KV cache; outputs
//! cross-checked (the same tokens), medians of interleaved runs, once per thread count.
//!
//! `cargo run --release --manifest-path perf/decoder-compare/Cargo.toml`
//!
//! InfraLens also runs the same checkpoint with its matrices kept in bf16
//! (`WeightDtype::Bf16`, rounded on load), against its own f32 decode and candle's best CPU
//! path (f32: candle's CPU backend has no bf16 matmul).
//!
//! With `DECODER_COMPARE_PROFILE=infralens` (or `candle`) and `INFRALENS_THREADS=1`, it runs
//! that decoder's prefill alone, 20 times, for a profiler.
//!
//! With `DECODER_COMPARE_BACKEND=candle`, it compares InfraLens's decoder moved to its candle
//! backend against candle-transformers instead (both on candle's CPU device).
//!
//! Decode is bound by memory: each token reads every weight once. The program also measures
//! this machine's copy bandwidth (a STREAM-like triad) in the same run, and reports the
//! bandwidth each decoder achieves (weight and cache bytes read per token × tokens/s).

use candle_core::{DType, Device, Tensor as CTensor};
use candle_transformers::models::llama as cllama;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

const D: usize = 1024;
const LAYERS: usize = 4;
const H: usize = 16;
const HKV: usize = 4;
const F: usize = 2816;
const V: usize = 32000;
const PROMPT: usize = 128;
const STEPS: usize = 64;
const RUNS: usize = 5;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Writes the model once: `config.json` (a top-level `rope_theta`, as both readers take it)
/// and `model.safetensors` of seeded normal weights.
fn write_model(dir: &Path) -> Res<()> {
    if dir.join("model.safetensors").exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    let config = serde_json::json!({
        "model_type": "llama", "architectures": ["LlamaForCausalLM"],
        "hidden_size": D, "intermediate_size": F, "num_hidden_layers": LAYERS,
        "num_attention_heads": H, "num_key_value_heads": HKV, "vocab_size": V,
        "max_position_embeddings": 512, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
        "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2,
    });
    std::fs::write(dir.join("config.json"), serde_json::to_string_pretty(&config)?)?;
    let dh = D / H;
    let mut shapes: Vec<(String, Vec<usize>)> = vec![
        ("model.embed_tokens.weight".into(), vec![V, D]),
        ("model.norm.weight".into(), vec![D]),
        ("lm_head.weight".into(), vec![V, D]),
    ];
    for l in 0..LAYERS {
        let p = format!("model.layers.{l}");
        shapes.extend([
            (format!("{p}.input_layernorm.weight"), vec![D]),
            (format!("{p}.post_attention_layernorm.weight"), vec![D]),
            (format!("{p}.self_attn.q_proj.weight"), vec![D, D]),
            (format!("{p}.self_attn.k_proj.weight"), vec![HKV * dh, D]),
            (format!("{p}.self_attn.v_proj.weight"), vec![HKV * dh, D]),
            (format!("{p}.self_attn.o_proj.weight"), vec![D, D]),
            (format!("{p}.mlp.gate_proj.weight"), vec![F, D]),
            (format!("{p}.mlp.up_proj.weight"), vec![F, D]),
            (format!("{p}.mlp.down_proj.weight"), vec![D, F]),
        ]);
    }
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let data: Vec<(String, Vec<usize>, Vec<u8>)> = shapes
        .into_iter()
        .map(|(name, shape)| {
            let n: usize = shape.iter().product();
            // Norm weights 1, matrices uniform in ±0.04.
            let value = |x: f32| if shape.len() == 1 { 1.0 } else { 0.08 * x };
            let bytes = (0..n).flat_map(|_| value(next()).to_le_bytes()).collect();
            (name, shape, bytes)
        })
        .collect();
    let views: Vec<(&str, safetensors::tensor::TensorView<'_>)> = data
        .iter()
        .map(|(n, s, b)| Ok((n.as_str(), safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b)?)))
        .collect::<Result<_, safetensors::SafeTensorError>>()?;
    safetensors::serialize_to_file(views, &None, &dir.join("model.safetensors"))?;
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A STREAM-like triad `a = b + s·c` over 3 × 64 MiB: bytes moved per second.
fn triad_bandwidth() -> f64 {
    let n = 16 << 20;
    let (b, c) = (vec![1.0f32; n], vec![2.0f32; n]);
    let mut a = vec![0.0f32; n];
    let times: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            for ((x, &y), &z) in a.iter_mut().zip(&b).zip(&c) {
                *x = y + 0.5 * z;
            }
            black_box(&a);
            t.elapsed().as_secs_f64()
        })
        .collect();
    (3 * n * 4) as f64 / median(times)
}

struct Candle {
    model: cllama::Llama,
    config: cllama::Config,
}

impl Candle {
    fn load(dir: &Path) -> Res<Self> {
        let config: cllama::LlamaConfig = serde_json::from_str(&std::fs::read_to_string(dir.join("config.json"))?)?;
        let config = config.into_config(false);
        let vb = unsafe {
            // candle's own loader maps the file; this is the peer's code path, not ours.
            candle_nn::VarBuilder::from_mmaped_safetensors(&[dir.join("model.safetensors")], DType::F32, &Device::Cpu)?
        };
        let model = cllama::Llama::load(vb, &config)?;
        Ok(Candle { model, config })
    }

    /// Prefill then greedy decode: the tokens, and the prefill and decode times.
    fn generate(&self, prompt: &[u32], steps: usize) -> Res<(Vec<u32>, f64, f64)> {
        let mut cache = cllama::Cache::new(true, DType::F32, &self.config, &Device::Cpu)?;
        let t = Instant::now();
        let input = CTensor::new(prompt, &Device::Cpu)?.unsqueeze(0)?;
        let logits = self.model.forward(&input, 0, &mut cache)?;
        let mut next = logits.squeeze(0)?.argmax(0)?.to_scalar::<u32>()?;
        let prefill = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut tokens = vec![next];
        for step in 1..steps {
            let input = CTensor::new(&[next], &Device::Cpu)?.unsqueeze(0)?;
            let logits = self.model.forward(&input, prompt.len() + step - 1, &mut cache)?;
            next = logits.squeeze(0)?.argmax(0)?.to_scalar::<u32>()?;
            tokens.push(next);
        }
        Ok((tokens, prefill, t.elapsed().as_secs_f64()))
    }
}

/// InfraLens's decoder on its candle backend (`Decoder::to_backend::<Candle>`) against
/// candle-transformers' llama, both on candle's CPU device: what the types cost on candle.
fn measure_backend(threads: &str, dir: &Path) -> Res<()> {
    let ours = infralens_models::Decoder::load(dir)?.to_backend::<infralens::Candle>(&Device::Cpu)?;
    let theirs = Candle::load(dir)?;
    let prompt: Vec<u32> = (0..PROMPT as u32).map(|i| (i * 7919) % V as u32).collect();
    let (mut op, mut od, mut tp, mut td) = (vec![], vec![], vec![], vec![]);
    for run in 0..RUNS {
        let t = Instant::now();
        let _ = ours.generate(&prompt, 1)?;
        let prefill = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let all = ours.generate(&prompt, STEPS)?;
        let total = t.elapsed().as_secs_f64();
        op.push(prefill);
        od.push((total - prefill).max(0.0));
        let (tokens, p, d) = theirs.generate(&prompt, STEPS)?;
        tp.push(p);
        td.push(d);
        if run == 0 {
            let agree = tokens.iter().zip(&all.tokens).take_while(|(a, b)| a == b).count();
            println!("[{threads} thread(s)] candle backend cross-check: {agree} of {STEPS} greedy tokens identical");
        }
    }
    let (op, od, tp, td) = (median(op), median(od), median(tp), median(td));
    let steps = (STEPS - 1) as f64;
    println!("[{threads} thread(s)] InfraLens on its candle backend vs candle-transformers, medians of {RUNS} interleaved runs:");
    println!("  prefill {PROMPT}: {:.1} ms vs {:.1} ms, ratio {:.2}", op * 1e3, tp * 1e3, op / tp);
    println!(
        "  decode {} steps: {:.1} vs {:.1} ms/token, ratio {:.2}",
        STEPS - 1,
        od / steps * 1e3,
        td / steps * 1e3,
        od / td
    );
    Ok(())
}

/// Prefill alone, 20 times, in one decoder: for a profiler (`perf record -D` past the
/// loading).
fn profile_prefill(which: &str, dir: &Path) -> Res<()> {
    let prompt: Vec<u32> = (0..PROMPT as u32).map(|i| (i * 7919) % V as u32).collect();
    let t = Instant::now();
    let prefill: Box<dyn Fn() -> Res<()>> = if which == "candle" {
        let theirs = Candle::load(dir)?;
        Box::new(move || theirs.generate(&prompt, 1).map(|out| drop(black_box(out))))
    } else {
        let ours = infralens_models::Decoder::load(dir)?;
        Box::new(move || Ok(drop(black_box(ours.generate(&prompt, 1)?))))
    };
    eprintln!("loaded in {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
    let times = (0..20)
        .map(|_| {
            let t = Instant::now();
            prefill()?;
            Ok(t.elapsed().as_secs_f64())
        })
        .collect::<Res<Vec<f64>>>()?;
    eprintln!("prefill median {:.1} ms", median(times) * 1e3);
    Ok(())
}

fn measure(threads: &str, dir: &Path) -> Res<()> {
    if std::env::var("DECODER_COMPARE_BACKEND").as_deref() == Ok("candle") {
        return measure_backend(threads, dir);
    }
    if let Ok(which) = std::env::var("DECODER_COMPARE_PROFILE") {
        return profile_prefill(&which, dir);
    }
    let ours = infralens_models::Decoder::load(dir)?;
    // The same checkpoint with its matrices kept in bf16 (rounded on load).
    let half = infralens_models::Decoder::load_as(dir, infralens_models::WeightDtype::Bf16)?;
    let theirs = Candle::load(dir)?;
    let prompt: Vec<u32> = (0..PROMPT as u32).map(|i| (i * 7919) % V as u32).collect();
    let (mut ours_prefill, mut ours_decode, mut theirs_prefill, mut theirs_decode) = (vec![], vec![], vec![], vec![]);
    let (mut half_prefill, mut half_decode) = (vec![], vec![]);
    let mut checked = false;
    for _ in 0..RUNS {
        // InfraLens: prefill alone, then prefill + decode; the difference is the decode.
        let t = Instant::now();
        let first = ours.generate(&prompt, 1)?;
        let prefill = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let all = ours.generate(&prompt, STEPS)?;
        let total = t.elapsed().as_secs_f64();
        ours_prefill.push(prefill);
        ours_decode.push((total - prefill).max(0.0));
        let (tokens, p, d) = theirs.generate(&prompt, STEPS)?;
        theirs_prefill.push(p);
        theirs_decode.push(d);
        let t = Instant::now();
        let _ = half.generate(&prompt, 1)?;
        let prefill = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let half_all = half.generate(&prompt, STEPS)?;
        let total = t.elapsed().as_secs_f64();
        half_prefill.push(prefill);
        half_decode.push((total - prefill).max(0.0));
        if !checked {
            let agree = tokens.iter().zip(&all.tokens).take_while(|(a, b)| a == b).count();
            println!(
                "[{threads} thread(s)] cross-check: {agree} of {STEPS} greedy tokens identical (first token {} vs {})",
                first.tokens[0], tokens[0]
            );
            let same = half_all.tokens.iter().zip(&all.tokens).take_while(|(a, b)| a == b).count();
            println!("[{threads} thread(s)] InfraLens bf16 against its f32: {same} of {STEPS} greedy tokens identical");
            checked = true;
        }
    }
    let (op, od, tp, td) = (median(ours_prefill), median(ours_decode), median(theirs_prefill), median(theirs_decode));
    let (hp, hd) = (median(half_prefill), median(half_decode));
    let decode_steps = (STEPS - 1) as f64;
    // The layers' weights work on every position; the output projection on the last one
    // only (both decoders); the embedding table is read one row a token.
    let layer_params = (LAYERS * (2 * D * D + 2 * D * (HKV * D / H) + 3 * D * F + 2 * D)) as f64;
    let head_params = (V * D) as f64;
    let flops_prefill = 2.0 * layer_params * PROMPT as f64 + 2.0 * head_params;
    let kv_bytes = |t: usize| (2 * LAYERS * HKV * (D / H) * t * 4) as f64;
    let bytes_per_token = (layer_params + head_params) * 4.0 + kv_bytes(PROMPT + STEPS / 2);
    let bw = triad_bandwidth();
    println!("[{threads} thread(s)] medians of {RUNS} interleaved runs:");
    println!(
        "  prefill {PROMPT}: InfraLens {:.1} ms, candle {:.1} ms, ratio {:.2} ({:.1} vs {:.1} GFLOP/s)",
        op * 1e3, tp * 1e3, op / tp, flops_prefill / op / 1e9, flops_prefill / tp / 1e9
    );
    println!(
        "  decode {} steps: InfraLens {:.1} ms/token, candle {:.1} ms/token, ratio {:.2} ({:.1} vs {:.1} tokens/s)",
        STEPS - 1, od / decode_steps * 1e3, td / decode_steps * 1e3, od / td, decode_steps / od, decode_steps / td
    );
    // candle's CPU backend has no bf16 matmul (huggingface/candle#3503): its best CPU path
    // for this checkpoint is f32, the figures above.
    println!(
        "  bf16 weights (InfraLens): prefill {:.1} ms ({:.2} of candle f32), decode {:.1} ms/token, {:.1} tokens/s: {:.2}x InfraLens f32 decode, {:.2}x candle f32; {:.1} GB/s ({:.0}% of the triad)",
        hp * 1e3,
        hp / tp,
        hd / decode_steps * 1e3,
        decode_steps / hd,
        od / hd,
        td / hd,
        ((layer_params + head_params) * 2.0 + kv_bytes(PROMPT + STEPS / 2)) * decode_steps / hd / 1e9,
        100.0 * ((layer_params + head_params) * 2.0 + kv_bytes(PROMPT + STEPS / 2)) * decode_steps / hd / bw
    );
    println!(
        "  decode bandwidth: InfraLens {:.1} GB/s, candle {:.1} GB/s, of a triad's {:.1} GB/s ({:.0}% and {:.0}%)",
        bytes_per_token * decode_steps / od / 1e9,
        bytes_per_token * decode_steps / td / 1e9,
        bw / 1e9,
        100.0 * bytes_per_token * decode_steps / od / bw,
        100.0 * bytes_per_token * decode_steps / td / bw
    );
    Ok(())
}

fn main() -> Res<()> {
    let dir = PathBuf::from(std::env::var("DECODER_COMPARE_DIR").unwrap_or_else(|_| "/tmp/infralens-decoder-compare".into()));
    write_model(&dir)?;
    if let Ok(threads) = std::env::var("INFRALENS_THREADS") {
        return measure(&threads, &dir);
    }
    let exe = std::env::current_exe()?;
    for threads in ["1", "2"] {
        let status = std::process::Command::new(&exe)
            .env("INFRALENS_THREADS", threads)
            .env("RAYON_NUM_THREADS", threads)
            .status()?;
        if !status.success() {
            eprintln!("the run with {threads} thread(s) failed");
        }
    }
    Ok(())
}
