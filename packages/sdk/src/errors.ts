// The errors the client throws: one base class carrying Loom's error code, the HTTP status and
// the request id (quote it to the operator), and a subclass per kind a caller branches on.

/** Fields of an error answer (`{"error": {"code", "message", "details"?}, "requestId"}`). */
export interface LoomErrorInit {
  code: string
  message: string
  status?: number | undefined
  requestId?: string | undefined
  details?: Record<string, unknown> | undefined
  retryAfterSeconds?: number | undefined
  cause?: unknown
}

/** Any error Loom answered with, or a failure to reach it. */
export class LoomError extends Error {
  /** Loom's stable error code, e.g. `VERIFICATION_NOT_FOUND`; `CONNECTION_ERROR` when no answer came. */
  readonly code: string
  /** The HTTP status; undefined when no answer came. */
  readonly status: number | undefined
  /** The `x-request-id` of the answer, when there was one. */
  readonly requestId: string | undefined
  /** `error.details` of the answer (e.g. `issues` for an invalid body). */
  readonly details: Record<string, unknown> | undefined
  /** Seconds Loom asked the client to wait (`Retry-After`), when it said. */
  readonly retryAfterSeconds: number | undefined

  constructor(init: LoomErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause })
    this.name = new.target.name
    this.code = init.code
    this.status = init.status
    this.requestId = init.requestId
    this.details = init.details
    this.retryAfterSeconds = init.retryAfterSeconds
  }
}

/** 400, 413, 415: the request itself is wrong (body, parameters, image); do not retry it as is. */
export class ValidationError extends LoomError {}

/** 401: missing, unknown or revoked API key, or an inactive tenant. */
export class AuthenticationError extends LoomError {}

/** 403: the key may not do this (e.g. `SUBMIT_NOT_ALLOWED`). */
export class PermissionDeniedError extends LoomError {}

/** 404: no such verification, image, endpoint… (another tenant's, or the other mode's, too). */
export class NotFoundError extends LoomError {}

/** 409: the state forbids it now (e.g. `IDEMPOTENCY_KEY_REUSED`, `VERIFICATION_IMAGES_COMPLETE`). */
export class ConflictError extends LoomError {}

/** 429: rate limit, monthly quota or too many failed authentications. */
export class RateLimitError extends LoomError {}

/** 5xx: Loom or one of its dependencies failed; 503s are retried before this is thrown. */
export class ServerError extends LoomError {}

/** No answer: the connection failed or the time limit (`timeoutMs`) passed. */
export class ConnectionError extends LoomError {}

/** A webhook whose signature, timestamp or headers do not check out; answer it with a 4xx. */
export class WebhookVerificationError extends LoomError {}

/** The error class for an HTTP status. */
export function errorClassFor(status: number): typeof LoomError {
  if (status === 400 || status === 413 || status === 415 || status === 422) return ValidationError
  if (status === 401) return AuthenticationError
  if (status === 403) return PermissionDeniedError
  if (status === 404) return NotFoundError
  if (status === 409) return ConflictError
  if (status === 429) return RateLimitError
  if (status >= 500) return ServerError
  return LoomError
}
