// Specimen documents prove nothing about a person: live mode refuses them (with the default
// LOOM_ACCEPT_SPECIMENS=false), test mode reads them like any other document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey, createTenant, dialects, eventually, startTestApp } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { passport } from './specimens.ts'
import { startWorker } from '../src/jobs/worker.ts'
import type { RunningWorker } from '../src/jobs/worker.ts'

describe.each(dialects())('specimen documents on %s', (dialect) => {
  let t: TestApp
  let worker: RunningWorker
  let tenant: { id: string; key: string }
  let testKey: string
  beforeAll(async () => {
    t = await startTestApp(dialect, {
      env: { LOOM_ACCEPT_SPECIMENS: 'false', LOOM_WORKER_POLL_MS: '20' },
    })
    worker = startWorker(t.deps, { maintenance: false })
    tenant = await createTenant(t.app)
    testKey = (await createKey(t.app, tenant.id, 'test')).key
  })
  afterAll(async () => {
    await worker.stop()
    await t.close()
  })

  async function verifyWith(key: string) {
    const headers = { 'x-tenant-api-key': key }
    const started = await t.app.inject({
      method: 'POST',
      url: '/verify/start',
      headers,
      payload: {},
    })
    const id = started.json<{ verificationId: string }>().verificationId
    const doc = await passport({ adult: true })
    const upload = await t.app.inject({
      method: 'POST',
      url: '/verify/images',
      headers,
      payload: { verificationId: id, type: 'document_front', image: doc.image.toString('base64') },
    })
    expect(upload.json()).toMatchObject({ feedback: 'ok', status: 'processing' })
    // The worker decides it from the reading (a test key without mock_behavior reads too).
    return eventually(async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: `/verify/result?verificationId=${id}`,
        headers,
      })
      const body = res.json<{ status: string; reasons?: string[]; checks: unknown[] }>()
      return body.status === 'processing' ? undefined : body
    })
  }

  it('refuses Loom’s own generated passport in live mode', async () => {
    const result = await verifyWith(tenant.key)
    expect(result).toMatchObject({ status: 'rejected', result: { reasons: ['specimen_document'] } })
    expect(result.checks).toContainEqual(
      expect.objectContaining({ name: 'not_a_specimen', outcome: 'fail' }),
    )
    const v1 = await t.app.inject({
      method: 'POST',
      url: '/v1/verify',
      headers: { authorization: `Bearer ${tenant.key}` },
      payload: {
        document_type: 'passport',
        document_data: (await passport({ adult: true })).image.toString('base64'),
      },
    })
    expect(v1.json()).toMatchObject({ status: 'rejected', reason: 'specimen_document' })
  })

  it('reads the same kind of document in test mode and decides on it', async () => {
    const result = await verifyWith(testKey)
    expect(result).toMatchObject({ status: 'approved' })
    expect(result.checks).toContainEqual(
      expect.objectContaining({ name: 'not_a_specimen', outcome: 'pass' }),
    )
  })
})
