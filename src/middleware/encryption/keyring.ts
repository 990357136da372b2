/**
 * Wrapping and unwrapping of per-object data keys: by a keyring of 32-byte
 * master keys (with per-tenant keys derived by HKDF-SHA256), or by a KMS hook.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { StorageError } from '../../core/errors.js';
import { integrity } from './format.js';

/** What the KMS hook (and the error messages) learn about the object being encrypted. */
export interface KeyContext {
  /** The tenant of the middleware, when one was given. */
  tenant?: string;
  /** The object key. Informational: do not bind it into a KMS encryption context, or copies and moves become unreadable. */
  key: string;
  /** The keyring key id in use ('' with a KMS). */
  keyId: string;
}

/** A KMS that wraps and unwraps data keys (AWS KMS `Encrypt`/`Decrypt`, Vault transit, ...). */
export interface KeyManagementService {
  /** Wraps (encrypts) a 32-byte data key. The result is stored in the object header (at most 65535 bytes). */
  wrap(dataKey: Uint8Array, context: KeyContext): Promise<Uint8Array>;
  /** Unwraps what `wrap` returned. Throw if the caller may not use the key. */
  unwrap(wrapped: Uint8Array, context: KeyContext): Promise<Uint8Array>;
}

/** Wraps data keys for one middleware instance. */
export interface KeyWrapper {
  /** The key id written into new headers. */
  readonly currentKeyId: string;
  wrap(dataKey: Buffer, key: string): Promise<Uint8Array>;
  unwrap(wrapped: Buffer, keyId: string, key: string): Promise<Buffer>;
}

const HKDF_SALT = Buffer.from('stowage-encryption-v1', 'utf8');
const WRAP_AAD = 'stowage-wrap-v1';

/**
 * A keyring: master keys by id; new objects use `currentKey`. The key that
 * wraps data keys is never a master key itself but HKDF-SHA256(master,
 * salt 'stowage-encryption-v1', info 'stowage-kek-v1' 0x00 tenant), so one
 * keyring serves many tenants and no tenant can unwrap another's data keys.
 */
export function keyringWrapper(
  keys: Record<string, Uint8Array>,
  currentKey: string,
  tenant: string | undefined,
): KeyWrapper {
  const derived = new Map<string, Buffer>();
  const kek = (keyId: string, key: string): Buffer => {
    let value = derived.get(keyId);
    if (value === undefined) {
      const master = keys[keyId];
      if (master === undefined) {
        throw new StorageError(
          'PermissionDenied',
          `The object at ${JSON.stringify(key)} was encrypted with key id ${JSON.stringify(keyId)}, which is not in this keyring; add that key to \`keys\` to read it.`,
          { key },
        );
      }
      const info = Buffer.concat([
        Buffer.from('stowage-kek-v1\0', 'utf8'),
        Buffer.from(tenant ?? '', 'utf8'),
      ]);
      value = Buffer.from(hkdfSync('sha256', master, HKDF_SALT, info, 32));
      derived.set(keyId, value);
    }
    return value;
  };
  return {
    currentKeyId: currentKey,
    async wrap(dataKey, key) {
      // AES-256-GCM key wrap: nonce[12] | wrapped data key[32] | tag[16], bound to the key id.
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', kek(currentKey, key), nonce);
      cipher.setAAD(Buffer.from(`${WRAP_AAD}\0${currentKey}`, 'utf8'));
      const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
      return Buffer.concat([nonce, body, cipher.getAuthTag()]);
    },
    async unwrap(wrapped, keyId, key) {
      if (wrapped.length !== 12 + 32 + 16) throw integrity('its wrapped data key is malformed', key);
      const decipher = createDecipheriv('aes-256-gcm', kek(keyId, key), wrapped.subarray(0, 12));
      decipher.setAAD(Buffer.from(`${WRAP_AAD}\0${keyId}`, 'utf8'));
      decipher.setAuthTag(wrapped.subarray(44));
      try {
        return Buffer.concat([decipher.update(wrapped.subarray(12, 44)), decipher.final()]);
      } catch {
        throw integrity(
          'its data key does not unwrap with this keyring and tenant (a different key or tenant wrote it, or the header was modified)',
          key,
        );
      }
    },
  };
}

/** A wrapper over a KMS hook. Failures of the hook keep their code when they are StorageErrors. */
export function kmsWrapper(kms: KeyManagementService, tenant: string | undefined): KeyWrapper {
  const context = (key: string): KeyContext =>
    tenant === undefined ? { key, keyId: '' } : { tenant, key, keyId: '' };
  return {
    currentKeyId: '',
    async wrap(dataKey, key) {
      const wrapped = await kms.wrap(new Uint8Array(dataKey), context(key));
      if (!(wrapped instanceof Uint8Array) || wrapped.byteLength === 0) {
        throw new StorageError(
          'InvalidConfig',
          'The KMS `wrap` hook must resolve with a non-empty Uint8Array.',
        );
      }
      return wrapped;
    },
    async unwrap(wrapped, keyId, key) {
      if (keyId !== '') {
        throw new StorageError(
          'PermissionDenied',
          `The object at ${JSON.stringify(key)} was encrypted with keyring key ${JSON.stringify(keyId)}, not by the KMS; use a keyring that holds that key.`,
          { key },
        );
      }
      let dataKey: Uint8Array;
      try {
        dataKey = await kms.unwrap(new Uint8Array(wrapped), context(key));
      } catch (e) {
        if (e instanceof StorageError) throw e;
        throw integrity('the KMS refused to unwrap its data key', key);
      }
      if (!(dataKey instanceof Uint8Array) || dataKey.byteLength !== 32) {
        throw integrity('the KMS did not return a 32-byte data key', key);
      }
      return Buffer.from(dataKey);
    },
  };
}
