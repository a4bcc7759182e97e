// The verification-sessions API: document verification sessions at /api/v1/verification — create a session, add
// images (JSON base64 or multipart), list and fetch them, read the result as a recommendation
// (ALLOW / DENY / CHALLENGE), delete. A thin adapter over the same services as the native
// surface; snake_case fields; errors in the 'verification' surface's shape. Authenticated with
// the tenant's API key or a 15-minute access token from POST /oidc/token.
import type { FastifyInstance } from 'fastify'
import multipart from '@fastify/multipart'
import { Type } from 'typebox'
import type { Static } from 'typebox'
import { Value } from 'typebox/value'
import { callerOf, tenantOf } from '../../auth.ts'
import { typed } from '../../typed.ts'
import { ApiError } from '../../errors.ts'
import { DomainError } from '../../../domain/errors.ts'
import { ImageBytesReply, Nullable } from '../../schemas.ts'
import { decodeBase64Field } from '../../base64.ts'
import { FeedbackSchema, ImageKindSchema } from '../../routes/documents.ts'
import { isId } from '../../../domain/ids.ts'
import type { ImageKind } from '../../../domain/decision.ts'
import { MOCK_BEHAVIORS, isDecided } from '../../../domain/verification.ts'
import type { Decision, MockBehavior, VerificationStatus } from '../../../domain/verification.ts'
import type { Caller } from '../../../domain/tenants.ts'
import type { Deps } from '../../../deps.ts'
import { loadVerification, startVerification } from '../../../services/verifications.ts'
import type { Verification } from '../../../services/verifications.ts'
import {
  MAX_IMAGE_BYTES,
  addImage,
  extractedData,
  imageBytes,
  missingImages,
  purgeVerification,
  verificationImages,
} from '../../../services/documents.ts'
import type { AddedImage, ExtractedData } from '../../../services/documents.ts'

export const VerificationError = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable, machine-readable error code' }),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
    request_id: Type.String({ description: 'Quote it when contacting support' }),
  },
  { $id: 'VerificationError', title: 'Error (/api/v1/verification surface)' },
)

const RECOMMENDATIONS = ['ALLOW', 'DENY', 'CHALLENGE'] as const
type Recommendation = (typeof RECOMMENDATIONS)[number]
/** The reasons a mocked DENY can give (each is one of Loom's mock behaviours). */
const MOCK_DENY_REASONS = {
  underage: 'reject_underage',
  document_expired: 'reject_expired',
  document_unreadable: 'document_unreadable',
  face_mismatch: 'face_mismatch',
} as const satisfies Record<string, MockBehavior>

const MockBehaviorField = Type.Union([
  Type.Enum([...RECOMMENDATIONS, ...MOCK_BEHAVIORS]),
  Type.Object(
    {
      recommendation: Type.Enum(RECOMMENDATIONS),
      reason: Type.Optional(
        Type.Enum(Object.keys(MOCK_DENY_REASONS) as (keyof typeof MOCK_DENY_REASONS)[]),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
])

const CreateBody = Type.Object(
  {
    callback_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    state: Type.Optional(Type.String({ maxLength: 512 })),
    time_to_live: Type.Optional(
      Type.String({ maxLength: 16, description: 'Duration such as "90d" (default 90d)' }),
    ),
    mock_behavior: Type.Optional(MockBehaviorField),
    auto_start: Type.Optional(Type.Boolean({ description: 'Deprecated: see `start`' })),
    start: Type.Optional(
      Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { maxProperties: 20 }),
    ),
  },
  { additionalProperties: false },
)

const CreateReply = Type.Object({
  start_token: Type.String({ description: 'Opens the hosted page: /s/{start_token}' }),
  session_id: Type.String(),
  expiration: Type.String({ format: 'date-time' }),
  missing_images: Type.Array(Type.String()),
})

const DeviceInfo = Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), {
  maxProperties: 50,
})
// The verification-sessions API elides the image object's other fields ("…"): they are accepted and ignored.
const ImageJsonBody = Type.Object(
  {
    image: Type.Object({
      type: ImageKindSchema,
      data: Type.String({ minLength: 1, description: 'base64 (a data: URL prefix is fine)' }),
    }),
    device_info: Type.Optional(DeviceInfo),
  },
  { additionalProperties: false },
)
const ImageFormBody = Type.Object(
  {
    type: ImageKindSchema,
    image: Type.Unsafe<Buffer>({ description: 'The image file (JPEG, PNG, WebP or PDF; ≤ 10 MB)' }),
    device_info: Type.Optional(Type.String({ maxLength: 16 * 1024, description: 'JSON text' })),
  },
  { additionalProperties: false },
)

