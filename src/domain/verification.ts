// The verification lifecycle and its decisions. Every status change goes through `transition`.

export const STATUSES = [
  'pending',
  'in_progress',
  'processing',
  'approved',
  'rejected',
  'review',
  'expired',
  'abandoned',
  'failed',
] as const
export type VerificationStatus = (typeof STATUSES)[number]

export const VERIFICATION_TYPES = ['age_only', 'full_verification', 'age_estimation'] as const
/**
 * age_only: a document proves the age. full_verification: a document and a selfie that matches
 * its portrait. age_estimation: one selfie, approved only when the estimated age clears the
 * minimum age plus a buffer; otherwise the person is asked for a document instead.
 */
export type VerificationType = (typeof VERIFICATION_TYPES)[number]
export type Mode = 'live' | 'test'

/** Where a verification was started; each surface maps statuses to its own words. */
export type SurfaceName = 'native' | 'v1' | 'sessions' | 'verification'

const OPEN: VerificationStatus[] = ['pending', 'in_progress', 'processing']
const DECIDED: VerificationStatus[] = ['approved', 'rejected', 'review']

/** Allowed moves. `review` is decided but may still be settled by the tenant (approved/rejected). */
const NEXT: Record<VerificationStatus, readonly VerificationStatus[]> = {
  pending: [
    'in_progress',
    'processing',
    'approved',
    'rejected',
    'review',
    'expired',
    'abandoned',
    'failed',
  ],
  in_progress: ['processing', 'approved', 'rejected', 'review', 'expired', 'abandoned', 'failed'],
  processing: ['approved', 'rejected', 'review', 'failed', 'in_progress'],
  review: ['approved', 'rejected'],
  approved: [],
  rejected: [],
  expired: [],
  abandoned: [],
  failed: [],
}

/** Whether a verification in `from` may move to `to`. */
export function canTransition(from: VerificationStatus, to: VerificationStatus): boolean {
  return NEXT[from].includes(to)
}

/** The statuses a verification can move to `to` from (for conditional updates). */
export function statusesThatMayBecome(to: VerificationStatus): VerificationStatus[] {
  return STATUSES.filter((from) => canTransition(from, to))
}

/** No further change is possible. */
export function isFinal(status: VerificationStatus): boolean {
  return NEXT[status].length === 0
}

export function isOpen(status: VerificationStatus): boolean {
  return OPEN.includes(status)
}

export function isDecided(status: VerificationStatus): boolean {
  return DECIDED.includes(status)
}

export const REASONS = [
  'underage',
  'document_expired',
  'document_unreadable',
  'checksum_failed',
  'data_inconsistent',
  'face_mismatch',
  'low_confidence',
  'document_type_not_accepted',
  'country_not_accepted',
  'presentation_attack',
  'manual_review',
  'tenant_decision',
  'specimen_document',
] as const
export type Reason = (typeof REASONS)[number]

/**
 * What an age token's claims rest on: a document read by Loom (`document`), that and a selfie
 * matched to its portrait (`document+face`), a facial age estimate (`age_estimation`), the
 * tenant's own word through /verify/submit (`tenant_attested`), a person of the tenant who
 * settled a `review` verification in the console (`manual_review`), or a test-mode mock (`mock`).
 */
export const ATTESTATION_METHODS = [
  'document',
  'document+face',
  'age_estimation',
  'tenant_attested',
  'manual_review',
  'mock',
] as const
export type AttestationMethod = (typeof ATTESTATION_METHODS)[number]

export interface Decision {
  status: 'approved' | 'rejected' | 'review'
  /** Reason codes (see REASONS); a tenant's /verify/submit may add its own short code. */
  reasons: string[]
  /** 0–1: how much the checks that passed and the read quality support the decision. */
  confidence: number
  verifiedAge: number | null
  /** Who decided: Loom's policy, a test-mode mock behaviour, or the tenant (/verify/submit). */
  decidedBy: 'loom' | 'mock' | 'tenant' | 'reviewer'
  /** What the decision rests on (decisions stored before it was recorded: see methodOf). */
  method?: AttestationMethod
}

