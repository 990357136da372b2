/**
 * `stowage/middleware`: every middleware. Each is also its own subpath,
 * `stowage/middleware/<name>`.
 */
export * from './cache.js';
export * from './encryption.js';
export * from './guard.js';
export * from './observe.js';
export * from './retry.js';
export * from './scope.js';
export * from './throttle.js';
export * from './timeout.js';
