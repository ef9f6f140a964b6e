#!/usr/bin/env bash
# Runs every test lvslab has, as CI does (`.ci/run` calls this; the README's second command).
# Debian/Ubuntu, as root. Steps:
#   1. host packages (FRR, keepalived, nginx, nftables, QEMU for the IPVS VM), npm packages, build
#   2. type check, unit + integration + end-to-end suites on this host (netns runtime; the
#      nftables fallback where the kernel has no IPVS), and the end-to-end suite on
#      --runtime docker (a Docker engine is started if none runs; the node image is built
#      offline, from the apt mirror)
#   3. the end-to-end suite again inside a QEMU VM booted with Debian's stock kernel, where
#      kernel IPVS + keepalived really run (LVSLAB_EXPECT_DATAPLANE=ipvs)
# Steps 2 and 3 run at the same time (CI takes the longer of them, not their sum), with one
# host core busy throughout, in CI as everywhere: the suites' bounds must hold on a loaded
# machine, not only on an idle one. While both run, the VM (one emulated CPU) is that busy
# core for the host suites; before, and once either is done, a bounded busy loop is.
# Options: --no-vm skips step 3 (quick local runs); --only-vm runs steps 1 and 3;
#          --idle runs without the busy loop (to compare).
set -euo pipefail
cd "$(dirname "$0")/.."
host=1; vm=1; busy=1
for a in "$@"; do
  case "$a" in
    --no-vm) vm=0 ;;
    --only-vm) host=0 ;;
    --idle) busy=0 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh --tests
# npm ci: exactly what package-lock.json names. It also is the check that package.json and the
# lock agree: npm ci refuses to install when they do not.
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
mkdir -p .test-results
rm -rf .test-results/*.json .test-results/runs
# Run directories of the e2e experiments are kept here for a post-mortem, the host's and the
# VM's apart (the VM shares this directory, and both run suites with the same instance names).
export LVSLAB_E2E_RUNS="$PWD/.test-results/runs"
mkdir -p "$LVSLAB_E2E_RUNS/host" "$LVSLAB_E2E_RUNS/vm"

busy_pid=
start_busy() {
  [ "$busy" = 1 ] && [ -z "$busy_pid" ] || return 0
  # One core, bounded: it ends by itself after 50 minutes even if this script is killed.
  timeout 3000 sh -c 'while :; do :; done' &
  busy_pid=$!
  echo "test.sh: one host core kept busy (pid $busy_pid)"
}
stop_busy() { [ -z "$busy_pid" ] || kill "$busy_pid" 2>/dev/null || true; busy_pid=; }
trap stop_busy EXIT
start_busy

# The VM is there for kernel IPVS, under CPU emulation that makes every minute cost several.
# It runs the suites whose outcome depends on the dataplane (the directors' IPVS tables and
# counters, keepalived's checks, VRRP beside IPVS, keepalived's quorum scripts announcing the
# VIP), and BFD, which issue 10 asks to see on kernel IPVS as well. SSH transport, up/down's promises and the container
# runtimes do not change with the dataplane: they run on the host only (in stop 15 the whole
# e2e suite in the VM took 42 of CI's 65 minutes).
VM_SUITES=(test/vm test/e2e/lvs-dr.test.ts test/e2e/ospf-ecmp.test.ts test/e2e/experiments.test.ts
  test/e2e/keepalived-vrrp.test.ts test/e2e/bfd.test.ts test/e2e/guarded.test.ts)

run_host() {
  LVSLAB_E2E_RUNS="$LVSLAB_E2E_RUNS/host" LVSLAB_DOCKER_TESTS=require LVSLAB_SSH_TESTS=require \
    npx vitest run --reporter=default --reporter=json --outputFile=.test-results/host.json
}
run_vm() {
  # The VM's own limit (vm-run.sh's default is 25 min): these suites took 25 minutes on two
  # emulated CPUs beside the loop; past 45 something hangs, and CI's 90 minutes must still hold.
  LVSLAB_E2E_RUNS="$LVSLAB_E2E_RUNS/vm" VM_TIMEOUT=${VM_TIMEOUT:-2700} \
    scripts/test-vm.sh "${VM_SUITES[@]}" --reporter=default --reporter=json --outputFile=.test-results/vm.json
}
# Every line of a suite that runs beside the other, marked with where it ran.
labelled() { local label=$1; shift; "$@" 2>&1 | sed -u "s/^/[$label] /"; return "${PIPESTATUS[0]}"; }

status=0
if [ "$host" = 1 ]; then
  npm run typecheck --silent
  scripts/start-docker.sh
  # Skips itself when the image of this recipe exists; offline: no registry is reachable in CI.
  node dist/cli/main.js images build --offline
fi
if [ "$host" = 1 ] && [ "$vm" = 1 ]; then
  # Both at once, so CI takes the longer of the two instead of their sum. The VM gets one
  # emulated CPU: its QEMU thread is then the one busy core the host suites run beside (the
  # loop stops meanwhile, or three would share two cores), and the guest measures the speed
  # it gets on that core before its suites start (test-vm.sh). Whichever ends first hands
  # its core back to the loop. The host's calibration for the VM is timed first, beside the loop.
  LVSLAB_HOST_CALIBRATION=$(node test/support/calibrate.mjs)
  export LVSLAB_HOST_CALIBRATION
  stop_busy
  labelled host run_host & host_job=$!
  VM_SMP=${VM_SMP:-1} labelled vm run_vm & vm_job=$!
  # wait -n reaps the first one, so the other is waited for by its own id.
  first=0; wait -n -p first_job "$host_job" "$vm_job" || first=$?
  start_busy
  [ "$first_job" = "$host_job" ] && other_job=$vm_job || other_job=$host_job
  wait "$other_job" || status=$?
  [ "$first" = 0 ] || status=$first
elif [ "$host" = 1 ]; then
  run_host || status=$?
elif [ "$vm" = 1 ]; then
  run_vm || status=$?
fi

# What failed, again at the end (the two runs' lines interleave above), then one closing line
# over both runs, in the plain form CI reads.
node -e '
  const fs = require("fs");
  // Without colours and without the frames of the test runner and of node itself.
  const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, "").split("\n").filter((l) => !/^\s+at .*(node_modules|node:internal|<anonymous>)/.test(l)).join("\n");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of ["host", "vm"]) {
    const p = `.test-results/${f}.json`;
    if (!fs.existsSync(p)) continue;
    const r = JSON.parse(fs.readFileSync(p, "utf8"));
    for (const file of r.testResults) {
      const where = file.name.replace(process.cwd() + "/", "");
      if (file.status === "failed" && file.message) console.log(`FAILED (${f}) ${where}\n${strip(file.message).slice(0, 1500)}\n`);
      for (const t of file.assertionResults.filter((a) => a.status === "failed"))
        console.log(`FAILED (${f}) ${where} > ${t.fullName}\n${strip(t.failureMessages.join("\n")).slice(0, 1500)}\n`);
    }
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + (r.numTodoTests || 0);
    console.log(`${f}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
'
exit "$status"
