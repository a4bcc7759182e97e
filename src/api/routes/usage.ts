// Usage for billing: the tenant's own view (GET /usage) and the operator's (GET /admin/usage).
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { typed } from '../typed.ts'
import { tenantOf } from '../auth.ts'
import { Nullable } from '../schemas.ts'
import { currentMonth, usageFor, usageReport } from '../../services/usage.ts'

const Month = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM (UTC)' })

export const UsageView = Type.Object({
  month: Type.String(),
  used: Type.Integer({ description: 'Billable units: live verifications started' }),
  quota: Type.Integer(),
  remaining: Type.Integer({ description: 'Units left within the quota' }),
  overage: Type.Integer({ description: 'Units used beyond the quota (only with allowOverage)' }),
  allowOverage: Type.Boolean(),
  hardLimit: Nullable(Type.Integer()),
  days: Type.Array(Type.Object({ date: Type.String(), units: Type.Integer() })),
})

function csvField(value: string | number): string {
  const text = String(value)
  // Quote everything textual; neutralise spreadsheet formulas (CSV injection) in tenant names.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text
  return `"${safe.replaceAll('"', '""')}"`
}

/** GET /usage (tenant) and GET /admin/usage (operator). */
export async function usageRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)

  app.get(
    '/usage',
    {
      config: { auth: 'tenant', surface: 'native' },
      schema: {
        tags: ['usage'],
        security: [{ tenantKey: [] }, { bearer: [] }],
        summary: 'Your usage this month (or ?month=YYYY-MM), per day, against your quota',
        querystring: Type.Object({ month: Type.Optional(Month) }, { additionalProperties: false }),
        response: { 200: UsageView, 400: { $ref: 'NativeError#' }, 401: { $ref: 'NativeError#' } },
      },
    },
    async (req) =>
      usageFor(app.deps, tenantOf(req), req.query.month ?? currentMonth(app.deps.clock.now())),
  )

  const AdminUsageRow = Type.Object({
    tenantId: Type.String(),
    name: Type.String(),
    plan: Type.String(),
    month: Type.String(),
    units: Type.Integer(),
    quota: Type.Integer(),
    overage: Type.Integer(),
  })

  app.get(
    '/admin/usage',
    {
      config: { auth: 'admin', surface: 'native' },
      schema: {
        tags: ['admin'],
        security: [{ adminKey: [] }],
        summary: 'Every tenant’s billable units in a month, as JSON or CSV (?format=csv)',
        querystring: Type.Object(
          { month: Type.Optional(Month), format: Type.Optional(Type.Enum(['json', 'csv'])) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ month: Type.String(), tenants: Type.Array(AdminUsageRow) }),
          400: { $ref: 'NativeError#' },
          401: { $ref: 'NativeError#' },
        },
      },
    },
    async (req, reply) => {
      const month = req.query.month ?? currentMonth(app.deps.clock.now())
      const rows = await usageReport(app.deps, month)
      const wantsCsv =
        req.query.format === 'csv' ||
        (req.query.format === undefined && /text\/csv/.test(req.headers.accept ?? ''))
      if (wantsCsv) {
        const header = 'tenant_id,name,plan,month,units,quota,overage'
        const lines = rows.map((r) =>
          [r.tenantId, r.name, r.plan, r.month, r.units, r.quota, r.overage]
            .map(csvField)
            .join(','),
        )
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="loom-usage-${month}.csv"`)
          .serializer((payload: string) => payload)
          .send([header, ...lines].join('\r\n') + '\r\n')
      }
      return { month, tenants: rows }
    },
  )
}
