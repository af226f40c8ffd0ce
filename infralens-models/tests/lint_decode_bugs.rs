//! The decode-time bugs that compile, planted one at a time in a decoder port written on the
//! public API (`decode_port.rs`, which this package compiles and tests as it is), and the
//! finding the lint gives each: one bug, one finding, under the rule that teaches it. The
//! run-time side — the recompute check and the refusals — is `tests/decode_bugs.rs` at the
//! workspace root.

use infralens_lint::lint::lint_sources;
use infralens_lint::source::Source;

const PORT: &str = include_str!("decode_port.rs");

/// A bug as written in a real port: the edits that plant it, the rule that finds it.
struct Planted {
    what: &'static str,
    edits: &'static [(&'static str, &'static str)],
    rule: &'static str,
}

const BUGS: &[Planted] = &[
    Planted {
        what: "RoPE from offset 0 while decoding",
        edits: &[("q.rope_at(&cache.rope, &at)?", "q.rope(&cache.rope, 0)")],
        rule: "decode-positions",
    },
    Planted {
        what: "learned positions from row 0 while decoding",
        edits: &[(
            "self.wpe.at_positions(&cache.kv.positions::<S>(s)?)?",
            "self.wpe.narrow::<0, S>(0, s)",
        )],
        rule: "decode-positions",
    },
    Planted {
        what: "fused GQA fed the new k, v instead of the cache's views",
        edits: &[(
            "grouped_query_attention(&q, keys, values, Mask::Causal)",
            "grouped_query_attention(&q, &k, &v, Mask::Causal)",
        )],
        rule: "stale-keys",
    },
    Planted {
        what: "PyTorch's is_causal=True ported as a top-left mask",
        edits: &[(
            "grouped_query_attention(&q, keys, values, Mask::Causal)",
            "grouped_query_attention(&q, keys, values, Mask::CausalTopLeft)",
        )],
        rule: "mask-alignment",
    },
    Planted {
        what: "softmax over the query axis",
        edits: &[(
            "let p = scores.causal_mask().softmax();",
            "let p = scores.causal_mask().transpose::<2, 3>().softmax();",
        )],
        rule: "softmax-axis",
    },
    Planted {
        what: "a square nn.Linear weight read raw, used without .t()",
        edits: &[(
            "let o = ckpt.linear::<D, D>(o_proj, &sizes![])?;\n    Ok(o.forward(x))",
            "let o = ckpt.tensor::<(D, D)>(o_proj, &sizes![])?;\n    Ok(x.matmul(&o))",
        )],
        rule: "square-weight",
    },
    Planted {
        what: "a square GPT-2 Conv1D weight read transposed like nn.Linear",
        edits: &[(
            "let proj = ckpt.conv1d::<D, D>(c_proj, &sizes![])?;\n    Ok(proj.forward(x))",
            "let proj = ckpt.tensor::<(D, D)>(c_proj, &sizes![])?;\n    Ok(x.matmul(&proj.t()))",
        )],
        rule: "square-weight",
    },
    Planted {
        what: "the scale computed by hand from D instead of Dh",
        edits: &[(
            ".scale(1.0 / (Dh::SIZE as f32).sqrt())",
            ".scale(1.0 / (D::SIZE as f32).sqrt())",
        )],
        rule: "scale-width",
    },
    Planted {
        what: "heads split but never transposed, merged back (scores over heads)",
        edits: &[
            (
                "w.forward(x).split_heads::<H, Dh>()",
                "w.forward(x).split_last::<H, Dh>()",
            ),
            (
                "p.matmul(&v).merge_heads::<D>()",
                "p.matmul(&v).merge_last::<D>()",
            ),
        ],
        rule: "scores-axis-kind",
    },
];

fn lint(text: String) -> Vec<(String, usize, String)> {
    let mut found = lint_sources(vec![Source::new("decode_port.rs", text)]).diagnostics;
    found.sort_by_key(|d| d.start);
    found
        .into_iter()
        .map(|d| (d.code, d.start.line, d.message))
        .collect()
}

#[test]
fn the_port_is_clean_and_each_planted_bug_is_found() {
    assert_eq!(lint(PORT.to_owned()), [], "the bug-free port has findings");
    let mut table = String::new();
    for bug in BUGS {
        let mut text = PORT.to_owned();
        for (find, replace) in bug.edits {
            assert_eq!(text.matches(find).count(), 1, "{find}");
            text = text.replacen(find, replace, 1);
        }
        let found = lint(text);
        let first = found.first();
        table.push_str(&format!(
            "{:<66} {:<17} {}\n",
            bug.what,
            first.map_or("-", |f| f.0.as_str()),
            first.map_or("", |f| f.2.as_str())
        ));
        assert_eq!(
            first.map(|f| f.0.as_str()),
            Some(bug.rule),
            "{}: {found:?}",
            bug.what
        );
        assert_eq!(
            found.len(),
            1,
            "{}: one bug, one finding: {found:?}",
            bug.what
        );
    }
    println!("{table}");
}
