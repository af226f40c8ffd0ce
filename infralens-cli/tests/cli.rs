//! The `infralens` binary against fixture crates: exit codes, and the human, json, sarif
//! and github outputs pinned with insta.

use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

mod common;
use common::infralens as run;

#[test]
fn clean_crate_has_no_findings() {
    let (code, out, err) = run(&fixture("clean"), &["lint"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "");
    assert_eq!(err, "infralens: 1 files, 64 lines: no findings\n");
}

#[test]
fn broken_crate_human() {
    let (code, out, err) = run(&fixture("broken"), &["lint"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(err, "infralens: 3 files, 59 lines: 9 findings\n");
    insta::assert_snapshot!("lint_human", out);
}

#[test]
fn broken_crate_json() {
    let (code, out, _) = run(&fixture("broken"), &["lint", "--format", "json"]);
    assert_eq!(code, 1);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
        .collect();
    assert_eq!(lines.len(), 9);
    for d in &lines {
        for key in [
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "severity",
            "code",
            "message",
        ] {
            assert!(!d[key].is_null(), "`{key}` missing in {d}");
        }
    }
    let codes: Vec<&str> = lines.iter().filter_map(|d| d["code"].as_str()).collect();
    for code in [
        "matmul-contraction",
        "let-shape",
        "scores-contraction",
        "heads-partition",
        "unknown-dim",
        "annotation",
        "dims",
        "parse-error",
    ] {
        assert!(codes.contains(&code), "no `{code}` finding in {codes:?}");
    }
    insta::assert_snapshot!("lint_json", out);
}

#[test]
fn broken_crate_sarif() {
    let (code, out, _) = run(&fixture("broken"), &["lint", "--format", "sarif"]);
    assert_eq!(code, 1);
    let log: Value = serde_json::from_str(&out).expect("one JSON document");
    // The fields SARIF 2.1.0 requires, and those GitHub code scanning reads.
    assert_eq!(log["version"], "2.1.0");
    assert!(
        log["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("sarif-2.1.0"))
    );
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "infralens");
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["id"].as_str().expect("rule id"))
        .collect();
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 9);
    for r in results {
        let id = r["ruleId"].as_str().expect("ruleId");
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index], id);
        assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().is_some_and(|l| l >= 1));
        assert!(region["startColumn"].as_u64().is_some_and(|c| c >= 1));
        // Relative to the repository's root, which `originalUriBaseIds` gives.
        let location = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        assert!(
            location["uri"]
                .as_str()
                .is_some_and(|u| u.starts_with("infralens-cli/tests/fixtures/broken/src/")),
            "{location}"
        );
        assert_eq!(location["uriBaseId"], "%SRCROOT%");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_string_lossy()
        .into_owned();
    let root_uri = format!("file://{root}/");
    if Path::new(&root).join(".git").exists() {
        assert_eq!(
            run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
            root_uri.as_str()
        );
    }
    let out = out.replace(&root_uri, "file://[repository]/");
    insta::assert_snapshot!("lint_sarif", out);
}

#[test]
fn broken_crate_github() {
    let (code, out, _) = run(&fixture("broken"), &["lint", "--format", "github"]);
    assert_eq!(code, 1);
    assert_eq!(out.lines().count(), 9, "one workflow command a finding");
    assert!(out.lines().all(|l| l.starts_with("::error file=src/")));
    insta::assert_snapshot!("lint_github", out);
}

