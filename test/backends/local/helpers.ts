/** Shared set-up of the local backend tests: a fresh temp root per test. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach } from 'vitest';
import { type LocalOptions, local } from '../../../src/backends/local/index.js';

const roots: string[] = [];

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A fresh directory, removed after the test. */
export function tempDir(label = 'local'): string {
  const dir = mkdtempSync(join(tmpdir(), `stowage-${label}-`));
  roots.push(dir);
  return dir;
}

/** A local backend on a fresh root. */
export function fresh(options: Partial<LocalOptions> = {}) {
  const root = tempDir();
  return { root, storage: local({ root, ...options }) };
}

/** Every file under `dir` (relative paths, sorted), for asserting what is on disk. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out.sort();
}

/** Keys a listing yields. */
export async function keysOf(entries: AsyncIterable<{ key: string; type: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of entries) out.push(entry.type === 'prefix' ? `${entry.key} (prefix)` : entry.key);
  return out;
}

/** Decodes bytes as UTF-8. */
export const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
