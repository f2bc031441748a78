import type { BuilderBarApi } from './contract.js';

declare global {
  interface Window {
    /** Exposed by the Electron preload; absent in a plain browser (the headless door). */
    builderBar?: BuilderBarApi;
  }
}

export {};
