/**
 * A wiring file that is a symbolic link (nix-darwin's /etc/nix/nix.conf -> /etc/static/...) is
 * never replaced or written through: plan says why and shows the nix-darwin configuration,
 * apply writes nothing, remove leaves the link. Exercised on a config directory, whose files
 * a test can make links.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WiringPlanViewSchema } from '../../ipc/contract.js';
import { applyWiring, removeWiring } from './applyWiring.js';
import { planWiring } from './planWiring.js';
import { wiringPlanView } from './planView.js';
import { linkProblemMessage } from './wiringLinks.js';
import { readWiringRecord } from './wiringRecord.js';
import type { WiringTarget } from './wiringTarget.js';
import { testBuilder, TEST_CLIENT_KEY, wiringSandbox, type WiringSandbox } from './testing/wiringFixtures.js';

const builder = testBuilder({ systems: ['aarch64-linux'], maxJobs: 4, supportedFeatures: ['big-parallel'] });
const clientPrivateKey = TEST_CLIENT_KEY;
const managed = '# WARNING: this file is generated from the nix.* options in\n# your nix-darwin configuration. Do not edit it!\nbuild-users-group = nixbld\n';

let sandbox: WiringSandbox;
let root: string;
let stateDir: string;
let confDir: string;
let staticDir: string;
let target: WiringTarget;

beforeEach(async () => {
  sandbox = await wiringSandbox('bb-links-');
  ({ root, stateDir, confDir } = sandbox);
  // Stands in for /etc/static: where nix-darwin's links point.
  staticDir = path.join(root, 'static');
  await fs.mkdir(staticDir);
  await fs.writeFile(path.join(staticDir, 'nix.conf'), managed);
  target = { kind: 'confDir', dir: confDir };
});
afterEach(() => sandbox.remove());

const plan = async () =>
  planWiring({ target, builder, clientPrivateKey, clientKeySource: '/state/keys/client_ed25519', record: await readWiringRecord(stateDir) });

/** Every entry of the conf dir with what it is: a link and where it points, or a file's bytes. */
async function snapshot(): Promise<Record<string, string>> {
  const entries: Record<string, string> = {};
  for (const name of (await fs.readdir(confDir)).sort()) {
    const file = path.join(confDir, name);
    const stat = await fs.lstat(file);
    entries[name] = stat.isSymbolicLink() ? `-> ${await fs.readlink(file)}` : await fs.readFile(file, 'utf8');
  }
  return entries;
}

