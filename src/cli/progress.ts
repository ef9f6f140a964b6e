// Progress for slow commands: an ora spinner per stage on a terminal, plain timestamped
// lines otherwise (CI logs), nothing on stdout in --json mode (progress goes to stderr).
import ora, { type Ora } from 'ora';
import type { UpEvents } from '../lab/up.js';

export function progressReporter(opts: { json: boolean; quiet?: boolean }): UpEvents {
  const stream = process.stderr;
  const tty = stream.isTTY && !opts.json;
  const started = Date.now();
  const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`;
  let spinner: Ora | undefined;
  if (opts.quiet) return { stageStart() {}, stageDone() {}, stageFail() {}, notice: (t) => stream.write(`${t}\n`) };
  return {
    stageStart(_id, text) {
      if (tty) spinner = ora({ text, stream }).start();
      else stream.write(`${stamp()} ${text} ...\n`);
    },
    stageDone(_id, text) {
      if (tty && spinner) spinner.succeed(text);
      else stream.write(`${stamp()} ok: ${text}\n`);
      spinner = undefined;
    },
    stageFail(_id, text) {
      if (tty && spinner) spinner.fail(text);
      else stream.write(`${stamp()} FAILED: ${text}\n`);
      spinner = undefined;
    },
    notice(text) {
      if (tty && spinner) spinner.stopAndPersist({ symbol: '!' });
      stream.write(`\n${text}\n\n`);
    },
  };
}
