import { defineConfig } from 'tsup';
// @ts-expect-error plain .mjs module without types
import { binEntry, entries, outName } from './scripts/entries.mjs';

const entry: Record<string, string> = {};
for (const [subpath, file] of Object.entries(entries as Record<string, string>))
  entry[outName(subpath)] = file;

export default defineConfig([
  {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: true,
    treeshake: true,
    target: 'node20',
    platform: 'node',
  },
  {
    entry: binEntry,
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    splitting: true,
    target: 'node20',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
