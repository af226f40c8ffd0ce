//! `infralens-run`: loads a Hugging Face checkpoint directory and generates through the KV
//! cache, greedy or sampled, then says how fast it went and how near the machine's memory
//! bandwidth decoding came.
//!
//! ```sh
//! cargo run --release -p infralens-models --bin infralens-run -- infralens-models/tests/fixtures/llama --tokens 3,14,15,92 --steps 16
//! ```
//!
//! `--backend candle` runs the model on the candle backend (candle's CPU kernels; the binary
//! built with `--features candle`).
//!
//! It prints the model's walkthrough, a `token: N` line a step, a final `tokens: a,b,c` line
//! (for scripts) and the readout; `--logits FILE` writes the last prompt position's logits as
//! a JSON array.

use clap::Parser;
use infralens::generate::generate_with;
use infralens::{Backend, Sampler};
use infralens_models::{Decoder, Tokenizer, WeightDtype};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Runs a Llama, Qwen2, Qwen3, Mistral or GPT-2 checkpoint (a directory with `config.json`
/// and `model.safetensors` or its shards) through InfraLens' typed decoder.
#[derive(Parser, Debug)]
#[command(name = "infralens-run", version, about)]
struct Args {
    /// The checkpoint's directory.
    dir: PathBuf,
    /// The prompt as text, encoded by the directory's `tokenizer.json` (with its special
    /// tokens, as `<s>`); the generated text streams out as it comes.
    #[arg(long, conflicts_with = "tokens")]
    prompt: Option<String>,
    /// The prompt's token ids, comma-separated (default: `1`).
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    tokens: Vec<u32>,
    /// How many tokens to generate.
    #[arg(long, default_value_t = 16)]
    steps: usize,
    /// Sampling temperature; 0 is greedy (the default).
    #[arg(long, default_value_t = 0.0, value_parser = temperature, allow_negative_numbers = true)]
    temperature: f64,
    /// Sample among the `K` most likely tokens only.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..))]
    top_k: Option<u32>,
    /// Sample among the most likely tokens whose probabilities add up to `P` (0 < P ≤ 1).
    #[arg(long, value_name = "P", value_parser = top_p)]
    top_p: Option<f64>,
    /// The sampler's seed: the same seed, the same tokens.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Token ids that end generation, comma-separated, beside the model's `eos_token_id`.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    stop: Vec<u32>,
    /// Generates all `--steps` tokens, past the model's `eos_token_id`.
    #[arg(long)]
    ignore_eos: bool,
    /// How the matrices are kept in memory: `f32`, `bf16`, `f16`, or `stored` (the
    /// checkpoint's own dtype for each; bf16 and f16 stay half). Activations are f32.
    #[arg(long, default_value_t = WeightDtype::AsStored, value_name = "DTYPE")]
    dtype: WeightDtype,
    /// Which kernels run the model: `native` (InfraLens's own, the default) or `candle`
    /// (candle's, on its CPU device; needs the binary built with `--features candle`).
    #[arg(long, value_enum, default_value_t = BackendChoice::Native)]
    backend: BackendChoice,
    /// Threads for the kernels (default: `INFRALENS_THREADS`, else the machine's cores).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
    /// Writes the last prompt position's logits to FILE as a JSON array.
    #[arg(long, value_name = "FILE")]
    logits: Option<PathBuf>,
}

/// The backend `--backend` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum BackendChoice {
    /// InfraLens's own CPU kernels.
    Native,
    /// candle's kernels, on candle's CPU device.
    Candle,
}

fn temperature(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(t) if t.is_finite() && t >= 0.0 => Ok(t),
        _ => Err(format!(
            "`{s}` is not a temperature: a number of at least 0 (0 is greedy)"
        )),
    }
}

fn top_p(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if p > 0.0 && p <= 1.0 => Ok(p),
        _ => Err(format!("`{s}` is not a probability above 0 and at most 1")),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("infralens-run: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    match args.threads {
        Some(n) => infralens::threads::set_num_threads(n as usize),
        // A bad `INFRALENS_THREADS` is refused here, in words, before the first op would
        // panic on it.
        None => {
            if let Some(value) = std::env::var_os("INFRALENS_THREADS") {
                let n = infralens::threads::parse_threads(&value.to_string_lossy())?;
                infralens::threads::set_num_threads(n);
            }
        }
    }
    let loading = Instant::now();
    let model = load(&args.dir, args.dtype)?;
    match args.backend {
        BackendChoice::Native => run_on(args, model, loading),
        #[cfg(feature = "candle")]
        BackendChoice::Candle => {
            let device = infralens::candle_core::Device::Cpu;
            run_on(args, model.to_backend::<infralens::Candle>(&device)?, loading)
        }
        #[cfg(not(feature = "candle"))]
        BackendChoice::Candle => Err("--backend candle: this infralens-run was built without the candle backend; build it with `--features candle` (cargo install infralens-models --features candle)".into()),
    }
}

