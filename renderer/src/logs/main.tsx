import { mountWindow } from '../components/mountWindow.js';
import { LogsWindow } from './LogsWindow.js';
import '../styles/app.css';

// A million lines: the most a source's ring may hold (settings.logs.ringLines), and what the
// virtualised list is built to stay smooth with.
mountWindow(LogsWindow, { tailLines: 10_000, logCap: 1_000_000 });
