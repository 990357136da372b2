import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { capabilitiesTable, withTable } from '../scripts/capabilities-table.js';

describe('README', () => {
  it('holds the capabilities table generated from the adapters (npm run docs:capabilities)', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    expect(withTable(readme, capabilitiesTable())).toBe(readme);
  });

  it('keeps exactly two set-up commands for a newcomer', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const tryIt = readme.slice(readme.indexOf('## Try it'), readme.indexOf('## Example'));
    const commands = [...tryIt.matchAll(/^npm .+$/gm)].map((m) => m[0]);
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(/npm run quickstart/);
    expect(commands[1]).toMatch(/npm test/);
  });
});
