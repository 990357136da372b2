/**
 * The `stowage` bin. Ctrl+C aborts the running command cleanly (a migration
 * saves its checkpoint); a second Ctrl+C exits at once.
 */
import { main } from './main.js';

// `stowage ls | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const controller = new AbortController();
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('\nstowage: stopping (Ctrl+C again to exit at once)…\n');
  controller.abort(new Error('interrupted'));
});

main(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
  controller.signal,
).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`stowage: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
