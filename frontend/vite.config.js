// Vite dev server for the demo site (../site): http://localhost:3000, with /api and /members
// proxied to Annex on http://127.0.0.1:5000 (`make run`), so pages, API and cookies share one
// origin. The tooling lives here, beside the site and not in it: whatever serves site/ (the app,
// nginx) serves pages only, never package.json, the lock file, this file or node_modules.
//
//   cd frontend && npm install      # once: Vite, pinned by frontend/package-lock.json
//   npx vite                        # dev server on :3000
//   npx vite build                  # static build into frontend/dist/
//
// ANNEX_BACKEND_URL points the proxy at another backend (default http://127.0.0.1:5000).
// CommonJS and no import of 'vite': the file also loads with `npx vite --config <this file>`
// from any folder whose node_modules holds Vite.
const { readdirSync } = require('node:fs');
const { resolve } = require('node:path');

const root = resolve(__dirname, '..', 'site');
const ANNEX = process.env.ANNEX_BACKEND_URL || 'http://127.0.0.1:5000';

/** A request from the dev server's own pages reaches Annex without its Origin header. Annex checks
 *  Origin (site.url or security.cors_origins) only when there is one, so such requests pass
 *  whether site.url names the dev server or the backend; a page on any other origin keeps its
 *  Origin and is refused as usual. */
const proxy = {
  target: ANNEX,
  changeOrigin: false,
  configure(server) {
    server.on('proxyReq', (proxyRequest, request) => {
      const origin = request.headers.origin;
      const scheme = request.socket.encrypted ? 'https' : 'http';
      if (origin && origin.toLowerCase() === `${scheme}://${request.headers.host}`.toLowerCase()) {
        proxyRequest.removeHeader('origin');
      }
    });
  },
};

/** @type {import('vite').UserConfig} */
module.exports = {
  root,
  // Vite's cache goes into the node_modules of the folder it runs from (frontend/ after
  // `npm install` there; a copy's own folder with --config), never into the served site.
  cacheDir: resolve(process.cwd(), 'node_modules/.vite'),
  server: {
    host: 'localhost',
    port: 3000,
    strictPort: true,
    proxy: { '/api': proxy, '/members': proxy },
  },
  preview: { port: 3000, strictPort: true, proxy: { '/api': proxy, '/members': proxy } },
  build: {
    outDir: resolve(__dirname, 'dist'),
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
