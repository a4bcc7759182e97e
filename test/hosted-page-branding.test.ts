// The hosted page's branding over HTTP: the tenant's logo in the header (served by Loom, so the
// page's CSP allows it), the data controller and privacy notice in the page's state, and the
// colours derived from the brand colour for both colour schemes. On SQLite and PostgreSQL.
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  TestClock,
  admin,
  createTenant,
  dialects,
  randomAddress,
  startSession,
  startTestApp,
} from './helpers.ts'
import type { TestApp } from './helpers.ts'

function bootState(html: string): { tenant: Record<string, unknown> } {
  const match = /<script type="application\/json" id="loom-boot">(.*?)<\/script>/s.exec(html)
  if (!match?.[1]) throw new Error('no boot data in the page')
  return JSON.parse(match[1]).state
}

describe.each(dialects())('hosted page branding (%s)', (dialect) => {
  let t: TestApp
  const clock = new TestClock()
  beforeAll(async () => {
    t = await startTestApp(dialect, { clock })
  })
  afterAll(async () => t?.close())

  const get = (url: string) => t.app.inject({ method: 'GET', url, remoteAddress: randomAddress() })

  it('shows the logo above the title, named after the tenant, from Loom’s own origin', async () => {
    const tenant = await createTenant(t.app, { name: 'Acme <Shop> & Co' })
    const png = await sharp({
      create: { width: 300, height: 100, channels: 3, background: '#0a7f5c' },
    })
      .png()
      .toBuffer()
    const put = await t.app.inject({
      method: 'PUT',
      url: `/admin/tenants/${tenant.id}/logo`,
      headers: { ...admin, 'content-type': 'image/png' },
      payload: png,
    })
    const logoUrl = put.json<{ logoUrl: string }>().logoUrl
    const { path } = await startSession(t.app, tenant.key)
    const page = await get(path)
    expect(page.statusCode).toBe(200)
    const header = /<header class="top">(.*?)<\/header>/s.exec(page.body)?.[1] ?? ''
    expect(header).toContain(
      `<img class="tenant-logo" src="${logoUrl}" alt="Acme &lt;Shop&gt; &amp; Co">`,
    )
    // The logo replaces the initial: its alternative text already names the tenant.
    expect(header).not.toContain('tenant-mark')
    expect(String(page.headers['content-security-policy'])).toContain("img-src 'self'")
    const served = await get(logoUrl)
    expect(served.statusCode).toBe(200)
    expect(served.headers['content-type']).toBe('image/png')

    // The page of an expired link shows it too.
    const { path: expiring } = await startSession(t.app, tenant.key)
    clock.advance(25 * 3600_000)
    try {
      const expired = await get(expiring)
      expect(expired.statusCode).toBe(410)
      expect(expired.body).toContain(`<img class="tenant-logo" src="${logoUrl}"`)
    } finally {
      clock.advance(-25 * 3600_000)
    }

    // A page without a logo keeps the initial and the name.
    const plain = await createTenant(t.app, { name: 'Plain Shop' })
    const other = await get((await startSession(t.app, plain.key)).path)
    expect(other.body).toContain('<span class="tenant-name">Plain Shop</span>')
    expect(other.body).not.toContain('tenant-logo')
  })

  it('gives the page the data controller and the privacy notice, or nothing when unset', async () => {
    const fields = {
      controllerName: 'Acme Holdings <Ltd>',
      controllerContactUrl: 'mailto:dpo@acme.example',
      privacyNoticeUrl: 'https://acme.example/privacy?a=1&b=2',
    }
    const tenant = await createTenant(t.app, { name: 'Acme', ...fields })
    const page = await get((await startSession(t.app, tenant.key)).path)
    expect(bootState(page.body).tenant).toEqual({ name: 'Acme', brandColor: null, ...fields })
    // Values travel in the JSON data block, never as markup.
    expect(page.body).not.toContain('<Ltd>')

    const bare = await createTenant(t.app, { name: 'Bare' })
    const barePage = await get((await startSession(t.app, bare.key)).path)
    expect(bootState(barePage.body).tenant).toEqual({
      name: 'Bare',
      brandColor: null,
      controllerName: null,
      controllerContactUrl: null,
      privacyNoticeUrl: null,
    })
  })

  it('derives an accent for the light and the dark scheme from the brand colour', async () => {
    const light = await get('/page/theme.css?brand=ffff66')
    expect(light.body).toContain('--brand:#ffff66;--on-brand:#000000;--brand-accent:#8c8c38')
    expect(light.body).toContain(
      '@media (prefers-color-scheme: dark){:root{--brand-accent:#ffff66}}',
    )
    const dark = await get('/page/theme.css?brand=111111')
    expect(dark.body).toContain('--on-brand:#ffffff;--brand-accent:#111111')
    expect(dark.body).toContain('{--brand-accent:#707070}')
  })
})
