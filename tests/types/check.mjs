// client/annex.d.ts, generated from the JSDoc of client/annex.js by the pinned TypeScript:
//   node tests/types/check.mjs           checks it is up to date, then type-checks example.ts
//   node tests/types/check.mjs --write   regenerates it (after `npm ci --prefix tests/types`)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const client = join(here, '..', '..', 'client');
const tsc = join(here, 'node_modules', 'typescript', 'bin', 'tsc');
const DECLARATION = [
  '--ignoreConfig', '--declaration', '--allowJs', '--emitDeclarationOnly',
  '--target', 'es2022', '--module', 'es2022', '--lib', 'es2022,dom',
];

function run(args) {
  try {
    execFileSync(process.execPath, [tsc, ...args], { stdio: 'inherit' });
  } catch {
    process.exit(1); // tsc printed why
  }
}

function generate(outDir) {
  run([...DECLARATION, '--outDir', outDir, join(client, 'annex.js')]);
  return join(outDir, 'annex.d.ts');
}

if (process.argv.includes('--write')) {
  console.log(`wrote ${generate(client)}`);
} else {
  const scratch = mkdtempSync(join(tmpdir(), 'annex-dts-'));
  try {
    const fresh = readFileSync(generate(scratch), 'utf8');
    if (fresh !== readFileSync(join(client, 'annex.d.ts'), 'utf8')) {
      console.error('client/annex.d.ts is out of date with client/annex.js: run `node tests/types/check.mjs --write`');
      process.exit(1);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  run(['--noEmit', '-p', join(here, 'tsconfig.json')]);
  console.log('client/annex.d.ts is up to date; tests/types/example.ts type-checks against it');
}
