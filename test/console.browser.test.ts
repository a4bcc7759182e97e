// The console in a real browser (Debian's Chromium through playwright-core) against a listening
// Loom with its worker: a reviewer signs in with the keyboard, finds a `review` verification in
// the queue, looks at its images and approves it; the tenant's webhook receiver (a real local
// HTTP server) gets the decision with method manual_review. Pages are checked with axe-core.
import { createRequire } from 'node:module'
import { existsSync, readFileSync } from 'node:fs'
import http from 'node:http'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { admin, createKey, createTenant, startTestApp, listenLocally } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { passport } from './specimens.ts'
import { startWorker } from '../src/jobs/worker.ts'
import type { RunningWorker } from '../src/jobs/worker.ts'

const CHROMIUM = '/usr/bin/chromium'
const PASSWORD = 'correct horse battery staple'
const haveChromium = existsSync(CHROMIUM)
const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
)

interface Received {
  type: string
  data: { verificationId?: string; status?: string; result?: { method?: string } }
}

/** Runs axe-core on the page; returns the violations' ids. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource })
  // A string, evaluated in the page (the test's own types know no DOM).
  return page.evaluate<string[]>(
    'window.axe.run().then((result) => result.violations.map((v) => v.id))',
  )
}

describe.skipIf(!haveChromium)('console in a browser', () => {
  let t: TestApp
  let loom: string
  let worker: RunningWorker
  let browser: Browser
  let receiver: http.Server
  const received: Received[] = []
  let verificationId = ''
  const reviewer = `reviewer-${Math.random().toString(36).slice(2)}@example.test`
  const developer = `developer-${Math.random().toString(36).slice(2)}@example.test`
  let endpointId = ''

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
      req.on('end', () => {
        received.push(JSON.parse(body) as Received)
        res.writeHead(200).end('ok')
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    const receiverAddress = receiver.address()
    if (receiverAddress === null || typeof receiverAddress === 'string') throw new Error('no port')

    t = await startTestApp('sqlite')
    loom = await listenLocally(t.app)
    worker = startWorker(t.deps, { maintenance: false })

    const tenant = await createTenant(t.app, { name: 'Northwind Cellars' })
    const testKey = (await createKey(t.app, tenant.id, 'test')).key
    const headers = { 'x-tenant-api-key': testKey }
    const endpoint = await t.app.inject({
      method: 'POST',
      url: '/webhooks/endpoints',
      headers,
      payload: { url: `http://127.0.0.1:${receiverAddress.port}/hooks` },
    })
    expect(endpoint.statusCode, endpoint.body).toBe(201)
    endpointId = endpoint.json<{ id: string }>().id
    const created = await t.app.inject({
      method: 'POST',
      url: `/admin/tenants/${tenant.id}/console-users`,
      headers: admin,
      payload: { email: reviewer, role: 'reviewer', password: PASSWORD },
    })
    expect(created.statusCode, created.body).toBe(201)
    const dev = await t.app.inject({
      method: 'POST',
      url: `/admin/tenants/${tenant.id}/console-users`,
      headers: admin,
      payload: { email: developer, role: 'developer', password: PASSWORD },
    })
    expect(dev.statusCode, dev.body).toBe(201)
    // A test verification whose mock behaviour sends it to review once its image is in.
    const started = await t.app.inject({
      method: 'POST',
      url: '/verify/start',
      headers,
      payload: { mockBehavior: 'review', verificationType: 'age_only' },
    })
    expect(started.statusCode, started.body).toBe(200)
    verificationId = started.json<{ verificationId: string }>().verificationId
    const image = (await passport({ adult: true })).image.toString('base64')
    const upload = await t.app.inject({
      method: 'POST',
      url: '/verify/images',
      headers,
      payload: { verificationId, type: 'document_front', image },
    })
    expect(upload.statusCode, upload.body).toBe(200)
    for (let i = 0; i < 200; i++) {
      const status = await t.app.inject({
        method: 'GET',
        url: `/verify/status?verificationId=${verificationId}`,
        headers,
      })
      if (status.json<{ status: string }>().status === 'review') break
      await new Promise((r) => setTimeout(r, 100))
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-background-networking'],
    })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await worker?.stop()
    await t?.close()
    await new Promise((resolve) => receiver?.close(resolve))
  })

  it('a reviewer signs in, finds the review, looks at its images and approves it', async () => {
    // bypassCSP only lets the test inject axe-core; the pages themselves run no script.
    const context = await browser.newContext({ bypassCSP: true, locale: 'en-GB' })
    const page = await context.newPage()
    await page.goto(`${loom}/console`)
    await expect(page.title()).resolves.toContain('Sign in')
    expect(await axeViolations(page)).toEqual([])

    // Keyboard only: the skip link first, then the form fields in order.
    await page.keyboard.press('Tab')
    expect(await page.evaluate<string | null>('document.activeElement?.textContent ?? null')).toBe(
      'Skip to content',
    )
    await page.getByLabel('Email').focus()
    await page.keyboard.type(reviewer)
    await page.keyboard.press('Tab')
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press('Enter')
    await page.waitForURL(`${loom}/console/verifications`)

    await page.getByRole('link', { name: 'Review queue' }).click()
    await page.waitForURL(`${loom}/console/review`)
    expect(await axeViolations(page)).toEqual([])
    await page.getByRole('link', { name: verificationId }).click()
    await page.waitForURL(`${loom}/console/verifications/${verificationId}`)
    expect(await axeViolations(page)).toEqual([])

    const image = page.getByRole('img', { name: 'Image: document_front' })
    await image.waitFor()
    const loaded = await image.evaluate((img) => {
      const shown = img as unknown as { complete: boolean; naturalWidth: number }
      return shown.complete ? shown.naturalWidth : 0
    })
    expect(loaded).toBeGreaterThan(100)
    const src = await image.getAttribute('src')
    const imageResponse = await page.request.get(`${loom}${src ?? ''}`)
    expect(imageResponse.status()).toBe(200)
    expect(imageResponse.headers()['cache-control']).toBe('no-store')
    expect(imageResponse.headers()['content-type']).toBe('image/png')

    await page.getByRole('radio', { name: 'Approve' }).check()
    await page.getByLabel('Reason').selectOption('manual_check_passed')
    await page.getByLabel(/^Note/).fill('Checked the document by hand')
    await page.getByRole('button', { name: 'Record decision' }).click()
    await page.waitForURL(/decided=1/)
    await expect(page.getByRole('status').textContent()).resolves.toContain('approved')

    // The tenant's webhook receiver gets the decision, saying a reviewer made it.
    for (let i = 0; i < 200 && !received.some((e) => e.data.status === 'approved'); i++) {
      await new Promise((r) => setTimeout(r, 100))
    }
    const completed = received.find(
      (e) => e.type === 'verification.completed' && e.data.status === 'approved',
    )
    expect(completed?.data.verificationId).toBe(verificationId)
    expect(JSON.stringify(completed)).toContain('manual_review')
    expect(JSON.stringify(received)).not.toContain('Checked the document by hand')

    // French, and still axe-clean.
    await page.goto(`${loom}/console/verifications?lang=fr`)
    await expect(page.locator('h1').textContent()).resolves.toBe('Vérifications')
    expect(await axeViolations(page)).toEqual([])
    await context.close()
  }, 120_000)
  it('a developer creates a key, sees its secret once, revokes it, opens an endpoint’s log and makes a workflow', async () => {
    const context = await browser.newContext({ bypassCSP: true, locale: 'en-GB' })
    const page = await context.newPage()
    await page.goto(`${loom}/console/sign-in`)
    await page.getByLabel('Email').fill(developer)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await page.waitForURL(`${loom}/console/verifications`)

    await page.getByRole('link', { name: 'API keys' }).click()
    await page.waitForURL(`${loom}/console/keys`)
    expect(await axeViolations(page)).toEqual([])
    await page.getByLabel('Mode').selectOption('test')
    await page.getByLabel('Name').fill('browser')
    await page.getByRole('button', { name: 'Create key' }).click()
    const secret = await page.locator('code.secret').textContent()
    expect(secret).toMatch(/^loom_test_[A-Za-z0-9_-]{43}$/)
    expect(await axeViolations(page)).toEqual([])
    await page.goto(`${loom}/console/keys`)
    expect(await page.content()).not.toContain(secret ?? 'none')

    const row = page.getByRole('row').filter({ hasText: 'browser' })
    await row.getByRole('link', { name: 'Revoke' }).click()
    await page.waitForURL(/\/console\/keys\/key_[^/]+\/revoke$/)
    expect(await axeViolations(page)).toEqual([])
    await page.getByRole('button', { name: 'Revoke this key' }).click()
    await page.waitForURL(/revoked=1/)
    await expect(page.getByRole('status').textContent()).resolves.toContain('The key is revoked.')

    await page.goto(`${loom}/console/webhooks`)
    expect(await axeViolations(page)).toEqual([])
    await page.goto(`${loom}/console/webhooks/${endpointId}?lang=fr`)
    await expect(page.locator('h1').textContent()).resolves.toBe('Point de terminaison webhook')
    expect(await axeViolations(page)).toEqual([])

    // A workflow made with the keyboard-reachable form, then opened again.
    await page.goto(`${loom}/console/workflows`)
    await page.getByRole('link', { name: 'New workflow' }).click()
    await page.waitForURL(`${loom}/console/workflows/new`)
    expect(await axeViolations(page)).toEqual([])
    await page.getByLabel('Name').fill('Browser workflow')
    await page.getByLabel('Type').selectOption('full_verification')
    await page.getByLabel('Passport').check()
    await page.getByLabel('Accepted issuing countries').fill('GBR FRA')
    await page.getByRole('button', { name: 'Save workflow' }).click()
    await expect(page.getByRole('status').textContent()).resolves.toContain('Browser workflow')
    await page.getByRole('link', { name: 'Browser workflow' }).click()
    await page.waitForURL(/\/console\/workflows\/wf_/)
    await expect(page.getByLabel('Accepted issuing countries').inputValue()).resolves.toBe(
      'GBR FRA',
    )
    await expect(page.getByLabel('Passport').isChecked()).resolves.toBe(true)
    expect(await axeViolations(page)).toEqual([])
    await context.close()
  }, 120_000)
})