#[test]
fn explain_prints_the_walkthrough() {
    let (code, out, err) = run(&fixture("clean"), &["explain", "src/lib.rs::block"]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("explain_block", out);
}

/// Sizes far past `u64` in elements and FLOPs are counted exactly (`u128`), and a count
/// past `u128` saturates and says so, never wrapped.
#[test]
fn explain_counts_huge_sizes_without_wrapping() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("explain-huge");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("huge.rs"),
        "dims! { pub B = 1073741824; pub S = 1073741824; pub D = 1073741824; pub V = 18446744073709551615; }\n\
         #[shapes(x: [B, S, D], w: [D, D], u: [D, V] -> [B, S, V])]\n\
         fn f(x: &Tensor, w: &Tensor, u: &Tensor) -> Tensor {\n    let y = x.matmul(w);\n    y.matmul(u)\n}\n",
    )
    .expect("write");
    let (code, out, err) = run(&dir, &["explain", "huge.rs::f"]);
    assert_eq!(code, 0, "{err}");
    // 2^30 · 2^30 · 2^30 elements, 4 bytes each; `2·M·N·K` = 2^121 FLOPs.
    assert!(out.contains(&(1u128 << 90).to_string()), "{out}");
    assert!(out.contains(&(1u128 << 92).to_string()), "{out}");
    assert!(out.contains(&(1u128 << 121).to_string()), "{out}");
    // The second product is 2^91 · (2^64 - 1) FLOPs: more than `u128` holds.
    assert!(out.contains("total: ≥ 2^128 FLOPs, "), "{out}");
}

/// `FILE::Type::method` selects a method of one type's impls, followed through its fields.
#[test]
fn explain_takes_a_type_and_method() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace");
    let (code, out, err) = run(
        repo,
        &["explain", "labs/07-decoder-block/block.rs::Block::forward"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("forward  (dims:"), "{out}");
    assert!(out.contains("self.q.forward(&h)"), "{out}");
    assert!(out.contains("(B, H, S, Dh)"), "{out}");
    let (code, _, err) = run(
        repo,
        &["explain", "labs/07-decoder-block/block.rs::Nope::forward"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("no method `Nope::forward`"), "{err}");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = fixture("clean");
    for args in [
        &["lint", "no/such/dir"][..],
        &["explain", "src/lib.rs"],
        &["explain", "src/lib.rs::nope"],
        &["explain", "src/lib.rs::Nope::block"],
        &["explain", "src/missing.rs::f"],
        &["explain", "::f"],
    ] {
        let (code, out, err) = run(&dir, args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("infralens: "), "{err}");
    }
    let (code, _, err) = run(&dir, &["lint", "--format", "xml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("possible values: human, json, sarif, github"),
        "{err}"
    );
}

/// A copy of a fixture crate, depending on this workspace's `infralens` and its lock file,
/// built in one shared target directory.
fn crate_copy(name: &str) -> PathBuf {
    let lib = std::fs::read_to_string(fixture(name).join("src/lib.rs")).expect("source");
    common::fixture_crate(&format!("fixture-{name}"), &[("src/lib.rs", &lib)])
}

fn check(dir: &Path, format: &str) -> (i32, String, String) {
    run(
        dir,
        &["check", "--format", format, "--", "--offline", "--quiet"],
    )
}

/// `check` on a crate with `Q @ K`: the shape error in InfraLens' words with its lab,
/// the compiler's warning passed through as rustc rendered it, and the build's exit code.
#[test]
fn check_renders_shape_errors_and_passes_the_rest_through() {
    let dir = crate_copy("check");
    let (code, out, err) = check(&dir, "human");
    assert_eq!(
        code, 1,
        "a build that fails on the code exits 1, not cargo's 101: {err}"
    );
    insta::assert_snapshot!("check_human", out);
    assert!(out.contains("warning: unused variable: `x`"), "{out}");

    let (code, out, _) = check(&dir, "github");
    assert_eq!(code, 1);
    assert!(
        out.lines()
            .any(|l| l.starts_with("::error file=src/lib.rs,line=14,")
                && l.contains(
                    "title=infralens E0277::shape mismatch: matmul contracts `Dh` with `S`"
                )
                && l.contains("infralens lab 02")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("::warning file=src/lib.rs,line=18,")),
        "{out}"
    );

    let (_, out, _) = check(&dir, "sarif");
    let log: Value = serde_json::from_str(&out).expect("one SARIF document");
    let results = log["runs"][0]["results"].as_array().expect("results");
    let rules: Vec<&str> = results
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    // The shape error, the return type it leaves unmet, and the warning.
    assert_eq!(rules, ["E0277", "E0308", "unused_variables"], "{out}");
}

/// A directory of the system's temporary directory (outside any cargo project), removed
/// when the test ends, whether it passes or not.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

/// `check` where cargo cannot build at all (no manifest): exit 2, cargo's own message kept.
#[test]
fn check_without_a_cargo_project_exits_2() {
    let dir = TempDir::new("infralens-no-manifest");
    let (code, out, err) = check(&dir, "json");
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("Cargo.toml"), "{err}");
    assert_eq!(out, "");
}

/// SARIF locations are URI references: odd file names are percent-encoded, never a fragment.
#[test]
fn sarif_uris_are_percent_encoded() {
    let dir = TempDir::new("infralens-sarif-uris");
    std::fs::create_dir_all(dir.join("my dir")).expect("temp dir");
    let bad = "dims! { pub D = 18; pub H = 4; pub Dh = D / H; }\n";
    for name in ["a#b.rs", "my dir/ü.rs", "100%.rs"] {
        std::fs::write(dir.join(name), bad).expect("writable");
    }
    let (code, out, err) = run(&dir, &["lint", "--format", "sarif", "."]);
    assert_eq!(code, 1, "{err}");
    let log: Value = serde_json::from_str(&out).expect("one SARIF document");
    let mut uris: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    uris.sort_unstable();
    assert_eq!(
        uris,
        ["100%25.rs", "a%23b.rs", "my%20dir/%C3%BC.rs"],
        "{out}"
    );
}

/// What `lint` calls clean, the compiler compiles.
#[test]
fn check_agrees_that_the_clean_crate_is_clean() {
    let dir = crate_copy("clean");
    let (code, out, err) = check(&dir, "human");
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "");
}

