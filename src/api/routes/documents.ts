// Native surface: images of a verification (upload with instant feedback, list, fetch), the
// detailed result with personal data, and deletion.
import { callerOf, tenantOf } from '../auth.ts'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { typed } from '../typed.ts'
import { ApiError } from '../errors.ts'
import { ImageBytesReply, IsoTime, Nullable, PublicResult } from '../schemas.ts'
import { decodeBase64Field } from '../base64.ts'
import { isId } from '../../domain/ids.ts'
import { publicResult, loadVerification } from '../../services/verifications.ts'
import { addImage, imageBytes, verificationImages } from '../../services/images.ts'
import { extractedData } from '../../services/decisions.ts'
import { purgeVerification } from '../../services/retention.ts'

export const ImageKindSchema = Type.Enum(['document_front', 'document_back', 'selfie'])
export const FeedbackSchema = Type.Enum([
  'ok',
  'blurry',
  'glare',
  'too_dark',
  'too_small',
  'no_document',
  'mrz_unreadable',
  'barcode_unreadable',
  'try_again',
  'no_face',
  'multiple_faces',
  'face_too_small',
  'face_cut_off',
])
const VerificationIdField = Type.String({ minLength: 1, maxLength: 64 })
const ImageMeta = Type.Object({
  imageId: Type.String(),
  type: Type.String(),
  contentType: Type.String(),
  byteSize: Type.Integer(),
  feedback: Type.String(),
  createdAt: IsoTime,
  purged: Type.Boolean(),
})
const errors = {
  400: { $ref: 'NativeError#' },
  401: { $ref: 'NativeError#' },
  404: { $ref: 'NativeError#' },
  409: { $ref: 'NativeError#' },
  413: { $ref: 'NativeError#' },
  429: { $ref: 'NativeError#' },
} as const

/** Native routes for document images, detailed results and deletion. */
export async function documentRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  const config = { auth: 'tenant', surface: 'native' } as const
  const security: { [name: string]: string[] }[] = [{ tenantKey: [] }, { bearer: [] }]
  const tags = ['documents']

  app.post(
    '/verify/images',
    {
      config,
      bodyLimit: app.deps.config.bodyLimitBytes,
      schema: {
        tags,
        security,
        summary: 'Add an image (document front/back or selfie) and get instant feedback',
        description:
          'The image is base64 (JPEG, PNG, WebP, a BMP or TIFF scan, or a PDF; at most 10 MB). `feedback` is `ok` or what to fix; once every required image is in, the verification is processed and `verification.completed` is sent.',
        body: Type.Object(
          {
            verificationId: VerificationIdField,
            type: ImageKindSchema,
            image: Type.String({
              minLength: 1,
              description: 'base64 (a data: URL prefix is fine)',
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            imageId: Type.String(),
            verificationId: Type.String(),
            type: Type.String(),
            feedback: FeedbackSchema,
            message: Type.String(),
            missingImages: Type.Array(Type.String()),
            complete: Type.Boolean(),
            status: Type.String(),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const bytes = decodeBase64Field(req.body.image, 'image')
      const added = await addImage(
        app.deps,
        callerOf(req),
        req.body.verificationId,
        req.body.type,
        bytes,
      )
      req.loomEvent = 'verification.image_added'
      return {
        imageId: added.image.id,
        verificationId: added.verification.id,
        type: added.image.kind,
        feedback: added.feedback,
        message: added.message,
        missingImages: added.missingImages,
        complete: added.complete,
        status: added.verification.status,
      }
    },
  )

  app.get(
    '/verify/images',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'The images of a verification (metadata only)',
        querystring: Type.Object(
          { verificationId: VerificationIdField },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ verificationId: Type.String(), images: Type.Array(ImageMeta) }),
          ...errors,
        },
      },
    },
    async (req) => {
      const { verification, images } = await verificationImages(
        app.deps,
        callerOf(req),
        req.query.verificationId,
      )
      return {
        verificationId: verification.id,
        images: images.map((i) => ({
          imageId: i.id,
          type: i.kind,
          contentType: i.contentType,
          byteSize: i.byteSize,
          feedback: i.feedback,
          createdAt: i.createdAt,
          purged: i.purgedAt !== null,
        })),
      }
    },
  )

  app.get(
    '/verify/images/:imageId',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'The image itself (tenant only; gone after deletion or the time to live)',
        params: Type.Object({ imageId: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object(
          { verificationId: VerificationIdField },
          { additionalProperties: false },
        ),
        response: { 200: ImageBytesReply, ...errors },
      },
    },
    async (req, reply) => {
      const verification = await loadVerification(app.deps, callerOf(req), req.query.verificationId)
      const { imageId } = req.params
      if (!isId('img', imageId)) throw new ApiError('IMAGE_NOT_FOUND', 'Image not found')
      const { bytes, contentType } = await imageBytes(
        app.deps,
        callerOf(req),
        verification.id,
        imageId,
      )
      return reply.header('cache-control', 'no-store').type(contentType).send(bytes)
    },
  )

  app.get(
    '/verify/result',
    {
      config,
      schema: {
        tags,
        security,
        summary:
          'The detailed result: decision, checks, and the person and document fields (personal data)',
        querystring: Type.Object(
          { verificationId: VerificationIdField },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            verificationId: Type.String(),
            status: Type.String(),
            result: Nullable(PublicResult),
            confidence: Nullable(Type.Number()),
            documentType: Nullable(Type.String()),
            source: Nullable(Type.String()),
            person: Nullable(Type.Record(Type.String(), Type.Unknown())),
            document: Nullable(Type.Record(Type.String(), Type.Unknown())),
            checks: Type.Array(
              Type.Object({
                name: Type.String(),
                outcome: Type.String(),
                detail: Type.Optional(Type.String()),
              }),
            ),
            purged: Type.Boolean(),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const verification = await loadVerification(app.deps, callerOf(req), req.query.verificationId)
      const data = extractedData(app.deps, verification)
      return {
        verificationId: verification.id,
        status: verification.status,
        result: verification.decision ? publicResult(verification.decision) : null,
        confidence: verification.confidence,
        documentType: data?.documentType ?? null,
        source: data?.source ?? null,
        person: data?.person ?? null,
        document: data?.document ?? null,
        checks: data?.checks ?? [],
        purged: verification.purgedAt !== null,
      }
    },
  )

  app.delete(
    '/verify/:verificationId',
    {
      config,
      schema: {
        tags,
        security,
        summary:
          'Delete a verification’s personal data now (images, fields, tokens); the decision stays',
        params: Type.Object({ verificationId: VerificationIdField }),
        response: {
          200: Type.Object({
            verificationId: Type.String(),
            deleted: Type.Literal(true),
            status: Type.String(),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const verification = await loadVerification(
        app.deps,
        callerOf(req),
        req.params.verificationId,
      )
      await purgeVerification(app.deps, tenantOf(req).id, verification.id, 'deleted')
      const after = await loadVerification(app.deps, callerOf(req), verification.id)
      req.loomEvent = 'verification.deleted'
      return { verificationId: verification.id, deleted: true as const, status: after.status }
    },
  )
}
