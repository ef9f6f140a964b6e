import { describe, expect, it } from 'vitest';
import type { LogLine, RequestRecord } from '../../src/experiment/types.js';
import { computeFigures } from '../../src/figures/compute.js';
import { parseNginxAccessLog } from '../../src/logs/nginx.js';
import { LB1, LB2, accessLine, at, experiment, input, longLived, requestStream, snapshot } from '../fixtures/runs/synthetic.js';

const RS_ADDRESS: Record<string, string> = { rs1: '10.0.1.129', rs2: '10.0.1.131' };

/** Access-log lines of the requests that reached a server, as each real server's nginx wrote them. */
function nginxLogs(reached: Array<{ r: RequestRecord; server: string }>, extra: Record<string, string[]> = {}): LogLine[] {
  const perServer: Record<string, string[]> = { rs1: [], rs2: [] };
  for (const { r, server } of reached) perServer[server]!.push(accessLine(r));
  for (const [server, lines] of Object.entries(extra)) perServer[server]!.push(...lines);
  return Object.entries(perServer).flatMap(([node, lines]) => parseNginxAccessLog(lines.join('\n'), { node }));
}

function counterSnapshots(rs1: number, rs2: number) {
  // Split over the two directors unevenly: only the sum per real server is compared.
  const before = snapshot('before', -1, [LB1, LB2], { lb1: { conns: 50, perServer: { rs1: 20, rs2: 30 } }, lb2: { conns: 0, perServer: {} } });
  const after = snapshot('after', 41, [LB1, LB2], {
    lb1: { conns: 50 + rs1, perServer: { rs1: 20 + rs1, rs2: 30 } },
    lb2: { conns: rs2, perServer: { '10.0.1.131': rs2 } }, // keyed by address: mapped to rs2
  });
  return [before, after];
}

const requests = requestStream({ fromS: 0, toS: 10, rate: 100 });
const okReached = requests.map((r) => ({ r, server: r.server! }));
// Health checks come from a director's address to the real server's own address.
const healthChecks = { rs1: [`${Math.floor(at(5) / 1000)}.000 ${'10.0.1.133'}:40000 ${RS_ADDRESS.rs1}:80 200 "GET / HTTP/1.0"`] };
// A long-lived connection's heartbeats: from client1, on a port no short-lived request used.
const heartbeats = { rs2: [1, 2, 3].map((s) => `${Math.floor(at(s) / 1000)}.000 10.0.1.132:5999 10.0.1.100:80 200 "GET / HTTP/1.1"`) };
const longLivedOpen = [longLived(0, 0, 'open', 'rs2')];
const withLongLived = experiment({ long_lived: [{ connections: 1 }] });

