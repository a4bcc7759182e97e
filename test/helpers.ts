// Shared test harness: real stores (SQLite file and a PostgreSQL schema of its own), real apps.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { Redis } from 'ioredis'
import { expect, inject } from 'vitest'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { pino } from 'pino'
import { loadConfig } from '../src/config.ts'
import type { Config } from '../src/config.ts'
import { buildDeps } from '../src/deps.ts'
import type { Clock, Deps } from '../src/deps.ts'
import { buildApp } from '../src/api/app.ts'

export type DialectName = 'sqlite' | 'postgres'

export interface TestDatabase {
  dialect: DialectName
  env: Record<string, string>
  drop(): Promise<void>
}

/** The dialects this run can test; PostgreSQL only when global setup found it. */
export function dialects(): DialectName[] {
  return inject('testDatabaseUrl') ? ['sqlite', 'postgres'] : ['sqlite']
}

export function testRedisUrl(): string | null {
  return inject('testRedisUrl')
}

function randomName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`
}

/** A fresh empty database: a temp SQLite dir, or a new PostgreSQL schema dropped afterwards. */
export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-test-'))
  if (dialect === 'sqlite') {
    return {
      dialect,
      env: { LOOM_DATA_DIR: dataDir },
      drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    }
  }
  const url = inject('testDatabaseUrl')
  if (!url) throw new Error('PostgreSQL is not available to this test run')
  const schema = randomName('loom_t')
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`create schema ${schema}`)
  await admin.end()
  return {
    dialect,
    env: { LOOM_DATA_DIR: dataDir, DATABASE_URL: url, DATABASE_SCHEMA: schema },
    drop: async () => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      await client.query(`drop schema if exists ${schema} cascade`)
      await client.end()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef'

export interface TestApp {
  app: FastifyInstance
  deps: Deps
  config: Config
  db: TestDatabase
  close(): Promise<void>
}

/** Starts `app` listening on a free local port; its base URL, `http://127.0.0.1:PORT`. */
export async function listenLocally(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening')
  return `http://127.0.0.1:${address.port}`
}

/** Builds deps and app on a fresh database; `close()` tears everything down. */
export async function startTestApp(
  dialect: DialectName,
  options: { env?: Record<string, string>; clock?: Clock; logLines?: string[] } = {},
): Promise<TestApp> {
  const db = await createTestDatabase(dialect)
  const config = loadConfig({
    LOOM_ADMIN_KEY: TEST_ADMIN_KEY,
    LOOM_PUBLIC_URL: 'https://loom.test',
    LOG_LEVEL: 'silent',
    LOOM_ALLOW_PRIVATE_WEBHOOKS: 'true',
    // The suites read generated specimen documents with live keys; test/specimens.test.ts
    // checks live mode refuses them when this is off, as it is by default.
    LOOM_ACCEPT_SPECIMENS: 'true',
    // The engine's per-image budget (5 s by default) guards production against hostile files;
    // here it would turn a slow read on a busy test machine into `try_again`. Suites that test
    // the budget itself set their own.
    LOOM_ENGINE_BUDGET_MS: '30000',
    ...db.env,
    ...options.env,
  })
  // With `logLines`, every log line (at debug level) is kept there, so a test can check what a
  // log would hold.
  const lines = options.logLines
  const logger = lines
    ? pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) })
    : pino({ level: 'silent' })
  const { deps } = await buildDeps(config, {
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
  })
  const app = await buildApp(deps)
  await app.ready()
  return {
    app,
    deps,
    config,
    db,
    close: async () => {
      await app.close()
      await deps.close()
      await db.drop()
    },
  }
}

export const admin = { 'x-admin-key': TEST_ADMIN_KEY }

/** Creates a tenant through the admin API; returns its id and live key. */
export async function createTenant(
  app: FastifyInstance,
  body: Record<string, unknown> = {},
): Promise<{ id: string; key: string; keyId: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/admin/tenants',
    headers: admin,
    // Tests make many requests per tenant: a high rate limit unless the test sets its own.
    payload: { name: randomName('tenant'), rateLimitPerMinute: 100_000, ...body },
  })
  if (res.statusCode !== 201) throw new Error(`tenant create failed: ${res.body}`)
  const created = res.json<{ id: string; apiKey: string; apiKeyId: string }>()
  return { id: created.id, key: created.apiKey, keyId: created.apiKeyId }
}

/** Adds a key of the given mode to a tenant. */
export async function createKey(
  app: FastifyInstance,
  tenantId: string,
  mode: 'live' | 'test',
): Promise<{ key: string; keyId: string }> {
  const res = await app.inject({
    method: 'POST',
    url: `/admin/tenants/${tenantId}/keys`,
    headers: admin,
    payload: { mode },
  })
  if (res.statusCode !== 201) throw new Error(`key create failed: ${res.body}`)
  const created = res.json<{ id: string; apiKey: string }>()
  return { key: created.apiKey, keyId: created.id }
}

