// Images of a verification: uploads read at once for feedback, stored encrypted, and, once every
// required image is in, the verification moved to processing with its decision queued.
import type { Deps } from '../deps.ts'
import { DomainError } from '../domain/errors.ts'
import type { Caller } from '../domain/tenants.ts'
import { newId } from '../domain/ids.ts'
import type { ImageKind } from '../domain/decision.ts'
import { isOpen } from '../domain/verification.ts'
import { declaredOneSided, isTwoSided } from '../domain/workflows.ts'
import type { InspectResult } from '../engine/types.ts'
import { getImage, insertImage, listImages } from '../store/images.ts'
import type { StoredImage } from '../store/images.ts'
import { getVerification } from '../store/verifications.ts'
import type { Verification } from '../store/verifications.ts'
import { loadVerification } from './verifications.ts'
import {
  feedbackFor,
  feedbackText,
  MAX_IMAGE_BYTES,
  readDocument,
  refuseBadUpload,
  mediaTypeOf,
} from './document-reads.ts'
import type { Feedback } from './document-reads.ts'
import { ageSelfie, refuseNonPhoto, selfieCheck } from './selfies.ts'
import type { AgeSelfie } from './selfies.ts'
import { enqueueProcessing } from './decisions.ts'

/**
 * How a caller counts images with feedback other than `ok`. The API counts every image (the
 * caller decides whether to send another); the hosted page asks the person to retake a photo
 * the reader could not use, and counts it only after `retakesBeforeAccepting` tries of that kind
 * (so nobody is stuck with a document the reader cannot read: it then goes to the decision).
 */
export interface ImagePolicy {
  retakesBeforeAccepting?: number
}

