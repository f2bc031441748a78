import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The renderer is built once and loaded two ways: by Electron from a file, and by the
// headless door (`builder-bar serve`) over HTTP from `/`. Relative asset paths (`base: './'`)
// serve both. Two pages: the Dashboard and the Logs window.
const rendererRoot = fileURLToPath(new URL('./renderer/', import.meta.url));

export default defineConfig({
  root: rendererRoot,
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./out/renderer/', import.meta.url)),
    emptyOutDir: true,
    // Chromium in Electron 45 and Debian's Chromium both run modern JS.
    target: 'es2022',
    // No inline scripts or data-URL modules: the pages run under `script-src 'self'`.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL('./renderer/index.html', import.meta.url)),
        logs: fileURLToPath(new URL('./renderer/logs.html', import.meta.url)),
      },
    },
  },
});