const AddImageReply = Type.Object({
  feedback: FeedbackSchema,
  message: Type.String(),
  complete: Type.Boolean(),
  missing_images: Type.Array(Type.String()),
  image_id: Type.String(),
})

const SessionImage = Type.Object({
  id: Type.String(),
  type: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  feedback: Type.String(),
  content_type: Type.String(),
  size: Type.Integer(),
  deleted: Type.Boolean({ description: 'The bytes were deleted (DELETE or time to live)' }),
})

const SESSION_STATUSES = ['complete', 'incomplete', 'expired', 'abandoned', 'failed'] as const
type SessionStatus = (typeof SESSION_STATUSES)[number]

const SessionResult = Type.Object({
  session_id: Type.String(),
  status: Type.Enum(SESSION_STATUSES),
  recommendation: Type.Optional(Type.Enum(RECOMMENDATIONS)),
  missing_images: Type.Optional(Type.Array(Type.String())),
  person: Type.Optional(
    Type.Object({
      first_name: Nullable(Type.String()),
      last_name: Nullable(Type.String()),
      date_of_birth: Nullable(Type.String()),
      sex: Nullable(Type.String()),
      nationality: Nullable(Type.String()),
      age: Nullable(Type.Integer()),
    }),
  ),
  document: Type.Optional(
    Type.Object({
      type: Nullable(Type.String()),
      number: Nullable(Type.String()),
      issuing_country: Nullable(Type.String()),
      expiration_date: Nullable(Type.String()),
      issue_date: Nullable(Type.String()),
      source: Nullable(Type.String({ description: 'mrz or aamva (the PDF417 barcode)' })),
    }),
  ),
  additional_info: Type.Object({
    loom_status: Type.String({ description: 'Loom’s own status word for the verification' }),
    reasons: Type.Array(Type.String()),
    confidence: Nullable(Type.Number()),
    verified_age: Nullable(Type.Integer()),
    decided_by: Nullable(Type.String()),
    personal_data_deleted: Type.Boolean(),
  }),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
})

/**
 * The older, flat result (`?detailed=false`): the API names it without showing it, so Loom gives
 * the same facts one level deep, snake_case, the personal fields null once deleted.
 */
const FlatSessionResult = Type.Object({
  session_id: Type.String(),
  status: Type.Enum(SESSION_STATUSES),
  recommendation: Nullable(Type.Enum(RECOMMENDATIONS)),
  missing_images: Type.Array(Type.String()),
  first_name: Nullable(Type.String()),
  last_name: Nullable(Type.String()),
  date_of_birth: Nullable(Type.String()),
  age: Nullable(Type.Integer()),
  document_type: Nullable(Type.String()),
  document_number: Nullable(Type.String()),
  issuing_country: Nullable(Type.String()),
  expiration_date: Nullable(Type.String()),
  reasons: Type.Array(Type.String()),
})

/** The detailed result in the older flat shape. */
function toFlatResult(detailed: Static<typeof SessionResult>): Static<typeof FlatSessionResult> {
  return {
    session_id: detailed.session_id,
    status: detailed.status,
    recommendation: detailed.recommendation ?? null,
    missing_images: detailed.missing_images ?? [],
    first_name: detailed.person?.first_name ?? null,
    last_name: detailed.person?.last_name ?? null,
    date_of_birth: detailed.person?.date_of_birth ?? null,
    age: detailed.additional_info.verified_age,
    document_type: detailed.document?.type ?? null,
    document_number: detailed.document?.number ?? null,
    issuing_country: detailed.document?.issuing_country ?? null,
    expiration_date: detailed.document?.expiration_date ?? null,
    reasons: detailed.additional_info.reasons,
  }
}

