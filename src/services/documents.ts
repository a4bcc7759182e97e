// Documents through the service: image uploads with instant feedback, processing into a
// decision, and the purge of personal data (on DELETE, and when the time to live passes).
import type { Transaction } from 'kysely'
import type { Deps } from '../deps.ts'
import type { Database } from '../store/schema.ts'
import { ApiError } from '../api/errors.ts'
import type { ApiKey, Tenant } from '../domain/tenants.ts'
import { newId } from '../domain/ids.ts'
import { decideFromAgeEstimate, decideFromEvidence } from '../domain/decision.ts'
import type {
  DocumentRead,
  FaceEvidence,
  ImageKind,
  PolicyResult,
  Workflow,
} from '../domain/decision.ts'
import { isOpen, mockDecision } from '../domain/verification.ts'
import type { InspectResult } from '../engine/types.ts'
import { declaredOneSided, isTwoSided } from '../domain/workflows.ts'
import { assessQuality, decodeDocumentImage } from '../engine/intake.ts'
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
import {
  completeVerification,
  decide,
  loadVerification,
  startVerification,
} from './verifications.ts'
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
  | 'no_face'
  | 'multiple_faces'
  | 'face_too_small'
  | 'face_cut_off'

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
  no_face: 'No face was found: look straight at the camera with your whole face in the frame.',
  multiple_faces: 'More than one face is in the photo: only you should be in the selfie.',
  face_too_small: 'Your face is too small in the photo: hold the phone closer.',
  face_cut_off: 'Your face is cut off at the edge: centre it in the frame.',
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
    case 'ENGINE_ERROR':
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
  const { settings } = verification
  return {
    verificationType: verification.verificationType,
    minAge: verification.minAge,
    acceptedDocumentTypes: settings.acceptedDocumentTypes,
    acceptedCountries: settings.acceptedCountries,
    requireFaceMatch: settings.requireSelfie && verification.verificationType !== 'age_estimation',
  }
}

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

/** Reads one side of a document on the engine pool (as-of today). */
export async function readDocument(deps: Deps, bytes: Buffer): Promise<InspectResult> {
  const result = await deps.engine.inspect(
    { bytes: new Uint8Array(bytes), asOf: deps.clock.now().toISOString().slice(0, 10) },
    deps.config.engineBudgetMs,
  )
  if (!result.ok && result.error.code === 'ENGINE_ERROR') {
    deps.logger.error({ engineError: result.error.message }, 'document reader failed')
  }
  return result
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
  policy: ImagePolicy = {},
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
  let estimate: AgeSelfie | null = null
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
    if (verification.verificationType === 'age_estimation') {
      estimate = await ageSelfie(deps, verification, bytes)
      feedback = estimate.feedback
    } else {
      feedback = await selfieFeedback(deps, bytes)
    }
  } else {
    read = await readDocument(deps, bytes)
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
    contentType,
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

/** Decides a verification from its stored images (idempotent: a decided one is left alone). */
export async function processVerification(
  deps: Deps,
  tenant: Tenant,
  verificationId: string,
): Promise<Completed | null> {
  const verification = await getVerification(deps.store.db, tenant.id, verificationId)
  if (verification === null || verification.status !== 'processing') return null
  // A test verification with a mock behaviour is decided by it, without reading the documents
  // (as /verify/complete does; seed 004's mock_behavior relies on it once the images are in).
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
  const reads: DocumentRead[] = []
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
    reads.push({ kind: image.kind, result })
  }
  const workflow = workflowOf(verification)
  // A selfie sent without being required (seed 004 takes one on any session) is compared too:
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
  return decideWithPolicy(deps, tenant, verification, policy)
}

/** The faces on a selfie as feedback (a failed or slow face task does not block the upload). */
/** An age-estimation selfie's outcome, kept sealed with the image (the estimate is personal). */
interface AgeSelfie {
  kind: 'age_estimate'
  feedback: Feedback
  age: number | null
  cleared: boolean
}

