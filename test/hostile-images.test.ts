// Hostile images on every surface that takes one: a 2 KB PDF whose page nests drawings
// ten-fold per level (hours to render), and a 375 KB progressive JPEG of 64 megapixels. Each is
// refused or read within the engine's time budget on its worker threads; the server's event loop
// keeps answering /health meanwhile, and its memory stays bounded under a burst of them. The
// server is `loom serve` in a process of its own, so the test's own work does not count.
import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_KEY, startLoom } from '../bench/lib.ts'
import type { RunningProcess } from '../bench/lib.ts'
import { hugeProgressiveJpeg, nestedPdf } from '../bench/hostile-files.ts'

const PDF = nestedPdf(9)
let jpeg: Buffer

/** Resident memory of a process and all its threads, from /proc. */
function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
}

interface Upload {
  url: string
  headers: Record<string, string>
  body: string | Buffer
}

describe('hostile images', () => {
  let loom: RunningProcess
  let base: string
  let liveKey: string
  let testKey: string
  const latencies: number[] = []
  let maxRss = 0
  let polling = true
  let poller: Promise<void>

  beforeAll(async () => {
    jpeg = await hugeProgressiveJpeg()
    loom = await startLoom({ LOOM_ENGINE_BUDGET_MS: '1500', LOOM_ENGINE_THREADS: '2' })
    base = loom.url
    const admin = { 'x-admin-key': ADMIN_KEY, 'content-type': 'application/json' }
    const tenant = (await (
      await fetch(`${base}/admin/tenants`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ name: 'hostile', rateLimitPerMinute: 100_000 }),
      })
    ).json()) as { id: string; apiKey: string }
    liveKey = tenant.apiKey
    testKey = (
      (await (
        await fetch(`${base}/admin/tenants/${tenant.id}/keys`, {
          method: 'POST',
          headers: admin,
          body: JSON.stringify({ mode: 'test' }),
        })
      ).json()) as { apiKey: string }
    ).apiKey
    // /health polled over real HTTP for the whole file, one request at a time.
    const pid = loom.process.pid!
    poller = (async () => {
      while (polling) {
        const started = performance.now()
        const res = await fetch(`${base}/health`)
        await res.arrayBuffer()
        latencies.push(performance.now() - started)
        maxRss = Math.max(maxRss, rssOf(pid))
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    })()
  }, 60_000)
  afterAll(async () => {
    polling = false
    await poller
    await loom?.stop()
  })

  const json = (key: string, header = 'x-tenant-api-key') => ({
    [header]: key,
    'content-type': 'application/json',
  })

  async function start(body: Record<string, unknown>): Promise<{ id: string; page: string }> {
    const res = await fetch(`${base}/verify/start`, {
      method: 'POST',
      headers: json(liveKey),
      body: JSON.stringify(body),
    })
    const started = (await res.json()) as { verificationId: string; sessionUrl: string }
    return { id: started.verificationId, page: new URL(started.sessionUrl).pathname }
  }

  /** Every surface that takes an image, as a document side and as a selfie. */
  async function uploads(file: Buffer): Promise<[string, Upload][]> {
    const base64 = file.toString('base64')
    const full = await start({ verification_type: 'full_verification' })
    const ageOnly = await start({ verification_type: 'age_only' })
    const pageFull = await start({ verification_type: 'full_verification' })
    // The page takes a selfie only once the person has agreed to the face check.
    const consented = await fetch(`${base}${pageFull.page}/consent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ biometric: true }),
    })
    expect(consented.status).toBe(200)
    const sessionRes = await fetch(`${base}/api/v1/verification`, {
      method: 'POST',
      headers: json(`Bearer ${liveKey}`, 'authorization'),
      body: JSON.stringify({}),
    })
    const sid = ((await sessionRes.json()) as { session_id: string }).session_id
    const native = (id: string, type: string): Upload => ({
      url: '/verify/images',
      headers: json(liveKey),
      body: JSON.stringify({ verificationId: id, type, image: base64 }),
    })
    const v1 = (key: string, testMode: boolean): Upload => ({
      url: '/v1/verify',
      headers: json(`Bearer ${key}`, 'authorization'),
      body: JSON.stringify({
        document_type: 'passport',
        document_data: base64,
        ...(testMode && { test_mode: true }),
      }),
    })
    const page = (path: string, kind: string): Upload => ({
      url: `${path}/images/${kind}`,
      headers: { 'content-type': 'application/octet-stream' },
      body: file,
    })
    return [
      ['native document', native(full.id, 'document_front')],
      ['native selfie', native(full.id, 'selfie')],
      ['native selfie on an age_only session', native(ageOnly.id, 'selfie')],
      ['/v1/verify live', v1(liveKey, false)],
      ['/v1/verify test_mode', v1(liveKey, true)],
      ['/v1/verify test key', v1(testKey, false)],
      [
        'verification session document',
        {
          url: `/api/v1/verification/${sid}/images`,
          headers: json(`Bearer ${liveKey}`, 'authorization'),
          body: JSON.stringify({ type: 'document_front', image: base64 }),
        },
      ],
      [
        'verification session selfie',
        {
          url: `/api/v1/verification/${sid}/images`,
          headers: json(`Bearer ${liveKey}`, 'authorization'),
          body: JSON.stringify({ type: 'selfie', image: base64 }),
        },
      ],
      ['hosted page document', page(pageFull.page, 'document_front')],
      ['hosted page selfie', page(pageFull.page, 'selfie')],
    ]
  }

  async function send(upload: Upload): Promise<{ status: number; body: string }> {
    const res = await fetch(`${base}${upload.url}`, {
      method: 'POST',
      headers: upload.headers,
      body: upload.body,
    })
    return { status: res.status, body: await res.text() }
  }

  for (const [name, file] of [
    ['nested PDF', () => PDF],
    ['64-megapixel progressive JPEG', () => jpeg],
  ] as const) {
    it(`answers a ${name} on every surface without a 500`, async () => {
      for (const [surface, upload] of await uploads(file())) {
        const res = await send(upload)
        expect(res.status, `${surface}: ${res.body}`).toBeLessThan(500)
      }
    })
  }

  it('keeps memory bounded under 16 large selfies at once', async () => {
    const full = await Promise.all(
      Array.from({ length: 16 }, () => start({ verification_type: 'full_verification' })),
    )
    const answers = await Promise.all(
      full.map(({ id }) =>
        send({
          url: '/verify/images',
          headers: json(liveKey),
          body: JSON.stringify({
            verificationId: id,
            type: 'selfie',
            image: jpeg.toString('base64'),
          }),
        }),
      ),
    )
    for (const res of answers) expect(res.status, res.body).toBeLessThan(500)
  })

  // The figures are printed; the goal (p99 ≤ 100 ms, RSS ≤ 1 GiB) is measured by `npm run bench --
  // hostile` on an otherwise idle machine. What is asserted here is what a freeze breaks: every
  // /health answer within 2 s (the freeze this guards against lasted minutes).
  it('answered /health throughout', () => {
    const sorted = [...latencies].sort((a, b) => a - b)
    const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? 0
    console.log(
      `/health: ${latencies.length} polls, median ${sorted[sorted.length >> 1]?.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms; max RSS ${(maxRss / 2 ** 20).toFixed(0)} MiB`,
    )
    expect(latencies.length).toBeGreaterThan(20)
    expect(sorted.at(-1)).toBeLessThan(2000)
    expect(maxRss).toBeLessThan(1.5 * 1024 ** 3)
  })
})
