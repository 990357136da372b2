/**
 * `scope(prefix)`: confines a backend to a folder, for tenant isolation.
 * Every key is joined to the prefix after it has been validated as a key, so
 * no key can name anything outside it ('..' and empty segments are invalid
 * keys). Everything that comes back is relative again: `ObjectInfo.key`,
 * listing entries, `deleteMany` error keys, and the `key` and message of
 * errors, so the prefix never leaks to the code using the scoped backend.
 * (An error's `cause` chain is left as the inner backend raised it, for your
 * own logs; do not show `cause` to tenants.)
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
} from '../core/backend.js';
import type { Capabilities } from '../core/capabilities.js';
import { isStorageError, StorageError, toStorageError } from '../core/errors.js';
import { assertKey, assertPrefix, describeKey, keyProblem, utf8Length } from '../core/keys.js';
import { ForwardingBackend, type Middleware } from '../core/layer.js';

/**
 * Confines a backend to `prefix` (a folder such as `'tenants/acme'` or
 * `'tenants/acme/'`). Throws `InvalidConfig` when the prefix is not a valid
 * folder name.
 *
 * @example
 * ```ts
 * import { layer } from 'stowage';
 * import { scope } from 'stowage/middleware';
 * const acme = layer(bucket, scope('tenants/acme'));
 * await acme.write('report.pdf', bytes); // stored at tenants/acme/report.pdf
 * for await (const e of acme.list()) console.log(e.key); // 'report.pdf'
 * ```
 */
export function scope(prefix: string): Middleware {
  const folder = scopeFolder(prefix);
  return (next) => new ScopedBackend(next, folder);
}

/** Validates a scope prefix and returns it ending with exactly one '/'. */
function scopeFolder(prefix: unknown): string {
  if (typeof prefix !== 'string') {
    throw new StorageError(
      'InvalidConfig',
      '[stowage] [scope] The prefix must be a string such as "tenants/acme".',
    );
  }
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const problem = trimmed === '' ? 'it is empty (a scope must name a folder)' : keyProblem(trimmed);
  if (problem !== undefined) {
    throw new StorageError(
      'InvalidConfig',
      `[stowage] [scope] Invalid prefix ${describeKey(prefix)}: ${problem.replace(/^a key/, 'the prefix')}.`,
    );
  }
  return `${trimmed}/`;
}

class ScopedBackend extends ForwardingBackend {
  private readonly caps: Capabilities;

  constructor(
    next: StorageBackend,
    private readonly prefix: string,
  ) {
    super(next);
    // Keys lose the prefix's length from the longest key the inner backend takes.
    this.caps = Object.freeze({
      ...next.capabilities,
      maxKeyBytes: next.capabilities.maxKeyBytes - utf8Length(prefix),
    });
  }

  override get capabilities(): Capabilities {
    return this.caps;
  }

  /** Validates a key (so nothing can escape) and joins it to the prefix. */
  private inner(key: string, operation: string): string {
    try {
      assertKey(key, operation);
    } catch (e) {
      throw toStorageError(e, { backend: this.kind, operation, key });
    }
    return this.prefix + key;
  }

  private outer(key: string): string {
    return key.startsWith(this.prefix) ? key.slice(this.prefix.length) : key;
  }

  private info(info: ObjectInfo): ObjectInfo {
    return { ...info, key: this.outer(info.key) };
  }

  /** Makes an error relative: its key, message and stack lose the prefix. */
  private relative(e: unknown, operation: string, key?: string): StorageError {
    const error = toStorageError(e, { backend: this.kind, operation });
    if (error.key !== undefined) error.key = this.outer(error.key);
    else if (key !== undefined) error.key = key;
    error.message = this.strip(error.message);
    if (error.stack !== undefined) error.stack = this.strip(error.stack);
    return error;
  }