/** Estimates the age on a selfie for an age_estimation verification (instant, on the pool). */
async function ageSelfie(
  deps: Deps,
  verification: Verification,
  bytes: Buffer,
): Promise<AgeSelfie> {
  const estimate = await deps.engine.estimateAge(
    new Uint8Array(bytes),
    { minAge: verification.minAge, buffer: verification.settings.ageBuffer },
    deps.config.engineBudgetMs,
  )
  if ('failed' in estimate) {
    deps.logger.warn({ reason: estimate.reason }, 'age estimation failed; asking for a document')
    return { kind: 'age_estimate', feedback: 'ok', age: null, cleared: false }
  }
  const feedback: Feedback =
    estimate.feedback === null
      ? 'ok'
      : estimate.feedback === 'image_unreadable'
        ? 'try_again'
        : estimate.feedback
  return {
    kind: 'age_estimate',
    feedback,
    age: estimate.age,
    cleared: estimate.decision === 'approve',
  }
}

async function selfieFeedback(deps: Deps, bytes: Buffer): Promise<Feedback> {
  const detection = await deps.engine.detectSelfie(
    new Uint8Array(bytes),
    deps.config.engineBudgetMs,
  )
  if ('failed' in detection) {
    deps.logger.warn(
      { reason: detection.reason },
      'selfie check failed; the face match decides later',
    )
    return 'ok'
  }
  switch (detection.feedback) {
    case null:
      return 'ok'
    case 'image_unreadable':
      return 'try_again'
    case 'no_face':
    case 'multiple_faces':
    case 'face_too_small':
    case 'face_cut_off':
      return detection.feedback
  }
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
  return {
    decision: comparison.decision === 'retake' ? 'review' : comparison.decision,
    similarity: comparison.similarity ?? 0,
    attackSuspected: comparison.presentation?.verdict === 'suspect',
  }
}

/** Seed 001's answer to /v1/verify (also the `data.v1` of its webhook). */
export interface V1Result {
  request_id: string
  verification_id: string
  status: 'verified' | 'rejected' | 'review'
  verified_age?: number
  confidence_score: number
  document_type: string | null
  processing_time_ms: number
  reason?: string
  metadata: Record<string, unknown>
  extraction_data?: Record<string, unknown>
  token?: string
}

/** What seed 001's /v1/verify reports, also sent as the webhook's data for that surface. */
export function v1Result(
  verification: Verification,
  decision: { status: string; verifiedAge: number | null; confidence: number; reasons: string[] },
  documentType: string | null,
  processingTimeMs: number,
): V1Result {
  const status =
    decision.status === 'approved'
      ? 'verified'
      : decision.status === 'rejected'
        ? 'rejected'
        : 'review'
  return {
    request_id: verification.requestRef ?? verification.id,
    verification_id: verification.id,
    status,
    ...(decision.verifiedAge !== null && { verified_age: decision.verifiedAge }),
    confidence_score: decision.confidence,
    document_type: documentType,
    processing_time_ms: processingTimeMs,
    ...(decision.reasons.length > 0 && { reason: decision.reasons[0] }),
    metadata: verification.metadata ?? {},
  }
}

