/**
 * Test fixture, run as its own process (bundled by the test): takes a state dir's instance lock
 * through the real InstanceLock, as a second `builder-bar nix apply` or a starting core would,
 * and prints one JSON line saying whether it got it.
 *
 * Usage: node lockHolderChild.mjs <lockFile> hold|try
 *   hold: keep the lock until stdin closes, then release it;
 *   try:  release it at once (if it was taken) and exit.
 */
import { InstanceLock } from '../instanceLock.js';

const [lockFile, mode] = process.argv.slice(2);
if (!lockFile || (mode !== 'hold' && mode !== 'try')) {
  process.stderr.write('usage: lockHolderChild <lockFile> hold|try\n');
  process.exit(2);
}

const result = await InstanceLock.acquire({ lockFile, coreAnswers: async () => false });
process.stdout.write(`${JSON.stringify(result.acquired ? { acquired: true, pid: process.pid } : { acquired: false, owner: result.owner })}\n`);
if (!result.acquired) process.exit(0);
const lock = result.lock;
if (mode === 'try') {
  await lock.release();
  process.exit(0);
}
process.stdin.resume();
process.stdin.on('end', () => {
  lock.release().then(() => process.exit(0), () => process.exit(1));
});
