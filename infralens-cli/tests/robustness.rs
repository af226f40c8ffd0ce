//! `infralens lint` over the `.rs` files of the dependency sources in
//! `$CARGO_HOME/registry/src`: real-world Rust of every style (and some files that are not
//! Rust at all) must give findings or nothing, never a crash.
//!
//! A registry holds whatever its machine ever built (hundreds of crates here), so by default
//! the tests take a fixed sample of at most 60 crates, spread over the sorted list, to keep
//! `cargo test` within its time; `INFRALENS_ROBUSTNESS_ALL=1` takes every crate:
//! `INFRALENS_ROBUSTNESS_ALL=1 cargo test -p infralens-cli --test robustness -- --nocapture`.

use std::path::PathBuf;
use std::process::Command;

fn registry_crates() -> Vec<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .expect("CARGO_HOME or HOME is set");
    let mut crates = Vec::new();
    for registry in std::fs::read_dir(home.join("registry/src"))
        .into_iter()
        .flatten()
        .flatten()
    {
        for krate in std::fs::read_dir(registry.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if krate.path().is_dir() {
                crates.push(krate.path());
            }
        }
    }
    crates.sort();
    if std::env::var_os("INFRALENS_ROBUSTNESS_ALL").is_some() || crates.len() <= SAMPLE {
        return crates;
    }
    // Every k-th crate: the same sample on the same registry, spread over all of it.
    let step = crates.len().div_ceil(SAMPLE);
    crates.into_iter().step_by(step).collect()
}

/// How many registry crates the tests take by default.
const SAMPLE: usize = 60;

#[test]
fn lints_every_dependency_source_file_without_crashing() {
    let crates = registry_crates();
    assert!(
        !crates.is_empty(),
        "no registry sources: build the workspace first"
    );
    let (mut files, mut lines, mut parse_errors) = (0usize, 0usize, 0usize);
    for krate in &crates {
        let sources =
            infralens_cli::lint::collect_files(std::slice::from_ref(krate)).expect("readable");
        files += sources.len();
        lines += sources
            .iter()
            .filter_map(|f| std::fs::read(f).ok())
            .map(|b| b.iter().filter(|&&c| c == b'\n').count())
            .sum::<usize>();
        let out = Command::new(env!("CARGO_BIN_EXE_infralens"))
            .args(["lint", "--format", "json"])
            .arg(krate)
            .output()
            .expect("the infralens binary runs");
        let code = out.status.code();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(code, Some(0 | 1)),
            "{}: exit {code:?}\n{stderr}",
            krate.display()
        );
        assert!(stderr.is_empty(), "{}: {stderr}", krate.display());
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let d: serde_json::Value = serde_json::from_str(line).expect("JSON lines");
            assert_ne!(d["code"], "internal-error", "{}: {d}", krate.display());
            if d["code"] == "parse-error" {
                parse_errors += 1;
            }
        }
    }
    println!(
        "linted {} crates: {files} files, {lines} lines; {parse_errors} files are not valid Rust (reported, not crashed on)",
        crates.len()
    );
    assert!(files > 100, "only {files} files tried");
}

/// The proc macro's body walker on real code it did not write: every function body in the
/// registry sources (closures, nested macros, `if !(…)`, attributes, raw strings, …) comes
/// back token for token, with no error, since none carries a `#[shape]`.
#[test]
fn the_body_walker_leaves_every_real_function_body_unchanged() {
    use quote::ToTokens;
    use syn::visit::Visit;
    struct Bodies(Vec<proc_macro2::TokenStream>);
    impl<'ast> Visit<'ast> for Bodies {
        fn visit_block(&mut self, b: &'ast syn::Block) {
            self.0.push(b.to_token_stream());
            syn::visit::visit_block(self, b);
        }
    }
    let (mut files, mut bodies) = (0usize, 0usize);
    for krate in registry_crates() {
        for path in infralens_cli::lint::collect_files(&[krate]).expect("readable") {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            if text.contains("#[shape") {
                continue;
            }
            let Ok(file) = syn::parse_file(&text) else {
                continue;
            };
            files += 1;
            let mut found = Bodies(Vec::new());
            found.visit_file(&file);
            for body in found.0 {
                let before = body.to_string();
                let after = infralens_syntax::body::rewrite_shape_lets(body, |_| {
                    panic!("{}: no #[shape] here", path.display())
                })
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(after.to_string(), before, "{}", path.display());
                bodies += 1;
            }
        }
    }
    println!("walked {bodies} blocks of {files} real files, all unchanged");
    assert!(bodies > 1000, "only {bodies} blocks tried");
}
