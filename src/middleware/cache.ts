/** `stowage/middleware/cache`: a read-through cache (see ./cache/index.ts). */
export {
  type CacheClearOptions,
  type CacheClock,
  CachedBackend,
  type CacheMiddleware,
  type CacheOptions,
  type CacheStats,
  type CacheStrategy,
  type CacheWarmResult,
  cache,
} from './cache/index.js';
