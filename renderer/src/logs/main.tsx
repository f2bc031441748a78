import { mountWindow } from '../components/mountWindow.js';
import { LogsWindow } from './LogsWindow.js';
import { windowLogCap } from './windowLogCap.js';
import '../styles/app.css';

// A million lines (settings.logs.ringLines at most) unless `?cap=N` asks for fewer.
mountWindow(LogsWindow, { tailLines: 10_000, logCap: windowLogCap(location.search) });
