// Admin API for console accounts: the operator creates a tenant's first owner (with a password,
// or an invitation link the owner opens), and later users are invited from the console itself.
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { typed } from '../api/typed.ts'
import { ApiError } from '../api/errors.ts'
import { CONSOLE_ROLES, ConsoleInputError, createConsoleUser } from './accounts.ts'
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './passwords.ts'

const ConsoleUserReply = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  email: Type.String(),
  role: Type.String(),
  inviteUrl: Type.Union([Type.String(), Type.Null()], {
    description:
      'Set when no password was given: the link (valid 7 days) to choose one; shown once',
  }),
  createdAt: Type.String(),
})

export async function consoleAdminRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  app.post(
    '/tenants/:tenantId/console-users',
    {
      config: { auth: 'admin', surface: 'native' },
      schema: {
        tags: ['admin'],
        security: [{ adminKey: [] }],
        summary: 'Create a console user of a tenant (e.g. its first owner)',
        params: Type.Object({ tenantId: Type.String({ maxLength: 100 }) }),
        body: Type.Object(
          {
            email: Type.String({ minLength: 3, maxLength: 320 }),
            role: Type.Union(CONSOLE_ROLES.map((r) => Type.Literal(r))),
            password: Type.Optional(
              Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: ConsoleUserReply,
          400: { $ref: 'NativeError#' },
          401: { $ref: 'NativeError#' },
          404: { $ref: 'NativeError#' },
          409: { $ref: 'NativeError#' },
        },
      },
    },
    async (req, reply) => {
      try {
        const { user, inviteToken } = await createConsoleUser(app.deps, {
          tenantId: req.params.tenantId,
          ...req.body,
        })
        return await reply.status(201).send({
          id: user.id,
          tenantId: user.tenantId,
          email: user.email,
          role: user.role,
          inviteUrl:
            inviteToken === null
              ? null
              : `${app.deps.config.publicUrl}/console/invite/${inviteToken}`,
          createdAt: user.createdAt,
        })
      } catch (err) {
        if (!(err instanceof ConsoleInputError)) throw err
        if (err.code === 'tenant_unknown')
          throw new ApiError('TENANT_NOT_FOUND', `Tenant ${req.params.tenantId} not found`)
        if (err.code === 'email_taken')
          throw new ApiError(
            'INVALID_REQUEST_BODY',
            'That email already has a console account in this tenant',
          )
        throw new ApiError('INVALID_REQUEST_BODY', `Invalid console user: ${err.code}`)
      }
    },
  )
}
