// The `loom` command as an operator runs it: a real process on a real data directory.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { createTestDatabase, dialects } from './helpers.ts'
import type { TestDatabase } from './helpers.ts'
import { loadConfig } from '../src/config.ts'
import { buildDeps } from '../src/deps.ts'
import { buildApp } from '../src/api/app.ts'

const run = promisify(execFile)
const CLI = path.resolve(import.meta.dirname, '../src/cli.ts')

async function loom(env: Record<string, string>, ...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe.each(dialects())('loom CLI on %s', (dialect) => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase(dialect)
  })
  afterAll(async () => db.drop())

  it(
    'migrates, creates a tenant whose printed key authenticates, lists it, adds and revokes keys',
    { timeout: 120_000 },
    async () => {
      expect((await loom(db.env, 'migrate')).stdout).toMatch(/Applied: 0001|up to date/)
      const created = await loom(
        db.env,
        'tenant',
        'create',
        '--name',
        'Acme CLI',
        '--plan',
        'standard',
        '--test-key',
      )
      expect(created.code).toBe(0)
      const liveKey = /Live API key \(shown once\): (loom_live_\S+)/.exec(created.stdout)?.[1]
      const testKey = /Test API key \(shown once\): (loom_test_\S+)/.exec(created.stdout)?.[1]
      const tenantId = /Tenant\s+(ten_\S+)/.exec(created.stdout)?.[1]
      expect(liveKey).toBeDefined()
      expect(testKey).toBeDefined()

      const listed = await loom(db.env, 'tenant', 'list')
      expect(listed.stdout).toContain(tenantId)
      expect(listed.stdout).toContain('"Acme CLI"')

      const config = loadConfig({
        ...db.env,
        LOOM_ADMIN_KEY: 'cli-test-admin-key-0123456789',
        LOG_LEVEL: 'silent',
      })
      const { deps } = await buildDeps(config, { logger: pino({ level: 'silent' }) })
      const app = await buildApp(deps)
      try {
        const started = await app.inject({
          method: 'POST',
          url: '/verify/start',
          headers: { 'x-tenant-api-key': liveKey! },
          payload: {},
        })
        expect(started.statusCode).toBe(200)

        const extra = await loom(db.env, 'key', 'create', '--tenant', tenantId!, '--mode', 'live')
        const keyId = /Key (key_\S+)/.exec(extra.stdout)?.[1]
        expect(keyId).toBeDefined()
        const revoked = await loom(db.env, 'key', 'revoke', keyId!)
        expect(revoked.stdout).toContain('Revoked')
        expect(revoked.stdout).toContain('2 active key(s)')
      } finally {
        await app.close()
        await deps.close()
      }
    },
  )

  it('says what is wrong with bad usage, with exit status 1', { timeout: 120_000 }, async () => {
    expect((await loom(db.env, 'tenant', 'create')).stderr).toContain('--name is required')
    expect((await loom(db.env, 'tenant', 'create', '--name', 'x', '--plan', 'gold')).code).toBe(1)
    expect((await loom(db.env, 'key', 'revoke', 'key_nope00000000000')).stderr).toContain(
      'no API key',
    )
    expect((await loom(db.env, 'frobnicate')).code).toBe(1)
    expect((await loom({ ...db.env, PORT: 'eighty' }, 'migrate')).stderr).toContain(
      'PORT must be an integer',
    )
  })
})

it('has --help on every command', { timeout: 120_000 }, async () => {
  const runs: Promise<{ args: string[]; res: Awaited<ReturnType<typeof loom>> }>[] = []
  for (const args of [
    ['--help'],
    ['serve', '--help'],
    ['worker', '--help'],
    ['migrate', '--help'],
    ['tenant', 'create', '--help'],
    ['tenant', 'list', '--help'],
    ['key', 'create', '--help'],
    ['key', 'revoke', '--help'],
    ['keys', 'rotate', '--help'],
    ['admin-key', 'reset', '--help'],
    ['inspect', '--help'],
  ]) {
    runs.push(loom({}, ...args).then((res) => ({ args, res })))
  }
  for (const { args, res } of await Promise.all(runs)) {
    expect(res.code, args.join(' ')).toBe(0)
    expect(res.stdout, args.join(' ')).toMatch(/Usage|loom/)
  }
})
