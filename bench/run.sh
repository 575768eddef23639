#!/usr/bin/env bash
# Benchmark chapter-integrator on copies of the real book against ripgrep (the I/O floor).
# Usage: bench/run.sh [--runs N] [--corpus DIR] [--work DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
command -v rg >/dev/null || { apt-get update -qq && apt-get install -y -qq ripgrep; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; }
cargo build --release --quiet
exec python3 "$here/run.py" --bin "$PWD/target/release/chapter-integrator" "$@"
