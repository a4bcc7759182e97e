// /tokens/validate against a bare node:http server in the same run (issue 3's goal: ≥ 60 %), and
// the same route with the fast path off (LOOM_TOKEN_FAST_PATH=false) for comparison.
import fs from 'node:fs'
import os from 'node:os'
import {
  benchTenant,
  load,
  mintTokens,
  pinToCpus,
  startBareServer,
  startLoom,
  table,
  waitForIdleQueue,
} from './lib.ts'
import type { LoadResult } from './lib.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)

export async function benchTokens(seconds = 10): Promise<void> {
  const loadBefore = os.loadavg()
  const cpus = os.availableParallelism()
  const loom = await startLoom()
  const route = await startLoom({ LOOM_TOKEN_FAST_PATH: 'false' })
  const bare = await startBareServer()
  // BENCH_PIN=1: autocannon (this process) on CPU 0, both servers on CPU 1, so the generator
  // never steals the server's core; otherwise the scheduler shares both cores among all three.
  const pinned =
    process.env.BENCH_PIN === '1' &&
    cpus >= 2 &&
    pinToCpus(process.pid, '0') &&
    pinToCpus(loom.process.pid!, '1') &&
    pinToCpus(route.process.pid!, '1') &&
    pinToCpus(bare.process.pid!, '1')
  try {
    const tenant = await benchTenant(loom.url)
    // Never-seen tokens: each is validated once, so every request pays the full signature check.
    const distinctCount = Number(process.env.BENCH_DISTINCT_TOKENS ?? 3000)
    const minted = await mintTokens(loom.url, tenant.key, 2 + distinctCount, 8)
    const headers = { 'x-tenant-api-key': tenant.key }
    const url = `${loom.url}/tokens/validate`
    const one = [JSON.stringify({ token: minted[0] })]
    const routeTenant = await benchTenant(route.url)
    const [routeToken] = await mintTokens(route.url, routeTenant.key, 1)
    const routeUrl = `${route.url}/tokens/validate`
    const routeHeaders = { 'x-tenant-api-key': routeTenant.key }
    const routeOne = [JSON.stringify({ token: routeToken })]
    // Minting left thousands of webhook-dispatch jobs for the embedded worker, which runs on the
    // server's event loop: let it finish them, or it is measured along with the validations.
    const drainSeconds = Math.max(
      await waitForIdleQueue(loom.url),
      await waitForIdleQueue(route.url),
    )
    const distinct = minted.slice(2).map((token) => JSON.stringify({ token }))
    // Warm both servers up (the warm-up has its own token, so the distinct ones stay unseen);
    // V8 is still optimizing Loom's request path for the first few seconds under load.
    await load(url, { headers, bodies: [JSON.stringify({ token: minted[1] })], seconds: 5 })
    await load(routeUrl, { headers: routeHeaders, bodies: routeOne, seconds: 5 })
    await load(bare.url, { bodies: one, seconds: 2 })

    // Rounds alternate bare and Loom so drift in the machine's load hits both alike; each ratio is
    // taken against the bare figure of its own round. The never-seen tokens can be used only once:
    // one run, against the median bare figure.
    const runs: { bare: Measured; repeated: Measured; route: Measured }[] = []
    for (let round = 0; round < ROUNDS; round++) {
      runs.push({
        bare: await measured(bare.process.pid, () => load(bare.url, { bodies: one, seconds })),
        repeated: await measured(loom.process.pid, () =>
          load(url, { headers, bodies: one, seconds }),
        ),
        route: await measured(route.process.pid, () =>
          load(routeUrl, { headers: routeHeaders, bodies: routeOne, seconds }),
        ),
      })
    }
    const allDistinct = await measured(loom.process.pid, () =>
      load(url, { headers, bodies: distinct, seconds, amount: distinct.length }),
    )
    const loadAfter = os.loadavg()

    const bareRate = median(runs.map((r) => r.bare.requestsPerSecond))
    const repeatedRatios = runs.map((r) => r.repeated.requestsPerSecond / r.bare.requestsPerSecond)
    const routeRatios = runs.map((r) => r.route.requestsPerSecond / r.bare.requestsPerSecond)
    const row = (path: string, results: Measured[], ratios: number[]) => ({
      path,
      'req/s (median)': Math.round(median(results.map((r) => r.requestsPerSecond))),
      'req/s per run': results.map((r) => Math.round(r.requestsPerSecond)).join(' '),
      'p50 ms': median(results.map((r) => r.p50)),
      'p99 ms': median(results.map((r) => r.p99)),
      'ratio (median)': median(ratios).toFixed(2),
      'ratio per run': ratios.map((x) => x.toFixed(2)).join(' '),
      'server CPU µs/req': results.every((r) => r.cpuMicros !== null)
        ? Math.round(median(results.map((r) => r.cpuMicros!)))
        : '-',
    })
    const rows = [
      row(
        'bare node:http (baseline)',
        runs.map((r) => r.bare),
        runs.map(() => 1),
      ),
      row(
        '/tokens/validate, one token',
        runs.map((r) => r.repeated),
        repeatedRatios,
      ),
      row(
        '/tokens/validate through Fastify (fast path off)',
        runs.map((r) => r.route),
        routeRatios,
      ),
      row(
        `/tokens/validate, ${distinct.length} never-seen tokens`,
        [allDistinct],
        [allDistinct.requestsPerSecond / bareRate],
      ),
    ]
    console.log(
      `\n/tokens/validate vs bare node:http (${ROUNDS} rounds of ${seconds} s, 32 connections; goal: repeated ≥ 0.60)\n`,
    )
    console.log(table(rows))
    console.log(
      '\nserver CPU µs/req: user + system time of the server process over requests answered (/proc).',
    )
    console.log(
      `before the rounds, the embedded worker took ${drainSeconds.toFixed(1)} s to finish the jobs the minting queued.`,
    )
    console.log(
      `load average before ${fmtLoad(loadBefore)}, after ${fmtLoad(loadAfter)} (${cpus} CPUs; ${pinned ? 'autocannon pinned to CPU 0, Loom and the bare server to CPU 1' : 'autocannon, Loom and the bare server share them; BENCH_PIN=1 pins them apart'})`,
    )
    for (const r of [...runs.map((run) => run.repeated), allDistinct]) {
      if (r.non2xx > 0 || r.errors > 0)
        console.log(`WARNING: ${r.non2xx} non-2xx, ${r.errors} errors`)
    }
  } finally {
    await loom.stop()
    await route.stop()
    await bare.stop()
  }
}

type Measured = LoadResult & { cpuMicros: number | null }

/** A load run, with the server process's CPU time (user + system) per request answered. */
async function measured(
  pid: number | undefined,
  run: () => Promise<LoadResult>,
): Promise<Measured> {
  const before = pid === undefined ? null : cpuTicks(pid)
  const result = await run()
  const after = pid === undefined ? null : cpuTicks(pid)
  const cpuMicros =
    before === null || after === null || result.requests === 0
      ? null
      : ((after - before) * 1e6) / TICKS_PER_SECOND / result.requests
  return { ...result, cpuMicros }
}

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100

/** User + system CPU ticks of a process from /proc (Linux); null elsewhere. */
function cpuTicks(pid: number): number | null {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return null
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

function fmtLoad(load: number[]): string {
  return load.map((x) => x.toFixed(2)).join(' ')
}
