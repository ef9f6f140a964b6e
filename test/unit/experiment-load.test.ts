// Experiment files: every built-in one loads and binds to its own lab; role-based targets
// resolve to the lab's nodes; what a lab cannot provide, and every mistake in a file, is
// reported with line and column before anything runs.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { loadLabFile } from '../../src/model/load.js';
import { LabValidationError } from '../../src/model/problems.js';
import { loadExperimentFile, loadExperimentText } from '../../src/experiment/load.js';
import { bindExperiment } from '../../src/experiment/bind.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const experiments = readdirSync(`${REPO}experiments`).filter((f) => f.endsWith('.yaml'));

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof LabValidationError) return e.message.split('\n').slice(1);
    throw e;
  }
  throw new Error('expected a LabValidationError');
}

describe('built-in experiments', () => {
  // Each to the lab it names (ospf-ecmp when it names none), sending from every client there.
  test.each(experiments)('%s loads and binds to its own lab on both dataplanes', async (file) => {
    const loaded = await loadExperimentFile(`${REPO}experiments/${file}`);
    const lab = await loadLabFile(`${REPO}labs/${loaded.experiment.lab ?? 'ospf-ecmp'}.yaml`);
    const clients = lab.nodes.filter((n) => n.role === 'client').map((n) => n.name).sort();
    for (const dataplane of ['ipvs', 'nftables'] as const) {
      const bound = bindExperiment(loaded, lab, dataplane);
      expect(bound.traffic.map((t) => t.client).sort()).toEqual(clients);
      expect(bound.service.name).toBe('web');
    }
  });

  test('failover-test: "the uplink of the second director" is lb2:eth0', async () => {
    const loaded = await loadExperimentFile(`${REPO}experiments/failover-test.yaml`);
    const bound = bindExperiment(loaded, await loadLabFile(`${REPO}labs/ospf-ecmp.yaml`), 'nftables');
    expect(bound.steps.map((s) => [s.at, s.action, s.node.name, s.iface])).toEqual([
      [10, 'silent-failure', 'lb2', 'eth0'],
      [25, 'silent-restore', 'lb2', 'eth0'],
    ]);
    expect(bound.longLived).toHaveLength(2);
  });

  test('multisite-failover and multisite-link-cut act on the router\'s port to cluster 2 (eth1, 192.168.129.90)', async () => {
    const lab = await loadLabFile(`${REPO}labs/ospf-multisite.yaml`);
    expect(lab.nodes.find((n) => n.name === 'router')!.interfaces.find((i) => i.name === 'eth1')!.address).toBe('192.168.129.90');
    for (const [file, actions] of [['multisite-failover', ['silent-failure', 'silent-restore']], ['multisite-link-cut', ['link-down', 'link-up']]] as const) {
      const bound = bindExperiment(await loadExperimentFile(`${REPO}experiments/${file}.yaml`), lab, 'nftables');
      expect(bound.steps.map((s) => [s.at, s.action, s.node.name, s.iface])).toEqual([
        [10, actions[0], 'router', 'eth1'],
        [25, actions[1], 'router', 'eth1'],
      ]);
    }
  });

  test('a `dataplane` daemon is keepalived on ipvs and the health daemon on the fallback', async () => {
    const text = `name: x\nduration: 5\ntraffic: [ { rate: 10 } ]\ntimeline:\n  - { at: 1, action: kill, target: { role: director, index: 1 }, daemon: dataplane }\n`;
    const lab = await loadLabFile(`${REPO}labs/ospf-ecmp.yaml`);
    expect(bindExperiment(loadExperimentText(text, 'x.yaml'), lab, 'ipvs').steps[0]!.daemon).toBe('keepalived');
    expect(bindExperiment(loadExperimentText(text, 'x.yaml'), lab, 'nftables').steps[0]!.daemon).toBe('healthd');
  });
});

describe('experiments a lab cannot run are refused with positions', () => {
  test('failover-test on lvs-dr: there is no second director', async () => {
    const loaded = await loadExperimentFile(`${REPO}experiments/failover-test.yaml`);
    const lab = await loadLabFile(`${REPO}labs/lvs-dr.yaml`);
    const problems = problemsOf(() => bindExperiment(loaded, lab, 'nftables'));
    expect(problems).toHaveLength(2);
    for (const p of problems) {
      expect(p).toMatch(/failover-test\.yaml:\d+:\d+: error: timeline\[[01]\]\.target\.index: lab lvs-dr has 1 director; there is no number 2 \(on lab lvs-dr\) \(accepted: 1 to 1\)/);
    }
  });

  test('a daemon the node does not run', async () => {
    const text = `name: x\nduration: 5\ntraffic: [ { rate: 10 } ]\ntimeline:\n  - { at: 1, action: kill, target: { role: client, index: 1 }, daemon: nginx }\n`;
    const problems = problemsOf(() => bindExperiment(loadExperimentText(text, 'x.yaml'), awaitLab(), 'ipvs'));
    expect(problems).toEqual([expect.stringMatching(/^x\.yaml:5:\d+: error: timeline\[0\]\.daemon: client1 \(client\) does not run nginx/)]);
  });
});

