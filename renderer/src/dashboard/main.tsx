import { mountWindow } from '../components/mountWindow.js';
import { Dashboard } from './Dashboard.js';
import '../styles/app.css';
import '../styles/places.css';

// The Dashboard needs only recent lines for its console panel; the Logs window keeps more.
mountWindow(Dashboard, { tailLines: 500, logCap: 2_000 });
