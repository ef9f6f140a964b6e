// The Docker runtime's pure parts: transport subnets, `ip -o link` parsing, engine error
// messages, apt sources for the offline image build, and the image recipe's hash.
import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../src/model/addr.js';
import { DEFAULT_TRANSPORT_POOL, pickTransportSubnets, transportAddress, transportPool } from '../../src/runtime/docker/transport-subnets.js';
import { parseLinkList } from '../../src/runtime/docker/docker-runtime.js';
import { engineError } from '../../src/docker/engine.js';
import { REMOTE_COMMAND_FAILED } from '../../src/host/ssh/channel-socket.js';
import { mirrorFor, parseAptSources } from '../../src/images/apt-sources.js';
import { loadRecipe, parsePackageList, recipeHash, RECIPE_FILES } from '../../src/images/recipe.js';
import { EXIT, LvslabError } from '../../src/util/errors.js';

const cidr = (t: string) => parseCidr(t)!;

describe('transport subnets', () => {
  it('picks the lowest free /24s of the pool, skipping every subnet in use', () => {
    const pool = transportPool({});
    expect(DEFAULT_TRANSPORT_POOL).toBe('198.18.0.0/15');
    expect(pickTransportSubnets(pool, 3, [])).toEqual(['198.18.0.0/24', '198.18.1.0/24', '198.18.2.0/24']);
    expect(pickTransportSubnets(pool, 2, [cidr('198.18.0.0/23'), cidr('198.18.3.128/25'), cidr('172.17.0.0/16')])).toEqual(['198.18.2.0/24', '198.18.4.0/24']);
  });

  it('an exhausted pool is a host problem with the fix', () => {
    const pool = transportPool({ LVSLAB_DOCKER_POOL: '10.200.0.0/23' });
    expect(pickTransportSubnets(pool, 2, [])).toEqual(['10.200.0.0/24', '10.200.1.0/24']);
    const err = (() => {
      try {
        pickTransportSubnets(pool, 2, [cidr('10.200.1.0/24')]);
      } catch (e) {
        return e as LvslabError;
      }
    })();
    expect(err).toBeInstanceOf(LvslabError);
    expect(err!.exitCode).toBe(EXIT.hostNotReady);
    expect(err!.hint).toMatch(/LVSLAB_DOCKER_POOL/);
  });

  it('refuses a pool that is not a prefix of /24 or larger', () => {
    expect(() => transportPool({ LVSLAB_DOCKER_POOL: '10.0.0.0/25' })).toThrow(/LVSLAB_DOCKER_POOL/);
    expect(() => transportPool({ LVSLAB_DOCKER_POOL: 'ten' })).toThrow(LvslabError);
  });

  it('addresses count from the network address', () => {
    expect(transportAddress('198.18.4.0/24', 1)).toBe('198.18.4.1');
    expect(transportAddress('198.18.4.0/24', 2)).toBe('198.18.4.2');
  });
});

describe('ip -o link parsing', () => {
  it('reads index, name without the peer suffix, MAC and bridge master', () => {
    const text = [
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
      '54: eth0@if55: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default \\    link/ether 02:42:c6:12:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0',
      '55: veth1a2b3c4@if54: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br-1cb9226dcad9 state UP mode DEFAULT group default \\    link/ether 5e:11:22:33:44:55 brd ff:ff:ff:ff:ff:ff link-netnsid 3',
    ].join('\n');
    expect(parseLinkList(text)).toEqual([
      { index: 1, name: 'lo', mac: undefined, master: undefined },
      { index: 54, name: 'eth0', mac: '02:42:c6:12:00:02', master: undefined },
      { index: 55, name: 'veth1a2b3c4', mac: '5e:11:22:33:44:55', master: 'br-1cb9226dcad9' },
    ]);
  });
});

