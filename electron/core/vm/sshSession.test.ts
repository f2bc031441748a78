import type { AddressInfo } from 'node:net';
import { Server, utils } from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprintOfPublicKey, publicKeyBlob } from './keyStore.js';
import { HostKeyMismatchError, SshSession } from './sshSession.js';

/** A real ssh server (ssh2's) on 127.0.0.1 that accepts one client key and runs `echo`-like commands. */
async function startServer(hostPrivateKey: string, clientPublicKey: string): Promise<{ server: Server; port: number }> {
  const allowed = publicKeyBlob(clientPublicKey);
  const server = new Server({ hostKeys: [hostPrivateKey] }, (client) => {
    client.on('authentication', (context) => {
      if (context.method === 'publickey' && context.key.data.equals(allowed)) context.accept();
      else context.reject(['publickey']);
    });
    client.on('session', (accept) => {
      accept().once('exec', (acceptExec, _reject, info) => {
        const stream = acceptExec();
        stream.write(`ran: ${info.command}\n`);
        stream.stderr.write('to stderr\n');
        stream.exit(info.command === 'fail' ? 3 : 0);
        stream.end();
      });
    });
    client.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as AddressInfo).port };
}

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

describe('SshSession', () => {
  const host = utils.generateKeyPairSync('ed25519');
  const client = utils.generateKeyPairSync('ed25519');

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
    const impostor = utils.generateKeyPairSync('ed25519');
    const { server, port } = await startServer(impostor.private, client.public);
    servers.push(server);
    const error = await SshSession.connect({ host: '127.0.0.1', port, username: 'builder', privateKey: client.private, pinnedHostKeyBlob: publicKeyBlob(host.public) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HostKeyMismatchError);
    const mismatch = error as HostKeyMismatchError;
    expect(mismatch.seenFingerprint).toBe(fingerprintOfPublicKey(impostor.public));
    expect(mismatch.expectedFingerprint).toBe(fingerprintOfPublicKey(host.public));
    expect(mismatch.message).toContain('Host key mismatch');
  });

  it('fails fast when nothing listens', async () => {
    const { server, port } = await startServer(host.private, client.public);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(SshSession.connect({ host: '127.0.0.1', port, username: 'builder', privateKey: client.private, pinnedHostKeyBlob: publicKeyBlob(host.public) })).rejects.toThrow(/ECONNREFUSED/);
  });
});
