/**
 * Errors: every rejection is a `StorageError` from the closed code set;
 * unknown options and unsupported features are refused, never ignored.
 */
import { CAPABILITY_FLAGS } from '../../core/capabilities.js';
import { ensure, equal, rejectsWith } from './assert.js';
import type { KitContext } from './context.js';
import { collectList } from './fixtures.js';

/** Registers the error and capability tests. */
export function errorTests(kit: KitContext): void {
  kit.describe('errors and capabilities', () => {
    kit.it('every method: an unknown option (a typo) rejects with InvalidArgument', async (s) => {
      await s.backend.write(s.key('o'), 'x');
      const typo = { ifNotExist: true } as never;
      const calls: [string, () => Promise<unknown>][] = [
        ['read', () => s.backend.read(s.key('o'), typo)],
        ['stream', () => s.backend.stream(s.key('o'), typo)],
        ['write', () => s.backend.write(s.key('o'), 'y', typo)],
        ['stat', () => s.backend.stat(s.key('o'), typo)],
        ['exists', () => s.backend.exists(s.key('o'), typo)],
        ['list', () => collectList(s.backend.list(s.prefix, typo))],
        ['delete', () => s.backend.delete(s.key('o'), typo)],
        ['deleteMany', () => s.backend.deleteMany([s.key('o')], typo)],
        ['copy', () => s.backend.copy(s.key('o'), s.key('p'), typo)],
        ['move', () => s.backend.move(s.key('o'), s.key('p'), typo)],
      ];
      for (const [method, call] of calls)
        await rejectsWith(call, 'InvalidArgument', `${method} with an unknown option`);
      equal(Buffer.from(await s.backend.read(s.key('o'))).toString(), 'x', 'content after refused calls');
      equal(await s.backend.exists(s.key('p')), false, 'no copy made by refused calls');
    });

    kit.it('write: options of the wrong type reject with InvalidArgument', async (s) => {
      const bad: Record<string, unknown>[] = [
        { size: -1 },
        { size: 1.5 },
        { contentType: 42 },
        { onProgress: 'not a function' },
        { ifNotExists: 'yes' },
        { concurrency: 0 },
        { partSize: 'huge' },
      ];
      for (const options of bad) {
        await rejectsWith(
          s.backend.write(s.key('w'), 'x', options as never),
          ['InvalidArgument', 'Unsupported'],
          `write with ${JSON.stringify(options)}`,
        );
      }
      equal(await s.backend.exists(s.key('w')), false, 'nothing written with bad options');
    });

    kit.it(
      'versions: reading, stating or deleting a version needs versioning [versioning; else Unsupported]',
      async (s) => {
        const info = await s.backend.write(s.key('v'), 'one');
        if (!s.caps.versioning) {
          await rejectsWith(s.backend.read(s.key('v'), { version: 'v1' }), 'Unsupported', 'read a version');
          await rejectsWith(s.backend.stat(s.key('v'), { version: 'v1' }), 'Unsupported', 'stat a version');
          await rejectsWith(
            s.backend.delete(s.key('v'), { version: 'v1' }),
            'Unsupported',
            'delete a version',
          );
          return;
        }
        ensure(typeof info.version === 'string', 'a versioned backend returns a version from write');
        await s.backend.write(s.key('v'), 'two');
        equal(
          Buffer.from(await s.backend.read(s.key('v'), { version: info.version })).toString(),
          'one',
          'read of the first version',
        );
        equal(
          (await s.backend.stat(s.key('v'), { version: info.version })).size,
          3,
          'stat of the first version',
        );
      },
    );

    kit.it(
      'write: storageClass needs the storageClass capability [storageClass; else Unsupported]',
      async (s) => {
        if (!s.caps.storageClass) {
          await rejectsWith(
            s.backend.write(s.key('sc'), 'x', { storageClass: 'COLD' }),
            'Unsupported',
            'storageClass',
          );
          equal(await s.backend.exists(s.key('sc')), false, 'nothing written');
          return;
        }
        // Each provider names its classes; the kit only checks the option is accepted by a plain write.
        const info = await s.backend.write(s.key('sc'), 'x');
        ensure(info.size === 1, 'a plain write works on a backend with storage classes');
      },
    );

    kit.it('capabilities: a flat object of booleans and limits', async (s) => {
      for (const flag of CAPABILITY_FLAGS) {
        equal(typeof s.caps[flag], 'boolean', `capabilities.${flag}`);
      }
      ensure(
        typeof s.caps.maxObjectSize === 'number' && s.caps.maxObjectSize > 0,
        'capabilities.maxObjectSize',
      );
      ensure(
        Number.isInteger(s.caps.maxKeyBytes) && s.caps.maxKeyBytes > 0 && s.caps.maxKeyBytes <= 1024,
        'capabilities.maxKeyBytes is a positive integer up to 1024',
      );
      ensure(typeof s.backend.kind === 'string' && s.backend.kind.length > 0, 'backend.kind is a name');
    });

    kit.it('errors: a NotFound rejection is a StorageError naming the operation', async (s) => {
      const error = await rejectsWith(s.backend.read(s.key('missing')), 'NotFound', 'read of a missing key');
      equal(error.retryable, false, 'NotFound is not retryable');
      ensure(error.message.length > 0, 'the error has a message');
      ensure(error instanceof Error, 'the error is an Error');
      ensure(typeof error.operation === 'string', `error.operation is set (got ${String(error.operation)})`);
      ensure(typeof error.backend === 'string', `error.backend is set (got ${String(error.backend)})`);
    });
  });
}
