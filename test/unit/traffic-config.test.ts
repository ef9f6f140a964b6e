// The generator's config contract: what is accepted, what is refused (the safety caps),
// the schedule arithmetic, the file convention and the argv.
import { describe, expect, it } from 'vitest';
import {
  defaultMaxInFlight,
  GENERATOR_LIMITS,
  generatorArgv,
  generatorConfigProblems,
  generatorFiles,
  plannedTicks,
  validateGeneratorConfig,
  type GeneratorConfig,
} from '../../src/traffic/generator-types.js';
import { breakOfError, outcomeOfError, outcomeOfStatus } from '../../src/traffic/classify.js';
import { LatenessStats } from '../../src/traffic/lateness.js';

const files = generatorFiles('/run/lvslab/x/runs/1/traffic', 'client1');
const good: GeneratorConfig = {
  version: 1,
  client: 'client1',
  host: '10.0.1.100',
  port: 80,
  path: '/',
  rate: 100,
  durationMs: 30_000,
  timeoutMs: 1000,
  startAt: 1_795_000_000_000,
  requestsPath: files.requests,
  longLivedPath: files.longLived,
  summaryPath: files.summary,
  longLived: { connections: 4, heartbeatMs: 200 },
};

describe('generator config', () => {
  it('accepts a good config', () => {
    expect(generatorConfigProblems(good)).toEqual([]);
    expect(validateGeneratorConfig(good)).toBe(good);
    expect(generatorConfigProblems({ ...good, longLived: undefined })).toEqual([]);
    expect(generatorConfigProblems({ ...good, rate: 0 })).toEqual([]); // long-lived only
  });

  it('refuses rates, durations and totals above the caps', () => {
    expect(generatorConfigProblems({ ...good, rate: GENERATOR_LIMITS.maxRate + 1 })[0]).toMatch(/^rate: 5001 is outside 0\.\.5000/);
    expect(generatorConfigProblems({ ...good, durationMs: 600_001 })[0]).toMatch(/^durationMs: .* outside/);
    expect(generatorConfigProblems({ ...good, timeoutMs: 0 })[0]).toMatch(/^timeoutMs/);
    expect(generatorConfigProblems({ ...good, maxInFlight: 10_001 })[0]).toMatch(/^maxInFlight/);
    expect(generatorConfigProblems({ ...good, longLived: { connections: 1001, heartbeatMs: 200 } })[0]).toMatch(/^longLived\.connections/);
    expect(generatorConfigProblems({ ...good, longLived: { connections: 1, heartbeatMs: 1 } })[0]).toMatch(/^longLived\.heartbeatMs/);
    expect(generatorConfigProblems({ ...good, rate: Infinity })[0]).toMatch(/^rate: expected a number/);
  });

  it('refuses what would go into the request line or a socket unchecked', () => {
    expect(generatorConfigProblems({ ...good, path: '/a b' })[0]).toMatch(/^path/);
    expect(generatorConfigProblems({ ...good, path: '/\r\nX: y' })[0]).toMatch(/^path/);
    expect(generatorConfigProblems({ ...good, path: 'noslash' })[0]).toMatch(/^path/);
    expect(generatorConfigProblems({ ...good, host: 'vip.example' })[0]).toMatch(/^host: .* not an IP address/);
    expect(generatorConfigProblems({ ...good, client: 'a/b' })[0]).toMatch(/^client/);
    expect(generatorConfigProblems({ ...good, port: 70000 })[0]).toMatch(/^port/);
    expect(generatorConfigProblems({ ...good, requestsPath: 'relative.ndjson' })[0]).toMatch(/^requestsPath/);
  });

  it('reports every problem at once, and a config that would send nothing', () => {
    const p = generatorConfigProblems({ ...good, version: 2, rate: -1, port: 0 });
    expect(p).toHaveLength(3);
    expect(generatorConfigProblems({ ...good, rate: 0, longLived: undefined })).toEqual([
      'rate: 0 and no longLived: the generator would send nothing',
    ]);
    expect(generatorConfigProblems(null)).toEqual(['config: expected a JSON object']);
    expect(() => validateGeneratorConfig({ ...good, rate: 9999 })).toThrow(/invalid traffic generator config:\n {2}rate/);
  });
});

