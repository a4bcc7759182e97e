// The verification-sessions API: document verification sessions at /api/v1/verification — create a session, add
// images (JSON base64 or multipart), list and fetch them, read the result as a recommendation
// (ALLOW / DENY / CHALLENGE), delete. A thin adapter over the same services as the native
// surface; snake_case fields; errors in the 'verification' surface's shape. Authenticated with
// the tenant's API key or a 15-minute access token from POST /oidc/token.
import type { FastifyInstance } from 'fastify'
import multipart from '@fastify/multipart'
import { Type } from 'typebox'
import { callerOf, tenantOf } from '../../auth.ts'
import { typed } from '../../typed.ts'
import { ApiError } from '../../errors.ts'
import { DomainError } from '../../../domain/errors.ts'
import { ImageBytesReply } from '../../schemas.ts'
import { isId } from '../../../domain/ids.ts'
import type { ImageKind } from '../../../domain/decision.ts'
import { isDecided } from '../../../domain/verification.ts'
import type { Caller } from '../../../domain/tenants.ts'
import type { Deps } from '../../../deps.ts'
import { loadVerification, startVerification } from '../../../services/verifications.ts'
import {
  MAX_IMAGE_BYTES,
  addImage,
  extractedData,
  imageBytes,
  missingImages,
  purgeVerification,
  verificationImages,
} from '../../../services/documents.ts'
import type { AddedImage } from '../../../services/documents.ts'
import {
  AddImageReply,
  CreateBody,
  CreateReply,
  FlatSessionResult,
  ImageFormBody,
  ImageJsonBody,
  SessionImage,
  SessionParams,
  SessionResult,
  mockBehaviorFrom,
  sessionStatus,
  toFlatResult,
  toSessionResult,
  uploadOf,
} from './translate.ts'

export { VerificationError, mockBehaviorFrom, recommendationFor } from './translate.ts'

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
