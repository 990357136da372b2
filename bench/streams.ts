/** Stream helpers shared by the benchmarks. */
import { Readable } from 'node:stream';

/** A stream over `data` in 64 KiB chunks, length unknown to the consumer (as a file or socket would be). */
export function streamOf(data: Buffer): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= data.byteLength) {
        this.push(null);
        return;
      }
      const end = Math.min(data.byteLength, offset + 64 * 1024);
      this.push(data.subarray(offset, end));
      offset = end;
    },
  });
}

/** Reads a stream to the end; resolves with the byte count. */
export async function drain(stream: NodeJS.ReadableStream | AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const chunk of stream as AsyncIterable<Uint8Array>) n += chunk.byteLength;
  return n;
}
