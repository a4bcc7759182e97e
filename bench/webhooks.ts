// Webhook delivery: throughput of one `loom worker` draining a backlog to a local receiver, and
// the time from completing a verification to its webhook arriving (worker in `loom serve`, and
// a separate `loom worker` process that only polls).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { ADMIN_KEY, benchTenant, json, startLoom, table } from './lib.ts'
import type { RunningProcess } from './lib.ts'

const ROOT = path.resolve(import.meta.dirname, '..')

interface Receiver {
  url: string
  /** Arrival time (performance.now()) per `${verificationId} ${type}`. */
  arrivals: Map<string, number>
  count: number
  close(): Promise<void>
}

async function startReceiver(): Promise<Receiver> {
  const arrivals = new Map<string, number>()
  const receiver = { url: '', arrivals, count: 0, close: async () => undefined }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const at = performance.now()
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        verificationId: string
        type: string
      }
      receiver.count += 1
      arrivals.set(`${body.verificationId} ${body.type}`, at)
      res.writeHead(204)
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  receiver.url = `http://127.0.0.1:${address.port}`
  receiver.close = () =>
    new Promise<undefined>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve(undefined))
    })
  return receiver
}

function startWorkerProcess(dataDir: string): { stop(): Promise<void> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), 'worker'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        LOOM_DATA_DIR: dataDir,
        LOOM_ADMIN_KEY: ADMIN_KEY,
        LOG_LEVEL: 'warn',
        LOOM_ALLOW_PRIVATE_WEBHOOKS: 'true',
        NODE_ENV: 'production',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  )
  return {
    stop: async () => {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    },
  }
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not done within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

async function addEndpoint(loom: RunningProcess, key: string, url: string, events?: string[]) {
  await json(`${loom.url}/webhooks/endpoints`, {
    method: 'POST',
    headers: { 'x-tenant-api-key': key },
    body: JSON.stringify({ url, ...(events && { events }) }),
  })
}

async function startVerification(loom: RunningProcess, key: string): Promise<string> {
  const started = await json<{ verificationId: string }>(`${loom.url}/verify/start`, {
    method: 'POST',
    headers: { 'x-tenant-api-key': key },
    body: JSON.stringify({ mock_behavior: 'approve' }),
  })
  return started.verificationId
}

async function complete(loom: RunningProcess, key: string, id: string): Promise<void> {
  await json(`${loom.url}/verify/complete`, {
    method: 'POST',
    headers: { 'x-tenant-api-key': key },
    body: JSON.stringify({ verificationId: id }),
  })
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

/** Sequential verifications; the time from sending /verify/complete to the webhook's arrival. */
async function completionToWebhook(
  loom: RunningProcess,
  key: string,
  receiver: Receiver,
  count: number,
): Promise<{ p50: number; p95: number; max: number }> {
  const latencies: number[] = []
  for (let i = 0; i < count; i++) {
    const id = await startVerification(loom, key)
    await new Promise((r) => setTimeout(r, 20)) // let the started event's delivery settle
    const sent = performance.now()
    await complete(loom, key, id)
    const slot = `${id} verification.completed`
    await until(() => receiver.arrivals.has(slot), 10_000)
    latencies.push((receiver.arrivals.get(slot) ?? NaN) - sent)
  }
  latencies.sort((a, b) => a - b)
  return {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    max: latencies[latencies.length - 1] ?? NaN,
  }
}

export async function benchWebhooks(backlog = Number(process.env.BENCH_WEBHOOKS ?? 500)) {
  const rows: Record<string, string | number>[] = []
  const receiver = await startReceiver()
  try {
    // 1. Throughput: a backlog of events (API without worker), then one worker drains it.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-bench-webhooks-'))
    const api = await startLoom({ LOOM_DATA_DIR: dataDir, LOOM_SERVE_WORKER: 'false' })
    try {
      const tenant = await benchTenant(api.url)
      await addEndpoint(api, tenant.key, `${receiver.url}/throughput`)
      for (let i = 0; i < backlog / 2; i++) {
        await complete(api, tenant.key, await startVerification(api, tenant.key))
      }
      const worker = startWorkerProcess(dataDir)
      try {
        const firstAt = await (async () => {
          await until(() => receiver.count > 0, 60_000)
          return performance.now()
        })()
        await until(() => receiver.count >= backlog, 120_000)
        const seconds = (performance.now() - firstAt) / 1000
        rows.push({
          measure: `deliveries/s, one worker, backlog of ${backlog}`,
          value: Math.round((backlog - 1) / seconds),
          goal: '',
        })
      } finally {
        await worker.stop()
      }
    } finally {
      await api.stop()
      fs.rmSync(dataDir, { recursive: true, force: true })
    }

    // 2. Latency, worker inside `loom serve` (it is nudged when an event is recorded).
    const serve = await startLoom()
    try {
      const tenant = await benchTenant(serve.url)
      await addEndpoint(serve, tenant.key, `${receiver.url}/latency`, ['verification.completed'])
      const l = await completionToWebhook(serve, tenant.key, receiver, 100)
      rows.push({
        measure: 'completion → webhook p50 / p95 / max (ms), worker in serve',
        value: `${l.p50.toFixed(1)} / ${l.p95.toFixed(1)} / ${l.max.toFixed(1)}`,
        goal: 'p95 < 1000',
      })
    } finally {
      await serve.stop()
    }

    // 3. Latency with a separate `loom worker` process (polling only, no in-process nudge).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-bench-webhooks-'))
    const api2 = await startLoom({ LOOM_DATA_DIR: dir, LOOM_SERVE_WORKER: 'false' })
    const worker2 = startWorkerProcess(dir)
    try {
      const tenant = await benchTenant(api2.url)
      await addEndpoint(api2, tenant.key, `${receiver.url}/latency2`, ['verification.completed'])
      await completionToWebhook(api2, tenant.key, receiver, 3) // worker warm-up
      const l = await completionToWebhook(api2, tenant.key, receiver, 100)
      rows.push({
        measure: 'completion → webhook p50 / p95 / max (ms), separate worker',
        value: `${l.p50.toFixed(1)} / ${l.p95.toFixed(1)} / ${l.max.toFixed(1)}`,
        goal: 'p95 < 1000',
      })
    } finally {
      await worker2.stop()
      await api2.stop()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  } finally {
    await receiver.close()
  }
  console.log('\nWebhooks (local receiver on 127.0.0.1, SQLite)\n')
  console.log(table(rows))
}
