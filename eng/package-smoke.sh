#!/usr/bin/env bash
# The packages as a user gets them: packs RabbitHa.Client and RabbitHa.Testing into artifacts/packages,
# restores tests/PackageSmoke from there (package references, not project references) into a throwaway
# packages folder, so that nothing cached from an earlier pack can hide a problem, then runs its test:
# the fixture's cluster, AddRabbitHa, a publisher and a consumer, one message through HAProxy.
# Without a Docker engine the test is skipped, with the reason; packing, restoring and building still run.
#
#   bash eng/package-smoke.sh                     # pack (building what is needed) and run
#   bash eng/package-smoke.sh --no-build DIR      # what eng/test.sh does: the solution is built; .trx into DIR
set -euo pipefail
cd "$(dirname "$0")/.."

no_build=()
if [ "${1:-}" = "--no-build" ]; then
  no_build=(--no-build)
  shift
fi
results=${1:-artifacts/test-results}
mkdir -p "$results"

packages=$(mktemp -d /tmp/rabbitha-smoke-packages.XXXXXX)
trap 'rm -rf "$packages"' EXIT

version=$(dotnet msbuild src/RabbitHa.Client/RabbitHa.Client.csproj -nologo -getProperty:PackageVersion)
rm -f artifacts/packages/RabbitHa.*.nupkg artifacts/packages/RabbitHa.*.snupkg
for project in src/RabbitHa.Client src/RabbitHa.Testing; do
  dotnet pack "$project" -c Release "${no_build[@]}" -nologo -v:q
done
echo "[package-smoke] packed $version: $(cd artifacts/packages && ls RabbitHa.*.nupkg RabbitHa.*.snupkg | tr '\n' ' ')"

if ! docker info >/dev/null 2>&1; then
  echo "[package-smoke] no Docker engine answers: the packages are packed, restored and built, and the test is skipped"
fi
rm -rf tests/PackageSmoke/bin tests/PackageSmoke/obj
dotnet restore tests/PackageSmoke -nologo -v:q --packages "$packages" -p:RabbitHaVersion="$version"
for id in rabbitha.client rabbitha.testing; do
  [ -f "$packages/$id/$version/$id.$version.nupkg" ] || { echo "[package-smoke] $id $version was not restored from artifacts/packages" >&2; exit 1; }
done
dotnet test tests/PackageSmoke -c Release --no-restore -nologo -p:RabbitHaVersion="$version" \
  --logger "console;verbosity=normal" --logger "trx;LogFileName=package-smoke.trx" --results-directory "$results"
