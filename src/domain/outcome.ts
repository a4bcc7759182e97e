// How a session ended, in the sessions API's words: the redirect a person is sent to when they finish,
// leave or the session fails carries `status` (success | failed | abandoned) and, unless it is a
// success, a `reason`. The status describes the session, not the verdict: a completed session
// whose verification was rejected for the person's age is still a `success` (the tenant reads the
// verdict from its backend, never from a URL a browser can edit). Only failures the person could
// fix by trying again carry their reason. New reasons may be added: clients must accept unknown
// values (README, "Redirect outcome").
import type { Decision, VerificationStatus } from './verification.ts'

export const END_REASONS = [
  'document_unreadable',
  'face_mismatch',
  'session_expired',
  'internal_error',
  'user_cancelled',
  'unknown',
] as const
export type EndReason = (typeof END_REASONS)[number]

export type SessionOutcome =
  { status: 'success' } | { status: 'failed' | 'abandoned'; reason: EndReason }

const RETRYABLE: readonly string[] = ['document_unreadable', 'face_mismatch']

function asEndReason(value: string | null, fallback: EndReason): EndReason {
  return (END_REASONS as readonly string[]).includes(value ?? '') ? (value as EndReason) : fallback
}

/** The outcome of a session that has ended; null while it is still open. */
export function sessionOutcome(verification: {
  status: VerificationStatus
  decision: Decision | null
  endReason: string | null
}): SessionOutcome | null {
  const { status, decision, endReason } = verification
  switch (status) {
    case 'pending':
    case 'in_progress':
    case 'processing':
      return null
    case 'approved':
    case 'review':
      return { status: 'success' }
    case 'rejected': {
      // A hosted page whose attempts ran out ends with the workflow's reason, when it names one.
      if (endReason !== null && (END_REASONS as readonly string[]).includes(endReason)) {
        return { status: 'failed', reason: endReason as EndReason }
      }
      const retryable = decision?.reasons.find((r) => RETRYABLE.includes(r))
      return retryable
        ? { status: 'failed', reason: retryable as EndReason }
        : { status: 'success' }
    }
    case 'expired':
      return { status: 'failed', reason: 'session_expired' }
    case 'abandoned':
      return { status: 'abandoned', reason: asEndReason(endReason, 'user_cancelled') }
    case 'failed':
      return { status: 'failed', reason: asEndReason(endReason, 'internal_error') }
  }
}

/** The sessions API's redirect: `session_id`, `status`, `reason` (not on success) and `state` if given. */
export function outcomeRedirectUrl(
  redirectUrl: string,
  sessionId: string,
  outcome: SessionOutcome,
  state: string | null,
): string {
  const url = new URL(redirectUrl)
  url.searchParams.set('session_id', sessionId)
  url.searchParams.set('status', outcome.status)
  if (outcome.status !== 'success') url.searchParams.set('reason', outcome.reason)
  if (state !== null) url.searchParams.set('state', state)
  return url.toString()
}
