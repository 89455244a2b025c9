// Vite dev server for the demo site: http://localhost:3000, with /api and /members proxied to
// Annex on http://127.0.0.1:5000 (`make run`), so pages, API and cookies share one origin.
//
//   npx vite --config site/vite.config.js           # dev server on :3000
//   npx vite build --config site/vite.config.js     # static build into site/dist/
//
// CommonJS and no import of 'vite': the file loads from any folder that can run `npx vite`,
// without a package.json beside it. ANNEX_URL points the proxy at another backend.
const { readdirSync } = require('node:fs');
const { resolve } = require('node:path');

const root = __dirname;
const ANNEX = process.env.ANNEX_URL || 'http://127.0.0.1:5000';

/** The backend sees the request as coming from its own origin, so its Origin check passes
 *  without listing the dev server in security.cors_origins. */
const proxy = {
  target: ANNEX,
  changeOrigin: false,
  configure(server) {
    server.on('proxyReq', (request) => {
      if (request.getHeader('origin')) request.setHeader('origin', new URL(ANNEX).origin);
    });
  },
};

/** @type {import('vite').UserConfig} */
module.exports = {
  root,
  // Keep Vite's cache beside the node_modules it was run from, not inside the served site/.
  cacheDir: resolve(process.cwd(), 'node_modules/.vite'),
  server: {
    host: 'localhost',
    port: 3000,
    strictPort: true,
    proxy: { '/api': proxy, '/members': proxy },
  },
  preview: { port: 3000, strictPort: true, proxy: { '/api': proxy, '/members': proxy } },
  build: {
    outDir: resolve(root, 'dist'),
    emptyOutDir: true,
    // A multi-page site: every page is an entry.
    rollupOptions: {
      input: Object.fromEntries(
        readdirSync(root)
          .filter((name) => name.endsWith('.html'))
          .map((name) => [name.replace(/\.html$/, ''), resolve(root, name)]),
      ),
    },
  },
};
