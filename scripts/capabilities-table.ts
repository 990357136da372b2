/**
 * Generates the README's "backends × capabilities" table from the
 * capabilities each adapter declares, so the table cannot drift.
 *
 *   npx tsx scripts/capabilities-table.ts          # print it
 *   npx tsx scripts/capabilities-table.ts --write  # update README.md between the markers
 *   npx tsx scripts/capabilities-table.ts --check  # exit 1 when README.md is stale
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { azure } from '../src/backends/azure/index.js';
import { gcs } from '../src/backends/gcs/index.js';
import { local } from '../src/backends/local/index.js';
import { memory } from '../src/backends/memory/index.js';
import { r2 } from '../src/backends/r2/index.js';
import { s3 } from '../src/backends/s3/index.js';
import { CAPABILITY_FLAGS, type Capabilities } from '../src/core/capabilities.js';

const START = '<!-- capabilities:start -->';
const END = '<!-- capabilities:end -->';

/** Each adapter as a user would build it; factories are lazy, so nothing connects. */
function columns(): [string, Capabilities][] {
  const keys = { accessKeyId: 'x', secretAccessKey: 'x' };
  const backends: [string, { capabilities: Capabilities }][] = [
    ['memory', memory()],
    ['local', local({ root: '/tmp/stowage-capabilities' })],
    ['S3', s3({ bucket: 'bucket', region: 'us-east-1', credentials: keys })],
    [
      'MinIO',
      s3({ bucket: 'bucket', endpoint: 'http://127.0.0.1:9000', provider: 'minio', credentials: keys }),
    ],
    ['R2', r2({ accountId: '0123456789abcdef0123456789abcdef', bucket: 'bucket', ...keys })],
    ['GCS', gcs({ bucket: 'bucket', projectId: 'project' })],
    [
      'Azure',
      azure({
        container: 'container',
        accountName: 'account',
        accountKey: Buffer.from('k').toString('base64'),
      }),
    ],
  ];
  return backends.map(([name, b]) => [name, b.capabilities]);
}

/** The Markdown table. */
export function capabilitiesTable(): string {
  const cols = columns();
  const yes = (v: boolean) => (v ? '✅' : '—');
  const rows = [
    `| capability | ${cols.map(([n]) => n).join(' | ')} |`,
    `|---|${cols.map(() => ':---:').join('|')}|`,
    ...CAPABILITY_FLAGS.map((flag) => `| \`${flag}\` | ${cols.map(([, c]) => yes(c[flag])).join(' | ')} |`),
    `| \`maxObjectSize\` | ${cols.map(([, c]) => formatSize(c.maxObjectSize)).join(' | ')} |`,
    `| \`maxKeyBytes\` | ${cols.map(([, c]) => String(c.maxKeyBytes)).join(' | ')} |`,
  ];
  return rows.join('\n');
}

function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return '∞';
  for (const [unit, size] of [
    ['TiB', 2 ** 40],
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
  ] as const) {
    if (bytes >= size) return `${+(bytes / size).toFixed(2)} ${unit}`;
  }
  return `${bytes} B`;
}

/** README.md with the table between the markers replaced. */
export function withTable(readme: string, table: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end === -1) throw new Error(`README.md lacks the ${START} / ${END} markers`);
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const table = capabilitiesTable();
  const path = new URL('../README.md', import.meta.url);
  const readme = await readFile(path, 'utf8');
  const updated = withTable(readme, table);
  if (process.argv.includes('--write')) {
    await writeFile(path, updated);
    console.log('README.md: capabilities table updated');
  } else if (process.argv.includes('--check')) {
    if (updated !== readme) {
      console.error('README.md: the capabilities table is stale; run `npm run docs:capabilities`');
      process.exitCode = 1;
    }
  } else {
    console.log(table);
  }
}
