import { describe, expect, it } from 'vitest'
import { outcomeRedirectUrl, sessionOutcome } from './outcome.ts'
import type { Decision, VerificationStatus } from './verification.ts'

function decision(status: Decision['status'], reasons: string[]): Decision {
  return { status, reasons, confidence: 0.9, verifiedAge: 30, decidedBy: 'loom' }
}

describe('session outcome (the sessions API)', () => {
  const cases: [VerificationStatus, Decision | null, string | null, unknown][] = [
    ['pending', null, null, null],
    ['in_progress', null, null, null],
    ['processing', null, null, null],
    ['approved', decision('approved', []), null, { status: 'success' }],
    ['review', decision('review', ['low_confidence']), null, { status: 'success' }],
    // The verdict is the tenant's to read from its backend: an underage rejection completed fine.
    ['rejected', decision('rejected', ['underage']), null, { status: 'success' }],
    [
      'rejected',
      decision('rejected', ['face_mismatch']),
      null,
      { status: 'failed', reason: 'face_mismatch' },
    ],
    [
      'rejected',
      decision('rejected', ['document_unreadable']),
      null,
      { status: 'failed', reason: 'document_unreadable' },
    ],
    ['expired', null, 'session_expired', { status: 'failed', reason: 'session_expired' }],
    ['abandoned', null, 'user_cancelled', { status: 'abandoned', reason: 'user_cancelled' }],
    ['abandoned', null, null, { status: 'abandoned', reason: 'user_cancelled' }],
    ['failed', null, 'internal_error', { status: 'failed', reason: 'internal_error' }],
    ['failed', null, 'something new', { status: 'failed', reason: 'internal_error' }],
  ]
  it.each(cases)('%s %j %s → %j', (status, d, endReason, expected) => {
    expect(sessionOutcome({ status, decision: d, endReason })).toEqual(expected)
  })

  it('appends session_id, status, reason (not on success) and state to the redirect', () => {
    const failed = new URL(
      outcomeRedirectUrl(
        'https://shop.example/back?order=7',
        'ver_1',
        { status: 'abandoned', reason: 'user_cancelled' },
        'csrf&1',
      ),
    )
    expect(failed.origin + failed.pathname).toBe('https://shop.example/back')
    expect(Object.fromEntries(failed.searchParams)).toEqual({
      order: '7',
      session_id: 'ver_1',
      status: 'abandoned',
      reason: 'user_cancelled',
      state: 'csrf&1',
    })
    const success = new URL(
      outcomeRedirectUrl('https://shop.example/back', 'ver_2', { status: 'success' }, null),
    )
    expect(success.searchParams.has('reason')).toBe(false)
    expect(success.searchParams.has('state')).toBe(false)
  })
})
