/**
 * The built extension (dist/) holds no remote code and no eval: every script is packaged,
 * nothing is fetched as code, and there is no `eval` or `new Function` at all (JSZip, whose
 * dead `new Function` branch was the one exception, is no longer bundled: docs/security.md).
 * The manifest asks only for what docs/permissions.md justifies.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

const scripts = files('dist').filter((f) => f.endsWith('.js'));
const pages = files('dist').filter((f) => f.endsWith('.html'));

describe('dist/ audit', () => {
  it('has no eval and no new Function', () => {
    const hits: string[] = [];
    for (const f of scripts) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\beval\s*\(|new\s+Function\s*\(/g)) {
        const around = text.slice(Math.max(0, m.index - 80), m.index + 60);
        hits.push(`${f}: ${around.replace(/\s+/g, ' ')}`);
      }
    }
    expect(hits).toEqual([]);
  });

  it('loads no remote code', () => {
    for (const f of scripts) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/importScripts\s*\(\s*['"`]https?:/);
      expect(text, f).not.toMatch(/import\s*\(\s*['"`]https?:/);
    }
    for (const f of pages) expect(readFileSync(f, 'utf8'), f).not.toMatch(/<script[^>]+src=["']https?:/i);
  });

  it('asks only for the permissions docs/permissions.md justifies', () => {
    const manifest = JSON.parse(readFileSync('dist/manifest.json', 'utf8')) as { permissions: string[]; host_permissions: string[]; optional_host_permissions: string[]; web_accessible_resources?: unknown; externally_connectable?: unknown };
    const doc = readFileSync('docs/permissions.md', 'utf8');
    for (const p of [...manifest.permissions, ...manifest.optional_host_permissions]) expect(doc, p).toContain(`\`${p}\``);
    for (const h of manifest.host_permissions) expect(doc, h).toContain(`\`${h}\``);
    expect(manifest.permissions.sort()).toEqual(['activeTab', 'alarms', 'downloads', 'notifications', 'offscreen', 'scripting', 'storage']);
    expect(manifest.host_permissions).not.toContain('<all_urls>');
    expect(manifest.web_accessible_resources).toBeUndefined();
    expect(manifest.externally_connectable).toBeUndefined();
  });
});
