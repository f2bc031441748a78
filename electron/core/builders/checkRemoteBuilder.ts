/**
 * One health check of a remote builder: connect with its pinned host key and the user's key,
 * and ask Nix for its version. The answer says, in words, which of the things users trip over
 * failed (unreachable, key refused, host key changed, no Nix on PATH) and what to do.
 */
import type { RemoteBuilder, RemoteBuilderHealth } from '../../ipc/contract.js';
import { fingerprintOfPublicKey, publicKeyBlob } from '../vm/keyStore.js';
import { HostKeyMismatchError, SshSession } from '../vm/sshSession.js';
import { readKeyFile } from './readKeyFile.js';

export interface CheckOptions {
  timeoutMs?: number;
  now?: () => number;
}

export async function checkRemoteBuilder(builder: RemoteBuilder, options: CheckOptions = {}): Promise<RemoteBuilderHealth> {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const started = performance.now();
  const result = (state: RemoteBuilderHealth['state'], message: string, nixVersion: string | null = null): RemoteBuilderHealth => ({
    id: builder.id,
    state,
    message,
    nixVersion,
    latencyMs: state === 'ok' ? Math.round(performance.now() - started) : null,
    checkedAt: now(),
  });
  const where = `${builder.user}@${builder.host}:${builder.port}`;

  let privateKey: string;
  try {
    privateKey = await readKeyFile(builder.sshKey);
  } catch (error) {
    return result('auth-failed', `Cannot read the ssh key ${builder.sshKey}: ${(error as Error).message}. Point the builder at a readable private key.`);
  }
  let pinned: Buffer;
  try {
    pinned = publicKeyBlob(builder.hostKey);
  } catch (error) {
    return result('host-key-mismatch', `The pinned host key is not usable (${(error as Error).message}). Get it again with: ssh-keyscan -t ed25519 -p ${builder.port} ${builder.host}`);
  }

  let session: SshSession;
  try {
    session = await SshSession.connect(
      { host: builder.host, port: builder.port, username: builder.user, privateKey, pinnedHostKeyBlob: pinned },
      { readyTimeoutMs: timeoutMs },
    );
  } catch (error) {
    if (error instanceof HostKeyMismatchError) {
      return result(
        'host-key-mismatch',
        `${where} presented host key ${error.seenFingerprint}, not the pinned ${fingerprintOfPublicKey(builder.hostKey)}. ` +
          'If the builder was reinstalled, check its key out of band and pin the new one; otherwise someone may be impersonating it.',
      );
    }
    const text = (error as Error).message;
    if (/authentication methods failed|permission denied/i.test(text)) {
      return result('auth-failed', `${where} refused the key ${builder.sshKey}. Add its public key to ~${builder.user}/.ssh/authorized_keys on the builder.`);
    }
    return result('unreachable', `Cannot reach ${where}: ${text}. Check that the machine is up and that ssh listens on port ${builder.port}.`);
  }

  try {
    const answer = await session.exec('nix-store --version', { timeoutMs });
    const version = answer.stdout.trim().split('\n')[0] ?? '';
    if (answer.code !== 0 || version === '') {
      return result(
        'no-nix',
        `${where} answers ssh, but nix-store --version failed (${answer.stderr.trim() || `exit ${answer.code}`}). ` +
          `Install Nix there and make sure a non-interactive ssh session of ${builder.user} finds it on PATH.`,
      );
    }
    return result('ok', `${where} is ready: ${version}.`, version);
  } catch (error) {
    return result('unreachable', `${where} dropped the connection during the check: ${(error as Error).message}.`);
  } finally {
    session.close();
  }
}
