/**
 * `guard`: policy checks on what may be written, before it reaches the
 * backend.
 * - `maxSize`: a body of known size over the limit is refused before any
 *   I/O; a stream of unknown size is counted as it flows and, at the first
 *   byte past the limit, reading stops and the inner write is failed, so
 *   nothing is stored. Both reject with `InvalidArgument` (the same code the
 *   core uses for bodies over a backend's `maxObjectSize`: the caller's input
 *   is too large, not the store too full). `capabilities.maxObjectSize`
 *   reports the smaller of the two limits.
 * - `contentTypes`: an allow-list such as `['image/*', 'application/pdf']`;
 *   parameters (`; charset=...`) and case are ignored; a write without a
 *   content type is checked as `application/octet-stream`. Also applies to
 *   the `contentType` of `copy`/`move`. Refused with `InvalidArgument`.
 * - `readOnly`: every mutating call (`write`, `delete`, `deleteMany`,
 *   `copy`, `move`, `presign` for PUT) rejects with `PermissionDenied`.
 *
 * Put it outermost, so nothing is buffered, retried or encrypted before it.
 */
import { pipeline, Transform } from 'node:stream';
import { z } from 'zod';
import type {
  Body,
  CopyOptions,
  DeleteManyResult,
  DeleteOptions,
  ObjectInfo,
  PresignedRequest,
  PresignOptions,
  Signal,
  StorageBackend,
  WriteOptions,
} from '../core/backend.js';
import { prepareBody } from '../core/body.js';
import type { Capabilities } from '../core/capabilities.js';
import { parseOptions } from '../core/config.js';
import { StorageError, toStorageError } from '../core/errors.js';
import { assertKey } from '../core/keys.js';
import { ForwardingBackend, type Middleware } from '../core/layer.js';
import { parseSize, type Size } from '../core/units.js';

/** Options of {@link guard}. */
export interface GuardOptions {
  /** Largest body that may be written: bytes or '100MiB'. @default no limit */
  readonly maxSize?: Size;
  /** Content types that may be written; `'image/*'` and `'*\/*'` are wildcards. @default any */
  readonly contentTypes?: readonly string[];
  /** Refuse every mutating call with `PermissionDenied`. @default false */
  readonly readOnly?: boolean;
}

