// Selfies at upload: refused unless they are photos, checked for one usable face (feedback), and
// for an age-estimation verification, the age estimated at once and kept sealed with the image.
import type { Deps } from '../deps.ts'
import { DomainError } from '../domain/errors.ts'
import type { EngineError } from '../engine/types.ts'
import type { FaceFeedback } from '../engine/face/index.ts'
import { sniffFormat } from '../engine/intake.ts'
import type { Verification } from '../store/verifications.ts'
import type { Feedback } from './document-reads.ts'

/** What the engine made of a selfie upload. */
export interface SelfieOutcome {
  feedback: Feedback
  /** The decoded size; null when the engine could not say. */
  image: { width: number; height: number } | null
  /** Set when the file itself is unusable (not an image, corrupt, too large): a 4xx. */
  intakeError: EngineError | null
  /** An age-estimation selfie's estimate (kept sealed with the image). */
  estimate: AgeSelfie | null
}

/** An age-estimation selfie's outcome, kept sealed with the image (the estimate is personal). */
export interface AgeSelfie {
  kind: 'age_estimate'
  feedback: Feedback
  age: number | null
  cleared: boolean
}

const INTAKE_REFUSALS: ReadonlySet<string> = new Set([
  'DOCUMENT_INVALID_FORMAT',
  'DOCUMENT_CORRUPT',
  'DOCUMENT_TOO_LARGE',
])

function intakeErrorOf(feedback: FaceFeedback | null, error?: EngineError): EngineError | null {
  return feedback === 'image_unreadable' && error && INTAKE_REFUSALS.has(error.code) ? error : null
}

/** A selfie is a photo: anything else is refused from its first bytes, before any decode. */
export function refuseNonPhoto(bytes: Buffer): void {
  const format = sniffFormat(bytes)
  if (format === 'jpeg' || format === 'png' || format === 'webp') return
  throw new DomainError(
    'DOCUMENT_INVALID_FORMAT',
    format === 'pdf'
      ? 'A selfie must be a photo (JPEG, PNG or WebP), not a PDF'
      : 'A selfie must be a JPEG, PNG or WebP photo',
  )
}

/** Estimates the age on a selfie for an age_estimation verification (instant, on the pool). */
export async function ageSelfie(
  deps: Deps,
  verification: Verification,
  bytes: Buffer,
): Promise<SelfieOutcome> {
  const estimate = await deps.engine.estimateAge(
    new Uint8Array(bytes),
    { minAge: verification.minAge, buffer: verification.settings.ageBuffer },
    deps.config.engineBudgetMs,
  )
  if ('failed' in estimate) {
    deps.logger.warn({ reason: estimate.reason }, 'age estimation failed; asking for a document')
    const outcome: AgeSelfie = { kind: 'age_estimate', feedback: 'ok', age: null, cleared: false }
    return { feedback: 'ok', image: null, intakeError: null, estimate: outcome }
  }
  const feedback = faceFeedback(estimate.feedback)
  return {
    feedback,
    image: estimate.image,
    intakeError: intakeErrorOf(estimate.feedback, estimate.error),
    estimate: {
      kind: 'age_estimate',
      feedback,
      age: estimate.age,
      cleared: estimate.decision === 'approve',
    },
  }
}

/** The faces on a selfie as feedback (a failed or slow face task does not block the upload). */
export async function selfieCheck(deps: Deps, bytes: Buffer): Promise<SelfieOutcome> {
  const detection = await deps.engine.detectSelfie(
    new Uint8Array(bytes),
    deps.config.engineBudgetMs,
  )
  if ('failed' in detection) {
    deps.logger.warn(
      { reason: detection.reason },
      'selfie check failed; the face match decides later',
    )
    return { feedback: 'ok', image: null, intakeError: null, estimate: null }
  }
  return {
    feedback: faceFeedback(detection.feedback),
    image: detection.image,
    intakeError: intakeErrorOf(detection.feedback, detection.error),
    estimate: null,
  }
}

function faceFeedback(feedback: FaceFeedback | null): Feedback {
  switch (feedback) {
    case null:
      return 'ok'
    case 'image_unreadable':
      return 'try_again'
    case 'no_face':
    case 'multiple_faces':
    case 'face_too_small':
    case 'face_cut_off':
      return feedback
  }
}
