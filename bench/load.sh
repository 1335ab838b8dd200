#!/usr/bin/env bash
# End-to-end ingestion load: a release node on a free port with a throw-away data directory, one job,
# RECORDS records posted in BODIES streamed bodies. Prints records/s and the node's peak RSS.
#   bash bench/load.sh                     # 10 million records in 10 bodies
#   RECORDS=40000000 BODIES=1 bash bench/load.sh   # one ~2.3 GB body: memory must stay flat
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS=${RECORDS:-10000000}
BODIES=${BODIES:-10}
PORT=${PORT:-19200}
data=$(mktemp -d)
dotnet build -c Release src/Vigil.Server -v q -nologo >/dev/null
dotnet build -c Release bench/Vigil.Benchmarks -v q -nologo >/dev/null
dotnet src/Vigil.Server/bin/Release/net10.0/Vigil.Server.dll --urls "http://127.0.0.1:$PORT" --data "$data" \
  --silo-port $((PORT + 1)) --gateway-port $((PORT + 2)) --Logging:LogLevel:Default=Warning &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.5; done
dotnet bench/Vigil.Benchmarks/bin/Release/net10.0/Vigil.Benchmarks.dll load --url "http://127.0.0.1:$PORT" --pid "$server" \
  --records "$RECORDS" --bodies "$BODIES"
