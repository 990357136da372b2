/** Transfer commands: migrate and sync. */
import { createStorage } from '../../create.js';
import { migrate as runMigration, sync as runSync } from '../../migrate/index.js';
import { StorageError } from '../../core/errors.js';
import { parseSize } from '../../core/units.js';
import { emit, formatBytes, formatCount, ProgressBar } from '../output.js';
import { openTarget, resolveTarget, UsageError } from '../targets.js';
import { type CommandContext, intFlag, need } from './objects.js';

const COMPARE = ['size', 'size+mtime', 'etag', 'checksum', 'always'] as const;
const VERIFY = ['size', 'checksum'] as const;
const CONFLICT = ['newer', 'a', 'b', 'keep-both'] as const;

/**
 * Resolves `--checkpoint` / `--state`: a target naming one object
 * (`file:///tmp/run.json`, `s3://b/state.json`, `./run.json`).
 */
async function stateLocation(ctx: CommandContext, value: string | boolean | undefined, flag: string) {
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw new UsageError(`${flag} needs a location such as ./migration.checkpoint.json`);
  const target = resolveTarget(value, 'object', ctx.config);
  if (target.path === '') throw new UsageError(`${flag} must name an object, not a folder.`);
  return { store: await createStorage(target.config), key: target.path };
}

function oneOf<T extends readonly string[]>(
  value: string | boolean | undefined,
  allowed: T,
  flag: string,
): T[number] | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} takes one of ${allowed.join(', ')}.`);
  }
  return value as T[number];
}

/**
 * `migrate SRC DST`: copies what is missing or different, in three phases
 * (inventory, transfer, verify), resumable with --checkpoint.
 */
export async function migrate(ctx: CommandContext): Promise<void> {
  const from = resolveTarget(need(ctx.args[0], 'migrate needs SRC and DST'), 'prefix', ctx.config);
  const to = resolveTarget(need(ctx.args[1], 'migrate needs SRC and DST'), 'prefix', ctx.config);
  const compare = oneOf(ctx.flags.compare, COMPARE, '--compare');
  const verify = oneOf(ctx.flags.verify === true ? 'size' : ctx.flags.verify, VERIFY, '--verify');
  const bandwidth =
    typeof ctx.flags.bwlimit === 'string'
      ? parseSize(ctx.flags.bwlimit, '--bwlimit', 'InvalidArgument')
      : undefined;
  const checkpoint = await stateLocation(ctx, ctx.flags.checkpoint, '--checkpoint');
  const [fromBackend, toBackend] = await Promise.all([openTarget(from), openTarget(to)]);
  const bar = new ProgressBar(ctx.io, ctx.progress);
  try {
    const report = await runMigration({
      from: fromBackend,
      to: toBackend,
      prefix: from.path || undefined,
      targetPrefix: to.path || undefined,
      compare,
      verify: verify ?? false,
      deleteExtraneous: ctx.flags.delete === true,
      dryRun: ctx.flags['dry-run'] === true,
      concurrency: intFlag(ctx.flags.concurrency, 16),
      bandwidth,
      checkpoint,
      // A bar on a terminal wants totals for its ETA: one extra listing of the source.
      precount: bar.visible,
      signal: ctx.signal,
      onProgress: (p) => bar.update({ ...p, label: p.phase }),
    });
    bar.done();
    const summary = [
      report.dryRun ? 'Dry run: nothing was written.' : 'Migration finished.',
      `  planned:  ${formatCount(report.planned)}`,
      `  copied:   ${formatCount(report.copied)} (${formatBytes(report.bytes)})`,
      `  skipped:  ${formatCount(report.skipped)}`,
      `  deleted:  ${formatCount(report.deleted)}`,
      `  verified: ${formatCount(report.verified)}`,
      `  failed:   ${formatCount(report.failed.length)}`,
      `  time:     ${(report.ms / 1000).toFixed(1)} s`,
    ];
    for (const failure of report.failed.slice(0, 20))
      summary.push(`    ${failure.key}: ${failure.code}: ${failure.message}`);
    emit(ctx.io, summary.join('\n'), { type: 'report', ...report });
    if (ctx.signal.aborted) {
      throw new StorageError(
        'Aborted',
        checkpoint
          ? 'Interrupted; run the same command with the same --checkpoint to resume.'
          : 'Interrupted.',
      );
    }
    if (report.failed.length > 0)
      throw new StorageError('Unknown', `${report.failed.length} object(s) failed; see above.`);
  } finally {
    await Promise.all([fromBackend.close(), toBackend.close(), checkpoint?.store.close()]);
  }
}

/** `sync A B [--both] [--conflict P] --state LOC`: one-way or two-way sync with saved state. */
export async function sync(ctx: CommandContext): Promise<void> {
  const a = resolveTarget(need(ctx.args[0], 'sync needs A and B'), 'prefix', ctx.config);
  const b = resolveTarget(need(ctx.args[1], 'sync needs A and B'), 'prefix', ctx.config);
  const conflict = oneOf(ctx.flags.conflict, CONFLICT, '--conflict');
  const stateFlag = ctx.flags.state ?? '.stowage-sync-state.json';
  const state = await stateLocation(ctx, stateFlag, '--state');
  if (state === undefined) throw new UsageError('sync needs --state');
  const [aBackend, bBackend] = await Promise.all([openTarget(a), openTarget(b)]);
  const bar = new ProgressBar(ctx.io, ctx.progress);
  try {
    const report = await runSync({
      a: aBackend,
      b: bBackend,
      direction: ctx.flags.both === true ? 'both' : 'a-to-b',
      conflict,
      state,
      dryRun: ctx.flags['dry-run'] === true,
      bandwidth:
        typeof ctx.flags.bwlimit === 'string'
          ? parseSize(ctx.flags.bwlimit, '--bwlimit', 'InvalidArgument')
          : undefined,
      signal: ctx.signal,
      onProgress: (p) => bar.update({ ...p, label: 'sync' }),
    });
    bar.done();
    const side = (name: string, r: { created: number; updated: number; deleted: number }) =>
      `  ${name}: ${formatCount(r.created)} created, ${formatCount(r.updated)} updated, ${formatCount(r.deleted)} deleted`;
    const summary = [
      report.dryRun ? 'Dry run: nothing was written.' : 'Sync finished.',
      side(a.display, report.a),
      side(b.display, report.b),
      `  unchanged: ${formatCount(report.unchanged)}`,
      `  conflicts: ${formatCount(report.conflicts.length)}`,
      `  failed:    ${formatCount(report.failed.length)}`,
      `  copied:    ${formatBytes(report.bytes)} in ${(report.ms / 1000).toFixed(1)} s`,
    ];
    for (const c of report.conflicts.slice(0, 20)) {
      summary.push(
        `    conflict ${c.key}: ${c.kind}, kept ${c.winner}${c.renamedTo ? `, other kept as ${c.renamedTo}` : ''}`,
      );
    }
    for (const f of report.failed.slice(0, 20)) summary.push(`    ${f.key}: ${f.code}: ${f.message}`);
    emit(ctx.io, summary.join('\n'), { type: 'report', ...report });
    if (report.aborted)
      throw new StorageError(
        'Aborted',
        'Interrupted; the sync state was not saved, so the next run redoes the work.',
      );
    if (report.failed.length > 0)
      throw new StorageError('Unknown', `${report.failed.length} object(s) failed; see above.`);
  } finally {
    await Promise.all([aBackend.close(), bBackend.close(), state.store.close()]);
  }
}
