//! The CI wiring as pasted: the shell steps of `ci/github/steps.sh` (what `action.yml`
//! runs) and every `run:` line of `ci/github/workflow.yml`, in a fresh `cargo new` crate
//! that depends on InfraLens and has a shape bug. The GitHub-only actions (checkout,
//! toolchain, cache, SARIF upload) are not run; `infralens` is on `PATH`, as the cache
//! would put it, so the install step is skipped as it would be.

mod common;

use common::repo;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// `bash -c script` in `dir` with the built `infralens` first on `PATH`:
/// (exit code, stdout, stderr).
fn bash(dir: &Path, script: &str) -> (i32, String, String) {
    let bin = Path::new(env!("CARGO_BIN_EXE_infralens"))
        .parent()
        .expect("bin dir");
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH");
    let out = common::command("bash")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .output()
        .expect("bash runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh `cargo new` crate (its own git repository, as a checkout is) depending on this
/// checkout, with `Q·K` (no transpose).
fn fresh_crate() -> PathBuf {
    // Outside this workspace: `cargo new` inside it would add the crate to its members.
    let parent = std::env::temp_dir().join(format!("infralens-ci-wiring-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&parent);
    std::fs::create_dir_all(&parent).expect("temp dir");
    let (code, _, err) = bash(&parent, "cargo new --lib --vcs git --quiet shapes");
    assert_eq!(code, 0, "cargo new: {err}");
    let dir = parent.join("shapes");
    let mut manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("manifest");
    manifest.push_str(&format!(
        "infralens = {{ path = {:?} }}\n\n[workspace]\n",
        repo().to_string_lossy()
    ));
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("manifest");
    std::fs::copy(repo().join("Cargo.lock"), dir.join("Cargo.lock")).expect("lock");
    std::fs::write(
        dir.join("src/lib.rs"),
        "use infralens::prelude::*;\n\n\
         dims! { pub B = 1; pub H = 2; pub S = 4; pub Dh = 8; }\n\n\
         #[shapes(q: [B, H, S, Dh], k: [B, H, S, Dh] -> [B, H, S, S])]\n\
         pub fn scores(q: &Tensor, k: &Tensor) -> Tensor {\n    q.matmul(k)\n}\n",
    )
    .expect("lib.rs");
    dir
}

fn sarif_results(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("infralens.sarif")).expect("the SARIF file");
    let log: Value = serde_json::from_str(&text).expect("one SARIF document");
    log["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn the_action_steps_and_the_workflow_run_in_a_fresh_crate() {
    let dir = fresh_crate();
    let steps = repo().join("ci/github/steps.sh");
    let steps = steps.to_string_lossy();

    let (code, out, err) = bash(&dir, &format!("bash '{steps}' install"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("using "), "{out}");

    let (code, out, err) = bash(&dir, &format!("bash '{steps}' lint"));
    assert_eq!(code, 0, "findings are code scanning's to show: {out}{err}");
    assert!(out.contains("1 findings in infralens.sarif"), "{out}");
    let results = sarif_results(&dir);
    assert_eq!(results.len(), 1);
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "src/lib.rs"
    );

    let (code, out, err) = bash(&dir, &format!("bash '{steps}' check"));
    assert_eq!(code, 1, "the code does not compile: {out}{err}");
    assert!(
        out.starts_with("::error file=src/lib.rs,line=7,"),
        "a GitHub annotation on the line: {out}"
    );
    assert!(out.contains("matmul contracts `Dh` with `S`"), "{out}");

    let (code, _, err) = bash(&dir, &format!("bash '{steps}' lint --oops; bash '{steps}'"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("usage: steps.sh install|lint|check"), "{err}");

    // The workflow's `run:` lines, verbatim, in order.
    let workflow =
        std::fs::read_to_string(repo().join("ci/github/workflow.yml")).expect("workflow");
    let runs: Vec<&str> = workflow
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("- run: "))
        .collect();
    assert_eq!(runs.len(), 3, "install, lint, check: {runs:?}");
    std::fs::remove_file(dir.join("infralens.sarif")).expect("rm");
    let outcomes: Vec<i32> = runs.iter().map(|r| bash(&dir, r).0).collect();
    // The install is skipped (`infralens` is on PATH); the lint step has findings (exit 1,
    // `continue-on-error`) and writes the SARIF; the check fails the job.
    assert_eq!(outcomes, [0, 1, 1]);
    assert_eq!(sarif_results(&dir).len(), 1);

    // The README shows the same workflow.
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    assert!(
        readme.contains(&workflow),
        "README's workflow differs from ci/github/workflow.yml"
    );
    let action = std::fs::read_to_string(repo().join("action.yml")).expect("action.yml");
    for step in ["install", "lint", "check"] {
        assert!(
            action.contains(&format!("ci/github/steps.sh\" {step}")),
            "action.yml runs `steps.sh {step}`"
        );
    }
    if let Some(parent) = dir.parent() {
        let _ = std::fs::remove_dir_all(parent);
    }
}

/// `action.yml` as GitHub's action metadata schema has it (the fields a composite action
/// may have; an unknown one is an error, as it is on GitHub). Fields are declared to be
/// accepted, not all of them read.
#[allow(dead_code)]
mod metadata {
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Action {
        pub name: String,
        pub description: String,
        #[serde(default)]
        pub author: Option<String>,
        pub branding: Option<Branding>,
        #[serde(default)]
        pub inputs: BTreeMap<String, Input>,
        #[serde(default)]
        pub outputs: BTreeMap<String, serde_yaml_ng::Value>,
        pub runs: Runs,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Branding {
        pub icon: String,
        pub color: String,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Input {
        pub description: String,
        #[serde(default)]
        pub required: Option<bool>,
        #[serde(default)]
        pub default: Option<String>,
        #[serde(default, rename = "deprecationMessage")]
        pub deprecation_message: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Runs {
        pub using: String,
        pub steps: Vec<Step>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Step {
        #[serde(default)]
        pub id: Option<String>,
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default, rename = "if")]
        pub condition: Option<String>,
        #[serde(default)]
        pub uses: Option<String>,
        #[serde(default)]
        pub run: Option<String>,
        #[serde(default)]
        pub shell: Option<String>,
        #[serde(default)]
        pub with: BTreeMap<String, serde_yaml_ng::Value>,
        #[serde(default)]
        pub env: BTreeMap<String, String>,
        #[serde(default, rename = "working-directory")]
        pub working_directory: Option<String>,
        #[serde(default, rename = "continue-on-error")]
        pub continue_on_error: Option<serde_yaml_ng::Value>,
    }
}

/// `action.yml` loads with a real YAML parser and is valid action metadata: a composite
/// action whose steps each `run` (with a `shell`) or `use` an action, whose inputs each
/// have a description, and whose branding colour is one GitHub offers. (It once did not
/// parse: an unquoted `: ` inside a description.)
#[test]
fn the_action_metadata_parses_and_fits_the_schema() {
    let text = std::fs::read_to_string(repo().join("action.yml")).expect("action.yml");
    let action: metadata::Action =
        serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("action.yml: {e}"));
    assert!(!action.name.is_empty() && !action.description.trim().is_empty());
    assert_eq!(action.runs.using, "composite");
    for (name, input) in &action.inputs {
        assert!(
            !input.description.is_empty(),
            "input `{name}` has no description"
        );
    }
    if let Some(b) = &action.branding {
        let colours = [
            "white",
            "black",
            "yellow",
            "blue",
            "green",
            "orange",
            "red",
            "purple",
            "gray-dark",
        ];
        assert!(
            colours.contains(&b.color.as_str()),
            "branding colour {}",
            b.color
        );
        assert!(!b.icon.is_empty());
    }
    for (i, step) in action.runs.steps.iter().enumerate() {
        match (&step.run, &step.uses) {
            (Some(_), None) => assert!(step.shell.is_some(), "step {i} runs without a shell"),
            (None, Some(_)) => {}
            _ => panic!("step {i} must either `run` or `uses`"),
        }
    }
    // The workflow the README shows is YAML too, with its jobs.
    let workflow =
        std::fs::read_to_string(repo().join("ci/github/workflow.yml")).expect("workflow");
    let workflow: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&workflow).unwrap_or_else(|e| panic!("workflow.yml: {e}"));
    assert!(
        workflow
            .get("jobs")
            .is_some_and(|j| j.as_mapping().is_some_and(|m| !m.is_empty()))
    );
}
