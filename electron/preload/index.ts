/**
 * The preload of every Builder Bar window. It runs sandboxed (so it is bundled to CommonJS by
 * `npm run build:preload`) and does one thing: expose `window.builderBar`.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { exposeBuilderBarApi } from './builderBarApi.js';

exposeBuilderBarApi(contextBridge, ipcRenderer);
