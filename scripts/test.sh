#!/usr/bin/env bash
# Runs every check rtlink has: formatting, clippy, and all unit and integration tests.
# Usage: bash scripts/test.sh   (installs missing Debian packages first; some tests need root
# for cgroups, as on our machines and CI)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
