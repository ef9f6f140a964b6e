#!/usr/bin/env bash
# test-vm.sh [VITEST ARGS...]
# Runs vitest inside the QEMU VM of scripts/vm-run.sh (Debian's stock kernel, real kernel IPVS),
# with LVSLAB_EXPECT_DATAPLANE=ipvs so the suites assert that keepalived + kernel IPVS ran.
# LVSLAB_UNDER_EMULATION=1 tells the tests that the CPU is emulated (TCG). How much slower it is
# is measured in this run: test/support/calibrate.mjs times the same workload on the host
# (LVSLAB_HOST_CALIBRATION) and inside the guest just before vitest starts
# (LVSLAB_GUEST_CALIBRATION); the suites scale their rates and processing bounds by the ratio
# (test/support/calibration.ts).
#   scripts/test-vm.sh                      the IPVS smoke test (test/vm)
#   scripts/test-vm.sh test/e2e             the end-to-end suite (build dist/ first: npm run build)
#   scripts/test-vm.sh test/e2e --reporter=json --outputFile=out.json   any vitest arguments
# The guest has no network: node_modules must already be installed on the host.
# Environment: see scripts/vm-run.sh (VM_TIMEOUT, VM_MEM, VM_SMP, VM_DEBUG).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- test/vm
[ -x node_modules/.bin/vitest ] || { echo "test-vm: node_modules is missing: run npm ci first" >&2; exit 3; }
host_calibration=$(node test/support/calibrate.mjs)
# The guest part is a fixed script; the vitest arguments reach it as "$@", never as text.
guest='LVSLAB_GUEST_CALIBRATION=$(node test/support/calibrate.mjs) || exit 125
export LVSLAB_GUEST_CALIBRATION
echo "test-vm: calibration (ms: spawn,tcp,js): host $LVSLAB_HOST_CALIBRATION, guest $LVSLAB_GUEST_CALIBRATION" >&2
exec node_modules/.bin/vitest run "$@"'
exec scripts/vm-run.sh env LVSLAB_EXPECT_DATAPLANE=ipvs LVSLAB_UNDER_EMULATION=1 LVSLAB_HOST_CALIBRATION="$host_calibration" \
  sh -c "$guest" test-vm "$@"
