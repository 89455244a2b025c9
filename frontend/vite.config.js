// Vite dev server for the demo site (../site): http://localhost:3000, with /api and /members
// proxied to Annex on http://127.0.0.1:5000 (`make run`) and /annex.js fetched from it, so
// pages, API and cookies share one origin. The tooling lives here, beside the site and not in it:
// whatever serves site/ (the app, nginx) serves pages only, never package.json, the lock file,
// this file or node_modules.
//
//   cd frontend && npm install      # once: Vite, pinned by frontend/package-lock.json
//   npx vite                        # dev server on :3000
//   npx vite build                  # static build into frontend/dist/
//
// ANNEX_BACKEND_URL points the proxy at another backend (default http://127.0.0.1:5000).
// CommonJS and no import of 'vite': the file also loads with `npx vite --config <this file>`
// from any folder whose node_modules holds Vite.
const { readdirSync, readFileSync } = require('node:fs');
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

/** The pages' `import … from '/annex.js'`: no file of site/, Annex's own (client/annex.js). */
const annexClient = {
  name: 'annex-client',
  apply: 'serve',
  resolveId: (id) => (id === '/annex.js' ? id : null),
  async load(id) {
    if (id !== '/annex.js') return null;
    const response = await fetch(`${ANNEX}/annex.js`);
    if (!response.ok) throw new Error(`${ANNEX}/annex.js answered ${response.status}`);
    return response.text();
  },
};

/** mailed-token.js must run before anything loads: a classic script, which builds skip. */
const mailedToken = {
  name: 'annex-mailed-token',
  apply: 'build',
  generateBundle() {
    const source = readFileSync(resolve(root, 'mailed-token.js'));
    this.emitFile({ type: 'asset', fileName: 'mailed-token.js', source });
  },
};

/** @type {import('vite').UserConfig} */
module.exports = {
  root,
  plugins: [annexClient, mailedToken],
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
      external: ['/annex.js'], // a built page imports it from Annex (or nginx) at run time
      input: Object.fromEntries(
        readdirSync(root)
          .filter((name) => name.endsWith('.html'))
          .map((name) => [name.replace(/\.html$/, ''), resolve(root, name)]),
      ),
    },
  },
};
