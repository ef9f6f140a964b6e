// Writing sysctls from inside a node. In a container /proc/sys is mounted read-only; a node
// holding SYS_ADMIN (lvslab's containers do) may remount it writable for the write and back.
// A fixed script: the key=value pairs travel as arguments, never as script text.
const WRITE_SCRIPT = [
  'sysctl -q -w "$@" 2>/dev/null && exit 0',
  'mount -o remount,rw /proc/sys || exit 1',
  'sysctl -q -w "$@"; status=$?',
  'mount -o remount,ro /proc/sys',
  'exit $status',
].join('\n');

/** argv that sets every pair, in order (writing ip_forward resets other keys: order matters). */
export function writeSysctlsArgv(pairs: ReadonlyArray<readonly [string, string]>): string[] {
  return ['sh', '-c', WRITE_SCRIPT, 'lvslab-sysctl', ...pairs.map(([k, v]) => `${k}=${v}`)];
}
