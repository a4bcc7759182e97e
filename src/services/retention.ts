// The purge of a person's data: on the tenant's DELETE, and when a verification's time to live
// passes (the worker's retention sweep).
import type { Deps } from '../deps.ts'
import { listImages, markImagePurged } from '../store/images.ts'
import { recordEvent, transitionVerification } from '../store/verifications.ts'
import { findDueForPurge, scrubVerification } from '../store/verification-lifetimes.ts'

/**
 * Deletes a verification's personal data now: image bytes, readings, person fields, token.
 * The verification keeps its id, status and decision (so the tenant's records still resolve),
 * its tokens are revoked, and a `verification.deleted` event is recorded. Idempotent.
 */
export async function purgeVerification(
  deps: Deps,
  tenantId: string,
  verificationId: string,
  reason: 'deleted' | 'expired',
): Promise<void> {
  const at = deps.clock.now().toISOString()
  const images = await listImages(deps.store.db, tenantId, verificationId)
  for (const image of images) {
    if (image.blobKey) await deps.blobs.delete(image.blobKey)
    if (image.purgedAt === null) await markImagePurged(deps.store.db, image.id, at)
  }
  await deps.store.db.transaction().execute(async (trx) => {
    await scrubVerification(trx, tenantId, verificationId, at)
    if (reason === 'deleted') {
      await recordEvent(trx, {
        tenantId,
        verificationId,
        type: 'verification.deleted',
        payload: { reason },
        createdAt: at,
      })
    }
  })
  // An open verification stops here; a deleted one's tokens no longer validate.
  await transitionVerification(deps.store.db, tenantId, verificationId, {
    to: reason === 'deleted' ? 'abandoned' : 'expired',
    at,
  })
  if (reason === 'deleted') {
    await deps.tokens.revoke({ tenantId, verificationId, reason: 'deleted' })
  }
}

/** Purges every verification whose time to live has passed; returns how many. */
export async function purgeExpiredData(deps: Deps, batch = 200): Promise<number> {
  const due = await findDueForPurge(deps.store.db, deps.clock.now().toISOString(), batch)
  for (const { id, tenantId } of due) await purgeVerification(deps, tenantId, id, 'expired')
  return due.length
}
