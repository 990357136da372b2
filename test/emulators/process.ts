/** Process plumbing shared by the emulator modules: free ports, spawn, wait, stop by PID. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A fresh temporary directory for an emulator's data. */
export function tempDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `stowage-${name}-`));
}

/** Resolves once something accepts TCP connections on the port, or rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 60_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`process exited with code ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** Resolves once `url` answers an HTTP request with any status, or rejects after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs = 60_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`process exited with code ${child.exitCode} before answering`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(2000) });
      return;
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}

/** A spawned emulator: its process, its recent output (for error messages), and a stop. */
export interface Spawned {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Spawns a process in its own process group, keeping the last 8 KiB of its output. */
export function spawnEmulator(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; dataDir?: string } = {},
): Spawned {
  const child = spawn(command, args, {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (e) => keep(Buffer.from(String(e))));
  return {
    child,
    output: () => output,
    stop: async () => {
      await stopProcess(child);
      if (options.dataDir) await rm(options.dataDir, { recursive: true, force: true });
    },
  };
}

/** Stops a process group by PID: SIGTERM, then SIGKILL after 5 s. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {}
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

let goBinDir: Promise<string | undefined> | undefined;

/** `$(go env GOPATH)/bin`, or `~/go/bin` when `go` is not on PATH; cached. */
export function goBin(): Promise<string | undefined> {
  goBinDir ??= new Promise((resolve) => {
    execFile('go', ['env', 'GOPATH'], { timeout: 20_000 }, (error, stdout) => {
      const gopath = error ? '' : stdout.trim().split(delimiter)[0];
      resolve(gopath ? join(gopath, 'bin') : join(homedir(), 'go', 'bin'));
    });
  });
  return goBinDir;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path of an executable found on PATH, in `$(go env GOPATH)/bin`
 * or in `~/go/bin`, or undefined when none exists.
 */
export async function findExecutable(name: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const gobin = await goBin();
  if (gobin) dirs.push(gobin);
  dirs.push(join(homedir(), 'go', 'bin'));
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}
