#!/usr/bin/env bash
# Runs every check rtlink has: formatting, clippy, all unit and integration tests, and a
# bounded fuzz run of every fuzz target (scripts/fuzz.sh, 10 s each).
# Usage: bash scripts/test.sh   (installs missing Debian packages first; some tests need root
# for cgroups, as on our machines and CI)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
bash scripts/fuzz.sh 10
