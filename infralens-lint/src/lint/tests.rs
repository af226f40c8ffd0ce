//! The two passes on small crates: findings, allows, parts of large files.

use super::lint_sources;
use crate::source::Source;

/// `Dh = D / H` is offered where the head width is a number declared in the same file
/// and no width is declared `H * Dh`: a model that sets its head width on its own (as
/// Qwen3) declares one, and there the fix would be wrong.
#[test]
fn the_head_width_fix_is_offered_only_where_it_is_right() {
    let code = |dims: &str| {
        format!(
            "dims! {{ pub B = 2; pub S = 4; pub D = 16; pub H = 4; {dims} }}\n\
             #[shapes(x: [B, S, D] -> [B, H, S, Dh])]\n\
             fn heads(x: &Tensor) -> Tensor {{ x.split_heads::<H, Dh>() }}\n"
        )
    };
    let fixes = |sources: Vec<Source>| {
        let report = lint_sources(sources);
        assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
        let d = &report.diagnostics[0];
        assert!(
            d.message.contains("must equal `D`: the heads partition"),
            "{}",
            d.message
        );
        d.fixes
            .iter()
            .flat_map(|f| {
                f.edits
                    .iter()
                    .map(|e| (e.start.line, e.start.column, e.replacement.clone()))
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        fixes(vec![Source::new("a.rs", code("pub Dh = 8;"))]),
        vec![(1, 63, "D / H".to_owned())]
    );
    // Qwen3: the query width is `H * Dh`, and the head width is right as it is.
    assert!(
        fixes(vec![Source::new(
            "a.rs",
            code("pub Dh = 8; pub Dq = H * Dh;")
        )])
        .is_empty()
    );
    // The call names the model width as the head width (Lab 02, exercise 04): the
    // declaration is right, the call is not, and `D = D / H` would be no fix.
    let wrong_dim = code("pub Dh = D / H;").replace("split_heads::<H, Dh>", "split_heads::<H, D>");
    assert!(fixes(vec![Source::new("a.rs", wrong_dim)]).is_empty());
    // Declared in another file: the edit would not be in the finding's file.
    let other = Source::new("dims.rs", "dims! { pub Dh = 8; }".into());
    let code = code("").replace("pub D = 16;", "pub D = 16; pub Dx = 1;");
    assert!(fixes(vec![Source::new("a.rs", code), other]).is_empty());
}

/// Files past the budget of kept syntax trees are parsed again in pass 2, and checked
/// alike: the same bug planted in eleven files of 130 KB each (the first ones' trees
/// kept, the last ones' parsed again), the dims declared in another file.
#[test]
fn kept_and_reparsed_files_are_checked_alike() {
    let bug = |i: usize| {
        format!(
            "#[shapes(x: [B, S, D], w: [D, F] -> [B, S, F])]\n\
             fn project{i}(x: &Tensor, w: &Tensor) -> Tensor {{ w.matmul(x) }}\n"
        )
    };
    let filler = "// filler\n".repeat(super::KEPT_SOURCE / 10 / 8);
    let mut sources = vec![Source::new("a.rs", bug(0))];
    for i in 0..10 {
        sources.push(Source::new(
            &format!("f{i}.rs"),
            format!("fn f{i}() {{}}\n{filler}"),
        ));
    }
    sources.push(Source::new(
        "dims.rs",
        "dims! { pub B = 2; pub S = 4; pub D = 8; pub F = 16; }".into(),
    ));
    for i in 0..10 {
        let text = format!("{}{filler}", bug(i + 1));
        sources.push(Source::new(&format!("z{i}.rs"), text));
    }
    let total: usize = sources.iter().map(|s| s.text.len()).sum();
    assert!(
        total > 2 * super::KEPT_SOURCE,
        "{total} bytes: past the budget"
    );
    let report = lint_sources(sources);
    let files: Vec<&str> = report.diagnostics.iter().map(|d| d.file.as_str()).collect();
    assert_eq!(files.len(), 11, "{files:?}");
    assert_eq!(files[0], "a.rs");
    assert!(files[1..].iter().all(|f| f.starts_with('z')), "{files:?}");
    assert!(
        report
            .diagnostics
            .iter()
            .all(|d| crate::rules::covers("shape-mismatch", &d.code))
    );
}

/// A name declared with different sizes in two files is each file's own dim: the
/// file's sizes win, and a size known nowhere for sure is not a finding.
#[test]
fn each_file_sees_its_own_dims() {
    let gqa = "dims! { pub B = 1; pub S = 4; pub D = 16; pub H = 4; pub Hkv = 2; pub Dh = D / H; }\n\
               #[shapes(k: [B, Hkv, S, Dh] -> [B, H, S, Dh])]\n\
               fn rep(k: &Tensor) -> Tensor { k.repeat_kv::<H>() }";
    let other = "dims! { pub H = 16; pub Hkv = 3; }";
    let report = lint_sources(vec![
        Source::new("a.rs", gqa.into()),
        Source::new("b.rs", other.into()),
    ]);
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);

    let bad = "dims! { pub B = 1; pub S = 4; pub Dh = 4; pub H = 4; pub Hkv = 3; }\n\
               #[shapes(k: [B, Hkv, S, Dh] -> [B, H, S, Dh])]\n\
               fn rep(k: &Tensor) -> Tensor { k.repeat_kv::<H>() }";
    let report = lint_sources(vec![
        Source::new("c.rs", bad.into()),
        Source::new("b.rs", other.into()),
    ]);
    assert_eq!(
        report.diagnostics[0].message,
        "shape mismatch: `Hkv` key/value heads must divide `H` query heads"
    );
}

/// Model code keeps its weights in struct fields: `self.wk` and layers such as
/// `self.o.forward(…)` are followed in methods, and a weight stored `(out, in)` is found.
#[test]
fn struct_fields_and_layers_are_followed() {
    let model = |keys: &str, out: &str| {
        format!(
            "dims! {{ pub B = 1; pub S = 4; pub D = 16; pub H = 4; pub Hkv = 2; pub Dh = D / H; pub Dkv = Hkv * Dh; }}\n\
             struct Attn {{ wk: Tensor<(D, Dkv)>, wk_out_in: Tensor<(Dkv, D)>, o: Linear<D, D>, norm: RmsNorm<D> }}\n\
             impl Attn {{\n\
                 #[shapes(x: [B, S, D] -> [B, Hkv, S, Dh])]\n\
                 fn keys(&self, x: &Tensor) -> Tensor {{\n\
                     #[shape(B, Hkv, S, Dh)]\n\
                     let k = {keys};\n\
                     k\n\
                 }}\n\
                 #[shapes(ctx: [B, H, S, Dh] -> [B, S, D])]\n\
                 fn out(&self, ctx: &Tensor) -> Tensor {{\n\
                     #[shape(B, S, D)]\n\
                     let y = {out};\n\
                     y\n\
                 }}\n\
             }}\n"
        )
    };
    let clean = model(
        "x.matmul(&self.wk).split_heads::<Hkv, Dh>()",
        "self.norm.forward(&self.o.forward(&ctx.merge_heads::<D>()))",
    );
    let report = lint_sources(vec![Source::new("clean.rs", clean)]);
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);

    let bad = model(
        "x.matmul(&self.wk_out_in).split_heads::<Hkv, Dh>()",
        "self.o.forward(ctx)",
    );
    let report = lint_sources(vec![Source::new("bad.rs", bad)]);
    let messages: Vec<&str> = report
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "shape mismatch: matmul contracts `D` with `Dkv`, but the left operand's last dim must be the right operand's row dim",
            "shape mismatch: matmul contracts `Dh` with `D`, but the left operand's last dim must be the right operand's row dim",
        ],
        "{:?}",
        report.diagnostics
    );
}

