/**
 * The shape every emulator module in this folder exports (moto.ts,
 * fake-gcs.ts, azurite.ts, minio.ts). global-setup.ts starts each available
 * one on a free 127.0.0.1 port and puts its endpoint in the environment
 * variable named by `envVar`, which the test files read through `env.ts`.
 */
export interface EmulatorHandle {
  /** The endpoint URL tests should use (e.g. http://127.0.0.1:41234). */
  endpoint: string;
  /** Stops the process (by PID) and removes its data directory. */
  stop(): Promise<void>;
}

export interface Emulator {
  /** Short name: 'moto' | 'gcs' | 'azurite' | 'minio'. */
  name: string;
  /**
   * The variable the endpoint is exported in. When it is already set (e.g.
   * by Docker users), the harness uses it and starts nothing.
   */
  envVar: string;
  /** Why this emulator cannot start on this machine, or undefined when it can. */
  unavailable(): Promise<string | undefined>;
  /** Starts it on a free loopback port and resolves once it answers. */
  start(): Promise<EmulatorHandle>;
}

/** Endpoint variables, one per emulator. */
export const ENDPOINT_VARS = {
  moto: 'STOWAGE_TEST_S3_ENDPOINT',
  gcs: 'STOWAGE_TEST_GCS_ENDPOINT',
  azurite: 'STOWAGE_TEST_AZURITE_ENDPOINT',
  minio: 'STOWAGE_TEST_MINIO_ENDPOINT',
} as const;