describe('a wiring file that is a symbolic link', () => {
  it('plan plans no file, says why, and carries the nix-darwin configuration with the same values', async () => {
    await fs.symlink(path.join(staticDir, 'nix.conf'), path.join(confDir, 'nix.conf'));
    const planned = await plan();
    expect(planned.files).toEqual([]);
    expect(planned.changes).toBe(false);
    expect(planned.problems).toHaveLength(1);
    expect(planned.problems[0]!.path).toBe(path.join(confDir, 'nix.conf'));
    expect(planned.problems[0]!.message).toContain(`is a symbolic link to ${path.join(staticDir, 'nix.conf')}`);
    expect(planned.problems[0]!.message).toContain('never replaces a link or writes through it');
    expect(planned.summary).toContain('is a symbolic link');
    const config = planned.nixDarwinConfig ?? '';
    for (const expected of [
      'nix.distributedBuilds = true;',
      'hostName = "builder-bar-linux";',
      'sshUser = "builder";',
      `sshKey = "${path.join(confDir, 'builder-bar_ed25519')}";`,
      'systems = [ "aarch64-linux" ];',
      'maxJobs = 4;',
      'supportedFeatures = [ "big-parallel" ];',
      'nix.settings.builders-use-substitutes = true;',
      'environment.etc."ssh/ssh_config.d/100-builder-bar.conf".text',
      '      Port 31022',
      `      IdentityFile ${path.join(confDir, 'builder-bar_ed25519')}`,
      '      StrictHostKeyChecking yes',
    ]) {
      expect(config).toContain(expected);
    }
    // The view a door sends carries it, and it is never the key.
    const view = wiringPlanView(planned);
    expect(view.nixDarwinConfig).toBe(config);
    expect(WiringPlanViewSchema.safeParse(view).success).toBe(true);
    expect(JSON.stringify(view)).not.toContain('not-a-real-key');
  });

  it("says nix-darwin manages a link into /etc/static, and what darwin-rebuild does with a plain file there", async () => {
    // Dangling here, as /etc/static only exists on a nix-darwin Mac: still a link, still never replaced.
    await fs.symlink('/etc/static/nix/nix.conf', path.join(confDir, 'nix.conf'));
    const [problem] = (await plan()).problems;
    expect(problem?.message).toContain('nix-darwin manages this file');
    expect(problem?.message).toContain('undone by the next darwin-rebuild');
    expect(problem?.message).toContain('makes darwin-rebuild abort ("Unexpected files in /etc")');
    expect(linkProblemMessage({ path: '/etc/nix/nix.conf', target: '/nix/store/abc-home-manager-files/nix.conf' })).toContain('nix-darwin or home-manager manages this file');
  });

  it('apply refuses and changes no byte: the link stays a link, its target keeps its bytes, nothing else appears', async () => {
    await fs.symlink(path.join(staticDir, 'nix.conf'), path.join(confDir, 'nix.conf'));
    const before = await snapshot();
    await expect(applyWiring(await plan(), stateDir)).rejects.toMatchObject({ code: 'wiring-refused' });
    expect(await snapshot()).toEqual(before);
    expect(await fs.readFile(path.join(staticDir, 'nix.conf'), 'utf8')).toBe(managed);
    expect(await readWiringRecord(stateDir)).toBeNull();
  });

  it('apply refuses a link made after the plan read the files, even a dangling one, and writes nothing', async () => {
    const planned = await plan();
    expect(planned.problems).toEqual([]);
    await fs.symlink('/etc/static/nix/machines', path.join(confDir, 'machines'));
    await expect(applyWiring(planned, stateDir)).rejects.toMatchObject({ code: 'wiring-refused' });
    expect(await snapshot()).toEqual({ machines: '-> /etc/static/nix/machines' });
    expect(await readWiringRecord(stateDir)).toBeNull();
  });

  it('remove after an apply made before the links existed leaves each link as it is and keeps the original', async () => {
    const original = 'trusted-users = root alice\n';
    await fs.writeFile(path.join(confDir, 'nix.conf'), original);
    await applyWiring(await plan(), stateDir);
    // nix-darwin takes over: it moves the plain file aside and links its own; the user also put
    // the ssh alias in nix-darwin, so the file Builder Bar created is now a link too.
    await fs.rename(path.join(confDir, 'nix.conf'), path.join(confDir, 'nix.conf.before-nix-darwin'));
    await fs.symlink(path.join(staticDir, 'nix.conf'), path.join(confDir, 'nix.conf'));
    await fs.writeFile(path.join(staticDir, 'ssh_config'), 'Host builder-bar-linux\n');
    await fs.rm(path.join(confDir, 'ssh_config'));
    await fs.symlink(path.join(staticDir, 'ssh_config'), path.join(confDir, 'ssh_config'));

    const result = await removeWiring(stateDir);
    const after = await snapshot();
    expect(after['nix.conf']).toBe(`-> ${path.join(staticDir, 'nix.conf')}`);
    expect(after['ssh_config']).toBe(`-> ${path.join(staticDir, 'ssh_config')}`);
    expect(await fs.readFile(path.join(staticDir, 'nix.conf'), 'utf8')).toBe(managed);
    // What Builder Bar created and still owns as plain files is gone; nix-darwin's leftover is the user's.
    expect(Object.keys(after)).toEqual(['nix.conf', 'nix.conf.before-nix-darwin', 'ssh_config']);
    expect(result.restored).toEqual([]);
    const nixConfNote = result.notes.find((note) => note.startsWith(path.join(confDir, 'nix.conf')));
    expect(nixConfNote).toContain('Builder Bar left the link as it is');
    // The file as it was before apply is not lost: the note names where it is kept.
    const kept = /kept at (\S+)\.$/.exec(nixConfNote ?? '')?.[1];
    expect(kept && (await fs.readFile(kept, 'utf8'))).toBe(original);
    expect(await readWiringRecord(stateDir)).toBeNull();
  });
});