/// A function without `#[shapes]` whose tensor types are written in full is followed; a
/// binding whose shape is unknown (a tuple pattern, a deferred `let`, an op not followed)
/// shadows the earlier one instead of keeping its shape.
#[test]
fn unannotated_functions_are_followed_without_stale_shadows() {
    let dims = "dims! { pub B = 1; pub S = 4; pub D = 16; pub Dkv = 8; pub H = 2; pub Dh = 8; }\n";
    let unannotated = format!(
        "{dims}fn keys(x: &Tensor<(B, S, D)>, wk: &Tensor<(Dkv, D)>) -> Tensor<(B, S, Dkv)> {{ x.matmul(wk) }}\n"
    );
    let report = lint_sources(vec![Source::new("a.rs", unannotated)]);
    assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
    assert!(
        report.diagnostics[0]
            .message
            .contains("matmul contracts `D` with `Dkv`")
    );

    let shadowed = format!(
        "{dims}fn heads(q: Tensor<(B, S, H, Dh)>, k: Tensor<(B, S, H, Dh)>) -> Tensor<(B, H, S, Dh)> {{\n\
             let (q, k) = (q.transpose::<1, 2>(), k.transpose::<1, 2>());\n\
             let _ = k;\n\
             q\n\
         }}\n\
         fn later(q: Tensor<(B, S, H, Dh)>) -> Tensor<(B, H, S, Dh)> {{\n\
             let q = unknown_op(q);\n\
             q\n\
         }}\n"
    );
    let report = lint_sources(vec![Source::new("b.rs", shadowed)]);
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
}

