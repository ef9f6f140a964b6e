#!/usr/bin/env bash
# test-vm.sh [VITEST ARGS...]
# Runs vitest inside the QEMU VM of scripts/vm-run.sh (Debian's stock kernel, real kernel IPVS),
# with LVSLAB_EXPECT_DATAPLANE=ipvs so the suites assert that keepalived + kernel IPVS ran.
# LVSLAB_UNDER_EMULATION=1 tells load-heavy tests that the CPU is emulated (TCG): they lighten the load.
#   scripts/test-vm.sh                      the IPVS smoke test (test/vm)
#   scripts/test-vm.sh test/e2e             the end-to-end suite (build dist/ first: npm run build)
#   scripts/test-vm.sh test/e2e --reporter=json --outputFile=out.json   any vitest arguments
# The guest has no network: node_modules must already be installed on the host.
# Environment: see scripts/vm-run.sh (VM_TIMEOUT, VM_MEM, VM_SMP, VM_DEBUG).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- test/vm
[ -x node_modules/.bin/vitest ] || { echo "test-vm: node_modules is missing: run npm ci first" >&2; exit 3; }
exec scripts/vm-run.sh env LVSLAB_EXPECT_DATAPLANE=ipvs LVSLAB_UNDER_EMULATION=1 node_modules/.bin/vitest run "$@"
