#!/usr/bin/env bash
# The shell steps of InfraLens' GitHub Action (`action.yml` at the repository root) and of
# `ci/github/workflow.yml`, runnable anywhere (a test runs them in a fresh crate):
#
#   steps.sh install   install `infralens` from this checkout (--locked), unless it is on PATH
#   steps.sh lint      lint without compiling, SARIF into $INFRALENS_SARIF (infralens.sarif);
#                      findings exit 0 (code scanning shows them), an error exits 2
#   steps.sh check     `cargo check` with shape errors as annotations on the diff;
#                      exits 1 when the code does not compile
#
# $INFRALENS_PATHS: what to lint (space-separated) [default: src, examples, tests].
set -euo pipefail
checkout="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

case "${1:-}" in
install)
    if command -v infralens >/dev/null 2>&1; then
        echo "using $(command -v infralens): $(infralens --version)"
    else
        cargo install --locked --path "$checkout/infralens-cli"
    fi
    ;;
lint)
    sarif="${INFRALENS_SARIF:-infralens.sarif}"
    status=0
    # shellcheck disable=SC2086 # the paths are split on spaces
    infralens lint --format sarif ${INFRALENS_PATHS:-} >"$sarif" || status=$?
    if [ "$status" -ge 2 ]; then
        echo "infralens lint could not run (exit $status)" >&2
        exit "$status"
    fi
    echo "infralens lint: $(grep -c '"ruleId"' "$sarif" || true) findings in $sarif"
    ;;
check)
    infralens check --format github
    ;;
*)
    echo "usage: steps.sh install|lint|check" >&2
    exit 2
    ;;
esac
