/**
 * The initrd one boot of the linux-test guest uses: the cached base initramfs followed by a
 * small newc archive holding this boot's configuration. The kernel unpacks concatenated
 * archives in order, so /etc/builder-bar/* from the second one lands in the guest's root.
 * The result holds the guest's host private key: mode 0600, written atomically, in the VM dir.
 */
import { copyAndAppendAtomic } from '../../util/atomicWrite.js';
import { newcArchive } from './newcArchive.js';

export interface BootConfiguration {
  /** OpenSSH public key line the guest's root accepts. */
  clientPublicKey: string;
  /** The guest's host private key, OpenSSH format (the guest converts it for dropbear). */
  hostPrivateKey: string;
  /** This boot's marker; the readiness command prints it first. */
  bootMarker: string;
}

/** Only what one line may hold: a marker or key with a newline in it would fool readiness. */
function singleLine(label: string, value: string): string {
  const trimmed = value.trim();
  if (trimmed === '' || /[\r\n]/.test(trimmed)) throw new Error(`${label} must be one non-empty line`);
  return trimmed;
}

export function bootConfigurationArchive(config: BootConfiguration): Buffer {
  const hostKey = config.hostPrivateKey.endsWith('\n') ? config.hostPrivateKey : `${config.hostPrivateKey}\n`;
  if (!hostKey.includes('PRIVATE KEY')) throw new Error('The host key must be an OpenSSH private key');
  return newcArchive([
    { kind: 'directory', path: 'etc', mode: 0o755 },
    { kind: 'directory', path: 'etc/builder-bar', mode: 0o700 },
    { kind: 'file', path: 'etc/builder-bar/authorized_keys', mode: 0o600, data: `${singleLine('The client public key', config.clientPublicKey)}\n` },
    { kind: 'file', path: 'etc/builder-bar/ssh_host_ed25519_key', mode: 0o600, data: hostKey },
    { kind: 'file', path: 'etc/builder-bar/boot-marker', mode: 0o644, data: `${singleLine('The boot marker', config.bootMarker)}\n` },
  ]);
}

/**
 * Base + zero padding + configuration archive. The kernel reads an uncompressed archive's
 * headers at 4-byte aligned offsets of the whole initrd, so the gzip'd base is padded first.
 */
export async function writeBootInitrd(baseInitramfs: string, target: string, config: BootConfiguration): Promise<void> {
  const archive = bootConfigurationArchive(config);
  // Made again before every boot, on the way to ready: the kernel copies the 30+ MB base, and no
  // fsync (a crash costs nothing: the next boot writes it again).
  await copyAndAppendAtomic(target, baseInitramfs, (baseSize) => Buffer.concat([Buffer.alloc((4 - (baseSize % 4)) % 4), archive]), { mode: 0o600, durable: false });
}
