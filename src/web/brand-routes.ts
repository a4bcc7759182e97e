// Tenants' logos for the hosted page (and the console's preview): public, since a logo is not
// personal data, and named by the PNG's hash, so a browser may keep one for a year.
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { typed } from '../api/typed.ts'
import { ApiError } from '../api/errors.ts'
import { isId } from '../domain/ids.ts'
import { logoPng } from '../services/tenant-logos.ts'

const LOGO_FILE = /^logo-([0-9a-f]{64})\.png$/

/** GET /brand/<tenantId>/logo-<sha256>.png */
export async function brandRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  app.get(
    '/brand/:tenantId/:file',
    {
      config: { auth: 'none', surface: 'native' },
      schema: {
        hide: true,
        params: Type.Object({
          tenantId: Type.String({ maxLength: 64 }),
          file: Type.String({ maxLength: 80 }),
        }),
      },
    },
    async (req, reply) => {
      const hash = LOGO_FILE.exec(req.params.file)?.[1]
      const png =
        hash !== undefined && isId('ten', req.params.tenantId)
          ? await logoPng(app.deps, req.params.tenantId, hash)
          : null
      if (png === null) throw new ApiError('NOT_FOUND', 'No such logo')
      return reply
        .type('image/png')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('x-content-type-options', 'nosniff')
        .send(png)
    },
  )
}