const SessionParams = Type.Object({ sid: Type.String({ minLength: 1, maxLength: 64 }) })

/** The verification-sessions API's recommendation for a decided verification. */
export function recommendationFor(decision: Decision['status']): Recommendation {
  switch (decision) {
    case 'approved':
      return 'ALLOW'
    case 'rejected':
      return 'DENY'
    case 'review':
      return 'CHALLENGE'
  }
}

/** The verification-sessions API's session status for one of Loom's statuses. */
function sessionStatus(status: VerificationStatus): SessionStatus {
  switch (status) {
    case 'approved':
    case 'rejected':
    case 'review':
      return 'complete'
    case 'pending':
    case 'in_progress':
    case 'processing':
      return 'incomplete'
    case 'expired':
    case 'abandoned':
    case 'failed':
      return status
  }
}

/** The verification-sessions API's mock_behavior (a recommendation, or one of Loom's names) as Loom's mock behaviour. */
export function mockBehaviorFrom(
  value: Static<typeof MockBehaviorField> | undefined,
): MockBehavior | undefined {
  if (value === undefined || value === null) return undefined
  const { recommendation, reason } =
    typeof value === 'string'
      ? { recommendation: value, reason: undefined }
      : { recommendation: value.recommendation, reason: value.reason }
  if (recommendation === 'ALLOW') return 'approve'
  if (recommendation === 'CHALLENGE') return 'review'
  if (recommendation === 'DENY') return MOCK_DENY_REASONS[reason ?? 'underage']
  return recommendation
}

/** The verification-sessions API's result body for a session, from its decision and (while held) its personal data. */
function toSessionResult(
  session: Verification,
  data: ExtractedData | null,
  missing: ImageKind[],
): Static<typeof SessionResult> {
  const status = sessionStatus(session.status)
  const decision = session.decision
  return {
    session_id: session.id,
    status,
    ...(decision !== null && { recommendation: recommendationFor(decision.status) }),
    ...(status === 'incomplete' && { missing_images: missing }),
    ...(data?.person && {
      person: {
        first_name: data.person.firstName,
        last_name: data.person.lastName,
        date_of_birth: data.person.dateOfBirth,
        sex: data.person.sex,
        nationality: data.person.nationality,
        age: decision?.verifiedAge ?? null,
      },
    }),
    ...(data?.document && {
      document: {
        type: data.documentType,
        number: data.document.number,
        issuing_country: data.document.issuer,
        expiration_date: data.document.expiryDate,
        issue_date: data.document.issueDate,
        source: data.source,
      },
    }),
    additional_info: {
      loom_status: session.status,
      reasons: decision?.reasons ?? [],
      confidence: session.confidence,
      verified_age: decision?.verifiedAge ?? null,
      decided_by: decision?.decidedBy ?? null,
      personal_data_deleted: session.purgedAt !== null,
    },
    ...(data && { checks: Object.fromEntries(data.checks.map((c) => [c.name, c.outcome])) }),
  }
}

/**
 * addImage, with a closed session explained in the verification-sessions API's terms: a decided session has all its
 * images ("409 All required images were successfully submitted"), an expired one is gone (410).
 */
async function addSessionImage(
  deps: Deps,
  caller: Caller,
  sessionId: string,
  kind: ImageKind,
  bytes: Buffer,
): Promise<AddedImage> {
  try {
    return await addImage(deps, caller, sessionId, kind, bytes)
  } catch (err) {
    if (!(err instanceof DomainError) || err.code !== 'VERIFICATION_ALREADY_COMPLETED') throw err
    const session = await loadVerification(deps, caller, sessionId)
    if (session.status === 'expired') {
      throw new ApiError('VERIFICATION_EXPIRED', `Session ${session.id} has expired`)
    }
    if (isDecided(session.status)) {
      throw new ApiError(
        'VERIFICATION_IMAGES_COMPLETE',
        'All required images were successfully submitted; the session takes no more',
      )
    }
    throw err
  }
}

