// The hosted page's server side over HTTP (the browser flows are in hosted-page.browser.test.ts):
// the session link as the only credential, state, uploads with feedback and retakes, cancel,
// outcome redirect, expired and forged links, headers (CSP, framing, referrer), languages,
// rate limits and the token kept out of logs. On SQLite and PostgreSQL.
import net from 'node:net'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  TestClock,
  admin,
  createKey,
  createTenant,
  dialects,
  errorCode,
  eventually,
  randomAddress,
  startSession,
  startTestApp,
} from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { licenceFront, passport } from './specimens.ts'
import { CATALOGUES, pickLanguage } from '../src/web/i18n.ts'

/** The boot data the shell hands its script. */
function bootOf(html: string): Record<string, unknown> & {
  state: Record<string, unknown>
  embedOrigin: string | null
  captureScript: string
} {
  const match = /<script type="application\/json" id="loom-boot">(.*?)<\/script>/s.exec(html)
  if (!match?.[1]) throw new Error('no boot data in the page')
  return JSON.parse(match[1])
}

/** A photo too blurred to read: the reader's quality check says `blurry`. */
const blurred = (image: Buffer) => sharp(image).blur(20).jpeg().toBuffer()

describe.each(dialects())('hosted page (%s)', (dialect) => {
  let t: TestApp
  const clock = new TestClock()
  let tenant: { id: string; key: string }
  let good: Buffer
  let blurry: Buffer

  beforeAll(async () => {
    t = await startTestApp(dialect, { clock })
    tenant = await createTenant(t.app, { name: 'Acme <Shop> & Co', brandColor: '#0a7f5c' })
    good = (await passport({ adult: true })).image
    blurry = await blurred(good)
  }, 120_000)
  afterAll(async () => t?.close())

  const headers = () => ({ 'x-tenant-api-key': tenant.key })

  async function start(body: Record<string, unknown> = {}, key = tenant.key) {
    const { id, path } = await startSession(t.app, key, body)
    return { id, path, token: path.slice('/s/'.length) }
  }

  const get = (url: string, extra: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers: extra, remoteAddress: randomAddress() })
  const upload = (path: string, kind: string, bytes: Buffer, type = 'image/jpeg') =>
    t.app.inject({
      method: 'POST',
      url: `${path}/images/${kind}`,
      headers: { 'content-type': type },
      payload: bytes,
      remoteAddress: randomAddress(),
    })

  it('serves the page with strict headers, the tenant and the session state', async () => {
    const { id, path } = await start()
    const res = await get(path)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    const csp = String(res.headers['content-security-policy'])
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).toContain("frame-ancestors 'none'")
    expect(res.headers['x-frame-options']).toBe('DENY')
    expect(res.headers['referrer-policy']).toBe('no-referrer')
    expect(res.headers['cache-control']).toBe('no-store')
    // Every asset is Loom's own: no other origin is referenced.
    expect(res.body).not.toMatch(/(src|href)="(https?:)?\/\//)
    expect(res.body).toContain('Acme &lt;Shop&gt; &amp; Co')
    expect(res.body).not.toContain('Acme <Shop>')
    const boot = bootOf(res.body)
    expect(boot.state).toMatchObject({
      sessionId: id,
      tenant: { name: 'Acme <Shop> & Co', brandColor: '#0a7f5c' },
      verificationType: 'age_only',
      status: 'pending',
      missingImages: ['document_front'],
      finish: null,
    })
    expect(boot.embedOrigin).toBeNull()
    // Fetching the HTML (a link preview, say) does not open the session; the script's state read does.
    const state = await get(`${path}/state`)
    expect(state.statusCode).toBe(200)
    expect(state.json().status).toBe('in_progress')
    expect(boot.captureScript).toMatch(/^\/page\/capture\.js\?v=[\w-]{12}$/)
    for (const asset of ['/page/page.js', boot.captureScript, '/page/page.css', '/embed.js']) {
      const file = await get(asset)
      expect(file.statusCode, asset).toBe(200)
      expect(file.headers['x-content-type-options']).toBe('nosniff')
    }
    expect((await get('/embed.js')).headers['cross-origin-resource-policy']).toBe('cross-origin')
    // The tenant's colour comes as a stylesheet (no inline style), with readable text on it.
    expect(res.body).toContain('href="/page/theme.css?brand=0a7f5c"')
    const theme = await get('/page/theme.css?brand=0a7f5c')
    expect(theme.headers['content-type']).toMatch(/^text\/css/)
    expect(theme.body).toContain('--brand:#0a7f5c;--on-brand:#ffffff')
    expect((await get('/page/theme.css?brand=ffe600')).body).toContain('--on-brand:#000000')
    expect((await get('/page/theme.css?brand=red;}')).statusCode).toBe(400)
  })

  it('speaks the language asked for by ?lang= or Accept-Language, English otherwise', async () => {
    const { path } = await start()
    const fr = await get(path, { 'accept-language': 'it-CH, fr;q=0.8, en;q=0.5' })
    expect(fr.body).toContain('<html lang="fr">')
    expect(bootOf(fr.body).messages).toEqual(CATALOGUES.fr)
    const de = await get(path, { 'accept-language': 'de-CH, fr;q=0.8' })
    expect(de.body).toContain('<html lang="de">')
    expect(bootOf(de.body).messages).toEqual(CATALOGUES.de)
    const en = await get(`${path}?lang=en`, { 'accept-language': 'fr' })
    expect(en.body).toContain('<html lang="en">')
    expect((await get(`${path}?lang=xx`)).body).toContain('<html lang="en">')
    expect(pickLanguage(undefined, 'fr-CA;q=0.1, en;q=0.9')).toBe('en')
    expect(pickLanguage('FR-be', undefined)).toBe('fr')
    expect(pickLanguage('de-AT', 'fr')).toBe('de')
    // Every catalogue has the reference's keys (the compiler checks it too), no empty message,
    // and the same {names} in each message, so nothing the page fills in is lost in translation.
    for (const language of ['fr', 'de'] as const) {
      const catalogue = CATALOGUES[language]
      expect(Object.keys(catalogue).sort()).toEqual(Object.keys(CATALOGUES.en).sort())
      for (const [key, text] of Object.entries(catalogue)) {
        expect(text.trim()).not.toBe('')
        const names = (s: string): string[] => (s.match(/\{\w+\}/g) ?? []).sort()
        expect([key, names(text)]).toEqual([
          key,
          names(CATALOGUES.en[key as keyof typeof catalogue]),
        ])
      }
    }
  })

  it('takes a photo, decides, and sends the person back with the applicant sessions API’s parameters', async () => {
    const { id, path } = await start({
      callback_url: 'https://shop.example/back?x=1',
      state: 'csrf-1',
    })
    const page = await get(path)
    expect(page.headers['content-security-policy']).toContain(
      'frame-ancestors https://shop.example',
    )
    expect(page.headers['x-frame-options']).toBeUndefined()
    const up = await upload(path, 'document_front', good, 'image/png')
    expect(up.statusCode).toBe(200)
    expect(up.json()).toMatchObject({
      feedback: 'ok',
      complete: true,
      missingImages: [],
      doneImages: ['document_front'],
      status: 'processing',
    })
    expect((await get(`${path}/state`)).json()).toMatchObject({
      status: 'processing',
      finish: null,
    })
    const again = await upload(path, 'document_front', good)
    expect(again.statusCode).toBe(409)
    const done = await t.app.inject({
      method: 'POST',
      url: '/verify/complete',
      headers: headers(),
      payload: { verificationId: id },
    })
    expect(done.json().status).toBe('approved')
    const state = (await get(`${path}/state`)).json()
    expect(state).toMatchObject({
      status: 'approved',
      finish: { sessionId: id, status: 'success', reason: null, state: 'csrf-1' },
    })
    const back = new URL(state.finish.redirectUrl)
    expect(back.origin + back.pathname).toBe('https://shop.example/back')
    expect(Object.fromEntries(back.searchParams)).toEqual({
      x: '1',
      session_id: id,
      status: 'success',
      state: 'csrf-1',
    })
    // The state never carries personal data.
    expect(JSON.stringify(state)).not.toMatch(/dateOfBirth|lastName|verifiedAge/)
  })

  it('asks for a retake of a blurry photo, and counts it after the third try', async () => {
    const { path } = await start()
    for (let attempt = 1; attempt <= 2; attempt++) {
      const res = await upload(path, 'document_front', blurry)
      expect(res.statusCode).toBe(200)
      expect(res.json()).toMatchObject({
        feedback: 'blurry',
        missingImages: ['document_front'],
        complete: false,
      })
    }
    const third = await upload(path, 'document_front', blurry)
    expect(third.json().feedback).toBe('blurry')
    // Counted now: a blurry front read nothing, so the back is asked for (as on the API).
    expect(third.json().missingImages).toEqual(['document_back'])
    const retaken = await upload(path, 'document_front', good)
    expect(retaken.json()).toMatchObject({ feedback: 'ok', complete: true })
  })

  it('tells the page which documents the workflow accepts', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: { 'x-api-key': tenant.key },
      payload: { name: 'Passports only', accepted_document_types: ['passport'] },
    })
    expect(created.statusCode).toBe(201)
    const { path } = await start({ workflow_id: created.json().id })
    const state = (await get(`${path}/state`)).json()
    expect(state.acceptedDocumentTypes).toEqual(['passport'])
    const plain = await start()
    expect((await get(`${plain.path}/state`)).json().acceptedDocumentTypes).toBeNull()
  })

  it('asks which document, and holds a passport photo with no readable code to a retake', async () => {
    const declare = (path: string, type: unknown) =>
      t.app.inject({
        method: 'POST',
        url: `${path}/document`,
        payload: { type },
        remoteAddress: randomAddress(),
      })
    const { path } = await start()
    const state = (await get(`${path}/state`)).json()
    expect(state.documentChoices).toEqual([
      'passport',
      'id_card',
      'drivers_license',
      'residence_permit',
    ])
    expect(state.declaredDocument).toBeNull()
    const refused = await declare(path, 'library_card')
    expect(refused.statusCode).toBe(400)
    expect(refused.json().error.message).toContain('passport, id_card')
    expect((await declare(path, 42)).statusCode).toBe(400)
    const chosen = await declare(path, 'passport')
    expect(chosen.statusCode).toBe(200)
    expect(chosen.json()).toMatchObject({
      declaredDocument: 'passport',
      missingImages: ['document_front'],
    })
    // A front with no code on it: for a passport that is a photo to retake, not a card's front.
    const front = await upload(path, 'document_front', await licenceFront())
    expect(front.json()).toMatchObject({
      feedback: 'no_document',
      missingImages: ['document_front'],
    })
    expect(front.json().message).toMatch(/No document was found/)
    const retaken = await upload(path, 'document_front', good)
    expect(retaken.json()).toMatchObject({ feedback: 'ok', complete: true })
    // Every image is in: the choice cannot change any more.
    const late = await declare(path, 'id_card')
    expect(late.statusCode).toBe(400)
    expect(late.json().error.code).toBe('VERIFICATION_ALREADY_COMPLETED')
    // A workflow that accepts one document answers the question itself.
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: { 'x-api-key': tenant.key },
      payload: { name: 'Licences only', accepted_document_types: ['drivers_license'] },
    })
    const only = await start({ workflow_id: created.json().id })
    expect((await get(`${only.path}/state`)).json()).toMatchObject({
      documentChoices: ['drivers_license'],
      declaredDocument: 'drivers_license',
    })
  })

  it('takes a licence front with lines of print as it is, and asks for the back', async () => {
    const { path } = await start()
    const front = await upload(path, 'document_front', await licenceFront())
    expect(front.json()).toMatchObject({
      feedback: 'ok',
      missingImages: ['document_back'],
      doneImages: ['document_front'],
    })
  })

  it('answers a corrupt, empty, oversized or unknown upload with a clear 4xx', async () => {
    const { path } = await start()
    const corrupt = await upload(path, 'document_front', good.subarray(0, 300), 'image/png')
    expect(corrupt.statusCode).toBe(400)
    expect(errorCode(corrupt)).toBe('DOCUMENT_INVALID_FORMAT')
    const text = await upload(
      path,
      'document_front',
      Buffer.from('hello'),
      'application/octet-stream',
    )
    expect(text.statusCode).toBe(400)
    const empty = await upload(path, 'document_front', Buffer.alloc(0))
    expect(empty.statusCode).toBe(400)
    const huge = await upload(path, 'document_front', Buffer.alloc(10 * 1024 * 1024 + 1, 0xff))
    expect(huge.statusCode).toBe(413)
    const plain = await upload(path, 'document_front', Buffer.from('x'), 'text/plain')
    expect(plain.statusCode).toBe(415)
    const kind = await upload(path, 'passport', good)
    expect(kind.statusCode).toBe(400)
    expect((await get(`${path}/state`)).json().missingImages).toEqual(['document_front'])
  })

  it('cancels: abandoned with user_cancelled, then the link shows the end', async () => {
    const { id, path } = await start({ redirectUrl: 'https://shop.example/done', state: 's2' })
    const res = await t.app.inject({ method: 'POST', url: `${path}/cancel` })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      status: 'abandoned',
      finish: { status: 'abandoned', reason: 'user_cancelled', state: 's2' },
    })
    expect(Object.fromEntries(new URL(res.json().finish.redirectUrl).searchParams)).toEqual({
      session_id: id,
      status: 'abandoned',
      reason: 'user_cancelled',
      state: 's2',
    })
    const status = await t.app.inject({
      method: 'GET',
      url: `/verify/status?verificationId=${id}`,
      headers: headers(),
    })
    expect(status.json().status).toBe('abandoned')
    const twice = await t.app.inject({ method: 'POST', url: `${path}/cancel` })
    expect(twice.statusCode).toBe(400)
    expect(errorCode(twice)).toBe('VERIFICATION_ALREADY_COMPLETED')
    expect((await upload(path, 'document_front', good)).statusCode).toBe(400)
    const page = await get(path)
    expect(page.statusCode).toBe(200)
    expect(bootOf(page.body).state).toMatchObject({ status: 'abandoned' })
  })

  it('shows a friendly page for an expired link, and for a forged or unknown one', async () => {
    const { path, token } = await start({ redirectUrl: 'https://shop.example/r', state: 'e' })
    clock.advance(25 * 3600_000)
    try {
      const expired = await get(path)
      expect(expired.statusCode).toBe(410)
      expect(expired.headers['content-type']).toMatch(/^text\/html/)
      expect(expired.body).toContain('This link has expired')
      expect(expired.body).toContain('Acme &lt;Shop&gt; &amp; Co')
      expect(expired.body).toContain('status=failed&amp;reason=session_expired')
      expect(expired.body).not.toMatch(/stack|Error:|requestId/)
      const state = await get(`${path}/state`)
      expect(state.statusCode).toBe(410)
      expect(errorCode(state)).toBe('VERIFICATION_EXPIRED')
    } finally {
      clock.advance(-25 * 3600_000)
    }
    const [ver, exp, mac] = token.split('.')
    const other = await start()
    const forged = [
      `${other.id}.${exp}.${mac}`,
      `${ver}.${exp}.${'A'.repeat(43)}`,
      `${ver}.zzzzzz.${mac}`,
      'nonsense',
      tenant.key,
    ]
    for (const bad of forged) {
      const page = await get(`/s/${encodeURIComponent(bad)}?lang=fr`)
      expect(page.statusCode, bad).toBe(404)
      expect(page.body).toContain('Ce lien ne fonctionne pas')
      const api = await get(`/s/${encodeURIComponent(bad)}/state`)
      expect(api.statusCode).toBe(404)
      expect(errorCode(api)).toBe('NOT_FOUND')
    }
    // The link is no tenant credential either.
    const asKey = await t.app.inject({
      method: 'GET',
      url: `/verify/status?verificationId=${ver}`,
      headers: { 'x-tenant-api-key': token },
      remoteAddress: randomAddress(),
    })
    expect(asKey.statusCode).toBe(401)
  })

  it('lets only the callback URL’s origin frame the page and receive its outcome', async () => {
    const { path } = await start({ callback_url: 'https://shop.example/cb' })
    const right = await get(`${path}?embed=1&parent=${encodeURIComponent('https://shop.example')}`)
    expect(bootOf(right.body).embedOrigin).toBe('https://shop.example')
    const wrong = await get(`${path}?embed=1&parent=${encodeURIComponent('https://evil.example')}`)
    expect(bootOf(wrong.body).embedOrigin).toBeNull()
    expect(wrong.headers['content-security-policy']).toContain(
      'frame-ancestors https://shop.example',
    )
    const none = await start()
    const unframed = await get(
      `${none.path}?embed=1&parent=${encodeURIComponent('https://shop.example')}`,
    )
    expect(bootOf(unframed.body).embedOrigin).toBeNull()
    expect(unframed.headers['content-security-policy']).toContain("frame-ancestors 'none'")
  })

  it('serves document verification sessions by their start_token', async () => {
    const test = await createKey(t.app, tenant.id, 'test')
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/verification',
      headers: { authorization: `Bearer ${test.key}` },
      payload: { callback_url: 'https://shop.example/cb', state: 'st4', mock_behavior: 'DENY' },
    })
    const { start_token: startToken, session_id: sid } = created.json()
    const path = `/s/${startToken}`
    const up = await upload(path, 'document_front', good)
    expect(up.json().complete).toBe(true)
    await t.app.inject({
      method: 'POST',
      url: '/verify/complete',
      headers: { 'x-tenant-api-key': test.key },
      payload: { verificationId: sid },
    })
    const state = (await get(`${path}/state`)).json()
    const params = Object.fromEntries(new URL(state.finish.redirectUrl).searchParams)
    expect(params).toMatchObject({ session_id: sid, state: 'st4' })
  })

  it('limits how often one session can be used', async () => {
    const { path } = await start()
    let limited: Awaited<ReturnType<typeof get>> | null = null
    for (let i = 0; i < 260 && limited === null; i++) {
      const res = await get(`${path}/state`)
      if (res.statusCode === 429) limited = res
      else expect(res.statusCode).toBe(200)
    }
    expect(limited).not.toBeNull()
    if (limited === null) return
    expect(errorCode(limited)).toBe('RATE_LIMIT_EXCEEDED')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    // Another session is not affected.
    const other = await start()
    expect((await get(`${other.path}/state`)).statusCode).toBe(200)
  })

  it('refuses an upload to a bad link before reading its body', async () => {
    const { path } = await start()
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = new URL(address)
    try {
      for (const target of ['/s/not-a-link', `${path.slice(0, -3)}xyz`]) {
        // Headers announcing 9 MB, and no body at all: only an answer before the body can come.
        const answer = await new Promise<string>((resolve, reject) => {
          const socket = net.connect(Number(port), '127.0.0.1', () => {
            socket.write(
              `POST ${target}/images/document_front HTTP/1.1\r\nhost: x\r\n` +
                'content-type: image/jpeg\r\ncontent-length: 9000000\r\n\r\n',
            )
          })
          let text = ''
          socket.on('data', (chunk: Buffer) => {
            text += chunk.toString('latin1')
            if (text.includes('\r\n\r\n')) {
              socket.destroy()
              resolve(text)
            }
          })
          socket.on('error', reject)
          setTimeout(() => (socket.destroy(), reject(new Error('no answer before the body'))), 5000)
        })
        expect(answer, target).toMatch(/^HTTP\/1\.1 404 /)
      }
    } finally {
      await new Promise((resolve) => t.app.server.close(resolve))
    }
  })

  it('never writes the link token to the request log', async () => {
    const { path, token } = await start()
    await get(path)
    await get(`${path}/state`)
    await upload(path, 'document_front', Buffer.from('not an image'))
    const logs = await eventually(async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/admin/logs?limit=500',
        headers: admin,
      })
      const rows: { url: string }[] = res.json().logs
      const page = rows.filter((r) => r.url.startsWith('/s/'))
      return page.length >= 3 ? rows : undefined
    })
    const text = JSON.stringify(logs)
    expect(text).not.toContain(token)
    expect(text).not.toContain(token.split('.')[2])
    expect(text).toContain('/s/[redacted]/state')
  })
})
