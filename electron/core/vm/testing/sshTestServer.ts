/**
 * A real ssh server (ssh2's) on 127.0.0.1 for tests: it presents the given host key, accepts one
 * client key, and answers each exec with what `answer` returns. A protocol peer of ours, not a
 * fake: the client side under test speaks real ssh to it.
 */
import type { AddressInfo } from 'node:net';
import { Server } from 'ssh2';
import { publicKeyBlob } from '../keyStore.js';

export interface ExecAnswer {
  stdout: string;
  stderr?: string;
  code: number;
}

export async function startSshTestServer(
  hostPrivateKey: string,
  clientPublicKey: string,
  answer: (command: string) => ExecAnswer,
): Promise<{ server: Server; port: number }> {
  const allowed = publicKeyBlob(clientPublicKey);
  const server = new Server({ hostKeys: [hostPrivateKey] }, (client) => {
    client.on('authentication', (context) => {
      if (context.method === 'publickey' && context.key.data.equals(allowed)) context.accept();
      else context.reject(['publickey']);
    });
    client.on('session', (accept) => {
      accept().once('exec', (acceptExec, _reject, info) => {
        const stream = acceptExec();
        const reply = answer(info.command);
        stream.write(reply.stdout);
        if (reply.stderr) stream.stderr.write(reply.stderr);
        stream.exit(reply.code);
        stream.end();
      });
    });
    client.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as AddressInfo).port };
}
