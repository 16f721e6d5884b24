/**
 * Static files of the web page (`collector/web/`), GET and HEAD only. The URL path is decoded,
 * normalized and resolved inside the root; anything that leaves it (`..`, encoded slashes,
 * NUL bytes, symlinks pointing out) is a 404, never a read outside the folder.
 */
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** `collector/web` beside this module's sources, also when running from dist/. */
export function defaultWebRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../web'), path.resolve(here, '../../../collector/web')];
  return candidates.find((d) => existsSync(d)) ?? candidates[0]!;
}

/** The file under `root` that `urlPath` names, or null when it is outside, hidden or absent. */
export function resolveStatic(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const rel = path.posix.normalize(decoded).replace(/^\/+/, '');
  if (rel.split('/').some((seg) => seg === '..' || (seg.startsWith('.') && seg.length > 0))) return null;
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return null;
  }
  let file = path.resolve(realRoot, rel === '' ? 'index.html' : rel);
  try {
    if (statSync(file).isDirectory()) file = path.join(file, 'index.html');
    const real = realpathSync(file);
    if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return null;
    if (!statSync(real).isFile()) return null;
    return real;
  } catch {
    return null;
  }
}

/** Serves the file; returns false when there is none (the caller answers 404). */
export function serveStatic(root: string, req: IncomingMessage, res: ServerResponse, urlPath: string): boolean {
  const file = resolveStatic(root, urlPath);
  if (!file) return false;
  const size = statSync(file).size;
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': size,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).on('error', () => res.destroy()).pipe(res);
  return true;
}
