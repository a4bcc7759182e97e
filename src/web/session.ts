// The hosted page's use cases: open a session from its signed link, describe it to the page,
// take an image, cancel, and say where the person goes when it ends. The link token is the only
// credential: it names one verification, expires on its own, and is never a tenant key.
import type { Deps } from '../deps.ts'
import { ApiError } from '../api/errors.ts'
import { checkSessionToken } from '../domain/session-links.ts'
import { outcomeRedirectUrl, sessionOutcome } from '../domain/outcome.ts'
import type { SessionOutcome } from '../domain/outcome.ts'
import type { ImageKind } from '../domain/decision.ts'
import type { Tenant } from '../domain/tenants.ts'
import { declaredDocument, documentChoices, retryPolicyOf } from '../domain/workflows.ts'
import type { RetryableReason } from '../domain/retry.ts'
import type { DocumentType } from '../engine/types.ts'
import type { VerificationStatus, VerificationType } from '../domain/verification.ts'
import { isOpen } from '../domain/verification.ts'
import { getTenant } from '../store/tenants.ts'
import {
  findVerificationTenantId,
  transitionVerification,
  updateOpenSettings,
} from '../store/verifications.ts'
import type { Verification } from '../store/verifications.ts'
import { listImages } from '../store/images.ts'
import type { StoredImage } from '../store/images.ts'
import { abandonVerification, loadLinkedVerification } from '../services/verifications.ts'
import { addImage, missingImages } from '../services/images.ts'
import type { ImagePolicy } from '../services/images.ts'
import type { Feedback } from '../services/document-reads.ts'
import { limitsOrNull } from '../api/brute-force.ts'
import {
  askedFaceCheck,
  hasBiometricConsent,
  recordBiometricConsent,
  requireBiometricConsent,
} from './biometric-consent.ts'
import type { FaceCheck } from './biometric-consent.ts'

/**
 * The page asks for a retake of a photo the reader could not use; after this many tries of one
 * kind the photo counts anyway and the decision says what it could establish.
 */
export const PAGE_IMAGE_POLICY: ImagePolicy = { retakesBeforeAccepting: 3 }
/** What page calls cost from a session's per-minute budget (see Limits.consumeSessionPage). */
export const PAGE_COST = { read: 1, upload: 10 } as const

const KINDS: readonly ImageKind[] = ['document_front', 'document_back', 'selfie']

export interface PageSession {
  verification: Verification
  tenant: Tenant
  linkExpiresAt: Date
}

export type OpenedLink =
  | { ok: true; session: PageSession }
  | {
      ok: false
      problem: 'invalid' | 'expired'
      /** Known for an expired but genuine link: the friendly page names the tenant. */
      tenant: Tenant | null
      verification: Verification | null
    }

function linkKey(deps: Deps): Buffer {
  return deps.sealer.deriveKey('session-links')
}

async function activeTenantOf(deps: Deps, verificationId: string): Promise<Tenant | null> {
  const tenantId = await findVerificationTenantId(deps.store.db, verificationId)
  const tenant = tenantId === null ? null : await getTenant(deps.store.db, tenantId)
  return tenant?.isActive ? tenant : null
}

/** Checks a link token and loads its session (an open one past its time to live is expired). */
export async function openSessionLink(deps: Deps, token: string): Promise<OpenedLink> {
  const check = checkSessionToken(linkKey(deps), token, deps.clock.now())
  if (!check.ok) {
    if (check.reason === 'expired' && check.verificationId !== undefined) {
      const tenant = await activeTenantOf(deps, check.verificationId)
      const verification =
        tenant === null ? null : await loadLinkedVerification(deps, tenant.id, check.verificationId)
      return { ok: false, problem: 'expired', tenant, verification }
    }
    return { ok: false, problem: 'invalid', tenant: null, verification: null }
  }
  const tenant = await activeTenantOf(deps, check.verificationId)
  if (tenant === null) return { ok: false, problem: 'invalid', tenant: null, verification: null }
  const verification = await loadLinkedVerification(deps, tenant.id, check.verificationId)
  if (verification === null) {
    return { ok: false, problem: 'invalid', tenant: null, verification: null }
  }
  return { ok: true, session: { verification, tenant, linkExpiresAt: check.expiresAt } }
}

/** The session of a page API call, or the error the page shows (404 unknown link, 410 expired). */
export async function requireSession(deps: Deps, token: string): Promise<PageSession> {
  const opened = await openSessionLink(deps, token)
  if (opened.ok) return opened.session
  if (opened.problem === 'expired') {
    throw new ApiError('VERIFICATION_EXPIRED', 'This verification link has expired')
  }
  throw new ApiError('NOT_FOUND', 'This verification link is not valid')
}

