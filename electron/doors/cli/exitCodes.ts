/** The CLI's exit codes, as `builder-bar --help` documents them. */
export const ExitCode = {
  ok: 0,
  /** The operation was tried and failed (the builder did not start, a timeout, the core went away). */
  failed: 1,
  /** The command line or a value was refused (unknown option, invalid setting). */
  usage: 2,
  /** No core is running for this state dir. */
  noCore: 3,
  /** Ctrl-C while waiting or following (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
