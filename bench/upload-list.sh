#!/usr/bin/env bash
# The listing benchmark (not part of the test suite's figures): bench/upload-list.sh [UPLOADS]
# Writes UPLOADS (10,000) uploads of one tenant and a twentieth as many of each of four others into the embedded S3,
# as the service writes them, then times GET /ingestion/uploads pages over HTTP next to a GET of one status document
# in the same run (UploadListScaleTest; the suite runs the same walk with 300 uploads, asserting order, not time).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q test -Dinlet.class-archive.skip=true -Dtest=UploadListScaleTest -Dinlet.list-scale.uploads="${1:-10000}" \
  -Dsurefire.failIfNoSpecifiedTests=false | grep -a '^UploadListScaleTest:'
