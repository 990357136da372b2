/**
 * Middleware composition. A middleware is a function from a backend to a
 * backend; `layer(backend, a, b, c)` is `a(b(c(backend)))`, so a call passes
 * `a` first and reaches `backend` last.
 */
import type { Readable } from 'node:stream';
import type {
  Body,
  CopyOptions,
  DeleteManyResult,
  DeleteOptions,
  Entry,
  ListOptions,
  ObjectInfo,
  PresignedRequest,
  PresignOptions,
  ReadOptions,
  Signal,
  StatOptions,
  StorageBackend,
  WriteOptions,
} from './backend.js';
import type { Capabilities } from './capabilities.js';

/** Wraps a backend in another that keeps the same contract. */
export type Middleware = (next: StorageBackend) => StorageBackend;

/**
 * The one forwarding base of every middleware: each method calls the same
 * method of `next`. Extend it and override only the methods a middleware
 * changes; `kind` and `capabilities` pass through unless overridden.
 *
 * @example
 * ```ts
 * class Logging extends ForwardingBackend {
 *   override async read(key: string, o?: ReadOptions) {
 *     console.log('read', key);
 *     return super.read(key, o);
 *   }
 * }
 * const logging: Middleware = (next) => new Logging(next);
 * ```
 */
export class ForwardingBackend implements StorageBackend {
  constructor(protected readonly next: StorageBackend) {}

  get kind(): string {
    return this.next.kind;
  }

  get capabilities(): Capabilities {
    return this.next.capabilities;
  }

  read(key: string, options?: ReadOptions): Promise<Uint8Array> {
    return this.next.read(key, options);
  }

  stream(key: string, options?: ReadOptions): Promise<Readable> {
    return this.next.stream(key, options);
  }

  write(key: string, body: Body, options?: WriteOptions): Promise<ObjectInfo> {
    return this.next.write(key, body, options);
  }

  stat(key: string, options?: StatOptions): Promise<ObjectInfo> {
    return this.next.stat(key, options);
  }

  exists(key: string, options?: Signal): Promise<boolean> {
    return this.next.exists(key, options);
  }

  list(prefix?: string, options?: ListOptions): AsyncIterable<Entry> {
    return this.next.list(prefix, options);
  }

  delete(key: string, options?: DeleteOptions): Promise<void> {
    return this.next.delete(key, options);
  }

  deleteMany(keys: Iterable<string> | AsyncIterable<string>, options?: Signal): Promise<DeleteManyResult> {
    return this.next.deleteMany(keys, options);
  }

  copy(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    return this.next.copy(from, to, options);
  }

  move(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    return this.next.move(from, to, options);
  }

  presign(key: string, options: PresignOptions): Promise<PresignedRequest> {
    return this.next.presign(key, options);
  }

  close(): Promise<void> {
    return this.next.close();
  }
}

/**
 * Stacks middleware around a backend. The first middleware is the outermost:
 * `layer(s3, retry(), timeout({ ms: '30s' }))` retries calls that time out,
 * giving each attempt its own deadline.
 *
 * @example
 * ```ts
 * import { layer } from 'stowage';
 * import { memory } from 'stowage/memory';
 * import { retry, timeout } from 'stowage/middleware';
 * const storage = layer(memory(), retry(), timeout({ ms: '30s' }));
 * ```
 */
export function layer(backend: StorageBackend, ...middleware: Middleware[]): StorageBackend {
  let result = backend;
  for (let i = middleware.length - 1; i >= 0; i--) result = middleware[i]!(result);
  return result;
}
