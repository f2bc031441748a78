/**
 * The guest's clock against the host's. A restored guest wakes with the time of its snapshot, a
 * guest whose QEMU was paused (SIGSTOP, a host asleep) may lag; Nix compares mtimes and TLS checks
 * certificates' dates, so the offset is measured with every stats sample (and so right after each
 * readiness check), shown in the status, and set right from the host over the control port when
 * it exceeds CLOCK_TOLERANCE_MS (guestControl.ts; `builder` cannot set the clock itself).
 *
 * Measured over ssh: the guest prints its time between two host readings; the offset is taken
 * against their midpoint, so its error is at most half the round trip. `date +%s.%N` where it
 * knows %N (GNU, on nixpkgs' builder), else busybox `adjtimex`, which reads the kernel's time to
 * the microsecond or nanosecond (STA_NANO) without privileges.
 */

/**
 * Beyond this the clock is set from the host. A restore's `go` sets it to the rounded second
 * (within 0.5 s); the first stats sample, right after readiness, then sets it on a second's edge.
 */
export const CLOCK_TOLERANCE_MS = 250;

export const CLOCK_SEPARATOR = '--builder-bar-clock--';

/** Prints the guest's time; parsed by `parseGuestTimeMs`. `adjtimex` only where date lacks %N. */
export const guestClockCommand =
  `echo ${CLOCK_SEPARATOR}; t=$(date +%s.%N); case "$t" in *.[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]) echo "$t" ;; `
  + `*) adjtimex 2>/dev/null | grep -E 'tv_sec|tv_usec|status' || true ;; esac`;

/** The guest's time in ms since the epoch from `guestClockCommand`'s output, or null. */
export function parseGuestTimeMs(output: string): number | null {
  const lines = output.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const date = /^(\d+)\.(\d{9})$/.exec(lines[0] ?? '');
  if (date?.[1] && date[2]) return Number(date[1]) * 1000 + Number(date[2]) / 1e6;
  const field = (name: string): number | null => {
    const match = new RegExp(`${name}:\\s+(\\d+)`).exec(output);
    return match?.[1] ? Number(match[1]) : null;
  };
  const seconds = field('tv_sec');
  const fraction = field('tv_usec');
  const status = field('status');
  if (seconds === null || fraction === null) return null;
  // STA_NANO (0x2000): the kernel reports nanoseconds in the field named tv_usec.
  const nano = status !== null && (status & 0x2000) !== 0;
  return seconds * 1000 + (nano ? fraction / 1e6 : fraction / 1e3);
}

/** Guest minus host, in ms (positive: the guest is ahead), rounded. */
export function clockOffsetMs(guestMs: number, hostBeforeMs: number, hostAfterMs: number): number {
  return Math.round(guestMs - (hostBeforeMs + hostAfterMs) / 2);
}
