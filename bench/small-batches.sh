#!/usr/bin/env bash
# The small-batch benchmark (not part of the test suite): bench/small-batches.sh [--jar PATH] [--batches N |
# --duration-s D] [--records R] [--clients C] [--s3-latency-ms L] (--help lists all). The jar under test runs as
# a process of its own; this JVM holds the S3 it talks to, the delay in front of it and the clients.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/inlet.jar ] || mvn -B -q package -DskipTests
exec java -Xmx512m -XX:+ExitOnOutOfMemoryError -Dinlet.log-level=WARN \
  -cp "target/inlet.jar:target/lib/*" bench/SmallBatchBench.java "$@"
