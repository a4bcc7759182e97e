// What a route plugin needs of the app, without importing app.ts: the TypeBox-typed instance,
// and (through types.ts) what Loom adds to Fastify's instance, request and route config.
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import './types.ts'

/** The app with TypeBox typing of route schemas. */
export function typed(app: FastifyInstance) {
  return app.withTypeProvider<TypeBoxTypeProvider>()
}
export type TypedApp = ReturnType<typeof typed>