/// The parts of a `chunk` (bound whole, indexed, or destructured), `cat` along an axis,
/// and the axis kinds of `reshape` and `repeat_kv`: followed, with the compiler's rules.
/// A file too large to parse whole is read range by range in both passes: the dims
/// declared at its top reach the functions at its end, a finding keeps its line and
/// column, an allow comment still covers its item, and the result equals the same
/// file's parsed whole (the code below the size limit).
#[test]
fn a_file_too_large_to_parse_whole_is_read_in_parts() {
    let head = "dims! { pub B = 2; pub S = 4; pub D = 16; pub F = 64; }\n";
    let function = |i: usize, body: &str| {
        format!(
            "/// Up {i}.\n#[shapes(x: [B, S, D], w: [D, F] -> [B, S, F])]\nfn up{i}(x: &Tensor, w: &Tensor) -> Tensor {{\n    {body}\n}}\n"
        )
    };
    let build = |n: usize| {
        let mut text = head.to_owned();
        for i in 0..n {
            let body = match i {
                // A bug early, one allowed in the middle, one at the end.
                3 => "x.matmul(&w.t())",
                _ if i == n / 2 => "// infralens: allow(matmul-contraction)\n    x.matmul(&w.t())",
                _ if i == n - 1 => "x.matmul(w).add(&x)",
                _ => "x.matmul(w)",
            };
            text.push_str(&function(i, body));
        }
        text
    };
    let lint = |text: String| {
        let mut found = lint_sources(vec![Source::new("big.rs", text)]).diagnostics;
        found.sort_by_key(|d| d.start);
        found
            .iter()
            .map(|d| {
                format!(
                    "{}:{} {} {}",
                    d.start.line, d.start.column, d.code, d.message
                )
            })
            .collect::<Vec<_>>()
    };
    let big = build(6_000);
    assert!(big.len() > super::PARSED_WHOLE, "{} bytes", big.len());
    let found = lint(big.clone());
    assert_eq!(found.len(), 2, "{found:#?}");
    // Line 1 is the dims; each function is 5 lines: function 3's body is line 20.
    assert!(
        found[0].starts_with("20:14 matmul-contraction"),
        "{}",
        found[0]
    );
    let last = big.lines().count() - 1;
    assert!(
        found[1].starts_with(&format!("{last}:")),
        "{} (line {last})",
        found[1]
    );
    assert!(found[1].contains(" broadcast "), "{}", found[1]);
    // The same code small enough to parse whole gives the same findings, by line.
    let small = build(40);
    assert!(small.len() < super::PARSED_WHOLE);
    let small_found = lint(small.clone());
    assert_eq!(small_found.len(), 2, "{small_found:#?}");
    assert_eq!(small_found[0], found[0]);
}

