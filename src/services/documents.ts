// Documents through the service: image uploads with instant feedback, processing into a
// decision, and the purge of personal data (on DELETE, and when the time to live passes).
import type { Deps } from '../deps.ts'
import { ApiError } from '../api/errors.ts'
import type { Tenant } from '../domain/tenants.ts'
import { newId } from '../domain/ids.ts'
import { decideFromEvidence } from '../domain/decision.ts'
import type { DocumentRead, ImageKind, PolicyResult, Workflow } from '../domain/decision.ts'
import { isOpen } from '../domain/verification.ts'
import type { InspectResult } from '../engine/types.ts'
import { decodeDocumentImage } from '../engine/intake.ts'
import { enqueueJob } from '../store/jobs.ts'
import { getImage, insertImage, listImages, markImagePurged } from '../store/images.ts'
import type { StoredImage } from '../store/images.ts'
import {
  findDueForPurge,
  getVerification,
  recordEvent,
  scrubVerification,
  transitionVerification,
} from '../store/verifications.ts'
import type { Verification } from '../store/verifications.ts'
import { completeVerification, decide, loadVerification } from './verifications.ts'
import type { Completed } from './verifications.ts'

export const PROCESS_JOB = 'verification.process'
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024

/** What a person is told about an image right after uploading it. */
export type Feedback =
  | 'ok'
  | 'blurry'
  | 'glare'
  | 'too_dark'
  | 'too_small'
  | 'no_document'
  | 'mrz_unreadable'
  | 'barcode_unreadable'
  | 'try_again'

const FEEDBACK_TEXT: Record<Feedback, string> = {
  ok: 'Image accepted.',
  blurry: 'The photo is blurry: hold the phone still and let the camera focus.',
  glare: 'Glare hides part of the document: tilt it away from the light.',
  too_dark: 'The photo is too dark: move to a brighter place.',
  too_small: 'The document is too small in the photo: move closer so it fills the frame.',
  no_document:
    'No document was found: show the page with the machine-readable lines or the barcode.',
  mrz_unreadable:
    'The machine-readable lines could not be read: make sure they are sharp and fully visible.',
  barcode_unreadable: 'The barcode could not be read: fill the frame with it and avoid glare.',
  try_again: 'The image could not be processed in time: please try again.',
}

export function feedbackText(feedback: Feedback): string {
  return FEEDBACK_TEXT[feedback]
}

/** Maps an engine reading to the feedback a person can act on. */
export function feedbackFor(result: InspectResult): Feedback {
  if (result.ok) return 'ok'
  const { code, quality } = result.error
  switch (code) {
    case 'DOCUMENT_QUALITY_LOW':
      return quality?.[0] ?? 'blurry'
    case 'MRZ_UNREADABLE':
      return 'mrz_unreadable'
    case 'BARCODE_UNREADABLE':
    case 'AAMVA_INVALID':
      return 'barcode_unreadable'
    case 'ENGINE_TIMEOUT':
      return 'try_again'
    case 'MRZ_NOT_FOUND':
    case 'BARCODE_NOT_FOUND':
    case 'DOCUMENT_NOT_FOUND':
    case 'DOCUMENT_INVALID_FORMAT':
    case 'DOCUMENT_TOO_LARGE':
    case 'DOCUMENT_CORRUPT':
      return 'no_document'
  }
}

/** Intake errors refuse the upload itself (a 4xx), they are not feedback on a photo. */
export function refuseBadUpload(result: InspectResult): void {
  if (result.ok) return
  const { code, message } = result.error
  if (code === 'DOCUMENT_INVALID_FORMAT' || code === 'DOCUMENT_CORRUPT') {
    throw new ApiError('DOCUMENT_INVALID_FORMAT', message)
  }
  if (code === 'DOCUMENT_TOO_LARGE') throw new ApiError('DOCUMENT_TOO_LARGE', message)
}

