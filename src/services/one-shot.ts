// One document image verified in one call (`POST /v1/verify`): decided now, or, with a webhook
// URL, stored and decided by the worker, whose result is then delivered to that URL.
import type { Deps } from '../deps.ts'
import { DomainError } from '../domain/errors.ts'
import type { ApiKey, Tenant } from '../domain/tenants.ts'
import { newId } from '../domain/ids.ts'
import { decideFromEvidence } from '../domain/decision.ts'
import type { InspectResult, QualityIssue } from '../engine/types.ts'
import { insertImage } from '../store/images.ts'
import type { Verification } from '../store/verifications.ts'
import type { Decision } from '../domain/verification.ts'
import { MAX_IMAGE_BYTES, mediaTypeOf, readDocument, refuseBadUpload } from './document-reads.ts'
import { decideWithPolicy, enqueueProcessing, extractedData, workflowOf } from './decisions.ts'
import { decide, startVerification } from './verifications.ts'
import type { Completed } from './verifications.ts'
import { oneShotResult } from './one-shot-result.ts'
import type { OneShotResult } from './one-shot-result.ts'

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
  | { kind: 'decided'; verification: Verification; body: OneShotResult }
  | { kind: 'accepted'; verification: Verification }

/**
 * The one-shot API's documented test scenarios (test_mode or a test key): the image still goes through intake (a
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
    throw new DomainError('DOCUMENT_TOO_LARGE', 'Documents may be at most 10 MB')
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
    // (Test mode answers 202 too, below, once the image passed the checks it gets.)
    const { verification } = await startVerification(deps, tenant, apiKey, startInput)
    await storeImageForLater(deps, tenant, verification, input.bytes)
    return { kind: 'accepted', verification }
  }
  let read: InspectResult
  if (test) {
    const checked = await deps.engine.checkImage(
      new Uint8Array(input.bytes),
      deps.config.engineBudgetMs,
    )
    read = checked.ok ? quickQuality(checked.quality) : { ok: false, error: checked.error }
  } else {
    read = await readDocument(deps, input.bytes)
  }
  refuseBadUpload(read)
  if (!read.ok && read.error.code === 'DOCUMENT_QUALITY_LOW') {
    throw new DomainError('DOCUMENT_QUALITY_LOW', read.error.message, {
      quality: read.error.quality ?? [],
    })
  }
  const { verification } = await startVerification(deps, tenant, apiKey, startInput)
  let completed: Completed
  if (test) {
    const scenario = TEST_SCENARIOS[input.documentType]
    const mock: Decision = {
      status: scenario.status,
      reasons: scenario.reason ? [scenario.reason] : [],
      confidence: 0.98,
      verifiedAge: scenario.age,
      decidedBy: 'mock',
      method: 'mock',
    }
    if (input.webhookUrl !== undefined) {
      // The asynchronous path in test mode: decided now by the scenario, answered 202, and the
      // result delivered to the webhook URL by the worker, as a live request's would be.
      const v1 = oneShotResult(
        verification,
        mock,
        input.documentType,
        Math.round(performance.now() - started),
      )
      const accepted = await decide(deps, tenant, verification, mock, { eventExtras: { v1 } })
      return { kind: 'accepted', verification: accepted.verification }
    }
    completed = await decide(deps, tenant, verification, mock)
  } else {
    const policy = decideFromEvidence(
      workflowOf(deps, verification),
      [{ kind: 'document_front', result: read }],
      null,
    )
    completed = await decideWithPolicy(deps, tenant, verification, policy)
  }
  const decision = completed.verification.decision
  if (decision === null) throw new Error('decided verification without a decision')
  const data = extractedData(deps, completed.verification)
  const body = oneShotResult(
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

/** Test mode still refuses photos too poor to read (the documented poor_quality scenario). */
function quickQuality(issues: QualityIssue[]): InspectResult {
  if (issues.length === 0) {
    return { ok: false, error: { code: 'DOCUMENT_NOT_FOUND', message: 'test mode: not read' } }
  }
  return {
    ok: false,
    error: {
      code: 'DOCUMENT_QUALITY_LOW',
      message: `The photo is ${issues.join(', ')}; please provide a clearer image`,
      quality: issues,
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
      contentType: mediaTypeOf(bytes),
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
