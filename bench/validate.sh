#!/usr/bin/env bash
# The dry-run benchmark (not part of the test suite): bench/validate.sh [--records N] [--files N]
# Generates the pipeline benchmark's files, then times `java -jar target/inlet.jar validate` on them next to
# `gzip -dc > /dev/null` of the same files, in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/inlet.jar ] || mvn -B -q package -DskipTests
exec java -Xmx512m -XX:+ExitOnOutOfMemoryError -Dinlet.log-level=WARN \
  -cp "target/inlet.jar:target/lib/*" bench/PipelineBench.java --validate "$@"