let lab: Awaited<ReturnType<typeof loadLabFile>> | undefined;
function awaitLab() {
  if (!lab) throw new Error('lab not loaded');
  return lab;
}
await (async () => {
  lab = await loadLabFile(`${REPO}labs/ospf-ecmp.yaml`);
})();

describe('mistakes in an experiment file', () => {
  test('every problem at once, each with line:column, field, what is wrong and what is accepted', () => {
    const text = [
      'name: broken', //                                       1
      'duration: 20', //                                       2
      'traffic:', //                                           3
      '  - { rate: 100, timeot_ms: 50 }', //                   4: unknown key
      'timeline:', //                                          5
      '  - { at: 30, action: link-down, target: { role: director, index: 1, interface: uplink } }', // 6: after the end
      '  - { at: 5, action: kill, target: { role: director, index: 1 } }', // 7: no daemon
      '  - { at: 6, action: explode, target: { role: director } }', // 8: bad action
      'expect:', //                                            9
      '  - outage <= 5', //                                    10: unknown figure
      '  - outage_s =< 5', //                                  11: bad operator
    ].join('\n');
    const problems = problemsOf(() => loadExperimentText(text, 'broken.yaml'));
    expect(problems.some((p) => /^broken\.yaml:4:\d+: error: .*timeot_ms.*accepted: .*timeout_ms/.test(p))).toBe(true);
    expect(problems.some((p) => /^broken\.yaml:8:\d+: error: timeline\[2\]\.action: .*accepted: .*link-down/.test(p))).toBe(true);
    // The semantic checks run beside the schema's, on what it accepted.
    expect(problems.some((p) => /^broken\.yaml:6:\d+: error: timeline\[0\]\.at: at 30 s is after the end/.test(p))).toBe(true);
    expect(problems.some((p) => /^broken\.yaml:10:\d+: error: expect\[0\]: unknown figure 'outage'/.test(p))).toBe(true);
    const fixed = text.replace('timeot_ms', 'timeout_ms').replace('explode', 'link-up').replace('target: { role: director } }', 'target: { role: director, index: 1, interface: uplink } }');
    const semantic = problemsOf(() => loadExperimentText(fixed, 'broken.yaml'));
    expect(semantic).toEqual([
      expect.stringMatching(/^broken\.yaml:6:\d+: error: timeline\[0\]\.at: at 30 s is after the end of the traffic \(duration 20 s\) \(accepted: 0 to 20\)/),
      expect.stringMatching(/^broken\.yaml:7:\d+: error: timeline\[1\]: action kill needs a daemon/),
      expect.stringMatching(/^broken\.yaml:10:\d+: error: expect\[0\]: unknown figure 'outage'.*outage_s/),
      expect.stringMatching(/^broken\.yaml:11:\d+: error: expect\[1\]: unknown operator '=<'/),
    ]);
  });

  test('an unknown top-level key, a step after the duration and a bad expect line: three errors at once', () => {
    const text = 'name: x\nduration: 10\ncolour: blue\ntraffic: [ { rate: 10 } ]\ntimeline:\n  - { at: 20, action: node-stop, target: { role: director, index: 1 } }\nexpect:\n  - outage_s <=\n';
    expect(problemsOf(() => loadExperimentText(text, 'x.yaml'))).toEqual([
      expect.stringMatching(/^x\.yaml:3:1: error: colour: unknown key 'colour'/),
      expect.stringMatching(/^x\.yaml:6:\d+: error: timeline\[0\]\.at: at 20 s is after the end of the traffic/),
      expect.stringMatching(/^x\.yaml:8:5: error: expect\[0\]: /),
    ]);
  });

  test('a daemon on a link action and an interface on a daemon action are refused where they stand', () => {
    const text = 'name: x\nduration: 10\ntraffic: [ { rate: 10 } ]\ntimeline:\n  - { at: 1, action: link-down, target: { role: director, index: 1, interface: uplink }, daemon: ospfd }\n  - { at: 2, action: kill, target: { role: director, index: 1, interface: uplink }, daemon: ospfd }\n';
    expect(problemsOf(() => loadExperimentText(text, 'x.yaml'))).toEqual([
      expect.stringMatching(/^x\.yaml:5:\d+: error: timeline\[0\]\.daemon: action link-down takes no daemon/),
      expect.stringMatching(/^x\.yaml:6:\d+: error: timeline\[1\]\.target\.interface: action kill takes no interface/),
    ]);
  });

  test('link-impair binds with what it asks; without impair, with impair on another action or jitter alone it is refused where it stands', () => {
    const ok = `name: x\nduration: 5\ntraffic: [ { rate: 10 } ]\ntimeline:\n  - { at: 1, action: link-impair, target: { role: director, index: 1, interface: uplink }, impair: { loss_percent: 30, delay_ms: 50, jitter_ms: 5 } }\n  - { at: 3, action: link-clear, target: { role: director, index: 1, interface: uplink } }\n`;
    const bound = bindExperiment(loadExperimentText(ok, 'x.yaml'), awaitLab(), 'nftables');
    expect(bound.steps.map((s) => [s.action, s.node.name, s.iface, s.impair])).toEqual([
      ['link-impair', 'lb1', 'eth0', { loss_percent: 30, delay_ms: 50, jitter_ms: 5 }],
      ['link-clear', 'lb1', 'eth0', undefined],
    ]);
    const bad = [
      'name: x',
      'duration: 5',
      'traffic: [ { rate: 10 } ]',
      'timeline:',
      '  - { at: 1, action: link-impair, target: { role: director, index: 1, interface: uplink } }',
      '  - { at: 2, action: link-down, target: { role: director, index: 1, interface: uplink }, impair: { loss_percent: 5 } }',
      '  - { at: 3, action: link-impair, target: { role: director, index: 1, interface: uplink }, impair: { jitter_ms: 5 } }',
      '  - { at: 4, action: link-impair, target: { role: director, index: 1, interface: uplink }, impair: { loss_percent: 101 } }',
      '  - { at: 4, action: link-impair, target: { role: director, index: 1, interface: uplink }, impair: {} }',
      '',
    ].join('\n');
    const problems = problemsOf(() => loadExperimentText(bad, 'bad.yaml'));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^bad\.yaml:5:\d+: error: timeline\[0\]: action link-impair needs impair \(accepted: impair: \{ loss_percent/),
        expect.stringMatching(/^bad\.yaml:6:\d+: error: timeline\[1\]\.impair: action link-down takes no impair/),
        expect.stringMatching(/^bad\.yaml:7:\d+: error: timeline\[2\]\.impair\.jitter_ms: jitter_ms without delay_ms/),
        expect.stringMatching(/^bad\.yaml:8:\d+: error: timeline\[3\]\.impair\.loss_percent: .*100/),
        expect.stringMatching(/^bad\.yaml:9:\d+: error: timeline\[4\]\.impair: /),
      ]),
    );
  });

  test('a real server has no downlink and a router no uplink: refused at bind time with a position', () => {
    const text = 'name: x\nduration: 10\ntraffic: [ { rate: 10 } ]\ntimeline:\n  - { at: 1, action: link-down, target: { role: realserver, index: 1, interface: downlink } }\n  - { at: 2, action: link-down, target: { role: router, interface: uplink } }\n';
    expect(problemsOf(() => bindExperiment(loadExperimentText(text, 'x.yaml'), awaitLab(), 'nftables'))).toEqual([
      expect.stringMatching(/^x\.yaml:5:\d+: error: timeline\[0\]\.target\.interface: downlink is a director's interface toward its real servers; rs1 is a realserver/),
      expect.stringMatching(/^x\.yaml:6:\d+: error: timeline\[1\]\.target\.interface: uplink is the interface toward a router; router is the router/),
    ]);
  });

  test.each(['constructor', 'proto', '__proto__', 'toString', 'valueOf'])('node and service %s are reported where they stand', (name) => {
    const text = `name: x\nduration: 10\ntraffic: [ { rate: 10, service: ${name} } ]\ntimeline:\n  - { at: 1, action: node-stop, target: { node: ${name} } }\n`;
    // A node name the schema's pattern refuses fails at load time, also where it stands.
    const loadsFine = /^[a-z][a-z0-9-]*$/.test(name);
    const problems = problemsOf(() => bindExperiment(loadExperimentText(text, 'x.yaml'), awaitLab(), 'nftables'));
    expect(problems).toEqual(
      loadsFine
        ? [
            expect.stringMatching(new RegExp(`^x\\.yaml:3:\\d+: error: traffic\\[0\\]\\.service: lab ospf-ecmp has no service '${name}'`)),
            expect.stringMatching(new RegExp(`^x\\.yaml:5:\\d+: error: timeline\\[0\\]\\.target\\.node: lab ospf-ecmp has no node '${name}'`)),
          ]
        : [expect.stringMatching(new RegExp(`^x\\.yaml:5:\\d+: error: timeline\\[0\\]\\.target\\.node: '${name}' is not a node name`))],
    );
  });

  test('an experiment without traffic is refused', () => {
    expect(problemsOf(() => loadExperimentText('name: quiet\nduration: 5\n', 'q.yaml'))).toEqual([
      expect.stringMatching(/^q\.yaml:1:1: error: the experiment sends no traffic/),
    ]);
  });
});

