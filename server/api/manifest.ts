/**
 * The Excel add-in's manifest for one server: manifest.xml in the repository points at the development
 * server (https://localhost:3000, the Office templates' convention); a server hands out the same file with
 * every such URL pointing at its PUBLIC_URL, so sideloading needs no editing. A pure function, tested
 * with the offline XSD check.
 */

export const DEV_ORIGIN = 'https://localhost:3000';

export function productionManifest(manifest: string, publicUrl: string, version?: string): string {
  const origin = publicUrl.replace(/\/+$/, '');
  const escaped = origin.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const pointed = manifest.split(DEV_ORIGIN).join(escaped);
  // <Version> is four numbers (n.n.n.n); the server's own version, so Office sees an update as one.
  const four = version?.match(/^(\d+)\.(\d+)\.(\d+)/);
  return four
    ? pointed.replace(/<Version>[^<]*<\/Version>/, `<Version>${four.slice(1, 4).join('.')}.0</Version>`)
    : pointed;
}

/**
 * Why a server cannot hand out its manifest, or undefined: Office loads an add-in only from https
 * addresses, and a manifest pointing at http:// installs but never opens (Microsoft, "Office Add-ins
 * manifest": SourceLocation and icon URLs must be HTTPS).
 */
export function manifestProblem(publicUrl: string): string | undefined {
  if (publicUrl.startsWith('https://')) return undefined;
  return `Office loads add-ins only over HTTPS, and this server's address is ${publicUrl}. Set PUBLIC_URL to its https:// address (with TLS_CERT_FILE and TLS_KEY_FILE, or behind a reverse proxy that serves HTTPS), restart, and download the manifest again.`;
}
