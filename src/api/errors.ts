// One closed set of error codes per surface, one map from code to HTTP status, one body shape
// per surface. Services throw DomainError (domain/errors.ts) and the API's own checks throw
// ApiError, both with a native code; each surface renders them in its words.
import { Type } from 'typebox'
import { DomainError } from '../domain/errors.ts'
import type { ErrorCode } from '../domain/errors.ts'

/** The native API reference's codes, plus the few a real service also needs (each documented in README). */
export const NATIVE_ERRORS = {
  UNAUTHENTICATED_TENANT: 401,
  UNAUTHENTICATED_ADMIN: 401,
  INVALID_REQUEST_BODY: 400,
  INVALID_PARAMETERS: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_FOUND: 404,
  TENANT_NOT_FOUND: 404,
  API_KEY_NOT_FOUND: 404,
  VERIFICATION_NOT_FOUND: 404,
  WORKFLOW_NOT_FOUND: 404,
  VERIFICATION_ALREADY_COMPLETED: 400,
  VERIFICATION_NOT_READY: 409,
  VERIFICATION_EXPIRED: 410,
  IDEMPOTENCY_KEY_REUSED: 409,
  MOCK_BEHAVIOR_NOT_ALLOWED: 400,
  SUBMIT_NOT_ALLOWED: 403,
  WEBHOOK_ENDPOINT_NOT_FOUND: 404,
  DELIVERY_NOT_FOUND: 404,
  DELIVERY_PENDING: 409,
  JOB_NOT_FOUND: 404,
  JOB_NOT_DEAD: 409,
  DOCUMENT_INVALID_FORMAT: 400,
  DOCUMENT_TOO_LARGE: 413,
  DOCUMENT_QUALITY_LOW: 400,
  VERIFICATION_IMAGES_COMPLETE: 409,
  BIOMETRIC_CONSENT_REQUIRED: 409,
  IMAGE_NOT_FOUND: 404,
  RATE_LIMIT_EXCEEDED: 429,
  AUTH_RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  HARD_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  DATABASE_ERROR: 500,
  REDIS_ERROR: 503,
  SERVICE_UNAVAILABLE: 503,
} as const satisfies Record<ErrorCode, number>

export type NativeErrorCode = ErrorCode

/**
 * An error the API answers with, raised at the edge (auth, limits, parsing), with the headers
 * it needs; services throw its parent DomainError. Anything else that is thrown is a bug (500,
 * logged).
 */
export class ApiError extends DomainError {
  readonly headers: Record<string, string>

  constructor(
    code: NativeErrorCode,
    message: string,
    details?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) {
    super(code, message, details)
    this.name = 'ApiError'
    this.headers = headers
  }

  get statusCode(): number {
    return NATIVE_ERRORS[this.code]
  }
}

export const NativeErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable, machine-readable error code' }),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
    requestId: Type.String({ description: 'Quote it when contacting support' }),
    retryAfterSeconds: Type.Optional(Type.Integer()),
  },
  { $id: 'NativeError', title: 'Error (native surface)' },
)
