import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { firstSshGreeting, sshGreeting } from './readiness.js';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

/** A loopback server behaving like one phase of a booting guest behind QEMU's user network. */
async function serve(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  return (server.address() as net.AddressInfo).port;
}

describe('the ssh greeting probe', () => {
  it('passes once sshd sends its identification, even after other lines', async () => {
    const port = await serve((socket) => socket.write('a pre-banner line\r\nSSH-2.0-dropbear_2022.83\r\n'));
    const greeted = await sshGreeting(port, 1_000);
    expect(greeted.line).toBe('SSH-2.0-dropbear_2022.83');
    greeted.socket.destroy();
  });

  it('hands over the open connection with every byte read so far put back, for the login to reuse', async () => {
    // The greeting and the start of the key exchange arrive in one chunk, then more follows.
    const kexStart = Buffer.from([0, 0, 1, 4, 10, 20, 0xff, 0x80]);
    const port = await serve((socket) => {
      socket.write(Buffer.concat([Buffer.from('SSH-2.0-dropbear_2022.83\r\n'), kexStart]));
      socket.on('data', (data) => socket.end(Buffer.concat([Buffer.from('echo:'), data])));
    });
    const { socket } = await sshGreeting(port, 1_000);
    const read: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => read.push(chunk));
    const ended = new Promise((resolve) => socket.once('end', resolve));
    socket.resume();
    socket.write('client-ident');
    await ended;
    expect(Buffer.concat(read)).toEqual(Buffer.concat([Buffer.from('SSH-2.0-dropbear_2022.83\r\n'), kexStart, Buffer.from('echo:client-ident')]));
    socket.destroy();
  });

  it('keeps a greeted connection that is reset before it is handed on from crashing the process', async () => {
    const port = await serve((socket) => {
      socket.write('SSH-2.0-dropbear_2022.83\r\n', () => setTimeout(() => socket.resetAndDestroy(), 20));
    });
    const { socket } = await sshGreeting(port, 1_000);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.resume();
    await closed;
    expect(socket.destroyed).toBe(true);
  });

  it('fails fast on a connection that is accepted and then closed (guest port not listening yet)', async () => {
    const port = await serve((socket) => socket.end());
    const started = Date.now();
    await expect(sshGreeting(port, 5_000)).rejects.toThrow(/closed before the ssh greeting/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('gives up on a connection that is accepted and then stays silent (guest network not up yet)', async () => {
    const sockets: net.Socket[] = [];
    const port = await serve((socket) => sockets.push(socket));
    await expect(sshGreeting(port, 200)).rejects.toThrow(/no greeting within 200 ms/);
    for (const socket of sockets) socket.destroy();
  });

  it('refuses a server that is not ssh', async () => {
    const port = await serve((socket) => socket.write('HTTP/1.1 400 Bad Request\r\n'.repeat(400)));
    await expect(sshGreeting(port, 2_000)).rejects.toThrow(/no ssh identification/);
  });
});

describe('staggered greeting probes', () => {
  it('sees sshd within one stagger interval even while an older connection hangs', async () => {
    // The first connection hangs (guest network not up), later ones greet (sshd up).
    let connections = 0;
    const sockets: net.Socket[] = [];
    const port = await serve((socket) => {
      connections += 1;
      if (connections === 1) sockets.push(socket);
      else socket.write('SSH-2.0-OpenSSH_9.2\r\n');
    });
    const started = Date.now();
    const greeted = await firstSshGreeting(port, { windowMs: 3_000, staggerMs: 100 });
    expect(greeted.line).toBe('SSH-2.0-OpenSSH_9.2');
    greeted.socket.destroy();
    expect(Date.now() - started).toBeLessThan(1_000);
    for (const socket of sockets) socket.destroy();
  });

  it('gives up at the end of the window when every connection is refused', async () => {
    const port = await serve((socket) => socket.end());
    const started = Date.now();
    await expect(firstSshGreeting(port, { windowMs: 400, staggerMs: 100 })).rejects.toThrow(/closed before the ssh greeting/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
