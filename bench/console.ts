// Console page latency with a large tenant: seeds BENCH_CONSOLE_ROWS verifications (100k by
// default, plus a second tenant's 20k so isolation filters do real work) on SQLite and, when
// BENCH_DATABASE_URL is set, on PostgreSQL, then requests each console page as a signed-in owner
// and prints p50/p95 per page. Requests go through the whole app (app.inject: routing, session
// lookup, CSRF hooks, database, HTML) but not a socket.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { pino } from 'pino'
import { sql } from 'kysely'
import { loadConfig } from '../src/config.ts'
import { buildDeps } from '../src/deps.ts'
import { buildApp } from '../src/api/app.ts'
import { newSortableId } from '../src/domain/ids.ts'
import { createConsoleUser, signInUser } from '../src/console/accounts.ts'
import { table } from './lib.ts'

const ROWS = Number(process.env.BENCH_CONSOLE_ROWS ?? 100_000)
const REQUESTS = Number(process.env.BENCH_CONSOLE_REQUESTS ?? 60)
const PASSWORD = 'bench password 0123456789'
const STATUSES = ['approved', 'approved', 'approved', 'approved', 'rejected', 'review', 'pending']
const REASONS = ['underage', 'document_expired', 'face_mismatch', 'low_confidence']

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
}

async function benchDialect(
  name: string,
  env: Record<string, string>,
): Promise<Record<string, string | number>[]> {
  const config = loadConfig({
    LOOM_ADMIN_KEY: 'bench-admin-key-0123456789abcdef',
    LOG_LEVEL: 'silent',
    ...env,
  })
  const { deps } = await buildDeps(config, { logger: pino({ level: 'silent' }), migrate: true })
  const app = await buildApp(deps)
  await app.ready()
  const db = deps.store.db
  const now = Date.now()
  const tenants: string[] = []
  for (const label of ['bench', 'other']) {
    const id = `ten_${randomBytes(10).toString('hex')}`
    const at = new Date().toISOString()
    await db
      .insertInto('tenants')
      .values({
        id,
        name: label,
        isActive: 1,
        plan: 'professional',
        rateLimitPerMinute: null,
        monthlyQuota: null,
        hardLimit: null,
        allowOverage: 0,
        tokenTtlSeconds: null,
        dataTtlDays: null,
        createdAt: at,
        updatedAt: at,
      })
      .execute()
    tenants.push(id)
  }
  const [tenantId = '', otherId = ''] = tenants
  const seedStart = performance.now()
  let reviewId = ''
  for (const [owner, count] of [
    [tenantId, ROWS],
    [otherId, Math.round(ROWS / 5)],
  ] as const) {
    for (let done = 0; done < count; done += 250) {
      const batch = []
      for (let i = done; i < Math.min(count, done + 250); i++) {
        const created = new Date(now - (count - i) * 20_000).toISOString()
        const status = STATUSES[i % STATUSES.length] ?? 'approved'
        const decided = status !== 'pending'
        const id = newSortableId('ver')
        if (owner === tenantId && status === 'review' && reviewId === '') reviewId = id
        batch.push({
          id,
          tenantId: owner,
          mode: i % 3 === 0 ? ('test' as const) : ('live' as const),
          surface: 'native',
          status,
          verificationType: i % 2 === 0 ? 'age_only' : 'full_verification',
          minAge: 18,
          metadata: null,
          callbackUrl: null,
          state: null,
          externalId: `order-${i}`,
          client: null,
          mockBehavior: null,
          idempotencyKey: null,
          requestHash: null,
          expiresAt: new Date(now + 86_400_000).toISOString(),
          createdAt: created,
          updatedAt: created,
          completedAt: decided ? created : null,
          confidence: decided ? 0.9 : null,
          result: decided
            ? JSON.stringify({
                status,
                reasons: status === 'approved' ? [] : [REASONS[i % REASONS.length]],
                confidence: 0.9,
                verifiedAge: 30,
                decidedBy: 'loom',
              })
            : null,
          version: 1,
          personSealed: null,
          purgedAt: null,
          tokenSealed: null,
          requestRef: null,
        })
      }
      await db.insertInto('verifications').values(batch).execute()
    }
  }
  const seedSeconds = (performance.now() - seedStart) / 1000
  // PostgreSQL's autovacuum analyses a table soon after a bulk load like this one; until it has,
  // the planner guesses 200 rows a tenant and may sort a whole tenant instead of walking its
  // created-order index (a 100-fold slower page that no running server keeps for long).
  if (name === 'postgres') await sql`analyze`.execute(db)
  await createConsoleUser(deps, {
    tenantId,
    email: `owner-${name}@bench.test`,
    role: 'owner',
    password: PASSWORD,
  })
  const signedIn = await signInUser(deps, { email: `owner-${name}@bench.test`, password: PASSWORD })
  if (!signedIn.ok) throw new Error('bench sign-in failed')
  const cookie = `loom_console=${signedIn.token}`
  const pages = [
    '/console/verifications',
    '/console/verifications?status=review',
    '/console/verifications?reason=face_mismatch',
    '/console/verifications?externalId=order-4242',
    `/console/verifications?from=${new Date(now - 7 * 86_400_000).toISOString().slice(0, 10)}&mode=live`,
    '/console/review',
    `/console/verifications/${reviewId}`,
    '/console/keys',
    '/console/webhooks',
    '/console/usage',
  ]
  const rows: Record<string, string | number>[] = []
  for (const url of pages) {
    const times: number[] = []
    for (let i = 0; i < REQUESTS; i++) {
      const start = performance.now()
      const res = await app.inject({ method: 'GET', url, headers: { cookie } })
      times.push(performance.now() - start)
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`)
    }
    // The first few requests warm caches and the JIT; they are left out.
    const sorted = times.slice(5).sort((a, b) => a - b)
    rows.push({
      db: name,
      page: url.replace(reviewId, ':id'),
      p50_ms: percentile(sorted, 50).toFixed(1),
      p95_ms: percentile(sorted, 95).toFixed(1),
    })
  }
  console.log(
    `${name}: seeded ${ROWS + Math.round(ROWS / 5)} verifications in ${seedSeconds.toFixed(1)} s`,
  )
  await app.close()
  await deps.close()
  return rows
}

export async function benchConsole(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-bench-console-'))
  const rows = await benchDialect('sqlite', { LOOM_DATA_DIR: dataDir })
  fs.rmSync(dataDir, { recursive: true, force: true })
  const url = process.env.BENCH_DATABASE_URL
  if (url) {
    const schema = `loom_bench_${randomBytes(4).toString('hex')}`
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query(`create schema ${schema}`)
    const pgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-bench-console-'))
    try {
      rows.push(
        ...(await benchDialect('postgres', {
          LOOM_DATA_DIR: pgDir,
          DATABASE_URL: url,
          DATABASE_SCHEMA: schema,
        })),
      )
    } finally {
      await client.query(`drop schema if exists ${schema} cascade`)
      await client.end()
      fs.rmSync(pgDir, { recursive: true, force: true })
    }
  } else {
    console.log('PostgreSQL skipped: set BENCH_DATABASE_URL=postgres://… to include it')
  }
  console.log(table(rows))
}
