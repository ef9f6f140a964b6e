// Every file under test/fixtures/bad-labs/ must fail to load, and must report each of its
// mistakes with the exact line:column and field, all in one go.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadLabFile } from '../../src/model/load.js';
import { formatProblem, LabValidationError, type Problem } from '../../src/model/problems.js';
import { EXIT } from '../../src/util/errors.js';

const DIR = 'test/fixtures/bad-labs';

async function problemsOf(name: string): Promise<Problem[]> {
  try {
    await loadLabFile(`${DIR}/${name}`);
  } catch (err) {
    expect(err).toBeInstanceOf(LabValidationError);
    return (err as LabValidationError).problems;
  }
  throw new Error(`${name} loaded without errors`);
}

/** `LINE:COL SEVERITY FIELD`: compact enough to list every expected problem of a file. */
function brief(p: Problem): string {
  return `${p.line}:${p.column} ${p.severity} ${p.field}`;
}

// Each file: every problem it must report, in order (sorted by line, then column).
const EXPECTED: Record<string, { problems: string[]; messages?: RegExp[] }> = {
  'several-errors.yaml': {
    problems: [
      '17:9 error nodes.lb1.interfaces[0].adress',
      '18:9 error nodes.lb1.interfaces[1]',
      '18:15 error nodes.lb1.interfaces[1].name',
      '28:34 error nodes.rs2.interfaces[0].address',
      '32:11 error services.web.port',
      '33:16 error services.web.scheduler',
      '35:17 error services.web.real_servers[0].node',
    ],
    messages: [
      /unknown key 'adress' \(did you mean 'address'\?\)/,
      /already has an interface on segment lan/,
      /'a-very-long-interface-name' is too long \(26 characters, at most 15\)/,
      /10\.0\.1\.1 is already the address of nodes\.router\.interfaces\[0\]/,
      /wrong type: expected a whole number, got "five"/,
      /'rrr' is not accepted here \(did you mean 'rr'\?\)/,
      /director lb1 shares no segment with real server rs1/,
    ],
  },
  'yaml-syntax.yaml': { problems: ['5:1 error '], messages: [/^YAML: /] },
  'not-a-mapping.yaml': { problems: ['1:1 error '], messages: [/expected a mapping/] },
  'missing-keys.yaml': {
    problems: ['2:1 error name', '3:3 error nodes.r1.role', '9:3 error services.web', '9:3 error services.web.vip'],
    messages: [/missing required key 'name'/, /missing required key 'role'/, /has no director/, /missing required key 'vip'/],
  },
  'addressing.yaml': {
    problems: [
      '6:13 error segments.wide.subnet',
      '8:13 error segments.sloppy.subnet',
      '17:34 error nodes.router.interfaces[0].address',
      '18:35 error nodes.router.interfaces[1].address',
      '19:30 error nodes.router.interfaces[2].address',
      '26:34 error nodes.peer.interfaces[1].address',
    ],
    messages: [
      /overlaps segment lan's subnet 10\.0\.1\.0\/24/,
      /has host bits set/,
      /10\.0\.2\.1 is not in segment lan's subnet/,
      /broadcast address/,
      /network address of link up's subnet 10\.1\.0\.0\/30/,
      /'10\.0\.1\.300' is not an IPv4 address/,
    ],
  },
  'topology.yaml': {
    problems: [
      '3:3 warning segments.lan',
      '4:3 warning segments.empty',
      '7:3 error links.lonely',
      '13:9 error nodes.a.interfaces[0]',
      '14:9 error nodes.a.interfaces[1]',
      '15:20 error nodes.a.interfaces[2].segment',
    ],
    messages: [/no interfaces attached/, /no interfaces attached/, /has 1 interface attached/, /both segment and link/, /attaches to nothing/, /unknown segment 'lann' \(did you mean 'lan'\?\)/],
  },
  'names.yaml': {
    problems: [
      '1:7 error name',
      '3:3 error segments.a-segment-name-too-long',
      '5:3 error nodes.Router1',
      '9:51 error nodes.Router1.interfaces[0].name',
      '14:9 error nodes.host.interfaces[1]',
      '14:20 error nodes.host.interfaces[1].segment',
      '15:9 error nodes.host.interfaces[2]',
      '15:51 error nodes.host.interfaces[2].name',
    ],
    messages: [/lab name/, /too long/, /node name 'Router1'/, /'lo'/, /'eth1' is already used/, /unknown segment 'other'/, /already has an interface/, /'9eth' is not a valid name/],
  },
  'ospf.yaml': {
    problems: [
      '4:9 error ospf.dead',
      '5:9 error ospf.area',
      '13:33 error nodes.router.interfaces[0].ospf.dead',
      '13:46 error nodes.router.interfaces[0].ospf.priority',
      '16:11 error nodes.lb1.ospf',
    ],
    messages: [/dead interval 10 s is not greater than hello interval 10 s/, /'backbone' is not an IPv4 address/, /dead interval 5 s/, /300 is too large/, /true is not accepted/],
  },
  'services.yaml': {
    problems: [
      '25:10 error services.web.vip',
      '27:22 error services.web.directors[1]',
      '27:27 error services.web.directors[2]',
      '29:17 error services.web.real_servers[0].node',
      '29:30 error services.web.real_servers[0].weight',
      '30:17 error services.web.real_servers[1].node',
      '30:28 error services.web.real_servers[1].port',
      '31:3 error services.ha.vrrp',
      '44:31 error services.ha2.vrrp.priorities.lb9',
      '45:29 error services.ha2.real_servers[0].node',
    ],
    messages: [
      /VIP 10\.0\.1\.10 is also the address of nodes\.lb1\.interfaces\[0\]/,
      /rs1 is a realserver, not a director/,
      /unknown node 'lb3' \(did you mean 'lb1'\?\)/,
      /shares no segment/,
      /-1 is too small/,
      /lb1 is a director, not a realserver/,
      /70000 is too large/,
      /announce: vrrp needs a vrrp: mapping/,
      /lb9 is not a director of service ha2/,
      /shares no segment/,
    ],
  },
  'vrrp.yaml': {
    problems: ['36:32 error services.api.vrrp.virtual_router_id', '39:10 error services.outside.vip', '48:17 error services.nat.forwarding'],
    messages: [
      /virtual router id 51 is already used by service web on segment lan/,
      /VRRP VIP 192\.168\.9\.9 lies in no segment that all of lb1, lb2 are on \(segment lan 10\.0\.1\.0\/24, segment back 10\.0\.2\.0\/24\)/,
      /forwarding nat sends the replies back through the director/,
    ],
  },
  'unannounced.yaml': { problems: ['23:15 error services.web.announce'], messages: [/no director announces VIP 10\.9\.9\.9 over OSPF/] },
  'no-path.yaml': {
    problems: ['30:29 error services.direct.real_servers[0].node', '37:17 error services.tunnel.real_servers[1].node'],
    messages: [/which forwarding dr needs/, /no path to real server rs2/],
  },
};

