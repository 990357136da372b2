/** Shared helpers of the cache tests: a counting spy backend and a manual clock. */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type {
  CopyOptions,
  DeleteOptions,
  Entry,
  ListOptions,
  ObjectInfo,
  ReadOptions,
  StatOptions,
  StorageBackend,
} from '../../src/core/backend.js';
import { ForwardingBackend } from '../../src/core/layer.js';

/** Counts the calls that reach the wrapped backend, with their options. */
export class Spy extends ForwardingBackend {
  readonly calls: { op: string; key?: string; options?: unknown }[] = [];

  count(op: string, key?: string): number {
    return this.calls.filter((c) => c.op === op && (key === undefined || c.key === key)).length;
  }

  reset(): void {
    this.calls.length = 0;
  }

  override read(key: string, options?: ReadOptions): Promise<Uint8Array> {
    this.calls.push({ op: 'read', key, options });
    return super.read(key, options);
  }

  override stream(key: string, options?: ReadOptions): Promise<Readable> {
    this.calls.push({ op: 'stream', key, options });
    return super.stream(key, options);
  }

  override stat(key: string, options?: StatOptions): Promise<ObjectInfo> {
    this.calls.push({ op: 'stat', key, options });
    return super.stat(key, options);
  }

  override list(prefix?: string, options?: ListOptions): AsyncIterable<Entry> {
    this.calls.push({ op: 'list', key: prefix, options });
    return super.list(prefix, options);
  }

  override delete(key: string, options?: DeleteOptions): Promise<void> {
    this.calls.push({ op: 'delete', key, options });
    return super.delete(key, options);
  }

  override copy(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    this.calls.push({ op: 'copy', key: from, options });
    return super.copy(from, to, options);
  }
}

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public time = 1_000_000) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

/** A spy around a backend. */
export function spyOn(backend: StorageBackend): Spy {
  return new Spy(backend);
}

/** A fresh random prefix. */
export function freshPrefix(): string {
  return `c-${randomBytes(4).toString('hex')}/`;
}

/** Collects a listing. */
export async function keysOf(entries: AsyncIterable<Entry>): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of entries) out.push(entry.key);
  return out;
}
