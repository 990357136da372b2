/** The peak-RSS part of the migrate benchmark: one child process per measurement. */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFiles } from './files.js';

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

async function measure(mode: 'memory' | 'local', count: number, work: string, here: string) {
  const args = ['--expose-gc', '--import', 'tsx', join(here, 'rss-child.ts'), mode, String(count)];
  const from = join(work, `rss-from-${count}`);
  const to = join(work, `rss-to-${count}`);
  if (mode === 'local') {
    await writeFiles(from, count, 64);
    args.push(from, to);
  }
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('close', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`rss child exited ${code}`)),
      );
    });
    return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>;
  } finally {
    await rm(from, { recursive: true, force: true });
    await rm(to, { recursive: true, force: true });
  }
}

/** Markdown lines: RSS before, peak during and growth of one `migrate`, for each count. */
export async function rssTable(counts: number[], work: string, here: string): Promise<string[]> {
  const lines = [
    'Peak RSS of one `migrate` process (64-byte objects, concurrency 16). "before" is the RSS just before `migrate`',
    '(after seeding and a GC), "peak" the highest sample during it (every 20 ms), "growth" their difference.',
    'memory → memory: both stores live in the measured process, so the target store filling up is part of its',
    'growth; "heap left" is the heap after `migrate`, emptying the target store and a GC, minus the heap before.',
    '',
    '| objects | memory → memory: before / peak (growth) | memory: heap left by migrate | local → local: before / peak (growth) | local → local time |',
    '|---|---|---|---|---|',
  ];
  for (const count of counts) {
    const m = await measure('memory', count, work, here);
    const l = await measure('local', count, work, here);
    const left = (m.droppedHeap! - m.baselineHeap!) / 2 ** 20;
    lines.push(
      `| ${count} | ${mib(m.baselineRss!)} / ${mib(m.peakRss!)} MiB (+${mib(m.peakRss! - m.baselineRss!)}) | ` +
        `${left.toFixed(1)} MiB | ${mib(l.baselineRss!)} / ${mib(l.peakRss!)} MiB (+${mib(l.peakRss! - l.baselineRss!)}) | ` +
        `${(l.ms! / 1000).toFixed(1)} s |`,
    );
    console.error(`  rss ${count}: ${JSON.stringify({ memory: m, local: l })}`);
  }
  return lines;
}