#[test]
fn chunks_cat_and_axis_kinds_are_followed() {
    let dims = "dims! { pub B: Batch = 1; pub S: Sequence = 4; pub P: Sequence = 2; pub T: Sequence = P + S;\n\
                pub D: ModelWidth = 16; pub D3 = 3 * D; pub Three = 3; pub H: Heads = 4; pub Hkv: Heads = 2;\n\
                pub Dh: HeadWidth = D / H; pub Dkv = Hkv * Dh; }\n";
    let lint = |body: &str| {
        let code = format!(
            "{dims}fn f(x: &Tensor<(B, S, D3)>, past: &Tensor<(B, Hkv, P, Dh)>, k: &Tensor<(B, S, Dkv)>) -> Tensor<(B, H, T, Dh)> {{\n{body}\n}}\n"
        );
        let report = lint_sources(vec![Source::new("m.rs", code)]);
        report
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.start.line, d.message))
            .collect::<Vec<_>>()
    };
    let clean = "let [q, _k, _v] = x.chunk::<Three, D>();\n\
                 let parts = x.chunk::<Three, D>();\n\
                 let q2 = parts[0].split_heads::<H, Dh>();\n\
                 let _raw = q.reshape_raw::<(B, H, S, Dh)>();\n\
                 let k = k.split_heads::<Hkv, Dh>();\n\
                 let keys = cat::<2, T, _, _, _>(past, &k);\n\
                 let _ = q2;\n\
                 keys.repeat_kv::<H>()";
    assert_eq!(lint(clean), Vec::<String>::new());

    let wrong_part = clean.replace(
        "let parts = x.chunk::<Three, D>();",
        "let parts = x.chunk::<Three, Dh>();",
    );
    assert_eq!(
        lint(&wrong_part),
        [
            "6: shape mismatch: `Three` × `Dh` must equal `D3`: `chunk` cuts the last axis into `Three` equal parts of `Dh`"
        ]
    );
    let part_as_keys = clean.replace(
        "let q2 = parts[0].split_heads::<H, Dh>();",
        "let q2 = parts[0].matmul(&k);",
    );
    assert_eq!(
        lint(&part_as_keys),
        [
            "7: shape mismatch: matmul contracts `D` with `S`, but the left operand's last dim must be the right operand's row dim"
        ]
    );
    let wrong_axis = clean.replace("cat::<2, T", "cat::<1, T");
    assert_eq!(
        lint(&wrong_axis),
        [
            "10: shape mismatch: `cat` along axis 1 joins `(B, Hkv, P, Dh)` and `(B, Hkv, S, Dh)`, but every other axis must be the same dim"
        ]
    );
    let wrong_sum = clean.replace("cat::<2, T", "cat::<2, S");
    assert_eq!(
        lint(&wrong_sum),
        ["10: shape mismatch: `P` + `S` must equal `S`: `cat` joins the two along this axis"]
    );
    let not_transposed = clean.replace(
        "let k = k.split_heads::<Hkv, Dh>();",
        "let k = k.reshape::<(B, S, Hkv, Dh)>();",
    );
    assert_eq!(
        lint(&not_transposed),
        [
            "9: shape mismatch: reshaping `(B, S, Dkv)` into `(B, S, Hkv, Dh)` moves axes across each other, which a reshape cannot do"
        ]
    );
    let positions_as_heads = clean.replace(
        "keys.repeat_kv::<H>()",
        "keys.transpose::<1, 2>().repeat_kv::<H>()",
    );
    assert_eq!(
        lint(&positions_as_heads),
        [
            "12: shape mismatch: `T` stands where the heads go (axis 1 of `(B, H, S, Dh)`), but `T` is declared a `Sequence` axis"
        ]
    );
}

/// A block calling the layers of the crate: `self.attn.forward(…)`, `self.helper(…)` and
/// `Self::helper(…)` return what those methods are annotated to, so a mistake after
/// them is found, and a correct block is clean.
#[test]
fn methods_of_the_crate_s_own_types_are_followed() {
    let code = |use_it: &str| {
        format!(
            "dims! {{ pub B = 1; pub S = 4; pub D = 16; pub F = 48; }}\n\
             struct Attention {{ wo: Tensor<(D, D)> }}\n\
             impl Attention {{\n\
                 #[shapes(x: [B, S, D] -> [B, S, D])]\n\
                 fn forward(&self, x: &Tensor) -> Tensor {{ x.matmul(&self.wo) }}\n\
             }}\n\
             struct Block {{ attn: Attention, up: Tensor<(D, F)> }}\n\
             impl Block {{\n\
                 #[shapes(x: [B, S, D] -> [B, S, F])]\n\
                 fn widen(&self, x: &Tensor) -> Tensor {{ x.matmul(&self.up) }}\n\
                 #[shapes(x: [B, S, D] -> [B, S, F])]\n\
                 fn forward(&self, x: &Tensor) -> Tensor {{\n\
                     let h = self.attn.forward(x);\n\
                     let a = self.widen(&h);\n\
                     let b = Self::widen(self, &h);\n\
                     {use_it}\n\
                 }}\n\
             }}\n"
        )
    };
    let lint = |use_it: &str| {
        lint_sources(vec![Source::new("block.rs", code(use_it))])
            .diagnostics
            .into_iter()
            .map(|d| (d.start.line, d.message))
            .collect::<Vec<_>>()
    };
    assert_eq!(lint("let _ = b; a"), []);
    assert_eq!(
        lint("let _ = b; a.matmul(&self.up)"),
        [(
            16,
            "shape mismatch: matmul contracts `F` with `D`, but the left operand's last dim must be the right operand's row dim".to_owned()
        )]
    );
    assert_eq!(
        lint("let _ = a; b.matmul(&self.up)"),
        [(
            16,
            "shape mismatch: matmul contracts `F` with `D`, but the left operand's last dim must be the right operand's row dim".to_owned()
        )]
    );
}

