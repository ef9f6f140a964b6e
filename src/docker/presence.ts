// Whether a Docker engine can be there at all, answered without loading the Docker client:
// dockerode and its dependencies take ~0.3 s to load (seconds under CPU emulation), and a
// netns-only command (validate, up, down of a netns lab) should not pay for them.
import { existsSync } from 'node:fs';

/**
 * False only when no engine can answer: DOCKER_HOST is unset and the default socket does
 * not exist. True means "ask it" (engineAvailable in ./engine.js pings it).
 */
export function engineMayBePresent(): boolean {
  return process.env.DOCKER_HOST !== undefined || existsSync('/var/run/docker.sock');
}

/** engineAvailable, loading the Docker client only when an engine can be there. */
export async function engineAnswers(): Promise<boolean> {
  if (!engineMayBePresent()) return false;
  const { engineAvailable } = await import('./engine.js');
  return engineAvailable();
}
