// The person's explicit consent to the face check, asked on the hosted page apart from the
// consent to the verification itself: a face compared with a document portrait, or an age
// estimated from a face, is biometric processing (GDPR Art. 9(2)(a) wants explicit consent;
// BIPA 740 ILCS 14/15(b) a written release before face geometry is collected). The page takes no
// selfie until the consent is recorded on the verification, with a `consent.biometric` event.
import type { Deps } from '../deps.ts'
import { ApiError } from '../api/errors.ts'
import { recordEvent, updateOpenSettings } from '../store/verifications.ts'
import type { Verification } from '../store/verifications.ts'

/** What a selfie is used for: compared with the document's portrait, or the age estimated. */
export type FaceCheck = 'face_match' | 'age_estimation'

/** The face check this verification makes of a selfie (any selfie, asked for or not). */
export function faceCheckOf(verification: Verification): FaceCheck {
  // A selfie the workflow did not ask for is still compared with the document (decisions.ts).
  return verification.verificationType === 'age_estimation' ? 'age_estimation' : 'face_match'
}

/** The face check the page will ask a selfie for; null when it asks for none. */
export function askedFaceCheck(verification: Verification): FaceCheck | null {
  const asksSelfie =
    verification.verificationType === 'age_estimation' || verification.settings.requireSelfie
  return asksSelfie ? faceCheckOf(verification) : null
}

/** Whether the person has agreed to the face check on this verification. */
export function hasBiometricConsent(verification: Verification): boolean {
  return typeof verification.settings.biometricConsentAt === 'string'
}

/** Refuses a selfie from the page before the person agreed to the face check (409). */
export function requireBiometricConsent(verification: Verification): void {
  if (hasBiometricConsent(verification)) return
  throw new ApiError(
    'BIOMETRIC_CONSENT_REQUIRED',
    'The person has not agreed to the face check; a selfie is taken only after they do',
  )
}

/**
 * Records the person's consent to the face check, once (a repeat keeps the first time). The
 * event names what was agreed to and nothing about the person; it is the verification's record,
 * not a webhook.
 */
export async function recordBiometricConsent(
  deps: Deps,
  verification: Verification,
): Promise<Verification> {
  if (hasBiometricConsent(verification)) return verification
  const at = deps.clock.now().toISOString()
  const updated = await deps.store.db.transaction().execute(async (trx) => {
    const changed = await updateOpenSettings(
      trx,
      verification.tenantId,
      verification.id,
      { ...verification.settings, biometricConsentAt: at },
      at,
    )
    if (changed === null) return null
    await recordEvent(
      trx,
      {
        tenantId: verification.tenantId,
        verificationId: verification.id,
        type: 'consent.biometric',
        payload: { purpose: faceCheckOf(verification) },
        createdAt: at,
      },
      { webhooks: false },
    )
    return changed
  })
  if (updated === null) {
    throw new ApiError(
      'VERIFICATION_ALREADY_COMPLETED',
      `Verification ${verification.id} is ${verification.status}; it takes no more images`,
    )
  }
  return updated
}
