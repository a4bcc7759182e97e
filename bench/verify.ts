// /v1/verify with generated passports and licences at rising concurrency, and the p99 of
// /tokens/validate measured at the same time (issue 8: p95 ≤ 1 s for age_only at concurrency 2).
import { benchTenant, mintTokens, startLoom, table } from './lib.ts'
import { generateMrzSpecimen } from '../src/specimen/index.ts'
import { generateLicenceImage } from '../src/specimen/licence-image.ts'

async function documents(count: number): Promise<string[]> {
  const asOf = new Date().toISOString().slice(0, 10)
  const bodies: string[] = []
  for (let i = 0; i < count; i++) {
    if (i % 3 === 2) {
      const licence = await generateLicenceImage(1000 + i, {
        asOf,
        camera: { rotation: 4, blur: 0.6 },
      })
      bodies.push(
        JSON.stringify({
          document_type: 'drivers_license',
          document_data: licence.image.toString('base64'),
        }),
      )
    } else {
      const doc = await generateMrzSpecimen(5000 + i, {
        format: 'TD3',
        asOf,
        degradations: ['background', 'rotation', 'jpeg'],
      })
      bodies.push(
        JSON.stringify({ document_type: 'passport', document_data: doc.image.toString('base64') }),
      )
    }
  }
  return bodies
}

export async function benchVerify(perLevel = 30): Promise<void> {
  const loom = await startLoom({ LOOM_SERVE_WORKER: 'false' })
  try {
    const live = await benchTenant(loom.url, { monthlyQuota: 1_000_000 })
    const liveKey = await liveKeyOf(loom.url, live.id)
    const [token] = await mintTokens(loom.url, live.key, 1)
    const bodies = await documents(Math.max(12, perLevel))
    const rows: Record<string, string | number>[] = []
    for (const concurrency of [1, 2, 4]) {
      const validate = validateAlongside(`${loom.url}/tokens/validate`, live.key, token ?? '')
      const started = Date.now()
      const result = await drive(`${loom.url}/v1/verify`, liveKey, bodies, concurrency, perLevel)
      const seconds = (Date.now() - started) / 1000
      const v = await validate.stop()
      rows.push({
        concurrency,
        'docs/s': (result.latencies.length / seconds).toFixed(2),
        'p50 ms': Math.round(quantile(result.latencies, 0.5)),
        'p95 ms': Math.round(quantile(result.latencies, 0.95)),
        'non-2xx': result.failures,
        'validate p99 ms': v.p99.toFixed(1),
        'validate req/s': Math.round(v.count / seconds),
      })
    }
    console.log(
      `\n/v1/verify age_only (passports and licences, camera-like), ${perLevel} documents per level`,
    )
    console.log('(goal: p95 ≤ 1000 ms at concurrency 2; /tokens/validate measured alongside)\n')
    console.log(table(rows))
  } finally {
    await loom.stop()
  }
}

/** Two clients validating a token back to back until stopped; latencies recorded. */
function validateAlongside(url: string, key: string, token: string) {
  let running = true
  const latencies: number[] = []
  const body = JSON.stringify({ token })
  const client = async (): Promise<void> => {
    while (running) {
      const t0 = performance.now()
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tenant-api-key': key },
        body,
      })
      await res.arrayBuffer()
      latencies.push(performance.now() - t0)
    }
  }
  const clients = [client(), client()]
  return {
    async stop(): Promise<{ p99: number; count: number }> {
      running = false
      await Promise.all(clients)
      latencies.sort((a, b) => a - b)
      return { p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0, count: latencies.length }
    },
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0
}

/** `concurrency` clients send `total` requests in all; latencies sorted ascending. */
async function drive(
  url: string,
  key: string,
  bodies: string[],
  concurrency: number,
  total: number,
): Promise<{ latencies: number[]; failures: number }> {
  let next = 0
  let failures = 0
  const latencies: number[] = []
  const client = async (): Promise<void> => {
    while (next < total) {
      const body = bodies[next++ % bodies.length] ?? ''
      const t0 = performance.now()
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body,
      })
      await res.arrayBuffer()
      latencies.push(performance.now() - t0)
      if (!res.ok) failures++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, client))
  latencies.sort((a, b) => a - b)
  return { latencies, failures }
}

async function liveKeyOf(url: string, tenantId: string): Promise<string> {
  const { ADMIN_KEY, json } = await import('./lib.ts')
  const key = await json<{ apiKey: string }>(`${url}/admin/tenants/${tenantId}/keys`, {
    method: 'POST',
    headers: { 'x-admin-key': ADMIN_KEY },
    body: JSON.stringify({ mode: 'live' }),
  })
  return key.apiKey
}
