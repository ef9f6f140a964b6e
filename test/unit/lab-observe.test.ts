// Reading the kernel's tables as the snapshots do: a VIP's route found in one `ip -j route
// show` read, and its next hops, in the forms iproute2 prints them; ospfd's network statements
// as status reads them from a guarded director's running config.
import { describe, expect, test } from 'vitest';
import { nextHopsOf, parseBfdPeers, parseOspfNetworks, routeIn, type KernelRoute } from '../../src/lab/observe.js';

// As `ip -j route show` printed them on a router of ospf-ecmp (iproute2 6.1).
const table: KernelRoute[] = [
  { dst: '10.0.1.0/24', dev: 'eth0', protocol: 'kernel' },
  { dst: '10.0.1.100', protocol: 'ospf', nexthops: [{ gateway: '10.0.1.133', dev: 'eth0', weight: 1 }, { gateway: '10.0.1.135', dev: 'eth0', weight: 1 }] },
  { dst: '10.0.1.10', gateway: '10.0.1.133', dev: 'eth0', protocol: 'ospf' },
];

describe('routeIn', () => {
  test('finds a host route by its /32, which ip prints bare', () => {
    expect(nextHopsOf(routeIn(table, '10.0.1.100/32'))).toEqual(['10.0.1.133', '10.0.1.135']);
    expect(nextHopsOf(routeIn(table, '10.0.1.10/32'))).toEqual(['10.0.1.133']);
  });

  test('matches exactly: a covering prefix is not the route, and a missing route has no next hops', () => {
    expect(routeIn(table, '10.0.1.0/24')?.dev).toBe('eth0');
    expect(routeIn(table, '10.0.1.1/32')).toBeUndefined();
    expect(nextHopsOf(routeIn(table, '10.0.1.1/32'))).toEqual([]);
  });
});

describe('parseBfdPeers', () => {
  // `show bfd peers json` of ospf-ecmp-bfd's router (FRR 8.4.4), one session shown in full, one cut down.
  const json = `[
  {"multihop":false,"peer":"10.0.1.135","vrf":"default","interface":"eth0","id":2890473093,"remote-id":2567543667,"passive-mode":false,
   "status":"up","uptime":6,"diagnostic":"ok","remote-diagnostic":"ok","receive-interval":300,"transmit-interval":300,
   "echo-receive-interval":50,"echo-transmit-interval":0,"detect-multiplier":3,"remote-receive-interval":300,
   "remote-transmit-interval":300,"remote-echo-receive-interval":50,"remote-detect-multiplier":3,"rtt-min":0,"rtt-avg":0,"rtt-max":0},
  {"multihop":false,"peer":"10.0.1.133","vrf":"default","interface":"eth0","status":"init","diagnostic":"ok"}
]`;

  test("gives each session's peer, interface, state and timers", () => {
    expect(parseBfdPeers(json)).toEqual([
      { peer: '10.0.1.135', iface: 'eth0', status: 'up', receiveIntervalMs: 300, transmitIntervalMs: 300, detectMultiplier: 3 },
      { peer: '10.0.1.133', iface: 'eth0', status: 'init' },
    ]);
  });

  test('an empty list (bfdd without sessions) is no session, not an error', () => {
    expect(parseBfdPeers('[]')).toEqual([]);
    expect(parseBfdPeers('{}')).toEqual([]);
  });
});

describe('parseOspfNetworks', () => {
  // The router ospf part of FRR 8.4's `show running-config` on a guarded director after its
  // checks announced the VIP (the startup networks are its interface address as a /32).
  const running = ['router ospf', ' ospf router-id 10.0.1.133', ' timers throttle spf 0 50 500', ' network 10.0.1.133/32 area 0', ' network 10.0.1.100/32 area 0', 'exit', '!'].join('\n');
  test("lists every network statement's prefix, the one added live included", () => {
    expect(parseOspfNetworks(running)).toEqual(['10.0.1.133/32', '10.0.1.100/32']);
  });
  test('finds none in a config without them, nor in other commands that mention a network', () => {
    expect(parseOspfNetworks('router ospf\n ospf router-id 10.0.1.133\n passive-interface lo\nexit\n! network 10.0.1.100/32 area 0\n')).toEqual([]);
  });
});
