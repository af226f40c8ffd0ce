//! Parity with the compiler on real bugs: model code with its weights in struct fields (a
//! Llama-style attention and MLP, a GPT-2-style block, and a decode step with a norm in a
//! tuple field, weights in a parameter's struct, a fused projection destructured through
//! `try_into` and a KV cache whose views attention reads; `tests/parity/`), one real shape
//! bug planted at a time. For each, `infralens lint` (no compiling) and `infralens check`
//! (the compiler) must report it at the same line, the lint under the bug's rule, and the
//! bug-free code must give neither a finding nor an error.
//!
//! `cargo test -p infralens-cli --test parity -- --nocapture` prints the table.

mod common;

use common::infralens;
use std::path::{Path, PathBuf};

/// A planted bug: in `file`, `find` (once) becomes `replace`; the lint names it `rule`.
struct Bug {
    file: &'static str,
    what: &'static str,
    rule: &'static str,
    find: &'static str,
    replace: &'static str,
}

const BUGS: &[Bug] = &[
    Bug {
        file: "llama",
        what: "weight stored (out, in) used without `.t()`",
        rule: "matmul-contraction",
        find: "x.matmul(&self.wq.t())",
        replace: "x.matmul(&self.wq)",
    },
    Bug {
        file: "llama",
        what: "heads split but not transposed",
        rule: "reshape-axis-order",
        find: "let q = x.matmul(&self.wq.t()).split_heads::<H, Dh>();",
        replace: "let q = x.matmul(&self.wq.t()).reshape::<(B, S, H, Dh)>();",
    },
    Bug {
        file: "llama",
        what: "`repeat_kv` missing before the scores",
        rule: "matmul-batch",
        find: "let keys = keys.repeat_kv::<H>();",
        replace: "let keys = keys;",
    },
    Bug {
        file: "llama",
        what: "`repeat_kv` applied before the transpose",
        rule: "reshape-axis-order",
        find: "let k = x.matmul(&self.wk.t()).split_heads::<Hkv, Dh>();",
        replace: "let k = x.matmul(&self.wk.t()).reshape::<(B, S, Hkv, Dh)>().repeat_kv::<H>();",
    },
    Bug {
        file: "llama",
        what: "RoPE table typed by the model width",
        rule: "rope-table-kind",
        find: "rope: Rope<MaxPos, Dh>,",
        replace: "rope: Rope<MaxPos, D>,",
    },
    Bug {
        file: "llama",
        what: "cache written on the heads axis",
        rule: "cat-same-except",
        find: "let keys = cat::<2, T, _, _, _>(&self.cache_k, &k);",
        replace: "let keys = cat::<1, T, _, _, _>(&self.cache_k, &k);",
    },
    Bug {
        file: "llama",
        what: "cat of the wrong length",
        rule: "cat-sum",
        find: "let values = cat::<2, T, _, _, _>(&self.cache_v, &v);",
        replace: "let values = cat::<2, S, _, _, _>(&self.cache_v, &v);",
    },
    Bug {
        file: "llama",
        what: "`merge_heads::<D>()` where the width is `H·Dh ≠ D`",
        rule: "heads-partition",
        find: "ctx.merge_heads::<Dq>()",
        replace: "ctx.merge_heads::<D>()",
    },
    Bug {
        file: "llama",
        what: "q_proj `(D, D)` where `(Dq, D)` is needed",
        rule: "heads-partition",
        find: "wq: Tensor<(Dq, D)>,",
        replace: "wq: Tensor<(D, D)>,",
    },
    Bug {
        file: "llama",
        what: "`causal_mask` on scores against the cache (not square)",
        rule: "causal-mask-square",
        find: "scores.masked(Mask::Causal)",
        replace: "scores.causal_mask()",
    },
    Bug {
        file: "llama",
        what: "scale by `1/sqrt(D)`",
        rule: "scale-width",
        find: "q.attention_scale::<Dh>()",
        replace: "q.attention_scale::<D>()",
    },
    Bug {
        file: "llama",
        what: "down projection declared up",
        rule: "matmul-contraction",
        find: "down: Linear<F, D>,",
        replace: "down: Linear<D, F>,",
    },
    Bug {
        file: "gpt2",
        what: "Conv1D weight transposed as if it were nn.Linear's",
        rule: "matmul-contraction",
        find: "x.matmul(&self.c_attn)",
        replace: "x.matmul(&self.c_attn.t())",
    },
    Bug {
        file: "gpt2",
        what: "position table added whole, not its first `S` rows",
        rule: "broadcast",
        find: "tok.add(&self.wpe.narrow::<0, S>(0, S::SIZE))",
        replace: "tok.add(&self.wpe)",
    },
    Bug {
        file: "gpt2",
        what: "fused `c_attn` cut into parts of the head width",
        rule: "chunk-partition",
        find: "chunk::<Three, D>()",
        replace: "chunk::<Three, Dh>()",
    },
    Bug {
        file: "gpt2",
        what: "scores `Q·K` without `K^T`",
        rule: "scores-contraction",
        find: "matmul(&k.t())",
        replace: "matmul(&k)",
    },
    Bug {
        file: "decode",
        what: "norm in a tuple field of the head width",
        rule: "norm-width",
        find: "pub struct Norm(pub RmsNorm<D>);",
        replace: "pub struct Norm(pub RmsNorm<Dh>);",
    },
    Bug {
        file: "decode",
        what: "fused weight stored the other way round",
        rule: "matmul-contraction",
        find: "pub c_attn: Tensor<(D, D3)>,",
        replace: "pub c_attn: Tensor<(D3, D)>,",
    },
    Bug {
        file: "decode",
        what: "fused projection cut into head widths, through `try_into`",
        rule: "chunk-partition",
        find: ".chunk::<Three, D>()",
        replace: ".chunk::<Three, Dh>()",
    },
    Bug {
        file: "decode",
        what: "weight in a parameter's field used without `.t()`",
        rule: "matmul-contraction",
        find: "x.matmul(&w.wk.t())",
        replace: "x.matmul(&w.wk)",
    },
    Bug {
        file: "decode",
        what: "the repeated keys cached instead of the key/value heads",
        rule: "cache-rows",
        find: "cache.append::<S, T>(&k, &v)",
        replace: "cache.append::<S, T>(&k.repeat_kv::<H>(), &v)",
    },
    Bug {
        file: "decode",
        what: "attention fed the new keys instead of the cache's",
        rule: "key-value-length",
        find: "grouped_query_attention(q, keys, values",
        replace: "grouped_query_attention(q, &k, values",
    },
    Bug {
        file: "decode",
        what: "cached keys read without `repeat_kv`",
        rule: "matmul-batch",
        find: "keys.to_tensor().repeat_kv::<H>().t()",
        replace: "keys.to_tensor().t()",
    },
    Bug {
        file: "decode",
        what: "scores against the cache without `K^T`",
        rule: "scores-contraction",
        find: "keys.to_tensor().repeat_kv::<H>().t()",
        replace: "keys.to_tensor().repeat_kv::<H>()",
    },
];