/** Records a policy result: the decision, and the person's fields encrypted. */
export async function decideWithPolicy(
  deps: Deps,
  tenant: Tenant,
  verification: Verification,
  policy: PolicyResult,
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
          v1: v1Result(
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

export type V1DocumentType =
  'passport' | 'drivers_license' | 'national_id' | 'residence_permit' | 'visa'

export interface OneShotInput {
  documentType: V1DocumentType
  bytes: Buffer
  verificationType: 'age_only' | 'full_verification'
  metadata: Record<string, unknown> | undefined
  webhookUrl: string | undefined
  testMode: boolean
  requestId: string
}

export type OneShotOutcome =
  | { kind: 'decided'; verification: Verification; body: V1Result }
  | { kind: 'accepted'; verification: Verification }

/**
 * Seed 001's test scenarios (test_mode or a test key): the image still goes through intake (a
 * bad file or a poor photo fails as it would live), then the document type picks the outcome.
 */
const TEST_SCENARIOS: Record<
  V1DocumentType,
  { status: 'approved' | 'rejected'; age: number | null; reason?: string }
> = {
  passport: { status: 'approved', age: 25 },
  drivers_license: { status: 'rejected', age: 17, reason: 'underage' },
  national_id: { status: 'rejected', age: null, reason: 'document_expired' },
  residence_permit: { status: 'approved', age: 25 },
  visa: { status: 'approved', age: 25 },
}

/** POST /v1/verify: one image, decided now (or, with a webhook URL, in the background). */
export async function verifyOneShot(
  deps: Deps,
  tenant: Tenant,
  apiKey: ApiKey,
  input: OneShotInput,
): Promise<OneShotOutcome> {
  const started = performance.now()
  if (input.bytes.length > MAX_IMAGE_BYTES)
    throw new ApiError('DOCUMENT_TOO_LARGE', 'Documents may be at most 10 MB')
  const test = input.testMode || apiKey.mode === 'test'
  const startInput = {
    surface: 'v1' as const,
    verificationType: input.verificationType,
    metadata: input.metadata,
    callbackUrl: input.webhookUrl,
    requestRef: input.requestId,
    mode: test ? ('test' as const) : ('live' as const),
  }
  if (input.webhookUrl !== undefined && !test) {
    // Asynchronous: keep the image, answer 202, decide in the worker, deliver by webhook.
    const { verification } = await startVerification(deps, tenant, apiKey, startInput)
    await storeImageForLater(deps, tenant, verification, input.bytes)
    return { kind: 'accepted', verification }
  }
  let read: InspectResult
  if (test) {
    const decoded = await decodeDocumentImage(new Uint8Array(input.bytes))
    read = decoded.ok ? quickQuality(decoded.image) : { ok: false, error: decoded.error }
  } else {
    read = await readDocument(deps, input.bytes)
  }
  refuseBadUpload(read)
  if (!read.ok && read.error.code === 'DOCUMENT_QUALITY_LOW') {
    throw new ApiError('DOCUMENT_QUALITY_LOW', read.error.message, {
      quality: read.error.quality ?? [],
    })
  }
  const { verification } = await startVerification(deps, tenant, apiKey, startInput)
  let completed: Completed
  if (test) {
    const scenario = TEST_SCENARIOS[input.documentType]
    completed = await decide(deps, tenant, verification, {
      status: scenario.status,
      reasons: scenario.reason ? [scenario.reason] : [],
      confidence: 0.98,
      verifiedAge: scenario.age,
      decidedBy: 'mock',
    })
  } else {
    const policy = decideFromEvidence(
      workflowOf(verification),
      [{ kind: 'document_front', result: read }],
      null,
    )
    completed = await decideWithPolicy(deps, tenant, verification, policy)
  }
  const decision = completed.verification.decision
  if (decision === null) throw new Error('decided verification without a decision')
  const data = extractedData(deps, completed.verification)
  const body = v1Result(
    completed.verification,
    decision,
    data?.documentType ?? (test ? input.documentType : null),
    Math.round(performance.now() - started),
  )
  if (input.verificationType === 'full_verification' && data) {
    body.extraction_data = { person: data.person, document: data.document, checks: data.checks }
  }
  if (completed.token) body.token = completed.token.token
  return { kind: 'decided', verification: completed.verification, body }
}

/** Test mode still refuses photos too poor to read (seed 001's poor_quality scenario). */
function quickQuality(image: Parameters<typeof assessQuality>[0]): InspectResult {
  const quality = assessQuality(image)
  if (quality.issues.length === 0) {
    return { ok: false, error: { code: 'DOCUMENT_NOT_FOUND', message: 'test mode: not read' } }
  }
  return {
    ok: false,
    error: {
      code: 'DOCUMENT_QUALITY_LOW',
      message: `The photo is ${quality.issues.join(', ')}; please provide a clearer image`,
      quality: quality.issues,
    },
  }
}

async function storeImageForLater(
  deps: Deps,
  tenant: Tenant,
  verification: Verification,
  bytes: Buffer,
): Promise<void> {
  const now = deps.clock.now().toISOString()
  const imageId = newId('img')
  const blobKey = `${verification.id}_${imageId}`
  await deps.blobs.put(blobKey, bytes)
  await deps.store.db.transaction().execute(async (trx) => {
    await insertImage(trx, {
      id: imageId,
      tenantId: tenant.id,
      verificationId: verification.id,
      kind: 'document_front',
      contentType: 'application/octet-stream',
      byteSize: bytes.length,
      width: null,
      height: null,
      blobKey,
      feedback: 'ok',
      readOk: 0,
      readDocumentType: null,
      readSealed: null,
      createdAt: now,
      purgedAt: null,
    })
    await trx
      .updateTable('verifications')
      .set({ status: 'processing', updatedAt: now })
      .where('id', '=', verification.id)
      .where('status', '=', 'pending')
      .execute()
    await enqueueProcessing(trx, tenant.id, verification.id, now)
  })
}

/** Queues the decision of a verification whose evidence is in (same transaction as the change). */
async function enqueueProcessing(
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