/** What a decision rests on; for one stored before methods were recorded, what decided it. */
export function methodOf(decision: Decision): AttestationMethod {
  if (decision.method !== undefined) return decision.method
  return decision.decidedBy === 'tenant'
    ? 'tenant_attested'
    : decision.decidedBy === 'reviewer'
      ? 'manual_review'
      : decision.decidedBy === 'mock'
        ? 'mock'
        : 'document'
}

export const AGE_THRESHOLDS = [13, 16, 18, 21, 25] as const

/** The age-threshold claims a verified age supports, e.g. { age_over_18: true, … }. */
export function thresholdsMet(verifiedAge: number | null): Record<string, true> {
  const claims: Record<string, true> = {}
  if (verifiedAge === null) return claims
  for (const threshold of AGE_THRESHOLDS) {
    if (verifiedAge >= threshold) claims[`age_over_${threshold}`] = true
  }
  return claims
}

export const MOCK_BEHAVIORS = [
  'approve',
  'reject_underage',
  'reject_expired',
  'document_unreadable',
  'face_mismatch',
  'review',
] as const
export type MockBehavior = (typeof MOCK_BEHAVIORS)[number]

/** The decision a test-mode mock behaviour stands for (fixed test data, no document read). */
export function mockDecision(behavior: MockBehavior, minAge: number): Decision {
  const adult = Math.max(minAge + 7, 25)
  switch (behavior) {
    case 'approve':
      return {
        status: 'approved',
        reasons: [],
        confidence: 0.99,
        verifiedAge: adult,
        decidedBy: 'mock',
        method: 'mock',
      }
    case 'reject_underage':
      return {
        status: 'rejected',
        reasons: ['underage'],
        confidence: 0.99,
        verifiedAge: minAge - 2,
        decidedBy: 'mock',
        method: 'mock',
      }
    case 'reject_expired':
      return {
        status: 'rejected',
        reasons: ['document_expired'],
        confidence: 0.95,
        verifiedAge: adult,
        decidedBy: 'mock',
        method: 'mock',
      }
    case 'document_unreadable':
      return {
        status: 'rejected',
        reasons: ['document_unreadable'],
        confidence: 0,
        verifiedAge: null,
        decidedBy: 'mock',
        method: 'mock',
      }
    case 'face_mismatch':
      return {
        status: 'rejected',
        reasons: ['face_mismatch'],
        confidence: 0.9,
        verifiedAge: adult,
        decidedBy: 'mock',
        method: 'mock',
      }
    case 'review':
      return {
        status: 'review',
        reasons: ['low_confidence'],
        confidence: 0.5,
        verifiedAge: adult,
        decidedBy: 'mock',
        method: 'mock',
      }
  }
}

/** The images a verification of a type asks for before it can be decided. */
export function requiredImages(type: VerificationType, requireSelfie = false): string[] {
  switch (type) {
    case 'age_only':
      return requireSelfie ? ['document_front', 'selfie'] : ['document_front']
    case 'full_verification':
      return ['document_front', 'selfie']
    case 'age_estimation':
      // A document only when the estimate does not clear minimum age + buffer.
      return ['selfie']
  }
}

const DURATION = /^(\d{1,5})([mhd])$/
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const
export const MIN_TTL_MS = 10 * 60_000
export const MAX_TTL_MS = 3650 * 86_400_000

/** Parses "90d", "12h", "30m" into milliseconds; null when malformed or out of range. */
export function parseTimeToLive(text: string): number | null {
  const match = DURATION.exec(text)
  if (!match) return null
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
  return ms >= MIN_TTL_MS && ms <= MAX_TTL_MS ? ms : null
}

export const DEFAULT_TTL_DAYS = 90
