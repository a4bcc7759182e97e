// One request to Loom with its time limit and retries. Retried: 429 and 503 (Loom refused before
// doing anything; Retry-After says when to come back), and failures to connect. A request lost
// after it was sent (reset, time limit) is retried only when sending it twice is harmless: a
// read, a delete, a token check, or a start carrying an Idempotency-Key. 4xx answers are never
// retried: the same request would get the same answer.
import { ConnectionError, LoomError, errorClassFor } from './errors.ts'

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

export interface TransportOptions {
  apiKey: string
  baseUrl: string
  fetch: FetchLike
  timeoutMs: number
  maxRetries: number
  /** Longest Retry-After the client waits for; a longer one is thrown to the caller. */
  maxRetryDelayMs: number
  userAgent: string
}

export interface RequestOptions {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  path: string
  query?: Record<string, string | number | undefined>
  body?: unknown
  headers?: Record<string, string>
  /** Sending it twice does no harm, so a request lost in flight may be sent again. */
  idempotent: boolean
  /** Answer bytes instead of JSON. */
  binary?: boolean
}

export interface Answer<T> {
  body: T
  status: number
  headers: Headers
}

/** Socket errors that mean the request never reached the server. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])
const RETRY_STATUSES = new Set([429, 503])
/** 429s that last until the month turns: retrying within seconds cannot succeed. */
const WAITING_WONT_HELP = new Set(['QUOTA_EXCEEDED', 'HARD_LIMIT_EXCEEDED'])
const BASE_DELAY_MS = 300
const MAX_BACKOFF_MS = 8_000

function causeCode(err: unknown): string | undefined {
  let e: unknown = err
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return code
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

function backoffMs(attempt: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_DELAY_MS * 2 ** attempt)
  return ceiling / 2 + Math.random() * (ceiling / 2)
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; details?: unknown }
  requestId?: unknown
  retryAfterSeconds?: unknown
}

function errorFrom(res: Response, text: string): LoomError {
  let parsed: ErrorBody = {}
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value === 'object' && value !== null) parsed = value
  } catch {
    // Not JSON (a proxy's page, say): the status alone describes it.
    parsed = {}
  }
  const error = parsed.error ?? {}
  const retryAfter = retryAfterMs(res.headers.get('retry-after'))
  const ErrorClass = errorClassFor(res.status)
  return new ErrorClass({
    code: typeof error.code === 'string' ? error.code : `HTTP_${res.status}`,
    message:
      typeof error.message === 'string'
        ? error.message
        : `Loom answered ${res.status} ${res.statusText}`.trim(),
    status: res.status,
    requestId:
      res.headers.get('x-request-id') ??
      (typeof parsed.requestId === 'string' ? parsed.requestId : undefined),
    details:
      typeof error.details === 'object' && error.details !== null
        ? (error.details as Record<string, unknown>)
        : undefined,
    retryAfterSeconds:
      typeof parsed.retryAfterSeconds === 'number'
        ? parsed.retryAfterSeconds
        : retryAfter === undefined
          ? undefined
          : Math.ceil(retryAfter / 1000),
  })
}

/** Sends a request to Loom, retrying what is safe to retry; throws a LoomError otherwise. */
export async function send<T>(options: TransportOptions, req: RequestOptions): Promise<Answer<T>> {
  const url = new URL(req.path.replace(/^\//, ''), options.baseUrl.replace(/\/?$/, '/'))
  for (const [name, value] of Object.entries(req.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value))
  }
  const headers: Record<string, string> = {
    accept: req.binary ? '*/*' : 'application/json',
    'user-agent': options.userAgent,
    'x-tenant-api-key': options.apiKey,
    ...req.headers,
  }
  const body = req.body === undefined ? undefined : JSON.stringify(req.body)
  if (body !== undefined) headers['content-type'] = 'application/json'

  for (let attempt = 0; ; attempt++) {
    const retriesLeft = attempt < options.maxRetries
    let res: Response
    let raw: Uint8Array
    try {
      res = await options.fetch(url.toString(), {
        method: req.method,
        headers,
        ...(body !== undefined && { body }),
        signal: AbortSignal.timeout(options.timeoutMs),
      })
      // Read within the same time limit: a connection can also break halfway through an answer.
      raw = new Uint8Array(await res.arrayBuffer())
    } catch (err) {
      const code = causeCode(err)
      const timedOut = err instanceof Error && err.name === 'TimeoutError'
      if (retriesLeft && ((code !== undefined && NOT_SENT.has(code)) || req.idempotent)) {
        await sleep(backoffMs(attempt))
        continue
      }
      throw new ConnectionError({
        code: timedOut ? 'TIMEOUT' : 'CONNECTION_ERROR',
        message: timedOut
          ? `No answer from Loom within ${options.timeoutMs} ms (${req.method} ${req.path})`
          : `Could not reach Loom at ${url.origin} (${code ?? (err instanceof Error ? err.message : String(err))})`,
        cause: err,
      })
    }
    if (res.ok) {
      if (req.binary) return { body: raw as T, status: res.status, headers: res.headers }
      const text = new TextDecoder().decode(raw)
      let body: unknown
      try {
        body = text === '' ? undefined : JSON.parse(text)
      } catch (err) {
        // A 2xx that is not JSON came from something between us and Loom (a proxy's page).
        throw new LoomError({
          code: 'INVALID_RESPONSE',
          message: `Loom's answer to ${req.method} ${req.path} is not JSON`,
          status: res.status,
          requestId: res.headers.get('x-request-id') ?? undefined,
          cause: err,
        })
      }
      return { body: body as T, status: res.status, headers: res.headers }
    }
    const error = errorFrom(res, new TextDecoder().decode(raw))
    if (retriesLeft && RETRY_STATUSES.has(res.status) && !WAITING_WONT_HELP.has(error.code)) {
      const asked = retryAfterMs(res.headers.get('retry-after'))
      if (asked === undefined || asked <= options.maxRetryDelayMs) {
        await sleep(asked ?? backoffMs(attempt))
        continue
      }
    }
    throw error
  }
}
