// The one-shot API: POST /v1/verify — one base64 document image, decided now (200), or with a
// webhook_url accepted (202) and delivered later. Errors in the one-shot API's shape (surface 'v1').
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { ATTESTATION_METHODS } from '../../../domain/verification.ts'
import { typed } from '../../typed.ts'
import { tenantOf } from '../../auth.ts'
import { ApiError } from '../../errors.ts'
import { decodeBase64Field } from '../../base64.ts'
import { verifyOneShot } from '../../../services/one-shot.ts'
import { webhookUrlProblem } from '../../../jobs/ssrf.ts'

export const V1Error = Type.Object(
  {
    request_id: Type.String(),
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { $id: 'V1Error', title: 'Error (/v1 surface)' },
)

const Body = Type.Object(
  {
    document_type: Type.Enum([
      'passport',
      'drivers_license',
      'national_id',
      'residence_permit',
      'visa',
    ]),
    document_data: Type.String({
      minLength: 1,
      description: 'Base64 JPEG, PNG, WebP, BMP, TIFF or PDF (≤ 10 MB)',
    }),
    verification_type: Type.Optional(Type.Enum(['age_only', 'full_verification'])),
    metadata: Type.Optional(
      Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { maxProperties: 50 }),
    ),
    webhook_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    test_mode: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

const Decided = Type.Object({
  request_id: Type.String(),
  verification_id: Type.String(),
  status: Type.Enum(['verified', 'rejected', 'review', 'error']),
  verified_age: Type.Optional(Type.Integer()),
  confidence_score: Type.Number(),
  document_type: Type.Union([Type.String(), Type.Null()]),
  processing_time_ms: Type.Integer(),
  reason: Type.Optional(Type.String()),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  extraction_data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  token: Type.Optional(Type.String({ description: 'Age token (JWT) when verified' })),
  test_mode: Type.Boolean({
    description:
      'true when this is a test-mode result (test_mode or a test key): mock data, and its token never validates for a live key',
  }),
  method: Type.Enum(ATTESTATION_METHODS, {
    description: 'What the result rests on: document, document+face, or mock (test mode)',
  }),
})

const Accepted = Type.Object({
  request_id: Type.String(),
  verification_id: Type.String(),
  status: Type.Literal('processing'),
  estimated_time_seconds: Type.Integer(),
  webhook_url: Type.String(),
})

/** POST /v1/verify. */
export async function v1VerifyRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  const errors = {
    400: { $ref: 'V1Error#' },
    401: { $ref: 'V1Error#' },
    413: { $ref: 'V1Error#' },
    429: { $ref: 'V1Error#' },
  } as const
  app.post(
    '/v1/verify',
    {
      config: { auth: 'tenant', surface: 'v1' },
      bodyLimit: app.deps.config.bodyLimitBytes,
      schema: {
        tags: ['v1'],
        security: [{ bearer: [] }],
        summary: 'Verify a document image in one call',
        description:
          'Send `Authorization: Bearer <key>`. Without `webhook_url` the answer is the decision (200). With it, 202 now and the result later as a `verification.completed` webhook whose `data.v1` has this same shape. `test_mode` (or a test key) never counts as usage and follows the documented test scenarios: passport → verified (25), drivers_license → rejected (17, underage), national_id → rejected (document_expired); a poor photo is 400 DOCUMENT_QUALITY_LOW.',
        headers: Type.Object({ 'x-request-id': Type.Optional(Type.String({ maxLength: 128 })) }),
        body: Body,
        response: { 200: Decided, 202: Accepted, ...errors },
      },
    },
    async (req, reply) => {
      const b = req.body
      if (b.webhook_url !== undefined) {
        const problem = webhookUrlProblem(b.webhook_url, app.deps.config.allowPrivateWebhooks)
        if (problem !== null) throw new ApiError('INVALID_REQUEST_BODY', `webhook_url ${problem}`)
      }
      const outcome = await verifyOneShot(app.deps, tenantOf(req), req.apiKey!, {
        documentType: b.document_type,
        bytes: decodeBase64Field(b.document_data, 'document_data'),
        verificationType: b.verification_type ?? 'age_only',
        metadata: b.metadata,
        webhookUrl: b.webhook_url,
        testMode: b.test_mode ?? false,
        requestId: req.id,
      })
      req.loomEvent = 'verification.one_shot'
      if (outcome.kind === 'accepted') {
        return reply.status(202).send({
          request_id: req.id,
          verification_id: outcome.verification.id,
          status: 'processing' as const,
          estimated_time_seconds: 5,
          webhook_url: b.webhook_url ?? '',
        })
      }
      return reply.status(200).send(outcome.body)
    },
  )
}
