// The closed set of error codes Loom answers with, and the error the layers below api/ throw.
// A DomainError says what went wrong in the product's words; the API maps its code to an HTTP
// status and each surface renders it in its own body shape (api/errors.ts, api/surfaces.ts).

/** Every error code of the native API reference (each surface translates them to its own). */
export const ERROR_CODES = [
  'UNAUTHENTICATED_TENANT',
  'UNAUTHENTICATED_ADMIN',
  'INVALID_REQUEST_BODY',
  'INVALID_PARAMETERS',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'NOT_FOUND',
  'TENANT_NOT_FOUND',
  'API_KEY_NOT_FOUND',
  'VERIFICATION_NOT_FOUND',
  'WORKFLOW_NOT_FOUND',
  'VERIFICATION_ALREADY_COMPLETED',
  'VERIFICATION_NOT_READY',
  'VERIFICATION_EXPIRED',
  'IDEMPOTENCY_KEY_REUSED',
  'MOCK_BEHAVIOR_NOT_ALLOWED',
  'SUBMIT_NOT_ALLOWED',
  'WEBHOOK_ENDPOINT_NOT_FOUND',
  'DELIVERY_NOT_FOUND',
  'DELIVERY_PENDING',
  'JOB_NOT_FOUND',
  'JOB_NOT_DEAD',
  'DOCUMENT_INVALID_FORMAT',
  'DOCUMENT_TOO_LARGE',
  'DOCUMENT_QUALITY_LOW',
  'VERIFICATION_IMAGES_COMPLETE',
  'BIOMETRIC_CONSENT_REQUIRED',
  'IMAGE_NOT_FOUND',
  'RATE_LIMIT_EXCEEDED',
  'AUTH_RATE_LIMITED',
  'QUOTA_EXCEEDED',
  'HARD_LIMIT_EXCEEDED',
  'INTERNAL_ERROR',
  'DATABASE_ERROR',
  'REDIS_ERROR',
  'SERVICE_UNAVAILABLE',
] as const

/** One of Loom's error codes. */
export type ErrorCode = (typeof ERROR_CODES)[number]

/**
 * A refusal the caller can act on (unknown id, bad field, wrong state), thrown by services and
 * jobs. It carries no HTTP status: the API decides that from the code. Anything else thrown is
 * a bug.
 */
export class DomainError extends Error {
  readonly code: ErrorCode
  readonly details: Record<string, unknown> | undefined

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message)
    this.name = 'DomainError'
    this.code = code
    this.details = details
  }
}
