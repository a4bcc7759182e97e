// Scale-out on one machine: documents decided per second and token validations per second for one
// `loom serve` (API and worker in one process) against two `loom serve --no-worker` behind a
// round-robin proxy plus two `loom worker`, both on PostgreSQL and Redis. Processes start as in
// test/scale-out.test.ts. `BENCH_DOCUMENTS` (default 24), `BENCH_SECONDS` (default 10).
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { Redis } from 'ioredis'
import { ADMIN_KEY, benchTenant, json, load, mintTokens, startLoom, table } from './lib.ts'
import type { RunningProcess } from './lib.ts'
import { generateMrzSpecimen } from '../src/specimen/index.ts'

const ROOT = path.resolve(import.meta.dirname, '..')

/** A TCP round-robin proxy over upstream ports (the load balancer). */
async function roundRobin(ports: number[]) {
  let next = 0
  const open = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(ports[next++ % ports.length]!, '127.0.0.1')
    open.add(client).add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      open.delete(client)
      open.delete(upstream)
    }
    for (const socket of [client, upstream]) {
      socket.on('close', drop)
      socket.on('error', drop)
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () => {
      for (const socket of open) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function spawnWorker(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), 'worker'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'production', ...env },
    stdio: 'ignore',
  })
}

interface Topology {
  url: string
  stop(): Promise<void>
}

async function oneProcess(env: Record<string, string>): Promise<Topology> {
  const server = await startLoom({ ...env, LOOM_SERVE_WORKER: 'true' })
  return { url: server.url, stop: () => server.stop() }
}

/** The same single process behind the round-robin proxy: what the proxy alone costs. */
async function oneBehindProxy(env: Record<string, string>): Promise<Topology> {
  const server = await startLoom({ ...env, LOOM_SERVE_WORKER: 'true' })
  const proxy = await roundRobin([Number(new URL(server.url).port)])
  return {
    url: proxy.url,
    stop: async () => {
      await proxy.close()
      await server.stop()
    },
  }
}

async function twoPlusTwo(env: Record<string, string>): Promise<Topology> {
  const shared = { ...env, LOOM_SERVE_WORKER: 'false', LOOM_ENGINE_THREADS: '1' }
  const servers: RunningProcess[] = [await startLoom(shared), await startLoom(shared)]
  const workers = [spawnWorker(shared), spawnWorker(shared)]
  const proxy = await roundRobin(servers.map((s) => Number(new URL(s.url).port)))
  return {
    url: proxy.url,
    stop: async () => {
      await proxy.close()
      for (const worker of workers) worker.kill('SIGTERM')
      await Promise.all(servers.map((s) => s.stop()))
    },
  }
}

/** Uploads `images` as one-image verifications, `concurrency` at a time; waits for every decision. */
async function documentsPerSecond(
  url: string,
  key: string,
  images: string[],
  concurrency: number,
): Promise<{ perSecond: number; seconds: number; decided: number }> {
  const headers = { 'x-tenant-api-key': key }
  const ids: string[] = []
  const started = performance.now()
  let next = 0
  const uploader = async () => {
    while (next < images.length) {
      const image = images[next++]!
      const { verificationId } = await json<{ verificationId: string }>(`${url}/verify/start`, {
        method: 'POST',
        headers,
        body: '{}',
      })
      ids.push(verificationId)
      await json(`${url}/verify/images`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ verificationId, type: 'document_front', image }),
      })
    }
  }
  await Promise.all(Array.from({ length: concurrency }, uploader))
  const pending = new Set(ids)
  const deadline = Date.now() + 600_000
  while (pending.size > 0 && Date.now() < deadline) {
    for (const id of [...pending]) {
      const status = await json<{ status: string }>(`${url}/verify/status?verificationId=${id}`, {
        headers,
      })
      if (!['pending', 'in_progress', 'processing'].includes(status.status)) pending.delete(id)
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 200))
  }
  const seconds = (performance.now() - started) / 1000
  const decided = ids.length - pending.size
  return { perSecond: decided / seconds, seconds, decided }
}

async function liveKey(url: string, tenantId: string): Promise<string> {
  const key = await json<{ apiKey: string }>(`${url}/admin/tenants/${tenantId}/keys`, {
    method: 'POST',
    headers: { 'x-admin-key': ADMIN_KEY },
    body: JSON.stringify({ mode: 'live' }),
  })
  return key.apiKey
}

export async function benchScale(documents = 24, seconds = 10): Promise<void> {
  const databaseUrl =
    process.env.DATABASE_URL ??
    process.env.TEST_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test'
  const redisUrl = process.env.REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
  const asOf = new Date().toISOString().slice(0, 10)
  const images: string[] = []
  for (let i = 0; i < documents; i++) {
    const doc = await generateMrzSpecimen(7000 + i, {
      format: 'TD3',
      asOf,
      degradations: ['background', 'rotation', 'jpeg'],
    })
    images.push(doc.image.toString('base64'))
  }
  const warmUp = images.slice(0, 4)
  const rows: Record<string, string | number>[] = []
  const layouts: [string, (env: Record<string, string>) => Promise<Topology>][] = [
    ['1 process (serve + worker)', oneProcess],
    ['1 process behind the proxy', oneBehindProxy],
    ['2 serve + 2 workers', twoPlusTwo],
  ]
  for (const [name, start] of layouts) {
    const schema = `loom_bench_${randomBytes(4).toString('hex')}`
    const prefix = `${schema}:`
    const admin = new pg.Client({ connectionString: databaseUrl })
    await admin.connect()
    await admin.query(`create schema ${schema}`)
    const env = {
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schema,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
      // Every process shares the keys (each would otherwise make its own in its data dir).
      LOOM_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOOM_WORKER_POLL_MS: '50',
      LOOM_ENGINE_BUDGET_MS: '60000',
    }
    const topology = await start(env)
    try {
      const tenant = await benchTenant(topology.url, { monthlyQuota: 1_000_000 })
      const live = await liveKey(topology.url, tenant.id)
      // Warm-up, not timed: every process loads its models and templates on its first documents.
      await documentsPerSecond(topology.url, live, warmUp, 4)
      const docs = await documentsPerSecond(topology.url, live, images, 4)
      const [token] = await mintTokens(topology.url, tenant.key, 1)
      const body = [JSON.stringify({ token })]
      const headers = { 'x-tenant-api-key': tenant.key }
      await load(`${topology.url}/tokens/validate`, { headers, bodies: body, seconds: 3 })
      const validations = await load(`${topology.url}/tokens/validate`, {
        headers,
        bodies: body,
        seconds,
      })
      rows.push({
        layout: name,
        'docs/s': docs.perSecond.toFixed(2),
        decided: `${docs.decided}/${documents}`,
        'validations/s': Math.round(validations.requestsPerSecond),
        'validate p99 ms': validations.p99,
        'non-2xx': validations.non2xx,
      })
    } finally {
      await topology.stop()
      await admin.query(`drop schema if exists ${schema} cascade`)
      await admin.end()
      const redis = new Redis(redisUrl)
      const keys = await redis.keys(`${prefix}*`)
      if (keys.length > 0) await redis.del(...keys)
      redis.disconnect()
    }
  }
  console.log(
    `\nScale-out on PostgreSQL + Redis: ${documents} passports (4 uploads at a time, each decided by a worker), then /tokens/validate for ${seconds} s (32 connections)\n`,
  )
  console.log(table(rows))
  console.log(
    `\n${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}: every process, PostgreSQL, Redis, the proxy and the load generator share them.`,
  )
}
