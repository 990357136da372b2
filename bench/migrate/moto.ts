/**
 * One fresh moto_server per measured run, so every contender starts from the
 * same state: an empty process with one empty bucket (moto keeps everything
 * in memory, and its costs may grow with what it holds). Also reads the
 * server's CPU time from /proc, to show who spends what.
 */
import { readdir, readFile } from 'node:fs/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { findExecutable, freePort, spawnEmulator, waitForHttp } from '../../test/emulators/process.js';

/** A running moto with one bucket. */
export interface FreshMoto {
  endpoint: string;
  bucket: string;
  /** CPU seconds (user + system) used so far by the server's process group. */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

const TICKS_PER_SECOND = 100;

/** CPU seconds of every process in process group `pgid` (Linux /proc). */
async function groupCpuSeconds(pgid: number): Promise<number> {
  let ticks = 0;
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      // Fields after the ")" closing the command name: state ppid pgrp ... utime(14) stime(15).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** Starts moto on a free 127.0.0.1 port and creates `bucket` in it. */
export async function freshMoto(bucket = 'bench'): Promise<FreshMoto> {
  const command = await findExecutable('moto_server');
  if (command === undefined) throw new Error('moto_server is not on PATH: run `npm run emulators:install`.');
  const port = await freePort();
  const spawned = spawnEmulator(command, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${endpoint}/moto-api/`, 60_000, spawned.child);
    const client = new S3Client({
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
  } catch (e) {
    await spawned.stop();
    throw new Error(`moto did not start: ${(e as Error).message}\n${spawned.output()}`);
  }
  const pgid = spawned.child.pid!;
  return { endpoint, bucket, cpuSeconds: () => groupCpuSeconds(pgid), stop: spawned.stop };
}
