// One webhook HTTP attempt: POST with a hard time limit over connect, send and answer; only the
// first kilobyte of the answer is kept (for the tenant's delivery log), redirects are not
// followed, and — unless private targets are allowed — the SSRF guard picks the address.
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { BlockedAddressError, guardedLookup, hostOf, isBlockedAddress } from './ssrf.ts'

export const RESPONSE_EXCERPT_BYTES = 1024

export interface AttemptOutcome {
  /** HTTP status, or null when no answer came (refused, timed out, blocked). */
  statusCode: number | null
  durationMs: number
  responseExcerpt: string | null
  error: string | null
}

export class WebhookSender {
  // Keep-alive agents: a busy endpoint gets its deliveries over a few warm connections.
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 32 })
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 32 })

  constructor(private readonly options: { timeoutMs: number; allowPrivate: boolean }) {}

  /** Sends one attempt; never throws for network trouble (that is an outcome). */
  async send(
    rawUrl: string,
    headers: Record<string, string>,
    body: string,
  ): Promise<AttemptOutcome> {
    const started = performance.now()
    const done = (partial: Omit<AttemptOutcome, 'durationMs'>): AttemptOutcome => ({
      ...partial,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    })
    let url: URL
    try {
      url = new URL(rawUrl)
    } catch {
      return done({ statusCode: null, responseExcerpt: null, error: 'invalid URL' })
    }
    const secure = url.protocol === 'https:'
    if (!secure && !(url.protocol === 'http:' && this.options.allowPrivate)) {
      return done({ statusCode: null, responseExcerpt: null, error: 'URL must be https' })
    }
    const host = hostOf(url)
    if (!this.options.allowPrivate && net.isIP(host) !== 0 && isBlockedAddress(host)) {
      return done({
        statusCode: null,
        responseExcerpt: null,
        error: new BlockedAddressError(host, host).message,
      })
    }
    return new Promise<AttemptOutcome>((resolve) => {
      let settled = false
      const finish = (outcome: Omit<AttemptOutcome, 'durationMs'>): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve(done(outcome))
      }
      const request = (secure ? https : http).request(url, {
        method: 'POST',
        agent: secure ? this.httpsAgent : this.httpAgent,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(this.options.allowPrivate ? {} : { lookup: guardedLookup }),
      })
      const timer = setTimeout(() => {
        finish({
          statusCode: null,
          responseExcerpt: null,
          error: `timed out after ${this.options.timeoutMs} ms`,
        })
        request.destroy()
      }, this.options.timeoutMs)
      request.on('error', (err: Error) => {
        finish({ statusCode: null, responseExcerpt: null, error: describe(err) })
      })
      request.on('response', (response) => {
        const chunks: Buffer[] = []
        let size = 0
        const complete = (): void => {
          const excerpt = Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES)
          finish({
            statusCode: response.statusCode ?? null,
            responseExcerpt: excerpt.length > 0 ? excerpt.toString('utf8') : null,
            error: null,
          })
        }
        response.on('data', (chunk: Buffer) => {
          if (size < RESPONSE_EXCERPT_BYTES) chunks.push(chunk)
          size += chunk.length
          // Enough to show the tenant; the rest is not read (the socket is dropped).
          if (size > 64 * 1024) {
            complete()
            response.destroy()
          }
        })
        response.on('end', complete)
        response.on('error', (err: Error) => {
          finish({
            statusCode: response.statusCode ?? null,
            responseExcerpt: null,
            error: describe(err),
          })
        })
      })
      request.end(body)
    })
  }

  close(): void {
    this.httpAgent.destroy()
    this.httpsAgent.destroy()
  }
}

function describe(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code
  return (code ? `${code}: ` : '') + err.message.slice(0, 300)
}
