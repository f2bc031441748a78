/**
 * Work the caller does not wait for (a timer's check, a wake-up's recompute) still has to say
 * what happens when it fails: `inBackground` reports the failure, with what was being done, to
 * the caller's log. Without it a rejection is either lost or, under plain Node, ends `serve`.
 */
export type FailureReport = (text: string) => void;

export function inBackground(work: Promise<unknown>, what: string, report: FailureReport): void {
  work.catch((error: unknown) => {
    report(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
  });
}
