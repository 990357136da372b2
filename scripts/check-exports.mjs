#!/usr/bin/env node
// Checks that package.json's exports map, the source entries and the build
// agree, in both directions (run after `npm run build`; CI does):
// - package.json `exports` equals exportsMap() from scripts/entries.mjs;
// - every entry's source file exists;
// - every file an export (or the bin) points to exists in dist/;
// - every public entry built into dist/ is exported (chunks and hashed
//   declaration bundles are not entries);
// - every ESM entry imports and every CJS entry requires, in a clean Node.
// Exits 1 and lists every problem on a mismatch.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { binEntry, entries, exportsMap, outName } from './entries.mjs';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

// Output files of an entry named `out` (no extension).
const ENTRY_EXTENSIONS = ['.js', '.cjs', '.d.ts', '.d.cts'];
// tsup chunks ('chunk-ABCD1234.js'), lazily imported modules ('azure-GNICFPES.js') and
// shared declaration bundles ('backend-D5du2B0j.d.ts', 'retry-policy-5WMR-d3h.d.ts') carry
// an 8-character hash after a dash: they are not entries. (So no entry may end that way.)
const HASHED = /(^|\/)chunk-[^/]+$|-[A-Za-z0-9_-]{8}$/;

/** Files under `dir`, as '/'-separated paths relative to it. */
function walk(dir, base = dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path, base));
    else out.push(relative(base, path).split(sep).join('/'));
  }
  return out;
}

/** Every target path ('./dist/x.js') of an exports map. */
function targets(value) {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(targets);
}

/** Describes how two exports maps differ, per subpath. */
function diffExports(actual, expected) {
  const problems = [];
  const a = actual ?? {};
  for (const subpath of Object.keys(expected)) {
    if (!(subpath in a)) problems.push(`package.json exports lacks "${subpath}"`);
    else if (!isDeepStrictEqual(a[subpath], expected[subpath])) {
      problems.push(
        `package.json exports["${subpath}"] is ${JSON.stringify(a[subpath])}, expected ${JSON.stringify(expected[subpath])}`,
      );
    }
  }
  for (const subpath of Object.keys(a)) {
    if (!(subpath in expected))
      problems.push(`package.json exports has "${subpath}", which is not an entry in scripts/entries.mjs`);
  }
  if (problems.length === 0 && !isDeepStrictEqual(Object.keys(a), Object.keys(expected))) {
    problems.push('package.json exports lists the subpaths in another order than exportsMap()');
  }
  return problems;
}

/**
 * Runs every check. Returns a list of problems (empty when all is well).
 * `dist: 'require'` treats a missing dist/ as a problem; `'optional'` skips
 * the build checks then; `'skip'` never looks at dist/.
 */
export function checkExports({ root = ROOT, dist = 'require', importEntries = true } = {}) {
  const problems = [];
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const expected = exportsMap();
  problems.push(...diffExports(pkg.exports, expected));

  for (const [subpath, file] of Object.entries({ ...entries, ...binEntry })) {
    if (!existsSync(join(root, file)))
      problems.push(`entry "${subpath}": source file ${file} does not exist`);
  }

  const distDir = join(root, 'dist');
  if (dist === 'skip') return problems;
  if (!existsSync(distDir)) {
    if (dist === 'require') problems.push('dist/ does not exist: run `npm run build` first');
    return problems;
  }

  // Exported (and bin) files exist.
  const pointed = new Set([
    ...Object.values(pkg.exports ?? {}).flatMap(targets),
    ...Object.values(typeof pkg.bin === 'string' ? { bin: pkg.bin } : (pkg.bin ?? {})),
    ...[pkg.main, pkg.module, pkg.types].filter(Boolean),
  ]);
  for (const target of pointed) {
    if (!existsSync(join(root, target))) problems.push(`${target} is exported but was not built`);
  }

  // Built entries are exported.
  const exportedOuts = new Set(Object.keys(entries).map(outName));
  const binOuts = new Set(Object.keys(binEntry));
  const built = new Set();
  for (const file of walk(distDir)) {
    const ext = ENTRY_EXTENSIONS.find((e) => file.endsWith(e));
    if (ext === undefined) continue;
    const out = file.slice(0, -ext.length);
    if (HASHED.test(out) || binOuts.has(out)) continue;
    built.add(out);
  }
  for (const out of built) {
    if (!exportedOuts.has(out))
      problems.push(`dist/${out}.* is built but no package.json export points to it`);
  }

  if (importEntries && problems.length === 0) problems.push(...loadEntries(root));
  return problems;
}

/** Imports every ESM entry and requires every CJS entry in a fresh Node process. */
function loadEntries(root) {
  const checks = Object.keys(entries).map((subpath) => {
    const out = outName(subpath);
    return {
      subpath,
      esm: pathToFileURL(join(root, 'dist', `${out}.js`)).href,
      cjs: join(root, 'dist', `${out}.cjs`),
    };
  });
  const program = `
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const checks = ${JSON.stringify(checks)};
    const problems = [];
    for (const c of checks) {
      try {
        const m = await import(c.esm);
        if (Object.keys(m).length === 0) problems.push(c.subpath + ': the ESM entry exports nothing');
      } catch (e) { problems.push(c.subpath + ': importing the ESM entry failed: ' + e.message); }
      try {
        const m = require(c.cjs);
        if (Object.keys(m).length === 0) problems.push(c.subpath + ': the CJS entry exports nothing');
      } catch (e) { problems.push(c.subpath + ': requiring the CJS entry failed: ' + e.message); }
    }
    process.stdout.write(JSON.stringify(problems));
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    timeout: 120_000,
  });
  if (result.status !== 0) return [`loading the built entries failed: ${result.stderr || result.error}`];
  return JSON.parse(result.stdout);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const problems = checkExports({ dist: process.argv.includes('--no-dist') ? 'skip' : 'require' });
  if (problems.length > 0) {
    console.error(`check-exports: ${problems.length} problem(s):`);
    for (const p of problems) console.error(`  - ${p}`);
    process.exit(1);
  }
  console.log(`check-exports: ${Object.keys(entries).length} entries agree in package.json, src/ and dist/.`);
}
