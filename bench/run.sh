#!/usr/bin/env bash
# The pipeline benchmark (not part of the test suite): bench/run.sh [--records N] [--files N]
# Builds the jar if needed, then runs the real service in one JVM capped at 512 MB of heap.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/inlet.jar ] || mvn -B -q package -DskipTests
exec java -Xmx512m -XX:+ExitOnOutOfMemoryError -Dinlet.log-level=WARN \
  -cp "target/inlet.jar:target/lib/*" bench/PipelineBench.java "$@"
