/**
 * Turns a command-line target into a backend and a key or prefix.
 *
 * A target is a storage URL (`s3://bucket/path`, `gs://…`, `az://account/container/path`,
 * `r2://account/bucket/path`, `memory://name/path`, `file:///abs/path`), a
 * plain path (`./data`, `/srv/x/a.txt`), or `name:path` for a backend named
 * in `stowage.config.json`. For object commands the path is the key; for
 * prefix commands it is the prefix. A local path addresses a directory root
 * for prefix commands and a file (root = its directory) for object commands.
 */
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StorageBackend } from '../core/backend.js';
import { createStorage, parseStorageUrl, type StorageConfig } from '../create.js';
import type { CliConfig } from './config.js';

/** A resolved target. */
export interface Target {
  /** The backend (opened lazily by {@link openTarget}). */
  config: StorageConfig;
  /** Key (object commands) or prefix (prefix commands), relative to the backend. */
  path: string;
  /** What to show the user (never a secret). */
  display: string;
}

/** Whether a target names one object or a prefix. */
export type TargetMode = 'object' | 'prefix';

/** Resolves a target string. Throws `InvalidConfig` for an unknown name or a bad URL. */
export function resolveTarget(input: string, mode: TargetMode, config: CliConfig): Target {
  const named = /^([A-Za-z][\w-]*):(?!\/\/)(.*)$/.exec(input);
  if (named && named[1]!.length > 1 && config.backends[named[1]!] !== undefined) {
    const entry = config.backends[named[1]!]!;
    const base = typeof entry === 'string' ? parseStorageUrl(entry) : (entry as StorageConfig);
    return { config: base, path: named[2]!.replace(/^\/+/, ''), display: input };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(input)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'file') {
    const path = scheme === 'file' ? fileURLToPath(input) : resolve(input);
    if (mode === 'object') {
      return { config: { backend: 'local', root: dirname(path) }, path: basename(path), display: input };
    }
    return { config: { backend: 'local', root: path }, path: '', display: input };
  }
  if (scheme === 'memory') {
    const url = new URL(input);
    return {
      config: { backend: 'memory', name: url.hostname || 'default' },
      path: decodeURIComponent(url.pathname).replace(/^\/+/, ''),
      display: input,
    };
  }
  const parsed = parseStorageUrl(input);
  const { prefix, ...backend } = parsed;
  return { config: backend as StorageConfig, path: typeof prefix === 'string' ? prefix : '', display: input };
}

/** Opens the backend of a target. */
export function openTarget(target: Target): Promise<StorageBackend> {
  return createStorage(target.config);
}

/** Throws a usage error (exit code 2) unless `target.path` names an object. */
export function requireKey(target: Target): string {
  if (target.path === '' || target.path.endsWith('/')) {
    throw new UsageError(`${target.display} names a folder, not an object.`);
  }
  return target.path;
}

/** A command-line mistake: printed with a hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A short description of a backend config for `status` (no secrets: only known, public fields). */
export function describeConfig(config: StorageConfig): Record<string, string> {
  const names: Record<string, string> = {
    memory: 'Memory',
    local: 'Local disk',
    s3: 'AWS S3 (or S3-compatible)',
    r2: 'Cloudflare R2',
    gcs: 'Google Cloud Storage',
    azure: 'Azure Blob Storage',
  };
  const out: Record<string, string> = { Backend: names[config.backend] ?? config.backend };
  const fields: [string, string][] = [
    ['root', 'Root'],
    ['name', 'Name'],
    ['accountId', 'Account'],
    ['accountName', 'Account'],
    ['bucket', 'Bucket'],
    ['container', 'Container'],
    ['prefix', 'Prefix'],
    ['region', 'Region'],
    ['projectId', 'Project'],
    ['endpoint', 'Endpoint'],
    ['apiEndpoint', 'Endpoint'],
  ];
  for (const [field, label] of fields) {
    const value = config[field];
    if (typeof value === 'string' && value !== '') out[label] = value;
  }
  return out;
}
