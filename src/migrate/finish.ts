/**
 * The phases after the transfer: verify (re-check the whole selection, so a
 * resumed migration also verifies what earlier runs copied) and delete
 * (extraneous target objects, after a count against `maxDelete`). Both walk
 * the two listings again with the same streaming merge: memory stays flat.
 */
import { StorageError } from '../core/errors.js';
import { retrying } from '../core/retry-policy.js';
import { type MigrateContext, recordFailure, TaskPool } from './context.js';
import { type PairedEntry, pairListings } from './plan.js';
import { sameContent } from './verify.js';

/** Checks every selected source object against its target (size, or content). */
export async function verifyPhase(ctx: MigrateContext): Promise<void> {
  const { report, progress, signal, selection } = ctx;
  progress.begin('verify', { objects: report.copied + report.skipped });
  const pool = new TaskPool(ctx.concurrency);
  const check = async (pair: PairedEntry) => {
    const source = pair.source!;
    try {
      let ok: boolean;
      let why = '';
      if (pair.target === undefined) {
        ok = false;
        why = 'it is missing at the target';
      } else if (ctx.verify === 'size') {
        ok = pair.target.size === source.size;
        why = `the target has ${pair.target.size} bytes, the source ${source.size}`;
      } else {
        const target = pair.target;
        ok = await retrying(
          () =>
            sameContent(
              { backend: selection.from, info: source },
              { backend: selection.to, info: target },
              signal,
            ),
          { ...ctx.retry, signal },
        );
        why = 'the contents differ';
      }
      if (ok) report.verified++;
      else {
        recordFailure(
          ctx,
          pair.rel,
          source.key,
          new StorageError(
            'IntegrityError',
            `Verification failed: ${why}; run the migration again to recopy it.`,
          ),
        );
      }
      progress.finished(undefined, ctx.verify === 'checksum' ? source.size : 0);
    } catch (e) {
      if (signal.aborted) return;
      recordFailure(ctx, pair.rel, source.key, e);
      progress.finished(undefined, 0);
    }
  };
  try {
    await walk();
  } finally {
    await pool.drain();
  }
  progress.end();

  async function walk(): Promise<void> {
    for await (const pair of pairListings(selection, undefined, signal)) {
      if (signal.aborted) break;
      if (pair.source === undefined || ctx.failedRels.has(pair.rel)) continue;
      progress.current = pair.source.key;
      if (ctx.verify === 'size') {
        await ctx.gate.pass(signal);
        await check(pair);
        continue;
      }
      await pool.slot();
      await ctx.gate.pass(signal);
      if (signal.aborted) break;
      pool.start(() => check(pair));
    }
  }
}

/**
 * Deletes target objects with no source, unless something failed (a failed
 * copy must not be followed by deleting its old target) or more than
 * `maxDelete` deletions would be needed; then it deletes nothing and says why.
 */
export async function deletePhase(ctx: MigrateContext): Promise<void> {
  const { report, progress, signal, selection } = ctx;
  progress.begin('delete');
  if (report.failed.length > 0) {
    report.deleteSkipped = `${report.failed.length} object(s) failed; nothing was deleted. Fix the failures and run again.`;
    progress.end();
    return;
  }
  let extraneous = 0;
  for await (const pair of pairListings(selection, undefined, signal)) {
    if (pair.source === undefined) extraneous++;
  }
  report.extraneous = extraneous;
  progress.objectsTotal = extraneous;
  if (extraneous > ctx.maxDelete) {
    report.deleteSkipped =
      `${extraneous} extraneous object(s) would be deleted, over maxDelete (${ctx.maxDelete}); nothing was deleted. ` +
      'Check the prefixes, then raise maxDelete to allow it.';
    progress.end();
    return;
  }
  if (extraneous === 0 || signal.aborted) {
    progress.end();
    return;
  }
  let yielded = 0;
  const keys = async function* () {
    for await (const pair of pairListings(selection, undefined, signal)) {
      if (pair.source !== undefined) continue;
      // The listing may have grown since the count: never exceed what was checked.
      if (++yielded > ctx.maxDelete) return;
      // pause() holds deletions too: no key reaches deleteMany while paused (a batch
      // already sent finishes, as an object in flight does in the transfer).
      await ctx.gate.pass(signal);
      if (signal.aborted) return;
      progress.current = pair.target!.key;
      progress.finished(undefined, 0);
      yield pair.target!.key;
    }
  };
  const result = await selection.to.deleteMany(keys(), { signal });
  report.deleted = result.deleted;
  for (const { key, error } of result.errors) {
    report.failed.push({ key, code: error.code, message: error.message });
  }
  progress.end();
}
