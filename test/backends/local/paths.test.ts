/** Keys never reach outside the root: traversal, symlinks, reserved names and long segments. */
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isStorageError } from '../../../src/core/errors.js';
import { fresh, keysOf, tempDir, text } from './helpers.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (e) {
    return isStorageError(e) ? e.code : `not a StorageError: ${String(e)}`;
  }
}

describe('local: staying inside the root', () => {
  it('rejects traversal keys before any I/O', async () => {
    const { storage } = fresh();
    for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a/./b', 'a//b']) {
      expect(await codeOf(storage.write(key, 'x'))).toBe('InvalidKey');
      expect(await codeOf(storage.read(key))).toBe('InvalidKey');
    }
  });

  it('refuses a symlinked folder that leads outside the root, for every operation', async () => {
    const { root, storage } = fresh();
    const outside = tempDir('outside');
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    symlinkSync(outside, join(root, 'escape'));
    expect(await codeOf(storage.read('escape/secret.txt'))).toBe('PermissionDenied');
    expect(await codeOf(storage.stream('escape/secret.txt'))).toBe('PermissionDenied');
    expect(await codeOf(storage.stat('escape/secret.txt'))).toBe('PermissionDenied');
    expect(await codeOf(storage.write('escape/new.txt', 'x'))).toBe('PermissionDenied');
    expect(await codeOf(storage.write('escape/deeper/new.txt', 'x'))).toBe('PermissionDenied');
    expect(await codeOf(storage.copy('escape/secret.txt', 'mine.txt'))).toBe('PermissionDenied');
    expect(await codeOf(storage.delete('escape/secret.txt'))).toBe('PermissionDenied');
    // Nothing was written or deleted outside.
    expect(readdirSync(outside)).toEqual(['secret.txt']);
    // Listing inside it is refused too; listing the root skips it.
    expect(await codeOf(keysOf(storage.list('escape/')))).toBe('PermissionDenied');
    expect(await keysOf(storage.list())).toEqual([]);
  });

  it('refuses a symlinked file that leads outside the root, and does not list it', async () => {
    const { root, storage } = fresh();
    const outside = tempDir('outside');
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    symlinkSync(join(outside, 'secret.txt'), join(root, 'link.txt'));
    expect(await codeOf(storage.read('link.txt'))).toBe('PermissionDenied');
    expect(await codeOf(storage.exists('link.txt'))).toBe('PermissionDenied');
    expect(await keysOf(storage.list())).toEqual([]);
  });

  it('follows symlinks that stay inside the root', async () => {
    const { root, storage } = fresh();
    await storage.write('real/file.txt', 'inside');
    symlinkSync(join(root, 'real', 'file.txt'), join(root, 'alias.txt'));
    expect(text(await storage.read('alias.txt'))).toBe('inside');
    expect(await keysOf(storage.list())).toEqual(['alias.txt', 'real/file.txt']);
    // A folder holding only a symlink to an object is a folder with an object.
    mkdirSync(join(root, 'links'));
    symlinkSync(join(root, 'real', 'file.txt'), join(root, 'links', 'one'));
    expect(await keysOf(storage.list('', { recursive: false }))).toEqual([
      'alias.txt',
      'links/ (prefix)',
      'real/ (prefix)',
    ]);
  });

  it('stores keys that look like its own files under an escaped name, and lists them back', async () => {
    const { root, storage } = fresh();
    const keys = [
      '.stowage/meta/00/1.json',
      '.stowage-tmp-abc',
      '.stowagex',
      '.stowage~y',
      'd/.stowage-lock-x',
    ];
    for (const key of keys) await storage.write(key, key);
    for (const key of keys) expect(text(await storage.read(key))).toBe(key);
    expect(await keysOf(storage.list())).toEqual([...keys].sort());
    // On disk they carry the escape prefix (no sidecar directory: they have no metadata).
    expect(readdirSync(root).sort()).toEqual([
      '.stowage~.stowage',
      '.stowage~.stowage-tmp-abc',
      '.stowage~.stowagex',
      '.stowage~.stowage~y',
      'd',
    ]);
    expect(readdirSync(join(root, 'd'))).toEqual(['.stowage~.stowage-lock-x']);
  });

  it('gives InvalidKey for a segment over 255 bytes on write, and NotFound on read', async () => {
    const { storage } = fresh();
    const key = `a/${'é'.repeat(128)}`; // 256 bytes of UTF-8
    const error = await storage.write(key, 'x').catch((e: unknown) => e);
    expect(isStorageError(error, 'InvalidKey')).toBe(true);
    expect(String((error as Error).message)).toMatch(/255-byte file-name limit/);
    expect(await codeOf(storage.read(key))).toBe('NotFound');
    expect(await storage.exists(key)).toBe(false);
    await storage.delete(key);
    await storage.write(`a/${'é'.repeat(127)}`, 'fits');
  });

  it('keeps the absolute root out of error messages', async () => {
    const { root, storage } = fresh();
    mkdirSync(join(root, 'dir'));
    const error = await storage.read('missing/file').catch((e: unknown) => e);
    expect(isStorageError(error, 'NotFound')).toBe(true);
    expect((error as Error).message).not.toContain(root);
    expect((error as Error).message).toContain('missing/file');
  });
});
