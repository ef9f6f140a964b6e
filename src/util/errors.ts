// Exit codes mean something to scripts and graders: keep them stable and documented
// (README "Exit codes").
export const EXIT = {
  ok: 0,
  /** Something failed while running (a daemon did not start, a command failed). */
  failure: 1,
  /** Bad command line or an invalid lab/experiment file: nothing was changed. */
  invalidInput: 2,
  /** The host lacks something lvslab needs (not root, missing package): nothing was changed. */
  hostNotReady: 3,
  /** The lab came up but did not become ready before the deadline (it was rolled back). */
  notReady: 4,
  /** The named lab instance does not exist. */
  notFound: 5,
  /** The lab host (--host) could not be reached over SSH, or refused it (unknown host key, no key accepted): nothing was changed. */
  hostUnreachable: 6,
  /** `workshop grade`: at least one check failed (or a student's lab was not up to be checked). */
  checkFailed: 7,
  /** `workshop grade`: no check could be evaluated (no checks, or none of them usable). */
  noUsableChecks: 8,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error meant for the user: its message is printed as is, without a stack trace. */
export class LvslabError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failure,
    /** Optional hint printed after the message ("run scripts/install-deps.sh"). */
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'LvslabError';
  }
}
