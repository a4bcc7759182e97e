// The hosted page's branding in Chromium: with a very light and a very dark brand colour, in the
// light and the dark colour scheme, the intro is axe-clean (readable button text, borders that
// show), the logo loads under the page's own CSP, and the sentence on who holds the person's data
// links the controller and the privacy notice in new tabs.
import sharp from 'sharp'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { admin, createTenant, startSession, startTestApp, listenLocally } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { brandPalette } from '../src/web/brand-colours.ts'
import { en } from '../src/web/messages/en.ts'
import {
  axeViolations,
  haveChromium,
  heading,
  launch,
  phone,
  shooter,
} from './hosted-page-browser.ts'

const TENANT = 'Northwind Cellars'

describe.skipIf(!haveChromium)('hosted page branding in Chromium', () => {
  let t: TestApp
  let loom: string
  let browser: Browser
  const keys = new Map<string, string>()

  /** A tenant with this brand colour, a logo, and its controller and privacy notice. */
  async function tenantWith(brandColor: string): Promise<string> {
    const tenant = await createTenant(t.app, {
      name: TENANT,
      brandColor,
      controllerName: 'Northwind Holdings Ltd',
      controllerContactUrl: 'mailto:dpo@northwind.example',
      privacyNoticeUrl: 'https://northwind.example/privacy',
    })
    const logo = await sharp({
      create: {
        width: 600,
        height: 200,
        channels: 4,
        background: { r: 122, g: 31, b: 61, alpha: 1 },
      },
    })
      .png()
      .toBuffer()
    const put = await t.app.inject({
      method: 'PUT',
      url: `/admin/tenants/${tenant.id}/logo`,
      headers: { ...admin, 'content-type': 'image/png' },
      payload: logo,
    })
    expect(put.statusCode).toBe(200)
    return tenant.key
  }

  beforeAll(async () => {
    t = await startTestApp('sqlite')
    loom = await listenLocally(t.app)
    for (const colour of ['#ffff66', '#111111']) keys.set(colour, await tenantWith(colour))
    browser = await launch(null)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.close()
  }, 60_000)

  for (const colour of ['#ffff66', '#111111']) {
    for (const colorScheme of ['light', 'dark'] as const) {
      it(
        `intro with ${colour} in the ${colorScheme} scheme is axe-clean`,
        { timeout: 120_000 },
        async () => {
          const { path } = await startSession(t.app, keys.get(colour) ?? '')
          const { context, page, problems } = await phone(browser, loom, {
            colorScheme,
            bypassCSP: true,
          })
          await page.emulateMedia({ colorScheme })
          await page.goto(`${loom}${path}`)
          await heading(page, en['intro.title.age'].replace('{tenant}', TENANT))
          await shooter(page, `branding-${colour.slice(1)}-${colorScheme}`)('intro')
          expect(await axeViolations(page)).toEqual([])
          // Buttons are drawn with the accent that stands out in this scheme.
          const palette = brandPalette(colour)
          const accent = colorScheme === 'light' ? palette.accentLight : palette.accentDark
          const [r, g, b] = [1, 3, 5].map((i) => parseInt(accent.slice(i, i + 2), 16))
          expect(
            await page.evaluate<string>(
              'getComputedStyle(document.querySelector(".actions .button.primary")).borderTopColor',
            ),
          ).toBe(`rgb(${r}, ${g}, ${b})`)
          expect(problems).toEqual([])
          await context.close()
        },
      )
    }
  }

  it(
    'loads the logo under the page’s CSP and links the controller and privacy notice',
    { timeout: 120_000 },
    async () => {
      const { path } = await startSession(t.app, keys.get('#111111') ?? '')
      const { context, page, problems } = await phone(browser, loom)
      await page.goto(`${loom}${path}`)
      await heading(page, en['intro.title.age'].replace('{tenant}', TENANT))
      const logo = page.getByRole('img', { name: TENANT })
      await expect
        .poll(() => logo.evaluate((img) => (img as { naturalWidth: number }).naturalWidth))
        .toBe(480)
      const notice = page.locator('.privacy-notice')
      // What is shown (the "opens in a new tab" hints are for screen readers only).
      const shown = await page.evaluate<string>(`(() => {
        const copy = document.querySelector('.privacy-notice').cloneNode(true)
        for (const hint of copy.querySelectorAll('.visually-hidden')) hint.remove()
        return copy.textContent
      })()`)
      const controller = en['intro.controller'].replace('{controller}', 'Northwind Holdings Ltd')
      expect(shown).toBe(`${controller} ${en['intro.privacy_notice']}`)
      const links = notice.getByRole('link')
      expect(await links.count()).toBe(2)
      for (const [i, href] of [
        'mailto:dpo@northwind.example',
        'https://northwind.example/privacy',
      ].entries()) {
        const link = links.nth(i)
        expect(await link.getAttribute('href')).toBe(href)
        expect(await link.getAttribute('target')).toBe('_blank')
        expect(await link.getAttribute('rel')).toBe('noopener noreferrer')
      }
      const privacy = notice.getByRole('link', {
        name: `${en['intro.privacy_notice']} ${en['intro.new_tab']}`,
      })
      expect(await privacy.count()).toBe(1)
      expect(problems).toEqual([])
      await context.close()
    },
  )

  it(
    'names the tenant, without links, when no controller or notice is set',
    { timeout: 120_000 },
    async () => {
      const plain = await createTenant(t.app, { name: TENANT })
      const { path } = await startSession(t.app, plain.key)
      const { context, page, problems } = await phone(browser, loom)
      await page.goto(`${loom}${path}`)
      await heading(page, en['intro.title.age'].replace('{tenant}', TENANT))
      const notice = page.locator('.privacy-notice')
      expect(await notice.textContent()).toBe(
        en['intro.controller'].replace('{controller}', TENANT),
      )
      expect(await notice.getByRole('link').count()).toBe(0)
      expect(problems).toEqual([])
      await context.close()
    },
  )
})
