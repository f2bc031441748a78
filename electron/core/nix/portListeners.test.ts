import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { netstatListeners, portListened, procListeners, realSocketTables, type SocketTables } from './portListeners.js';

/** A real listener that counts every connection reaching it. */
async function countingListener(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return { port, connections: () => connections, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

// Recorded on macOS 14 (`netstat -an -p tcp`): nixpkgs' builder on all interfaces, a browser's connection.
const macNetstat = `Active Internet connections (including servers)
Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)
tcp4       0      0  192.168.1.23.52811     17.57.146.20.5223      ESTABLISHED
tcp46      0      0  *.31022                *.*                    LISTEN
tcp4       0      0  127.0.0.1.31022        127.0.0.1.52900        TIME_WAIT
tcp6       0      0  ::1.8080               *.*                    LISTEN
`;

describe('portListened', () => {
  it('sees a real listener in the socket table, and the listener sees no connection', async () => {
    const listener = await countingListener();
    try {
      expect(await portListened(listener.port)).toBe(true);
      expect(await portListened(listener.port)).toBe(true);
      expect(listener.connections()).toBe(0);
    } finally {
      await listener.close();
    }
    expect(await portListened(listener.port)).toBe(false);
  });

  it("reads macOS netstat: a LISTEN socket on the port (any address) counts, someone's connection to it does not", () => {
    expect(netstatListeners(macNetstat, 31022)).toBe(1);
    expect(netstatListeners(macNetstat, 8080)).toBe(1);
    expect(netstatListeners(macNetstat, 5223)).toBe(0);
    expect(netstatListeners(macNetstat, 52811)).toBe(0);
  });

  it('reads /proc/net/tcp: only state 0A (LISTEN) on the hex port', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:792E 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:792F 0100007F:A0B2 01 00000000:00000000 00:00000000 00000000     0        0 4243 1 0000000000000000 20 4 30 10 -1',
    ].join('\n');
    expect(procListeners([table], 31022)).toBe(1);
    expect(procListeners([table], 31023)).toBe(0); // only a connection from it
    expect(procListeners([table], 31024)).toBe(0);
  });

  it('on macOS asks netstat; where no table answers, tries to bind instead (still no connection)', async () => {
    const asked: string[] = [];
    const tables = (platform: NodeJS.Platform, netstat: string | null): SocketTables => ({
      platform,
      procNetTcp: async () => (asked.push('proc'), null),
      netstat: async () => (asked.push('netstat'), netstat),
      bindable: async () => (asked.push('bind'), false),
    });
    expect(await portListened(31022, tables('darwin', macNetstat))).toBe(true);
    expect(asked).toEqual(['netstat']);
    asked.length = 0;
    expect(await portListened(31022, tables('darwin', null))).toBe(true);
    expect(asked).toEqual(['netstat', 'bind']);
    asked.length = 0;
    expect(await portListened(31022, tables('linux', null))).toBe(true);
    expect(asked).toEqual(['proc', 'bind']);
  });

  it('the bind fallback finds a real listener without connecting to it', async () => {
    const listener = await countingListener();
    try {
      const bindOnly: SocketTables = { ...realSocketTables(), procNetTcp: async () => null, netstat: async () => null };
      expect(await portListened(listener.port, bindOnly)).toBe(true);
      expect(listener.connections()).toBe(0);
    } finally {
      await listener.close();
    }
  });
});
