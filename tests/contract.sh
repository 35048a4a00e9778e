#!/usr/bin/env bash
# Checks Kobalt's JSON against the written contract with ../shared/tools/check-contract, an independent checker
# kept outside this repository (skipped when it is not there). Run alone (tests/contract.sh) or from test.sh,
# which passes the running server's URL: tests/contract.sh [SERVER_URL].
#
# Checked, written to target/contract/: the JSON assessment (`kobalt assess --format json`) of every request of
# ../shared/vignettes, tests/cases, tests/errors (bad input: error objects) and ../shared/reviews/*/clinical-probes (the file's `request` key, or the
# whole file), each under --guideline nhg and --guideline nice, plus a few bad requests of our own; and the
# server's /api/v1/openapi.json. Exit code 0 must come with an assessment, exit code 2 with an error object;
# both are checked. Any problem fails.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${KOBALT_SHARED_DIR:-../shared}"
checker="$shared/tools/check-contract"
if [ ! -f "$checker" ]; then
  echo "skipped: no ../shared/tools/check-contract"
  exit 0
fi
target="${CARGO_TARGET_DIR:-target}"
cargo build -q -p kobalt-cli
kobalt="$target/debug/kobalt"
out="target/contract"
rm -rf "$out"
mkdir -p "$out/requests" "$out/outputs"

# The requests, one file each: <source>-<name>.json.
python3 - "$out/requests" "$shared" <<'PY'
import glob, json, os, sys
dest, shared = sys.argv[1], sys.argv[2]
sources = {
    "vignette": sorted(glob.glob(os.path.join(shared, "vignettes", "*.json"))),
    "case": sorted(glob.glob("tests/cases/*.json")),
    "error": sorted(glob.glob("tests/errors/*.json")),
    "probe": sorted(glob.glob(os.path.join(shared, "reviews", "*", "clinical-probes", "*.json"))),
}
for kind, files in sources.items():
    for path in files:
        doc = json.load(open(path))
        request = doc["request"] if isinstance(doc, dict) and "request" in doc else doc
        name = os.path.splitext(os.path.basename(path))[0]
        json.dump(request, open(os.path.join(dest, f"{kind}-{name}.json"), "w"))
    print(f"{len(files)} {kind} request(s)")
PY
# Bad requests of our own: each must give an error object with exit code 2.
printf '%s' '{"person":{"age_years":40},"symptomz":[]}' >"$out/requests/bad-unknown-field.json"
printf '%s' '{"person":{"age_years":40},"labs":[{"analyte":"b12_total","value":300,"unit":"mmol/L"}]}' >"$out/requests/bad-wrong-unit.json"
printf '%s' '{"person":{"age_years":40},"labs":[{"analyte":"b12_total","value":-5,"unit":"pmol/L"}]}' >"$out/requests/bad-negative-value.json"
printf '%s' '[{"person":{"age_years":40}}]' >"$out/requests/bad-array.json"
printf '%s' '{"person":{"age_years":40},"labs":[["b12_total",null,90,"pmol/L"]]}' >"$out/requests/bad-array-lab.json"
printf '%s' '{"person":{"age_years":40}' >"$out/requests/bad-not-json.json"

for request in "$out"/requests/*.json; do
  name=$(basename "$request" .json)
  for guideline in nhg nice; do
    rc=0
    "$kobalt" assess --format json --no-projection --guideline "$guideline" - <"$request" \
      >"$out/outputs/$name.$guideline.json" 2>/dev/null || rc=$?
    echo "$name.$guideline.json $rc" >>"$out/exit-codes.txt"
  done
done
# The exit code must match the kind of document: 0 an assessment, 2 an error object.
python3 - "$out" >"$out/problems.txt" <<'PY' || true
import json, os, sys
out = sys.argv[1]
for line in open(os.path.join(out, "exit-codes.txt")):
    name, rc = line.split()
    path = os.path.join(out, "outputs", name)
    try:
        doc = json.load(open(path))
    except (OSError, ValueError):
        doc = None
    kind = "error" if isinstance(doc, dict) and "error" in doc else "assessment" if isinstance(doc, dict) else "nothing"
    if (rc, kind) not in (("0", "assessment"), ("2", "error")):
        print(f"{path}: exit code {rc} with {kind} on stdout")
PY

if [ -n "${1:-}" ]; then
  server_url="$1"
else
  # shellcheck source=tests/server.sh
  . tests/server.sh
  start_server
fi
curl -fsS "$server_url/api/v1/openapi.json" >"$out/openapi.json"

count=$(find "$out/outputs" -name '*.json' | wc -l)
echo "checking $count outputs and the OpenAPI document against the contract"
failed=0
python3 "$checker" "$out"/outputs/*.json >>"$out/problems.txt" || failed=1
python3 "$checker" --openapi "$out/openapi.json" >>"$out/problems.txt" || failed=1
cat "$out/problems.txt"
problems=$(grep -vc '^check-contract:' "$out/problems.txt" || true)
if [ "$failed" = 1 ] || [ "$problems" -gt 0 ]; then
  echo
  echo "CONTRACT CHECK FAILED: $problems problem(s); outputs in $out/outputs, the list in $out/problems.txt" >&2
  exit 1
fi
echo "contract: ok"