/**
 * The uploaded image from the body the route schema validated for its content type (re-checked
 * here so the compiler knows its shape; the form's `image` must be a file part, not text).
 */
function uploadOf(isForm: boolean, body: unknown): { kind: ImageKind; bytes: Buffer } {
  if (!isForm && Value.Check(ImageJsonBody, body)) {
    return { kind: body.image.type, bytes: decodeBase64Field(body.image.data, 'image.data') }
  }
  if (isForm && Value.Check(ImageFormBody, body) && Buffer.isBuffer(body.image)) {
    return { kind: body.type, bytes: body.image }
  }
  throw new ApiError(
    'INVALID_REQUEST_BODY',
    isForm ? 'image must be a file part of the form' : 'image is invalid',
  )
}

/** The verification-sessions API's routes under /api/v1/verification. */
export async function verificationSessionRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  const { deps } = app
  const config = { auth: 'tenant', surface: 'verification', acceptsAccessToken: true } as const
  const security: { [name: string]: string[] }[] = [{ bearer: [] }, { tenantKey: [] }]
  const tags = ['verification']
  const errors = {
    400: { $ref: 'VerificationError#' },
    401: { $ref: 'VerificationError#' },
    404: { $ref: 'VerificationError#' },
    409: { $ref: 'VerificationError#' },
    410: { $ref: 'VerificationError#' },
    413: { $ref: 'VerificationError#' },
    415: { $ref: 'VerificationError#' },
    429: { $ref: 'VerificationError#' },
  } as const

  app.post(
    '/api/v1/verification',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Create a verification session',
        description:
          '`mock_behavior` (test keys only) decides the session without reading the documents once its images are in: `ALLOW`, `DENY`, `CHALLENGE`, `{"recommendation": "DENY", "reason": "document_expired"}`, or a Loom mock behaviour (`approve`, `reject_underage`, …). The session takes images at once; `auto_start` and `start` are accepted for compatibility and change nothing. `expiration` is when the session and its data are deleted (`time_to_live`, default 90d).',
        body: CreateBody,
        response: { 200: CreateReply, ...errors },
      },
    },
    async (req) => {
      const b = req.body
      const { verification, sessionUrl } = await startVerification(
        deps,
        tenantOf(req),
        req.apiKey!,
        {
          surface: 'verification',
          callbackUrl: b.callback_url,
          state: b.state,
          timeToLive: b.time_to_live,
          mockBehavior: mockBehaviorFrom(b.mock_behavior),
        },
      )
      req.loomEvent = 'verification.started'
      return {
        start_token: sessionUrl.slice(sessionUrl.lastIndexOf('/s/') + 3),
        session_id: verification.id,
        expiration: verification.expiresAt,
        missing_images: missingImages(verification, []),
      }
    },
  )

  // Multipart is parsed only here (an encapsulated context): every other route, including the
  // rest of this surface, still answers multipart with 415.
  await app.register(async (scope) => {
    // Busboy reports a malformed form (no boundary, cut short) as a plain Error, which would be
    // a 500: an error without a status while the body is being read is the client's (400).
    // Marked before the multipart hook runs (hooks run in the order they were added).
    const readingBody = new WeakSet<object>()
    scope.addHook('preValidation', async (req) => {
      readingBody.add(req)
    })
    scope.addHook('preHandler', async (req) => {
      readingBody.delete(req)
    })
    scope.setErrorHandler((err: unknown, req) => {
      const hasStatus = err instanceof Error && 'statusCode' in err
      if (readingBody.has(req) && req.isMultipart() && !hasStatus) {
        throw new ApiError('INVALID_REQUEST_BODY', 'The multipart/form-data body is malformed')
      }
      throw err
    })
    await scope.register(multipart, {
      attachFieldsToBody: 'keyValues',
      throwFileSizeLimit: true,
      limits: { fileSize: MAX_IMAGE_BYTES, files: 1, fields: 4, parts: 5, fieldSize: 16 * 1024 },
    })
    typed(scope).post(
      '/api/v1/verification/:sid/images',
      {
        config,
        bodyLimit: deps.config.bodyLimitBytes,
        schema: {
          tags,
          security,
          summary: 'Add an image (document front/back or selfie) and get instant feedback',
          description:
            'JSON `{image: {type, data: base64}, device_info}` or `multipart/form-data` with the fields `type` and `image` (a file; optional `device_info` as JSON text). At most 10 MB. `feedback` is `ok` or what to fix; once every required image is in (`complete: true`), the session is processed and its result can be polled. 409 once every required image was submitted. `device_info` is accepted and not stored.',
          params: SessionParams,
          body: {
            content: {
              'application/json': { schema: ImageJsonBody },
              'multipart/form-data': { schema: ImageFormBody },
            },
          },
          response: { 200: AddImageReply, ...errors },
        },
      },
      async (req) => {
        const { kind, bytes } = uploadOf(req.isMultipart(), req.body)
        const added = await addSessionImage(deps, callerOf(req), req.params.sid, kind, bytes)
        req.loomEvent = 'verification.image_added'
        return {
          feedback: added.feedback,
          message: added.message,
          complete: added.complete,
          missing_images: added.missingImages,
          image_id: added.image.id,
        }
      },
    )
  })

  app.get(
    '/api/v1/verification/:sid/images',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'The images of a session (metadata only)',
        params: SessionParams,
        response: {
          200: Type.Object({ session_images: Type.Array(SessionImage) }),
          ...errors,
        },
      },
    },
    async (req) => {
      const { images } = await verificationImages(deps, callerOf(req), req.params.sid)
      return {
        session_images: images.map((i) => ({
          id: i.id,
          type: i.kind,
          created_at: i.createdAt,
          feedback: i.feedback,
          content_type: i.contentType,
          size: i.byteSize,
          deleted: i.purgedAt !== null,
        })),
      }
    },
  )

  app.get(
    '/api/v1/verification/:sid/images/:id',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'The image itself (gone after deletion or the time to live)',
        params: Type.Object({
          sid: SessionParams.properties.sid,
          id: Type.String({ minLength: 1, maxLength: 64 }),
        }),
        response: { 200: ImageBytesReply, ...errors },
      },
    },
    async (req, reply) => {
      const session = await loadVerification(deps, callerOf(req), req.params.sid)
      if (!isId('img', req.params.id)) throw new ApiError('IMAGE_NOT_FOUND', 'Image not found')
      const { bytes, contentType } = await imageBytes(
        deps,
        callerOf(req),
        session.id,
        req.params.id,
      )
      return reply.header('cache-control', 'no-store').type(contentType).send(bytes)
    },
  )

  app.get(
    '/api/v1/verification/:sid/result',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'The result: recommendation, person and document (personal data), checks',
        description:
          'A decided session is `complete` with `recommendation` ALLOW (approved), DENY (rejected) or CHALLENGE (review). Until then it is `incomplete` with the `missing_images`. `detailed=false` returns the older flat structure (the same facts one level deep); `true` or no value returns this one.',
        params: SessionParams,
        querystring: Type.Object(
          { detailed: Type.Optional(Type.Boolean({ deprecated: true })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Union([SessionResult, FlatSessionResult]), ...errors },
      },
    },
    async (req) => {
      const { verification: session, images } = await verificationImages(
        deps,
        callerOf(req),
        req.params.sid,
      )
      const missing =
        sessionStatus(session.status) === 'incomplete' ? missingImages(session, images) : []
      const detailed = toSessionResult(session, extractedData(deps, session), missing)
      return req.query.detailed === false ? toFlatResult(detailed) : detailed
    },
  )

  app.delete(
    '/api/v1/verification/:sid',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Delete a session’s personal data (images, person and document fields)',
        params: SessionParams,
        response: {
          200: Type.Object({ session_id: Type.String(), deleted: Type.Literal(true) }),
          ...errors,
        },
      },
    },
    async (req) => {
      const session = await loadVerification(deps, callerOf(req), req.params.sid)
      await purgeVerification(deps, tenantOf(req).id, session.id, 'deleted')
      req.loomEvent = 'verification.deleted'
      return { session_id: session.id, deleted: true as const }
    },
  )
}
