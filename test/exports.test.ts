/**
 * The package's public shape: package.json `exports` equals the map generated
 * from scripts/entries.mjs, every entry has a source file, and (after
 * `npm run build`) every export is built, every built entry is exported and
 * each entry loads in Node as ESM and as CJS.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs module without types
import { checkExports } from '../scripts/check-exports.mjs';
// @ts-expect-error plain .mjs module without types
import { binEntry, entries, exportsMap, outName } from '../scripts/entries.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const entryMap = entries as Record<string, string>;

describe('package.json exports and source entries', () => {
  it('exports equals exportsMap() from scripts/entries.mjs', () => {
    expect(pkg.exports).toEqual(exportsMap());
    expect(Object.keys(pkg.exports)).toEqual(Object.keys(exportsMap()));
  });

  it('has the subpaths DESIGN §1 names', () => {
    for (const subpath of [
      '.',
      './memory',
      './local',
      './s3',
      './r2',
      './gcs',
      './azure',
      './middleware',
      './migrate',
      './testing',
    ]) {
      expect(entryMap).toHaveProperty([subpath]);
    }
    for (const name of ['retry', 'timeout', 'throttle', 'cache', 'encryption', 'scope', 'guard', 'observe']) {
      expect(entryMap[`./middleware/${name}`]).toBe(`src/middleware/${name}.ts`);
    }
  });

  it.each(Object.entries({ ...entryMap, ...(binEntry as Record<string, string>) }))(
    'entry %s has its source file %s',
    (_subpath, file) => {
      expect(existsSync(join(ROOT, file))).toBe(true);
    },
  );

  it('main, module, types and bin point into the built entries', () => {
    expect(pkg.main).toBe('./dist/index.cjs');
    expect(pkg.module).toBe('./dist/index.js');
    expect(pkg.types).toBe('./dist/index.d.cts');
    expect(pkg.bin.stowage).toBe(`./dist/${Object.keys(binEntry)[0]}.js`);
    expect(pkg.sideEffects).toBe(false);
  });

  it('scripts/check-exports.mjs agrees (without looking at dist/)', () => {
    expect(checkExports({ root: ROOT, dist: 'skip' })).toEqual([]);
  });
});

describe('scripts/check-exports.mjs catches mismatches in both directions', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('an export missing, an extra export, a missing build file and a built entry not exported', async () => {
    const root = await mkdtemp(join(tmpdir(), 'stowage-exports-'));
    dirs.push(root);
    symlinkSync(join(ROOT, 'src'), join(root, 'src'));
    const broken = structuredClone(pkg);
    delete broken.exports['./gcs'];
    broken.exports['./extra'] = './dist/extra.js';
    writeFileSync(join(root, 'package.json'), JSON.stringify(broken));
    mkdirSync(join(root, 'dist', 'middleware'), { recursive: true });
    // Build every exported file except memory's ESM bundle, plus an entry nobody exports.
    for (const subpath of Object.keys(entryMap)) {
      const out = outName(subpath) as string;
      for (const ext of ['.js', '.cjs', '.d.ts', '.d.cts']) {
        if (!(out === 'memory' && ext === '.js')) writeFileSync(join(root, 'dist', out + ext), '');
      }
    }
    writeFileSync(join(root, 'dist', 'stray.js'), '');
    writeFileSync(join(root, 'dist', 'chunk-ABCDEFGH.js'), '');
    writeFileSync(join(root, 'dist', 'backend-D-SvoHrg.d.ts'), '');
    const problems: string[] = checkExports({ root, dist: 'require', importEntries: false });
    expect(problems).toEqual(
      expect.arrayContaining([
        'package.json exports lacks "./gcs"',
        expect.stringContaining('package.json exports has "./extra"'),
        './dist/memory.js is exported but was not built',
        './dist/extra.js is exported but was not built',
        'dist/stray.* is built but no package.json export points to it',
      ]),
    );
    expect(problems.join('\n')).not.toMatch(/chunk-ABCDEFGH|backend-D-SvoHrg/);
  });

  it('a missing dist/ is a problem only when required', async () => {
    const root = await mkdtemp(join(tmpdir(), 'stowage-exports-'));
    dirs.push(root);
    symlinkSync(join(ROOT, 'src'), join(root, 'src'));
    writeFileSync(join(root, 'package.json'), JSON.stringify(pkg));
    expect(checkExports({ root, dist: 'require' })).toEqual([
      'dist/ does not exist: run `npm run build` first',
    ]);
    expect(checkExports({ root, dist: 'optional' })).toEqual([]);
  });
});

/** Why the dist/ checks cannot run here, or undefined when they can. */
async function distUnavailable(): Promise<string | undefined> {
  const dist = join(ROOT, 'dist');
  if (!existsSync(dist)) return 'dist/ is missing: run `npm run build` first (CI builds before testing)';
  const newestSource = await newestMtime(join(ROOT, 'src'));
  if (statSync(join(dist, 'index.js'), { throwIfNoEntry: false }) === undefined)
    return 'dist/index.js is missing';
  if (newestSource > statSync(join(dist, 'index.js')).mtimeMs) {
    return 'dist/ is older than src/: run `npm run build` to check the build';
  }
  return undefined;
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

const skipReason = await distUnavailable();

describe.skipIf(skipReason !== undefined)(
  `built package${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    it('every export is built, every built entry is exported, and each entry loads as ESM and CJS', () => {
      expect(checkExports({ root: ROOT, dist: 'require', importEntries: true })).toEqual([]);
    }, 120_000);

    it('importing stowage and stowage/memory loads no cloud SDK (ESM and CJS)', () => {
      const url = (out: string) => pathToFileURL(join(ROOT, 'dist', out)).href;
      // Records every specifier the ESM loader resolves, through a module hook.
      const hooks = `let port; export function initialize(d) { port = d.port; }
      export async function resolve(s, c, next) { port.postMessage(s); return next(s, c); }`;
      const program = `
      import { register, createRequire } from 'node:module';
      import { MessageChannel } from 'node:worker_threads';
      const { port1, port2 } = new MessageChannel();
      const seen = [];
      port1.on('message', (m) => seen.push(m));
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}), { data: { port: port2 }, transferList: [port2] });
      await import(${JSON.stringify(url('index.js'))});
      await import(${JSON.stringify(url('memory.js'))});
      const require = createRequire(import.meta.url);
      require(${JSON.stringify(join(ROOT, 'dist', 'index.cjs'))});
      require(${JSON.stringify(join(ROOT, 'dist', 'memory.cjs'))});
      await new Promise((r) => setTimeout(r, 100));
      port1.close();
      process.stdout.write(JSON.stringify({ esm: seen, cjs: Object.keys(require.cache) }));
    `;
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
        encoding: 'utf8',
      });
      expect(result.stderr).toBe('');
      const loaded = JSON.parse(result.stdout) as { esm: string[]; cjs: string[] };
      expect(loaded.esm.some((s) => s.includes('index.js'))).toBe(true);
      expect(
        [...loaded.esm, ...loaded.cjs].filter((s) => /@aws-sdk|@google-cloud|@azure|@smithy/.test(s)),
      ).toEqual([]);
    });
  },
);