/** Spends from the session's per-minute budget; 429 when it is used up. */
export async function spendSessionBudget(
  deps: Deps,
  verificationId: string,
  cost: number,
): Promise<void> {
  if (!deps.config.rateLimitsEnabled) return
  const decision = await limitsOrNull(deps, () =>
    deps.limits.consumeSessionPage(verificationId, cost),
  )
  if (decision === null || decision.allowed) return
  const retryAfter = Math.max(1, Math.ceil(decision.resetMs / 1000))
  throw new ApiError(
    'RATE_LIMIT_EXCEEDED',
    `Too many requests for this session; retry in ${retryAfter} seconds`,
    { retryAfterSeconds: retryAfter },
    { 'retry-after': String(retryAfter) },
  )
}

/** Where a finished session sends the person, and what an embedding page is told. */
export interface Finish {
  sessionId: string
  status: SessionOutcome['status']
  reason: string | null
  state: string | null
  /** The tenant's redirect/callback URL with the outcome parameters; null when none was given. */
  redirectUrl: string | null
}

/**
 * Every surface gets the sessions API's parameters (`session_id`, `status`, `reason` unless success,
 * `state` when given): that is the verification-sessions API's callback (`session_id`, `state`) plus two fields its
 * clients can ignore, so one rule serves every surface.
 */
export function finishOf(verification: Verification, outcome: SessionOutcome): Finish {
  return {
    sessionId: verification.id,
    status: outcome.status,
    reason: outcome.status === 'success' ? null : outcome.reason,
    state: verification.state,
    redirectUrl:
      verification.callbackUrl === null
        ? null
        : outcomeRedirectUrl(
            verification.callbackUrl,
            verification.id,
            outcome,
            verification.state,
          ),
  }
}

/**
 * The origin allowed to frame the page and receive its outcome message: that of the session's
 * redirect/callback URL (the tenant's own site). Null: the page may not be framed at all.
 */
export function embedOriginOf(verification: Verification): string | null {
  if (verification.callbackUrl === null) return null
  const origin = new URL(verification.callbackUrl).origin
  return origin === 'null' ? null : origin
}

/** What the page needs to draw itself; nothing personal (no names, no document fields). */
export interface PageState {
  sessionId: string
  tenant: {
    name: string
    brandColor: string | null
    /** Who the intro says is responsible for the person's data (null: the tenant's name). */
    controllerName: string | null
    controllerContactUrl: string | null
    privacyNoticeUrl: string | null
  }
  verificationType: VerificationType
  requireSelfie: boolean
  /** What the selfie the page will ask for is used for (null: it asks for none). */
  faceCheck: FaceCheck | null
  /** The person has agreed to the face check (the page asks before any selfie). */
  biometricConsent: boolean
  /** The document types the workflow accepts (null: every type Loom reads), for the intro. */
  acceptedDocumentTypes: string[] | null
  /** What "which document will you use?" offers (asked before the front when more than one). */
  documentChoices: DocumentType[]
  /** The document the person chose (or the only one accepted); null until then. */
  declaredDocument: DocumentType | null
  /** Loom's status; the page picks its screen from it. */
  status: VerificationStatus
  /** Images still needed, in the order the page asks for them. */
  missingImages: ImageKind[]
  /** Kinds already in (for "step n of m"). */
  doneImages: ImageKind[]
  /** For a rejected session: the reason a person can understand and act on, if it is one. */
  rejectedBecause: RetryableReason | null
  /** This attempt (1 first) and how many the workflow allows. */
  attempt: { number: number; max: number }
  /** Why the last attempt failed, when the person is on a new one (else null). */
  retryBecause: RetryableReason | null
  /** Set once the session has ended. */
  finish: Finish | null
  linkExpiresAt: string
}

function doneKinds(missing: ImageKind[], images: StoredImage[]): ImageKind[] {
  return KINDS.filter(
    (kind) => !missing.includes(kind) && images.some((i) => i.kind === kind && i.purgedAt === null),
  )
}

