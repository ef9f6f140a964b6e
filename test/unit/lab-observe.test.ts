// Reading the kernel's tables as the snapshots do: a VIP's route found in one `ip -j route
// show` read, and its next hops, in the forms iproute2 prints them.
import { describe, expect, test } from 'vitest';
import { nextHopsOf, routeIn, type KernelRoute } from '../../src/lab/observe.js';

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
