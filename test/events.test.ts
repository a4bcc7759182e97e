// GET /events: a tenant's events, oldest first, paged with a cursor, from a time, and held open
// as a long poll — on each store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  TestClock,
  createKey,
  createTenant,
  dialects,
  errorCode,
  expectTenantAuthRequired,
  startTestApp,
} from './helpers.ts'
import type { TestApp } from './helpers.ts'

interface FeedEvent {
  id: string
  type: string
  createdAt: string
  verificationId: string
  mode: string
}
interface FeedPage {
  data: FeedEvent[]
  hasMore: boolean
}

describe.each(dialects())('the event feed on %s', (dialect) => {
  let t: TestApp
  const clock = new TestClock(new Date('2026-06-01T12:00:00Z'))

  beforeAll(async () => {
    t = await startTestApp(dialect, { clock })
  })
  afterAll(async () => t.close())

  const as = (key: string) => ({ 'x-tenant-api-key': key })

  async function feed(key: string, query = ''): Promise<FeedPage> {
    const res = await t.app.inject({ method: 'GET', url: `/events${query}`, headers: as(key) })
    expect(res.statusCode, res.body).toBe(200)
    return res.json<FeedPage>()
  }

  /** A tenant with a test key (and its live one). */
  async function testTenant() {
    const tenant = await createTenant(t.app)
    return { ...tenant, testKey: (await createKey(t.app, tenant.id, 'test')).key }
  }

  /** Starts (and with `complete`, completes) a verification; its id. */
  async function verification(key: string, complete = true): Promise<string> {
    const started = await t.app.inject({
      method: 'POST',
      url: '/verify/start',
      headers: as(key),
      payload: key.startsWith('loom_test_') ? { mock_behavior: 'approve' } : {},
    })
    expect(started.statusCode, started.body).toBe(200)
    const id = started.json<{ verificationId: string }>().verificationId
    if (complete) {
      const done = await t.app.inject({
        method: 'POST',
        url: '/verify/complete',
        headers: as(key),
        payload: { verificationId: id },
      })
      expect(done.statusCode, done.body).toBe(200)
    }
    return id
  }

  it('lists events oldest first and pages through them with the last id as cursor', async () => {
    const tenant = await testTenant()
    const ids: string[] = []
    for (let i = 0; i < 3; i++) ids.push(await verification(tenant.testKey))
    const all = await feed(tenant.testKey, '?limit=100')
    expect(all.hasMore).toBe(false)
    expect(all.data.map((e) => `${e.verificationId} ${e.type}`)).toEqual(
      ids.flatMap((id) => [`${id} verification.started`, `${id} verification.completed`]),
    )
    for (const e of all.data) {
      expect(e.id).toMatch(/^evt_/)
      expect(e.mode).toBe('test')
    }

    // Pages of 4, then 2: every event once, in the same order, and hasMore says when to stop.
    const first = await feed(tenant.testKey, '?limit=4')
    expect(first.hasMore).toBe(true)
    expect(first.data.map((e) => e.id)).toEqual(all.data.slice(0, 4).map((e) => e.id))
    const second = await feed(tenant.testKey, `?limit=4&after=${first.data.at(-1)!.id}`)
    expect(second.hasMore).toBe(false)
    expect(second.data.map((e) => e.id)).toEqual(all.data.slice(4).map((e) => e.id))
    // Exactly a page's worth left: hasMore is false, not a promise of an empty page.
    const exact = await feed(tenant.testKey, `?limit=2&after=${all.data[3]!.id}`)
    expect(exact).toMatchObject({ hasMore: false })
    expect(exact.data).toHaveLength(2)
    // After the last event: nothing, and nothing more.
    expect(await feed(tenant.testKey, `?after=${all.data.at(-1)!.id}`)).toEqual({
      data: [],
      hasMore: false,
    })
    // The default page is 50.
    expect((await feed(tenant.testKey)).data).toHaveLength(6)
  })

  it('starts from a time with since (inclusive), later events only', async () => {
    const tenant = await testTenant()
    const early = await verification(tenant.testKey)
    clock.advance(60 * 60_000)
    const boundary = clock.now().toISOString()
    const late = await verification(tenant.testKey)
    clock.advance(60 * 60_000)

    const fromBoundary = await feed(tenant.testKey, `?since=${encodeURIComponent(boundary)}`)
    expect(new Set(fromBoundary.data.map((e) => e.verificationId))).toEqual(new Set([late]))
    expect(fromBoundary.data.map((e) => e.type)).toEqual([
      'verification.started',
      'verification.completed',
    ])
    const fromBefore = await feed(
      tenant.testKey,
      `?since=${encodeURIComponent(new Date(Date.parse(boundary) - 1).toISOString())}`,
    )
    expect(fromBefore.data.map((e) => e.verificationId)).not.toContain(early)
    expect(fromBefore.data).toHaveLength(2)
    const everything = await feed(tenant.testKey, '?since=2000-01-01T00:00:00Z')
    expect(everything.data.map((e) => e.verificationId)).toEqual([early, early, late, late])
    expect(
      (await feed(tenant.testKey, `?since=${encodeURIComponent(clock.now().toISOString())}`)).data,
    ).toEqual([])
  })

  it('holds a long poll open until an event arrives, and answers empty when the wait ends', async () => {
    const tenant = await testTenant()
    const before = await verification(tenant.testKey, false)
    const [cursor] = (await feed(tenant.testKey)).data
    expect(cursor?.verificationId).toBe(before)

    let answered = false
    const waiting = t.app
      .inject({
        method: 'GET',
        url: `/events?after=${cursor!.id}&wait=20`,
        headers: as(tenant.testKey),
      })
      .then((res) => {
        answered = true
        return res
      })
    // Nothing new yet: still waiting.
    await new Promise((r) => setTimeout(r, 700))
    expect(answered).toBe(false)
    const started = Date.now()
    const next = await verification(tenant.testKey, false)
    const res = await waiting
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json<FeedPage>().data.map((e) => e.verificationId)).toEqual([next])
    // It answered when the event came, well before the 20 seconds asked for.
    expect(Date.now() - started).toBeLessThan(15_000)

    const last = res.json<FeedPage>().data[0]!.id
    const quietStart = Date.now()
    expect(await feed(tenant.testKey, `?after=${last}&wait=1`)).toEqual({
      data: [],
      hasMore: false,
    })
    expect(Date.now() - quietStart).toBeGreaterThanOrEqual(900)
  })

  it('refuses an unknown cursor, a malformed one and bad parameters with a 400', async () => {
    const tenant = await testTenant()
    const other = await testTenant()
    await verification(other.testKey)
    const [theirs] = (await feed(other.testKey)).data
    for (const query of [
      '?after=evt_00000000000000000000',
      '?after=not-an-event',
      `?after=${theirs!.id}`,
      `?after=${theirs!.id}&since=2026-01-01T00:00:00Z`,
      '?since=yesterday',
      '?limit=0',
      '?limit=101',
      '?limit=ten',
      '?wait=31',
      '?wait=-1',
      '?cursor=abc',
    ]) {
      const res = await t.app.inject({
        method: 'GET',
        url: `/events${query}`,
        headers: as(tenant.testKey),
      })
      expect(res.statusCode, query).toBe(400)
      expect(errorCode(res), query).toMatch(/^[A-Z_]+$/)
      // Another tenant's event is as unknown as one that never existed: nothing confirms it.
      expect(res.body, query).not.toContain(other.id)
    }
    const unknown = await t.app.inject({
      method: 'GET',
      url: '/events?after=evt_00000000000000000000',
      headers: as(tenant.testKey),
    })
    const foreign = await t.app.inject({
      method: 'GET',
      url: `/events?after=${theirs!.id}`,
      headers: as(tenant.testKey),
    })
    expect(errorCode(foreign)).toBe(errorCode(unknown))
  })

  it("keeps tenants apart: a tenant never sees another's events", async () => {
    const mine = await testTenant()
    const theirs = await testTenant()
    const myId = await verification(mine.testKey)
    const theirId = await verification(theirs.testKey)
    const seenByMe = (await feed(mine.testKey, '?since=2000-01-01T00:00:00Z')).data
    const seenByThem = (await feed(theirs.testKey, '?since=2000-01-01T00:00:00Z')).data
    expect(new Set(seenByMe.map((e) => e.verificationId))).toEqual(new Set([myId]))
    expect(new Set(seenByThem.map((e) => e.verificationId))).toEqual(new Set([theirId]))
  })

  it('keeps test and live apart: each key sees the events of its own mode', async () => {
    const tenant = await testTenant()
    const testId = await verification(tenant.testKey)
    const liveId = await verification(tenant.key, false)
    const test = (await feed(tenant.testKey)).data
    const live = (await feed(tenant.key)).data
    expect(new Set(test.map((e) => e.verificationId))).toEqual(new Set([testId]))
    expect(test.every((e) => e.mode === 'test')).toBe(true)
    expect(live.map((e) => e.verificationId)).toEqual([liveId])
    expect(live.every((e) => e.mode === 'live')).toBe(true)
    // Paging from a live event's position with the test key still lists test events only.
    const fromLive = await feed(tenant.testKey, `?after=${live[0]!.id}`)
    expect(fromLive.data.every((e) => e.mode === 'test')).toBe(true)
    expect(fromLive.data.map((e) => e.verificationId)).not.toContain(liveId)
  })

  it('needs a tenant key', async () => {
    await expectTenantAuthRequired(t.app, [{ method: 'GET', url: '/events' }])
  })
})
