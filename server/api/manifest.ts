/**
 * The Excel add-in's manifest for one server: manifest.xml in the repository points at the development
 * server (https://localhost:3000, the Office templates' convention); a server hands out the same file with
 * every such URL pointing at its PUBLIC_URL, so sideloading needs no editing. A pure function, tested
 * with the offline XSD check.
 */

export const DEV_ORIGIN = 'https://localhost:3000';

export function productionManifest(manifest: string, publicUrl: string): string {
  const origin = publicUrl.replace(/\/+$/, '');
  const escaped = origin.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return manifest.split(DEV_ORIGIN).join(escaped);
}