/** Images still needed before the verification can be decided. */
export function missingImages(
  verification: Verification,
  images: StoredImage[],
  policy: ImagePolicy = {},
): ImageKind[] {
  const usable = (kind: ImageKind) => {
    const ofKind = images.filter((i) => i.kind === kind && i.purgedAt === null)
    const tries = policy.retakesBeforeAccepting
    if (tries === undefined || ofKind.length >= tries) return ofKind
    return ofKind.filter((i) => i.feedback === 'ok')
  }
  if (verification.verificationType === 'age_estimation') {
    // One selfie; when its estimate clears minimum age + buffer nothing else is needed.
    // Otherwise (below the buffer, a suspect presentation, no estimate) the person shows a
    // document instead, and the document decides.
    const selfies = usable('selfie')
    if (selfies.length === 0) return ['selfie']
    if (selfies.some((i) => i.readOk === 1)) return []
  }
  const front = usable('document_front')
  const back = usable('document_back')
  const missing: ImageKind[] = []
  if (front.length === 0) missing.push('document_front')
  // An ID card's MRZ and a licence's barcode are on the back: when the front gave no reading,
  // the back is needed; when the front was a two-sided card, the back is asked for too, so both
  // sides can be checked against each other.
  // A front that was not read needs its back unless the person said the document is one whose
  // code is on the front (a passport): then the front itself must be retaken.
  const frontRead = front.find((i) => i.readOk === 1)
  const needsBack =
    front.length > 0 &&
    (frontRead ? isTwoSided(frontRead.readDocumentType) : !declaredOneSided(verification.settings))
  if (needsBack && back.length === 0) missing.push('document_back')
  if (
    verification.verificationType !== 'age_estimation' &&
    verification.settings.requireSelfie &&
    usable('selfie').length === 0
  ) {
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

/**
 * Adds an image to an open verification: reads it at once (feedback), stores it encrypted, and
 * when every required image is in, moves the verification to processing and queues the job.
 */
export async function addImage(
  deps: Deps,
  caller: Caller,
  verificationId: string,
  kind: ImageKind,
  bytes: Buffer,
  policy: ImagePolicy = {},
): Promise<AddedImage> {
  const { tenant } = caller
  const verification = await loadVerification(deps, caller, verificationId)
  if (!isOpen(verification.status) || verification.status === 'processing') {
    throw new DomainError(
      verification.status === 'processing'
        ? 'VERIFICATION_IMAGES_COMPLETE'
        : 'VERIFICATION_ALREADY_COMPLETED',
      verification.status === 'processing'
        ? 'Every required image is in; the verification is being processed'
        : `Verification ${verification.id} is ${verification.status}; it takes no more images`,
    )
  }
  if (bytes.length > MAX_IMAGE_BYTES) {
    throw new DomainError('DOCUMENT_TOO_LARGE', 'Images may be at most 10 MB')
  }
  let read: InspectResult | null = null
  let estimate: AgeSelfie | null = null
  let feedback: Feedback = 'ok'
  let width: number | null = null
  let height: number | null = null
  if (kind === 'selfie') {
    // Only the format is sniffed here; the decode itself runs on the engine pool with the rest of
    // the face work, under its time budget (the event loop never runs an image library).
    refuseNonPhoto(bytes)
    const check =
      verification.verificationType === 'age_estimation'
        ? await ageSelfie(deps, verification, bytes)
        : await selfieCheck(deps, bytes)
    if (check.intakeError) refuseBadUpload({ ok: false, error: check.intakeError })
    width = check.image?.width ?? null
    height = check.image?.height ?? null
    feedback = check.feedback
    estimate = check.estimate
  } else {
    // The front of a passport or visa is read for its MRZ only: a barcode reader's guess at a
    // pattern in a photo with no document in it is no reason to talk about barcodes or glare.
    const mrzOnly = kind === 'document_front' && declaredOneSided(verification.settings)
    read = await readDocument(deps, bytes, mrzOnly ? 'mrz' : 'auto')
    refuseBadUpload(read)
    feedback = feedbackFor(read)
    // The front of an ID card has no MRZ or barcode: not a problem while the back may have one.
    // Nor is a front whose lines of print looked like a barcode that did not decode: a licence's
    // PDF417 is on its back (AAMVA DL/ID card design standard), which is then asked for.
    // A passport's front is where its MRZ is, so for one the photo must be retaken (and lines of
    // print that looked like a barcode are no reason to talk about barcodes).
    if (
      kind === 'document_front' &&
      (feedback === 'no_document' || feedback === 'barcode_unreadable')
    ) {
      feedback = declaredOneSided(verification.settings) ? 'no_document' : 'ok'
    }
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
    contentType: mediaTypeOf(bytes),
    byteSize: bytes.length,
    width,
    readOk: read?.ok || estimate?.cleared ? 1 : 0,
    readDocumentType: read?.ok ? read.documentType : null,
    height,
    blobKey,
    feedback,
    readSealed: read
      ? deps.sealer.seal(JSON.stringify(read), `read:${imageId}`)
      : estimate
        ? deps.sealer.seal(JSON.stringify(estimate), `read:${imageId}`)
        : null,
    createdAt: now,
    purgedAt: null,
  }
  const images = [...(await listImages(deps.store.db, tenant.id, verification.id)), image]
  const missing = missingImages(verification, images, policy)
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
        await enqueueProcessing(trx, tenant.id, verification.id, now)
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

/** A caller's verification and the metadata of its images. */
export async function verificationImages(
  deps: Deps,
  caller: Caller,
  verificationId: string,
): Promise<{ verification: Verification; images: StoredImage[] }> {
  const verification = await loadVerification(deps, caller, verificationId)
  return {
    verification,
    images: await listImages(deps.store.db, caller.tenant.id, verification.id),
  }
}

/** The image bytes of one of the caller's verifications. */
export async function imageBytes(
  deps: Deps,
  caller: Caller,
  verificationId: string,
  imageId: string,
): Promise<{ image: StoredImage; bytes: Buffer; contentType: string }> {
  const verification = await loadVerification(deps, caller, verificationId)
  const image = await getImage(deps.store.db, caller.tenant.id, verification.id, imageId)
  const bytes = image?.blobKey ? await deps.blobs.get(image.blobKey) : null
  if (image === null || bytes === null)
    throw new DomainError('IMAGE_NOT_FOUND', `Image ${imageId} not found`)
  // From the bytes themselves: images stored before their type was recorded say octet-stream.
  return { image, bytes, contentType: mediaTypeOf(bytes) }
}
