#!/usr/bin/env bash
# The MSRV (`rust-version` in the workspace manifest), verified as far as one toolchain can:
#  - no dependency in Cargo.lock declares a newer `rust-version` (checked here);
#  - no standard-library API newer than the MSRV is used: clippy's `incompatible_msrv` lint,
#    which reads `rust-version`, runs with `-D warnings` in `.ci/run`;
#  - the newest language feature the code uses is `let` chains in `if`/`while` (Rust 1.88,
#    edition 2024): this one is not machine-checked, and is why the MSRV is 1.88.
# Only one toolchain can be installed on the CI machines, so the MSRV compiler itself is not
# run; a machine with rustup can: `cargo +1.88 check --workspace`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --locked | python3 -c '
import json, sys
meta = json.load(sys.stdin)
ours = {p["id"] for p in meta["packages"] if p["id"] in meta["workspace_members"]}
def version(v):
    parts = [int(x) for x in v.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))
msrv = {p["rust_version"] for p in meta["packages"] if p["id"] in ours and p.get("rust_version")}
assert len(msrv) == 1, f"the workspace crates declare different rust-versions: {sorted(msrv)}"
msrv = msrv.pop()
newer = sorted(
    "%s %s needs Rust %s" % (p["name"], p["version"], p["rust_version"])
    for p in meta["packages"]
    if p["id"] not in ours and p.get("rust_version") and version(p["rust_version"]) > version(msrv)
)
if newer:
    sys.exit(f"MSRV {msrv}: dependencies need a newer Rust:\n  " + "\n  ".join(newer))
print(f"== msrv: {msrv}; every dependency of Cargo.lock builds with it (clippy checks the API use)")
'
