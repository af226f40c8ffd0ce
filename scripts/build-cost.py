#!/usr/bin/env python3
"""Build cost of the shape checks, measured side by side (issue: performance, targets 3 and 4).

Generates, under target/build-cost/:
  typed/      32 Llama-3-8B-shaped layers (D=4096, H=32, Hkv=8, Dh=128, F=14336), each with
              its own sequence length S, written with dims! and Tensor<(…)> ops
  untyped/    the same 32 layers over the same kernels with run-time usize sizes
  annotated/  1,000 functions annotated with #[shapes(...)] and #[shape(...)]
  hand/       the same 1,000 functions with their Tensor<(…)> types written by hand

and reports, for each pair, the median of --runs timings (the two crates interleaved) of `cargo check` and (for the
layers) `cargo build --release` of the generated crate alone (dependencies are built once
beforehand; the crate's source is touched before each run).

The checks are measured twice: with cargo's default dev profile, where proc macros run
unoptimised, and with `[profile.dev.build-override] opt-level = 3` in the generated
crates, which builds the `dims!`/`#[shapes]` macros optimised (as serde and sqlx advise).

    python3 scripts/build-cost.py [--runs 5] [--only layers|macro] [--default-profile-only]
    python3 scripts/build-cost.py --ablation [--runs 11]

It ends with one table of every ratio measured in the run. `--ablation` instead splits each
ratio into its parts, every variant interleaved with the others in one run:

  macro:  hand-typed | hand-typed under an identity attribute macro (the floor of any
          attribute macro: rustc hands each function to a proc macro and parses it back) |
          hand-typed plus exactly the tokens #[shapes] expands to (type-checking the
          expansion, no macro run) | annotated
  layers: untyped twin | the dims! expansion written out (no macro run) | the dims! blocks
          alone | typed CI does not run it (it takes
minutes); run it by hand, or `INFRALENS_BUILD_COST=1 bash .ci/run`.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "build-cost"
SEQ_LENS = [128 * (i + 1) for i in range(32)]

MANIFEST = """[package]
name = "{name}"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
infralens = {{ path = "{root}" }}
{extra}
[workspace]
"""

TYPED_LAYER = """
pub mod layer{i} {{
    use infralens::prelude::*;
    dims! {{
        pub B = 1;
        pub S = {s};
        pub D = 4096;
        pub H = 32;
        pub Hkv = 8;
        pub Dh = D / H;
        pub Dkv = Hkv * Dh;
        pub F = 14336;
    }}

    /// Attention (GQA) and MLP of one Llama-3-8B-shaped layer.
    #[allow(clippy::too_many_arguments)]
    pub fn layer(
        x: &Tensor<(B, S, D)>,
        wq: &Tensor<(D, D)>,
        wk: &Tensor<(D, Dkv)>,
        wv: &Tensor<(D, Dkv)>,
        wo: &Tensor<(D, D)>,
        w_up: &Tensor<(D, F)>,
        w_down: &Tensor<(F, D)>,
    ) -> Tensor<(B, S, D)> {{
        let q = x.matmul(wq).split_heads::<H, Dh>();
        let k = x.matmul(wk).split_heads::<Hkv, Dh>();
        let v = x.matmul(wv).split_heads::<Hkv, Dh>();
        let ctx = grouped_query_attention(&q, &k, &v, Mask::Causal);
        let attn = ctx.merge_heads::<D>().matmul(wo);
        attn.matmul(w_up).map(|u| u / (1.0 + (-u).exp())).matmul(w_down)
    }}
}}
"""

UNTYPED_PRELUDE = """use infralens::__private::kernels::{
    attention::{AttentionSizes, MaskRows, attention},
    gemm::{Strided, gemm_par},
    permute::swap_axes,
};

fn matmul(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
    assert_eq!(a.len(), m * k, "left operand");
    assert_eq!(b.len(), k * n, "right operand");
    let mut c = vec![0.0; m * n];
    let rm = |data, cols| Strided { data, row_stride: cols, col_stride: 1 };
    gemm_par((m, k, n), 1.0, rm(a, k), rm(b, n), 0.0, &mut c);
    c
}
"""

UNTYPED_LAYER = """
pub mod layer{i} {{
    use super::*;
    const S: usize = {s};
    const D: usize = 4096;
    const H: usize = 32;
    const HKV: usize = 8;
    const DH: usize = D / H;
    const DKV: usize = HKV * DH;
    const F: usize = 14336;

