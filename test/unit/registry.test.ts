/**
 * The repo keeps its promises about adapters: every adapter file is registered, has fixtures
 * with expected JSON, a page in docs/adapters/, a row in the README's messenger table, and
 * its hosts in the manifest's content scripts.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { adapters } from '../../src/adapters/registry';
import { PLATFORM_IDS } from '../../src/shared/model';

const readme = readFileSync('README.md', 'utf8');
const manifest = JSON.parse(readFileSync('manifest.json', 'utf8')) as { content_scripts: { matches: string[] }[]; host_permissions: string[] };
const tableRows = readme.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Messenger | Host') && !l.startsWith('|---'));

describe('adapter registry', () => {
  it('registers every adapter file in src/adapters/', () => {
    const files = readdirSync('src/adapters').filter((f) => /^[a-z]+\.ts$/.test(f) && !['dom.ts', 'registry.ts', 'types.ts'].includes(f));
    expect(files.map((f) => f.replace('.ts', '')).sort()).toEqual(adapters.map((a) => a.id).sort());
  });

  it('uses only known platform ids, once each', () => {
    const ids = adapters.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(PLATFORM_IDS).toContain(id);
  });

  for (const adapter of adapters) {
    describe(adapter.name, () => {
      it('has fixtures, each with expected JSON', () => {
        const dir = `test/fixtures/${adapter.id}`;
        expect(existsSync(dir), dir).toBe(true);
        const pages = readdirSync(dir).filter((f) => f.endsWith('.html'));
        expect(pages.length).toBeGreaterThan(0);
        for (const page of pages) expect(existsSync(`${dir}/${page.replace(/\.html$/, '.expected.json')}`), page).toBe(true);
        expect(existsSync(`${dir}/README.md`)).toBe(true);
        expect(existsSync(`test/adapters/${adapter.id}.test.ts`)).toBe(true);
      });

      it('has a page in docs/adapters/ and a row in the README table', () => {
        expect(existsSync(`docs/adapters/${adapter.id}.md`)).toBe(true);
        expect(tableRows.some((row) => row.startsWith(`| ${adapter.name} |`)), `README row for ${adapter.name}`).toBe(true);
      });

      it('has its hosts in the manifest', () => {
        const matches = manifest.content_scripts.flatMap((c) => c.matches);
        for (const m of adapter.matches) {
          expect(matches, m).toContain(m);
          const origin = `${new URL(m.replace('*.', 'x.').replace(/\*$/, '')).origin}/*`;
          expect(manifest.host_permissions.some((h) => h === m || h === origin || origin.startsWith(h.replace(/\*$/, ''))), m).toBe(true);
        }
      });
    });
  }
});