/// Odd paths (issue: reliability): a symlink loop is walked once, a FIFO or a device is
/// refused by name (never read), names with a backslash or bytes that are not UTF-8 are
/// linted under their own names, and deep nesting or a lexer error is one finding each.
#[cfg(unix)]
#[test]
fn odd_paths_and_files_get_one_clear_answer() {
    use std::os::unix::ffi::OsStrExt;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("odd-paths");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).expect("temp dir");
    std::fs::write(dir.join("src/ok.rs"), "fn f() {}\n").expect("write");
    std::os::unix::fs::symlink(".", dir.join("src/self")).expect("symlink loop");
    std::os::unix::fs::symlink("..", dir.join("src/up")).expect("second loop");
    std::fs::write(dir.join("src/back\\slash.rs"), "fn g() {}\n").expect("write");
    let latin1 = std::ffi::OsStr::from_bytes(b"caf\xe9.rs");
    std::fs::write(dir.join("src").join(latin1), "fn h() {}\n").expect("write");
    std::fs::write(
        dir.join("src/deep.rs"),
        format!(
            "fn f() {{ {}{} }}\n",
            "{".repeat(60_000),
            "}".repeat(60_000)
        ),
    )
    .expect("write");
    std::fs::write(dir.join("src/tick.rs"), "fn f() { `x` }\n").expect("write");
    let fifo = dir.join("src/pipe.rs");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());

    // Five files, each once: the loops add nothing and the FIFO is skipped, not read.
    let (_, _, err) = run(&dir, &["lint", "src"]);
    assert!(err.contains("5 files"), "{err}");
    let (code, out, err) = run(&dir, &["lint", "src", "--format", "json"]);
    assert_eq!(code, 1, "{out}{err}");
    let found: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one object per line"))
        .collect();
    let files: Vec<&str> = found.iter().filter_map(|d| d["file"].as_str()).collect();
    assert_eq!(files, ["src/deep.rs", "src/tick.rs"], "{out}");
    assert!(out.contains("too deeply"), "{out}");
    assert!(out.contains("not part of any Rust token"), "{out}");

    let (code, out, err) = run(&dir, &["lint", "src/back\\slash.rs"]);
    assert_eq!(code, 0, "{out}{err}");
    if made {
        let (code, _, err) = run(&dir, &["lint", "src/pipe.rs"]);
        assert_eq!(code, 2, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("src/pipe.rs") && err.contains("not a regular file"),
            "{err}"
        );
    }
    let (code, _, err) = run(&dir, &["lint", "/dev/zero"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("/dev/zero") && err.contains("not a regular file"),
        "{err}"
    );
}

