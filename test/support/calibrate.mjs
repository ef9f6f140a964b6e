#!/usr/bin/env node
// Times a fixed workload of lvslab's kind on this machine and prints it as
// "SPAWN_MS,TCP_MS,JS_MS" (test/support/calibration.ts compares two of these): test-vm.sh runs
// it on the host and again inside the IPVS VM, so the VM suite knows how much slower the
// emulated CPU is, measured in this run on this machine's load, not guessed.
//
// The workload is what a lab spends its CPU on: starting short programs (ip, nft, vtysh,
// ipvsadm), TCP connections through the kernel's stack (the traffic generator and nginx),
// and plain JavaScript (lvslab itself, the generator's bookkeeping). Each part is timed three
// times and its median kept.
import { spawnSync } from 'node:child_process';
import { createServer, connect } from 'node:net';

const SPAWNS = 20;
const CONNECTIONS = 200;
const JS_ROUNDS = 2_000_000;
const REPEATS = 3;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(work) {
  const t0 = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function spawnWork() {
  for (let i = 0; i < SPAWNS; i++) spawnSync('/bin/true');
}

async function tcpWork() {
  const server = createServer((s) => s.end());
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  try {
    for (let i = 0; i < CONNECTIONS; i++) {
      await new Promise((resolve, reject) => {
        const c = connect(port, '127.0.0.1');
        c.on('error', reject);
        c.on('close', () => resolve());
        c.resume();
      });
    }
  } finally {
    await new Promise((r) => server.close(r));
  }
}

function jsWork() {
  // A data-structure workload the JIT cannot fold away: its result is used.
  const m = new Map();
  let acc = 0;
  for (let i = 0; i < JS_ROUNDS; i++) {
    m.set(i & 1023, (m.get(i & 1023) ?? 0) + i);
    acc ^= m.get((i * 7) & 1023) ?? 0;
  }
  if (acc === 0.5) throw new Error('unreachable');
}

const spawn = [];
const tcp = [];
const js = [];
for (let k = 0; k < REPEATS; k++) {
  spawn.push(await timed(spawnWork));
  tcp.push(await timed(tcpWork));
  js.push(await timed(jsWork));
}
console.log([median(spawn), median(tcp), median(js)].map((x) => x.toFixed(2)).join(','));
