/** Object commands: ls, cat, cp, rm, stat, presign. */
import { pipeline } from 'node:stream/promises';
import { StorageError } from '../../core/errors.js';
import { parseDuration } from '../../core/units.js';
import { copy, migrate } from '../../migrate/index.js';
import type { CliConfig } from '../config.js';
import { emit, formatBytes, formatDate, type Io, ProgressBar, table } from '../output.js';
import { openTarget, requireKey, resolveTarget, UsageError } from '../targets.js';

/** What every command receives. */
export interface CommandContext {
  io: Io;
  config: CliConfig;
  args: string[];
  flags: Record<string, string | boolean | undefined>;
  signal: AbortSignal;
  /** Show progress (a bar on a TTY, JSON lines with --json). */
  progress: boolean;
}

/** `ls TARGET [-r]`: lists objects and folders under a prefix. */
export async function ls(ctx: CommandContext): Promise<void> {
  const target = resolveTarget(ctx.args[0] ?? '.', 'prefix', ctx.config);
  const backend = await openTarget(target);
  try {
    const rows: string[][] = [];
    for await (const entry of backend.list(target.path, {
      recursive: ctx.flags.recursive === true,
      signal: ctx.signal,
    })) {
      if (ctx.io.json) {
        emit(
          ctx.io,
          '',
          entry.type === 'prefix'
            ? { type: 'prefix', key: entry.key }
            : {
                type: 'object',
                key: entry.key,
                size: entry.size,
                lastModified: entry.lastModified,
                etag: entry.etag,
              },
        );
        continue;
      }
      if (entry.type === 'prefix') rows.push(['', 'PRE', entry.key]);
      else rows.push([formatDate(entry.lastModified), formatBytes(entry.size), entry.key]);

      // Print in batches so huge listings stream instead of piling up.
      if (rows.length >= 1000) ctx.io.stdout.write(`${table(rows.splice(0), [1])}\n`);
    }
    if (rows.length > 0) ctx.io.stdout.write(`${table(rows, [1])}\n`);
  } finally {
    await backend.close();
  }
}

/** `cat TARGET`: writes one object to stdout. */
export async function cat(ctx: CommandContext): Promise<void> {
  const target = resolveTarget(need(ctx.args[0], 'cat needs a target'), 'object', ctx.config);
  const backend = await openTarget(target);
  try {
    const stream = await backend.stream(requireKey(target), { signal: ctx.signal });
    await pipeline(stream, ctx.io.stdout, { end: false });
  } finally {
    await backend.close();
  }
}

/** `stat TARGET`: prints an object's info. */
export async function stat(ctx: CommandContext): Promise<void> {
  const target = resolveTarget(need(ctx.args[0], 'stat needs a target'), 'object', ctx.config);
  const backend = await openTarget(target);
  try {
    const info = await backend.stat(requireKey(target), { signal: ctx.signal });
    const rows: string[][] = [
      ['Key', info.key],
      ['Size', `${formatBytes(info.size)} (${info.size} bytes)`],
      ['Last modified', formatDate(info.lastModified)],
    ];
    if (info.etag) rows.push(['ETag', info.etag]);
    if (info.contentType) rows.push(['Content type', info.contentType]);
    if (info.storageClass) rows.push(['Storage class', info.storageClass]);
    if (info.version) rows.push(['Version', info.version]);
    for (const [name, value] of Object.entries(info.metadata)) rows.push([`Metadata ${name}`, value]);
    emit(ctx.io, table(rows), info);
  } finally {
    await backend.close();
  }
}

/** `rm TARGET [-r]`: deletes an object, or everything under a prefix. */
export async function rm(ctx: CommandContext): Promise<void> {
  const recursive = ctx.flags.recursive === true;
  const target = resolveTarget(
    need(ctx.args[0], 'rm needs a target'),
    recursive ? 'prefix' : 'object',
    ctx.config,
  );
  const backend = await openTarget(target);
  try {
    if (!recursive) {
      const key = requireKey(target);
      await backend.delete(key, { signal: ctx.signal });
      emit(ctx.io, `deleted ${key}`, { deleted: 1, key });
      return;
    }
    const signal = ctx.signal;
    const keys = (async function* () {
      for await (const entry of backend.list(target.path, { signal }))
        if (entry.type === 'object') yield entry.key;
    })();
    const result = await backend.deleteMany(keys, { signal });
    for (const { key, error } of result.errors)
      ctx.io.stderr.write(`stowage: could not delete ${key}: ${error.code}: ${error.message}\n`);
    emit(ctx.io, `deleted ${result.deleted} object(s)`, {
      deleted: result.deleted,
      failed: result.errors.length,
    });
    if (result.errors.length > 0) {
      throw new StorageError(
        result.errors[0]!.error.code,
        `${result.errors.length} object(s) could not be deleted.`,
      );
    }
  } finally {
    await backend.close();
  }
}

/**
 * `cp SRC DST [-r]`: copies one object (or with -r every object under a
 * prefix) between any two targets; `-` is stdin or stdout.
 */