/// Generates with `model`, loaded (and moved to its backend) since `loading`.
fn run_on<Be: Backend>(
    args: &Args,
    model: Decoder<Be>,
    loading: Instant,
) -> Result<(), Box<dyn std::error::Error>> {
    let tokenizer = Tokenizer::load(&args.dir)?;
    let loaded = loading.elapsed();
    let prompt: Vec<u32> = match (&args.prompt, &tokenizer) {
        (Some(text), Some(tok)) => tok.encode(text, true)?,
        (Some(_), None) => {
            return Err(format!(
                "--prompt needs a tokenizer: {} has no tokenizer.json (give --tokens instead)",
                args.dir.display()
            )
            .into());
        }
        (None, _) if args.tokens.is_empty() => vec![1],
        (None, _) => args.tokens.clone(),
    };
    let mut stop = args.stop.clone();
    if !args.ignore_eos {
        stop.extend(&model.config().eos_token_ids);
    }
    let c = model.config();
    let params = model.parameters();
    println!(
        "{}: {:?}, {} layers, loaded in {} ({} backend)",
        args.dir.display(),
        c.architecture,
        c.layers,
        time(loaded),
        Be::NAME
    );
    println!(
        "  dims: D={} H={} Hkv={} Dh={} F={} V={}",
        c.hidden_size, c.heads, c.kv_heads, c.head_dim, c.intermediate_size, c.vocab_size
    );
    println!(
        "  parameters: {params}; the matrices as {} ({}B a token reads)",
        model.weight_dtype(),
        si(model.weight_bytes_per_token() as f64)
    );
    println!("  KV cache: {} bytes per token", model.kv_bytes_per_token());
    println!(
        "  FLOPs a decode step (its matrix products, 2 a multiply-add): {}",
        model.flops(1)
    );

    let mut sampler = if args.temperature == 0.0 {
        Sampler::greedy()
    } else {
        let mut s = Sampler::new(args.seed).temperature(args.temperature);
        if let Some(k) = args.top_k {
            s = s.top_k(k as usize);
        }
        if let Some(p) = args.top_p {
            s = s.top_p(p);
        }
        s
    };
    println!(
        "generating up to {} tokens after a prompt of {}{}…",
        args.steps,
        prompt.len(),
        if stop.is_empty() {
            String::new()
        } else {
            format!(", stopping at {stop:?}")
        }
    );
    // With a text prompt the text streams out; with ids, a line a token for scripts.
    let mut stream = match (&args.prompt, &tokenizer) {
        (Some(_), Some(tok)) => Some(tok.stream_after(&prompt)?),
        _ => None,
    };
    if let Some(text) = &args.prompt {
        print!("{text}");
    }
    let mut failed = None;
    let start = Instant::now();
    let mut stamps = Vec::with_capacity(args.steps);
    let out = generate_with(
        &model,
        &prompt,
        args.steps,
        &mut sampler,
        &stop,
        |_, token| {
            stamps.push(start.elapsed());
            match stream.as_mut() {
                Some(stream) => match stream.push(token) {
                    Ok(piece) => {
                        print!("{piece}");
                        let _ = std::io::Write::flush(&mut std::io::stdout());
                    }
                    Err(e) => failed = Some(e),
                },
                None => println!("token: {token}"),
            }
        },
    )?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    if args.prompt.is_some() {
        println!();
    }
    let list: Vec<String> = out.tokens.iter().map(u32::to_string).collect();
    println!("tokens: {}", list.join(","));
    if let Some(tok) = &tokenizer {
        println!("text: {:?}", tok.decode(&out.tokens, true)?);
    }
    if let Some(file) = &args.logits {
        let first = out
            .logits
            .first()
            .ok_or("--logits: no step was run (--steps 0)")?;
        write_atomically(file, serde_json::to_string(first)?.as_bytes())?;
    }
    readout(&model, prompt.len(), &stamps);
    Ok(())
}