/// An unnamed `Tensor` parameter is told to get a name, not to write `_: [B, S, D]`
/// (which the grammar rejects).
#[test]
fn an_unnamed_tensor_parameter_is_told_to_get_a_name() {
    let code = "dims! { pub B = 2; pub S = 4; }\n#[shapes(x: [B, S] -> [B, S])]\nfn f(x: &Tensor, _: &Tensor) -> Tensor { x.clone() }\n";
    let report = lint_sources(vec![Source::new("u.rs", code.into())]);
    assert_eq!(
        report.diagnostics[0].message,
        "this `Tensor` parameter has no name and no shape: name it (`x: &Tensor`) and add `x: [B, S, D]` (its dims) to `#[shapes(...)]`"
    );
}

/// A constructor without sizes is reported on a dim its own file declares `dyn`, and not
/// where the file declares the same name with a size (as two labs linted together do).
#[test]
fn a_run_time_dim_is_decided_by_the_file_that_declares_it() {
    let dynamic =
        "dims! { pub S = dyn; pub D = 8; }\nfn f() { let _x = Tensor::<(S, D)>::zeros(); }\n";
    let fixed = "dims! { pub S = 4; pub D = 8; }\nfn g() { let _x = Tensor::<(S, D)>::zeros(); }\n";
    let report = lint_sources(vec![
        Source::new("dyn.rs", dynamic.into()),
        Source::new("fixed.rs", fixed.into()),
    ]);
    let found: Vec<(&str, &str)> = report
        .diagnostics
        .iter()
        .map(|d| (d.file.as_str(), d.code.as_str()))
        .collect();
    assert_eq!(found, [("dyn.rs", "static-shape")]);
    // The sized constructor is right for a run-time dim.
    let sized = "dims! { pub S = dyn; pub D = 8; }\nfn f() { let _x = Tensor::<(S, D)>::zeros_in(&sizes![S = 3]); }\n";
    assert!(
        lint_sources(vec![Source::new("a.rs", sized.into())])
            .diagnostics
            .is_empty()
    );
}

/// A scale computed by hand reads the width the scores contract (`Dh`), as
/// `attention_scale::<Dh>()` must: on the queries, and on the scores a product made.
#[test]
fn a_hand_computed_scale_reads_the_contracted_width() {
    let code = |body: &str| {
        format!(
            "dims! {{ pub B = 1; pub H = 4; pub S = 4; pub D = 16; pub Dh = D / H; }}\n\
             #[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh] -> [B, H, S, S])]\n\
             fn scores(q: &Tensor, k: &Tensor) -> Tensor {{\n{body}\n}}\n"
        )
    };
    let findings = |body: &str| {
        let report = lint_sources(vec![Source::new("a.rs", code(body))]);
        report
            .diagnostics
            .into_iter()
            .map(|d| {
                let fix = d.fixes.first().map(|f| f.edits[0].replacement.clone());
                (d.code, d.start.line, d.message, fix)
            })
            .collect::<Vec<_>>()
    };
    let on_q = findings("    q.scale(1.0 / (D::SIZE as f32).sqrt()).matmul(&k.t())");
    assert_eq!(on_q.len(), 1, "{on_q:?}");
    assert_eq!(on_q[0].0, "scale-width");
    assert_eq!(on_q[0].1, 4);
    assert_eq!(
        on_q[0].2,
        "shape mismatch: the attention scale is `1/sqrt(Dh)`, the width `Q·K^T` contracts, not `1/sqrt(D)`"
    );
    assert_eq!(on_q[0].3.as_deref(), Some("Dh"));
    let on_scores = findings(
        "    let s = q.matmul(&k.t());\n    let s = s.causal_mask();\n    s.scale((D::SIZE as f32).powf(-0.5))",
    );
    assert_eq!(
        on_scores.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        ["scale-width"]
    );
    let called = findings("    q.matmul(&k.t()).scale(1.0 / f32::sqrt(D::SIZE as f32))");
    assert_eq!(called.len(), 1, "{called:?}");
    // The right width, and scales that are not the attention's, are clean.
    for clean in [
        "    q.scale(1.0 / (Dh::SIZE as f32).sqrt()).matmul(&k.t())",
        "    let s = q.matmul(&k.t());\n    s.scale(1.0 / (Dh::SIZE as f32).sqrt())",
        "    q.matmul(&k.t()).scale(0.5)",
        "    let n = q.numel();\n    q.matmul(&k.t()).scale(n as f32)",
    ] {
        assert!(findings(clean).is_empty(), "{clean}: {:?}", findings(clean));
    }
}

