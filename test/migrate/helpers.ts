/** Shared helpers of the migrate tests. */
import type { ObjectInfo, StorageBackend } from '../../src/core/backend.js';
import { ForwardingBackend } from '../../src/core/layer.js';

/** Every object of a backend: key → size and etag. */
export async function dump(backend: StorageBackend, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const entry of backend.list(prefix)) {
    if (entry.type === 'object') out[entry.key] = `${entry.size}:${entry.etag}`;
  }
  return out;
}

/** Every object's content as text. */
export async function contents(backend: StorageBackend, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const entry of backend.list(prefix)) {
    if (entry.type === 'object') out[entry.key] = Buffer.from(await backend.read(entry.key)).toString('utf8');
  }
  return out;
}

/** Writes `count` small objects `<prefix>NNNN`. */
export async function seed(backend: StorageBackend, count: number, prefix = 'k/'): Promise<void> {
  for (let i = 0; i < count; i++) {
    await backend.write(`${prefix}${String(i).padStart(4, '0')}`, `value ${i}`, {
      contentType: 'text/plain',
    });
  }
}

/** A backend that counts writes and copies per key, and can run a hook before each write. */
export class Recording extends ForwardingBackend {
  writes: string[] = [];
  copies: string[] = [];
  beforeWrite: ((key: string) => Promise<void> | void) | undefined;

  override async write(...args: Parameters<StorageBackend['write']>): Promise<ObjectInfo> {
    await this.beforeWrite?.(args[0]);
    const info = await super.write(...args);
    this.writes.push(args[0]);
    return info;
  }

  override async copy(...args: Parameters<StorageBackend['copy']>): Promise<ObjectInfo> {
    const info = await super.copy(...args);
    this.copies.push(args[1]);
    return info;
  }
}

export const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));
