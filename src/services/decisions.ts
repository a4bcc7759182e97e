// From evidence to a decision: the processing job a complete set of images queues, the face
// comparison, the decision policy, and the person's fields sealed with the decision.
import type { Transaction } from 'kysely'
import type { Deps } from '../deps.ts'
import type { Database } from '../store/schema.ts'
import type { Caller, Tenant } from '../domain/tenants.ts'
import { decideFromAgeEstimate, decideFromEvidence } from '../domain/decision.ts'
import type {
  DocumentRead,
  FaceEvidence,
  ImageKind,
  PolicyResult,
  Workflow,
} from '../domain/decision.ts'
import { mockDecision } from '../domain/verification.ts'
import { ageOn, type InspectResult } from '../engine/types.ts'
import { enqueueJob } from '../store/jobs.ts'
import { listImages, markImagePurged, type StoredImage } from '../store/images.ts'
import { getVerification } from '../store/verifications.ts'
import type { Verification } from '../store/verifications.ts'
import { completeVerification, decide, loadVerification } from './verifications.ts'
import type { Completed } from './verifications.ts'
import { feedbackFor, readDocument } from './document-reads.ts'
import type { AgeSelfie } from './selfies.ts'
import { oneShotResult } from './one-shot-result.ts'
import { retryPolicyOf } from '../domain/workflows.ts'
import { kindsToRetake, retryReason } from '../domain/retry.ts'

export const PROCESS_JOB = 'verification.process'

export function workflowOf(deps: Deps, verification: Verification): Workflow {
  const { settings } = verification
  return {
    acceptSpecimens: verification.mode === 'test' || deps.config.acceptSpecimens,
    verificationType: verification.verificationType,
    minAge: verification.minAge,
    acceptedDocumentTypes: settings.acceptedDocumentTypes,
    acceptedCountries: settings.acceptedCountries,
    requireFaceMatch: settings.requireSelfie && verification.verificationType !== 'age_estimation',
  }
}

/** Decides a verification from its stored images (idempotent: a decided one is left alone). */
export async function processVerification(
  deps: Deps,
  tenant: Tenant,
  verificationId: string,
  options: { allowRetry?: boolean } = {},
): Promise<Completed | null> {
  const verification = await getVerification(deps.store.db, tenant.id, verificationId)
  if (verification === null || verification.status !== 'processing') return null
  // A test verification with a mock behaviour is decided by it, without reading the documents
  // (as /verify/complete does; the verification-sessions API's mock_behavior relies on it once the images are in).
  if (verification.mode === 'test' && verification.mockBehavior !== null) {
    const mocked = mockDecision(verification.mockBehavior, verification.minAge)
    return decide(deps, tenant, verification, mocked)
  }
  const images = await listImages(deps.store.db, tenant.id, verificationId)
  if (verification.verificationType === 'age_estimation') {
    const cleared = images.filter((i) => i.kind === 'selfie' && i.readOk === 1 && i.readSealed)
    const newest = cleared.at(-1)
    if (newest?.readSealed) {
      const estimate = JSON.parse(
        deps.sealer.open(newest.readSealed, `read:${newest.id}`).toString('utf8'),
      ) as AgeSelfie
      const approved = decideFromAgeEstimate(
        verification.minAge,
        verification.settings.ageBuffer,
        estimate,
      )
      if (approved !== null) return decideWithPolicy(deps, tenant, verification, approved)
    }
  }
  const reads: (DocumentRead & { imageId: string })[] = []
  for (const image of images) {
    if (image.kind !== 'document_front' && image.kind !== 'document_back') continue
    if (image.purgedAt !== null) continue
    let result: InspectResult
    if (image.readSealed !== null) {
      result = JSON.parse(
        deps.sealer.open(image.readSealed, `read:${image.id}`).toString('utf8'),
      ) as InspectResult
    } else {
      // Uploaded without an instant read (asynchronous /v1/verify): read it now.
      const bytes = image.blobKey ? await deps.blobs.get(image.blobKey) : null
      if (bytes === null) continue
      result = await readDocument(deps, bytes)
      await deps.store.db
        .updateTable('verificationImages')
        .set({
          readOk: result.ok ? 1 : 0,
          readDocumentType: result.ok ? result.documentType : null,
          feedback: feedbackFor(result),
          readSealed: deps.sealer.seal(JSON.stringify(result), `read:${image.id}`),
        })
        .where('id', '=', image.id)
        .execute()
    }
    reads.push({ kind: image.kind, result, imageId: image.id })
  }
  await settleBirthCenturies(deps, reads, images)
  const workflow = workflowOf(deps, verification)
  // A selfie sent without being required (the verification-sessions API takes one on any session) is compared too:
  // it must not be someone else's face, and its checks show in the result. (An age-estimation
  // selfie served its purpose; when the document decides instead, it decides as age_only does.)
  const selfieSent =
    verification.verificationType !== 'age_estimation' &&
    images.some((i) => i.kind === 'selfie' && i.purgedAt === null)
  const face =
    workflow.requireFaceMatch || selfieSent
      ? await faceEvidence(deps, tenant.id, verificationId)
      : null
  const policy = decideFromEvidence(workflow, reads, face)
  if (options.allowRetry !== false && (await offerNewAttempt(deps, tenant, verification, policy))) {
    return null
  }
  return decideWithPolicy(
    deps,
    tenant,
    verification,
    policy,
    exhaustedReasonOf(verification, policy),
  )
}

