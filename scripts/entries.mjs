// The one list of public entry points. tsup.config.ts builds exactly these,
// scripts/check-exports.mjs checks package.json's exports map against them and
// against the built files, so an entry cannot be built but not exported (or the
// reverse).

/** Middleware that also have their own subpath `stowage/middleware/<name>`. */
export const middlewareNames = [
  'retry',
  'timeout',
  'throttle',
  'cache',
  'encryption',
  'scope',
  'guard',
  'observe',
];

/** subpath (as in package.json exports) -> source file */
export const entries = {
  '.': 'src/index.ts',
  './memory': 'src/backends/memory/index.ts',
  './local': 'src/backends/local/index.ts',
  './s3': 'src/backends/s3/index.ts',
  './r2': 'src/backends/r2/index.ts',
  './gcs': 'src/backends/gcs/index.ts',
  './azure': 'src/backends/azure/index.ts',
  './middleware': 'src/middleware/index.ts',
  ...Object.fromEntries(middlewareNames.map((n) => [`./middleware/${n}`, `src/middleware/${n}.ts`])),
  './migrate': 'src/migrate/index.ts',
  './testing': 'src/testing/index.ts',
};

/** The CLI is built too, but is a bin, not an export. */
export const binEntry = { 'cli/index': 'src/cli/index.ts' };

/** Output name (no extension) inside dist/ for a subpath. */
export function outName(subpath) {
  return subpath === '.' ? 'index' : subpath.slice(2);
}

/** The exports map package.json must hold. */
export function exportsMap() {
  const map = {};
  for (const subpath of Object.keys(entries)) {
    const out = outName(subpath);
    map[subpath] = {
      import: { types: `./dist/${out}.d.ts`, default: `./dist/${out}.js` },
      require: { types: `./dist/${out}.d.cts`, default: `./dist/${out}.cjs` },
    };
  }
  map['./package.json'] = './package.json';
  return map;
}
