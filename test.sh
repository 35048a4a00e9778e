#!/usr/bin/env bash
# Runs every test of the workspace: formatting, lints, unit, case, property and CLI tests, the HTTP
# API, end-to-end tests in headless Chromium (with axe-core), the contract check (when ../shared is
# there), Lighthouse (accessibility and best practices) and schemathesis against the running server.
# Installs what the browser and API checks need when it is missing: Debian's chromium and chromium-driver
# (apt, as root or with sudo), axe-core, lighthouse and puppeteer-core (npm) into target/e2e (no browser
# download: they use Debian's chromium), schemathesis (pip) into a virtual environment in target/venv, and
# the Python package with pyarrow, polars, pandas, DuckDB and pytest into target/py.
set -euo pipefail
cd "$(dirname "$0")"
target="${CARGO_TARGET_DIR:-target}"
# A test run builds once; incremental caches would double the disk it needs.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

stage() { printf '\n== %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

stage tools
missing=()
need() { command -v "$1" >/dev/null || missing+=("$1: $2"); }
need cargo "the Rust toolchain, 1.94 or newer (https://rustup.rs)"
need python3 "apt install python3 python3-venv"
need curl "apt install curl"
need node "apt install nodejs npm (for axe-core in the browser test and Lighthouse)"
need npm "apt install npm"
if command -v python3 >/dev/null && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  missing+=("python3 venv: apt install python3-venv")
fi
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if command -v apt-get >/dev/null; then
    echo "installing chromium and chromium-driver"
    as_root apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q chromium chromium-driver >/dev/null
  else
    need chromium "install Chromium (Debian: apt install chromium)"
    need chromedriver "install its driver (Debian: apt install chromium-driver)"
  fi
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "test.sh needs these tools:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  exit 1
fi
if [ ! -f target/e2e/node_modules/axe-core/axe.min.js ]; then
  echo "installing axe-core into target/e2e"
  mkdir -p target/e2e
  (cd target/e2e && npm install --silent --no-audit --no-fund axe-core@4 >/dev/null)
fi
# Lighthouse 13 needs Node 22; 12 runs on Debian's Node 20. puppeteer-core drives the chromium above.
if [ ! -f target/e2e/node_modules/lighthouse/package.json ] ||
  [ ! -f target/e2e/node_modules/puppeteer-core/package.json ]; then
  echo "installing lighthouse and puppeteer-core into target/e2e"
  mkdir -p target/e2e
  (cd target/e2e && PUPPETEER_SKIP_DOWNLOAD=1 npm install --silent --no-audit --no-fund \
    lighthouse@12 puppeteer-core@24 >/dev/null)
fi
# Debian's python3 refuses `pip install` outside a virtual environment (PEP 668).
venv=target/venv
if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "installing schemathesis into $venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q schemathesis >/dev/null
fi
echo "ok"

stage fmt
cargo fmt --all -- --check
echo "ok"

stage clippy
cargo clippy --workspace --all-targets -- -D warnings

stage tests
# --include-ignored: the browser tests are ignored in a plain `cargo test` (they need Chromium).
cargo test --workspace --no-fail-fast -- --include-ignored

stage python
# The Python package (crates/kobalt-py: PyO3, built by pip with maturin from PyPI) in a virtual environment,
# tested against the CLI (tests/python): the same assessment on every case and vignette, the same
# screening of an export, from pyarrow, polars, pandas and DuckDB, on pyspark in local mode (Java is on the
# machine), and of an OMOP CDM in DuckDB and in PostgreSQL.
pyvenv=target/py
[ -x "$pyvenv/bin/python" ] || python3 -m venv "$pyvenv"
"$pyvenv/bin/python" -m pip install -q pyarrow pytest polars "pandas<3" duckdb pyspark "psycopg[binary]" >/dev/null
# The OMOP test starts a throwaway PostgreSQL cluster with Debian's postgresql.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v apt-get >/dev/null; then
  echo "installing postgresql"
  as_root apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q postgresql >/dev/null
fi
"$pyvenv/bin/python" -m pip install -q ./crates/kobalt-py >/dev/null
cargo build -q -p kobalt-cli
KOBALT_BIN="$target/debug/kobalt" "$pyvenv/bin/python" -m pytest -q tests/python

stage server
cargo build -q -p kobalt-cli
# shellcheck source=tests/server.sh
. tests/server.sh
start_server
echo "serving on $server_url"

stage contract
# A failed contract check fails test.sh at the end, after schemathesis has run too.
contract=ok
tests/contract.sh "$server_url" || contract=failed

stage lighthouse
# Accessibility and best practices at least 0.95 on the start, first question, result and clinician pages,
# Dutch and English (tests/lighthouse.mjs). A low score fails test.sh at the end, like the contract check;
# the whole report is in target/lighthouse.html.
lighthouse=ok
CHROMIUM="$(command -v chromium)" node tests/lighthouse.mjs "$server_url" target/lighthouse.html ||
  lighthouse=failed

stage schemathesis
# The OpenAPI document checked against the running server. Schema-valid requests may still be
# refused with a documented 422 (implausible lab values, conflicting answers, dates): JSON Schema
# cannot express those rules, so that one check (positive_data_acceptance) is left out.
"$venv/bin/schemathesis" run "$server_url/api/v1/openapi.json" --checks all \
  --exclude-checks positive_data_acceptance --max-examples 60 --seed 1

status=0
if [ "$contract" != ok ]; then
  echo "test.sh: the contract check failed (see == contract above)" >&2
  status=1
fi
if [ "$lighthouse" != ok ]; then
  echo "test.sh: a Lighthouse score is below 0.95 (see == lighthouse above)" >&2
  status=1
fi
exit "$status"
