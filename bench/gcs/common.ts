/** Small helpers of the gcs benchmark. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A reader of the CPU time (user + system, ms, in 10 ms clock ticks) used so
 * far by the fake-gcs-server listening on `port`, found in /proc (Linux).
 * Elsewhere, or when not found, it reads NaN.
 */
export function emulatorCpu(port: string): () => number {
  let pid: string | undefined;
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
        if (args[0]?.endsWith('fake-gcs-server') && args[args.indexOf('-port') + 1] === port) pid = entry;
      } catch {}
    }
  } catch {}
  return () => {
    if (pid === undefined) return Number.NaN;
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return Number.NaN;
    }
  };
}

/** What `rss-child.ts` prints: one upload's memory (MiB) and time (ms). */
export interface RssResult {
  side: 'stowage' | 'raw';
  partSize?: string;
  peakMiB: number;
  baseMiB: number;
  startPeakMiB: number;
  ms: number;
}

/** Peak RSS of a child process streaming `mib` MiB through one side (in `partSize` chunks when given). */
export function peakRss(
  endpoint: string,
  bucket: string,
  mib: number,
  side: 'stowage' | 'raw',
  partSize?: string,
): RssResult {
  const child = fileURLToPath(new URL('./rss-child.ts', import.meta.url));
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', child, endpoint, bucket, String(mib), side, ...(partSize ? [partSize] : [])],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!);
}
