// Each API surface renders errors in its own shape (the seeds in shared/seeds/ show them).
import type { NativeErrorCode } from './errors.ts'

export type Surface = 'native' | 'v1'

export interface RenderedError {
  body: Record<string, unknown>
}

/** Seed 001 (`/v1/verify`) names a few codes differently from seed 002. */
const V1_CODES: Partial<Record<NativeErrorCode, string>> = {
  UNAUTHENTICATED_TENANT: 'AUTH_INVALID_KEY',
  AUTH_RATE_LIMITED: 'RATE_LIMIT_EXCEEDED',
  INVALID_REQUEST_BODY: 'INVALID_REQUEST',
  INVALID_PARAMETERS: 'INVALID_REQUEST',
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
    case 'v1': {
      const v1Details = details
        ? Object.fromEntries(Object.entries(details).map(([k, v]) => [snake(k), v]))
        : undefined
      return {
        request_id: requestId,
        error: {
          code: V1_CODES[code] ?? code,
          message,
          ...(v1Details ? { details: v1Details } : {}),
        },
      }
    }
  }
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}