/// `Mask::CausalTopLeft` where the queries and keys are different dims: reported in the
/// compiler's words (`MaskFor`), whatever their sizes, with the decoding mask as the fix;
/// not where they are one dim.
#[test]
fn a_top_left_mask_on_new_queries_after_cached_keys_is_reported() {
    let code = |dims: &str, mask: &str| {
        format!(
            "dims! {{ pub B = 1; pub H = 2; pub Dh = 4; {dims} }}\n\
             #[shapes(s: [B, H, S, T] -> [B, H, S, T])]\n\
             fn weights(s: &Tensor) -> Tensor {{\n    s.masked({mask}).softmax()\n}}\n"
        )
    };
    let lint = |dims: &str, mask: &str| {
        lint_sources(vec![Source::new("a.rs", code(dims, mask))]).diagnostics
    };
    for dims in [
        "pub S = 1; pub T = 5;",
        "pub S = dyn; pub T = dyn;",
        "pub S = 5; pub T = 5;",
    ] {
        let found = lint(dims, "Mask::CausalTopLeft");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code, "mask-alignment");
        assert_eq!(
            found[0].message,
            "mask mismatch: `Mask::CausalTopLeft` lines query 0 up with key 0, but the queries `S` and the keys `T` are different dims, as new queries after cached keys are"
        );
        assert_eq!(found[0].fixes[0].edits[0].replacement, "Mask::Causal");
    }
    for mask in ["Mask::Causal", "Mask::causal_from(0)"] {
        assert!(lint("pub S = 1; pub T = 5;", mask).is_empty(), "{mask}");
    }
    let square = code("pub S = 5;", "Mask::CausalTopLeft").replace("S, T]", "S, S]");
    assert!(
        lint_sources(vec![Source::new("a.rs", square)])
            .diagnostics
            .is_empty()
    );
}

/// A softmax over scores whose keys were moved off the last axis is reported, naming both
/// dims; the keys' axis is followed through `let`s, masks, `t()` and `transpose`, and a
/// softmax over logits (a product with a weight) is not attention's.
#[test]
fn a_softmax_over_the_queries_is_reported() {
    let code = |body: &str| {
        format!(
            "dims! {{ pub B = 1; pub H = 2; pub S = 4; pub T = 6; pub Dh = 4; pub D = 8; pub V = 16; }}\n\
             #[shapes(q: [B, H, S, Dh], k: [B, H, T, Dh], x: [B, S, D], w: [D, V])]\n\
             fn f(q: &Tensor, k: &Tensor, x: &Tensor, w: &Tensor) {{\n{body}\n}}\n"
        )
    };
    let codes = |body: &str| {
        lint_sources(vec![Source::new("a.rs", code(body))])
            .diagnostics
            .into_iter()
            .map(|d| (d.code, d.message))
            .collect::<Vec<_>>()
    };
    let found = codes(
        "    let s = q.matmul(&k.t());\n    let p = s.transpose::<2, 3>().softmax();\n    drop(p);",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "softmax-axis");
    assert_eq!(
        found[0].1,
        "softmax over the queries: it normalises the last axis, `S`, but the keys of these scores `(B, H, T, S)` are axis 2, `T`"
    );
    assert_eq!(
        codes("    let p = q.matmul(&k.t()).masked(Mask::Causal).t().softmax();\n    drop(p);")
            .len(),
        1
    );
    for clean in [
        "    let p = q.matmul(&k.t()).softmax();\n    drop(p);",
        // transposed twice: the keys are back on the last axis
        "    let s = q.matmul(&k.t()).t();\n    let p = s.t().softmax();\n    drop(p);",
        // logits over the vocabulary
        "    let p = x.matmul(w).softmax();\n    drop(p);",
    ] {
        assert!(codes(clean).is_empty(), "{clean}: {:?}", codes(clean));
    }
}

