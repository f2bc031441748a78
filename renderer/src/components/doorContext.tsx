/**
 * Hands each window's door (the API plus its connection) and its mirror store to the
 * components below, and `useMirror` reads slices of the mirror with zustand's selector hook.
 */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { ApiHandle } from '../api/pickApi.js';
import type { Mirror } from '../state/mirror.js';
import type { MirrorStore } from '../state/mirrorStore.js';

export interface DoorContextValue {
  door: ApiHandle;
  mirror: MirrorStore;
}

export const DoorContext = createContext<DoorContextValue | null>(null);

export function useDoor(): DoorContextValue {
  const value = useContext(DoorContext);
  if (!value) throw new Error('useDoor() outside <DoorContext.Provider>');
  return value;
}

export function useMirror<T>(selector: (mirror: Mirror) => T): T {
  return useStore(useDoor().mirror.store, selector);
}
