/**
 * `stowage/testing`: the conformance kit (run the contract's behaviour suite
 * against any backend, with any test runner) and `chaos` fault injection.
 */
export * from './chaos.js';
export * from './conformance/index.js';