/// A square weight read raw from a checkpoint and multiplied in is a warning (its shape
/// cannot tell its orientation); a weight of two different dims, or one the code builds, is
/// not; and the tail of a function returning `Result` is followed.
#[test]
fn a_square_weight_from_a_checkpoint_is_a_warning() {
    let code = |_shape: &str, load: &str| {
        format!(
            "dims! {{ pub S = 4; pub D = 8; pub Dq = 8; }}\n\
             fn project(ckpt: &Checkpoint, x: &Tensor<(S, D)>) -> Result<Tensor<(S, D)>, LoadError> {{\n\
             \x20   let w = {load};\n\
             \x20   Ok(x.matmul(&w.t()))\n\
             }}\n"
        )
    };
    let lint = |shape: &str, load: &str| {
        lint_sources(vec![Source::new("a.rs", code(shape, load))])
            .diagnostics
            .into_iter()
            .map(|d| (d.code, d.severity.as_str()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        lint("(D, D)", "ckpt.tensor::<(D, D)>(\"q.weight\", &sizes![])?"),
        [("square-weight".to_owned(), "warning")]
    );
    assert!(
        lint(
            "(Dq, D)",
            "ckpt.tensor::<(Dq, D)>(\"q.weight\", &sizes![])?"
        )
        .is_empty()
    );
    assert!(lint("(D, D)", "Tensor::<(D, D)>::randn(0)").is_empty());
    // The tail `Ok(…)` is checked: a weight the wrong way round is found there.
    let wrong = lint("(Dq, D)", "ckpt.tensor::<(D, S)>(\"q.weight\", &sizes![])?");
    assert_eq!(
        wrong.first().map(|w| w.0.as_str()),
        Some("matmul-contraction"),
        "{wrong:?}"
    );
}

/// Positions written as numbers while decoding are warnings; the same op outside a
/// function that takes a cache, or with positions from the cache, is not.
#[test]
fn decode_positions_are_found_where_a_cache_is_taken() {
    let code = |params: &str, body: &str| {
        format!(
            "dims! {{ pub B = 1; pub H = 2; pub C = 16; pub P = 16; pub D = 8; pub S = dyn; pub T = dyn; pub Dh = 4; }}\n\
             #[shapes(q: [B, H, S, Dh], x: [S, D] -> [B, H, S, Dh])]\n\
             fn step(q: &Tensor, x: &Tensor, rope: &Rope<C, Dh>, wpe: &Tensor<(P, D)>{params}) -> Result<Tensor, ShapeError> {{\n\
             \x20   {body}\n\
             }}\n"
        )
    };
    let lint = |params: &str, body: &str| {
        lint_sources(vec![Source::new("a.rs", code(params, body))])
            .diagnostics
            .into_iter()
            .map(|d| (d.code, d.severity.as_str(), d.message))
            .collect::<Vec<_>>()
    };
    let cache = ", cache: &mut KvCache<B, H, C, Dh>";
    let found = lint(cache, "Ok(q.rope(rope, 0))");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1),
        ("decode-positions", "warning")
    );
    assert_eq!(
        found[0].2,
        "RoPE at the fixed offset 0 in a function that decodes with a KV cache: the new `S` rows come after the cached ones, at positions `cache.len()..`"
    );
    let found = lint(
        cache,
        "let _p = x.add(&wpe.narrow::<0, S>(0, 1)); Ok(q.clone())",
    );
    assert_eq!(
        found.first().map(|f| f.0.as_str()),
        Some("decode-positions")
    );
    // no cache taken: a prefill-only function may start at 0
    assert!(lint("", "Ok(q.rope(rope, 0))").is_empty());
    // positions from the cache, or an offset that is not a number
    assert!(
        lint(
            cache,
            "let at = cache.positions::<S>(1)?; q.rope_at(rope, &at)"
        )
        .is_empty()
    );
    assert!(lint(cache, "Ok(q.rope(rope, cache.len()))").is_empty());
}

