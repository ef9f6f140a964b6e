// Writing sysctls from inside a node. In a container /proc/sys is mounted read-only; a node
// holding SYS_ADMIN (lvslab's containers do) may remount it writable for the write and back.
// Fixed scripts: the key=value pairs travel as arguments, never as script text.
const WRITE_FUNCTION = [
  'write() {',
  '  [ $# -eq 0 ] && return 0',
  '  sysctl -q -w "$@" 2>/dev/null && return 0',
  '  mount -o remount,rw /proc/sys || return 1',
  '  sysctl -q -w "$@"; status=$?',
  '  mount -o remount,ro /proc/sys',
  '  return $status',
  '}',
].join('\n');

function pairsOf(pairs: ReadonlyArray<readonly [string, string]>): string[] {
  return pairs.map(([k, v]) => `${k}=${v}`);
}

/** argv that sets every pair, in order (writing ip_forward resets other keys: order matters). */
export function writeSysctlsArgv(pairs: ReadonlyArray<readonly [string, string]>): string[] {
  return ['sh', '-c', `${WRITE_FUNCTION}\nwrite "$@"`, 'lvslab-sysctl', ...pairsOf(pairs)];
}

/** The same, then `ip -batch -` on the command's stdin: a node's whole network in one command. */
export function writeSysctlsThenIpBatchArgv(pairs: ReadonlyArray<readonly [string, string]>): string[] {
  return ['sh', '-c', `${WRITE_FUNCTION}\nwrite "$@" || exit 1\nexec ip -batch -`, 'lvslab-network', ...pairsOf(pairs)];
}
