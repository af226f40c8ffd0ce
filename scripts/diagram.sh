#!/usr/bin/env bash
# Regenerates the shape diagram the README shows (docs/attention-diagram.svg): Lab 04's
# attention with GQA, as `infralens explain --format svg` draws it. A test
# (`cargo test -p infralens-cli --test book`) fails when the committed file is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run -q -p infralens-cli -- explain labs/04-merge-and-counting/merge.rs::attention --format svg > docs/attention-diagram.svg
echo "wrote docs/attention-diagram.svg"
