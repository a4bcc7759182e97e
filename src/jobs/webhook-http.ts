// One webhook HTTP attempt: POST with time limits on the connection (TCP and TLS), on the first
// byte of the answer, and on the whole attempt; only the first kilobyte of the answer is kept (for the tenant's delivery log), redirects are not
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

  constructor(
    private readonly options: {
      /** The whole attempt: connect, send, answer. */
      timeoutMs: number
      /** TCP and TLS connection (a fresh socket only; a kept-alive one is connected already). */
      connectTimeoutMs: number
      /** From the request sent to the first byte of the answer. */
      firstByteTimeoutMs: number
      allowPrivate: boolean
    },
  ) {}

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
    const { timeoutMs, connectTimeoutMs, firstByteTimeoutMs } = this.options
    return new Promise<AttemptOutcome>((resolve) => {
      let settled = false
      const timers: NodeJS.Timeout[] = []
      const finish = (outcome: Omit<AttemptOutcome, 'durationMs'>): void => {
        if (settled) return
        settled = true
        for (const t of timers) clearTimeout(t)
        resolve(done(outcome))
      }
      /** Gives up on the attempt after `ms` unless `cancel` is called first. */
      const limit = (ms: number, error: string): (() => void) => {
        const timer = setTimeout(() => {
          finish({ statusCode: null, responseExcerpt: null, error })
          request.destroy()
        }, ms)
        timers.push(timer)
        return () => clearTimeout(timer)
      }
      const request = (secure ? https : http).request(url, {
        method: 'POST',
        agent: secure ? this.httpsAgent : this.httpAgent,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(this.options.allowPrivate ? {} : { lookup: guardedLookup }),
      })
      limit(timeoutMs, `timed out after ${timeoutMs} ms`)
      request.on('socket', (socket) => {
        if (!socket.connecting) return
        const connected = limit(connectTimeoutMs, `connect timed out after ${connectTimeoutMs} ms`)
        socket.once(secure ? 'secureConnect' : 'connect', connected)
      })
      let answered: (() => void) | null = null
      request.on('finish', () => {
        answered = limit(
          firstByteTimeoutMs,
          `no answer within ${firstByteTimeoutMs} ms of the request`,
        )
      })
      request.on('error', (err: Error) => {
        finish({ statusCode: null, responseExcerpt: null, error: describe(err) })
      })
      request.on('response', (response) => {
        answered?.()
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
