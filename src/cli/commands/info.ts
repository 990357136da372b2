/** Information commands: status, stats, buckets. */
import { check, stats as storageStats } from '../../core/helpers.js';
import { StorageError } from '../../core/errors.js';
import { emit, formatBytes, formatCount, formatDate, table } from '../output.js';
import { describeConfig, openTarget, resolveTarget, UsageError } from '../targets.js';
import { type CommandContext, need } from './objects.js';

/**
 * `status TARGET`: backend, bucket/container, prefix, region, health, and
 * object statistics, like a workspace's `storage status`.
 */
export async function status(ctx: CommandContext): Promise<void> {
  const target = resolveTarget(ctx.args[0] ?? '.', 'prefix', ctx.config);
  const backend = await openTarget(target);
  try {
    const health = await check(backend);
    const described = describeConfig(target.config);
    if (target.path) described.Prefix = target.path;
    const counted = health.ok ? await storageStats(backend, target.path, { signal: ctx.signal }) : undefined;
    const result = {
      ...Object.fromEntries(Object.entries(described).map(([k, v]) => [k.toLowerCase(), v])),
      health: health.ok ? 'connected' : 'error',
      latencyMs: health.latencyMs,
      error: health.error ? { code: health.error.code, message: health.error.message } : undefined,
      objects: counted?.objects,
      bytes: counted?.bytes,
      lastModified: counted?.lastModified,
    };
    const lines = ['Storage Status', '═'.repeat(60), ''];
    lines.push(table(Object.entries(described).map(([k, v]) => [`${k}:`, v])));
    if (counted) {
      lines.push('', 'Statistics:');
      lines.push(`  Objects: ${formatCount(counted.objects)}`);
      lines.push(`  Total Size: ${formatBytes(counted.bytes)}`);
      lines.push(`  Last Modified: ${formatDate(counted.lastModified)}`);
    }
    lines.push(
      '',
      health.ok
        ? `Health: ✅ Connected (${health.latencyMs} ms)`
        : `Health: ❌ ${health.error?.code}: ${health.error?.message}`,
    );
    emit(ctx.io, lines.join('\n'), result);
    if (!health.ok) throw health.error ?? new StorageError('Unknown', 'The backend is not reachable.');
  } finally {
    await backend.close();
  }
}

/** `stats TARGET [--by extension]`: object count and bytes, optionally by extension. */
export async function stats(ctx: CommandContext): Promise<void> {
  const by = ctx.flags.by;
  if (by !== undefined && by !== 'extension') throw new UsageError('--by takes "extension".');
  const target = resolveTarget(ctx.args[0] ?? '.', 'prefix', ctx.config);
  const backend = await openTarget(target);
  try {
    const result = await storageStats(backend, target.path, { signal: ctx.signal });
    const lines = [
      `Objects: ${formatCount(result.objects)}`,
      `Total Size: ${formatBytes(result.bytes)} (${result.bytes} bytes)`,
      `Last Modified: ${formatDate(result.lastModified)}`,
    ];
    if (by === 'extension') {
      const rows = Object.entries(result.byExtension)
        .sort((a, b) => b[1].bytes - a[1].bytes)
        .map(([ext, v]) => [ext === '' ? '(none)' : `.${ext}`, formatCount(v.objects), formatBytes(v.bytes)]);
      lines.push('', table([['EXTENSION', 'OBJECTS', 'SIZE'], ...rows], [1, 2]));
    }
    emit(ctx.io, lines.join('\n'), by === 'extension' ? result : { ...result, byExtension: undefined });
  } finally {
    await backend.close();
  }
}

/** `buckets URL`: lists buckets (s3://, r2://, gs://) or containers (az://account). */
export async function buckets(ctx: CommandContext): Promise<void> {
  const url = need(ctx.args[0], 'buckets needs a URL such as s3:// , gs:// or az://account');
  const scheme = /^([a-z0-9]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  // Only the query matters here (endpoint, region, …): s3:// has no host to parse.
  const params: Record<string, string | boolean> = {};
  for (const [name, value] of new URLSearchParams(url.split('?')[1] ?? '')) {
    params[name] = value === 'true' ? true : value === 'false' ? false : value;
  }
  let names: string[];
  switch (scheme) {
    case 's3': {
      const { listBuckets } = await import('../../backends/s3/index.js');
      names = (await listBuckets(params as never)).map(nameOf);
      break;
    }
    case 'gs':
    case 'gcs': {
      const { listBuckets } = await import('../../backends/gcs/index.js');
      names = (await listBuckets(params as never)).map(nameOf);
      break;
    }
    case 'az':
    case 'azure': {
      const accountName = /^[a-z]+:\/\/([^/?]*)/i.exec(url)?.[1] ?? '';
      const { listContainers } = await import('../../backends/azure/index.js');
      names = (await listContainers({ ...(accountName ? { accountName } : {}), ...params } as never)).map(
        nameOf,
      );
      break;
    }
    default:
      throw new UsageError('buckets takes s3://, gs:// or az://<account> (with ?endpoint=… for emulators).');
  }
  for (const name of names) emit(ctx.io, name, { name });
}

function nameOf(entry: unknown): string {
  return typeof entry === 'string' ? entry : String((entry as { name?: unknown }).name);
}
