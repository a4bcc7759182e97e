// The embed script (embed.js) on the tenant's own site, in a real browser (see
// hosted-page-browser.ts): the modal is a dialog (inert page behind, focus kept inside, Escape
// and a close button in the page's language), a page that cannot be shown settles the promise
// with a reason, and an inline frame follows the page's height. axe-clean, the frame included.
import http from 'node:http'
import type { Frame, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { en } from '../src/web/messages/en.ts'
import { fr } from '../src/web/messages/fr.ts'
import {
  WAIT,
  axeViolations,
  haveChromium,
  phone,
  shooter,
  startPageHarness,
} from './hosted-page-browser.ts'
import type { PageHarness } from './hosted-page-browser.ts'

/** The frame showing Loom's page. */
function loomFrame(page: Page, loom: string): Frame {
  const frame = page.frames().find((f) => f.url().startsWith(loom))
  if (frame === undefined) throw new Error('no Loom frame on the page')
  return frame
}

describe.skipIf(!haveChromium)('embed.js on the tenant’s site, in Chromium', () => {
  let h: PageHarness

  beforeAll(async () => {
    h = await startPageHarness()
  }, 180_000)

  afterAll(async () => {
    await h?.close()
  }, 60_000)

  const shop = (session: string, query = '') =>
    `${h.site.origin}/shop?session=${encodeURIComponent(session)}${query}`
  const out = (page: Page) => page.locator('#out').textContent()

  it(
    'embedded on the tenant’s site: the outcome arrives as an event, only there',
    { timeout: 120_000 },
    async () => {
      const { id, url } = await h.start({
        callback_url: `${h.site.origin}/return`,
        state: 'embed-1',
      })
      const { context, page } = await phone(h.browser, h.loom)
      const snap = shooter(page, 'embedded')
      await page.goto(`${h.site.origin}/shop?session=${encodeURIComponent(url)}`)
      await page.getByRole('button', { name: 'Verify my age' }).click()
      const frame = page.frameLocator('iframe')
      await frame
        .getByRole('heading', {
          level: 1,
          name: en['intro.title.age'].replace('{tenant}', 'Northwind Cellars'),
        })
        .waitFor()
      await snap('modal')
      await frame.getByRole('button', { name: en['page.cancel'] }).click()
      await frame.getByRole('button', { name: en['cancel.confirm'] }).click()
      await expect.poll(() => page.locator('#out').textContent(), { timeout: WAIT }).not.toBe('')
      expect(JSON.parse((await page.locator('#out').textContent()) ?? '')).toEqual({
        sessionId: id,
        status: 'abandoned',
        reason: 'user_cancelled',
        state: 'embed-1',
      })
      expect(await page.evaluate('window.events')).toHaveLength(1)
      expect(await page.locator('iframe').count()).toBe(0)
      expect(page.url().startsWith(h.site.origin)).toBe(true)
      await snap('after-outcome')

      // Another site cannot frame the page: Chromium refuses it (frame-ancestors).
      const other = await h.start({ callback_url: 'https://elsewhere.example/back' })
      const refused = new Promise<string>((resolve) =>
        page.on('console', (msg) => {
          if (msg.text().includes('frame-ancestors')) resolve(msg.text())
        }),
      )
      await page.goto(`${h.site.origin}/shop?session=${encodeURIComponent(other.url)}`)
      await page.getByRole('button', { name: 'Verify my age' }).click()
      expect(await refused).toContain('frame-ancestors')
      await context.close()
    },
  )

  it(
    'the modal keeps focus inside, makes the page inert, closes on Escape, says Close in French',
    { timeout: 120_000 },
    async () => {
      const { url } = await h.start({ callback_url: `${h.site.origin}/return` })
      const { context, page, problems } = await phone(h.browser, h.loom, { bypassCSP: true })
      const snap = shooter(page, 'embed-modal')
      await page.goto(shop(url, '&lang=fr'))
      const verify = page.getByRole('button', { name: 'Verify my age' })
      await verify.click()
      const intro = fr['intro.title.age'].replace('{tenant}', 'Northwind Cellars')
      await page.frameLocator('iframe').getByRole('heading', { level: 1, name: intro }).waitFor()
      const dialog = page.getByRole('dialog', { name: 'Vérification d’identité' })
      expect(await dialog.getAttribute('aria-modal')).toBe('true')
      expect(await page.getByRole('button', { name: 'Fermer' }).isVisible()).toBe(true)
      // The shop behind the modal is inert: not focusable, not clickable, hidden from AT.
      expect(await page.evaluate(`document.querySelector('main').inert`)).toBe(true)
      const terms = `(() => {
        const link = document.querySelector('a[href="#terms"]')
        link.focus()
        return document.activeElement === link
      })()`
      expect(await page.evaluate(terms)).toBe(false)
      expect(await axeViolations(page)).toEqual([])
      expect(await axeViolations(loomFrame(page, h.loom))).toEqual([])
      await snap('modal-fr')
      // Tab round and round: focus stays in the dialog (the frame or its close button).
      const seen = new Set<string>()
      for (let i = 0; i < 24; i++) {
        await page.keyboard.press('Tab')
        const where = await page.evaluate(`(() => {
          const el = document.activeElement
          return el && el.closest('[role=dialog]') ? el.tagName : 'outside:' + (el && el.tagName)
        })()`)
        seen.add(String(where))
      }
      expect([...seen].sort()).toEqual(['BUTTON', 'IFRAME'])
      // Escape inside the frame closes the modal: null, loom:close, focus back on the button.
      await page.frameLocator('iframe').getByRole('checkbox').focus()
      await page.keyboard.press('Escape')
      await expect.poll(() => out(page)).toBe('null')
      expect(await page.evaluate('window.events.map((e) => e.type)')).toEqual(['loom:close'])
      expect(await page.locator('iframe').count()).toBe(0)
      expect(await page.evaluate(`document.querySelector('main').inert`)).toBe(false)
      expect(await page.evaluate('document.activeElement?.id')).toBe('verify')
      expect(problems).toEqual([])
      await context.close()
    },
  )

  it(
    'a frame the browser refuses rejects with framing_refused; one that never loads with timeout',
    { timeout: 120_000 },
    async () => {
      const { context, page } = await phone(h.browser, h.loom)
      // The session's redirect URL is on another site: this shop may not frame it.
      const other = await h.start({ callback_url: 'https://elsewhere.example/back' })
      await page.goto(shop(other.url))
      await page.getByRole('button', { name: 'Verify my age' }).click()
      await expect.poll(() => out(page), { timeout: WAIT }).toBe('error: framing_refused')
      expect(await page.evaluate('window.events')).toEqual([
        { type: 'loom:error', detail: { reason: 'framing_refused' } },
      ])
      expect(await page.locator('iframe').count()).toBe(0)
      expect(await page.evaluate(`document.querySelector('main').inert`)).toBe(false)

      // A server that never answers: the embed gives up after its timeout.
      const silent = http.createServer(() => undefined)
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
      const address = silent.address()
      if (address === null || typeof address === 'string') throw new Error('no port')
      try {
        await page.goto(shop(`http://127.0.0.1:${address.port}/s/never-answers`, '&timeout=1500'))
        await page.getByRole('button', { name: 'Verify my age' }).click()
        await expect.poll(() => out(page), { timeout: WAIT }).toBe('error: timeout')
        expect(await page.evaluate('window.events')).toEqual([
          { type: 'loom:error', detail: { reason: 'timeout' } },
        ])
        expect(await page.locator('iframe').count()).toBe(0)
      } finally {
        silent.closeAllConnections()
        await new Promise<void>((resolve) => silent.close(() => resolve()))
      }
      await context.close()
    },
  )

  it('an inline frame follows the height of the page in it', { timeout: 120_000 }, async () => {
    const { url } = await h.start({ callback_url: `${h.site.origin}/return` })
    const { context, page, problems } = await phone(h.browser, h.loom, { bypassCSP: true })
    const snap = shooter(page, 'embed-inline')
    await page.goto(shop(url, '&inline=1'))
    await page.getByRole('button', { name: 'Verify my age' }).click()
    const intro = en['intro.title.age'].replace('{tenant}', 'Northwind Cellars')
    await page.frameLocator('iframe').getByRole('heading', { level: 1, name: intro }).waitFor()
    const frame = loomFrame(page, h.loom)
    const pageHeight = () =>
      frame.evaluate<number>('Math.ceil(document.body.getBoundingClientRect().height)')
    const frameHeight = () =>
      page.locator('iframe').evaluate((el) => Math.round(el.getBoundingClientRect().height))
    await expect.poll(async () => (await frameHeight()) - (await pageHeight())).toBe(0)
    const before = await frameHeight()
    expect(before).toBeGreaterThan(400)
    // No modal inline: nothing is made inert.
    expect(await page.getByRole('dialog').count()).toBe(0)
    expect(await page.evaluate(`document.querySelector('main').inert`)).toBe(false)
    await snap('inline-intro')
    // The consent message makes the page taller; the frame follows.
    await page.frameLocator('iframe').getByRole('button', { name: en['intro.start'] }).click()
    await page.frameLocator('iframe').getByText(en['intro.consent_required']).waitFor()
    await expect.poll(async () => (await frameHeight()) - (await pageHeight())).toBe(0)
    expect(await frameHeight()).toBeGreaterThan(before)
    expect(await axeViolations(frame)).toEqual([])
    await snap('inline-consent-required')
    expect(problems).toEqual([])
    await context.close()
  })
})