    /// Attention (GQA) and MLP of one Llama-3-8B-shaped layer, sizes checked at run time.
    #[allow(clippy::too_many_arguments)]
    pub fn layer(
        x: &[f32],
        wq: &[f32],
        wk: &[f32],
        wv: &[f32],
        wo: &[f32],
        w_up: &[f32],
        w_down: &[f32],
    ) -> Vec<f32> {{
        let q = swap_axes(&matmul(x, wq, S, D, D), &[1, S, H, DH], 1, 2);
        let k = swap_axes(&matmul(x, wk, S, D, DKV), &[1, S, HKV, DH], 1, 2);
        let v = swap_axes(&matmul(x, wv, S, D, DKV), &[1, S, HKV, DH], 1, 2);
        let mut ctx = vec![0.0; S * D];
        let sizes = AttentionSizes {{ b: 1, h: H, hkv: HKV, s: S, t: S, dh: DH, dv: DH, k_stride: S, v_stride: S }};
        let causal = MaskRows {{ causal_offset: Some(0), ..MaskRows::default() }};
        attention(sizes, &q, &k, &v, (causal, None), 1.0 / (DH as f32).sqrt(), &mut ctx);
        let merged = swap_axes(&ctx, &[1, H, S, DH], 1, 2);
        let attn = matmul(&merged, wo, S, D, D);
        let up: Vec<f32> = matmul(&attn, w_up, S, D, F).iter().map(|u| u / (1.0 + (-u).exp())).collect();
        matmul(&up, w_down, S, F, D)
    }}
}}
"""

DIMS = """use infralens::prelude::*;

dims! {
    pub B = 2;
    pub S = 16;
    pub D = 64;
}
"""

ANNOTATED_FN = """
#[shapes(x: [B, S, D], w: [D, D] -> [B, S, D])]
pub fn f{i}(x: &Tensor, w: &Tensor) -> Tensor {{
    #[shape(B, S, D)]
    let y = x.matmul(w);
    y.scale({i}.0)
}}
"""

HAND_FN = """
pub fn f{i}(x: &Tensor<(B, S, D)>, w: &Tensor<(D, D)>) -> Tensor<(B, S, D)> {{
    let y: Tensor<(B, S, D)> = x.matmul(w);
    y.scale({i}.0)
}}
"""


OPTIMISED_MACROS = """
[profile.dev.build-override]
opt-level = 3
"""


# The expansion of ANNOTATED_FN, as `-Zunpretty=expanded` prints it, typed in by hand.
EXPANDED_FN = """
pub fn f{i}(x: &Tensor<(B, S, D)>, w: &Tensor<(D, D)>) -> Tensor<(B, S, D)> {{
    let mut __infralens_bindings = ::infralens::__private::Bindings::new("f{i}");
    __infralens_bindings.bind("x", &x).bind("w", &w);
    let __infralens_result: Tensor<(B, S, D)> = ::infralens::__private::call(|| -> Tensor<(B, S, D)> {{
        let y = x.matmul(w);
        {{
            #[allow(non_camel_case_types, dead_code)]
            enum y {{}}
            ::infralens::__private::check_shape::<_, _, (B, S, D), y>(&y);
        }}
        y.scale({i}.0)
    }});
    __infralens_bindings.bind("the result", &__infralens_result);
    __infralens_result
}}
"""

# HAND_FN under an attribute macro that hands its input back unchanged.
IDENTITY_FN = "\n#[identity_attr::identity]" + HAND_FN

IDENTITY_CRATE = """[package]
name = "identity-attr"
version = "0.0.0"
edition = "2024"
publish = false

[lib]
proc-macro = true

[workspace]
"""

IDENTITY_LIB = """//! An attribute macro that does nothing: the floor of any attribute macro's cost.
extern crate proc_macro;
use proc_macro::TokenStream;

