// link-impair on runtimes without filters of their own: the rules actions.ts gives the
// kernel, applied inside a real namespace to a real veth, do what the experiment asked —
// every frame lost at loss 100% and at drop_every 1 (in each direction), some but not all at
// drop_every 3, none once cleared — and delay/corruption without sch_netem fail saying so.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { impairRules, impairTableName, netemArgs } from '../../src/experiment/actions.js';
import { run } from '../../src/util/exec.js';
import { removeNamespace } from '../support/netns.js';

const A = 'lvslab.itest-impair.a';
const B = 'lvslab.itest-impair.b';
const inA = (argv: string[], input?: string) => run(['ip', 'netns', 'exec', A, ...argv], input !== undefined ? { input } : {});

const inB = (argv: string[]) => run(['ip', 'netns', 'exec', B, ...argv]);

/**
 * How many of `count` UDP datagrams sent from `from` reached the other end (an nft counter
 * on its input hook); 2 ms apart. Datagrams, not pings: no ping on these hosts.
 */
async function delivered(from: 'a' | 'b', count: number): Promise<number> {
  const [src, dst, dstAddr] = from === 'a' ? [A, B, '10.99.0.2'] : [B, A, '10.99.0.1'];
  await run(['ip', 'netns', 'exec', dst, 'nft', '-f', '-'], { input: 'table inet itest_count\ndelete table inet itest_count\ntable inet itest_count { chain input { type filter hook input priority 0; udp dport 9999 counter; }; }\n' });
  const send = `const s=require('dgram').createSocket('udp4');let i=0;const t=setInterval(()=>{s.send('x',9999,'${dstAddr}');if(++i>=${count}){clearInterval(t);setTimeout(()=>s.close(),50);}},2);`;
  const r = await run(['ip', 'netns', 'exec', src, process.execPath, '-e', send]);
  expect(r.code, r.stderr).toBe(0);
  const listed = await run(['ip', 'netns', 'exec', dst, 'nft', 'list', 'table', 'inet', 'itest_count']);
  return Number(/counter packets (\d+)/.exec(listed.stdout)?.[1] ?? 'NaN');
}

beforeAll(async () => {
  for (const ns of [A, B]) await removeNamespace(ns);
  for (const ns of [A, B]) await run(['ip', 'netns', 'add', ns]);
  // No IPv6 on the link: a veth's own router solicitations, MLD reports and DAD probes go out
  // at moments of the kernel's choosing, and drop_every counts every frame, so one of them
  // shifted which datagram was the third (21 of 30 seen arriving).
  for (const ns of [A, B]) {
    const r = await run(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    expect(r.code, r.stderr).toBe(0);
  }
  await run(['ip', '-n', A, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', B]);
  await run(['ip', '-n', A, 'addr', 'add', '10.99.0.1/30', 'dev', 'eth0']);
  await run(['ip', '-n', B, 'addr', 'add', '10.99.0.2/30', 'dev', 'eth0']);
  for (const ns of [A, B]) await run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
  // Neighbours fixed, so every frame counted below is a datagram.
  await run(['ip', '-n', A, 'neigh', 'replace', '10.99.0.2', 'lladdr', (await inB(['cat', '/sys/class/net/eth0/address'])).stdout.trim(), 'dev', 'eth0', 'nud', 'permanent']);
  await run(['ip', '-n', B, 'neigh', 'replace', '10.99.0.1', 'lladdr', (await inA(['cat', '/sys/class/net/eth0/address'])).stdout.trim(), 'dev', 'eth0', 'nud', 'permanent']);
});

afterAll(async () => {
  for (const ns of [A, B]) await removeNamespace(ns);
});

async function impair(rules: string | undefined): Promise<void> {
  await inA(['nft', 'delete', 'table', 'netdev', impairTableName('eth0')]);
  if (rules) {
    const r = await inA(['nft', '-f', '-'], rules);
    expect(r.code, r.stderr).toBe(0);
  }
}

describe('link-impair in the node (nftables)', () => {
  test('the link carries every datagram both ways unimpaired', async () => {
    await impair(undefined);
    expect(await delivered('a', 20)).toBe(20);
    expect(await delivered('b', 20)).toBe(20);
  });

  test('loss 100% and drop_every 1 lose every frame in each direction; clearing restores the link', async () => {
    for (const imp of [{ lossPercent: 100 }, { dropEvery: 1 }]) {
      await impair(impairRules('eth0', imp));
      expect(await delivered('a', 10), JSON.stringify(imp)).toBe(0);
      expect(await delivered('b', 10), JSON.stringify(imp)).toBe(0);
    }
    await impair(undefined);
    expect(await delivered('a', 10)).toBe(10);
  });

  test('drop_every 3 drops exactly every third frame, counted per direction', async () => {
    await impair(impairRules('eth0', { dropEvery: 3 }));
    // A fresh rule's counter starts at 0, and 0 mod 3 == 0: frames 1, 4, 7, ... are dropped.
    expect(await delivered('a', 30)).toBe(20);
    expect(await delivered('b', 30)).toBe(20);
    await impair(undefined);
  });

  test('loss 50% loses about half: within 5 standard deviations over 400 frames', async () => {
    await impair(impairRules('eth0', { lossPercent: 50 }));
    const got = await delivered('a', 400);
    // Binomial(400, 0.5): sd 10.
    expect(Math.abs(got - 200)).toBeLessThan(50);
    await impair(undefined);
  });

  test('delay and corruption go to netem, which this kernel may not have', async () => {
    expect(impairRules('eth0', { delayMs: 100 })).toBeUndefined();
    const args = netemArgs({ delayMs: 100, jitterMs: 10, corruptPercent: 5 })!;
    expect(args).toEqual(['delay', '100ms', '10ms', 'corrupt', '5%']);
    const r = await inA(['tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'netem', ...args]);
    if (r.code === 0) await inA(['tc', 'qdisc', 'del', 'dev', 'eth0', 'root']);
    else expect(r.stderr).toMatch(/unknown|not found|No such file/i);
  });
});