describe('crossCheck', () => {
  it('agrees when clients, counters and nginx count exactly the same, health checks and long-lived requests aside', () => {
    const { crossCheck } = computeFigures(
      input({ experiment: withLongLived, requests, longLived: longLivedOpen, logs: nginxLogs(okReached, { ...healthChecks, ...heartbeats }), snapshots: counterSnapshots(500, 501) }),
    );
    expect(crossCheck.clientOk).toEqual({ rs1: 500, rs2: 500 });
    expect(crossCheck.nginxLog).toEqual({ rs1: 500, rs2: 500 });
    expect(crossCheck.directorCounters).toEqual({ rs1: 500, rs2: 501 });
    expect(crossCheck.agree).toBe(true);
    expect(crossCheck.note).toMatch(/^Agree\./);
    expect(crossCheck.note).toMatch(/exactly equal/);
    expect(crossCheck.note).toMatch(/1 long-lived \(re\)connections/);
    expect(crossCheck.note).toMatch(/3 access-log line\(s\) from client addresses belong to no short-lived request/);
  });

  it('disagrees on a counter off by one without failures', () => {
    const { crossCheck } = computeFigures(input({ requests, logs: nginxLogs(okReached), snapshots: counterSnapshots(501, 500) }));
    expect(crossCheck.agree).toBe(false);
    expect(crossCheck.note).toMatch(/rs1: clients 500, nginx 500, counters 501/);
  });

  it('disagrees when an ok request left no log line on the server that answered', () => {
    const { crossCheck } = computeFigures(input({ requests, logs: nginxLogs(okReached.slice(1)), snapshots: counterSnapshots(500, 500) }));
    expect(crossCheck.agree).toBe(false);
    expect(crossCheck.note).toMatch(/1 ok request\(s\) have no access-log line/);
  });

  it('tolerates servers and directors counting failed requests that reached them, up to the number of failures', () => {
    const failing = requestStream({ fromS: 0, toS: 10, rate: 100, fail: (s) => (s >= 5 && s < 5.1 ? 'timeout' : undefined) });
    const ok = failing.filter((r) => r.outcome === 'ok');
    const reachedAnyway = failing.filter((r) => r.outcome === 'timeout').slice(0, 4).map((r) => ({ r, server: 'rs1' }));
    const okCount = { rs1: ok.filter((r) => r.server === 'rs1').length, rs2: ok.filter((r) => r.server === 'rs2').length };
    const fine = computeFigures(input({ requests: failing, logs: nginxLogs([...ok.map((r) => ({ r, server: r.server! })), ...reachedAnyway]), snapshots: counterSnapshots(okCount.rs1 + 6, okCount.rs2) }));
    expect(fine.crossCheck.nginxLog.rs1).toBe(okCount.rs1 + 4);
    expect(fine.crossCheck.agree).toBe(true);
    expect(fine.crossCheck.note).toMatch(/10 request\(s\) failed.*nginx \+4, counters \+6/);
    const tooMany = computeFigures(input({ requests: failing, logs: nginxLogs(ok.map((r) => ({ r, server: r.server! }))), snapshots: counterSnapshots(okCount.rs1 + 11, okCount.rs2) }));
    expect(tooMany.crossCheck.agree).toBe(false);
    const tooFew = computeFigures(input({ requests: failing, logs: nginxLogs(ok.map((r) => ({ r, server: r.server! }))), snapshots: counterSnapshots(okCount.rs1 - 1, okCount.rs2) }));
    expect(tooFew.crossCheck.agree).toBe(false);
  });

  it('does not claim agreement when a source is missing', () => {
    const { crossCheck } = computeFigures(input({ requests, logs: nginxLogs(okReached) }));
    expect(crossCheck.agree).toBe(false);
    expect(crossCheck.note).toMatch(/the run has 0 snapshot\(s\)/);
    const noNginx = computeFigures(input({ requests, snapshots: counterSnapshots(500, 500) })).crossCheck;
    expect(noNginx.agree).toBe(false);
    expect(noNginx.note).toMatch(/no nginx access-log line/);
  });

  it("uses the runner's snapshots: 'start' before the traffic to 'after', whatever is taken in between", () => {
    const [before, after] = counterSnapshots(500, 500);
    const start = { ...before!, phase: 'start' as const, t: at(-0.5) };
    const midway = { ...before!, phase: 'before' as const, t: at(4.3) }; // counters of 4.3 s ago would be wrong
    const { crossCheck, hits } = computeFigures(input({ requests, logs: nginxLogs(okReached), snapshots: [start, midway, after!] }));
    expect(crossCheck.agree).toBe(true);
    expect(crossCheck.note).toMatch(/'after' minus 'start' snapshot/);
    expect(hits.perDirector).toEqual({ lb1: 500, lb2: 500 });
  });

  it('says how many connections a snapshot taken after the traffic began may have missed', () => {
    const [before, after] = counterSnapshots(500, 500);
    const late = { ...before!, phase: 'start' as const, t: at(0.055) }; // 100 req/s: 6 requests before it
    const { crossCheck } = computeFigures(input({ requests, logs: nginxLogs(okReached), snapshots: [late, after!] }));
    expect(crossCheck.agree).toBe(false);
    expect(crossCheck.note).toMatch(/first snapshot \('start', at 0\.055 s\) was taken after 6 connection\(s\) had started/);
  });

  it('counts lines by client address in the window when requests carry no source port', () => {
    const portless = requests.map(({ localPort: _drop, ...r }) => r);
    const { crossCheck } = computeFigures(input({ requests: portless, logs: nginxLogs(okReached, healthChecks), snapshots: counterSnapshots(500, 500) }));
    expect(crossCheck.nginxLog).toEqual({ rs1: 500, rs2: 500 });
    expect(crossCheck.agree).toBe(true);
    expect(crossCheck.note).toMatch(/from the clients' addresses within the traffic window/);
  });
});
