// The decision policy: turns what the engine read from a document (and, for full verification,
// the face comparison) into approved, rejected or review, with reasons, checks and a confidence.
// A minor is never approved: whatever cannot be established leads to review or rejection.
import type { DocumentType, InspectResult, InspectSuccess } from '../engine/types.ts'
import type { Decision, VerificationType } from './verification.ts'
import { specimenSigns } from './specimens.ts'

export interface Workflow {
  verificationType: VerificationType
  minAge: number
  /** null: every document type Loom reads. */
  acceptedDocumentTypes: DocumentType[] | null
  /** Issuer codes (ICAO alpha-3) accepted; null: every issuer. */
  acceptedCountries?: string[] | null
  /** Full verification needs the selfie to match the document portrait. */
  requireFaceMatch: boolean
  /**
   * Whether specimen documents are taken as if they were real: in test mode (and where the
   * operator allows it for staging, LOOM_ACCEPT_SPECIMENS); never otherwise.
   */
  acceptSpecimens: boolean
}

export type ImageKind = 'document_front' | 'document_back' | 'selfie'

export interface DocumentRead {
  kind: 'document_front' | 'document_back'
  result: InspectResult
}

export interface FaceEvidence {
  decision: 'match' | 'no_match' | 'review'
  similarity: number
  /** Presentation-attack signals failed (screen, print, mask, the document shown again…). */
  attackSuspected: boolean
  /** Which signals, for the result's checks. */
  attackDetail?: string
}

export type CheckOutcome = 'pass' | 'fail' | 'review' | 'not_applicable'

export interface Check {
  name: string
  outcome: CheckOutcome
  detail?: string
}

export interface PolicyResult extends Decision {
  checks: Check[]
  /** The reading the decision rests on (personal data: encrypt before storing). */
  primary: InspectSuccess | null
}

/**
 * How far a clean read of each source is trusted (from the eval's wrong-read rates).
 *
 * `confidence` describes the evidence; it does not decide. It starts from the source's trust,
 * rises when a second source on the same document agrees, falls when the payload needed
 * repairs, and scales with the face similarity when a face was matched. Every doubt the checks
 * can name (no birth date, no expiry, no face comparison, a face in the review band, a suspect
 * presentation) sends the verification to review by itself. A confidence gate on top of that
 * once existed, but the figure is a product of constants whose lowest approvable value was above
 * the gate, so it could never fire; it was removed rather than kept as decoration. Calibrating
 * a gate needs wrong reads to calibrate on, which the evals do not have yet.
 */
const SOURCE_CONFIDENCE = { mrz: 0.98, aamva: 0.97 } as const

function round(x: number): number {
  return Math.round(x * 1000) / 1000
}

/** Fields two readings of one document must agree on. */
function disagreements(a: InspectSuccess, b: InspectSuccess): string[] {
  const fields: [string, string | null, string | null][] = [
    ['dateOfBirth', a.person.dateOfBirth, b.person.dateOfBirth],
    ['documentNumber', a.document.number, b.document.number],
    ['expiryDate', a.document.expiryDate, b.document.expiryDate],
    ['lastName', a.person.lastName, b.person.lastName],
  ]
  return fields
    .filter(([, x, y]) => x !== null && y !== null && normal(x) !== normal(y))
    .map(([name]) => name)
}

/** ICAO code of an issuer: MRZ issuers are codes already; AAMVA issuers are `US-VA`, `CA-ON`. */
export function issuingCountry(issuer: string): string {
  if (issuer.startsWith('US-')) return 'USA'
  if (issuer.startsWith('CA-')) return 'CAN'
  return issuer.replace(/<+$/, '')
}

function normal(value: string): string {
  return value.toUpperCase().replace(/[^A-Z0-9]/g, '')
}

