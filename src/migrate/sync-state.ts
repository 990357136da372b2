/**
 * The saved state of `sync`: for every key that was on both sides after the
 * last successful sync, the fingerprint (size, mtime, etag) seen on each
 * side. It is stored streaming-friendly: a small JSON manifest at the state
 * key naming JSON Lines parts of at most {@link PART_LINES} keys each, in key
 * order, so reading merges it with the two listings line by line and writing
 * holds one part in memory. A new state is written as new parts, then the
 * manifest is replaced, then the old parts are deleted: a crash in between
 * leaves the previous state intact.
 */
import { readJsonIfExists } from './json.js';
import type { ObjectInfo, StorageBackend } from '../core/backend.js';
import { StorageError } from '../core/errors.js';
import { compareKeys } from '../core/keys.js';

/** Keys per state part. */
export const PART_LINES = 10_000;

/** A fingerprint: [size, lastModified ms, etag or null]. */
export type Fingerprint = [number, number, string | null];

/** One line of the state. */
export interface StateLine {
  /** The key. */
  k: string;
  /** Fingerprint on side a. */
  a: Fingerprint;
  /** Fingerprint on side b. */
  b: Fingerprint;
}

interface Manifest {
  format: 'stowage.sync.state';
  version: 1;
  savedAt: string;
  entries: number;
  parts: string[];
}

/** The fingerprint of an object. */
export function fingerprint(info: ObjectInfo): Fingerprint {
  return [info.size, info.lastModified.getTime(), info.etag ?? null];
}

/** Whether `info` still matches a saved fingerprint: same size, and same etag (or mtime when an etag is missing). */
export function unchangedSince(info: ObjectInfo, saved: Fingerprint): boolean {
  if (info.size !== saved[0]) return false;
  if (info.etag !== undefined && saved[2] !== null) return info.etag === saved[2];
  return info.lastModified.getTime() === saved[1];
}

async function readManifest(
  store: StorageBackend,
  key: string,
  signal?: AbortSignal,
): Promise<Manifest | undefined> {
  const manifest = await readJsonIfExists<Manifest>(
    store,
    key,
    'sync state',
    'delete it to sync afresh',
    signal,
  );
  if (manifest === undefined) return undefined;
  if (manifest?.format !== 'stowage.sync.state' || manifest.version !== 1 || !Array.isArray(manifest.parts)) {
    throw new StorageError(
      'InvalidArgument',
      `The object at ${JSON.stringify(key)} is not a stowage sync state; use another state key.`,
    );
  }
  return manifest;
}

/** The saved state, line by line in key order (nothing on the first sync). */
export async function* readState(
  store: StorageBackend,
  key: string,
  signal?: AbortSignal,
): AsyncGenerator<StateLine> {
  const manifest = await readManifest(store, key, signal);
  if (manifest === undefined) return;
  let previous: string | undefined;
  for (const part of manifest.parts) {
    let rest = '';
    const decoder = new TextDecoder();
    const lines = function* (text: string): Generator<StateLine> {
      for (const raw of text.split('\n')) {
        if (raw.trim() === '') continue;
        const line = JSON.parse(raw) as StateLine;
        if (previous !== undefined && compareKeys(line.k, previous) <= 0) {
          throw new StorageError(
            'InvalidArgument',
            `The sync state part ${JSON.stringify(part)} is out of order; delete the state to sync afresh.`,
          );
        }
        previous = line.k;
        yield line;
      }
    };
    for await (const chunk of await store.stream(part, { signal })) {
      const text = rest + decoder.decode(chunk as Uint8Array, { stream: true });
      const cut = text.lastIndexOf('\n');
      rest = text.slice(cut + 1);
      yield* lines(text.slice(0, cut + 1));
    }
    yield* lines(rest + decoder.decode());
  }
}

/** Writes a new state part by part; `commit` replaces the manifest and removes the old parts. */
export class StateWriter {
  private lines: string[] = [];
  private readonly parts: string[] = [];
  private entries = 0;
  private readonly generation = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);

  constructor(
    private readonly store: StorageBackend,
    private readonly key: string,
  ) {}

  /** Appends one line (in key order); writes a part when full. */
  async add(line: StateLine): Promise<void> {
    this.lines.push(JSON.stringify(line));
    this.entries++;
    if (this.lines.length >= PART_LINES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const part = `${this.key}.${this.generation}.${String(this.parts.length).padStart(5, '0')}.jsonl`;
    const body = `${this.lines.join('\n')}\n`;
    this.lines = [];
    await this.store.write(part, body, { contentType: 'application/x-ndjson' });
    this.parts.push(part);
  }

  /** Writes the last part and the manifest, then deletes the previous state's parts. */
  async commit(): Promise<void> {
    await this.flush();
    const old = await readManifest(this.store, this.key).catch(() => undefined);
    const manifest: Manifest = {
      format: 'stowage.sync.state',
      version: 1,
      savedAt: new Date().toISOString(),
      entries: this.entries,
      parts: this.parts,
    };
    await this.store.write(this.key, JSON.stringify(manifest), { contentType: 'application/json' });
    if (old !== undefined) await this.store.deleteMany(old.parts.filter((p) => !this.parts.includes(p)));
  }

  /** Removes the parts written so far (after an abort or a failure). */
  async discard(): Promise<void> {
    this.lines = [];
    if (this.parts.length > 0) await this.store.deleteMany(this.parts).catch(() => undefined);
  }
}

/** Whether `key` belongs to the state at `stateKey` (the manifest or one of its parts). */
export function isStateKey(key: string, stateKey: string): boolean {
  return key === stateKey || (key.startsWith(`${stateKey}.`) && key.endsWith('.jsonl'));
}
