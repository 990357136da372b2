import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  args: string[],
  options: { stdin?: string; signal?: AbortSignal; cwd?: string } = {},
): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const previous = process.cwd();
  if (options.cwd) process.chdir(options.cwd);
  try {
    const code = await main(
      args,
      { stdout, stderr, stdin: Readable.from([Buffer.from(options.stdin ?? '')]) },
      options.signal ?? new AbortController().signal,
    );
    return { code, stdout: out, stderr: err };
  } finally {
    if (options.cwd) process.chdir(previous);
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-cli-'));
  await mkdir(join(dir, 'src/photos'), { recursive: true });
  await writeFile(join(dir, 'src/photos/a.jpg'), 'jpeg-bytes');
  await writeFile(join(dir, 'src/readme.md'), '# hi');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('stowage CLI', () => {
  it('prints help and exits 2 without a command, 0 with --help', async () => {
    expect((await run([])).code).toBe(2);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: stowage <command>/);
    for (const command of [
      'ls',
      'cat',
      'cp',
      'rm',
      'stat',
      'status',
      'stats',
      'migrate',
      'sync',
      'presign',
      'buckets',
      'cache',
    ]) {
      const r = await run([command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: stowage ${command}`));
    }
  });

  it('exits 2 with a usage line for an unknown command or flag', async () => {
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    const badFlag = await run(['ls', '--nope']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/Usage: stowage ls/);
  });

  it('lists recursively and by folder, as text and JSON lines', async () => {
    const flat = await run(['ls', join(dir, 'src')]);
    expect(flat.code).toBe(0);
    expect(flat.stdout).toMatch(/PRE\s+photos\//);
    expect(flat.stdout).toMatch(/readme\.md/);
    expect(flat.stdout.trim().split('\n')).toHaveLength(2); // one line per entry, nothing blank
    const json = await run(['ls', join(dir, 'src'), '-r', '--json']);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.key)).toEqual(['photos/a.jpg', 'readme.md']);
    expect(lines[0]).toMatchObject({ type: 'object', size: 10 });
  });

  it('cats an object and prints NotFound as one line with exit code 1', async () => {
    const cat = await run(['cat', join(dir, 'src/readme.md')]);
    expect(cat).toMatchObject({ code: 0, stdout: '# hi' });
    const missing = await run(['cat', join(dir, 'src/missing.txt')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^stowage: NotFound: /);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const json = await run(['cat', join(dir, 'src/missing.txt'), '--json']);
    expect(JSON.parse(json.stderr)).toMatchObject({ type: 'error', error: { code: 'NotFound' } });
  });

  it('stats an object with its guessed content type', async () => {
    const r = await run(['stat', join(dir, 'src/photos/a.jpg'), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ key: 'a.jpg', size: 10, contentType: 'image/jpeg' });
  });

  it('copies an object, stdin to an object, and a prefix with -r', async () => {
    const one = await run(['cp', join(dir, 'src/readme.md'), join(dir, 'out') + '/']);
    expect(one.code).toBe(0);
    expect(await readFile(join(dir, 'out/readme.md'), 'utf8')).toBe('# hi');
    const piped = await run(['cp', '-', join(dir, 'out/piped.txt')], { stdin: 'from stdin' });
    expect(piped.code).toBe(0);
    expect(await readFile(join(dir, 'out/piped.txt'), 'utf8')).toBe('from stdin');
    const tree = await run(['cp', '-r', join(dir, 'src'), 'memory://cli-cp/copy/', '--json']);
    expect(tree.code).toBe(0);
    const report = JSON.parse(tree.stdout.trim().split('\n').at(-1)!);
    expect(report).toMatchObject({ copied: 2 });
    const listed = await run(['ls', 'memory://cli-cp/copy/', '-r', '--json']);
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).key),
    ).toEqual(['copy/photos/a.jpg', 'copy/readme.md']);
  });

  it('prints no progress bar when stderr is not a terminal', async () => {
    const r = await run(['cp', '-r', join(dir, 'src'), 'memory://cli-quiet/']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('migrates with a dry run that writes nothing, then for real with verify', async () => {
    const dst = join(dir, 'dst');
    const dry = await run(['migrate', join(dir, 'src'), dst, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      type: 'report',
      dryRun: true,
      planned: 2,
      copied: 0,
    });
    await expect(readFile(join(dst, 'readme.md'))).rejects.toThrow();
    const real = await run([
      'migrate',
      join(dir, 'src'),
      dst,
      '--verify',
      'size',
      '--checkpoint',
      join(dir, 'cp.json'),
    ]);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/copied:\s+2/);
    expect(real.stdout).toMatch(/verified:\s+2/);
    expect(await readFile(join(dst, 'photos/a.jpg'), 'utf8')).toBe('jpeg-bytes');
    const again = await run(['migrate', join(dir, 'src'), dst, '--json']);
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!)).toMatchObject({ copied: 0, skipped: 2 });
  });

  it('rejects bad flag values as usage errors', async () => {
    expect((await run(['migrate', join(dir, 'src'), join(dir, 'x'), '--compare', 'nope'])).code).toBe(2);
    expect((await run(['migrate', join(dir, 'src'), join(dir, 'x'), '--concurrency', '0'])).code).toBe(2);
    expect((await run(['stats', join(dir, 'src'), '--by', 'colour'])).code).toBe(2);
  });

  it('syncs both ways with saved state', async () => {
    const b = join(dir, 'b');
    const state = join(dir, 'state.json');
    const first = await run(['sync', join(dir, 'src'), b, '--both', '--state', state]);
    expect(first.code).toBe(0);
    expect(await readFile(join(b, 'readme.md'), 'utf8')).toBe('# hi');
    await writeFile(join(b, 'new-on-b.txt'), 'b side');
    const second = await run(['sync', join(dir, 'src'), b, '--both', '--state', state, '--json']);
    expect(second.code).toBe(0);
    expect(await readFile(join(dir, 'src/new-on-b.txt'), 'utf8')).toBe('b side');
  });

  it('removes an object and a prefix', async () => {
    expect((await run(['rm', join(dir, 'src/readme.md')])).code).toBe(0);
    expect((await run(['stat', join(dir, 'src/readme.md')])).code).toBe(1);
    const r = await run(['rm', '-r', join(dir, 'src'), '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ deleted: 1, failed: 0 });
  });

  it('reports status and stats by extension', async () => {
    const status = await run(['status', join(dir, 'src')]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Backend:\s+Local disk/);
    expect(status.stdout).toMatch(/Objects: 2/);
    expect(status.stdout).toMatch(/Connected/);
    const stats = await run(['stats', join(dir, 'src'), '--by', 'extension', '--json']);
    expect(JSON.parse(stats.stdout)).toMatchObject({
      objects: 2,
      bytes: 14,
      byExtension: { jpg: { objects: 1 }, md: { objects: 1 } },
    });
  });

  it('presign says Unsupported for local disk', async () => {
    const r = await run(['presign', join(dir, 'src/readme.md')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Unsupported/);
  });

  it('reads named backends from stowage.config.json and validates it', async () => {
    await writeFile(
      join(dir, 'stowage.config.json'),
      JSON.stringify({
        backends: { work: `file://${join(dir, 'src')}`, mem: { backend: 'memory', name: 'cli-named' } },
      }),
    );
    const r = await run(['ls', 'work:', '-r', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ backends: { x: { backend: 'ftp' } } }));
    const bad = await run(['ls', 'x:', '--config', join(dir, 'bad.json')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/InvalidConfig.*backends\.x/);
  });

  it('stops a migration when aborted and says how to resume', async () => {
    const controller = new AbortController();
    controller.abort();
    const r = await run(['migrate', join(dir, 'src'), join(dir, 'd2'), '--checkpoint', join(dir, 'c.json')], {
      signal: controller.signal,
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/Aborted/);
  });
});
