import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { productionManifest } from '../server/api/manifest.ts';
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
    const files = urls
      .filter((u) => u.startsWith(`${DEV_ORIGIN}/addin/`))
      .map((u) => new URL(u).pathname.replace(/^\/addin\//, ''));
    expect(files).toContain('taskpane.html');
    for (const file of files) expect(existsSync(path.join(DIST_DIR, 'addin', file)), file).toBe(true);
  });

  it('defines every resource id it uses', () => {
    const used = new Set([...manifest.matchAll(/resid="([^"]+)"/g)].map((m) => m[1]!));
    const defined = new Set([...manifest.matchAll(/<bt:(?:Image|Url|String) id="([^"]+)"/g)].map((m) => m[1]!));
    for (const id of used) expect(defined.has(id), id).toBe(true);
  });
});

describe("manifest.xml against Microsoft's schemas (offline, xmllint)", () => {
  const XSD = path.join(ROOT_DIR, 'test', 'fixtures', 'office-manifest-xsd', 'OfficeAppManifestV1_1.xsd');
  const validate = (xml: string) => {
    const r = spawnSync('xmllint', ['--noout', '--nonet', '--schema', XSD, '-'], { input: xml, encoding: 'utf8' });
    if (r.error)
      throw new Error(`xmllint could not run (${r.error.message}): install it (Debian: libxml2-utils; .ci/run does)`);
    return r;
  };

  it('validates as it is in the repository', () => {
    const r = validate(manifest);
    expect(r.stderr).toContain('validates');
    expect(r.status).toBe(0);
  });

  it('the schemas catch a broken manifest (so a pass means something)', () => {
    const r = validate(
      manifest.replace('<Permissions>ReadWriteDocument</Permissions>', '<Permissions>Everything</Permissions>'),
    );
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/Permissions/);
  });

  it("is rewritten to the server's PUBLIC_URL for production, and still validates", () => {
    const prod = productionManifest(manifest, 'https://exact-sync.example.com:8443/');
    expect(prod).not.toContain('localhost');
    expect(prod).toContain('<SourceLocation DefaultValue="https://exact-sync.example.com:8443/addin/taskpane.html"/>');
    expect(prod).toContain('<AppDomain>https://exact-sync.example.com:8443</AppDomain>');
    expect(validate(prod).status).toBe(0);
  });
});
