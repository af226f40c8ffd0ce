//! Mutation fuzzing of what a user hands the loader: `config.json` texts (the four fixtures'
//! configs, mutated — values swapped for numbers of every size, strings, nulls, nested
//! objects; keys dropped; bytes flipped) through `Config::from_json`, and safetensors files
//! (a small checkpoint, its header and data mutated — offsets, shapes, dtypes, lengths,
//! truncations) through `Checkpoint::from_bytes` and every tensor fetched. Nothing may panic;
//! every error must have a message; time per input stays bounded (the worst is printed).
//!
//! And whole models: a fixture's config and checkpoint, either or both mutated, through
//! `Decoder::from_checkpoint` and, when it loads, two greedy steps — under a memory cap (the
//! heap's peak per input, counted by the allocator).
//!
//! 20,000 inputs of each by default (seeded, so a failure repeats); a long run:
//! `INFRALENS_FUZZ_INPUTS=10000000 cargo test --release -p infralens-models --test fuzz -- --nocapture --test-threads=1`
//! (a tenth as many models; one thread, so that the heap figures are each test's own).

use infralens::prelude::*;
use infralens_models::{Checkpoint, Config, Decoder};
use peak_alloc::PeakAlloc;

// Counts the heap, for the memory cap per input.
#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, serialize};
use serde_json::Value;
use std::time::{Duration, Instant};

dims! { pub R = dyn; pub K = dyn; }

/// SplitMix64: a seeded stream, so that a failure repeats.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn inputs() -> usize {
    std::env::var("INFRALENS_FUZZ_INPUTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000)
}

/// A JSON value of a kind that breaks assumptions.
fn odd_value(rng: &mut Rng) -> Value {
    let numbers = [
        "0",
        "-1",
        "1",
        "2",
        "3",
        "7",
        "1e9",
        "1e15",
        "1e300",
        "-1e300",
        "0.5",
        "4294967296",
        "8589934592",
        "18446744073709551615",
        "18446744073709551616",
        "1e-300",
    ];
    match rng.below(6) {
        0 => serde_json::from_str(numbers[rng.below(numbers.len())]).unwrap_or(Value::Null),
        1 => Value::String(["", "1e-5", "llama3", "yarn", "silu", "gelu"][rng.below(6)].into()),
        2 => Value::Null,
        3 => Value::Bool(rng.below(2) == 0),
        4 => serde_json::json!({"rope_type": "llama3", "factor": 8.0, "rope_theta": 0}),
        _ => serde_json::json!([1, 2, 3]),
    }
}

fn mutate_config(base: &Value, rng: &mut Rng) -> String {
    let mut v = base.clone();
    if let Some(map) = v.as_object_mut() {
        let keys: Vec<String> = map.keys().cloned().collect();
        for _ in 0..1 + rng.below(4) {
            let key = &keys[rng.below(keys.len())];
            match rng.below(3) {
                0 => {
                    map.remove(key);
                }
                _ => {
                    map.insert(key.clone(), odd_value(rng));
                }
            }
        }
    }
    let mut text = v.to_string();
    if rng.below(8) == 0 && !text.is_empty() {
        // a byte of the text changed or cut
        let at = rng.below(text.len());
        if text.is_char_boundary(at) {
            text.truncate(at);
        }
    }
    text
}

#[test]
fn mutated_configs_are_read_or_refused_never_a_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let bases: Vec<Value> = ["llama", "qwen3", "mistral", "gpt2"]
        .iter()
        .map(|m| {
            let text = std::fs::read_to_string(dir.join(m).join("config.json")).expect("config");
            serde_json::from_str(&text).expect("json")
        })
        .collect();
    let mut rng = Rng(27);
    let (mut read, mut refused, mut worst) = (0usize, 0usize, Duration::ZERO);
    let n = inputs();
    for i in 0..n {
        let text = mutate_config(&bases[i % bases.len()], &mut rng);
        let start = Instant::now();
        match Config::from_json(&text) {
            Ok(c) => {
                read += 1;
                // what was read is usable: its sizes are computed without a wrap
                let _ = c.sizes(1, 16);
            }
            Err(e) => {
                refused += 1;
                assert!(!e.to_string().is_empty(), "{text}");
            }
        }
        worst = worst.max(start.elapsed());
    }
    println!(
        "configs: {n} mutants, {read} read, {refused} refused, no panic; worst {:?}",
        worst
    );
    assert_eq!(read + refused, n);
}

/// A small valid checkpoint: three tensors of three types.
fn small_checkpoint() -> Vec<u8> {
    let a: Vec<u8> = (0..12u32).flat_map(|i| (i as f32).to_le_bytes()).collect();
    let b: Vec<u8> = (0..6u16).flat_map(|i| i.to_le_bytes()).collect();
    let c: Vec<u8> = (0..4u16).flat_map(|i| (i << 7).to_le_bytes()).collect();
    serialize(
        vec![
            ("a", TensorView::new(Dtype::F32, vec![3, 4], &a).expect("a")),
            ("b", TensorView::new(Dtype::F16, vec![2, 3], &b).expect("b")),
            (
                "c",
                TensorView::new(Dtype::BF16, vec![4, 1], &c).expect("c"),
            ),
        ],
        &None,
    )
    .expect("serialize")
}

