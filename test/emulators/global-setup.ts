/**
 * vitest globalSetup: starts each available emulator on a free 127.0.0.1 port
 * (in parallel), exports its endpoint in the variable named by ENDPOINT_VARS
 * and stops every process it started by PID at teardown.
 *
 * - An endpoint already in the environment (Docker users) is used as is.
 * - `STOWAGE_EMULATORS=moto,gcs` starts only those (default: all four).
 * - `STOWAGE_REQUIRE_EMULATORS=1` fails the run when moto, gcs or azurite is
 *   selected but unavailable or fails to start; MinIO stays optional unless
 *   `STOWAGE_REQUIRE_MINIO=1`.
 *
 * Workers learn the outcome through the environment (forks inherit the
 * variables set here) and, as a fallback, through `provide('stowageEmulators')`.
 */
import type { TestProject } from 'vitest/node';
import {
  EMULATOR_NAMES,
  type EmulatorName,
  type EmulatorStatus,
  STATUS_VAR,
  selectedEmulators,
} from './status.js';
import { ENDPOINT_VARS, type Emulator, type EmulatorHandle } from './types.js';

declare module 'vitest' {
  export interface ProvidedContext {
    stowageEmulators: Record<string, EmulatorStatus>;
  }
}

const MODULES: Record<EmulatorName, string> = {
  moto: './moto.js',
  gcs: './fake-gcs.js',
  azurite: './azurite.js',
  minio: './minio.js',
};

/** Which emulators must be running for the run to proceed. */
function requiredEmulators(): Set<EmulatorName> {
  const required = new Set<EmulatorName>();
  if (process.env.STOWAGE_REQUIRE_EMULATORS === '1')
    for (const n of ['moto', 'gcs', 'azurite'] as const) required.add(n);
  if (process.env.STOWAGE_REQUIRE_MINIO === '1') required.add('minio');
  return required;
}

/** Loads an emulator module; a module not written yet counts as unavailable. */
async function load(name: EmulatorName): Promise<Emulator | string> {
  try {
    const mod = (await import(MODULES[name])) as { emulator?: Emulator };
    return mod.emulator ?? `test/emulators/${MODULES[name].slice(2, -3)}.ts does not export \`emulator\``;
  } catch (e) {
    return `test/emulators/${MODULES[name].slice(2, -3)}.ts could not be loaded: ${(e as Error).message.split('\n')[0]}`;
  }
}

export default async function setup(project?: TestProject): Promise<() => Promise<void>> {
  const selected = selectedEmulators();
  const required = requiredEmulators();
  const handles: EmulatorHandle[] = [];
  const status: Record<string, EmulatorStatus> = {};

  await Promise.all(
    EMULATOR_NAMES.map(async (name) => {
      const envVar = ENDPOINT_VARS[name];
      const given = process.env[envVar];
      if (given) {
        status[name] = { endpoint: given, how: 'env' };
        return;
      }
      if (!selected.has(name)) {
        status[name] = {
          reason: `not selected by STOWAGE_EMULATORS=${process.env.STOWAGE_EMULATORS}`,
          how: 'skipped',
        };
        return;
      }
      const emulator = await load(name);
      if (typeof emulator === 'string') {
        status[name] = { reason: emulator, how: 'skipped' };
        return;
      }
      const reason = await emulator.unavailable();
      if (reason) {
        status[name] = { reason, how: 'skipped' };
        return;
      }
      try {
        const handle = await emulator.start();
        handles.push(handle);
        process.env[envVar] = handle.endpoint;
        status[name] = { endpoint: handle.endpoint, how: 'started' };
      } catch (e) {
        status[name] = { reason: `failed to start: ${(e as Error).message}`, how: 'failed' };
      }
    }),
  );

  const teardown = async () => {
    await Promise.allSettled(handles.map((h) => h.stop()));
  };

  for (const name of EMULATOR_NAMES) {
    const s = status[name]!;
    const line =
      s.how === 'started'
        ? `started at ${s.endpoint}`
        : s.how === 'env'
          ? `using env ${ENDPOINT_VARS[name]}=${s.endpoint}`
          : `skipped: ${s.reason}`;
    console.log(`[emulators] ${name}: ${line}`);
  }

  const missing = EMULATOR_NAMES.filter((n) => required.has(n) && selected.has(n) && !status[n]!.endpoint);
  if (missing.length > 0) {
    await teardown();
    const detail = missing.map((n) => `  ${n}: ${status[n]!.reason}`).join('\n');
    throw new Error(
      `STOWAGE_REQUIRE_EMULATORS: required emulators are not running:\n${detail}\nInstall them with \`npm run emulators:install\` or export their endpoint variables (see docs/testing.md).`,
    );
  }

  process.env[STATUS_VAR] = JSON.stringify(status);
  project?.provide('stowageEmulators', status);
  return teardown;
}
