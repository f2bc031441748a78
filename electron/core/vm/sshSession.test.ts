import type { Server } from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprintOfPublicKey, publicKeyBlob } from './keyStore.js';
import { sshGreeting } from './readiness.js';
import { HostKeyMismatchError, SshSession } from './sshSession.js';
import { startSshTestServer } from './testing/sshTestServer.js';
import { generateEd25519KeyPair } from './ed25519KeyPair.js';

/** Answers `ran: <command>` with a line on stderr; `fail` exits 3. */
function startServer(hostPrivateKey: string, clientPublicKey: string) {
  return startSshTestServer(hostPrivateKey, clientPublicKey, (command) => ({
    stdout: `ran: ${command}\n`,
    stderr: 'to stderr\n',
    code: command === 'fail' ? 3 : 0,
  }));
}

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

describe('SshSession', () => {
  const host = generateEd25519KeyPair();
  const client = generateEd25519KeyPair();

  it('connects when the guest presents the pinned key and runs commands with their exit codes', async () => {
    const { server, port } = await startServer(host.private, client.public);
    servers.push(server);
    const session = await SshSession.connect({ host: '127.0.0.1', port, username: 'builder', privateKey: client.private, pinnedHostKeyBlob: publicKeyBlob(host.public) });
    await expect(session.exec('uname -a')).resolves.toEqual({ stdout: 'ran: uname -a\n', stderr: 'to stderr\n', code: 0 });
    await expect(session.exec('fail')).resolves.toMatchObject({ code: 3 });
    const closed = new Promise<void>((resolve) => session.onClose(resolve));
    session.close();
    await closed;
    await expect(session.exec('true')).rejects.toThrow(/closed/);
  });

  it('refuses a guest presenting any other host key, naming both fingerprints', async () => {
    const impostor = generateEd25519KeyPair();
    const { server, port } = await startServer(impostor.private, client.public);
    servers.push(server);
    const error = await SshSession.connect({ host: '127.0.0.1', port, username: 'builder', privateKey: client.private, pinnedHostKeyBlob: publicKeyBlob(host.public) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HostKeyMismatchError);
    const mismatch = error as HostKeyMismatchError;
    expect(mismatch.seenFingerprint).toBe(fingerprintOfPublicKey(impostor.public));
    expect(mismatch.expectedFingerprint).toBe(fingerprintOfPublicKey(host.public));
    expect(mismatch.message).toContain('Host key mismatch');
  });

  it('logs in over the connection the readiness probe saw greet, with its greeting put back', async () => {
    const { server, port } = await startServer(host.private, client.public);
    servers.push(server);
    let connections = 0;
    server.on('connection', () => (connections += 1));
    const greeted = await sshGreeting(port, 5_000);
    expect(greeted.line).toMatch(/^SSH-2\.0-/);
    const session = await SshSession.connect(
      { host: '127.0.0.1', port: 1, username: 'builder', privateKey: client.private, pinnedHostKeyBlob: publicKeyBlob(host.public) },
      { socket: greeted.socket },
    );
    await expect(session.exec('true')).resolves.toMatchObject({ stdout: 'ran: true\n', code: 0 });
    // One connection in all: the port given in the target (1, where nothing listens) was not used.
    expect(connections).toBe(1);
    session.close();
  });

  it('fails fast when nothing listens', async () => {
    const { server, port } = await startServer(host.private, client.public);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(SshSession.connect({ host: '127.0.0.1', port, username: 'builder', privateKey: client.private, pinnedHostKeyBlob: publicKeyBlob(host.public) })).rejects.toThrow(/ECONNREFUSED/);
  });
});
