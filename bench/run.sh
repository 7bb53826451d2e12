#!/usr/bin/env bash
# Runs Keyward's benchmark suite (see bench/run.py). Wants the machine to
# itself for about 20 minutes; results land in bench/results/<stamp>/.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 bench/run.py "$@"
