/**
 * The Nix the core runs (app info), for the status header and the settings form's hint. Asked
 * once the door is open and again whenever the nixBinDir setting changes (whoever changed it):
 * request/response like the Nix panel, since the core only changes it with that setting.
 */
import { useEffect, useState } from 'react';
import type { AppInfo, NixInUse } from '../api/contract.js';
import { inBackground } from '../components/background.js';
import { useDoor, useMirror } from '../components/doorContext.js';

export function useNixInUse(): NixInUse | null {
  return useAppInfo()?.nix ?? null;
}

/** App info: the Nix in use and where the other programs were found (asked as above). */
export function useAppInfo(): AppInfo | null {
  const { door } = useDoor();
  const connected = useMirror((mirror) => mirror.connection.state === 'open');
  // undefined until the settings arrived: the answer before them could already be stale.
  const nixBinDir = useMirror((mirror) => mirror.settings?.nixBinDir);
  const [info, setInfo] = useState<AppInfo | null>(null);
  useEffect(() => {
    if (!connected) return;
    let live = true;
    inBackground('Could not ask which Nix is in use', async () => {
      const reply = await door.api.getAppInfo({});
      if (live && reply.ok) setInfo(reply.value);
    });
    return () => {
      live = false;
    };
  }, [door, connected, nixBinDir]);
  return info;
}