describe('bad lab files', () => {
  it('has an expectation for every fixture', () => {
    expect(readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(`${file}: reports every problem at its line and column`, async () => {
      const problems = await problemsOf(file);
      expect(problems.map(brief)).toEqual(expected.problems);
      expected.messages?.forEach((re, i) => expect(problems[i]!.message).toMatch(re));
      for (const p of problems) {
        expect(p.file).toBe(`${DIR}/${file}`);
        if (p.severity === 'error' && p.field !== '' && !/missing required|has no director|needs a vrrp/.test(p.message)) {
          expect(p.accepted, `accepted for ${formatProblem(p)}`).toBeTruthy();
        }
      }
    });
  }

  it('throws an error carrying the invalid-input exit code and listing every problem', async () => {
    const err = await loadLabFile(`${DIR}/several-errors.yaml`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabValidationError);
    const e = err as LabValidationError;
    expect(e.exitCode).toBe(EXIT.invalidInput);
    const lines = e.message.split('\n');
    expect(lines[0]).toBe(`${DIR}/several-errors.yaml: 7 errors in the lab file`);
    expect(lines.slice(1)).toEqual(e.problems.map(formatProblem));
    expect(lines[1]).toBe(
      `${DIR}/several-errors.yaml:17:9: error: nodes.lb1.interfaces[0].adress: unknown key 'adress' (did you mean 'address'?) (accepted: name, segment, link, address, ospf)`,
    );
  });
});
