// Shared bench helpers: real `loom serve` processes, a bare node:http baseline, autocannon load.
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import net from 'node:net'
import autocannon from 'autocannon'

export const ADMIN_KEY = 'bench-admin-key-0123456789abcdef'
const ROOT = path.resolve(import.meta.dirname, '..')

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

export interface RunningProcess {
  url: string
  process: ChildProcess
  /** Everything the process printed so far (for a failure's report). */
  output(): string
  stop(): Promise<void>
}

async function waitForHealth(
  url: string,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output()}`)
    try {
      const res = await fetch(`${url}/health`)
      if (res.ok || res.status === 503) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`server did not answer /health in 30 s:\n${output()}`)
}

/** Starts `loom serve` from the TypeScript sources on a free port with its own data dir. */
export async function startLoom(env: Record<string, string> = {}): Promise<RunningProcess> {
  const port = await freePort()
  const dataDir = env.LOOM_DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'loom-bench-'))
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), 'serve'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOOM_DATA_DIR: dataDir,
        LOOM_ADMIN_KEY: ADMIN_KEY,
        LOG_LEVEL: 'warn',
        LOOM_ALLOW_PRIVATE_WEBHOOKS: 'true',
        // Benches and tests read generated specimen documents with live keys.
        LOOM_ACCEPT_SPECIMENS: 'true',
        NODE_ENV: 'production',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  const url = `http://127.0.0.1:${port}`
  await waitForHealth(url, child, () => output)
  return {
    url,
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => (child.kill('SIGKILL'), resolve()), 5000)
        child.once('exit', () => (clearTimeout(timer), resolve()))
      })
      if (!env.LOOM_DATA_DIR) fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** A bare node:http server in its own process answering a constant JSON body: the baseline. */
export async function startBareServer(): Promise<RunningProcess> {
  const port = await freePort()
  const code = `
    const http = require('node:http')
    const body = JSON.stringify({ valid: true, over18: true, verificationId: 'ver_x', expiresAt: '2030-01-01T00:00:00.000Z' })
    http.createServer((req, res) => {
      req.resume()
      req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(body) })
    }).listen(${port}, '127.0.0.1')`
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 50; i++) {
    try {
      await fetch(url)
      break
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return {
    url,
    process: child,
    output: () => '',
    stop: async () => {
      child.kill('SIGKILL')
      await new Promise((r) => child.once('exit', r))
    },
  }
}

export async function json<T>(url: string, init: RequestInit & { body?: string } = {}): Promise<T> {
  const res = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', ...init.headers },
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${text}`)
  return JSON.parse(text) as T
}

/** A tenant with a test key on a running Loom. */
export async function benchTenant(
  url: string,
  body: Record<string, unknown> = {},
): Promise<{ id: string; key: string }> {
  const created = await json<{ id: string; apiKey: string }>(`${url}/admin/tenants`, {
    method: 'POST',
    headers: { 'x-admin-key': ADMIN_KEY },
    body: JSON.stringify({
      name: 'bench',
      plan: 'enterprise',
      rateLimitPerMinute: 1_000_000,
      ...body,
    }),
  })
  const key = await json<{ apiKey: string }>(`${url}/admin/tenants/${created.id}/keys`, {
    method: 'POST',
    headers: { 'x-admin-key': ADMIN_KEY },
    body: JSON.stringify({ mode: 'test' }),
  })
  return { id: created.id, key: key.apiKey }
}

/** Mints `count` approved-verification tokens through the API, `concurrency` at a time. */
export async function mintTokens(
  url: string,
  key: string,
  count: number,
  concurrency = 1,
): Promise<string[]> {
  const tokens: string[] = new Array<string>(count)
  let next = 0
  const mintOne = async (): Promise<string> => {
    const started = await json<{ verificationId: string }>(`${url}/verify/start`, {
      method: 'POST',
      headers: { 'x-tenant-api-key': key },
      body: JSON.stringify({ mock_behavior: 'approve' }),
    })
    const done = await json<{ token: string }>(`${url}/verify/complete`, {
      method: 'POST',
      headers: { 'x-tenant-api-key': key },
      body: JSON.stringify({ verificationId: started.verificationId }),
    })
    return done.token
  }
  const worker = async (): Promise<void> => {
    while (next < count) {
      const slot = next++
      tokens[slot] = await mintOne()
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return tokens
}

/**
 * Waits until a Loom's job queue is empty (the embedded worker shares the server's event loop:
 * a backlog left by a bench's setup would be measured with the load). Returns the seconds waited.
 */
export async function waitForIdleQueue(url: string, timeoutMs = 300_000): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < timeoutMs) {
    const { counts } = await json<{ counts: Record<string, number> }>(`${url}/admin/jobs?limit=1`, {
      headers: { 'x-admin-key': ADMIN_KEY },
    })
    if ((counts.queued ?? 0) + (counts.running ?? 0) === 0) {
      return (performance.now() - started) / 1000
    }
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error(`the job queue of ${url} did not drain in ${timeoutMs / 1000} s`)
}

export interface LoadResult {
  requestsPerSecond: number
  /** Requests answered in the run. */
  requests: number
  p50: number
  p99: number
  errors: number
  non2xx: number
}

/** Drives POST load at `url` with bodies from `bodies` (round robin) for `seconds`. */
export async function load(
  url: string,
  options: {
    headers?: Record<string, string>
    bodies: string[]
    /** Run for this long, or (with `amount`) until that many requests were sent. */
    seconds: number
    amount?: number
    connections?: number
  },
): Promise<LoadResult> {
  let i = 0
  const result = await autocannon({
    url,
    method: 'POST',
    connections: options.connections ?? 32,
    pipelining: 1,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds }),
    // autocannon stops only on a sample tick: 100 ms keeps a short `amount` run's time honest.
    sampleInt: 100,
    headers: { 'content-type': 'application/json', ...options.headers },
    // One body: sent as is. A per-request setupRequest costs autocannon enough CPU to make the
    // generator, not a fast server, the bottleneck (a bare node:http server measured ~11k req/s
    // that way against ~17k with a fixed body), which would flatter every ratio against it.
    ...(options.bodies.length === 1
      ? { body: options.bodies[0] }
      : {
          setupClient: (client: autocannon.Client) => client.setBody(options.bodies[0] ?? ''),
          requests: [
            {
              setupRequest: (req: autocannon.Request) => ({
                ...req,
                body: options.bodies[i++ % options.bodies.length] ?? '',
              }),
            },
          ],
        }),
  })
  return {
    // Total over elapsed time (the per-sample average misleads for runs of a second or two).
    requestsPerSecond: result.requests.total / result.duration,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  }
}

export function table(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return ''
  const columns = Object.keys(rows[0] ?? {})
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)))
  const line = (cells: string[]) => cells.map((c, j) => c.padEnd(widths[j] ?? 0)).join('  ')
  return [
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(columns.map((c) => String(r[c])))),
  ].join('\n')
}

/**
 * Pins a process and all its threads to the given CPUs with util-linux `taskset` (Linux only);
 * false when that is not possible. Used by `BENCH_PIN=1` to keep the load generator and the
 * servers off each other's core.
 */
export function pinToCpus(pid: number, cpus: string): boolean {
  const res = spawnSync('taskset', ['--all-tasks', '--pid', '--cpu-list', cpus, String(pid)], {
    stdio: 'ignore',
  })
  return res.status === 0
}
