/**
 * A writer for the cpio "newc" format (the one the Linux kernel unpacks as an initramfs).
 * Builder Bar appends a small newc archive to the linux-test guest's initramfs at every boot
 * to hand the guest its per-boot configuration (authorized key, host key, boot marker), so the
 * format is written here in a few lines rather than by piping secrets through a cpio process.
 *
 * Layout per entry: the ASCII magic `070701`, thirteen 8-digit hex fields, the NUL-terminated
 * name padded so header + name is a multiple of 4, then the data padded to 4. The archive ends
 * with an entry named `TRAILER!!!`.
 */

export type NewcEntry =
  | { kind: 'directory'; path: string; mode: number }
  | { kind: 'file'; path: string; mode: number; data: Uint8Array | string };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const HEADER_LENGTH = 110;
const TRAILER = 'TRAILER!!!';

function hex8(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`cpio field out of range: ${value}`);
  }
  return value.toString(16).padStart(8, '0');
}

function padTo4(length: number): number {
  return (4 - (length % 4)) % 4;
}

function entryBytes(name: string, mode: number, inode: number, nlink: number, data: Uint8Array): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const header =
    '070701' +
    hex8(inode) +
    hex8(mode) +
    hex8(0) + // uid: root in the guest
    hex8(0) + // gid
    hex8(nlink) +
    hex8(0) + // mtime: fixed, so equal inputs give equal bytes
    hex8(data.length) +
    hex8(0) + // devmajor
    hex8(0) + // devminor
    hex8(0) + // rdevmajor
    hex8(0) + // rdevminor
    hex8(nameBytes.length) +
    hex8(0); // check (unused by newc)
  return Buffer.concat([
    Buffer.from(header, 'ascii'),
    nameBytes,
    Buffer.alloc(padTo4(HEADER_LENGTH + nameBytes.length)),
    data,
    Buffer.alloc(padTo4(data.length)),
  ]);
}

/** Archive paths are relative (`etc/x`), as the kernel expects; leading slashes are refused. */
function checkPath(entryPath: string): void {
  if (entryPath === '' || entryPath.startsWith('/') || entryPath.split('/').some((part) => part === '..' || part === '')) {
    throw new Error(`Not a relative archive path: ${JSON.stringify(entryPath)}`);
  }
}

export function newcArchive(entries: readonly NewcEntry[]): Buffer {
  const parts: Buffer[] = [];
  let inode = 1;
  for (const entry of entries) {
    checkPath(entry.path);
    const permissions = entry.mode & 0o7777;
    if (entry.kind === 'directory') {
      parts.push(entryBytes(entry.path, S_IFDIR | permissions, inode, 2, new Uint8Array(0)));
    } else {
      const data = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : entry.data;
      parts.push(entryBytes(entry.path, S_IFREG | permissions, inode, 1, data));
    }
    inode += 1;
  }
  parts.push(entryBytes(TRAILER, 0, 0, 1, new Uint8Array(0)));
  return Buffer.concat(parts);
}
