/**
 * The `stowage` command: a thin layer over the public API. Exit codes: 0 ok,
 * 1 failure (one line on stderr with the error code), 2 usage.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { isStorageError } from '../core/errors.js';
import { cacheCommand } from './commands/cache.js';
import { buckets, stats, status } from './commands/info.js';
import { type CommandContext, cat, cp, ls, presign, rm, stat } from './commands/objects.js';
import { migrate, sync } from './commands/transfer.js';
import { loadConfig } from './config.js';
import { errorLine, type Io } from './output.js';
import { UsageError } from './targets.js';

type Options = NonNullable<ParseArgsConfig['options']>;

interface Command {
  usage: string;
  summary: string;
  options: Options;
  run: (ctx: CommandContext) => Promise<void>;
}

const recursive: Options = { recursive: { type: 'boolean', short: 'r' } };
const progress: Options = { progress: { type: 'boolean' }, 'no-progress': { type: 'boolean' } };

/** Every command, with its usage line and options. */
export const COMMANDS: Record<string, Command> = {
  ls: {
    usage: 'ls [TARGET] [-r]',
    summary: 'List objects and folders under a prefix',
    options: recursive,
    run: ls,
  },
  cat: { usage: 'cat TARGET', summary: 'Write one object to stdout', options: {}, run: cat },
  cp: {
    usage: 'cp SRC DST [-r] [--progress] [--concurrency N]',
    summary: "Copy an object (or a prefix with -r); '-' is stdin/stdout",
    options: { ...recursive, ...progress, concurrency: { type: 'string' } },
    run: cp,
  },
  rm: {
    usage: 'rm TARGET [-r]',
    summary: 'Delete an object (or everything under a prefix with -r)',
    options: recursive,
    run: rm,
  },
  stat: {
    usage: 'stat TARGET',
    summary: "Show an object's size, dates, etag, type and metadata",
    options: {},
    run: stat,
  },
  status: {
    usage: 'status [TARGET]',
    summary: 'Backend, location, health and statistics',
    options: {},
    run: status,
  },
  stats: {
    usage: 'stats [TARGET] [--by extension]',
    summary: 'Count objects and bytes',
    options: { by: { type: 'string' } },
    run: stats,
  },
  migrate: {
    usage:
      'migrate SRC DST [--dry-run] [--progress] [--concurrency N] [--bwlimit 10MiB] [--checkpoint LOC] [--delete] [--verify [size|checksum]] [--compare MODE]',
    summary: 'Copy what is missing or changed from SRC to DST (resumable)',
    options: {
      ...progress,
      'dry-run': { type: 'boolean' },
      concurrency: { type: 'string' },
      bwlimit: { type: 'string' },
      checkpoint: { type: 'string' },
      delete: { type: 'boolean' },
      verify: { type: 'string' },
      compare: { type: 'string' },
    },
    run: migrate,
  },
  sync: {
    usage: 'sync A B [--both] [--conflict newer|a|b|keep-both] [--state LOC] [--dry-run] [--bwlimit 1MiB]',
    summary: 'Sync A to B (or both ways) with saved state so deletions propagate',
    options: {
      ...progress,
      both: { type: 'boolean' },
      conflict: { type: 'string' },
      state: { type: 'string' },
      'dry-run': { type: 'boolean' },
      bwlimit: { type: 'string' },
    },
    run: sync,
  },
  presign: {
    usage: 'presign TARGET [--put] [--expires 15m] [--content-type TYPE]',
    summary: 'Print a presigned GET (or PUT) URL',
    options: { put: { type: 'boolean' }, expires: { type: 'string' }, 'content-type': { type: 'string' } },
    run: presign,
  },
  buckets: {
    usage: 'buckets URL',
    summary: 'List buckets (s3://, gs://) or containers (az://account)',
    options: {},
    run: buckets,
  },
  cache: {
    usage: 'cache stats|clear|warm [TARGET] [--older-than 1d]',
    summary: 'Inspect or manage the on-disk cache configured in stowage.config.json',
    options: { 'older-than': { type: 'string' } },
    run: cacheCommand,
  },
};

const GLOBAL: Options = {
  json: { type: 'boolean' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
};

/** The top-level help text. */
export function helpText(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = [
    'stowage: one storage interface for memory, disk, S3, R2, GCS and Azure Blob',
    '',
    'Usage: stowage <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Targets: ./dir, /abs/file, file:///abs, memory://name/key, s3://bucket/key?region=R&endpoint=URL,',
    '         r2://account/bucket/key, gs://bucket/key, az://account/container/key, or NAME:key for a',
    '         backend named in stowage.config.json. Credentials come from the environment.',
    '',
    'Global options: --json (one JSON object per line), --config FILE, --help, --version',
    "Run 'stowage <command> --help' for a command's options.",
  ];
  return lines.join('\n');
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code.
 * `signal` lets Ctrl+C stop a migration cleanly.
 */
export async function main(argv: string[], io: Omit<Io, 'json'>, signal: AbortSignal): Promise<number> {
  const name = argv[0];
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${helpText()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    io.stdout.write(`${await version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  const fullIo: Io = { ...io, json: argv.includes('--json') };
  if (command === undefined) {
    io.stderr.write(`stowage: unknown command '${name}'\n\n${helpText()}\n`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({
      args: argv.slice(1),
      options: { ...GLOBAL, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.stdout.write(`Usage: stowage ${command.usage}\n\n${command.summary}.\n`);
      return 0;
    }
    const config = await loadConfig(values.config as string | undefined);
    const wantsProgress =
      values['no-progress'] !== true &&
      (values.progress === true || name === 'cp' || name === 'migrate' || name === 'sync');
    await command.run({
      io: fullIo,
      config,
      args: positionals,
      flags: values as Record<string, string | boolean | undefined>,
      signal,
      progress: wantsProgress && (fullIo.json ? values.progress === true : true),
    });
    return 0;
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`stowage ${name}: ${(e as Error).message}\nUsage: stowage ${command.usage}\n`);
      return 2;
    }
    if (fullIo.json && isStorageError(e))
      io.stderr.write(`${JSON.stringify({ type: 'error', error: e.toJSON() })}\n`);
    else io.stderr.write(`${errorLine(e)}\n`);
    return signal.aborted ? 130 : 1;
  }
}

async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  for (const candidate of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(await readFile(new URL(candidate, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'stowage') return pkg.version ?? 'unknown';
    } catch {}
  }
  return 'unknown';
}