/// Regression (reliability issue): an unreadable subdirectory was reported as
/// "Permission denied (os error 13)" with no path, and `labs --init` on an unreadable
/// directory, a file or a dangling link gave a wrong reason. Each is one line naming the
/// path and the reason, exit 2. As root (who reads everything) the binary runs as `nobody`
/// through `setpriv`; where that cannot be done the test says so and checks nothing.
#[cfg(unix)]
#[test]
fn unreadable_files_and_directories_get_one_clear_line() {
    use std::os::unix::fs::PermissionsExt;
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("unreadable");
    if dir.exists() {
        let _ = std::fs::set_permissions(dir.join("src/closed"), PermissionsExt::from_mode(0o755));
        let _ = std::fs::remove_dir_all(&dir);
    }
    std::fs::create_dir_all(dir.join("src/closed")).expect("temp dir");
    std::fs::write(dir.join("src/ok.rs"), "fn f() {}\n").expect("write");
    std::fs::write(dir.join("src/closed/inner.rs"), "fn g() {}\n").expect("write");
    std::fs::write(dir.join("src/locked.rs"), "fn h() {}\n").expect("write");
    std::os::unix::fs::symlink("/nonexistent/infralens", dir.join("dangling")).expect("link");
    std::fs::set_permissions(dir.join("src/locked.rs"), PermissionsExt::from_mode(0o000))
        .expect("chmod");
    std::fs::set_permissions(dir.join("src/closed"), PermissionsExt::from_mode(0o000))
        .expect("chmod");
    let binary = env!("CARGO_BIN_EXE_infralens");
    let as_user = |args: &[&str]| -> std::process::Command {
        let mut cmd = if root {
            let mut c = common::command("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", binary]);
            c
        } else {
            common::command(binary)
        };
        cmd.args(args).current_dir(&dir);
        cmd
    };
    if !as_user(&["--version"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        println!("skipped: cannot run infralens as an unprivileged user here");
        return;
    }
    let run = |args: &[&str]| {
        let out = as_user(args).output().expect("runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for (args, said) in [
        (
            &["lint", "src"][..],
            "infralens: cannot read `src/closed`: Permission denied (os error 13)",
        ),
        (
            &["lint", "src/locked.rs"][..],
            "infralens: cannot read `src/locked.rs`: Permission denied (os error 13)",
        ),
        (
            &["explain", "src/locked.rs::h"][..],
            "infralens: cannot read `src/locked.rs`: Permission denied (os error 13)",
        ),
        (
            &["labs", "--init", "src/closed"][..],
            "infralens: cannot read `src/closed`: Permission denied (os error 13)",
        ),
        (
            &["labs", "--init", "src/ok.rs"][..],
            "infralens: `src/ok.rs` is a file, not a directory: give a new directory",
        ),
        (
            &["labs", "--init", "dangling"][..],
            "infralens: `dangling` is a link to `/nonexistent/infralens`, which does not exist: give a new directory",
        ),
    ] {
        let (code, err) = run(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with(said), "{args:?}: {err}");
    }
    // Nothing was written.
    assert!(std::fs::symlink_metadata(dir.join("src/ok.rs")).is_ok_and(|m| m.is_file()));
    std::fs::set_permissions(dir.join("src/closed"), PermissionsExt::from_mode(0o755))
        .expect("chmod back");
    assert_eq!(
        std::fs::read_dir(dir.join("src/closed"))
            .expect("readable")
            .count(),
        1
    );
}

/// A project's configuration: `exclude` globs and `.gitignore` leave files out of a walk,
/// trybuild's UI cases are skipped, `allow` and `// infralens: allow(rule)` comments
/// silence findings, and a bad configuration is one line and exit 2.
#[test]
fn configuration_excludes_allows_and_ignores() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("configured");
    let _ = std::fs::remove_dir_all(&dir);
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(path, text).expect("write");
    };
    let dims = "dims! { pub B = 1; pub S = 4; pub D = 16; pub Dkv = 8; }\n";
    let bad_fn = |name: &str| {
        format!(
            "#[shapes(x: [B, S, D], w: [Dkv, D] -> [B, S, Dkv])]\nfn {name}(x: &Tensor, w: &Tensor) -> Tensor {{\n    x.matmul(w)\n}}\n"
        )
    };
    write("src/dims.rs", dims);
    write("src/model.rs", &bad_fn("keys"));
    write(
        "src/allowed.rs",
        &format!(
            "/// Deliberately wrong, for a demo.\n// infralens: allow(shape-mismatch)\n{}\
             #[shapes(x: [B, S, D], w: [Dkv, D] -> [B, S, Dkv])]\nfn trailing(x: &Tensor, w: &Tensor) -> Tensor {{\n    x.matmul(w) // infralens: allow(shape-mismatch)\n}}\n",
            bad_fn("whole_fn")
        ),
    );
    write("src/gen/out.rs", &bad_fn("generated"));
    write("ignored/x.rs", &bad_fn("ignored"));
    write(".gitignore", "ignored/\n");
    write("tests/ui/case.rs", &bad_fn("ui_case"));
    write("tests/ui/case.stderr", "error: …\n");
    write("infralens.toml", "exclude = [\"src/gen\"]\n");

    let files = |out: &str| -> Vec<String> {
        out.lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("JSON line"))
            .map(|d| format!("{}:{}", d["file"].as_str().unwrap_or(""), d["line"]))
            .collect()
    };
    let (code, out, err) = run(&dir, &["lint", "--format", "json", "."]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(files(&out), ["src/model.rs:3"], "{out}");

    // A file named on the command line is read whatever `exclude` says.
    let (_, out, _) = run(
        &dir,
        &["lint", "--format", "json", "src/gen/out.rs", "src/dims.rs"],
    );
    assert_eq!(files(&out), ["src/gen/out.rs:3"]);

    // `allow` in Cargo.toml's metadata, found from a subdirectory.
    std::fs::remove_file(dir.join("infralens.toml")).expect("rm");
    write(
        "Cargo.toml",
        "[package]\nname = \"x\"\n\n[package.metadata.infralens]\nexclude = [\"gen\"]\nallow = [\"shape-mismatch\"]\n",
    );
    let (code, out, err) = run(&dir.join("src"), &["lint", "--format", "json", "."]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");

    // An unknown rule in a comment is a finding; a bad configuration is exit 2, one line.
    write(
        "src/typo.rs",
        "// infralens: allow(shape-mismach)\nfn f() {}\n",
    );
    let (code, out, _) = run(&dir, &["lint", "--format", "json", "src/typo.rs"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("`infralens: allow(…)` names no rule `shape-mismach`; the rules are parse-error, annotation"),
        "{out}"
    );
    write(
        "infralens.toml",
        "exclude = [\"src/gen\"]\nallowed = [\"dims\"]\n",
    );
    let (code, out, err) = run(&dir, &["lint"]);
    assert_eq!(code, 2, "{out}");
    assert!(err.starts_with("infralens: "), "{err}");
    assert!(err.contains("unknown field `allowed`"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let (code, _, err) = run(&dir, &["lint", "--config", "nowhere.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read `nowhere.toml`"), "{err}");
}

/// `lint --fix` applies the mechanical fixes — a weight stored `(out, in)` read
/// transposed, keys read transposed in the scores, the attention scale's width, a causal
/// mask of new queries against their keys — shown first as rustc-style suggestions and as
/// SARIF `fixes`; the fixed crate then lints clean and compiles.
#[test]
fn lint_fix_applies_the_suggestions_and_the_code_compiles() {
    let broken = "use infralens::prelude::*;\n\n\
        dims! {\n    pub B: Batch = 1;\n    pub S: Sequence = 4;\n    pub P: Sequence = 2;\n    pub T: Sequence = P + S;\n    \
        pub D: ModelWidth = 16;\n    pub H: Heads = 4;\n    pub Dh: HeadWidth = 8;\n    pub Dkv = 8;\n}\n\n\
        /// The queries' heads, of a width that does not partition `D`.\n\
        #[shapes(q: [B, S, D] -> [B, H, S, Dh])]\n\
        pub fn heads(q: &Tensor) -> Tensor {\n    q.split_heads::<H, Dh>()\n}\n\n\
        /// Keys stored `(out, in)`, as `nn.Linear` keeps them.\n\
        #[shapes(x: [B, S, D] -> [B, S, Dkv])]\n\
        pub fn keys(x: &Tensor, wk: &Tensor<(Dkv, D)>) -> Tensor {\n    x.matmul(wk)\n}\n\n\
        /// New queries against the cache's keys.\n\
        #[shapes(q: [B, H, S, Dh], k: [B, H, T, Dh], v: [B, H, T, Dh] -> [B, H, S, Dh])]\n\
        pub fn attend(q: &Tensor, k: &Tensor, v: &Tensor) -> Tensor {\n    \
        let scores = q.attention_scale::<D>().matmul(k);\n    \
        scores.causal_mask().softmax().matmul(v)\n}\n";
    let dir = common::fixture_crate("fixable", &[("src/lib.rs", broken)]);

    let (_, human, _) = run(&dir, &["lint"]);
    assert!(
        human.contains("help: read the weight transposed: `&wk.t()`\n"),
        "{human}"
    );
    assert!(human.contains("     x.matmul(&wk.t())\n"), "{human}");
    // A fix at the declaration, shown on its own line of the file.
    assert!(
        human.contains(
            "help: the heads share the model width: declare `Dh = D / H` (= 4)\n   |\n10 -     pub Dh: HeadWidth = 8;\n10 +     pub Dh: HeadWidth = D / H;\n"
        ),
        "{human}"
    );
    let (_, sarif, _) = run(&dir, &["lint", "--format", "sarif"]);
    let log: Value = serde_json::from_str(&sarif).expect("SARIF");
    let fix = &log["runs"][0]["results"][1]["fixes"][0];
    assert_eq!(
        fix["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"], "&wk.t()",
        "{sarif}"
    );

    let (code, out, err) = run(&dir, &["lint", "--fix"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(
        err.starts_with("infralens: applied 5 fixes in 1 file\n"),
        "{err}"
    );
    let fixed = std::fs::read_to_string(dir.join("src/lib.rs")).expect("lib.rs");
    assert!(fixed.contains("    x.matmul(&wk.t())\n"), "{fixed}");
    assert!(
        fixed.contains("    pub Dh: HeadWidth = D / H;\n"),
        "{fixed}"
    );
    assert!(
        fixed.contains("let scores = q.attention_scale::<Dh>().matmul(&k.t());"),
        "{fixed}"
    );
    assert!(
        fixed.contains("scores.masked(Mask::Causal).softmax().matmul(v)"),
        "{fixed}"
    );
    let (code, out, err) = check(&dir, "human");
    assert_eq!(code, 0, "the fixed code compiles:\n{out}{err}");
}

/// Standard output closed by its reader (`infralens … | head -0`): no command panics.
#[test]
fn a_closed_stdout_is_not_a_crash() {
    let broken = fixture("broken");
    let explain = format!(
        "{}/labs/02-qkv-shape-walkthrough/qkv.rs::scores",
        env!("CARGO_MANIFEST_DIR").trim_end_matches("/infralens-cli")
    );
    let commands: [&[&str]; 8] = [
        &["labs"],
        &["lab", "02"],
        &["rules"],
        &["rule", "dims"],
        &["explain", &explain],
        &["solution", "02/1", "--force"],
        &["lint", "src"],
        &["lint", "--format", "sarif", "src"],
    ];
    for args in commands {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_infralens"))
            .args(args)
            .current_dir(&broken)
            .stdout(writer)
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "{args:?}: {:?}",
            out.status
        );
    }
}
