/**
 * The repository's vitest config plus the emulator global setup, for running
 * cloud suites before the root config lists it:
 * `npx vitest run --config test/emulators/vitest.emulators.config.ts test/conformance/s3.test.ts`
 */
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    test: { globalSetup: ['test/emulators/global-setup.ts'] },
  }),
);