const contentTypePattern = /^(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$/i;

const guardSchema = z
  .object({
    maxSize: z.union([z.number().int().nonnegative(), z.string().min(1)]).optional(),
    contentTypes: z
      .array(z.string().regex(contentTypePattern, 'must be a type/subtype such as "image/png" or "image/*"'))
      .optional(),
    readOnly: z.boolean().optional(),
  })
  .strict();

interface GuardPolicy {
  maxSize: number | undefined;
  contentTypes: string[] | undefined;
  readOnly: boolean;
}

/**
 * Enforces a size limit, a content-type allow-list and read-only mode.
 *
 * @example
 * ```ts
 * import { layer } from 'stowage';
 * import { guard } from 'stowage/middleware';
 * const uploads = layer(backend, guard({ maxSize: '25MiB', contentTypes: ['image/*', 'application/pdf'] }));
 * const archive = layer(backend, guard({ readOnly: true }));
 * ```
 */
export function guard(options: GuardOptions = {}): Middleware {
  const parsed = parseOptions(guardSchema, options, 'guard');
  const policy: GuardPolicy = {
    maxSize: parsed.maxSize === undefined ? undefined : parseSize(parsed.maxSize, 'maxSize'),
    contentTypes: parsed.contentTypes?.map((t) => t.toLowerCase()),
    readOnly: parsed.readOnly ?? false,
  };
  return (next) => new GuardBackend(next, policy);
}

/** Whether `contentType` (parameters ignored) matches one of the patterns. */
function contentTypeAllowed(contentType: string, patterns: readonly string[]): boolean {
  const [type = '', subtype = ''] = contentType.split(';')[0]!.trim().toLowerCase().split('/');
  return patterns.some((pattern) => {
    const [pType, pSubtype] = pattern.split('/');
    return (pType === '*' || pType === type) && (pSubtype === '*' || pSubtype === subtype);
  });
}

class GuardBackend extends ForwardingBackend {
  private readonly caps: Capabilities;

  constructor(
    next: StorageBackend,
    private readonly policy: GuardPolicy,
  ) {
    super(next);
    const max = policy.maxSize;
    this.caps =
      max === undefined || max >= next.capabilities.maxObjectSize
        ? next.capabilities
        : Object.freeze({ ...next.capabilities, maxObjectSize: max });
  }

  override get capabilities(): Capabilities {
    return this.caps;
  }

  private fail(
    code: 'PermissionDenied' | 'InvalidArgument',
    operation: string,
    key: string | undefined,
    message: string,
  ): StorageError {
    return new StorageError(code, message, { backend: this.kind, operation, key });
  }

  private denyWrites(operation: string, key: string | undefined): void {
    if (this.policy.readOnly) {
      throw this.fail(
        'PermissionDenied',
        operation,
        key,
        `${operation} refused: this storage is read-only (guard readOnly); use a writable backend for changes.`,
      );
    }
  }

  private checkContentType(operation: string, key: string, contentType: string | undefined): void {
    const allowed = this.policy.contentTypes;
    if (allowed === undefined) return;
    const type = contentType ?? 'application/octet-stream';
    if (typeof type === 'string' && contentTypeAllowed(type, allowed)) return;
    throw this.fail(
      'InvalidArgument',
      operation,
      key,
      `Content type ${JSON.stringify(type)} is not allowed here; allowed: ${allowed.join(', ')}.`,
    );
  }

  private tooLarge(key: string, size: number | undefined): StorageError {
    const max = this.policy.maxSize!;
    const what = size === undefined ? 'The body grew past' : `The body is ${size} bytes, over`;
    return this.fail(
      'InvalidArgument',
      'write',
      key,
      `${what} the ${max}-byte limit of this storage (guard maxSize); nothing was stored.`,
    );
  }

  override async write(key: string, body: Body, options?: WriteOptions): Promise<ObjectInfo> {
    let prepared: ReturnType<typeof prepareBody> | undefined;
    try {
      assertKey(key, 'write');
      this.denyWrites('write', key);
      this.checkContentType('write', key, options?.contentType);
      const max = this.policy.maxSize;
      if (max === undefined) return await this.next.write(key, body, options);
      prepared = prepareBody(body, options?.size);
      if (prepared.size !== undefined && prepared.size > max) throw this.tooLarge(key, prepared.size);
    } catch (e) {
      throw toStorageError(e, { backend: this.kind, operation: 'write', key });
    }
    if (prepared.size !== undefined) return this.next.write(key, body, options);
    // Unknown size: count as it flows; past the limit, stop reading and fail the write.
    const max = this.policy.maxSize!;
    let seen = 0;
    const tooLarge = () => this.tooLarge(key, undefined);
    const limiter = new Transform({
      transform(chunk: Uint8Array, _encoding, callback) {
        seen += chunk.byteLength;
        if (seen > max) return callback(tooLarge());
        callback(null, chunk);
      },
    });
    pipeline(prepared.stream(), limiter, () => {});
    return this.next.write(key, limiter, options);
  }

  override async delete(key: string, options?: DeleteOptions): Promise<void> {
    this.denyWrites('delete', key);
    return this.next.delete(key, options);
  }

  override async deleteMany(
    keys: Iterable<string> | AsyncIterable<string>,
    options?: Signal,
  ): Promise<DeleteManyResult> {
    this.denyWrites('deleteMany', undefined);
    return this.next.deleteMany(keys, options);
  }

  override async copy(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    this.denyWrites('copy', to);
    if (options?.contentType !== undefined) this.checkContentType('copy', to, options.contentType);
    return this.next.copy(from, to, options);
  }

  override async move(from: string, to: string, options?: CopyOptions): Promise<ObjectInfo> {
    this.denyWrites('move', from);
    if (options?.contentType !== undefined) this.checkContentType('move', to, options.contentType);
    return this.next.move(from, to, options);
  }

  override async presign(key: string, options: PresignOptions): Promise<PresignedRequest> {
    if (options?.method === 'PUT') {
      this.denyWrites('presign', key);
      this.checkContentType('presign', key, options.contentType);
    }
    return this.next.presign(key, options);
  }
}
