// The result of a one-shot document verification (`POST /v1/verify`), in the words of that API.
// It lives with the services, not the HTTP adapter, because the worker sends it too: a verification
// started with a webhook URL is decided in the background and its result is delivered as the
// webhook's `data.v1`, which must be the same record the synchronous answer has.
import { methodOf } from '../domain/verification.ts'
import type { AttestationMethod, Decision } from '../domain/verification.ts'
import type { Verification } from '../store/verifications.ts'

/** The result of a one-shot verification: the `/v1/verify` answer and its webhook's `data.v1`. */
export interface OneShotResult {
  request_id: string
  verification_id: string
  status: 'verified' | 'rejected' | 'review'
  verified_age?: number
  confidence_score: number
  document_type: string | null
  processing_time_ms: number
  reason?: string
  metadata: Record<string, unknown>
  extraction_data?: Record<string, unknown>
  token?: string
  test_mode: boolean
  method: AttestationMethod
}

/** A decided one-shot verification in the one-shot API's words (verified | rejected | review). */
export function oneShotResult(
  verification: Verification,
  decision: Decision,
  documentType: string | null,
  processingTimeMs: number,
): OneShotResult {
  const status =
    decision.status === 'approved'
      ? 'verified'
      : decision.status === 'rejected'
        ? 'rejected'
        : 'review'
  return {
    request_id: verification.requestRef ?? verification.id,
    verification_id: verification.id,
    status,
    ...(decision.verifiedAge !== null && { verified_age: decision.verifiedAge }),
    confidence_score: decision.confidence,
    document_type: documentType,
    processing_time_ms: processingTimeMs,
    ...(decision.reasons.length > 0 && { reason: decision.reasons[0] }),
    metadata: verification.metadata ?? {},
    test_mode: verification.mode === 'test',
    method: methodOf(decision),
  }
}
