/**
 * `createStorage(url | config)`: builds any backend from a URL or a config
 * object, loading its adapter (and so its SDK) only when asked for.
 */
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StorageBackend } from './core/backend.js';
import { StorageError } from './core/errors.js';

/** Backend names `createStorage` knows. */
export const BACKENDS = ['memory', 'local', 's3', 'r2', 'gcs', 'azure'] as const;
/** One of {@link BACKENDS}. */
export type BackendName = (typeof BACKENDS)[number];

/**
 * A config object: `backend` names the adapter, every other field is passed
 * to its factory (`s3({...})`, `local({...})`, ...) and validated there.
 */
export interface StorageConfig {
  /** Which adapter to build. */
  backend: BackendName;
  [option: string]: unknown;
}

type Factory = (options: Record<string, unknown>) => StorageBackend;

// Dynamic imports: importing `stowage` loads no adapter and no SDK.
const loaders: Record<BackendName, () => Promise<Factory>> = {
  memory: async () => (await import('./backends/memory/index.js')).memory as unknown as Factory,
  local: async () => (await import('./backends/local/index.js')).local as unknown as Factory,
  s3: async () => (await import('./backends/s3/index.js')).s3 as unknown as Factory,
  r2: async () => (await import('./backends/r2/index.js')).r2 as unknown as Factory,
  gcs: async () => (await import('./backends/gcs/index.js')).gcs as unknown as Factory,
  azure: async () => (await import('./backends/azure/index.js')).azure as unknown as Factory,
};

// Query parameters that would put a secret into a URL (and so into logs).
const SECRET_PARAMS =
  /^(secret|secretAccessKey|accessKeyId|sessionToken|accountKey|sasToken|sig|connectionString|credentials|password|token|privateKey)$/i;

/**
 * Parses a storage URL into a config object, without loading anything.
 *
 * - `memory://name`
 * - `file:///abs/path` or a plain path (`./data`, `/srv/files`)
 * - `s3://bucket/prefix?region=eu-west-1&endpoint=http://127.0.0.1:9000&forcePathStyle=true&provider=minio`
 * - `r2://account/bucket/prefix`
 * - `gs://bucket/prefix?projectId=p&apiEndpoint=http://127.0.0.1:4443`
 * - `az://account/container/prefix?endpoint=http://127.0.0.1:10000/devstoreaccount1`
 *
 * Secrets are refused in URLs (`InvalidConfig`): pass them in the config
 * object or through the provider's environment variables.
 */
export function parseStorageUrl(url: string): StorageConfig {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new StorageError(
      'InvalidConfig',
      'A storage URL must be a non-empty string such as "file:///data" or "s3://bucket".',
    );
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    // A plain path (Windows drive letters included).
    return { backend: 'local', root: resolvePath(url) };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StorageError('InvalidConfig', `Cannot parse storage URL ${JSON.stringify(redactUrl(url))}.`);
  }
  const params: Record<string, unknown> = {};
  for (const [name, value] of parsed.searchParams) {
    if (SECRET_PARAMS.test(name)) {
      throw new StorageError(
        'InvalidConfig',
        `Refusing the secret query parameter \`${name}\` in a storage URL (URLs end up in logs); pass it in the config object or the provider's environment variables.`,
      );
    }
    params[name] = value === 'true' ? true : value === 'false' ? false : value;
  }
  if (parsed.username || parsed.password) {
    throw new StorageError(
      'InvalidConfig',
      'Refusing credentials in a storage URL (URLs end up in logs); pass them in the config object or the environment.',
    );
  }
  const segments = decodeURIComponent(parsed.pathname)
    .split('/')
    .filter((s) => s !== '');
  const host = decodeURIComponent(parsed.hostname);
  const prefixOf = (parts: string[]) => (parts.length > 0 ? parts.join('/') : undefined);
  switch (scheme) {
    case 'memory':
      return {
        backend: 'memory',
        ...(host || segments.length ? { name: [host, ...segments].filter(Boolean).join('/') } : {}),
        ...params,
      };
    case 'file':
      return { backend: 'local', root: fileURLToPath(parsed.href.split('?')[0]!), ...params };
    case 's3':
      return withPrefix(
        { backend: 's3', bucket: requireHost(host, url, 'bucket'), ...params },
        prefixOf(segments),
      );
    case 'r2': {
      const [bucket, ...rest] = segments;
      if (!bucket)
        throw new StorageError('InvalidConfig', 'An r2:// URL is r2://<accountId>/<bucket>/<prefix?>.');
      return withPrefix(
        { backend: 'r2', accountId: requireHost(host, url, 'account id'), bucket, ...params },
        prefixOf(rest),
      );
    }
    case 'gs':
    case 'gcs':
      return withPrefix(
        { backend: 'gcs', bucket: requireHost(host, url, 'bucket'), ...params },
        prefixOf(segments),
      );
    case 'az':
    case 'azure': {
      const [container, ...rest] = segments;
      if (!container)
        throw new StorageError('InvalidConfig', 'An az:// URL is az://<account>/<container>/<prefix?>.');
      return withPrefix(
        { backend: 'azure', accountName: requireHost(host, url, 'account'), container, ...params },
        prefixOf(rest),
      );
    }
    default:
      throw new StorageError(
        'InvalidConfig',
        `Unknown storage URL scheme "${scheme}:"; use memory://, file://, s3://, r2://, gs:// or az://.`,
      );
  }
}

/**
 * Builds a backend from a URL or a config object, loading the adapter lazily.
 * `overrides` are merged over what the URL says (credentials go here).
 *
 * @example
 * ```ts
 * const local = await createStorage('./data');
 * const s3 = await createStorage('s3://my-bucket/uploads?region=eu-west-1');
 * const azure = await createStorage({ backend: 'azure', container: 'c', connectionString: process.env.AZ! });
 * ```
 */
export async function createStorage(
  urlOrConfig: string | StorageConfig,
  overrides: Record<string, unknown> = {},
): Promise<StorageBackend> {
  const config = typeof urlOrConfig === 'string' ? parseStorageUrl(urlOrConfig) : urlOrConfig;
  if (config === null || typeof config !== 'object') {
    throw new StorageError(
      'InvalidConfig',
      'createStorage needs a URL string or a config object with a `backend` field.',
    );
  }
  const { backend, ...options } = { ...config, ...overrides } as StorageConfig;
  if (!(BACKENDS as readonly string[]).includes(backend)) {
    throw new StorageError(
      'InvalidConfig',
      `[stowage] Invalid options: backend: expected one of ${BACKENDS.join(', ')}; got ${JSON.stringify(backend)}.`,
    );
  }
  const factory = await loaders[backend]();
  return factory(options);
}

function withPrefix(config: StorageConfig, prefix: string | undefined): StorageConfig {
  return prefix === undefined ? config : { ...config, prefix };
}

function requireHost(host: string, url: string, what: string): string {
  if (!host)
    throw new StorageError(
      'InvalidConfig',
      `The storage URL ${JSON.stringify(redactUrl(url))} names no ${what}.`,
    );
  return host;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//[REDACTED]@').replace(/\?.*$/, '?…');
}