#[proc_macro_attribute]
pub fn identity(_: TokenStream, item: TokenStream) -> TokenStream {
    item
}
"""


def dims_written_out(source):
    """`source` with each `dims!` block replaced by what the macro expands it to."""

    def tn(n):
        t = "::infralens::__private::typenum::UTerm"
        for bit in reversed(range(n.bit_length())):
            b = "B1" if (n >> bit) & 1 else "B0"
            t = f"::infralens::__private::typenum::UInt<{t}, ::infralens::__private::typenum::{b}>"
        return t

    def expand(block):
        sizes, out = {}, []
        for name, expr in re.findall(r"pub (\w+) = ([^;]+);", block.group(1)):
            size = eval(expr, {}, dict(sizes)) if not expr.strip().isdigit() else int(expr)
            size = int(size)
            sizes[name] = size
            out.append(f"""#[doc = " Size: `{size}`."]
pub struct {name};
impl ::core::clone::Clone for {name} {{ #[inline(always)] fn clone(&self) -> Self {{ *self }} }}
impl ::core::marker::Copy for {name} {{}}
impl ::core::fmt::Debug for {name} {{ fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {{ f.write_str("{name}") }} }}
impl ::infralens::__private::Dim for {name} {{ type Size = {tn(size)}; type Kind = ::infralens::kind::Any; const NAME: &'static str = "{name}"; }}
""")
        return "\n".join(out)

    return re.sub(r"dims! \{(.*?)\n    \}", expand, source, flags=re.S)


def write_crate(name, source, optimised_macros=False, extra=""):
    d = OUT / name
    (d / "src").mkdir(parents=True, exist_ok=True)
    manifest = MANIFEST.format(name=name, root=ROOT.as_posix(), extra=extra)
    if optimised_macros:
        manifest += OPTIMISED_MACROS
    (d / "Cargo.toml").write_text(manifest)
    shutil.copy(ROOT / "Cargo.lock", d / "Cargo.lock")
    (d / "src" / "lib.rs").write_text("//! Generated by scripts/build-cost.py.\n" + source)
    return d


def timed_many(crates, args, runs, target="target"):
    """Medians of `runs` timings of `cargo <args>` on each crate, interleaved (a, b, c, a, b,
    c, …) so that the machine's drift hits all alike."""
    env = dict(os.environ, CARGO_TARGET_DIR=str(OUT / target), CARGO_NET_OFFLINE="true")
    cmds = [["cargo"] + args + ["--quiet", "--manifest-path", str(c / "Cargo.toml")] for c in crates]
    for cmd in cmds:
        subprocess.run(cmd, check=True, env=env)  # dependencies, and a warm cache
    times = [[] for _ in crates]
    for _ in range(runs):
        for crate, cmd, out in zip(crates, cmds, times):
            (crate / "src" / "lib.rs").touch()
            start = time.perf_counter()
            subprocess.run(cmd, check=True, env=env)
            out.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def timed_pair(a, b, args, runs, target="target"):
    """[`timed_many`] of two crates."""
    ta, tb = timed_many([a, b], args, runs, target)
    return ta, tb


def ablation(runs, layers_typed, layers_untyped, fns_annotated, fns_hand):
    """Each ratio split into its parts (see the module's doc)."""
    ident = OUT / "identity-attr"
    (ident / "src").mkdir(parents=True, exist_ok=True)
    (ident / "Cargo.toml").write_text(IDENTITY_CRATE)
    (ident / "src" / "lib.rs").write_text(IDENTITY_LIB)
    extra = f'identity-attr = {{ path = "{ident.as_posix()}" }}\n'
    macro = [
        ("hand-typed", write_crate("hand", fns_hand)),
        ("hand-typed, under an identity attribute macro", write_crate(
            "hand-identity", DIMS + "".join(IDENTITY_FN.format(i=i) for i in range(1000)), extra=extra)),
        ("hand-typed plus the #[shapes] expansion, written out", write_crate(
            "hand-expanded", DIMS + "".join(EXPANDED_FN.format(i=i) for i in range(1000)))),
        ("annotated with #[shapes]", write_crate("annotated", fns_annotated)),
    ]
    dims_only = re.sub(r"\n    /// Attention \(GQA\).*?\n    }\n", "\n", layers_typed, flags=re.S)
    dims_only = dims_only.replace("    use infralens::prelude::*;", "    #[allow(unused_imports)]\n    use infralens::prelude::*;")
    layers = [
        ("untyped twin", write_crate("untyped", layers_untyped)),
        ("the dims! blocks' expansion, written out (no macro run)", write_crate("dims-expanded", dims_written_out(dims_only))),
        ("the dims! blocks alone", write_crate("dims-only", dims_only)),
        ("typed layers", write_crate("typed", layers_typed)),
    ]
    print(f"cargo check, medians of {runs} interleaved runs, cargo's default profile:")
    for title, variants in [("1000 functions", macro), ("32 Llama-3-8B-shaped layers", layers)]:
        medians = timed_many([c for _, c in variants], ["check"], runs)
        base = medians[0]
        print(f"\n{title}:")
        print("| variant | s | ÷ first | step |")
        print("| --- | --- | --- | --- |")
        prev = None
        for (what, _), t in zip(variants, medians):
            step = "" if prev is None else f"{t - prev:+.3f} s"
            print(f"| {what} | {t:.3f} | {t / base:.2f} | {step} |", flush=True)
            prev = t


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["layers", "macro"], help="measure one pair only")
    parser.add_argument("--default-profile-only", action="store_true",
                        help="skip the build-override (optimised proc macro) measurements")
    parser.add_argument("--ablation", action="store_true",
                        help="split each ratio into its parts instead")
    opts = parser.parse_args()
    runs = opts.runs