/** Decides a verification from its document readings and optional face evidence. */
export function decideFromEvidence(
  workflow: Workflow,
  reads: DocumentRead[],
  face: FaceEvidence | null,
): PolicyResult {
  const checks: Check[] = []
  const rejected = (
    reasons: string[],
    primary: InspectSuccess | null,
    confidence: number,
  ): PolicyResult => ({
    status: 'rejected',
    reasons,
    confidence: round(confidence),
    verifiedAge: primary?.ageYears ?? null,
    decidedBy: 'loom',
    method: 'document',
    checks,
    primary,
  })

  const successes = reads.filter((r): r is DocumentRead & { result: InspectSuccess } => r.result.ok)
  if (successes.length === 0) {
    const checksum = reads.some((r) => !r.result.ok && r.result.error.code === 'MRZ_UNREADABLE')
    checks.push({
      name: 'document_read',
      outcome: 'fail',
      detail:
        reads.map((r) => (r.result.ok ? 'ok' : r.result.error.code)).join(', ') ||
        'no document image',
    })
    return rejected(
      checksum ? ['checksum_failed', 'document_unreadable'] : ['document_unreadable'],
      null,
      0,
    )
  }
  // Prefer the MRZ (check digits) over the barcode when both sides read.
  const ordered = [...successes].sort(
    (a, b) => (a.result.source === 'mrz' ? -1 : 0) - (b.result.source === 'mrz' ? -1 : 0),
  )
  const primary = ordered[0]!.result
  let confidence = SOURCE_CONFIDENCE[primary.source]
  checks.push({
    name: 'document_read',
    outcome: 'pass',
    detail: `${primary.source} on ${ordered[0]!.kind}`,
  })

  if (primary.mrz) {
    checks.push({ name: 'mrz_check_digits', outcome: primary.mrz.valid ? 'pass' : 'fail' })
    if (!primary.mrz.valid) return rejected(['checksum_failed'], primary, 0.2)
  }
  const specimen = specimenSigns(primary)
  checks.push({
    name: 'not_a_specimen',
    outcome: specimen.length === 0 || workflow.acceptSpecimens ? 'pass' : 'fail',
    ...(specimen.length > 0 && {
      detail: `${specimen.join('; ')}${workflow.acceptSpecimens ? ' (accepted in test mode)' : ''}`,
    }),
  })
  if (specimen.length > 0 && !workflow.acceptSpecimens) {
    return rejected(['specimen_document'], primary, confidence)
  }
  // The two MRZ readers may leave a name unresolved (two valid readings, no check digit to choose
  // between them): an age check does not need it; a full verification, which reports who the
  // holder is, goes to a person who reads the name in the visual zone.
  const nameUnresolved = (primary.mrz?.unresolved ?? []).some((u) => u.field !== 'optionalData')
  const needsName = workflow.verificationType === 'full_verification'
  if (nameUnresolved) {
    checks.push({
      name: 'name_read',
      outcome: needsName ? 'review' : 'not_applicable',
      detail: needsName
        ? 'the two readers disagree on the name; read the visual zone'
        : 'the two readers disagree on the name; an age check does not need it',
    })
  }
  if (primary.aamva?.repairs && primary.aamva.repairs.length > 0) confidence *= 0.95
  const failedConsistency = Object.entries(primary.checks ?? {})
    .filter(([, ok]) => !ok)
    .map(([name]) => name)
  checks.push({
    name: 'document_consistency',
    outcome: failedConsistency.length === 0 ? 'pass' : 'fail',
    ...(failedConsistency.length > 0 && { detail: failedConsistency.join(', ') }),
  })

  // Two sources on one document (front and back) must agree.
  const second = ordered[1]?.result
  if (second) {
    const differ = disagreements(primary, second)
    checks.push({
      name: 'sources_agree',
      outcome: differ.length === 0 ? 'pass' : 'fail',
      ...(differ.length > 0 && { detail: `differ: ${differ.join(', ')}` }),
    })
    if (differ.length > 0) return rejected(['data_inconsistent'], primary, 0.3)
    confidence = 1 - (1 - confidence) * (1 - SOURCE_CONFIDENCE[second.source])
  } else {
    checks.push({ name: 'sources_agree', outcome: 'not_applicable' })
  }
  if (failedConsistency.length > 0) return rejected(['data_inconsistent'], primary, 0.3)

  const accepted = workflow.acceptedDocumentTypes
  const typeOk = accepted === null || accepted.includes(primary.documentType)
  checks.push({
    name: 'document_type_accepted',
    outcome: typeOk ? 'pass' : 'fail',
    detail: primary.documentType,
  })
  if (!typeOk) return rejected(['document_type_not_accepted'], primary, confidence)

  const countries = workflow.acceptedCountries ?? null
  if (countries !== null) {
    const issuer = primary.document.issuer
    const issuerOk = issuer !== null && countries.includes(issuingCountry(issuer))
    checks.push({
      name: 'issuing_country_accepted',
      outcome: issuerOk ? 'pass' : 'fail',
      detail: issuer ?? 'unknown issuer',
    })
    if (!issuerOk) return rejected(['country_not_accepted'], primary, confidence)
  }

  checks.push({
    name: 'document_not_expired',
    outcome: primary.expired === null ? 'review' : primary.expired ? 'fail' : 'pass',
    ...(primary.document.expiryDate && { detail: `expires ${primary.document.expiryDate}` }),
  })
  if (primary.expired === true) return rejected(['document_expired'], primary, confidence)

  // The MRZ gives the year of birth in two digits; where they fit two centuries (a holder born in
  // 1912 or in 2012) and nothing on the document told which, the age is not known: neither
  // approved nor rejected on it, a person reads the date in the visual zone.
  const centuryUndecided = (primary.person.dateOfBirthCandidates?.length ?? 0) > 1
  if (centuryUndecided) {
    checks.push({
      name: 'birth_century',
      outcome: 'review',
      detail: 'the two-digit year of birth fits two centuries; read the visual zone',
    })
  }
  const age = centuryUndecided ? null : primary.ageYears
  checks.push({
    name: 'minimum_age',
    outcome: age === null ? 'review' : age >= workflow.minAge ? 'pass' : 'fail',
    detail: `minimum ${workflow.minAge}`,
  })
  if (age !== null && age < workflow.minAge) return rejected(['underage'], primary, confidence)

  const reviewReasons: string[] = []
  if (age === null || primary.expired === null) reviewReasons.push('low_confidence')
  if (nameUnresolved && needsName) reviewReasons.push('low_confidence')

  if (workflow.requireFaceMatch || face !== null) {
    if (face === null) {
      checks.push({ name: 'face_match', outcome: 'review', detail: 'no face comparison available' })
      reviewReasons.push('low_confidence')
    } else {
      checks.push({
        name: 'face_match',
        outcome:
          face.decision === 'match' ? 'pass' : face.decision === 'no_match' ? 'fail' : 'review',
        detail: `similarity ${face.similarity.toFixed(3)}`,
      })
      checks.push({
        name: 'presentation_attack',
        outcome: face.attackSuspected ? 'review' : 'pass',
        ...(face.attackDetail !== undefined && { detail: face.attackDetail }),
      })
      if (face.decision === 'no_match') return rejected(['face_mismatch'], primary, confidence)
      // Still-image attack signals are weak (src/engine/face/README.md): a suspect selfie goes to
      // a person, it is neither approved nor rejected on them alone.
      if (face.attackSuspected) reviewReasons.push('presentation_attack')
      if (face.decision === 'review') reviewReasons.push('face_mismatch')
      else confidence *= Math.min(1, 0.9 + face.similarity / 10)
    }
  } else {
    checks.push({ name: 'face_match', outcome: 'not_applicable' })
  }

  const reasons = [...new Set(reviewReasons)]
  return {
    status: reasons.length > 0 ? 'review' : 'approved',
    reasons,
    confidence: round(confidence),
    verifiedAge: age,
    decidedBy: 'loom',
    method: face?.decision === 'match' && !face.attackSuspected ? 'document+face' : 'document',
    checks,
    primary,
  }
}

