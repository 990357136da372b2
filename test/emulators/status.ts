/** What the global setup tells test workers about each emulator (shared by global-setup.ts and env.ts). */

export const EMULATOR_NAMES = ['moto', 'gcs', 'azurite', 'minio'] as const;
export type EmulatorName = (typeof EMULATOR_NAMES)[number];

/** The outcome for one emulator. `endpoint` is set when tests can use it. */
export interface EmulatorStatus {
  how: 'started' | 'env' | 'skipped' | 'failed';
  endpoint?: string;
  reason?: string;
}

/** Environment variable carrying the JSON status map from the global setup to workers. */
export const STATUS_VAR = 'STOWAGE_EMULATOR_STATUS';

/** The emulators selected by `STOWAGE_EMULATORS` (comma list, or `none`; default all). */
export function selectedEmulators(): Set<EmulatorName> {
  const raw = process.env.STOWAGE_EMULATORS?.trim();
  if (!raw || raw === 'all') return new Set(EMULATOR_NAMES);
  if (raw === 'none') return new Set();
  const names = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const out = new Set<EmulatorName>();
  for (const n of names) {
    const normal = n === 'fake-gcs' || n === 'fake-gcs-server' ? 'gcs' : n === 's3' ? 'moto' : n;
    if ((EMULATOR_NAMES as readonly string[]).includes(normal)) out.add(normal as EmulatorName);
    else
      throw new Error(
        `STOWAGE_EMULATORS: unknown emulator "${n}" (expected any of ${EMULATOR_NAMES.join(', ')})`,
      );
  }
  return out;
}
