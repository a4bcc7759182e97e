// A person's new attempt after a rejection they can fix. On the hosted page a photo the reader
// could not use, a selfie that did not match, or an expired document does not end the session
// while the workflow allows another attempt: the verification goes back to `in_progress`, the
// images of the failed part are forgotten, and the page asks again. When attempts run out the
// decision stands and the redirect carries the workflow's reason.
import { END_REASONS } from './outcome.ts'
import type { EndReason } from './outcome.ts'

/** The rejections a person can act on with a new attempt. */
export const RETRYABLE_REASONS = [
  'document_unreadable',
  'face_mismatch',
  'document_expired',
] as const
export type RetryableReason = (typeof RETRYABLE_REASONS)[number]

export interface RetryPolicy {
  /** Attempts in all, the first included (1: no new attempt). */
  maxAttempts: number
  /** Which rejections allow a new attempt. */
  retryOn: RetryableReason[]
  /**
   * The `reason` of the redirect when attempts run out; null: the last rejection's own
   * (document_unreadable, face_mismatch; an expired document ends as a completed session).
   */
  exhaustedReason: EndReason | null
}

export const MAX_ATTEMPTS_LIMIT = 10

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  retryOn: [...RETRYABLE_REASONS],
  exhaustedReason: null,
}

/** A failed attempt, kept in the verification's settings (no personal data). */
export interface FailedAttempt {
  reason: RetryableReason
  at: string
}

export function isEndReason(value: string): value is EndReason {
  return (END_REASONS as readonly string[]).includes(value)
}

/**
 * The reason a rejection may be retried for, or null: every reason of the rejection must be one
 * the policy retries (a document of a minor is not made right by another photo).
 */
export function retryReason(
  policy: RetryPolicy,
  decision: { status: string; reasons: string[] },
  failedAttempts: number,
): RetryableReason | null {
  if (decision.status !== 'rejected' || decision.reasons.length === 0) return null
  if (failedAttempts + 1 >= policy.maxAttempts) return null
  const retryOn: readonly string[] = policy.retryOn
  if (!decision.reasons.every((r) => retryOn.includes(r))) return null
  return RETRYABLE_REASONS.find((r) => decision.reasons.includes(r)) ?? null
}

/** The image kinds a new attempt asks for again. */
export function kindsToRetake(reason: RetryableReason): ('document' | 'selfie')[] {
  return reason === 'face_mismatch' ? ['selfie'] : ['document']
}
