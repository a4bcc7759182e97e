// The hosted page's static files: read once at start from src/web/static, named by a hash of
// their content (the page asks for `?v=<hash>`, so a cached page never pairs with a stale file),
// and compressed once.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { brotli } from './compressed.ts'
import type { StaticAsset } from './compressed.ts'

/** The static files, next to this module; compiled to dist/web/, they stay in src/web/static. */
function staticDir(): string {
  const beside = fileURLToPath(new URL('./static/', import.meta.url))
  if (existsSync(beside)) return beside
  return fileURLToPath(new URL('../../src/web/static/', import.meta.url))
}

export const STATIC_FILES = {
  'page.js': 'text/javascript; charset=utf-8',
  'consent.js': 'text/javascript; charset=utf-8',
  'outcome.js': 'text/javascript; charset=utf-8',
  'capture.js': 'text/javascript; charset=utf-8',
  'camera.js': 'text/javascript; charset=utf-8',
  'handoff.js': 'text/javascript; charset=utf-8',
  'page.css': 'text/css; charset=utf-8',
  'embed.js': 'text/javascript; charset=utf-8',
} as const
export type StaticName = keyof typeof STATIC_FILES

export function loadAssets(): Record<StaticName, StaticAsset> {
  const dir = staticDir()
  const load = (name: StaticName, edit: (text: string) => string = (text) => text): StaticAsset => {
    const body = Buffer.from(edit(readFileSync(`${dir}${name}`, 'utf8')))
    const hash = createHash('sha256').update(body).digest('base64url').slice(0, 12)
    return {
      body,
      type: STATIC_FILES[name],
      hash,
      br: brotli(body),
      gzip: gzipSync(body, { level: 9 }),
    }
  }
  // page.js imports these by their hashed URLs, so a cached page never pairs with a stale one.
  const consent = load('consent.js')
  const outcome = load('outcome.js')
  return {
    'page.js': load('page.js', (text) =>
      text
        .replace("from './consent.js'", `from './consent.js?v=${consent.hash}'`)
        .replace("from './outcome.js'", `from './outcome.js?v=${outcome.hash}'`),
    ),
    'consent.js': consent,
    'outcome.js': outcome,
    'capture.js': load('capture.js'),
    'camera.js': load('camera.js'),
    'handoff.js': load('handoff.js'),
    'page.css': load('page.css'),
    'embed.js': load('embed.js'),
  }
}
