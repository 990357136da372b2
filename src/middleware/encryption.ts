/** `stowage/middleware/encryption`: client-side envelope encryption (see ./encryption/index.ts). */
export {
  EncryptedBackend,
  type EncryptionKeyring,
  type EncryptionKeys,
  type EncryptionKms,
  type EncryptionOptions,
  encryption,
  type KeyContext,
  type KeyManagementService,
} from './encryption/index.js';