describe('engine errors become messages with the fix', () => {
  it('no engine', () => {
    const e = engineError(Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' }), 'creating the lab');
    expect(e.exitCode).toBe(EXIT.hostNotReady);
    expect(e.message).toMatch(/no Docker engine answers/);
    expect(e.hint).toMatch(/dockerd/);
    expect(e.hint).toMatch(/docker\.io/);
  });

  it('a missing image names lvslab images build', () => {
    const e = engineError({ statusCode: 404, json: { message: 'No such image: lvslab/node:abc' } }, 'creating container x');
    expect(e.message).toContain('No such image: lvslab/node:abc');
    expect(e.hint).toMatch(/lvslab images build/);
  });

  it('an address pool clash names the pool setting', () => {
    const e = engineError({ statusCode: 403, json: { message: 'Pool overlaps with other one on this address space' } }, 'creating Docker network n');
    expect(e.exitCode).toBe(EXIT.hostNotReady);
    expect(e.hint).toMatch(/LVSLAB_DOCKER_POOL/);
  });

  it("a lab host's dial-stdio that failed: its words, and what the host needs", () => {
    const failed = Object.assign(new Error('docker system dial-stdio on root@lab1:22 exited 127: bash: line 1: docker: command not found'), { code: REMOTE_COMMAND_FAILED });
    const e = engineError(failed, 'reaching the Docker engine');
    expect(e.exitCode).toBe(EXIT.hostNotReady);
    expect(e.message).toBe('reaching the Docker engine: docker system dial-stdio on root@lab1:22 exited 127: bash: line 1: docker: command not found');
    expect(e.hint).toMatch(/Docker engine and the docker CLI/);
  });

  it('anything else quotes the engine', () => {
    const e = engineError({ statusCode: 500, json: { message: 'something odd' } }, 'starting x');
    expect(e.message).toBe('starting x: the Docker engine answered: something odd');
  });
});

describe('apt sources', () => {
  it('reads one-line and deb822 files and finds the mirror of a suite', () => {
    const list = parseAptSources('# comment\ndeb [arch=amd64] http://mirror.example/debian bookworm main contrib\ndeb http://security.example bookworm-security main\n', 'list');
    expect(list[0]).toEqual({ uri: 'http://mirror.example/debian', suites: ['bookworm'], components: ['main', 'contrib'] });
    const deb822 = parseAptSources(
      'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb-src\nURIs: http://src.example\nSuites: bookworm\nComponents: main\n\nEnabled: no\nTypes: deb\nURIs: http://off.example\nSuites: bookworm\nComponents: main\n',
      'deb822',
    );
    expect(deb822).toEqual([{ uri: 'http://deb.debian.org/debian', suites: ['bookworm', 'bookworm-updates'], components: ['main'] }]);
    expect(mirrorFor([...list, ...deb822], 'bookworm')).toBe('http://mirror.example/debian');
    expect(mirrorFor(deb822, 'trixie')).toBeUndefined();
  });
});

describe('the node image recipe', () => {
  it('lists what a node runs and hashes every recipe file', async () => {
    const recipe = await loadRecipe();
    for (const pkg of ['frr', 'keepalived', 'ipvsadm', 'nginx-light', 'curl', 'iproute2', 'nftables', 'procps', 'nodejs', 'tcpdump']) expect(recipe.packages).toContain(pkg);
    expect(recipe.image).toBe(`lvslab/node:${recipe.hash}`);
    expect(recipe.hash).toMatch(/^[0-9a-f]{12}$/);
    for (const name of RECIPE_FILES) {
      const changed = recipeHash({ ...recipe.files, [name]: `${recipe.files[name]}\n# changed` });
      expect(changed, name).not.toBe(recipe.hash);
    }
    expect(recipeHash({ ...recipe.files })).toBe(recipe.hash);
  });

  it('package lists ignore comments and blank lines', () => {
    expect(parsePackageList('# x\nfrr\n\n  nginx-light  # web\n')).toEqual(['frr', 'nginx-light']);
  });
});
