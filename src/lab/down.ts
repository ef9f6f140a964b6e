// `lvslab down`: remove an instance completely. Works from the runtime's own view of the
// host (names derived from the instance), so it also cleans up after a crashed or killed `up`.
import type { DestroyReport, Runtime } from '../runtime/runtime.js';

export async function down(runtime: Runtime, instance: string): Promise<DestroyReport> {
  return runtime.destroy(instance);
}
