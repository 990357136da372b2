import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
const child = '/work/main/bench/.data/child.mjs';
execFileSync('/work/main/node_modules/.bin/esbuild', ['/work/main/bench/local/child.ts', '--bundle', '--platform=node', '--format=esm', `--outfile=${child}`, '--external:opendal', '--external:flydrive', '--log-level=warning']);
const names = (process.argv[2] ?? 'stowage local,opendal fs,raw node:fs').split(',');
for (let r = 0; r < 3; r++) for (const name of names) {
  const root = `/work/main/bench/.data/ab-${r}-${name.replace(/\W/g, '')}`; mkdirSync(root, { recursive: true });
  execFileSync('sync');
  console.log(name.padEnd(14), execFileSync(process.execPath, [child, name, 'small', root, '2000'], { encoding: 'utf8' }).trim());
  rmSync(root, { recursive: true });
}
