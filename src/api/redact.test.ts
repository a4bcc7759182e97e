import { describe, expect, it } from 'vitest'
import { redactUrl } from './redact.ts'

describe('redactUrl', () => {
  it('keeps ids and filter words, and hides every other query value', () => {
    expect(
      redactUrl(
        '/v1/sessions?external_id=jane.doe%40example.com&limit=5&starting_after=ver_abcdef123456',
      ),
    ).toBe('/v1/sessions?external_id=[redacted]&limit=5&starting_after=ver_abcdef123456')
    expect(redactUrl('/webhooks/deliveries?status=failed&verificationId=ver_0123456789ab')).toBe(
      '/webhooks/deliveries?status=failed&verificationId=ver_0123456789ab',
    )
    expect(redactUrl('/x?token=eyJhbGciOi&state=my-csrf&status=a%20b%20c')).toBe(
      '/x?token=[redacted]&state=[redacted]&status=[redacted]',
    )
  })

  it('hides opaque path segments such as hosted-page links', () => {
    expect(redactUrl(`/s/ver_0123456789abcdefghijkl.m8z1x.${'a'.repeat(43)}/state`)).toBe(
      '/s/[redacted]/state',
    )
    expect(redactUrl('/verify/status')).toBe('/verify/status')
  })
})
