// The operator sets or removes a tenant's logo (PUT/DELETE /admin/tenants/:id/logo). The body is
// the image itself; the engine re-encodes it before anything is stored.
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { typed } from '../typed.ts'
import { ApiError } from '../errors.ts'
import { TenantView, tenantView } from './tenant-view.ts'
import { keysOf } from '../../services/admin.ts'
import { MAX_LOGO_BYTES, removeTenantLogo, setTenantLogo } from '../../services/tenant-logos.ts'

export const LOGO_MEDIA_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const
const WRONG_TYPE = `Send the logo as ${LOGO_MEDIA_TYPES.join(', ')} (SVG is not accepted)`

const TenantParams = Type.Object({ id: Type.String({ maxLength: 64 }) })
const errors = {
  400: { $ref: 'NativeError#' },
  401: { $ref: 'NativeError#' },
  404: { $ref: 'NativeError#' },
} as const

/** Logo routes, registered inside the /admin plugin (the raw image parsers stay in this scope). */
export async function tenantLogoRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  const { deps } = app
  const config = { auth: 'admin', surface: 'native' } as const
  const security = [{ adminKey: [] }]

  for (const type of LOGO_MEDIA_TYPES) {
    app.addContentTypeParser(
      type,
      { parseAs: 'buffer', bodyLimit: MAX_LOGO_BYTES },
      (_req, body, done) => done(null, body),
    )
  }
  // Any other type (SVG above all: it can carry script) is refused with a hint, not parsed.
  app.addContentTypeParser('*', (_req, _payload, done) =>
    done(new ApiError('UNSUPPORTED_MEDIA_TYPE', WRONG_TYPE)),
  )

  app.put(
    '/tenants/:id/logo',
    {
      config,
      bodyLimit: MAX_LOGO_BYTES,
      schema: {
        tags: ['admin'],
        security,
        summary: 'Set the logo the hosted page shows',
        description: `The body is the image: ${LOGO_MEDIA_TYPES.join(', ')}, at most ${MAX_LOGO_BYTES / 1024} KB (SVG is refused with 415). It is decoded and re-encoded as a PNG of at most 480×160 pixels without metadata, served at \`logoUrl\`.`,
        params: TenantParams,
        // Documents the raw image body: `format` applies to strings only, so the parsed Buffer
        // passes (a `type: 'string'` would refuse it).
        body: {
          content: Object.fromEntries(
            LOGO_MEDIA_TYPES.map((type) => [type, { schema: { format: 'binary' } }]),
          ),
        },
        response: {
          200: TenantView,
          ...errors,
          413: { $ref: 'NativeError#' },
          415: { $ref: 'NativeError#' },
        },
      },
    },
    async (req) => {
      const bytes: unknown = req.body
      if (!Buffer.isBuffer(bytes)) {
        throw new ApiError('UNSUPPORTED_MEDIA_TYPE', WRONG_TYPE)
      }
      if (bytes.length === 0)
        throw new ApiError('INVALID_REQUEST_BODY', 'Send the image as the body')
      const tenant = await setTenantLogo(deps, req.params.id, bytes)
      app.tenantAuth.invalidate()
      req.loomEvent = 'tenant.updated'
      return tenantView(tenant, await keysOf(deps, tenant.id))
    },
  )

  app.delete(
    '/tenants/:id/logo',
    {
      config,
      schema: {
        tags: ['admin'],
        security,
        summary: 'Remove the logo from the hosted page',
        params: TenantParams,
        response: { 200: TenantView, ...errors },
      },
    },
    async (req) => {
      const tenant = await removeTenantLogo(deps, req.params.id)
      app.tenantAuth.invalidate()
      req.loomEvent = 'tenant.updated'
      return tenantView(tenant, await keysOf(deps, tenant.id))
    },
  )
}
