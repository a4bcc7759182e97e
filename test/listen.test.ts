// `loom listen --forward URL` as a developer runs it: a real `loom` process long-polls a Loom
// that is listening on a port, and forwards each event, signed, to a real local receiver.
import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import path from 'node:path'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey, createTenant, startTestApp, startWebhookReceiver } from './helpers.ts'
import type { ReceivedWebhook, TestApp, WebhookReceiver } from './helpers.ts'

const LOOM = path.resolve(import.meta.dirname, '../bin/loom.js')

interface Listener {
  child: ChildProcessWithoutNullStreams
  stdout: () => string
  stderr: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Starts `loom listen …`; resolves once it prints that it is ready, or once it exits. */
async function startListen(args: string[], env: Record<string, string> = {}): Promise<Listener> {
  const child = spawn(process.execPath, [LOOM, 'listen', ...args], {
    env: { ...process.env, LOG_LEVEL: 'silent', LOOM_API_KEY: '', LOOM_URL: '', ...env },
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  let done = false
  void exited.then(() => (done = true))
  const deadline = Date.now() + 60_000
  while (!out.includes('Ctrl-C to stop.') && !done) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`loom listen did not get ready: ${out} ${err}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return { child, stdout: () => out, stderr: () => err, exited }
}

describe('loom listen --forward', () => {
  let t: TestApp
  let loomUrl: string
  let receiver: WebhookReceiver
  let tenant: { id: string; key: string }
  let testKey: string
  let secret: string
  const running: Listener[] = []

  beforeAll(async () => {
    t = await startTestApp('sqlite')
    loomUrl = (await t.app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1')
    receiver = await startWebhookReceiver()
    tenant = await createTenant(t.app)
    testKey = (await createKey(t.app, tenant.id, 'test')).key
    const res = await t.app.inject({
      method: 'GET',
      url: '/webhooks/secret',
      headers: { 'x-tenant-api-key': testKey },
    })
    expect(res.statusCode, res.body).toBe(200)
    secret = res.json<{ secret: string }>().secret
  })
  afterAll(async () => {
    for (const l of running) if (l.child.exitCode === null) l.child.kill('SIGKILL')
    await receiver.close()
    await t.close()
  })

  async function verification(): Promise<string> {
    const headers = { 'x-tenant-api-key': testKey }
    const started = await t.app.inject({
      method: 'POST',
      url: '/verify/start',
      headers,
      payload: { mock_behavior: 'approve' },
    })
    expect(started.statusCode, started.body).toBe(200)
    const id = started.json<{ verificationId: string }>().verificationId
    const done = await t.app.inject({
      method: 'POST',
      url: '/verify/complete',
      headers,
      payload: { verificationId: id },
    })
    expect(done.statusCode, done.body).toBe(200)
    return id
  }

  const bodyOf = (r: ReceivedWebhook) =>
    JSON.parse(r.body) as { id: string; type: string; verificationId: string; mode: string }

  it(
    'forwards each new event signed with the tenant secret, prints it, and stops cleanly on SIGINT',
    { timeout: 120_000 },
    async () => {
      const listener = await startListen([
        '--forward',
        `${receiver.url}/all`,
        '--url',
        loomUrl,
        '--api-key',
        testKey,
      ])
      running.push(listener)
      expect(listener.stdout()).toContain(
        `Forwarding events from ${loomUrl} to ${receiver.url}/all`,
      )
      expect(listener.stdout()).toContain(`Signing secret for the forwarded events: ${secret}`)

      const id = await verification()
      await receiver.waitFor(
        () => receiver.at('/all').filter((r) => bodyOf(r).verificationId === id).length >= 2,
        30_000,
      )
      const got = receiver.at('/all').filter((r) => bodyOf(r).verificationId === id)
      expect(got.map((r) => bodyOf(r).type)).toEqual([
        'verification.started',
        'verification.completed',
      ])
      for (const message of got) {
        // Standard Webhooks headers, and a receiver holding the tenant's secret verifies them.
        expect(message.headers['webhook-id']).toBe(bodyOf(message).id)
        expect(message.headers['webhook-timestamp']).toMatch(/^\d+$/)
        expect(message.headers['webhook-signature']).toMatch(/^v1,/)
        const verified = new Webhook(secret).verify(message.body, message.headers) as {
          mode: string
        }
        expect(verified.mode).toBe('test')
        expect(() =>
          new Webhook(secret).verify(message.body.replace(id, 'ver_forged'), message.headers),
        ).toThrow()
      }
      // One printed line per event, with the receiver's answer.
      await expect
        .poll(() =>
          listener
            .stdout()
            .split('\n')
            .filter((l) => l.includes(got[1]!.headers['webhook-id']!)),
        )
        .toHaveLength(1)
      expect(listener.stdout()).toMatch(/verification\.completed\s+evt_\S+\s+-> 200 \(\d+ ms\)/)

      // Ctrl-C in the middle of a long poll: it ends at once, with status 0 and nothing on stderr.
      const stopping = Date.now()
      listener.child.kill('SIGINT')
      const { code, signal } = await listener.exited
      expect({ code, signal }).toEqual({ code: 0, signal: null })
      expect(Date.now() - stopping).toBeLessThan(10_000)
      expect(listener.stderr()).toBe('')
      // Nothing is forwarded once it has stopped.
      const before = receiver.at('/all').length
      await verification()
      await new Promise((r) => setTimeout(r, 1000))
      expect(receiver.at('/all')).toHaveLength(before)
    },
  )

  it(
    'forwards only the event types asked for, signed with --secret when given',
    { timeout: 120_000 },
    async () => {
      const own = `whsec_${Buffer.alloc(32, 3).toString('base64')}`
      const listener = await startListen(
        [
          '--forward',
          `${receiver.url}/completed`,
          '--events',
          'verification.completed',
          '--secret',
          own,
        ],
        { LOOM_URL: loomUrl, LOOM_API_KEY: testKey },
      )
      running.push(listener)
      expect(listener.stdout()).toContain('Only: verification.completed')
      const id = await verification()
      await receiver.waitFor(
        () => receiver.at('/completed').some((r) => bodyOf(r).verificationId === id),
        30_000,
      )
      // The started event came first in the feed; it was skipped, not forwarded.
      const mine = receiver.at('/completed').filter((r) => bodyOf(r).verificationId === id)
      expect(mine.map((r) => bodyOf(r).type)).toEqual(['verification.completed'])
      const [message] = mine
      expect(() => new Webhook(own).verify(message!.body, message!.headers)).not.toThrow()
      expect(() => new Webhook(secret).verify(message!.body, message!.headers)).toThrow()
      listener.child.kill('SIGTERM')
      expect((await listener.exited).code).toBe(0)
    },
  )

  it(
    'says what is wrong with a refused key or bad usage, with exit status 1',
    { timeout: 120_000 },
    async () => {
      const cases: [string[], RegExp][] = [
        [
          [
            '--forward',
            `${receiver.url}/x`,
            '--url',
            loomUrl,
            '--api-key',
            `loom_test_${'Z'.repeat(43)}`,
          ],
          /refused the API key \(401\)/,
        ],
        [['--url', loomUrl, '--api-key', testKey], /--forward URL is required/],
        [
          ['--forward', 'ftp://example.com/x', '--api-key', testKey],
          /--forward must be an http\(s\) URL/,
        ],
        [['--forward', `${receiver.url}/x`, '--url', loomUrl], /a tenant API key is needed/],
      ]
      for (const [args, message] of cases) {
        const listener = await startListen(args)
        running.push(listener)
        const { code } = await listener.exited
        expect(code, args.join(' ')).toBe(1)
        expect(listener.stderr(), args.join(' ')).toMatch(/^loom listen: /)
        expect(listener.stderr(), args.join(' ')).toMatch(message)
        expect(listener.stderr(), args.join(' ')).not.toContain('    at ')
      }
      expect(receiver.at('/x')).toHaveLength(0)
    },
  )
})
