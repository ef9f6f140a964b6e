// Post-build step: make the CLI entry executable (tsc does not set the mode bit).
import { chmodSync } from 'node:fs';
chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