export function workflowOf(verification: Verification): Workflow {
  return {
    verificationType: verification.verificationType,
    minAge: verification.minAge,
    acceptedDocumentTypes: null,
    requireFaceMatch: verification.verificationType === 'full_verification',
  }
}

/** Images still needed before the verification can be decided. */
export function missingImages(verification: Verification, images: StoredImage[]): ImageKind[] {
  const usable = (kind: ImageKind) => images.filter((i) => i.kind === kind && i.purgedAt === null)
  const front = usable('document_front')
  const back = usable('document_back')
  const missing: ImageKind[] = []
  if (front.length === 0) missing.push('document_front')
  // An ID card's MRZ and a licence's barcode are on the back: when the front gave no reading,
  // the back is needed too.
  const frontRead = front.some((i) => i.readOk === 1)
  if (front.length > 0 && !frontRead && back.length === 0) missing.push('document_back')
  if (verification.verificationType === 'full_verification' && usable('selfie').length === 0) {
    missing.push('selfie')
  }
  return missing
}

export interface AddedImage {
  image: StoredImage
  feedback: Feedback
  message: string
  missingImages: ImageKind[]
  complete: boolean
  verification: Verification
}

/** Reads one side of a document on the engine pool (as-of today). */
export async function readDocument(deps: Deps, bytes: Buffer): Promise<InspectResult> {
  return deps.engine.inspect(
    { bytes: new Uint8Array(bytes), asOf: deps.clock.now().toISOString().slice(0, 10) },
    deps.config.engineBudgetMs,
  )
}

/**
 * Adds an image to an open verification: reads it at once (feedback), stores it encrypted, and
 * when every required image is in, moves the verification to processing and queues the job.
 */
export async function addImage(
  deps: Deps,
  tenant: Tenant,
  verificationId: string,
  kind: ImageKind,
  bytes: Buffer,
  contentType: string,
): Promise<AddedImage> {
  const verification = await loadVerification(deps, tenant.id, verificationId)
  if (!isOpen(verification.status) || verification.status === 'processing') {
    throw new ApiError(
      verification.status === 'processing'
        ? 'VERIFICATION_IMAGES_COMPLETE'
        : 'VERIFICATION_ALREADY_COMPLETED',
      verification.status === 'processing'
        ? 'Every required image is in; the verification is being processed'
        : `Verification ${verification.id} is ${verification.status}; it takes no more images`,
    )
  }
  if (bytes.length > MAX_IMAGE_BYTES) {
    throw new ApiError('DOCUMENT_TOO_LARGE', 'Images may be at most 10 MB')
  }
  let read: InspectResult | null = null
  let feedback: Feedback = 'ok'
  let width: number | null = null
  let height: number | null = null
  if (kind === 'selfie') {
    const decoded = await decodeDocumentImage(new Uint8Array(bytes))
    if (!decoded.ok) refuseBadUpload({ ok: false, error: decoded.error })
    else {
      width = decoded.image.width
      height = decoded.image.height
    }
  } else {
    read = await readDocument(deps, bytes)
    refuseBadUpload(read)
    feedback = feedbackFor(read)
    // The front of an ID card has no MRZ or barcode: not a problem while the back may have one.
    if (kind === 'document_front' && feedback === 'no_document') feedback = 'ok'
  }
  const now = deps.clock.now().toISOString()
  const imageId = newId('img')
  const blobKey = `${verification.id}_${imageId}`
  await deps.blobs.put(blobKey, bytes)
  const image: StoredImage = {
    id: imageId,
    tenantId: tenant.id,
    verificationId: verification.id,
    kind,
    contentType,
    byteSize: bytes.length,
    width,
    readOk: read?.ok ? 1 : 0,
    height,
    blobKey,
    feedback,
    readSealed: read ? deps.sealer.seal(JSON.stringify(read), `read:${imageId}`) : null,
    createdAt: now,
    purgedAt: null,
  }
  const images = [...(await listImages(deps.store.db, tenant.id, verification.id)), image]
  const missing = missingImages(verification, images)
  const complete = missing.length === 0
  await deps.store.db.transaction().execute(async (trx) => {
    await insertImage(trx, image)
    if (verification.status === 'pending' || complete) {
      const next = complete ? 'processing' : 'in_progress'
      const moved = await trx
        .updateTable('verifications')
        .set({ status: next, updatedAt: now })
        .where('tenantId', '=', tenant.id)
        .where('id', '=', verification.id)
        .where('status', 'in', ['pending', 'in_progress'])
        .executeTakeFirst()
      if (Number(moved.numUpdatedRows) === 1 && complete) {
        await enqueueJob(trx, {
          type: PROCESS_JOB,
          tenantId: tenant.id,
          payload: { tenantId: tenant.id, verificationId: verification.id },
          runAt: now,
          maxAttempts: 5,
          now,
        })
      }
    }
  })
  const updated = (await getVerification(deps.store.db, tenant.id, verification.id)) ?? verification
  return {
    image,
    feedback,
    message: feedbackText(feedback),
    missingImages: missing,
    complete,
    verification: updated,
  }
}

