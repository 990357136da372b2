/**
 * What test files use to reach the emulators started by global-setup.ts.
 *
 * @example
 * describeWithEmulator('moto', 's3 adapter', (endpoint) => {
 *   it('writes', async () => { ... });
 * });
 */
import { describe, inject, it } from 'vitest';
import { MINIO_TEST_PASSWORD, MINIO_TEST_USER } from './minio.js';
import { type EmulatorName, type EmulatorStatus, STATUS_VAR, selectedEmulators } from './status.js';
import { ENDPOINT_VARS } from './types.js';

function statusMap(): Record<string, EmulatorStatus> {
  const raw = process.env[STATUS_VAR];
  if (raw) {
    try {
      return JSON.parse(raw) as Record<string, EmulatorStatus>;
    } catch {}
  }
  try {
    return inject('stowageEmulators') ?? {};
  } catch {
    return {};
  }
}

/** The endpoint of an emulator, or undefined when it is not running. */
export function emulatorEndpoint(name: EmulatorName): string | undefined {
  return process.env[ENDPOINT_VARS[name]] || statusMap()[name]?.endpoint;
}

/** Why an emulator is not running (for skip messages). */
export function emulatorSkipReason(name: EmulatorName): string {
  const status = statusMap()[name];
  if (status?.reason) return status.reason;
  if (!process.env[STATUS_VAR])
    return `no endpoint in ${ENDPOINT_VARS[name]} and the emulator global setup did not run (use the vitest config that lists test/emulators/global-setup.ts)`;
  return `no endpoint in ${ENDPOINT_VARS[name]}`;
}

/** True when a missing emulator must fail its suite instead of skipping it. */
export function emulatorRequired(name: EmulatorName): boolean {
  let selected = true;
  try {
    selected = selectedEmulators().has(name);
  } catch {}
  if (!selected) return false;
  if (name === 'minio') return process.env.STOWAGE_REQUIRE_MINIO === '1';
  return process.env.STOWAGE_REQUIRE_EMULATORS === '1';
}

/** Static credentials the emulator accepts (moto accepts any; MinIO needs its root user). */
export function emulatorCredentials(name: EmulatorName): { accessKeyId: string; secretAccessKey: string } {
  if (name === 'minio')
    return {
      accessKeyId: process.env.STOWAGE_TEST_MINIO_ACCESS_KEY ?? MINIO_TEST_USER,
      secretAccessKey: process.env.STOWAGE_TEST_MINIO_SECRET_KEY ?? MINIO_TEST_PASSWORD,
    };
  return { accessKeyId: 'test', secretAccessKey: 'test' };
}

const warned = new Set<string>();

/**
 * `describe` that runs only when the emulator is up. Without it the suite is
 * skipped with its reason in the title (and one console warning), or, when
 * the emulator is required (STOWAGE_REQUIRE_EMULATORS=1), it fails.
 */
export function describeWithEmulator(
  name: EmulatorName,
  title: string,
  fn: (endpoint: string) => void,
): void {
  const endpoint = emulatorEndpoint(name);
  if (endpoint) {
    describe(title, () => fn(endpoint));
    return;
  }
  const reason = emulatorSkipReason(name);
  if (emulatorRequired(name)) {
    describe(title, () => {
      it(`needs the ${name} emulator`, () => {
        throw new Error(`${name} emulator is required but not running: ${reason}`);
      });
    });
    return;
  }
  if (!warned.has(name)) {
    warned.add(name);
    console.warn(`[emulators] skipping ${name} suites: ${reason}`);
  }
  describe.skip(`${title} (skipped: ${name} unavailable: ${reason})`, () => fn('http://unavailable.invalid'));
}
