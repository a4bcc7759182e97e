// The hosted page's move from a computer to a phone, over HTTP (the browser flow is in
// hosted-page-handoff.browser.test.ts): the QR code route decodes to the page's address on the
// configured public URL, whatever Host the request names, under the page's headers and its link
// checks and limits; the shell tells its script where the phone goes and whether it is the phone.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader'
import {
  TestClock,
  createTenant,
  dialects,
  errorCode,
  randomAddress,
  startSession,
  startTestApp,
} from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { pageCsp } from '../src/web/routes.ts'

/** The boot data the shell hands its script. */
function bootOf(html: string): Record<string, unknown> {
  const match = /<script type="application\/json" id="loom-boot">(.*?)<\/script>/s.exec(html)
  if (!match?.[1]) throw new Error('no boot data in the page')
  return JSON.parse(match[1])
}

/** The text of the one QR code in an SVG: rendered to pixels by sharp, read by ZXing. */
async function decodeQr(svg: string): Promise<string[]> {
  // As the engine does: the wasm from node_modules, never its CDN default.
  const require = createRequire(import.meta.url)
  const wasm = await readFile(require.resolve('zxing-wasm/reader/zxing_reader.wasm'))
  const wasmBinary = wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength)
  await prepareZXingModule({ overrides: { wasmBinary }, fireImmediately: true })
  const { data, info } = await sharp(Buffer.from(svg))
    .resize({ width: 600 })
    .flatten({ background: '#ffffff' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
  const results = await readBarcodes(
    {
      data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      colorSpace: 'srgb',
    },
    { formats: ['QRCode'], tryHarder: true },
  )
  return results.filter((r) => r.isValid).map((r) => r.text)
}

describe.each(dialects())('hosted page handoff to a phone (%s)', (dialect) => {
  let t: TestApp
  const clock = new TestClock()
  let tenant: { id: string; key: string }

  beforeAll(async () => {
    t = await startTestApp(dialect, { clock })
    tenant = await createTenant(t.app, { name: 'Northwind Cellars' })
  }, 120_000)
  afterAll(async () => t?.close())

  async function start() {
    const { path } = await startSession(t.app, tenant.key, {})
    return { path, token: path.slice('/s/'.length) }
  }

  const get = (url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers, remoteAddress: randomAddress() })

  it('draws a QR code of the page’s address for the phone, on the configured public URL', async () => {
    const { path, token } = await start()
    // A forged Host header changes nothing: the address comes from LOOM_PUBLIC_URL.
    const res = await get(`${path}/handoff.svg`, { host: 'evil.example' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('image/svg+xml; charset=utf-8')
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['content-security-policy']).toBe(pageCsp(null))
    expect(res.headers['referrer-policy']).toBe('no-referrer')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.body).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
    expect(res.body).not.toContain('evil.example')
    const expected = `${t.deps.config.publicUrl}/s/${token}?handoff=1`
    expect(expected).toMatch(/^https:\/\/loom\.test\/s\//)
    expect(await decodeQr(res.body)).toEqual([expected])
    // Compressed like the page's other answers when the client accepts it.
    const gz = await get(`${path}/handoff.svg`, { 'accept-encoding': 'gzip' })
    expect(gz.headers['content-encoding']).toBe('gzip')
    expect(gz.headers.vary).toBe('accept-encoding')
  })

  it('tells the script the phone’s address and handoff.js, and whether it is the phone', async () => {
    const { path, token } = await start()
    const desktop = bootOf((await get(path)).body)
    expect(desktop).toMatchObject({
      handoffUrl: `https://loom.test/s/${token}?handoff=1`,
      handedOff: false,
    })
    expect(desktop.handoffScript).toMatch(/^\/page\/handoff\.js\?v=[\w-]{12}$/)
    const phone = await get(`${path}?handoff=1`)
    expect(phone.statusCode).toBe(200)
    expect(bootOf(phone.body).handedOff).toBe(true)
    // The language links keep the phone a phone.
    expect(phone.body).toContain(`href="${path}?handoff=1&amp;lang=fr"`)
    // handoff.js is served like the other scripts, immutable at its hashed URL, but only
    // fetched when the person chooses the phone: the shell does not name it as a script.
    expect(phone.body).not.toMatch(/<script[^>]+handoff\.js/)
    const script = await get(String(desktop.handoffScript), { 'accept-encoding': 'br' })
    expect(script.statusCode).toBe(200)
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(script.headers['content-encoding']).toBe('br')
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable')
  })

  it('answers a bad link as the page’s other endpoints do: 404, and 410 once expired', async () => {
    const { path, token } = await start()
    const [ver, exp] = token.split('.')
    for (const bad of [`${ver}.${exp}.${'A'.repeat(43)}`, 'nonsense']) {
      const res = await get(`/s/${encodeURIComponent(bad)}/handoff.svg`)
      expect(res.statusCode, bad).toBe(404)
      expect(res.headers['content-type']).toMatch(/^application\/json/)
      expect(errorCode(res)).toBe('NOT_FOUND')
      expect(res.headers['cache-control']).toBe('no-store')
      const state = await get(`/s/${encodeURIComponent(bad)}/state`)
      expect(res.json()).toMatchObject({ error: { code: state.json().error.code } })
      expect(Object.keys(res.json())).toEqual(Object.keys(state.json()))
    }
    clock.advance(25 * 3600_000)
    try {
      const expired = await get(`${path}/handoff.svg`)
      expect(expired.statusCode).toBe(410)
      expect(errorCode(expired)).toBe('VERIFICATION_EXPIRED')
      expect(expired.body).not.toContain('<svg')
    } finally {
      clock.advance(-25 * 3600_000)
    }
  })

  it('spends from the session’s budget like the page’s reads', async () => {
    const { path } = await start()
    let limited: Awaited<ReturnType<typeof get>> | null = null
    for (let i = 0; i < 260 && limited === null; i++) {
      const res = await get(`${path}/handoff.svg`)
      if (res.statusCode === 429) limited = res
      else expect(res.statusCode).toBe(200)
    }
    expect(limited).not.toBeNull()
    if (limited === null) return
    expect(errorCode(limited)).toBe('RATE_LIMIT_EXCEEDED')
    // The page's state read shares that budget.
    expect((await get(`${path}/state`)).statusCode).toBe(429)
  })
})
