/**
 * `encryption`: client-side envelope encryption. Each object gets a random
 * 32-byte data key; its body is sealed with AES-256-GCM in fixed-size chunks
 * (counter nonces, a last-chunk flag, the header hash as associated data), and
 * the data key is wrapped by a keyring key (per tenant, via HKDF-SHA256) or by
 * a KMS hook. The byte format is in docs/encryption-format.md.
 *
 * @example
 * ```ts
 * import { randomBytes } from 'node:crypto';
 * import { layer } from 'stowage';
 * import { memory } from 'stowage/memory';
 * import { encryption } from 'stowage/middleware';
 * const storage = layer(memory(), encryption({ keys: { k1: randomBytes(32) }, currentKey: 'k1' }));
 * await storage.write('secret.txt', 'hello');
 * ```
 */
import { z } from 'zod';
import { parseOptions } from '../../core/config.js';
import type { Middleware } from '../../core/layer.js';
import { parseSize, type Size } from '../../core/units.js';
import { EncryptedBackend } from './backend.js';
import { MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from './format.js';
import { type KeyManagementService, keyringWrapper, kmsWrapper } from './keyring.js';

export { EncryptedBackend } from './backend.js';
export type { KeyContext, KeyManagementService } from './keyring.js';

/** A keyring of 32-byte master keys; new objects are written with `currentKey`. */
export interface EncryptionKeyring {
  /** Master keys by id (ids are 1..255 bytes of UTF-8 and are stored in each object's header). Keep old keys here after a rotation: objects written with them stay readable. */
  keys: Record<string, Uint8Array>;
  /** Id of the key that wraps the data keys of new objects. Must be in `keys`. */
  currentKey: string;
}

/** A key-management service that wraps and unwraps data keys. */
export interface EncryptionKms {
  /** The KMS hook. */
  kms: KeyManagementService;
}

/** Where data keys are wrapped: a keyring, or a KMS. */
export type EncryptionKeys = EncryptionKeyring | EncryptionKms;

/** Options of {@link encryption}. */
export interface EncryptionOptions {
  /**
   * Tenant id. With a keyring, the key that wraps data keys is derived from
   * the master key and this id (HKDF-SHA256), so one keyring serves many
   * tenants and no tenant can read another's objects. With a KMS it is passed
   * to the hook in `context.tenant`. @default none (the master key's own derived key)
   */
  tenant?: string;
  /** Plaintext bytes per authenticated chunk, 1 KiB .. 16 MiB. Range reads fetch whole chunks. @default '64KiB' */
  chunkSize?: Size;
}

const keySchema = z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength === 32, {
  message: 'must be a Uint8Array of exactly 32 bytes',
});
const keyringSchema = z
  .object({
    keys: z.record(z.string().min(1).max(255), keySchema),
    currentKey: z.string().min(1).max(255),
  })
  .strict()
  .refine((v) => Object.hasOwn(v.keys, v.currentKey), {
    message: 'must be one of the ids in `keys`',
    path: ['currentKey'],
  });
const kmsSchema = z
  .object({
    kms: z
      .object({
        wrap: z.custom<KeyManagementService['wrap']>((v) => typeof v === 'function', {
          message: 'must be a function',
        }),
        unwrap: z.custom<KeyManagementService['unwrap']>((v) => typeof v === 'function', {
          message: 'must be a function',
        }),
      })
      .passthrough(),
  })
  .strict();
const optionsSchema = z
  .object({
    tenant: z.string().min(1).max(1024).optional(),
    chunkSize: z.union([z.number(), z.string()]).optional(),
  })
  .strict();

/**
 * Encrypts every object written through it and decrypts on read. `stat` and
 * listings report plaintext sizes; range reads fetch and decrypt only the
 * chunks they touch; tampering, truncation, reordering and chunks swapped in
 * from another object raise `IntegrityError`. Presigned URLs are refused
 * (`Unsupported`). Content type and metadata stay in the clear.
 *
 * @example
 * ```ts
 * // Rotation: new objects use k2; objects written with k1 stay readable.
 * const storage = layer(s3({ bucket: 'files' }),
 *   encryption({ keys: { k1: oldKey, k2: newKey }, currentKey: 'k2' }, { tenant: 'acme' }));
 * ```
 */
export function encryption(keys: EncryptionKeys, options: EncryptionOptions = {}): Middleware {
  // Pick the schema by shape, so a problem is reported against the right field.
  const isKms = typeof keys === 'object' && keys !== null && 'kms' in keys;
  const parsedKeys = isKms
    ? { kms: parseOptions(kmsSchema, keys, 'encryption').kms as KeyManagementService }
    : parseOptions(keyringSchema, keys, 'encryption');
  const parsed = parseOptions(optionsSchema, options, 'encryption');
  const chunkSize = parseSize(parsed.chunkSize ?? '64KiB', 'chunkSize');
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    parseOptions(
      z.object({ chunkSize: z.never({ message: 'must be between 1KiB and 16MiB' }) }),
      { chunkSize },
      'encryption',
    );
  }
  const wrapper =
    'kms' in parsedKeys
      ? kmsWrapper(parsedKeys.kms, parsed.tenant)
      : keyringWrapper({ ...parsedKeys.keys }, parsedKeys.currentKey, parsed.tenant);
  return (next) => new EncryptedBackend(next, wrapper, chunkSize);
}