/** What the age-estimation selfie gave (src/engine/face: estimateAge). */
export interface AgeEvidence {
  /** Estimated age in years; null without a usable face. */
  age: number | null
  /** The estimate cleared minimum age + buffer and nothing looked like a presented photo. */
  cleared: boolean
}

/** How far an estimate that cleared the buffer is trusted (the buffer carries the margin). */
const AGE_ESTIMATE_CONFIDENCE = 0.9

/**
 * Approves an age_estimation verification on the selfie alone — only when the estimate cleared
 * the minimum age plus the buffer. The verified age is what the estimate supports with the same
 * buffer (estimate 31, buffer 7 → 24: over 13, 16, 18 and 21), so no threshold is claimed that
 * the buffer does not cover. Null when it did not clear: the person is asked for a document.
 */
export function decideFromAgeEstimate(
  minAge: number,
  buffer: number,
  evidence: AgeEvidence,
): PolicyResult | null {
  if (!evidence.cleared || evidence.age === null) return null
  const verifiedAge = Math.floor(evidence.age - buffer)
  if (verifiedAge < minAge) return null
  return {
    status: 'approved',
    reasons: [],
    confidence: AGE_ESTIMATE_CONFIDENCE,
    verifiedAge,
    decidedBy: 'loom',
    method: 'age_estimation',
    checks: [
      { name: 'age_estimation', outcome: 'pass', detail: `estimate clears ${minAge + buffer}` },
      { name: 'presentation_attack', outcome: 'pass' },
      { name: 'document_read', outcome: 'not_applicable' },
    ],
    primary: null,
  }
}
