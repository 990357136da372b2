/** `cache stats|clear|warm`: manages the on-disk cache named in stowage.config.json. */
import { local } from '../../backends/local/index.js';
import { parseDuration } from '../../core/units.js';
import { cache } from '../../middleware/cache.js';
import { emit, formatBytes, formatCount } from '../output.js';
import { openTarget, resolveTarget, UsageError } from '../targets.js';
import type { CommandContext } from './objects.js';

/**
 * `cache stats` prints entries, bytes, hits and misses; `cache clear
 * [--older-than 1d]` removes entries; `cache warm TARGET` reads every object
 * under TARGET into the cache.
 */
export async function cacheCommand(ctx: CommandContext): Promise<void> {
  const settings = ctx.config.cache;
  if (settings === undefined) {
    throw new UsageError(
      'no cache is configured: add "cache": { "dir": ".stowage-cache" } to stowage.config.json',
    );
  }
  const [action, targetArg] = ctx.args;
  const store = local({ root: settings.dir });
  const middleware = cache({ store, ttl: settings.ttl, maxSize: settings.maxSize });
  try {
    switch (action) {
      case 'stats': {
        const s = middleware.stats();
        emit(
          ctx.io,
          [
            `Cache: ${settings.dir}`,
            `  Entries: ${formatCount(s.entries)}`,
            `  Size: ${formatBytes(s.bytes)}`,
            `  Listings: ${formatCount(s.listings)}`,
          ].join('\n'),
          { dir: settings.dir, entries: s.entries, bytes: s.bytes, listings: s.listings },
        );
        return;
      }
      case 'clear': {
        const olderThan = ctx.flags['older-than'];
        if (olderThan !== undefined) parseDuration(olderThan as string, '--older-than', 'InvalidArgument');
        await middleware.clear(typeof olderThan === 'string' ? { olderThan } : {});
        emit(ctx.io, `cleared ${olderThan ? `entries older than ${olderThan}` : 'the cache'}`, {
          cleared: true,
          olderThan,
        });
        return;
      }
      case 'warm': {
        if (targetArg === undefined) throw new UsageError('cache warm needs a TARGET to read into the cache');
        const target = resolveTarget(targetArg, 'prefix', ctx.config);
        const backend = middleware(await openTarget(target));
        try {
          const warmed = await middleware.warm(target.path);
          emit(
            ctx.io,
            `warmed ${formatCount(warmed.objects)} object(s), ${formatBytes(warmed.bytes)}; ${formatCount(warmed.skipped)} skipped`,
            warmed,
          );
        } finally {
          await backend.close();
        }
        return;
      }
      default:
        throw new UsageError('cache takes stats, clear or warm');
    }
  } finally {
    await store.close();
  }
}