/** The page's view of a session. */
export async function pageState(deps: Deps, session: PageSession): Promise<PageState> {
  const { verification, tenant } = session
  const images = await listImages(deps.store.db, tenant.id, verification.id)
  const takesImages = isOpen(verification.status) && verification.status !== 'processing'
  const missing = takesImages ? missingImages(verification, images, PAGE_IMAGE_POLICY) : []
  const outcome = sessionOutcome(verification)
  const reasons = verification.decision?.reasons ?? []
  const failed = verification.settings.failedAttempts ?? []
  const rejectedBecause =
    verification.status !== 'rejected'
      ? null
      : ((['document_unreadable', 'face_mismatch', 'document_expired'] as const).find((r) =>
          reasons.includes(r),
        ) ?? null)
  return {
    sessionId: verification.id,
    tenant: {
      name: tenant.name,
      brandColor: tenant.brandColor,
      controllerName: tenant.controllerName,
      controllerContactUrl: tenant.controllerContactUrl,
      privacyNoticeUrl: tenant.privacyNoticeUrl,
    },
    verificationType: verification.verificationType,
    requireSelfie: verification.settings.requireSelfie,
    faceCheck: askedFaceCheck(verification),
    biometricConsent: hasBiometricConsent(verification),
    acceptedDocumentTypes: verification.settings.acceptedDocumentTypes,
    documentChoices: documentChoices(verification.settings),
    declaredDocument: declaredDocument(verification.settings),
    status: verification.status,
    missingImages: missing,
    doneImages: doneKinds(missing, images),
    rejectedBecause,
    attempt: {
      number: failed.length + 1,
      max: retryPolicyOf(verification.settings).maxAttempts,
    },
    retryBecause: takesImages ? (failed.at(-1)?.reason ?? null) : null,
    finish: outcome === null ? null : finishOf(verification, outcome),
    linkExpiresAt: session.linkExpiresAt.toISOString(),
  }
}

/**
 * The session was opened by its person: a `pending` verification becomes `in_progress` (DESIGN:
 * "first image or session opened"). Only the page's script does this, so a link preview that
 * fetches the HTML does not.
 */
export async function markOpened(deps: Deps, session: PageSession): Promise<PageSession> {
  if (session.verification.status !== 'pending') return session
  const moved = await transitionVerification(
    deps.store.db,
    session.tenant.id,
    session.verification.id,
    { to: 'in_progress', at: deps.clock.now().toISOString() },
  )
  return moved === null ? session : { ...session, verification: moved }
}

export interface PageUpload {
  feedback: Feedback
  message: string
  missingImages: ImageKind[]
  doneImages: ImageKind[]
  complete: boolean
  status: VerificationStatus
}

/** Adds a photo from the page: instant feedback, retakes counted by PAGE_IMAGE_POLICY. */
export async function addPageImage(
  deps: Deps,
  session: PageSession,
  kind: ImageKind,
  bytes: Buffer,
): Promise<PageUpload> {
  if (kind === 'selfie') requireBiometricConsent(session.verification)
  // New attempts after a rejection apply to verifications whose person is on the page.
  if (session.verification.settings.viaPage !== true) {
    await updateOpenSettings(
      deps.store.db,
      session.tenant.id,
      session.verification.id,
      { ...session.verification.settings, viaPage: true },
      deps.clock.now().toISOString(),
    )
  }
  // The link acts in its verification's own mode (test or live).
  const added = await addImage(
    deps,
    { tenant: session.tenant, mode: session.verification.mode },
    session.verification.id,
    kind,
    bytes,
    PAGE_IMAGE_POLICY,
  )
  const images = await listImages(deps.store.db, session.tenant.id, session.verification.id)
  return {
    feedback: added.feedback,
    message: added.message,
    missingImages: added.missingImages,
    doneImages: doneKinds(added.missingImages, images),
    complete: added.complete,
    status: added.verification.status,
  }
}

/** The person's answer to "which document will you use?" (one of the session's choices). */
export async function declareDocument(
  deps: Deps,
  session: PageSession,
  type: string,
): Promise<PageSession> {
  const { verification, tenant } = session
  const choices = documentChoices(verification.settings)
  const chosen = choices.find((choice) => choice === type)
  if (chosen === undefined) {
    throw new ApiError(
      'INVALID_REQUEST_BODY',
      `body.type must be one of this session's documents: ${choices.join(', ')}`,
    )
  }
  const updated = await updateOpenSettings(
    deps.store.db,
    tenant.id,
    verification.id,
    { ...verification.settings, declaredDocument: chosen },
    deps.clock.now().toISOString(),
  )
  if (updated === null) {
    throw new ApiError(
      'VERIFICATION_ALREADY_COMPLETED',
      `Verification ${verification.id} is ${verification.status}; its document cannot change`,
    )
  }
  return { ...session, verification: updated }
}

/** The person agreed to the face check (the intro's second box): recorded before any selfie. */
export async function giveBiometricConsent(deps: Deps, session: PageSession): Promise<PageSession> {
  return { ...session, verification: await recordBiometricConsent(deps, session.verification) }
}

/** The person's Cancel: the session is abandoned (the sessions API: reason `user_cancelled`). */
export async function cancelSession(deps: Deps, session: PageSession): Promise<PageSession> {
  const verification = await abandonVerification(deps, session.verification, 'user_cancelled')
  return { ...session, verification }
}
