#!/usr/bin/env sh
# Installs the reference TypeScript VM (npm @posthog/hogvm) into
# hogvm/bench/node_modules for the differential test and compare.sh.
set -eu
cd "$(dirname "$0")"
if [ ! -f package.json ]; then
  printf '{\n  "name": "hogvm-bench",\n  "private": true\n}\n' > package.json
fi
npm install --no-audit --no-fund --silent @posthog/hogvm@1.0.71
echo "installed @posthog/hogvm into $(pwd)/node_modules"