/** Starts a verification through POST /verify/start; its id and the path of its hosted page. */
export async function startSession(
  app: FastifyInstance,
  key: string,
  body: Record<string, unknown> = {},
): Promise<{ id: string; path: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/verify/start',
    headers: { 'x-tenant-api-key': key },
    payload: body,
  })
  expect(res.statusCode).toBe(200)
  const { verificationId, sessionUrl } = res.json<{ verificationId: string; sessionUrl: string }>()
  return { id: verificationId, path: new URL(sessionUrl).pathname }
}

/** The native error body's code. */
export function errorCode(res: LightMyRequestResponse): string | undefined {
  const body = res.json<{ error?: { code?: string } }>()
  return body.error?.code
}

/** A clock tests can move. */
export class TestClock implements Clock {
  constructor(private current = new Date()) {}
  now(): Date {
    return new Date(this.current)
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms)
  }
}

export interface RouteCase {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT'
  url: string
  payload?: unknown
}

/**
 * The shared security check for tenant routes: no key, a malformed key, an unknown key, a
 * revoked key and an inactive tenant's key all get 401 with `expectedCode`.
 */
export async function expectTenantAuthRequired(
  app: FastifyInstance,
  routes: RouteCase[],
  expectedCode = 'UNAUTHENTICATED_TENANT',
): Promise<void> {
  const revokedTenant = await createTenant(app)
  const revoked = await createKey(app, revokedTenant.id, 'live')
  await app.inject({
    method: 'DELETE',
    url: `/admin/tenants/${revokedTenant.id}/keys/${revoked.keyId}`,
    headers: admin,
  })
  const inactive = await createTenant(app)
  await app.inject({
    method: 'PATCH',
    url: `/admin/tenants/${inactive.id}`,
    headers: admin,
    payload: { isActive: false },
  })
  const bad: Record<string, string>[] = [
    {},
    { 'x-tenant-api-key': 'nope' },
    { 'x-tenant-api-key': `loom_live_${'A'.repeat(43)}` },
    { authorization: `Bearer loom_test_${'B'.repeat(43)}` },
    { 'x-tenant-api-key': revoked.key },
    { authorization: `Bearer ${inactive.key}` },
    { 'x-admin-key': TEST_ADMIN_KEY },
  ]
  for (const route of routes) {
    for (const headers of bad) {
      const res = await app.inject({
        ...route,
        headers,
        payload: route.payload as string,
        remoteAddress: randomAddress(),
      })
      expect(res.statusCode, `${route.method} ${route.url} with ${JSON.stringify(headers)}`).toBe(
        401,
      )
      expect(res.body).toContain(expectedCode)
    }
  }
}

/** A random documentation-range address, so brute-force limits of one test do not hit another. */
export function randomAddress(): string {
  const byte = () => Math.floor(Math.random() * 254) + 1
  return `198.51.${byte()}.${byte()}`
}

export interface ReceivedWebhook {
  path: string
  headers: Record<string, string>
  body: string
  receivedAt: number
}

export interface WebhookReceiver {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string
  received: ReceivedWebhook[]
  /** Requests to `path` so far. */
  at(path: string): ReceivedWebhook[]
  /** Resolves once `predicate` holds over the received list (polls; rejects after `ms`). */
  waitFor(predicate: (received: ReceivedWebhook[]) => boolean, ms?: number): Promise<void>
  close(): Promise<void>
}

/**
 * A real local webhook receiver (node:http on 127.0.0.1, port 0). `answer` decides each reply
 * from the path and how many requests that path has had (1-based); return 'hang' to never
 * answer (the sender's timeout), or a status code.
 */
export async function startWebhookReceiver(
  answer: (path: string, count: number) => number | 'hang' | Promise<number> = () => 200,
): Promise<WebhookReceiver> {
  const http = await import('node:http')
  const received: ReceivedWebhook[] = []
  const counts = new Map<string, number>()
  const hanging = new Set<{ destroy(): void }>()
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/'
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === 'string') headers[k] = v
      }
      received.push({
        path,
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      })
      const count = (counts.get(path) ?? 0) + 1
      counts.set(path, count)
      void Promise.resolve(answer(path, count)).then((status) => {
        if (status === 'hang') {
          hanging.add(res)
          return
        }
        res.writeHead(status, { 'content-type': 'text/plain' })
        res.end(`answer ${status} ${'x'.repeat(2000)}`)
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('receiver has no port')
  return {
    url: `http://127.0.0.1:${address.port}`,
    received,
    at: (path) => received.filter((r) => r.path === path),
    async waitFor(predicate, ms = 15_000) {
      const deadline = Date.now() + ms
      while (!predicate(received)) {
        if (Date.now() > deadline) {
          throw new Error(
            `webhook receiver: condition not met in ${ms} ms (${received.length} received)`,
          )
        }
        await new Promise((r) => setTimeout(r, 10))
      }
    },
    close: async () => {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Polls `check` until it returns a value other than undefined (rejects after `ms`). */
export async function eventually<T>(check: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`condition not met in ${ms} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export { inject }

/** Removes every Redis key a test wrote under its prefix. */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url)
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    if (keys.length > 0) await redis.del(...keys)
    cursor = next
  } while (cursor !== '0')
  redis.disconnect()
}
