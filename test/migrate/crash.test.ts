import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { local } from '../../src/backends/local/index.js';
import type { MigrateReport } from '../../src/migrate/types.js';
import { contents, seed } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  for (const path of dirs.splice(0)) await rm(path, { recursive: true, force: true });
});

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

/** Runs the child; with `killAfter`, SIGKILLs it once the log has that many keys. */
function runChild(
  args: string[],
  log: string,
  killAfter?: number,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const watch =
      killAfter === undefined
        ? undefined
        : setInterval(() => {
            if (lines(log).length >= killAfter) child.kill('SIGKILL');
          }, 5);
    child.on('error', reject);
    child.on('close', (code) => {
      if (watch) clearInterval(watch);
      if (killAfter === undefined && code !== 0) reject(new Error(`child failed (${code}): ${err}`));
      else resolve({ code, out });
    });
  });
}

describe('crash and resume', () => {
  it('resumes after kill -9 with at most `concurrency` objects copied twice', async () => {
    const [from, to, store] = await Promise.all(
      [1, 2, 3].map(() => mkdtemp(join(tmpdir(), 'stowage-crash-'))),
    );
    dirs.push(from!, to!, store!);
    const log = join(store!, 'writes.log');
    await seed(local({ root: from! }), 150);
    const concurrency = 4;
    const args = [from!, to!, store!, log, String(concurrency), '4'];

    const killed = await runChild(args, log, 40);
    expect(killed.code).not.toBe(0);
    const firstRun = lines(log);
    expect(firstRun.length).toBeGreaterThanOrEqual(40);
    expect(firstRun.length).toBeLessThan(150);
    expect(existsSync(join(store!, 'migration.json'))).toBe(true);

    const resumed = await runChild(args, log);
    const report = JSON.parse(resumed.out) as MigrateReport;
    expect(report.failed).toEqual([]);
    expect(report.verified).toBe(150);
    const all = lines(log);
    const secondRun = all.slice(firstRun.length);
    const copiedTwice = secondRun.filter((key) => firstRun.includes(key));
    expect(copiedTwice.length).toBeLessThanOrEqual(concurrency);
    expect(new Set(all).size).toBe(150);
    expect(await contents(local({ root: to! }))).toEqual(await contents(local({ root: from! })));
    // Finished: the checkpoint is gone.
    expect(existsSync(join(store!, 'migration.json'))).toBe(false);
  }, 60_000);
});