/**
 * An ID card's MRZ, on its back, gives the year of birth in two digits; where they fit two
 * centuries (a child born in 2015 or a holder born in 1915) the card's front prints the date in
 * full. Each such read is settled from the verification's other document images when one of them
 * prints exactly one of the two dates; otherwise the century stays open and the decision goes to
 * review, as before.
 */
async function settleBirthCenturies(
  deps: Deps,
  reads: (DocumentRead & { imageId: string })[],
  images: StoredImage[],
): Promise<void> {
  const asOf = deps.clock.now().toISOString().slice(0, 10)
  for (const read of reads) {
    const r = read.result
    const [older, newer] = (r.ok && r.person.dateOfBirthCandidates) || []
    if (!r.ok || !older || !newer) continue
    for (const other of images) {
      if (other.id === read.imageId || other.purgedAt !== null || !other.blobKey) continue
      if (other.kind !== 'document_front' && other.kind !== 'document_back') continue
      const bytes = await deps.blobs.get(other.blobKey)
      if (bytes === null) continue
      const date = await deps.engine.birthDateOnImage(
        new Uint8Array(bytes),
        [older, newer],
        deps.config.engineBudgetMs,
      )
      if (date === null) continue
      const { dateOfBirthCandidates: _settled, ...person } = r.person
      read.result = {
        ...r,
        person: { ...person, dateOfBirth: date },
        checks: { ...r.checks, vizBirthDate: true },
        ageYears: ageOn(date, asOf),
      }
      break
    }
  }
}

/**
 * A rejection the person can fix, on the hosted page, with attempts left: instead of a decision
 * the verification goes back to in_progress, the images of the failed part are forgotten (and
 * an expired document's choice with them), and the page asks again. True when it did.
 */
async function offerNewAttempt(
  deps: Deps,
  tenant: Tenant,
  verification: Verification,
  decision: { status: string; reasons: string[] },
): Promise<boolean> {
  const { settings } = verification
  if (settings.viaPage !== true) return false
  const failed = settings.failedAttempts ?? []
  const reason = retryReason(retryPolicyOf(settings), decision, failed.length)
  if (reason === null) return false
  const now = deps.clock.now().toISOString()
  const retake = kindsToRetake(reason)
  const images = await listImages(deps.store.db, tenant.id, verification.id)
  const forgotten = images.filter(
    (i) =>
      i.purgedAt === null &&
      (i.kind === 'selfie' ? retake.includes('selfie') : retake.includes('document')),
  )
  const reopened = await deps.store.db.transaction().execute(async (trx) => {
    const moved = await trx
      .updateTable('verifications')
      .set((eb) => ({
        status: 'in_progress',
        updatedAt: now,
        version: eb('version', '+', 1),
        settings: JSON.stringify({
          ...settings,
          ...(reason === 'document_expired' && { declaredDocument: null }),
          failedAttempts: [...failed, { reason, at: now }],
        }),
      }))
      .where('tenantId', '=', tenant.id)
      .where('id', '=', verification.id)
      .where('status', '=', 'processing')
      .executeTakeFirst()
    if (Number(moved.numUpdatedRows) !== 1) return false
    for (const image of forgotten) await markImagePurged(trx, image.id, now)
    return true
  })
  if (!reopened) return false
  for (const image of forgotten) {
    if (image.blobKey !== null) await deps.blobs.delete(image.blobKey)
  }
  return true
}

/** When a page's attempts ran out on a retryable rejection: the workflow's redirect reason. */
function exhaustedReasonOf(
  verification: Verification,
  decision: { status: string; reasons: string[] },
): string | undefined {
  const policy = retryPolicyOf(verification.settings)
  if (verification.settings.viaPage !== true || policy.exhaustedReason === null) return undefined
  if (decision.status !== 'rejected') return undefined
  const retryOn: readonly string[] = policy.retryOn
  return decision.reasons.some((r) => retryOn.includes(r)) ? policy.exhaustedReason : undefined
}

/**
 * Compares the portrait on the document front with the newest selfie. Null when either image
 * is missing; a comparison that found no usable face, failed or ran out of time is 'review'
 * (never an approval), as is a presentation signal that looks suspect.
 */