/// Loads the model; on a terminal, a progress line on stderr (bytes read of the
/// checkpoint's tensors), rewritten in place and cleared when done.
fn load(dir: &std::path::Path, dtype: WeightDtype) -> Result<Decoder, Box<dyn std::error::Error>> {
    use std::io::{IsTerminal, Write};
    use std::sync::atomic::{AtomicBool, Ordering};
    let config = infralens_models::Config::load(dir)?;
    let ckpt = infralens_models::Checkpoint::open_dir(dir)?;
    if !std::io::stderr().is_terminal() {
        return Ok(Decoder::from_checkpoint_as(config, &ckpt, dtype)?);
    }
    let total = ckpt.data_bytes().max(1);
    let done = AtomicBool::new(false);
    let model = std::thread::scope(|s| {
        s.spawn(|| {
            let mut err = std::io::stderr();
            while !done.load(Ordering::Relaxed) {
                let read = ckpt.fetched_bytes();
                let _ = write!(
                    err,
                    "\rloading {}: {}B of {}B ({:.0} %)",
                    dir.display(),
                    si(read as f64),
                    si(total as f64),
                    100.0 * read as f64 / total as f64
                );
                let _ = err.flush();
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = write!(err, "\r\x1b[2K");
        });
        let model = Decoder::from_checkpoint_as(config, &ckpt, dtype);
        done.store(true, Ordering::Relaxed);
        model
    });
    Ok(model?)
}

/// Prefill and decode speed, the FLOPs of their matrix products ([`Decoder::flops`]), and
/// decode's bytes a token against a bandwidth measured now.
fn readout<Be: Backend>(model: &Decoder<Be>, prompt_len: usize, stamps: &[Duration]) {
    let Some(&prefill) = stamps.first() else {
        return;
    };
    let prompt = prompt_len as f64;
    println!(
        "prefill: {prompt_len} tokens in {} — {} tokens/s, {}FLOP/s",
        time(prefill),
        round(prompt / prefill.as_secs_f64()),
        si(model.flops(prompt_len) as f64 / prefill.as_secs_f64())
    );
    let decoded = stamps.len() - 1;
    if decoded == 0 {
        return;
    }
    let span = stamps[decoded]
        .saturating_sub(prefill)
        .as_secs_f64()
        .max(1e-9);
    let rate = decoded as f64 / span;
    // Each decode step reads the weights (at the precision they are kept in) and the cache
    // so far: on average the positions before the middle step.
    let weights = model.weight_bytes_per_token() as f64;
    let cached = prompt + decoded as f64 / 2.0;
    let bytes = weights + model.kv_bytes_per_token() as f64 * cached;
    let achieved = bytes * rate;
    let threads = infralens::threads::num_threads();
    let triad = triad_bandwidth(threads);
    println!(
        "decode: {decoded} tokens in {} — {} tokens/s, {}FLOP/s; {}B read a token, {}B/s, {:.0} % of a {}B/s triad measured now ({threads} thread{})",
        time(Duration::from_secs_f64(span)),
        round(rate),
        si(model.flops(1) as f64 * rate),
        si(bytes),
        si(achieved),
        100.0 * achieved / triad,
        si(triad),
        if threads == 1 { "" } else { "s" }
    );
}

/// STREAM's triad, `a = b + s·c` over arrays far larger than any cache, split over
/// `threads`: the best of five passes, counting the three arrays' bytes.
fn triad_bandwidth(threads: usize) -> f64 {
    const N: usize = 1 << 23; // 32 MiB an array of f32
    let b = vec![1.0f32; N];
    let c = vec![2.0f32; N];
    let mut a = vec![0.0f32; N];
    let chunk = N.div_ceil(threads.max(1));
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        std::thread::scope(|s| {
            for ((a, b), c) in a
                .chunks_mut(chunk)
                .zip(b.chunks(chunk))
                .zip(c.chunks(chunk))
            {
                s.spawn(move || {
                    for ((a, b), c) in a.iter_mut().zip(b).zip(c) {
                        *a = b + 3.0 * c;
                    }
                });
            }
        });
        best = best.min(t.elapsed().as_secs_f64());
        std::hint::black_box(&a);
    }
    (3 * N * 4) as f64 / best.max(1e-9)
}

/// `file` written through a temporary file beside it and one rename: a failed write leaves
/// no half file.
fn write_atomically(file: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    let dir = match file.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(p) => p,
        None => std::path::Path::new("."),
    };
    let shown = file.display();
    let mut temp =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| format!("cannot write {shown}: {e}"))?;
    std::io::Write::write_all(&mut temp, bytes)
        .map_err(|e| format!("cannot write {shown}: {e}"))?;
    temp.persist(file)
        .map_err(|e| format!("cannot write {shown}: {}", e.error))?;
    Ok(())
}

fn time(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.1} ms", s * 1e3)
    }
}

fn round(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// `x` with an SI prefix and a space before the unit that follows: `1.6 G`.
fn si(x: f64) -> String {
    let (v, p) = if x >= 1e12 {
        (x / 1e12, "T")
    } else if x >= 1e9 {
        (x / 1e9, "G")
    } else if x >= 1e6 {
        (x / 1e6, "M")
    } else if x >= 1e3 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    format!("{v:.1} {p}")
}
