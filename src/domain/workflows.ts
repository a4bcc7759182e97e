// Workflows (the sessions API): a tenant's reusable verification settings. A verification keeps a
// snapshot of them (`VerificationSettings`), so a later edit never changes a session in flight.
import type { DocumentType } from '../engine/types.ts'
import type { VerificationType } from './verification.ts'
import type { FailedAttempt, RetryPolicy } from './retry.ts'
import { DEFAULT_RETRY_POLICY } from './retry.ts'

export const DOCUMENT_TYPES: readonly DocumentType[] = [
  'passport',
  'id_card',
  'visa',
  'residence_permit',
  'drivers_license',
  'travel_document',
]

/**
 * Facial age estimation approves only above minimum age plus this buffer: the smallest buffer at
 * which at most 1 % of under-18 faces were approved on labelled photos (README, "Age estimation").
 */
export const DEFAULT_AGE_BUFFER = 12
export const MAX_AGE_BUFFER = 15

export interface InvitationTexts {
  emailSubject: string | null
  /** Plain-text email body; `{{link}}`, `{{first_name}}` and `{{tenant}}` are filled in. */
  emailBody: string | null
  smsBody: string | null
}

export interface Workflow {
  id: string
  tenantId: string
  name: string
  verificationType: VerificationType
  minAge: number
  ageBuffer: number
  /** null: every document type Loom reads. */
  acceptedDocumentTypes: DocumentType[] | null
  /** ICAO/ISO 3166 alpha-3 issuer codes; null: every issuer. */
  acceptedCountries: string[] | null
  requireSelfie: boolean
  /** New attempts on the hosted page after a rejection the person can fix. */
  retryPolicy: RetryPolicy
  /** "90d" style; null: the tenant's default. */
  timeToLive: string | null
  invitation: InvitationTexts
  createdAt: string
  updatedAt: string
}

/** What a verification needs from its workflow, frozen when the verification is created. */
export interface VerificationSettings {
  workflowName: string | null
  acceptedDocumentTypes: DocumentType[] | null
  acceptedCountries: string[] | null
  /** A selfie matched against the document portrait (always true for full verification). */
  requireSelfie: boolean
  ageBuffer: number
  invitation: InvitationTexts | null
  /**
   * The document the person said they will show (the hosted page asks when the workflow accepts
   * more than one); absent until then.
   */
  declaredDocument?: DocumentType | null
  /** New attempts after a rejection (absent on verifications made before it existed). */
  retryPolicy?: RetryPolicy
  /** The hosted page took this verification's images (new attempts apply only then). */
  viaPage?: boolean
  /** Attempts that ended in a rejection the person could fix, oldest first. */
  failedAttempts?: FailedAttempt[]
  /**
   * When the person agreed, on the hosted page, to the face check on their selfie (biometric
   * data: GDPR Art. 9, BIPA); absent until then. The page takes no selfie without it.
   */
  biometricConsentAt?: string
}

/** A verification's retry policy (the default for those made before policies existed). */
export function retryPolicyOf(settings: VerificationSettings): RetryPolicy {
  return settings.retryPolicy ?? DEFAULT_RETRY_POLICY
}

/** Settings of a verification started without a workflow. */
export function defaultSettings(type: VerificationType): VerificationSettings {
  return {
    workflowName: null,
    acceptedDocumentTypes: null,
    acceptedCountries: null,
    requireSelfie: type === 'full_verification',
    ageBuffer: DEFAULT_AGE_BUFFER,
    invitation: null,
    retryPolicy: DEFAULT_RETRY_POLICY,
  }
}

export function settingsOf(workflow: Workflow): VerificationSettings {
  return {
    workflowName: workflow.name,
    acceptedDocumentTypes: workflow.acceptedDocumentTypes,
    acceptedCountries: workflow.acceptedCountries,
    requireSelfie: workflow.verificationType === 'full_verification' || workflow.requireSelfie,
    ageBuffer: workflow.ageBuffer,
    invitation: workflow.invitation,
    retryPolicy: workflow.retryPolicy,
  }
}

/** Documents whose MRZ is on the same side as the portrait: no back is asked for. */
const ONE_SIDED: readonly DocumentType[] = ['passport', 'visa']
/** Documents with two sides: when one side was read, the other is asked for too (cross-check). */
const TWO_SIDED: readonly DocumentType[] = ['id_card', 'drivers_license', 'residence_permit']

export function isTwoSided(type: string | null): boolean {
  return TWO_SIDED.some((t) => t === type)
}

/** What the hosted page offers when it asks which document the person will show. */
const OFFERED: readonly DocumentType[] = [
  'passport',
  'id_card',
  'drivers_license',
  'residence_permit',
]

/** The choices for "which document will you use?": the accepted types, or the common ones. */
export function documentChoices(settings: VerificationSettings): DocumentType[] {
  return settings.acceptedDocumentTypes === null
    ? [...OFFERED]
    : [...settings.acceptedDocumentTypes]
}

/** The document the person will show: the one they chose, or the only one accepted. */
export function declaredDocument(settings: VerificationSettings): DocumentType | null {
  if (settings.declaredDocument) return settings.declaredDocument
  const accepted = settings.acceptedDocumentTypes
  return accepted !== null && accepted.length === 1 ? (accepted[0] ?? null) : null
}

/** Whether the declared document is one that has nothing to read on its back. */
export function declaredOneSided(settings: VerificationSettings): boolean {
  const declared = declaredDocument(settings)
  return declared !== null && ONE_SIDED.includes(declared)
}