  /** Removes the prefix where it starts a key inside a message. */
  private strip(text: string): string {
    // Keys appear quoted (JSON.stringify) or bare after a space or a quote.
    return text
      .split(`"${this.prefix}`)
      .join('"')
      .split(` ${this.prefix}`)
      .join(' ')
      .split(`'${this.prefix}`)
      .join("'");
  }

  private async call<T>(operation: string, key: string | undefined, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw this.relative(e, operation, key);
    }
  }

  override read(key: string, options?: ReadOptions): Promise<Uint8Array> {
    return this.call('read', key, () => this.next.read(this.inner(key, 'read'), options));
  }

  override stream(key: string, options?: ReadOptions): Promise<Readable> {
    return this.call('stream', key, async () => {
      const stream = await this.next.stream(this.inner(key, 'stream'), options);
      // Errors raised later by the stream itself are made relative too.
      const destroy = stream.destroy.bind(stream);
      stream.destroy = (error?: Error) =>
        destroy(error === undefined || !isStorageError(error) ? error : this.relative(error, 'stream', key));
      return stream;
    });
  }

  override write(key: string, body: Body, options?: WriteOptions): Promise<ObjectInfo> {
    return this.call('write', key, async () =>
      this.info(await this.next.write(this.inner(key, 'write'), body, options)),
    );
  }

  override stat(key: string, options?: StatOptions): Promise<ObjectInfo> {
    return this.call('stat', key, async () =>
      this.info(await this.next.stat(this.inner(key, 'stat'), options)),
    );
  }

  override exists(key: string, options?: Signal): Promise<boolean> {
    return this.call('exists', key, () => this.next.exists(this.inner(key, 'exists'), options));
  }

  override list(prefix = '', options?: ListOptions): AsyncIterable<Entry> {
    return { [Symbol.asyncIterator]: () => this.listEntries(prefix, options) };
  }

  private async *listEntries(prefix: string, options?: ListOptions): AsyncGenerator<Entry> {
    try {
      assertPrefix(prefix, 'list');
      const startAfter = options?.startAfter;
      const inner = this.next.list(this.prefix + prefix, {
        ...options,
        startAfter: typeof startAfter === 'string' ? this.prefix + startAfter : startAfter,
      });
      for await (const entry of inner) {
        yield entry.type === 'prefix'
          ? { type: 'prefix', key: this.outer(entry.key) }
          : { ...entry, key: this.outer(entry.key) };
      }
    } catch (e) {
      throw this.relative(e, 'list', prefix);
    }
  }

  override delete(key: string, options?: DeleteOptions): Promise<void> {
    return this.call('delete', key, () => this.next.delete(this.inner(key, 'delete'), options));
  }

  override deleteMany(
    keys: Iterable<string> | AsyncIterable<string>,
    options?: Signal,
  ): Promise<DeleteManyResult> {
    return this.call('deleteMany', undefined, async () => {
      if (
        keys === null ||
        typeof keys !== 'object' ||
        (!(Symbol.iterator in keys) && !(Symbol.asyncIterator in keys))
      ) {
        throw new StorageError('InvalidArgument', '`keys` must be an iterable or async iterable of keys.');
      }
      const self = this;
      const joined = (async function* () {
        for await (const key of keys as AsyncIterable<string>) yield self.inner(key, 'deleteMany');
      })();
      const result = await this.next.deleteMany(joined, options);
      return {
        deleted: result.deleted,
        errors: result.errors.map(({ key, error }) => ({
          key: this.outer(key),
          error: this.relative(error, 'delete', this.outer(key)),
        })),
      };
    });
  }

  override copy(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    return this.call('copy', from, async () =>
      this.info(await this.next.copy(this.inner(from, 'copy'), this.inner(to, 'copy'), options)),
    );
  }

  override move(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    return this.call('move', from, async () =>
      this.info(await this.next.move(this.inner(from, 'move'), this.inner(to, 'move'), options)),
    );
  }

  override presign(key: string, options: PresignOptions): Promise<PresignedRequest> {
    return this.call('presign', key, () => this.next.presign(this.inner(key, 'presign'), options));
  }
}
