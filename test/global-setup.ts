// Decides once per test run which real services the suites can use, and says so plainly.
// PostgreSQL and Redis suites run when their URL answers; with CI=true they are required.
import type { TestProject } from 'vitest/node'
import pg from 'pg'
import net from 'node:net'

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test'
export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379'

async function postgresAnswers(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.query('select 1')
    return null
  } catch (err) {
    return err instanceof Error ? err.message : String(err)
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function redisAnswers(url: string): Promise<string | null> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 6379) })
    const timer = setTimeout(() => finish('no answer within 2 s'), 2000)
    function finish(problem: string | null): void {
      clearTimeout(timer)
      socket.destroy()
      resolve(problem)
    }
    socket.once('error', (err) => finish(err.message))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (chunk) =>
      finish(chunk.toString().startsWith('+PONG') ? null : 'unexpected reply'),
    )
  })
}

export default async function setup(project: TestProject): Promise<void> {
  const required = process.env.CI === 'true'
  const databaseUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL
  const redisUrl = process.env.TEST_REDIS_URL ?? DEFAULT_TEST_REDIS_URL
  const [pgProblem, redisProblem] = await Promise.all([
    postgresAnswers(databaseUrl),
    redisAnswers(redisUrl),
  ])
  for (const [name, url, problem] of [
    ['PostgreSQL', databaseUrl, pgProblem],
    ['Redis', redisUrl, redisProblem],
  ] as const) {
    if (problem === null) continue
    const line = `${name} at ${url} is not reachable (${problem})`
    if (required) throw new Error(`${line}; CI=true requires it.`)
    console.warn(`\n[loom tests] SKIPPING the ${name} suites: ${line}.\n`)
  }
  project.provide('testDatabaseUrl', pgProblem === null ? databaseUrl : null)
  project.provide('testRedisUrl', redisProblem === null ? redisUrl : null)
}

declare module 'vitest' {
  export interface ProvidedContext {
    testDatabaseUrl: string | null
    testRedisUrl: string | null
  }
}
