//! `infralens-run`, the command: the tokens and logits `transformers` gives, sampling that a
//! seed repeats, the readout, and arguments refused in words (issue 28).

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_infralens-run"))
        .args(args)
        .env("INFRALENS_THREADS", "1")
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn golden(name: &str) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(fixture(name).join("golden.json")).expect("golden.json"),
    )
    .expect("JSON")
}

fn joined(v: &Value) -> String {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn tokens_line(out: &str) -> &str {
    out.lines()
        .find_map(|l| l.strip_prefix("tokens: "))
        .expect("a tokens line")
}

#[test]
fn greedy_tokens_and_logits_are_transformers() {
    for name in ["llama", "qwen2", "gpt2"] {
        let g = golden(name);
        let dir = fixture(name);
        let logits =
            std::env::temp_dir().join(format!("infralens-run-{name}-{}.json", std::process::id()));
        let prompt = joined(&g["prompt"]);
        let (code, out, err) = run(&[
            dir.to_str().expect("utf-8"),
            "--tokens",
            &prompt,
            "--steps",
            "16",
            "--logits",
            logits.to_str().expect("utf-8"),
        ]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(tokens_line(&out), joined(&g["tokens"]), "{name}");
        assert_eq!(out.matches("\ntoken: ").count(), 16, "{out}");
        let ours: Vec<f64> =
            serde_json::from_str(&std::fs::read_to_string(&logits).expect("logits"))
                .expect("a JSON array");
        let want = g["logits"].as_array().expect("an array");
        assert_eq!(ours.len(), want.len());
        let worst = ours
            .iter()
            .zip(want)
            .map(|(a, b)| (a - b.as_f64().expect("a number")).abs())
            .fold(0.0, f64::max);
        assert!(worst <= 1e-4, "{name}: {worst:e}");
        // The readout: both phases, in tokens a second, with the bandwidth line.
        assert!(out.contains("prefill: 8 tokens in "), "{out}");
        assert!(out.contains("decode: 15 tokens in "), "{out}");
        assert!(
            out.contains("% of a ") && out.contains("triad measured now (1 thread)"),
            "{out}"
        );
        let _ = std::fs::remove_file(logits);
    }
}

#[test]
fn a_seed_repeats_its_sample_and_stop_tokens_end_it() {
    let dir = fixture("llama");
    let dir = dir.to_str().expect("utf-8");
    let sample = |seed: &str| {
        let (code, out, err) = run(&[
            dir,
            "--tokens",
            "3,14,15",
            "--steps",
            "12",
            "--temperature",
            "1.5",
            "--top-k",
            "50",
            "--top-p",
            "0.95",
            "--seed",
            seed,
        ]);
        assert_eq!(code, 0, "{err}");
        tokens_line(&out).to_owned()
    };
    assert_eq!(sample("7"), sample("7"));
    let seeds: Vec<String> = (0..4).map(|s| sample(&s.to_string())).collect();
    assert!(
        seeds.iter().any(|s| *s != seeds[0]),
        "four seeds gave the same 12 tokens at temperature 1.5: {seeds:?}"
    );
    // Greedy from the golden prompt gives 239 first: stopping on it ends after one token.
    let (code, out, _) = run(&[dir, "--tokens", "3,14,15,92,65,35,89,7", "--stop", "239"]);
    assert_eq!(code, 0);
    assert_eq!(tokens_line(&out), "239");
}

#[test]
fn bad_arguments_are_refused_in_words() {
    let dir = fixture("llama");
    let dir = dir.to_str().expect("utf-8");
    for (args, want) in [
        (vec![dir, "--temperature", "-1"], "is not a temperature"),
        (
            vec![dir, "--top-p", "1.5"],
            "is not a probability above 0 and at most 1",
        ),
        (vec![dir, "--top-k", "0"], "--top-k"),
        (vec![dir, "--threads", "0"], "--threads"),
        (vec![dir, "--tokens", "1,x"], "--tokens"),
        (vec![dir, "--tokens", "9999"], "9999"),
        (vec![dir, "--dtype", "fp8"], "`fp8` is not a weight dtype"),
        (
            vec!["/no/such/model"],
            "cannot read /no/such/model/config.json",
        ),
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// A bad `INFRALENS_THREADS` is refused in words (not a panic), unless `--threads` says.
#[test]
fn a_bad_threads_variable_is_refused_unless_threads_is_given() {
    let dir = fixture("llama");
    let with = |value: &str, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_infralens-run"))
            .arg(&dir)
            .args(["--tokens", "1", "--steps", "2"])
            .args(args)
            .env("INFRALENS_THREADS", value)
            .output()
            .expect("runs")
    };
    let out = with("abc", &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("infralens-run: INFRALENS_THREADS=abc is not a thread count")
            && !err.contains("panicked"),
        "{err}"
    );
    let out = with("abc", &["--threads", "2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = with("3", &[]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("(3 threads)"), "{said}");
}

#[test]
fn a_text_prompt_is_encoded_and_the_text_streams_out() {
    let dir = fixture("llama");
    let dir = dir.to_str().expect("utf-8");
    let (code, out, err) = run(&[dir, "--prompt", "The cache holds the keys.", "--steps", "8"]);
    assert_eq!(code, 0, "{err}");
    // Python's ids for the prompt, `<s>` first (`tests/fixtures/tokenizer/cases.json`).
    let cases: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("tokenizer").join("cases.json")).expect("cases"),
    )
    .expect("JSON");
    let case = cases["cases"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|c| c["text"] == "The cache holds the keys." && c["add_special_tokens"] == true)
        .expect("the case");
    // The same generation from those ids.
    let (_, by_ids, _) = run(&[dir, "--tokens", &joined(&case["ids"]), "--steps", "8"]);
    assert_eq!(tokens_line(&out), tokens_line(&by_ids));
    // The text streamed after the prompt is the text line's.
    let text: String = serde_json::from_str(
        out.lines()
            .find_map(|l| l.strip_prefix("text: "))
            .expect("a text line"),
    )
    .expect("a quoted string");
    assert!(
        out.contains(&format!("The cache holds the keys.{text}\n")),
        "{out}"
    );
    assert!(!out.contains("\ntoken: "), "{out}");
    // No tokenizer, no text prompt.
    let (code, _, err) = run(&[fixture("qwen3").to_str().expect("utf-8"), "--prompt", "hi"]);
    assert_eq!(code, 2);
    assert!(err.contains("--prompt needs a tokenizer"), "{err}");
}

#[test]
fn the_models_eos_ends_generation_unless_ignored() {
    // A copy of the Llama fixture whose `eos_token_id` is the first greedy token.
    let dir = std::env::temp_dir().join(format!("infralens-run-eos-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    for file in ["config.json", "model.safetensors", "generation_config.json"] {
        std::fs::copy(fixture("llama").join(file), dir.join(file)).expect("copy");
    }
    let edit = |file: &str| {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("\"eos_token_id\": 2"), "{file}");
        std::fs::write(
            &path,
            text.replace("\"eos_token_id\": 2", "\"eos_token_id\": [7, 239]"),
        )
        .expect("write");
    };
    edit("generation_config.json");
    let prompt = "3,14,15,92,65,35,89,7";
    let d = dir.to_str().expect("utf-8");
    let (code, out, err) = run(&[d, "--tokens", prompt]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(tokens_line(&out), "239");
    let (_, out, _) = run(&[d, "--tokens", prompt, "--steps", "3", "--ignore-eos"]);
    assert_eq!(tokens_line(&out), "239,51,143");
    let _ = std::fs::remove_dir_all(dir);
}

/// `--dtype`: a bf16 checkpoint kept as stored gives `transformers`' tokens, the walkthrough
/// says what the matrices are kept as, and the readout's bytes a token halve against f32.
#[test]
fn the_weights_dtype_is_chosen_and_reported() {
    let g = golden("llama-bf16");
    let dir = fixture("llama-bf16");
    let prompt = joined(&g["prompt"]);
    let bytes_read = |out: &str| -> f64 {
        // "… ; 163.6 kB read a token, …"
        let at = out.find("B read a token").expect("a readout");
        let head = out[..at].trim_end();
        let (number, unit) = head.rsplit_once(' ').map_or((head, ""), |(n, u)| (n, u));
        let number = number.rsplit(' ').next().expect("a number");
        let scale = match unit {
            "k" => 1e3,
            "M" => 1e6,
            "G" => 1e9,
            _ => 1.0,
        };
        number.parse::<f64>().expect("a number") * scale
    };
    let mut read = Vec::new();
    for (dtype, kept) in [
        ("stored", "bf16"),
        ("f32", "f32"),
        ("bf16", "bf16"),
        ("f16", "f16"),
    ] {
        let (code, out, err) = run(&[
            dir.to_str().expect("utf-8"),
            "--tokens",
            &prompt,
            "--steps",
            "16",
            "--ignore-eos",
            "--dtype",
            dtype,
        ]);
        assert_eq!(code, 0, "{dtype}: {err}");
        assert!(
            out.contains(&format!("the matrices as {kept} (")),
            "{dtype}: {out}"
        );
        if dtype != "f16" {
            // Kept in bf16 or widened exactly: transformers' tokens.
            assert_eq!(tokens_line(&out), joined(&g["tokens"]), "{dtype}");
        }
        read.push(bytes_read(&out));
    }
    // The weights dominate the bytes a decode step reads: about half in bf16.
    assert!(read[0] < 0.6 * read[1], "bytes a token: {read:?}");
}

/// `--backend candle` runs the model on candle's kernels: the same greedy tokens as the
/// native backend, and the walkthrough names the backend. Without the feature, the flag is
/// refused in words.
#[test]
fn the_backend_is_chosen_and_named() {
    let dir = fixture("llama");
    let dir = dir.to_str().expect("a UTF-8 path");
    let (code, native, _) = run(&[dir, "--tokens", "3,14,15", "--steps", "6"]);
    assert_eq!(code, 0);
    assert!(native.contains("(native backend)"), "{native}");
    let (code, out, err) = run(&[
        dir,
        "--tokens",
        "3,14,15",
        "--steps",
        "6",
        "--backend",
        "candle",
    ]);
    if cfg!(feature = "candle") {
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("(candle backend)"), "{out}");
        assert_eq!(tokens_line(&out), tokens_line(&native));
    } else {
        assert_eq!(code, 2);
        assert!(
            err.contains("built without the candle backend; build it with `--features candle`"),
            "{err}"
        );
    }
}
