/**
 * A remote build of `count` derivations as Nix streams it in internal-json (without the `@nix `
 * prefix): the list of what will be built, then each derivation built on `ssh://b` and its
 * output copied back, the `builds` progress after each. Shared by the queue's scale test and the
 * bench that measures how the queue's cost grows with a build's size.
 */
export function remoteBuildStream(count: number): string[] {
  const hash = (index: number) => index.toString(36).padStart(32, '0');
  const drv = (index: number) => `/nix/store/${hash(index)}-d${index}.drv`;
  const lines = [JSON.stringify({ action: 'msg', level: 3, msg: `these ${count} derivations will be built:` })];
  for (let index = 0; index < count; index++) lines.push(JSON.stringify({ action: 'msg', level: 3, msg: `  ${drv(index)}` }));
  lines.push(JSON.stringify({ action: 'start', id: 1, level: 0, parent: 0, text: '', type: 104 }));
  for (let index = 0; index < count; index++) {
    const [build, copy] = [2 * index + 10, 2 * index + 11];
    lines.push(
      JSON.stringify({ action: 'start', id: build, level: 3, parent: 0, text: `building '${drv(index)}'`, type: 105, fields: [drv(index), 'ssh://b', 1, 1] }),
      JSON.stringify({ action: 'result', id: build, type: 101, fields: ['building'] }),
      JSON.stringify({ action: 'start', id: copy, level: 4, parent: build, text: 'copying', type: 100, fields: [`/nix/store/${hash(index + count)}-d${index}`, 'ssh://b', 'local'] }),
      JSON.stringify({ action: 'stop', id: copy }),
      JSON.stringify({ action: 'result', id: 1, type: 105, fields: [index + 1, count + 1, 0, 0] }),
      JSON.stringify({ action: 'stop', id: build }),
    );
  }
  return lines;
}
