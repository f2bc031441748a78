import { mountWindow } from '../components/mountWindow.js';
import { LogsWindow } from './LogsWindow.js';
import '../styles/app.css';

mountWindow(LogsWindow, { tailLines: 10_000, logCap: 100_000 });
