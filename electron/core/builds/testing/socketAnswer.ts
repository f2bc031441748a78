/**
 * How a unix socket answers a client, as Nix's connect would meet it: 'connected', or the error
 * code (ECONNREFUSED for a dead socket file nobody listens on, ENOENT for none at all).
 */
import net from 'node:net';

export function socketAnswer(file: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(file);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}
