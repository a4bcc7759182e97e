// What the console shows of a tenant's verifications, and a reviewer's decision on a `review`
// verification. The decision goes through decide() like /verify/submit: one conditional status
// change, the `verification.completed` event (so webhooks fire), and an age token whose `method`
// says a reviewer decided (`manual_review`).
import type { Deps } from '../deps.ts'
import type { Tenant } from '../domain/tenants.ts'
import { isId } from '../domain/ids.ts'
import { REASONS } from '../domain/verification.ts'
import { getVerification, listEvents } from '../store/verifications.ts'
import type { Verification, VerificationEvent } from '../store/verifications.ts'
import { getImage, listImages } from '../store/images.ts'
import type { StoredImage } from '../store/images.ts'
import { insertAudit, listAudit, searchVerifications } from '../store/console.ts'
import type { AuditEntry, VerificationRow, VerificationSearch } from '../store/console.ts'
import { decide } from './verifications.ts'
import type { Completed } from './verifications.ts'
import { extractedData } from './decisions.ts'
import type { ExtractedData } from './decisions.ts'

export type { VerificationRow, VerificationSearch, ExtractedData, StoredImage, VerificationEvent }

/** Reasons a reviewer may give: why they approved, or one of Loom's rejection reasons. */
export const APPROVE_REASONS = ['manual_check_passed', 'document_valid_on_inspection'] as const
export const REJECT_REASONS = REASONS.filter(
  (r) => r !== 'manual_review' && r !== 'tenant_decision' && r !== 'low_confidence',
)
export const MAX_NOTE_LENGTH = 2000

/** A reviewer's decision could not be recorded (shown to the reviewer as it is). */
export class ReviewError extends Error {
  constructor(
    readonly code: 'not_found' | 'not_in_review' | 'reason_invalid' | 'age_unknown' | 'underage',
  ) {
    super(code)
  }
}

/** One of the tenant's verifications (either mode), or null: another tenant's id is unknown. */
export async function consoleVerification(
  deps: Deps,
  tenantId: string,
  verificationId: string,
): Promise<Verification | null> {
  if (!isId('ver', verificationId)) return null
  return getVerification(deps.store.db, tenantId, verificationId)
}

export function findVerifications(
  deps: Deps,
  tenantId: string,
  search: VerificationSearch,
): Promise<VerificationRow[]> {
  return searchVerifications(deps.store.db, tenantId, search)
}

export interface VerificationDetail {
  verification: Verification
  events: VerificationEvent[]
  images: StoredImage[]
  /** The fields read: null when the viewer may not see them or when none are held. */
  extracted: ExtractedData | null
  /** The checks and their outcomes (no personal data: shown to every role). */
  checks: ExtractedData['checks']
  audit: (AuditEntry & { id: string })[]
}

/**
 * A verification's detail. With `personal`, the fields read are opened and the view is written
 * to the audit log (who, when, which verification) before anything is shown.
 */
export async function verificationDetail(
  deps: Deps,
  tenantId: string,
  verificationId: string,
  viewer: { actor: string; personal: boolean },
): Promise<VerificationDetail | null> {
  const verification = await consoleVerification(deps, tenantId, verificationId)
  if (verification === null) return null
  const opened = extractedData(deps, verification)
  let extracted: ExtractedData | null = null
  if (viewer.personal) {
    await audit(deps, tenantId, viewer.actor, 'verification.personal_data_viewed', verification.id)
    extracted = opened
  }
  const [events, images, auditEntries] = await Promise.all([
    listEvents(deps.store.db, tenantId, verification.id),
    listImages(deps.store.db, tenantId, verification.id),
    listAudit(deps.store.db, tenantId, { verificationId: verification.id, limit: 20 }),
  ])
  return {
    verification,
    events,
    images,
    extracted,
    checks: opened?.checks ?? [],
    audit: auditEntries,
  }
}

/** An image's bytes, decrypted for one response; the view is audited. Null when unknown. */
export async function consoleImage(
  deps: Deps,
  tenantId: string,
  verificationId: string,
  imageId: string,
  actor: string,
): Promise<{ image: StoredImage; bytes: Buffer } | null> {
  if (!isId('ver', verificationId) || !isId('img', imageId)) return null
  const image = await getImage(deps.store.db, tenantId, verificationId, imageId)
  if (image === null || image.blobKey === null || image.purgedAt !== null) return null
  const bytes = await deps.blobs.get(image.blobKey)
  if (bytes === null) return null
  await audit(deps, tenantId, actor, 'verification.image_viewed', verificationId, image.kind)
  return { image, bytes }
}

function audit(
  deps: Deps,
  tenantId: string,
  actor: string,
  action: string,
  verificationId: string | null,
  detail: string | null = null,
): Promise<void> {
  return insertAudit(deps.store.db, {
    tenantId,
    actor,
    action,
    verificationId,
    detail,
    createdAt: deps.clock.now().toISOString(),
  })
}

export interface ReviewInput {
  status: 'approved' | 'rejected'
  reason: string
  note: string
  /** The age the reviewer established, when Loom's checks did not give one. */
  verifiedAge?: number | undefined
}

/** Settles a `review` verification; recorded with the reviewer, the note in the audit log. */
export async function settleReview(
  deps: Deps,
  tenant: Tenant,
  verificationId: string,
  reviewer: { id: string; email: string },
  input: ReviewInput,
): Promise<Completed> {
  const verification = await consoleVerification(deps, tenant.id, verificationId)
  if (verification === null) throw new ReviewError('not_found')
  if (verification.status !== 'review') throw new ReviewError('not_in_review')
  const allowed: readonly string[] = input.status === 'approved' ? APPROVE_REASONS : REJECT_REASONS
  if (!allowed.includes(input.reason)) throw new ReviewError('reason_invalid')
  const verifiedAge = input.verifiedAge ?? verification.decision?.verifiedAge ?? null
  if (input.status === 'approved') {
    if (verifiedAge === null) throw new ReviewError('age_unknown')
    if (verifiedAge < verification.minAge) throw new ReviewError('underage')
  }
  const completed = await decide(
    deps,
    tenant,
    verification,
    {
      status: input.status,
      reasons: [input.reason],
      confidence: 1,
      verifiedAge,
      decidedBy: 'reviewer',
      method: 'manual_review',
    },
    { eventExtras: { reviewedBy: reviewer.id } },
  )
  await audit(
    deps,
    tenant.id,
    reviewer.id,
    `review.${input.status}`,
    verification.id,
    JSON.stringify({ reason: input.reason, note: input.note.slice(0, MAX_NOTE_LENGTH) }),
  )
  // No personal data in the log: ids, the outcome and who decided.
  deps.logger.info(
    { tenantId: tenant.id, verificationId, status: input.status, reviewer: reviewer.id },
    'review decision recorded',
  )
  return completed
}
