// Argument arrays as one command line for the remote user's POSIX shell (sshd hands an
// exec request's text to `$SHELL -c`): the only place lvslab makes shell text from words.
import { LvslabError } from '../../util/errors.js';

/** Words needing no quotes: nothing any POSIX shell treats specially. */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One word for a POSIX shell: itself when plain, else single-quoted with each ' as '\''. */
export function quoteWord(word: string): string {
  if (word.includes('\0')) throw new LvslabError('an argument for the remote host contains a NUL byte, which no command line can carry');
  if (word !== '' && PLAIN.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** argv as a command line that a POSIX shell splits back into exactly these words, and runs without expanding any of them. */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('quoteArgv: empty argv');
  return argv.map(quoteWord).join(' ');
}
