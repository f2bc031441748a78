// What readiness says when the guest's sshd keeps refusing the key: real files with real owners
// (tests run as root, so they can hand a directory to uid 501 as a Mac user's would be), and a
// real ssh server (ssh2's) refusing a real login.
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Server } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEd25519KeyPair } from './ed25519KeyPair.js';
import { publicKeyBlob } from './keyStore.js';
import type { KeysShare } from './profile.js';
import { isAuthRefusal, keysShareVerdict } from './readinessKeysShare.js';
import { SshSession } from './sshSession.js';

let root: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'bb-keys-verdict-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** A keys dir as the host holds it: builder_ed25519.pub with the given owners and modes. */
async function keysDir(name: string, dir: { uid: number; mode: number }, file: { uid: number; mode: number }): Promise<KeysShare> {
  const hostDir = path.join(root, name);
  await fs.mkdir(hostDir);
  await fs.writeFile(path.join(hostDir, 'builder_ed25519.pub'), 'ssh-ed25519 AAAA test\n');
  await fs.chown(path.join(hostDir, 'builder_ed25519.pub'), file.uid, 20);
  await fs.chmod(path.join(hostDir, 'builder_ed25519.pub'), file.mode);
  await fs.chown(hostDir, dir.uid, 20);
  await fs.chmod(hostDir, dir.mode);
  return { hostDir, guestDir: '/var/keys', keyFile: 'builder_ed25519.pub' };
}

describe('the keys share verdict', () => {
  it('names the uid the guest sees when the share is a user\'s directory (upstream\'s old ./keys on a Mac), and the way out', async () => {
    const share = await keysDir('user-owned', { uid: 501, mode: 0o755 }, { uid: 501, mode: 0o644 });
    const verdict = await keysShareVerdict(share);
    expect(verdict?.message).toBe(
      `The guest's sshd (StrictModes) refused /var/keys/builder_ed25519.pub, which the guest sees owned by uid 501: `
      + `the keys share shows the guest the owners on this machine, and ${path.join(share.hostDir, 'builder_ed25519.pub')} belongs to uid 501 here.`,
    );
    expect(verdict?.hint).toMatch(/root-owned, through the Nix store \(nix-store --add .*create-builder/);
  });

  it('names the directory when only the directory is someone else\'s', async () => {
    const share = await keysDir('dir-user-owned', { uid: 501, mode: 0o755 }, { uid: 0, mode: 0o444 });
    expect((await keysShareVerdict(share))?.message).toMatch(/refused \/var\/keys\/builder_ed25519\.pub, whose directory \/var\/keys the guest sees owned by uid 501/);
  });

  it('names a root-owned key file that others can write', async () => {
    const share = await keysDir('writable', { uid: 0, mode: 0o555 }, { uid: 0, mode: 0o666 });
    expect((await keysShareVerdict(share))?.message).toMatch(/writable by group or others \(mode 0666 of /);
  });

  it('follows the VM dir\'s link to the share, as the store path is reached', async () => {
    const share = await keysDir('linked-target', { uid: 501, mode: 0o755 }, { uid: 501, mode: 0o644 });
    const link = path.join(root, 'keys-share');
    await fs.symlink(share.hostDir, link);
    expect((await keysShareVerdict({ ...share, hostDir: link }))?.message).toContain('owned by uid 501');
  });

  it('says the key file is missing on the host', async () => {
    const share: KeysShare = { hostDir: path.join(root, 'gone'), guestDir: '/var/keys', keyFile: 'builder_ed25519.pub' };
    expect((await keysShareVerdict(share))?.message).toMatch(/\/var\/keys\/builder_ed25519\.pub does not exist, because .*gone\/builder_ed25519\.pub is missing/);
  });

  it('has nothing to say of a share as the Nix store hands it in (root-owned, read-only): the refusal has another cause', async () => {
    const share = await keysDir('store-like', { uid: 0, mode: 0o555 }, { uid: 0, mode: 0o444 });
    expect(await keysShareVerdict(share)).toBeNull();
  });
});

describe('an ssh login the server refuses', () => {
  let server: Server;
  let port: number;
  const hostKey = generateEd25519KeyPair('refusing server');

  beforeAll(async () => {
    server = new Server({ hostKeys: [hostKey.private] }, (client) => {
      client.on('authentication', (context) => context.reject(['publickey']));
      client.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const connect = (to: number) => SshSession.connect({
    host: '127.0.0.1', port: to, username: 'builder', privateKey: generateEd25519KeyPair().private, pinnedHostKeyBlob: publicKeyBlob(hostKey.public),
  }, { readyTimeoutMs: 10_000 });

  it('is told apart from other failures', async () => {
    const refused = await connect(port).then(() => null, (error: unknown) => error);
    expect(isAuthRefusal(refused)).toBe(true);
    const closedPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const free = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(free));
      });
    });
    const unreachable = await connect(closedPort).then(() => null, (error: unknown) => error);
    expect(unreachable).toBeInstanceOf(Error);
    expect(isAuthRefusal(unreachable)).toBe(false);
  });
});