/// Attention fed what was just appended is found; the views, or a name bound again after
/// the append, are not.
#[test]
fn stale_keys_are_the_ones_just_appended() {
    let code = |body: &str| {
        format!(
            "dims! {{ pub B = 1; pub H = 2; pub C = 16; pub S = dyn; pub T = dyn; pub Dh = 4; }}\n\
             #[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh], v: [B, H, S, Dh] -> [B, H, S, Dh])]\n\
             fn step(q: &Tensor, k: &Tensor, v: &Tensor, cache: &mut KvCache<B, H, C, Dh>) -> Result<Tensor, ShapeError> {{\n\
             \x20   let (keys, values) = cache.append::<S, T>(&k, &v)?;\n\
             \x20   {body}\n\
             }}\n"
        )
    };
    let lint = |body: &str| {
        lint_sources(vec![Source::new("a.rs", code(body))])
            .diagnostics
            .into_iter()
            .map(|d| (d.code, d.message))
            .collect::<Vec<_>>()
    };
    let found =
        lint("let _ = (keys, values); Ok(grouped_query_attention(q, &k, &v, Mask::Causal))");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "stale-keys");
    assert_eq!(
        found[0].1,
        "attention reads the new keys and values `k`, `v` that were just appended to the KV cache: it sees this step's positions only, not the cache's"
    );
    // the new keys with the cache's values: the lengths differ, and that is the one finding
    let found = lint("let _ = keys; Ok(grouped_query_attention(q, &k, values, Mask::Causal))");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "key-value-length");
    assert!(lint("Ok(grouped_query_attention(q, keys, values, Mask::Causal))").is_empty());
    assert!(
        lint("let _ = (keys, values); let k = q.clone(); let v = q.clone(); Ok(scaled_dot_product_attention(q, &k, &v, Mask::Causal))")
            .is_empty()
    );
}

/// `chunk_array::<N, Part>()` is checked as the compiler checks it, naming `Parts<N>`, and
/// its parts are followed into the array pattern.
#[test]
fn chunk_array_parts_are_checked_and_followed() {
    let code = |width: &str, part: &str| {
        format!(
            "dims! {{ pub S = 4; pub D = 8; pub Dh = 4; pub D3 = {width}; }}\n\
             #[shapes(x: [S, D3] -> [S, D])]\n\
             fn queries(x: &Tensor) -> Tensor {{\n\
             \x20   let [q, _k, _v] = x.chunk_array::<3, {part}>();\n\
             \x20   q\n\
             }}\n"
        )
    };
    let lint = |width: &str, part: &str| {
        lint_sources(vec![Source::new("a.rs", code(width, part))])
            .diagnostics
            .into_iter()
            .map(|d| (d.code, d.message))
            .collect::<Vec<_>>()
    };
    assert!(lint("24", "D").is_empty());
    let found = lint("20", "D");
    assert_eq!(
        found.first().map(|f| f.0.as_str()),
        Some("chunk-partition"),
        "{found:?}"
    );
    assert!(
        found[0]
            .1
            .starts_with("shape mismatch: `Parts<3>` × `D` must equal `D3`"),
        "{found:?}"
    );
    // parts of the wrong width are followed to the return
    let found = lint("12", "Dh");
    assert_eq!(
        found.first().map(|f| f.0.as_str()),
        Some("return-shape"),
        "{found:?}"
    );
}

/// A `SwiGlu<D, F>` field is followed as the MLP it is: `(…, D) → (…, D)`, the input's width
/// checked as its gate projection checks it.
#[test]
fn a_swiglu_layer_is_followed() {
    let code = |input: &str| {
        format!(
            "dims! {{ pub S = 4; pub D = 8; pub F = 16; }}\n\
             pub struct Block {{ pub mlp: SwiGlu<D, F> }}\n\
             impl Block {{\n\
             \x20   #[shapes(x: [S, {input}] -> [S, D])]\n\
             \x20   pub fn forward(&self, x: &Tensor) -> Tensor {{ self.mlp.forward(x) }}\n\
             }}\n"
        )
    };
    let lint = |input: &str| {
        lint_sources(vec![Source::new("a.rs", code(input))])
            .diagnostics
            .into_iter()
            .map(|d| d.code)
            .collect::<Vec<_>>()
    };
    assert!(lint("D").is_empty());
    assert_eq!(lint("F"), ["matmul-contraction"]);
}