export async function cp(ctx: CommandContext): Promise<void> {
  const [src, dst] = [need(ctx.args[0], 'cp needs SRC and DST'), need(ctx.args[1], 'cp needs SRC and DST')];
  const bar = new ProgressBar(ctx.io, ctx.progress);
  if (src === '-' || dst === '-') return cpStdio(ctx, src, dst, bar);
  if (ctx.flags.recursive === true) {
    const from = resolveTarget(src, 'prefix', ctx.config);
    const to = resolveTarget(dst, 'prefix', ctx.config);
    const [fromBackend, toBackend] = await Promise.all([openTarget(from), openTarget(to)]);
    try {
      const report = await migrate({
        from: fromBackend,
        to: toBackend,
        prefix: from.path,
        targetPrefix: to.path,
        compare: 'always',
        concurrency: intFlag(ctx.flags.concurrency, 16),
        signal: ctx.signal,
        onProgress: (p) => bar.update({ ...p, label: 'cp' }),
      });
      bar.done();
      emit(ctx.io, `copied ${report.copied} object(s), ${formatBytes(report.bytes)}`, report);
      if (report.failed.length > 0)
        throw new StorageError('Unknown', `${report.failed.length} object(s) failed to copy.`);
    } finally {
      await Promise.all([fromBackend.close(), toBackend.close()]);
    }
    return;
  }
  const from = resolveTarget(src, 'object', ctx.config);
  const fromKey = requireKey(from);
  // A destination ending in '/' (or an existing local directory) receives the source's name.
  const dstIsFolder = dst.endsWith('/') || (await isLocalDirectory(dst));
  const to = dstIsFolder
    ? resolveTarget(dst, 'prefix', ctx.config)
    : resolveTarget(dst, 'object', ctx.config);
  const toKey = dstIsFolder ? `${to.path}${fromKey.slice(fromKey.lastIndexOf('/') + 1)}` : requireKey(to);
  const [fromBackend, toBackend] = await Promise.all([openTarget(from), openTarget(to)]);
  try {
    const info = await copy(fromBackend, fromKey, toBackend, toKey, {
      signal: ctx.signal,
      onProgress: (p) => bar.bytes(p, 'cp'),
    });
    bar.done();
    emit(ctx.io, `copied ${from.display} -> ${toKey} (${formatBytes(info.size)})`, info);
  } finally {
    await Promise.all([fromBackend.close(), toBackend.close()]);
  }
}

async function cpStdio(ctx: CommandContext, src: string, dst: string, bar: ProgressBar): Promise<void> {
  if (src === '-' && dst === '-') throw new UsageError('cp cannot copy stdin to stdout.');
  if (src === '-') {
    const to = resolveTarget(dst, 'object', ctx.config);
    const backend = await openTarget(to);
    try {
      const info = await backend.write(requireKey(to), ctx.io.stdin as NodeJS.ReadableStream as never, {
        signal: ctx.signal,
        onProgress: (p) => bar.bytes(p, 'cp'),
      });
      bar.done();
      emit(ctx.io, `wrote ${info.key} (${formatBytes(info.size)})`, info);
    } finally {
      await backend.close();
    }
    return;
  }
  const from = resolveTarget(src, 'object', ctx.config);
  const backend = await openTarget(from);
  try {
    const stream = await backend.stream(requireKey(from), { signal: ctx.signal });
    await pipeline(stream, ctx.io.stdout, { end: false });
  } finally {
    await backend.close();
  }
}

/** `presign TARGET [--put] [--expires 15m] [--content-type T]`: prints a presigned URL. */
export async function presign(ctx: CommandContext): Promise<void> {
  const target = resolveTarget(need(ctx.args[0], 'presign needs a target'), 'object', ctx.config);
  const backend = await openTarget(target);
  try {
    const expires = typeof ctx.flags.expires === 'string' ? ctx.flags.expires : '15m';
    parseDuration(expires, '--expires', 'InvalidArgument');
    const request = await backend.presign(requireKey(target), {
      method: ctx.flags.put === true ? 'PUT' : 'GET',
      expiresIn: expires,
      contentType: typeof ctx.flags['content-type'] === 'string' ? ctx.flags['content-type'] : undefined,
    });
    emit(ctx.io, request.url, request);
  } finally {
    await backend.close();
  }
}

/** Returns `value`, or throws a usage error with `message`. */
export function need(value: string | undefined, message: string): string {
  if (value === undefined || value === '') throw new UsageError(message);
  return value;
}

/** Parses an integer flag (usage error when it is not one). */
export function intFlag(value: string | boolean | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n) || n < 1) {
    throw new UsageError(`expected a positive whole number, got ${JSON.stringify(value)}`);
  }
  return n;
}

async function isLocalDirectory(target: string): Promise<boolean> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) && !target.startsWith('file://')) return false;
  try {
    const { stat: fsStat } = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    const path = target.startsWith('file://') ? fileURLToPath(target) : target;
    return (await fsStat(path)).isDirectory();
  } catch {
    return false;
  }
}
