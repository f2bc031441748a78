/**
 * Disks nixpkgs' builder left on this Mac before Builder Bar (`~/nixos.qcow2` from `nix run
 * nixpkgs#darwin.linux-builder`, nix-darwin's in /var/lib/linux-builder, /var/lib/darwin-builder before
 * nix-darwin 25.05): each shown with where
 * it came from, and offered for import while the builder has no disk of its own. Importing copies
 * it (the original is only read, never changed or deleted); nothing happens without the click.
 */
import { useEffect, useState } from 'react';
import type { ErrorInfo, UpstreamDisk } from '../api/contract.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { inBackground } from '../components/background.js';
import { useDoor } from '../components/doorContext.js';
import { useRequest } from '../components/useRequest.js';

interface Listing {
  disks: UpstreamDisk[];
  ownDisk: string;
  ownDiskExists: boolean;
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

export function UpstreamDisks() {
  const { door } = useDoor();
  const [listing, setListing] = useState<Listing | null>(null);
  const [listError, setError] = useState<ErrorInfo | null>(null);
  const imported = useRequest<{ source: string }>('Could not import the disk');
  const busy = imported.busyKey;
  const done = imported.reply ? `Imported ${imported.reply.source}; the builder starts from it at its next start. The original is unchanged.` : null;
  const error = imported.error ?? listError;

  const refresh = async (): Promise<void> => {
    const reply = await door.api.listUpstreamDisks({});
    if (reply.ok) setListing(reply.value);
    else setError(reply.error);
  };

  useEffect(() => {
    inBackground('Could not look for older builder disks', refresh, setError);
    // Looked for once per showing of the form: the disks do not come and go by themselves.
  }, [door]);

  // Looked for again after every attempt: a refused import may mean the disks changed.
  const importDisk = (disk: UpstreamDisk): void =>
    imported.run(async () => {
      const reply = await door.api.importUpstreamDisk({ path: disk.path });
      await refresh();
      return reply;
    }, { key: disk.path });

  if (listing === null || (listing.disks.length === 0 && done === null && error === null)) return null;
  return (
    <div className="upstream-disks" aria-live="polite">
      <p>Disks nixpkgs' builder left on this Mac. Builder Bar never changes or deletes them.</p>
      <ul>
        {listing.disks.map((disk) => (
          <li key={disk.path}>
            <code>{disk.path}</code> ({gib(disk.sizeBytes)} used, changed {disk.modified.slice(0, 10)}), from {disk.origin}.{' '}
            {!disk.readable ? (
              <span className="muted">Your account cannot read it (it is root's); copy it to your home first.</span>
            ) : listing.ownDiskExists ? (
              <span className="muted">The builder already has its own disk ({listing.ownDisk}); to use this one instead, stop the builder and move that disk away first.</span>
            ) : (
              <button type="button" disabled={busy !== null} onClick={() => importDisk(disk)}>
                {busy === disk.path ? 'Copying…' : 'Import a copy'}
              </button>
            )}
          </li>
        ))}
      </ul>
      {done ? <p className="muted">{done}</p> : null}
      {error ? <ErrorNote error={error} /> : null}
    </div>
  );
}
