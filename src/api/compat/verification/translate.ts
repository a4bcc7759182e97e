// The verification-sessions API's wire forms (/api/v1/verification): request and reply schemas
// (snake_case), the error body, and the translation between them and Loom's verifications —
// recommendation and session status from Loom's status words, mock_behavior to Loom's mock
// behaviours, the detailed and the older flat result, the uploaded image from either body.
import { Type } from 'typebox'
import type { Static } from 'typebox'
import { Value } from 'typebox/value'
import { ApiError } from '../../errors.ts'
import { Nullable } from '../../schemas.ts'
import { decodeBase64Field } from '../../base64.ts'
import { FeedbackSchema, ImageKindSchema } from '../../routes/documents.ts'
import type { ImageKind } from '../../../domain/decision.ts'
import { MOCK_BEHAVIORS } from '../../../domain/verification.ts'
import type { Decision, MockBehavior, VerificationStatus } from '../../../domain/verification.ts'
import type { Verification } from '../../../services/verifications.ts'
import type { ExtractedData } from '../../../services/documents.ts'

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

export const CreateBody = Type.Object(
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

export const CreateReply = Type.Object({
  start_token: Type.String({ description: 'Opens the hosted page: /s/{start_token}' }),
  session_id: Type.String(),
  expiration: Type.String({ format: 'date-time' }),
  missing_images: Type.Array(Type.String()),
})

const DeviceInfo = Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), {
  maxProperties: 50,
})
// The verification-sessions API elides the image object's other fields ("…"): they are accepted and ignored.
export const ImageJsonBody = Type.Object(
  {
    image: Type.Object({
      type: ImageKindSchema,
      data: Type.String({ minLength: 1, description: 'base64 (a data: URL prefix is fine)' }),
    }),
    device_info: Type.Optional(DeviceInfo),
  },
  { additionalProperties: false },
)
export const ImageFormBody = Type.Object(
  {
    type: ImageKindSchema,
    image: Type.Unsafe<Buffer>({
      description: 'The image file (JPEG, PNG, WebP, BMP, TIFF or PDF; ≤ 10 MB)',
    }),
    device_info: Type.Optional(Type.String({ maxLength: 16 * 1024, description: 'JSON text' })),
  },
  { additionalProperties: false },
)

export const AddImageReply = Type.Object({
  feedback: FeedbackSchema,
  message: Type.String(),
  complete: Type.Boolean(),
  missing_images: Type.Array(Type.String()),
  image_id: Type.String(),
})

export const SessionImage = Type.Object({
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

export const SessionResult = Type.Object({
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
export const FlatSessionResult = Type.Object({
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
export function toFlatResult(
  detailed: Static<typeof SessionResult>,
): Static<typeof FlatSessionResult> {
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

export const SessionParams = Type.Object({ sid: Type.String({ minLength: 1, maxLength: 64 }) })

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
export function sessionStatus(status: VerificationStatus): SessionStatus {
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
export function toSessionResult(
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

/**
 * The uploaded image from the body the route schema validated for its content type (re-checked
 * here so the compiler knows its shape; the form's `image` must be a file part, not text).
 */
export function uploadOf(isForm: boolean, body: unknown): { kind: ImageKind; bytes: Buffer } {
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
