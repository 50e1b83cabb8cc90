import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIST_DIR, ROOT_DIR } from '../server/main.ts';

const manifest = readFileSync(path.join(ROOT_DIR, 'manifest.xml'), 'utf8');
const DEV_ORIGIN = 'https://localhost:3000';

describe('manifest.xml', () => {
  const urls = [...manifest.matchAll(/DefaultValue="(https?:[^"]+)"/g)].map((m) => m[1]!);

  it('points every URL at the development server', () => {
    expect(urls.length).toBeGreaterThan(5);
    for (const url of urls) expect(url.startsWith(`${DEV_ORIGIN}/`)).toBe(true);
  });

  it('names only add-in files that the build produces', () => {
    expect(existsSync(path.join(DIST_DIR, 'addin')), 'dist/addin is missing: run npm run build').toBe(true);
    const files = urls.filter((u) => u.startsWith(`${DEV_ORIGIN}/addin/`)).map((u) => new URL(u).pathname.replace(/^\/addin\//, ''));
    expect(files).toContain('taskpane.html');
    for (const file of files) expect(existsSync(path.join(DIST_DIR, 'addin', file)), file).toBe(true);
  });

  it('defines every resource id it uses', () => {
    const used = new Set([...manifest.matchAll(/resid="([^"]+)"/g)].map((m) => m[1]!));
    const defined = new Set([...manifest.matchAll(/<bt:(?:Image|Url|String) id="([^"]+)"/g)].map((m) => m[1]!));
    for (const id of used) expect(defined.has(id), id).toBe(true);
  });
});