    layers_typed = "".join(TYPED_LAYER.format(i=i, s=s) for i, s in enumerate(SEQ_LENS))
    layers_untyped = UNTYPED_PRELUDE + "".join(UNTYPED_LAYER.format(i=i, s=s) for i, s in enumerate(SEQ_LENS))
    fns_annotated = DIMS + "".join(ANNOTATED_FN.format(i=i) for i in range(1000))
    fns_hand = DIMS + "".join(HAND_FN.format(i=i) for i in range(1000))
    if opts.ablation:
        ablation(runs, layers_typed, layers_untyped, fns_annotated, fns_hand)
        return

    print(f"medians of {runs} runs, the generated crate alone (dependencies built):")
    rows = []
    for optimised in [False] if opts.default_profile_only else [False, True]:
        tag = "-opt" if optimised else ""
        typed = write_crate("typed" + tag, layers_typed, optimised)
        untyped = write_crate("untyped" + tag, layers_untyped, optimised)
        annotated = write_crate("annotated" + tag, fns_annotated, optimised)
        hand = write_crate("hand" + tag, fns_hand, optimised)
        target = "target-opt" if optimised else "target"
        profile = "build-override opt-level 3" if optimised else "cargo's default profile"
        cases = []
        if opts.only in (None, "layers"):
            cases.append(("32 typed layers vs untyped twin, cargo check", typed, untyped, ["check"], 1.5))
            if not optimised:
                cases.append(("32 typed layers vs untyped twin, cargo build --release", typed, untyped, ["build", "--release"], 2.5))
        if opts.only in (None, "macro"):
            cases.append(("1000 #[shapes] fns vs hand-typed, cargo check", annotated, hand, ["check"], 1.5))
        for what, a, b, args, goal in cases:
            ta, tb = timed_pair(a, b, args, runs, target)
            ratio = ta / tb
            verdict = "met" if ratio <= goal else "MISSED"
            print(f"  [{profile}] {what}: {ta:.2f} s / {tb:.2f} s = {ratio:.2f} (target <= {goal}) {verdict}", flush=True)
            rows.append((what, profile, ta, tb, ratio, goal, verdict))

    print()
    print("| pair | profile | typed s | twin s | ratio | target | |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for what, profile, ta, tb, ratio, goal, verdict in rows:
        print(f"| {what} | {profile} | {ta:.2f} | {tb:.2f} | {ratio:.2f} | <= {goal} | {verdict} |")


if __name__ == "__main__":
    main()
