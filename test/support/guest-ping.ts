// Commands on the host and ICMP echo from inside a container, for the tests that check what a
// GNS3 link passes (the stand-in's own integration test and the GNS3 contract suite). No src/
// code: these tests judge a server (the stand-in or a real one), not lvslab.
import { spawn } from 'node:child_process';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs argv without a shell. */
export function sh(argv: string[], timeoutMs = 30_000): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: String(e) });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** Runs argv and returns its stdout; a non-zero exit throws with its stderr. */
export async function ok(argv: string[]): Promise<string> {
  const r = await sh(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Polls fn until it returns something truthy or the deadline passes; returns the last value. */
export async function until<T>(fn: () => Promise<T>, timeoutMs: number, intervalMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v || Date.now() >= end) return v;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Why a suite that needs the Docker engine cannot run here, or undefined when it can. */
export async function noDockerEngine(): Promise<string | undefined> {
  const engine = await sh(['docker', 'version', '--format', '{{.Server.Version}}'], 15_000);
  return engine.code !== 0 ? `no Docker engine answers (docker version: ${(engine.stderr || engine.stdout).trim().split('\n')[0]})` : undefined;
}

// ICMP echo over a raw socket (the image has neither ping nor /etc/protocols for Net::Ping):
// n requests of 56 bytes to ip, t seconds each for its reply; prints how many were answered.
const PING = `use strict; use Socket; use Time::HiRes qw(time);
my ($ip, $n, $t) = @ARGV;
socket(my $s, PF_INET, SOCK_RAW, 1) or die "socket: $!\\n";
my $dst = inet_aton($ip); my $id = $$ & 0xffff; my $ok = 0;
for my $seq (1 .. $n) {
  my $pkt = pack('C C n n n', 8, 0, 0, $id, $seq) . ('gns3sb-p' x 7);
  my $sum = 0; $sum += $_ for unpack('n*', $pkt);
  $sum = ($sum >> 16) + ($sum & 0xffff); $sum += $sum >> 16;
  substr($pkt, 2, 2) = pack('n', ~$sum & 0xffff);
  send($s, $pkt, 0, sockaddr_in(0, $dst)) or die "send: $!\\n";
  my $end = time + $t;
  while ((my $left = $end - time) > 0) {
    my $rin = ''; vec($rin, fileno($s), 1) = 1;
    last unless select(my $rout = $rin, undef, undef, $left);
    my $from = recv($s, my $buf, 1500, 0);
    next unless defined $from && (sockaddr_in($from))[1] eq $dst;
    my ($type, undef, undef, $rid, $rseq) = unpack('C C n n n', substr($buf, (ord($buf) & 15) * 4, 8));
    if ($type == 0 && $rid == $id && $rseq == $seq) { $ok++; last; }
  }
}
print "$ok\\n"; exit($ok ? 0 : 1);`;

/** How many of n ICMP echoes (timeout t s each) from container to ip were answered. */
export async function pings(container: string, ip: string, n = 1, t = 0.5): Promise<number> {
  const r = await sh(['docker', 'exec', container, 'perl', '-e', PING, ip, String(n), String(t)]);
  return Number(r.stdout.trim()) || 0;
}

/** Reachable within the deadline (the first echo may wait for ARP). */
export async function reaches(container: string, ip: string, timeoutMs = 10_000): Promise<boolean> {
  return until(async () => (await pings(container, ip)) > 0, timeoutMs, 50);
}
