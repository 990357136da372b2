import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts moto, fake-gcs-server, Azurite (and MinIO when installed) on free
    // loopback ports, or uses the endpoints already in the environment;
    // STOWAGE_EMULATORS=moto,gcs limits which start (see docs/testing.md).
    globalSetup: ['test/emulators/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
