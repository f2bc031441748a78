/**
 * Mounts one Builder Bar window: connects to the core through whichever door this page sits
 * behind, makes the window's mirror of the core, and renders the window inside them.
 */
import { StrictMode, type ComponentType } from 'react';
import { createRoot } from 'react-dom/client';
import { connectToBuilderBar } from '../api/pickApi.js';
import { createMirrorStore } from '../state/mirrorStore.js';
import { DoorContext } from './doorContext.js';

export function mountWindow(Window: ComponentType, mirrorOptions: Parameters<typeof createMirrorStore>[1]): void {
  const door = connectToBuilderBar();
  const mirror = createMirrorStore(door, mirrorOptions);
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <DoorContext.Provider value={{ door, mirror }}>
        <Window />
      </DoorContext.Provider>
    </StrictMode>,
  );
}