async function faceEvidence(
  deps: Deps,
  tenantId: string,
  verificationId: string,
): Promise<FaceEvidence | null> {
  const images = (await listImages(deps.store.db, tenantId, verificationId)).filter(
    (i) => i.purgedAt === null,
  )
  const newest = (kind: ImageKind) => images.filter((i) => i.kind === kind).at(-1)
  const front = newest('document_front')
  const selfie = newest('selfie')
  if (!front?.blobKey || !selfie?.blobKey) return null
  const [documentBytes, selfieBytes] = await Promise.all([
    deps.blobs.get(front.blobKey),
    deps.blobs.get(selfie.blobKey),
  ])
  if (documentBytes === null || selfieBytes === null) return null
  const comparison = await deps.engine.compareFaces(
    new Uint8Array(documentBytes),
    new Uint8Array(selfieBytes),
    deps.config.engineBudgetMs * 2,
  )
  if ('failed' in comparison) {
    deps.logger.warn({ reason: comparison.reason }, 'face comparison failed; sending to review')
    return { decision: 'review', similarity: 0, attackSuspected: false }
  }
  const { reuse } = comparison
  const attacks = [
    ...(comparison.presentation?.verdict === 'suspect' ? comparison.presentation.failed : []),
    ...(reuse?.sameImage ? ['selfie is the document image'] : []),
    ...(reuse?.portraitCopy ? ['selfie face is the document portrait'] : []),
    ...(reuse?.selfieShowsMrz ? ['selfie shows a document'] : []),
  ]
  return {
    decision: comparison.decision === 'retake' ? 'review' : comparison.decision,
    similarity: comparison.similarity ?? 0,
    attackSuspected: attacks.length > 0,
    ...(attacks.length > 0 && { attackDetail: attacks.join(', ') }),
  }
}

/** Records a policy result: the decision, and the person's fields encrypted. */
export async function decideWithPolicy(
  deps: Deps,
  tenant: Tenant,
  verification: Verification,
  policy: PolicyResult,
  endReason?: string,
): Promise<Completed> {
  const { checks, primary, ...decision } = policy
  const personSealed = deps.sealer.seal(
    JSON.stringify(
      primary
        ? {
            person: primary.person,
            document: primary.document,
            documentType: primary.documentType,
            source: primary.source,
            checks,
          }
        : { checks },
    ),
    `person:${verification.id}`,
  )
  const eventExtras =
    verification.surface === 'v1'
      ? {
          v1: oneShotResult(
            verification,
            decision,
            primary?.documentType ?? null,
            Date.now() - Date.parse(verification.createdAt),
          ),
        }
      : undefined
  return decide(deps, tenant, verification, decision, {
    personSealed,
    ...(eventExtras && { eventExtras }),
    ...(endReason !== undefined && { endReason }),
  })
}

export interface ExtractedData {
  person: {
    lastName: string | null
    firstName: string | null
    sex: string | null
    dateOfBirth: string | null
    nationality: string | null
  } | null
  document: {
    number: string | null
    issuer: string | null
    expiryDate: string | null
    issueDate: string | null
  } | null
  documentType: string | null
  source: string | null
  checks: { name: string; outcome: string; detail?: string }[]
}

/** The personal fields and checks of a decided verification (null after a purge). */
export function extractedData(deps: Deps, verification: Verification): ExtractedData | null {
  if (verification.personSealed === null) return null
  const data = JSON.parse(
    deps.sealer.open(verification.personSealed, `person:${verification.id}`).toString('utf8'),
  ) as Partial<ExtractedData>
  return {
    person: data.person ?? null,
    document: data.document ?? null,
    documentType: data.documentType ?? null,
    source: data.source ?? null,
    checks: data.checks ?? [],
  }
}

/**
 * /verify/complete: test mode applies the mock behaviour; live mode decides now from the images
 * that are in (the processing job, if it runs later, finds the verification decided).
 */
export async function completeWithEvidence(
  deps: Deps,
  caller: Caller,
  verificationId: string,
): Promise<Completed> {
  const verification = await loadVerification(deps, caller, verificationId)
  if (verification.mode === 'test' || verification.status !== 'processing') {
    return completeVerification(deps, caller, verificationId)
  }
  const completed = await processVerification(deps, caller.tenant, verificationId, {
    allowRetry: false,
  })
  if (completed === null) return completeVerification(deps, caller, verificationId)
  return completed
}

/** Queues the decision of a verification whose evidence is in (same transaction as the change). */
export async function enqueueProcessing(
  trx: Transaction<Database>,
  tenantId: string,
  verificationId: string,
  now: string,
): Promise<void> {
  await enqueueJob(trx, {
    type: PROCESS_JOB,
    tenantId,
    payload: { tenantId, verificationId },
    runAt: now,
    maxAttempts: 5,
    now,
  })
}
