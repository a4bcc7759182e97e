// Compressed answers for the hosted page: brotli or gzip as the client accepts (RFC 9110
// §12.5.3), the static files compressed once at start, and their cache headers.
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib'
import type { FastifyReply } from 'fastify'

export interface StaticAsset {
  body: Buffer
  type: string
  hash: string
  /** The body compressed once at start (the files never change while Loom runs). */
  br: Buffer
  gzip: Buffer
}

type Encoding = 'br' | 'gzip' | null

/** The best encoding the client accepts (brotli, then gzip), per RFC 9110 §12.5.3 with q=0. */
export function pickEncoding(accept: string | string[] | undefined): Encoding {
  const header = Array.isArray(accept) ? accept.join(',') : (accept ?? '')
  const accepted = new Map<string, number>()
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';')
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const quality = q === undefined ? 1 : Number(q.slice(2))
    accepted.set(name, Number.isFinite(quality) ? quality : 0)
  }
  const allows = (name: string) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0
  if (allows('br')) return 'br'
  if (allows('gzip')) return 'gzip'
  return null
}

export function brotli(body: Buffer): Buffer {
  return brotliCompressSync(body, {
    params: {
      [zlibConstants.BROTLI_PARAM_QUALITY]: 11,
      [zlibConstants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  })
}

/** Sends a text body in the best encoding the client accepts (Vary: Accept-Encoding). */
export function sendCompressed(
  reply: FastifyReply,
  accept: string | string[] | undefined,
  body: Buffer,
  precompressed?: { br: Buffer; gzip: Buffer },
): FastifyReply {
  void reply.header('vary', 'accept-encoding')
  const encoding = body.length < 256 ? null : pickEncoding(accept)
  if (encoding === null) return reply.send(body)
  const encoded =
    encoding === 'br'
      ? (precompressed?.br ??
        brotliCompressSync(body, {
          params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 },
        }))
      : (precompressed?.gzip ?? gzipSync(body, { level: 6 }))
  void reply.header('content-encoding', encoding)
  return reply.send(encoded)
}

export function sendAsset(
  reply: FastifyReply,
  accept: string | string[] | undefined,
  asset: StaticAsset,
  options: { crossOrigin?: boolean; immutable?: boolean },
): FastifyReply {
  void reply.header('x-content-type-options', 'nosniff')
  void reply.header('etag', `"${asset.hash}"`)
  // Hashed URLs (?v=<hash>) are cached for a year; embed.js (a fixed URL) and an unhashed or
  // stale URL for five minutes.
  void reply.header(
    'cache-control',
    options.immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
  )
  // Tenants include embed.js from their own pages (which may require CORP, e.g. with COEP).
  if (options.crossOrigin) void reply.header('cross-origin-resource-policy', 'cross-origin')
  return sendCompressed(reply.type(asset.type), accept, asset.body, asset)
}