fn mutate_bytes(base: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut bytes = base.to_vec();
    for _ in 0..1 + rng.below(3) {
        if bytes.len() < 9 {
            break;
        }
        // Where the header ends in the bytes as they are now (an earlier mutation may have
        // changed its length or cut the file).
        let stated = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
        let header_end = usize::try_from(stated)
            .ok()
            .and_then(|n| n.checked_add(8))
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        match rng.below(7) {
            // a byte of the header (its JSON: offsets, shapes, dtypes)
            0 | 1 => {
                if header_end > 8 {
                    let at = 8 + rng.below(header_end - 8);
                    bytes[at] = b"0123456789[],:\"{}FBUIe-"[rng.below(23)];
                }
            }
            // the header's length
            2 => {
                let len = [
                    0u64,
                    1,
                    7,
                    u64::MAX,
                    1 << 40,
                    header_end.saturating_sub(9) as u64,
                ][rng.below(6)];
                bytes[..8].copy_from_slice(&len.to_le_bytes());
            }
            // truncated
            3 => {
                let at = rng.below(bytes.len());
                bytes.truncate(at);
            }
            // data bytes flipped (NaN, infinities in the weights)
            4 => {
                if bytes.len() > header_end {
                    let at = header_end + rng.below(bytes.len() - header_end);
                    bytes[at] ^= 0xff;
                }
            }
            // bytes appended
            5 => bytes.extend(std::iter::repeat_n(0xaa, rng.below(64))),
            // a number in the header replaced by a huge one
            _ => {
                let text = String::from_utf8_lossy(&bytes[8..header_end]).into_owned();
                let huge = text.replacen("12", "18446744073709551615", 1);
                if huge != text {
                    let mut out = (huge.len() as u64).to_le_bytes().to_vec();
                    out.extend_from_slice(huge.as_bytes());
                    out.extend_from_slice(&bytes[header_end..]);
                    bytes = out;
                }
            }
        }
    }
    bytes
}

#[test]
fn mutated_checkpoints_are_read_or_refused_never_a_panic() {
    let base = small_checkpoint();
    let mut rng = Rng(28);
    let (mut opened, mut refused, mut fetched, mut worst) =
        (0usize, 0usize, 0usize, Duration::ZERO);
    let n = inputs();
    for _ in 0..n {
        let bytes = mutate_bytes(&base, &mut rng);
        let start = Instant::now();
        match Checkpoint::from_bytes("fuzz.safetensors".into(), bytes) {
            Ok(ckpt) => {
                opened += 1;
                for name in ckpt.names().to_vec() {
                    // every tensor, as any 2-D shape its sizes might have
                    for (r, k) in [(3, 4), (2, 3), (4, 1), (12, 1)] {
                        if ckpt.tensor::<(R, K)>(&name, &sizes![R = r, K = k]).is_ok() {
                            fetched += 1;
                        }
                    }
                }
            }
            Err(e) => {
                refused += 1;
                assert!(!e.to_string().is_empty());
            }
        }
        worst = worst.max(start.elapsed());
    }
    println!(
        "checkpoints: {n} mutants, {opened} opened ({fetched} tensors fetched), {refused} refused, no panic; worst {:?}",
        worst
    );
    assert_eq!(opened + refused, n);
}

/// Whole models from mutated fixtures: loaded or refused, never a panic, and never more heap
/// than a cap far above what the fixtures need (a few MB): a config that asks for sizes
/// the checkpoint does not have is refused before anything that size is allocated.
#[test]
fn mutated_models_load_and_run_or_are_refused_within_a_memory_cap() {
    const CAP: usize = 64 << 20;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let models: Vec<(Value, Vec<u8>)> = ["llama", "qwen3", "mistral", "gpt2"]
        .iter()
        .map(|m| {
            let text = std::fs::read_to_string(dir.join(m).join("config.json")).expect("config");
            let bytes = std::fs::read(dir.join(m).join("model.safetensors")).expect("weights");
            (serde_json::from_str(&text).expect("json"), bytes)
        })
        .collect();
    let mut rng = Rng(29);
    let (mut ran, mut refused, mut worst, mut worst_heap) = (0usize, 0usize, Duration::ZERO, 0);
    // A model is a few hundred times the work of a config: a tenth as many.
    let n = inputs() / 10;
    for i in 0..n {
        let (config, weights) = &models[i % models.len()];
        let (text, bytes) = match rng.below(3) {
            0 => (mutate_config(config, &mut rng), weights.clone()),
            1 => (config.to_string(), mutate_bytes(weights, &mut rng)),
            _ => (
                mutate_config(config, &mut rng),
                mutate_bytes(weights, &mut rng),
            ),
        };
        let before = ALLOCATOR.current_usage();
        ALLOCATOR.reset_peak_usage();
        let start = Instant::now();
        let outcome = Config::from_json(&text)
            .and_then(|c| {
                let ckpt = Checkpoint::from_bytes("fuzz.safetensors".into(), bytes)?;
                Decoder::from_checkpoint(c, &ckpt)
            })
            .map_err(|e| e.to_string())
            .and_then(|model| model.generate(&[1, 2, 3], 2).map_err(|e| e.to_string()));
        match outcome {
            Ok(_) => ran += 1,
            Err(message) => {
                refused += 1;
                assert!(!message.is_empty(), "{text}");
            }
        }
        worst = worst.max(start.elapsed());
        let heap = ALLOCATOR.peak_usage().saturating_sub(before);
        worst_heap = worst_heap.max(heap);
        assert!(heap < CAP, "input {i}: {heap} bytes of heap\n{text}");
    }
    println!(
        "models: {n} mutants, {ran} loaded and generated, {refused} refused, no panic; worst {worst:?}, worst heap {} KB",
        worst_heap / 1024
    );
    assert_eq!(ran + refused, n);
}
