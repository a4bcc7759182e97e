// The console's branding page in Chromium: a developer uploads a logo through the file input,
// sees it in the preview (loaded under the console's own CSP), saves the privacy information and
// removes the logo; the page is axe-clean throughout.
import sharp from 'sharp'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { admin, createTenant, startTestApp, listenLocally } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { consoleEn } from '../src/console/messages-en.ts'
import { axeViolations, haveChromium, launch } from './hosted-page-browser.ts'

const PASSWORD = 'correct horse battery staple'
describe.skipIf(!haveChromium)('console branding page in Chromium', () => {
  let t: TestApp
  let loom: string
  let browser: Browser
  let tenantId = ''
  const developer = `developer-${Math.random().toString(36).slice(2)}@example.test`

  beforeAll(async () => {
    t = await startTestApp('sqlite')
    loom = await listenLocally(t.app)
    tenantId = (await createTenant(t.app, { name: 'Northwind Cellars', brandColor: '#ffff66' })).id
    const user = await t.app.inject({
      method: 'POST',
      url: `/admin/tenants/${tenantId}/console-users`,
      headers: admin,
      payload: { email: developer, role: 'developer', password: PASSWORD },
    })
    expect(user.statusCode, user.body).toBe(201)
    browser = await launch(null)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  async function signedIn(bypassCSP: boolean) {
    const context = await browser.newContext({ bypassCSP, locale: 'en-GB' })
    const page = await context.newPage()
    const problems: string[] = []
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text())
    })
    await page.goto(`${loom}/console/sign-in`)
    await page.getByLabel('Email').fill(developer)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.keyboard.press('Enter')
    await page.waitForURL(`${loom}/console/verifications`)
    await page.goto(`${loom}/console/branding`)
    return { context, page, problems }
  }

  it(
    'uploads a logo, previews it, saves the privacy information and removes the logo',
    { timeout: 120_000 },
    async () => {
      const logo = await sharp({
        create: { width: 900, height: 300, channels: 3, background: '#7a1f3d' },
      })
        .png()
        .toBuffer()
      const { context, page } = await signedIn(true)
      expect(await axeViolations(page)).toEqual([])
      await page
        .getByLabel(consoleEn['branding.logo_file'])
        .setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: logo })
      await page.getByRole('button', { name: consoleEn['branding.logo_upload'] }).click()
      await page.getByText(consoleEn['branding.logo_saved']).waitFor()
      const preview = page.locator('.brand-preview').getByRole('img', { name: 'Northwind Cellars' })
      await expect
        .poll(() =>
          preview.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
        )
        .toBe(480)
      expect(await axeViolations(page)).toEqual([])

      await page.getByLabel(consoleEn['branding.controller_name']).fill('Northwind Holdings Ltd')
      await page
        .getByLabel(consoleEn['branding.controller_contact'])
        .fill('mailto:dpo@northwind.example')
      await page
        .getByLabel(consoleEn['branding.privacy_notice'])
        .fill('https://northwind.example/privacy')
      await page.getByRole('button', { name: consoleEn['branding.privacy_save'] }).click()
      await page.getByText(consoleEn['branding.privacy_saved']).waitFor()
      const tenant = await t.app.inject({
        method: 'GET',
        url: `/admin/tenants/${tenantId}`,
        headers: admin,
      })
      expect(tenant.json()).toMatchObject({
        controllerName: 'Northwind Holdings Ltd',
        controllerContactUrl: 'mailto:dpo@northwind.example',
        privacyNoticeUrl: 'https://northwind.example/privacy',
        logoUrl: expect.stringMatching(/^\/brand\//),
      })

      await page.getByRole('button', { name: consoleEn['branding.logo_remove'] }).click()
      await page.getByText(consoleEn['branding.logo_removed']).waitFor()
      expect(await page.locator('.brand-logo').count()).toBe(0)
      await context.close()
    },
  )

  it('loads the logo under the console’s own CSP', { timeout: 120_000 }, async () => {
    const logo = await sharp({
      create: { width: 200, height: 100, channels: 3, background: '#123456' },
    })
      .png()
      .toBuffer()
    const put = await t.app.inject({
      method: 'PUT',
      url: `/admin/tenants/${tenantId}/logo`,
      headers: { ...admin, 'content-type': 'image/png' },
      payload: logo,
    })
    expect(put.statusCode).toBe(200)
    const { context, page, problems } = await signedIn(false)
    const preview = page.locator('.brand-logo')
    await expect
      .poll(() =>
        preview.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      )
      .toBe(200)
    expect(problems).toEqual([])
    await context.close()
  })
})
