// Background jobs of the document flow: decide a verification once its images are in.
import type { JobHandler } from './queue.ts'
import { PROCESS_JOB, processVerification } from '../services/decisions.ts'
import { getTenant } from '../store/tenants.ts'
import { transitionVerification } from '../store/verifications.ts'

function ids(payload: Record<string, unknown>): { tenantId: string; verificationId: string } {
  const { tenantId, verificationId } = payload
  if (typeof tenantId !== 'string' || typeof verificationId !== 'string') {
    throw new Error('verification.process payload needs tenantId and verificationId')
  }
  return { tenantId, verificationId }
}

/** Decides a verification whose images are all in (idempotent: a decided one is left alone). */
export const processHandler: JobHandler = {
  type: PROCESS_JOB,
  async run(payload, { deps }) {
    const { tenantId, verificationId } = ids(payload)
    const tenant = await getTenant(deps.store.db, tenantId)
    if (tenant === null) return
    await processVerification(deps, tenant, verificationId)
  },
  // Every attempt failed (a bug or a broken image store): the verification fails visibly
  // (verification.failed reaches the tenant) instead of staying in processing forever.
  async onDead(payload, { deps }) {
    const { tenantId, verificationId } = ids(payload)
    await transitionVerification(deps.store.db, tenantId, verificationId, {
      to: 'failed',
      at: deps.clock.now().toISOString(),
      endReason: 'internal_error',
      event: {
        type: 'verification.failed',
        payload: { status: 'failed', reason: 'internal_error' },
      },
    })
  },
}
