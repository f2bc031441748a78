import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectToBuilderBar } from '../api/pickApi.js';
import { DoorContext } from '../components/doorContext.js';
import { createMirrorStore } from '../state/mirrorStore.js';
import { LogsWindow } from './LogsWindow.js';
import '../styles/app.css';

const door = connectToBuilderBar();
const mirror = createMirrorStore(door, { tailLines: 10_000, logCap: 100_000 });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <DoorContext.Provider value={{ door, mirror }}>
      <LogsWindow />
    </DoorContext.Provider>
  </StrictMode>,
);
