// Each API surface renders errors in its own shape (as each API's documentation shows them).
import type { NativeErrorCode } from './errors.ts'
import { NATIVE_ERRORS } from './errors.ts'

export type Surface = 'native' | 'v1' | 'sessions' | 'verification' | 'oauth'

export interface RenderedError {
  body: Record<string, unknown>
}

/** The one-shot API (`/v1/verify`) names a few codes differently from the native API reference. */
const V1_CODES: Partial<Record<NativeErrorCode, string>> = {
  UNAUTHENTICATED_TENANT: 'AUTH_INVALID_KEY',
  AUTH_RATE_LIMITED: 'RATE_LIMIT_EXCEEDED',
  INVALID_REQUEST_BODY: 'INVALID_REQUEST',
  INVALID_PARAMETERS: 'INVALID_REQUEST',
}

/** The sessions API (`/v1/sessions`, `/v1/workflows`): 402 when the balance is exhausted. */
const SESSION_CODES: Partial<Record<NativeErrorCode, string>> = {
  ...V1_CODES,
  QUOTA_EXCEEDED: 'INSUFFICIENT_BALANCE',
  HARD_LIMIT_EXCEEDED: 'INSUFFICIENT_BALANCE',
  VERIFICATION_NOT_FOUND: 'SESSION_NOT_FOUND',
}

/** How a surface's documentation says to send the API key (named in its 401 messages). */
export function keyHeaderOf(surface: Surface): string {
  switch (surface) {
    case 'v1':
      return 'the Authorization header (Bearer <key>)'
    case 'sessions':
      return 'the x-api-key header'
    case 'verification':
      // Its documentation's security scheme is an HTTP bearer access token.
      return 'the Authorization header (Bearer <access token or key>)'
    case 'native':
    case 'oauth':
      return 'the x-tenant-api-key header'
  }
}

/** The HTTP status of an error on a surface (the native one unless the surface's documentation differs). */
export function statusFor(surface: Surface, code: NativeErrorCode): number {
  if (surface === 'sessions' && (code === 'QUOTA_EXCEEDED' || code === 'HARD_LIMIT_EXCEEDED')) {
    return 402
  }
  return NATIVE_ERRORS[code]
}

/**
 * RFC 6749 §5.2 names the token endpoint's errors; a handler picks the exact one in
 * `details.oauthError`, the rest follow from the native code.
 */
const OAUTH_ERRORS: Partial<Record<NativeErrorCode, string>> = {
  UNAUTHENTICATED_TENANT: 'invalid_client',
  INTERNAL_ERROR: 'server_error',
  DATABASE_ERROR: 'server_error',
  REDIS_ERROR: 'temporarily_unavailable',
  SERVICE_UNAVAILABLE: 'temporarily_unavailable',
}

/** The body of an error response on a surface. */
export function renderError(
  surface: Surface,
  code: NativeErrorCode,
  message: string,
  details: Record<string, unknown> | undefined,
  requestId: string,
): Record<string, unknown> {
  switch (surface) {
    case 'native': {
      const retry = details?.retryAfterSeconds
      return {
        error: { code, message, ...(details ? { details } : {}) },
        requestId,
        ...(typeof retry === 'number' ? { retryAfterSeconds: retry } : {}),
      }
    }
    case 'v1':
    case 'sessions': {
      const v1Details = details
        ? Object.fromEntries(Object.entries(details).map(([k, v]) => [snake(k), v]))
        : undefined
      const codes = surface === 'sessions' ? SESSION_CODES : V1_CODES
      return {
        request_id: requestId,
        error: {
          code: codes[code] ?? code,
          message,
          ...(v1Details ? { details: v1Details } : {}),
        },
      }
    }
    case 'verification': {
      // The verification-sessions API (`/api/v1/verification`) shows no error body: snake_case like its fields.
      const snakeDetails = details
        ? Object.fromEntries(Object.entries(details).map(([k, v]) => [snake(k), v]))
        : undefined
      return {
        error: { code, message, ...(snakeDetails ? { details: snakeDetails } : {}) },
        request_id: requestId,
      }
    }
    case 'oauth': {
      const chosen = details?.oauthError
      const retry = details?.retryAfterSeconds
      return {
        error: typeof chosen === 'string' ? chosen : (OAUTH_ERRORS[code] ?? 'invalid_request'),
        error_description: message,
        request_id: requestId,
        ...(typeof retry === 'number' ? { retry_after_seconds: retry } : {}),
      }
    }
  }
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}
