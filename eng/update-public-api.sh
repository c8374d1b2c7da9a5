#!/usr/bin/env bash
# Rewrites src/*/PublicAPI.Unshipped.txt from the code, after a deliberate change of the public API.
#
# The build fails on any public symbol missing from PublicAPI.Shipped.txt / PublicAPI.Unshipped.txt
# (RS0016) or listed there but gone (RS0017). The analyzer's code fix that adds the lines is an IDE
# feature; this does the same from the command line: it empties each Unshipped file, builds every
# target framework with a SARIF log, and writes the API names the RS0016 diagnostics carry.
# Review the diff: every line in it is a change of the packages' public surface.
#
#   bash eng/update-public-api.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# Run the build again until it reports nothing new: the compiler reports one diagnostic per location and
# message, so a record's primary constructor shows up only once its type is listed.
api_names() { # project tfm
  local log
  log=$(mktemp --suffix=.sarif)
  dotnet build "$1" -c Release -f "$2" --no-incremental -nologo -v:q \
    -p:TreatWarningsAsErrors=false "-p:ErrorLog=$log%2Cversion=2.1" >/dev/null || true
  python3 - "$log" <<'PY'
import json, sys
for run in json.load(open(sys.argv[1]))["runs"]:
    for result in run.get("results", []):
        if result["ruleId"] == "RS0016":
            print(result["properties"]["customProperties"]["APIName"])
PY
  rm -f "$log"
}

for project in src/RabbitHa.Client src/RabbitHa.Testing src/RabbitHa.Testing.XunitV3 src/RabbitHa.Redis; do
  unshipped=$project/PublicAPI.Unshipped.txt
  printf '#nullable enable\n' > "$unshipped"
  for _ in 1 2 3 4 5; do
    found=$( { api_names "$project" net8.0; api_names "$project" net10.0; } | LC_ALL=C sort -u)
    [ -z "$found" ] && break
    { tail -n +2 "$unshipped"; printf '%s\n' "$found"; } | LC_ALL=C sort -u > "$unshipped.new"
    { printf '#nullable enable\n'; cat "$unshipped.new"; } > "$unshipped"
    rm -f "$unshipped.new"
  done
  echo "$unshipped: $(($(wc -l < "$unshipped") - 1)) entries"
done