const FILES: [&str; 3] = ["llama", "gpt2", "decode"];

fn corpus(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/parity/{name}.rs"));
    std::fs::read_to_string(path).expect("corpus file")
}

/// A crate holding the corpus, depending on this checkout.
fn corpus_crate() -> PathBuf {
    common::fixture_crate(
        "parity",
        &[(
            "src/lib.rs",
            "pub mod decode;\npub mod gpt2;\npub mod llama;\n",
        )],
    )
}

/// The errors in JSON Lines output: (file, line, message, rule or rustc code).
fn errors(json_lines: &str) -> Vec<(String, u64, String, String)> {
    json_lines
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("one JSON object a line"))
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                d["file"].as_str().unwrap_or_default().to_owned(),
                d["line"].as_u64().unwrap_or_default(),
                d["message"].as_str().unwrap_or_default().to_owned(),
                d["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// What the lint and the compiler say about the crate as it is: (lint, compiler) errors.
type Findings = Vec<(String, u64, String, String)>;
fn both(dir: &Path) -> (Findings, Findings) {
    let (_, lint, _) = infralens(dir, &["lint", "--format", "json", "src"]);
    let (_, check, err) = infralens(
        dir,
        &["check", "--format", "json", "--", "--offline", "--quiet"],
    );
    assert!(!err.contains("error: failed"), "cargo failed: {err}");
    (errors(&lint), errors(&check))
}

#[test]
fn the_lint_finds_what_the_compiler_finds_at_the_same_line() {
    let dir = corpus_crate();
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(format!("src/{name}.rs")), text).expect("write corpus");
    };
    for name in FILES {
        write(name, &corpus(name));
    }
    let (lint, compiler) = both(&dir);
    assert!(
        lint.is_empty(),
        "the bug-free corpus has lint findings: {lint:?}"
    );
    assert!(
        compiler.is_empty(),
        "the bug-free corpus does not compile: {compiler:?}"
    );

    let mut same = 0;
    let mut table = String::new();
    for bug in BUGS {
        let clean = corpus(bug.file);
        assert_eq!(clean.matches(bug.find).count(), 1, "{}", bug.find);
        for name in FILES {
            write(name, &corpus(name));
        }
        write(bug.file, &clean.replacen(bug.find, bug.replace, 1));
        let (lint, compiler) = both(&dir);
        assert!(
            !compiler.is_empty(),
            "the compiler accepts the bug `{}`",
            bug.what
        );
        let first = |found: &[(String, u64, String, String)]| {
            found.first().map(|(f, l, _, _)| (f.clone(), *l))
        };
        let agree = first(&lint).is_some() && first(&lint) == first(&compiler);
        let rule = lint.first().map(|(_, _, _, code)| code.as_str());
        assert!(
            !agree || rule == Some(bug.rule),
            "`{}`: the lint names it {rule:?}, not `{}`",
            bug.what,
            bug.rule
        );
        same += usize::from(agree);
        table.push_str(&format!(
            "{} {:<60} lint: {:?}\n{:66}rustc: {:?}\n",
            if agree { "same" } else { "MISS" },
            bug.what,
            lint.first(),
            "",
            compiler.first()
        ));
    }
    println!(
        "{table}\nthe lint finds {same} of {} at the compiler's line",
        BUGS.len()
    );
    assert!(
        same == BUGS.len(),
        "the lint agrees with the compiler on only {same} of {} bugs:\n{table}",
        BUGS.len()
    );
}
