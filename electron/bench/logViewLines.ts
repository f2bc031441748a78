/**
 * The log lines the log-view benchmark streams: what a Nix build prints, with the colour
 * escapes Nix and GCC really emit (Nix's `\e[35;1m` store paths and `\e[31;1merror:`, GCC's
 * `\e[01;35m\e[K` warnings). Line `i` is always the same text, so Builder Bar's window and the
 * @xterm/xterm baseline are fed the same bytes; this module is pure so it can also be bundled
 * into the baseline page.
 */

const ESC = '\u001b';
const storePath = (hash: string, name: string) => `${ESC}[35;1m/nix/store/${hash}-${name}${ESC}[0m`;

const packages = ['hello-2.12.1', 'zlib-1.3.1', 'openssl-3.0.14', 'curl-8.9.1', 'libxml2-2.13.3', 'sqlite-3.46.0', 'python3-3.12.5', 'gnumake-4.4.1'];
const files = ['main', 'util', 'parse', 'buffer', 'hash', 'io', 'config', 'list'];
const features = ['gcc', 'a BSD-compatible install', 'whether the C compiler works', 'stdint.h', 'pthread_create in -lpthread', 'size of long'];

/** A stable Nix-base32 looking hash per package, so store paths look and weigh like real ones. */
const nixBase32 = '0123456789abcdfghijklmnpqrsvwxyz';
const hashes = packages.map((_name, index) => {
  let state = 2_654_435_761 * (index + 1);
  let hash = '';
  for (let i = 0; i < 32; i += 1) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    hash += nixBase32[state % 32];
  }
  return hash;
});

/** Line `i` of the benchmark's endless Nix build log. */
export function nixBuildLine(i: number): string {
  const which = i % packages.length;
  const pkg = packages[which]!;
  const name = pkg.replace(/-[\d.]+$/, '');
  const file = files[i % files.length]!;
  switch (i % 16) {
    case 0:
      return `building '${storePath(hashes[which]!, `${pkg}.drv`)}'...`;
    case 1:
      return `copying path '${storePath(hashes[(which + 3) % hashes.length]!, packages[(which + 3) % packages.length]!)}' from 'https://cache.nixos.org'...`;
    case 2:
    case 3:
      return `${name}> checking for ${features[i % features.length]}... yes`;
    case 4:
      return `${name}> make[2]: Entering directory '/build/${pkg}/src'`;
    case 9:
      return `${name}> ${ESC}[01m${ESC}[Ksrc/${file}.c:${(i % 900) + 10}:${(i % 40) + 1}:${ESC}[m${ESC}[K ${ESC}[01;35m${ESC}[Kwarning: ${ESC}[m${ESC}[Kunused variable '${ESC}[01m${ESC}[Ktmp${ESC}[m${ESC}[K' [${ESC}[01;35m${ESC}[K-Wunused-variable${ESC}[m${ESC}[K]`;
    case 15:
      return i % 1024 === 1023
        ? `${ESC}[31;1merror:${ESC}[0m builder for '${storePath(hashes[which]!, `${pkg}.drv`)}' failed with exit code 2`
        : `${name}> make[2]: Leaving directory '/build/${pkg}/src'`;
    default:
      return `${name}> gcc -DHAVE_CONFIG_H -I. -I.. -O2 -pipe -Wall -c src/${file}.c -o src/${file}.o   [${i}]`;
  }
}

/** The last line of a run: the benchmark waits until the view shows it. */
export function endMarkerLine(runId: string): string {
  return `builder-bar bench: end of run ${runId}`;
}

/** Lines `0 .. count-2` of the build log, then the run's end marker. */
export function benchRunLine(i: number, count: number, runId: string): string {
  return i === count - 1 ? endMarkerLine(runId) : nixBuildLine(i);
}

/** The UTF-8 bytes of a run, one newline per line: the MB/s figures count these. */
export function benchRunBytes(count: number, runId: string): number {
  const encoder = new TextEncoder();
  let bytes = 0;
  for (let i = 0; i < count; i += 1) bytes += encoder.encode(benchRunLine(i, count, runId)).length + 1;
  return bytes;
}
