//! Loads a Hugging Face checkpoint directory (`config.json` + `model.safetensors`) and
//! generates greedy tokens through the KV cache.
//!
//! ```sh
//! cargo run --release -p infralens-models --example generate -- infralens-models/tests/fixtures/llama --tokens 3,14,15,92 --steps 16
//! ```
//!
//! Prints the model's walkthrough, a `token: N` line a step and a final `tokens: a,b,c`
//! line; `--logits FILE` writes the last prompt position's logits as a JSON array.

use infralens_models::Decoder;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generate: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut tokens = vec![1u32];
    let mut steps = 16usize;
    let mut logits_file = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tokens" => {
                let list = args
                    .next()
                    .ok_or("--tokens needs a list, as in --tokens 1,2,3")?;
                tokens = list
                    .split(',')
                    .map(|t| t.trim().parse::<u32>())
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("--tokens {list}: {e}"))?;
            }
            "--steps" => {
                let n = args.next().ok_or("--steps needs a number")?;
                steps = n.parse().map_err(|e| format!("--steps {n}: {e}"))?;
            }
            "--logits" => logits_file = Some(args.next().ok_or("--logits needs a file name")?),
            "-h" | "--help" => {
                println!("usage: generate DIR [--tokens 1,2,3] [--steps 16] [--logits FILE]");
                return Ok(());
            }
            other if dir.is_none() && !other.starts_with('-') => dir = Some(other.to_owned()),
            other => return Err(format!("unexpected argument `{other}`; see --help").into()),
        }
    }
    let dir =
        dir.ok_or("give the checkpoint directory: generate DIR [--tokens 1,2,3] [--steps 16]")?;
    let model = Decoder::load(&dir)?;
    let c = model.config();
    let flops_per_token = 2 * model.parameters();
    println!("{dir}: {:?}, {} layers", c.architecture, c.layers);
    println!(
        "  dims: D={} H={} Hkv={} Dh={} F={} V={}",
        c.hidden_size, c.heads, c.kv_heads, c.head_dim, c.intermediate_size, c.vocab_size
    );
    println!("  parameters: {}", model.parameters());
    println!("  KV cache: {} bytes per token", model.kv_bytes_per_token());
    println!("  FLOPs per token (weights, 2 per parameter): {flops_per_token}");
    println!(
        "generating {steps} tokens after a prompt of {}…",
        tokens.len()
    );
    let out = model.generate_with(&tokens, steps, |_, token| println!("token: {token}"))?;
    let list: Vec<String> = out.tokens.iter().map(u32::to_string).collect();
    println!("tokens: {}", list.join(","));
    if let Some(file) = logits_file {
        // A temporary file beside it, then one rename: a failed write leaves no half file.
        let json = serde_json::to_string(&out.logits)?;
        let path = std::path::Path::new(&file);
        let dir = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(p) => p,
            None => std::path::Path::new("."),
        };
        let mut temp = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| format!("cannot write {file}: {e}"))?;
        std::io::Write::write_all(&mut temp, json.as_bytes())
            .map_err(|e| format!("cannot write {file}: {e}"))?;
        temp.persist(path)
            .map_err(|e| format!("cannot write {file}: {}", e.error))?;
    }
    Ok(())
}