describe('schedule arithmetic', () => {
  it('counts the ticks inside the window', () => {
    expect(plannedTicks(100, 30_000)).toBe(3000);
    expect(plannedTicks(3, 1000)).toBe(3); // 0, 333.3, 666.7
    expect(plannedTicks(3, 1001)).toBe(4); // 1000 < 1001
    expect(plannedTicks(0, 1000)).toBe(0);
    expect(plannedTicks(GENERATOR_LIMITS.maxRate, GENERATOR_LIMITS.maxDurationMs)).toBe(GENERATOR_LIMITS.maxTotalRequests);
  });
  it('the default in-flight cap covers 1.5 timeout windows and stays under the hard cap', () => {
    expect(defaultMaxInFlight(100, 1000)).toBe(150 + 64);
    expect(defaultMaxInFlight(5000, 60_000)).toBe(GENERATOR_LIMITS.maxInFlight);
  });
  it('lateness statistics', () => {
    const s = new LatenessStats();
    for (let i = 0; i < 99; i++) s.add(0.05);
    s.add(7.3);
    expect(s.maxMs).toBe(7.3);
    expect(s.meanMs).toBeCloseTo((99 * 0.05 + 7.3) / 100, 9);
    expect(s.quantileMs(0.99)).toBeCloseTo(0.1, 9);
    expect(s.quantileMs(1)).toBe(7.3);
    s.add(-1); // a timer that fired early counts as on time
    expect(s.count).toBe(101);
    expect(new LatenessStats().quantileMs(0.99)).toBe(0);
  });
});

describe('files and argv', () => {
  it('names every file after the client, in one directory', () => {
    expect(files).toEqual({
      config: '/run/lvslab/x/runs/1/traffic/client1.traffic.json',
      requests: '/run/lvslab/x/runs/1/traffic/client1.requests.ndjson',
      longLived: '/run/lvslab/x/runs/1/traffic/client1.long-lived.ndjson',
      summary: '/run/lvslab/x/runs/1/traffic/client1.summary.json',
      log: '/run/lvslab/x/runs/1/traffic/client1.traffic.log',
    });
  });
  it('starts node on generator.js with --config', () => {
    const argv = generatorArgv('/tmp/c.json');
    expect(argv[0]).toBe(process.execPath);
    expect(argv[1]).toMatch(/traffic\/generator\.js$/);
    expect(argv.slice(2)).toEqual(['--config', '/tmp/c.json']);
  });
});

describe('classification', () => {
  it('socket errors before an answer', () => {
    expect(outcomeOfError('ECONNREFUSED')).toBe('refused');
    expect(outcomeOfError('ECONNRESET')).toBe('reset');
    expect(outcomeOfError('EPIPE')).toBe('reset');
    expect(outcomeOfError('ETIMEDOUT')).toBe('timeout');
    expect(outcomeOfError('EHOSTUNREACH')).toBe('error');
    expect(outcomeOfError(undefined)).toBe('error');
  });
  it('answers: 2xx ok, everything else an error', () => {
    expect(outcomeOfStatus(200)).toBe('ok');
    expect(outcomeOfStatus(204)).toBe('ok');
    expect(outcomeOfStatus(301)).toBe('error');
    expect(outcomeOfStatus(404)).toBe('error');
    expect(outcomeOfStatus(503)).toBe('error');
  });
  it('breaks of long-lived connections', () => {
    expect(breakOfError('ECONNRESET')).toBe('rst');
    expect(breakOfError('EPIPE')).toBe('rst');
    expect(breakOfError('ETIMEDOUT')).toBe('timeout');
    expect(breakOfError(undefined)).toBe('closed');
    expect(breakOfError('EHOSTUNREACH')).toBe('closed');
  });
});
