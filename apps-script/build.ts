import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * One Apps Script file from the TypeScript modules: dist/apps-script/Code.js (an IIFE whose exports
 * become top-level functions, which is how Apps Script finds onOpen and the menu handlers) beside
 * appsscript.json. `clasp push` with rootDir dist/apps-script uploads both.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, '..', 'dist', 'apps-script');

export async function buildAppsScript(): Promise<string> {
  const entry = path.join(here, 'src', 'main.ts');
  const names = Object.keys(await import(entry)).sort();
  const bundle = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    globalName: 'ExactSync',
    target: 'es2019',
    write: false,
    legalComments: 'none',
  });
  const globals = names.map((n) => `function ${n}() { return ExactSync.${n}.apply(this, arguments); }`).join('\n');
  const code = `// exact-sync for Google Sheets: built from apps-script/src by apps-script/build.ts. Do not edit.\n${bundle.outputFiles[0]!.text}\n${globals}\n`;
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'Code.js'), code);
  await copyFile(path.join(here, 'appsscript.json'), path.join(out, 'appsscript.json'));
  return path.join(out, 'Code.js');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = await buildAppsScript();
  process.stdout.write(`apps-script: ${path.relative(process.cwd(), file)}\n`);
}
