// The console's branding page over HTTP: the logo uploaded as a multipart form (with the
// session's CSRF token), refused cleanly when it is not a usable image, shown in the preview and
// removed; the data controller and privacy notice saved, refused when invalid, and cleared.
import sharp from 'sharp'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { admin, dialects, startTestApp } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { PASSWORD, post, seedTenants, signIn } from './console-session.ts'
import type { Session } from './console-session.ts'

const BOUNDARY = '----loom-test-boundary'

/** A multipart/form-data body: text fields, then one file. */
function multipartBody(
  fields: Record<string, string>,
  file: { name: string; type: string; bytes: Buffer } | null,
): Buffer {
  const parts: Buffer[] = []
  for (const [name, value] of Object.entries(fields)) {
    parts.push(
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      ),
    )
  }
  if (file !== null) {
    parts.push(
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="logo"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`,
      ),
      file.bytes,
      Buffer.from('\r\n'),
    )
  }
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`))
  return Buffer.concat(parts)
}

describe.each(dialects())('console branding page on %s', (dialect) => {
  let t: TestApp
  let app: FastifyInstance
  let a: Awaited<ReturnType<typeof seedTenants>>['a']
  let png: Buffer

  beforeAll(async () => {
    t = await startTestApp(dialect)
    app = t.app
    ;({ a } = await seedTenants(t))
    png = await sharp({ create: { width: 640, height: 200, channels: 3, background: '#7a1f3d' } })
      .png()
      .toBuffer()
  }, 60_000)
  afterAll(async () => t?.close())

  const tenantOf = async () =>
    (await app.inject({ method: 'GET', url: `/admin/tenants/${a.id}`, headers: admin })).json<
      Record<string, unknown>
    >()
  const upload = (
    s: Session,
    file: { name: string; type: string; bytes: Buffer } | null,
    csrf = s.csrf,
  ) =>
    app.inject({
      method: 'POST',
      url: '/console/branding/logo',
      headers: {
        cookie: s.cookie,
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      },
      payload: multipartBody({ _csrf: csrf }, file),
    })

  it('uploads a logo, shows it in the preview, and removes it', async () => {
    const developer = await signIn(app, { email: a.developer, password: PASSWORD })
    const res = await upload(developer, { name: 'logo.png', type: 'image/png', bytes: png })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.body).toContain('The logo is saved')
    const logoUrl = String((await tenantOf()).logoUrl)
    expect(logoUrl).toMatch(/^\/brand\/ten_\w+\/logo-[0-9a-f]{64}\.png$/)
    const page = await app.inject({
      method: 'GET',
      url: '/console/branding',
      headers: { cookie: developer.cookie },
    })
    expect(page.body).toMatch(
      new RegExp(
        `<div class="brand-preview"><img class="brand-logo" src="${logoUrl}" alt="[^"]+">`,
      ),
    )
    // The console's CSP allows images of its own origin, which the logo is.
    expect(String(page.headers['content-security-policy'])).toContain("img-src 'self'")
    const served = await app.inject({ method: 'GET', url: logoUrl })
    expect(await sharp(served.rawPayload).metadata()).toMatchObject({ width: 480, height: 150 })

    const removed = await post(app, developer, '/console/branding/logo', { action: 'remove' })
    expect(removed.statusCode).toBe(200)
    expect(removed.body).toContain('The logo is removed')
    expect((await tenantOf()).logoUrl).toBeNull()
  })

  it('refuses an SVG, garbage, an oversized file, a missing file or a broken form with 4xx', async () => {
    const developer = await signIn(app, { email: a.developer, password: PASSWORD })
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>')
    const cases: [string, Parameters<typeof upload>[1], number][] = [
      ['svg', { name: 'logo.svg', type: 'image/svg+xml', bytes: svg }, 400],
      ['garbage', { name: 'logo.png', type: 'image/png', bytes: Buffer.from('not a png') }, 400],
      [
        'truncated',
        { name: 'logo.png', type: 'image/png', bytes: png.subarray(0, png.length >> 1) },
        400,
      ],
      [
        'too large',
        { name: 'big.png', type: 'image/png', bytes: Buffer.concat([png, Buffer.alloc(600_000)]) },
        413,
      ],
      ['no file', null, 400],
    ]
    for (const [name, file, status] of cases) {
      const res = await upload(developer, file)
      expect(res.statusCode, `${name}: ${res.body.slice(0, 200)}`).toBe(status)
      expect(res.headers['content-type']).toMatch(/^text\/html/)
    }
    const broken = await app.inject({
      method: 'POST',
      url: '/console/branding/logo',
      headers: { cookie: developer.cookie, 'content-type': 'multipart/form-data; boundary=x' },
      payload: `--x\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${developer.csrf}`,
    })
    expect(broken.statusCode).toBe(400)
    const twice = await app.inject({
      method: 'POST',
      url: '/console/branding/logo',
      headers: {
        cookie: developer.cookie,
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      },
      payload: Buffer.concat([
        multipartBody({ _csrf: developer.csrf }, null).subarray(0, -`--${BOUNDARY}--\r\n`.length),
        multipartBody({ _csrf: developer.csrf }, null),
      ]),
    })
    expect(twice.statusCode).toBe(400)
    expect((await tenantOf()).logoUrl).toBeNull()
  })

  it('needs a developer and the session’s CSRF token', async () => {
    const developer = await signIn(app, { email: a.developer, password: PASSWORD })
    const file = { name: 'logo.png', type: 'image/png', bytes: png }
    expect((await upload(developer, file, 'forged')).statusCode).toBe(403)
    const viewer = await signIn(app, { email: a.viewer, password: PASSWORD })
    expect((await upload(viewer, file)).statusCode).toBe(403)
    expect((await upload({ cookie: '', csrf: '' }, file)).statusCode).toBe(303)
    expect((await tenantOf()).logoUrl).toBeNull()
  })

  it('saves the data controller and privacy notice, refuses invalid ones, and clears them', async () => {
    const developer = await signIn(app, { email: a.developer, password: PASSWORD })
    const fields = {
      controllerName: 'Acme Holdings Ltd',
      controllerContactUrl: 'mailto:dpo@acme.example',
      privacyNoticeUrl: 'https://acme.example/privacy',
    }
    const saved = await post(app, developer, '/console/branding', { action: 'privacy', ...fields })
    expect(saved.statusCode).toBe(200)
    expect(saved.body).toContain('The privacy information is saved')
    expect(saved.body).toContain('value="https://acme.example/privacy"')
    expect(await tenantOf()).toMatchObject(fields)

    for (const bad of [
      { privacyNoticeUrl: 'http://acme.example/privacy' },
      { privacyNoticeUrl: 'javascript:alert(1)' },
      { controllerContactUrl: 'tel:+441234' },
      { controllerName: 'x'.repeat(201) },
    ]) {
      const res = await post(app, developer, '/console/branding', {
        action: 'privacy',
        ...fields,
        ...bad,
      })
      expect(res.statusCode, JSON.stringify(bad).slice(0, 60)).toBe(400)
    }
    expect(await tenantOf()).toMatchObject(fields)

    const viewer = await signIn(app, { email: a.viewer, password: PASSWORD })
    expect(
      (await post(app, viewer, '/console/branding', { action: 'privacy', controllerName: 'X' }))
        .statusCode,
    ).toBe(403)

    const cleared = await post(app, developer, '/console/branding', {
      action: 'privacy',
      controllerName: '',
      controllerContactUrl: '',
      privacyNoticeUrl: '',
    })
    expect(cleared.statusCode).toBe(200)
    expect(await tenantOf()).toMatchObject({
      controllerName: null,
      controllerContactUrl: null,
      privacyNoticeUrl: null,
    })
  })
})
