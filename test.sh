#!/usr/bin/env bash
# Runs every test of the workspace: formatting, lints, unit, integration and case tests.
set -euo pipefail
cd "$(dirname "$0")"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
