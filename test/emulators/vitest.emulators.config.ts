/**
 * Kept for scripts and docs that name it: the root vitest config already runs
 * the emulator global setup, so this is the same config.
 * `npx vitest run --config test/emulators/vitest.emulators.config.ts test/conformance/s3.test.ts`
 */
export { default } from '../../vitest.config.js';
