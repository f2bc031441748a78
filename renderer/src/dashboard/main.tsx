import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectToBuilderBar } from '../api/pickApi.js';
import { DoorContext } from '../components/doorContext.js';
import { createMirrorStore } from '../state/mirrorStore.js';
import { Dashboard } from './Dashboard.js';
import '../styles/app.css';

const door = connectToBuilderBar();
// The Dashboard needs only recent lines for its console panel; the Logs window keeps more.
const mirror = createMirrorStore(door, { tailLines: 500, logCap: 2_000 });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <DoorContext.Provider value={{ door, mirror }}>
      <Dashboard />
    </DoorContext.Provider>
  </StrictMode>,
);