describe('experiment files share the lab files\' input limits', () => {
  test('deep nesting, alias bombs and undefined aliases are located errors', () => {
    expect(problemsOf(() => loadExperimentText('name: x\nduration: 5\ntraffic: ' + '['.repeat(5000) + ']'.repeat(5000) + '\n', 'x.yaml'))).toEqual([
      expect.stringMatching(/^x\.yaml:3:\d+: error: nested more than 32 levels deep \(the format's limit\)/),
    ]);
    expect(problemsOf(() => loadExperimentText('name: x\nduration: 5\ntraffic: *t\n', 'x.yaml'))).toEqual([expect.stringMatching(/^x\.yaml:3:10: error: alias \*t refers to no anchor/)]);
  });

  test('more timeline steps than the format allows', () => {
    const steps = Array.from({ length: 1001 }, () => '  - { at: 1, action: node-stop, target: { node: lb1 } }').join('\n');
    expect(problemsOf(() => loadExperimentText(`name: x\nduration: 5\ntraffic: [ { rate: 1 } ]\ntimeline:\n${steps}\n`, 'x.yaml'))).toEqual([
      expect.stringMatching(/^x\.yaml:4:1: error: timeline: 1,001 items, more than the format's limit of 1,000/),
    ]);
  });
});

describe('address-down / address-up (seed 003: the service address taken off lo)', () => {
  test('the anycast experiments bind to ospf-anycast: the first server, its service address by default', async () => {
    const lab = await loadLabFile(`${REPO}labs/ospf-anycast.yaml`);
    const bound = bindExperiment(await loadExperimentFile(`${REPO}experiments/anycast-address-down.yaml`), lab, 'nftables');
    expect(bound.steps.map((s) => [s.at, s.action, s.node.name, s.address])).toEqual([
      [10, 'address-down', 'web1', '192.168.0.23/32'],
      [25, 'address-up', 'web1', '192.168.0.23/32'],
    ]);
    const killed = bindExperiment(await loadExperimentFile(`${REPO}experiments/anycast-service-failure.yaml`), lab, 'nftables');
    expect(killed.steps.map((s) => [s.action, s.node.name, s.daemon])).toEqual([['kill', 'web1', 'nginx'], ['start', 'web1', 'nginx']]);
  });

  test('an address the node does not hold on lo is refused, naming what it holds', async () => {
    const lab = await loadLabFile(`${REPO}labs/ospf-anycast.yaml`);
    const text = `name: x\nduration: 5\ntraffic: [ { rate: 10 } ]\ntimeline:\n  - { at: 1, action: address-down, target: { role: realserver, index: 2 }, address: 192.168.0.24 }\n  - { at: 2, action: address-down, target: { role: client, index: 1 } }\n`;
    expect(problemsOf(() => bindExperiment(loadExperimentText(text, 'x.yaml'), lab, 'nftables'))).toEqual([
      'x.yaml:5:85: error: timeline[0].address: web2 (realserver) has not got 192.168.0.24/32 on lo (on lab ospf-anycast) (accepted: 192.168.0.23/32)',
      'x.yaml:6:22: error: timeline[1].action: client1 (client) has not got the VIP 192.168.0.23/32 of service web (the default) on lo (on lab ospf-anycast) (accepted: none: client1 has no address on lo)',
    ]);
  });

  test('address only with the address actions, and only a host address', () => {
    const text = `name: x\nduration: 5\ntraffic: [ { rate: 10 } ]\ntimeline:\n  - { at: 1, action: kill, target: { role: realserver, index: 1 }, daemon: nginx, address: 192.168.0.23 }\n  - { at: 2, action: address-up, target: { role: realserver, index: 1 }, address: 192.168.0.0/24 }\n`;
    expect(problemsOf(() => loadExperimentText(text, 'x.yaml'))).toEqual([
      "x.yaml:5:92: error: timeline[0].address: action kill takes no address (accepted: address only with address-down, address-up)",
      "x.yaml:6:83: error: timeline[1].address: '192.168.0.0/24' is not a host address (accepted: an address such as 192.168.0.23, or the same with /32)",
    ]);
  });
});
