// Schema pieces shared by routes.
import { Type } from 'typebox'
import { ATTESTATION_METHODS } from '../domain/verification.ts'
import type { TSchema } from 'typebox'

/** Free text a person typed: no control characters (NUL cannot be stored), bounded length. */
export function Text(maxLength: number, options: Record<string, unknown> = {}) {
  return Type.String({
    minLength: 1,
    maxLength,
    pattern: '^[^\\p{Cc}\\p{Cs}]*$',
    ...options,
  })
}

export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()])
}

export const IsoTime = Type.String({ format: 'date-time' })

/** What a stored document image can be: intake refuses every other type (HEIC included). */
export const IMAGE_MEDIA_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/bmp',
  'image/tiff',
  'application/pdf',
] as const

/**
 * The 200 of a route that answers with an image's own bytes, served as the type they are (read
 * from the bytes). Fastify sends a Buffer as it is: these schemas only document the answer.
 */
export const ImageBytesReply = {
  description: 'The image’s bytes, as the type they are',
  content: Object.fromEntries(
    IMAGE_MEDIA_TYPES.map((type) => [type, { schema: { type: 'string', format: 'binary' } }]),
  ),
}

/** A decision as every surface shows it to the tenant: no personal data. */
export const PublicResult = Type.Object({
  verified: Type.Boolean(),
  verifiedAge: Nullable(Type.Integer()),
  over18: Type.Boolean(),
  reason: Nullable(Type.String()),
  reasons: Type.Array(Type.String()),
  method: Type.Enum(ATTESTATION_METHODS, {
    description:
      'What the decision rests on: document, document+face, age_estimation, tenant_attested (your own /verify/submit), manual_review (a reviewer of yours settled it in the console) or mock (a test-mode mock behaviour)',
  }),
})

/**
 * The envelope of every event Loom sends: the body of each webhook delivery and each item of
 * GET /events. `data` holds the event's details, e.g. `{ verificationId, status, result }` for
 * verification.completed.
 */
export const WebhookEvent = Type.Object({
  id: Type.String({ description: 'The event id (evt_…): the same for every target of the event' }),
  type: Type.String({ description: 'e.g. verification.completed' }),
  createdAt: IsoTime,
  verificationId: Type.String(),
  metadata: Nullable(Type.Record(Type.String(), Type.Unknown())),
  externalId: Nullable(Type.String()),
  mode: Nullable(Type.String({ description: 'live or test; null once the verification is gone' })),
  data: Type.Record(Type.String(), Type.Unknown()),
})
