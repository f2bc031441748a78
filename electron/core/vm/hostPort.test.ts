import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { chooseHostPort, findPortHolder, isPortFree } from './hostPort.js';
import { freeLoopbackPort } from './testing/freeLoopbackPort.js';

const servers: net.Server[] = [];

/** A real listener on 127.0.0.1, on a port the OS picks. */
async function listen(port = 0): Promise<number> {
  const server = net.createServer();
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

describe('the host port', () => {
  it('sees a listening port as taken and a closed one as free', async () => {
    const port = await listen();
    expect(await isPortFree(port)).toBe(false);
    const other = await freeLoopbackPort();
    expect(await isPortFree(other)).toBe(true);
  });

  it.runIf(process.platform === 'linux')('names the process holding the port (this test runner)', async () => {
    const port = await listen();
    const holder = await findPortHolder(port);
    expect(holder?.pid).toBe(process.pid);
    expect(holder?.command.length).toBeGreaterThan(0);
  });

  it('refuses a taken port with an error naming the port and its holder', async () => {
    const port = await listen();
    const error = await chooseHostPort(port, false).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BuilderBarError);
    const builderError = error as BuilderBarError;
    expect(builderError.code).toBe('port-in-use');
    expect(builderError.message).toContain(`Port ${port} on 127.0.0.1 is in use by`);
    if (process.platform === 'linux') expect(builderError.message).toContain(`(pid ${process.pid})`);
    expect(builderError.hint).toMatch(/another host port/);
  });

  it('with auto on, picks the next free port and says why', async () => {
    const port = await listen();
    const chosen = await chooseHostPort(port, true);
    expect(chosen.port).toBeGreaterThan(port);
    expect(await isPortFree(chosen.port)).toBe(true);
    expect(chosen.note).toContain(`Port ${port} on 127.0.0.1 is in use`);
    expect(chosen.note).toContain(`Using port ${chosen.port} instead`);
  });

  it('keeps a free port as it is, with nothing to say', async () => {
    const port = await freeLoopbackPort();
    await expect(chooseHostPort(port, false)).resolves.toEqual({ port, note: null });
  });
});
