// Cleaning up a namespace a test created: whatever still runs inside it was started by that
// test, so it is killed, and the namespace is deleted with its interfaces. Never throws:
// it runs in afterAll, also after a failure.
import { run } from '../../src/util/exec.js';

export async function removeNamespace(name: string): Promise<void> {
  const pids = await run(['ip', 'netns', 'pids', name]);
  for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await run(['ip', 'netns', 'del', name]);
}
