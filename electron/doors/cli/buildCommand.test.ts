import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTargetFrom } from './buildCommand.js';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'bb-build-target-'));
  await writeFile(path.join(cwd, 'job.nix'), '{}\n');
});
afterAll(() => rm(cwd, { recursive: true, force: true }));

describe('buildTargetFrom', () => {
  it('makes a path a file, relative to the working directory, whether or not it is there (the core says when it is not)', () => {
    expect(buildTargetFrom('job.nix', 'hello', cwd)).toEqual({ kind: 'file', file: path.join(cwd, 'job.nix'), attr: 'hello' });
    expect(buildTargetFrom('./jbo.nix', undefined, cwd)).toEqual({ kind: 'file', file: path.join(cwd, 'jbo.nix') });
    expect(buildTargetFrom('/no/such/dir', undefined, cwd)).toEqual({ kind: 'file', file: '/no/such/dir' });
  });

  it('leaves flake references, store paths and derivation outputs to Nix as installables', () => {
    expect(buildTargetFrom('nixpkgs#hello', undefined, cwd)).toEqual({ kind: 'installable', installable: 'nixpkgs#hello' });
    expect(buildTargetFrom('./flake#app', undefined, cwd)).toEqual({ kind: 'installable', installable: './flake#app' });
    expect(buildTargetFrom('.', 'app', cwd)).toEqual({ kind: 'installable', installable: '.#app' });
    const drv = '/nix/store/00000000000000000000000000000000-hello.drv^out';
    expect(buildTargetFrom(drv, undefined, cwd)).toEqual({ kind: 'installable', installable: drv });
    const store = '/nix/store/00000000000000000000000000000000-hello';
    expect(buildTargetFrom(store, undefined, cwd)).toEqual({ kind: 'installable', installable: store });
  });
});
