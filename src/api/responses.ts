// How requests are answered, said once for the Fastify app (app.ts) and the token fast path
// (age-token-lane.ts): request ids, what an error becomes, and the rate-limit headers.
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyError } from 'fastify'
import type { ErrorObject } from 'ajv'
import { newRequestId } from '../domain/ids.ts'
import type { RateDecision } from '../limits.ts'
import { ApiError } from './errors.ts'
import type { NativeErrorCode } from './errors.ts'
import { DomainError } from '../domain/errors.ts'

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** A request's id: a sane incoming `X-Request-ID` is kept, otherwise a new one. */
export function requestIdFor(headers: IncomingHttpHeaders): string {
  const incoming = headers['x-request-id']
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : newRequestId()
}

/** What an error is answered with; `unexpected` errors are bugs, logged in full. */
export interface ErrorAnswer {
  code: NativeErrorCode
  message: string
  details?: Record<string, unknown>
  headers?: Record<string, string>
  unexpected?: boolean
}

/** A schema validation failure: the first ten issues, each naming its field. */
export function validationAnswer(
  errors: readonly Pick<ErrorObject, 'keyword' | 'instancePath' | 'params' | 'message'>[],
  part: string,
): ErrorAnswer {
  const code = part === 'body' ? 'INVALID_REQUEST_BODY' : 'INVALID_PARAMETERS'
  const issues = errors.slice(0, 10).map((v) => {
    const unknown: unknown =
      v.keyword === 'additionalProperties' ? v.params.additionalProperty : null
    const field = `${part}${v.instancePath.replaceAll('/', '.')}`
    return {
      field: typeof unknown === 'string' ? `${field}.${unknown}` : field,
      message: typeof unknown === 'string' ? 'is not a known field' : (v.message ?? 'is invalid'),
    }
  })
  const message = issues.map((i) => `${i.field} ${i.message}`).join('; ')
  return { code, message, details: { issues } }
}

/** The answer to a bug: the body never says more; the log has the details. */
export const UNEXPECTED_ERROR: ErrorAnswer = {
  code: 'INTERNAL_ERROR',
  message: 'Unexpected server error; retry with the requestId',
  unexpected: true,
}

/** Seconds a client is asked to wait before retrying while a dependency is down. */
const OUTAGE_RETRY_SECONDS = 5

/**
 * The answer while the database cannot be reached: 503, retry shortly. Not a bug, so no stack in
 * the log beyond a warning, and nothing was changed (the statement failed before committing).
 */
export const DATABASE_OUTAGE: ErrorAnswer = {
  code: 'SERVICE_UNAVAILABLE',
  message: `The database cannot be reached right now; retry in ${OUTAGE_RETRY_SECONDS} seconds`,
  details: { dependency: 'database', retryAfterSeconds: OUTAGE_RETRY_SECONDS },
  headers: { 'retry-after': String(OUTAGE_RETRY_SECONDS) },
}

/** The answer while the server is shutting down: a load balancer should send it elsewhere. */
export const SHUTTING_DOWN: ErrorAnswer = {
  code: 'SERVICE_UNAVAILABLE',
  message: 'This server is shutting down; retry the request',
  headers: { connection: 'close', 'retry-after': '1' },
}

/** The answer to anything thrown while serving a request. */
export function errorAnswer(err: FastifyError | DomainError): ErrorAnswer {
  if (err instanceof DomainError) {
    const headers = err instanceof ApiError ? err.headers : undefined
    return { code: err.code, message: err.message, details: err.details, headers }
  }
  if (err.validation) return validationAnswer(err.validation, err.validationContext ?? 'body')
  const status = err.statusCode ?? 500
  if (status === 413) {
    return { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is larger than allowed' }
  }
  if (status === 415) {
    return {
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'Unsupported Content-Type: send application/json',
    }
  }
  if (status >= 400 && status < 500) return { code: 'INVALID_REQUEST_BODY', message: err.message }
  return UNEXPECTED_ERROR
}

/** X-RateLimit-* headers for a tenant's rate-limit decision. */
export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  return {
    'x-ratelimit-limit': String(decision.limit),
    'x-ratelimit-remaining': String(Math.max(0, decision.remaining)),
    'x-ratelimit-reset': String(Math.ceil((Date.now() + decision.resetMs) / 1000)),
  }
}

/** The 429 for a decision that refused the request; null when it was allowed. */
export function rateLimitExceeded(decision: RateDecision): ApiError | null {
  if (decision.allowed) return null
  const resetSeconds = Math.max(1, Math.ceil(decision.resetMs / 1000))
  return new ApiError(
    'RATE_LIMIT_EXCEEDED',
    `Rate limit of ${decision.limit} requests per minute exceeded. Try again in ${resetSeconds} seconds.`,
    { retryAfterSeconds: resetSeconds },
    { 'retry-after': String(resetSeconds) },
  )
}