/** Decides a verification from its stored images (idempotent: a decided one is left alone). */
export async function processVerification(
  deps: Deps,
  tenant: Tenant,
  verificationId: string,
): Promise<Completed | null> {
  const verification = await getVerification(deps.store.db, tenant.id, verificationId)
  if (verification === null || verification.status !== 'processing') return null
  const images = await listImages(deps.store.db, tenant.id, verificationId)
  const reads: DocumentRead[] = images
    .filter(
      (i): i is StoredImage & { kind: 'document_front' | 'document_back'; readSealed: string } =>
        (i.kind === 'document_front' || i.kind === 'document_back') && i.readSealed !== null,
    )
    .map((i) => ({
      kind: i.kind,
      result: JSON.parse(
        deps.sealer.open(i.readSealed, `read:${i.id}`).toString('utf8'),
      ) as InspectResult,
    }))
  const policy = decideFromEvidence(workflowOf(verification), reads, null)
  return decideWithPolicy(deps, tenant, verification, policy)
}

/** Records a policy result: the decision, and the person's fields encrypted. */
export async function decideWithPolicy(
  deps: Deps,
  tenant: Tenant,
  verification: Verification,
  policy: PolicyResult,
): Promise<Completed> {
  const { checks, primary, ...decision } = policy
  const personSealed = primary
    ? deps.sealer.seal(
        JSON.stringify({
          person: primary.person,
          document: primary.document,
          documentType: primary.documentType,
          source: primary.source,
          checks,
        }),
        `person:${verification.id}`,
      )
    : deps.sealer.seal(JSON.stringify({ checks }), `person:${verification.id}`)
  return decide(deps, tenant, verification, decision, { personSealed })
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

/** The image bytes of one of the tenant's verifications. */
export async function imageBytes(
  deps: Deps,
  tenant: Tenant,
  verificationId: string,
  imageId: string,
): Promise<{ image: StoredImage; bytes: Buffer }> {
  const image = await getImage(deps.store.db, tenant.id, verificationId, imageId)
  const bytes = image?.blobKey ? await deps.blobs.get(image.blobKey) : null
  if (image === null || bytes === null)
    throw new ApiError('IMAGE_NOT_FOUND', `Image ${imageId} not found`)
  return { image, bytes }
}

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

/**
 * /verify/complete: test mode applies the mock behaviour; live mode decides now from the images
 * that are in (the processing job, if it runs later, finds the verification decided).
 */
export async function completeWithEvidence(
  deps: Deps,
  tenant: Tenant,
  verificationId: string,
): Promise<Completed> {
  const verification = await loadVerification(deps, tenant.id, verificationId)
  if (verification.mode === 'test' || verification.status !== 'processing') {
    return completeVerification(deps, tenant, verificationId)
  }
  const completed = await processVerification(deps, tenant, verificationId)
  if (completed === null) return completeVerification(deps, tenant, verificationId)
  return completed
}
