import { describe, expect, it } from 'vitest'
import { loadConfig } from './config.ts'

describe('loadConfig', () => {
  it('has the embedded defaults', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      publicUrl: 'http://localhost:8080',
      databaseUrl: null,
      redisUrl: null,
      adminKey: null,
      allowPrivateWebhooks: false,
      logLevel: 'info',
    })
    expect(config.dataDir.endsWith('/data')).toBe(true)
  })

  it('reads which proxies are trusted', () => {
    expect(loadConfig({}).proxyTrust).toEqual({ kind: 'none' })
    expect(loadConfig({ LOOM_TRUST_PROXY: 'false' }).proxyTrust).toEqual({ kind: 'none' })
    expect(loadConfig({ LOOM_TRUST_PROXY: 'true' }).proxyTrust).toEqual({
      kind: 'addresses',
      addresses: ['loopback', 'linklocal', 'uniquelocal'],
    })
    expect(loadConfig({ LOOM_TRUST_PROXY: '2' }).proxyTrust).toEqual({ kind: 'hops', hops: 2 })
    expect(loadConfig({ LOOM_TRUSTED_PROXIES: '203.0.113.0/24, 2001:db8::1' }).proxyTrust).toEqual({
      kind: 'addresses',
      addresses: ['203.0.113.0/24', '2001:db8::1'],
    })
  })

  it.each([
    [{ PORT: 'x' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'nope' }, 'REDIS_URL'],
    [{ LOOM_ADMIN_KEY: 'short' }, 'LOOM_ADMIN_KEY'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ LOOM_ALLOW_PRIVATE_WEBHOOKS: 'maybe' }, 'LOOM_ALLOW_PRIVATE_WEBHOOKS'],
    [{ LOOM_ENCRYPTION_KEY: 'abc' }, 'LOOM_ENCRYPTION_KEY'],
    [{ DATABASE_SCHEMA: 'Robert; drop' }, 'DATABASE_SCHEMA'],
    [{ LOOM_TRUST_PROXY: 'maybe' }, 'LOOM_TRUST_PROXY'],
    [{ LOOM_TRUST_PROXY: '0' }, 'LOOM_TRUST_PROXY'],
    [{ LOOM_TRUST_PROXY: 'true', LOOM_TRUSTED_PROXIES: '10.0.0.0/33' }, 'LOOM_TRUSTED_PROXIES'],
    [{ LOOM_TRUST_PROXY: 'true', LOOM_TRUSTED_PROXIES: 'lb.internal' }, 'LOOM_TRUSTED_PROXIES'],
    [{ LOOM_TRUST_PROXY: 'false', LOOM_TRUSTED_PROXIES: '10.0.0.1' }, 'LOOM_TRUSTED_PROXIES'],
    [{ LOOM_TRUST_PROXY: '2', LOOM_TRUSTED_PROXIES: '10.0.0.1' }, 'LOOM_TRUST_PROXY'],
    [{ LOOM_SMTP_HOST: 'mail.example' }, 'LOOM_SMTP_FROM'],
    [
      { LOOM_SMTP_HOST: 'mail.example', LOOM_SMTP_FROM: 'a@b', LOOM_SMTP_PORT: '0' },
      'LOOM_SMTP_PORT',
    ],
    [{ LOOM_SMS_PROVIDER: 'pigeon' }, 'LOOM_SMS_PROVIDER'],
    [{ LOOM_SMS_PROVIDER: 'http' }, 'LOOM_SMS_URL'],
    [{ LOOM_SMS_PROVIDER: 'twilio', LOOM_SMS_FROM: '+1555' }, 'LOOM_TWILIO_ACCOUNT_SID'],
    [
      {
        LOOM_SMS_PROVIDER: 'http',
        LOOM_SMS_URL: 'https://sms.example',
        LOOM_SMS_BODY_TEMPLATE: '{"to":"{{to}}"}',
      },
      'LOOM_SMS_BODY_TEMPLATE',
    ],
    [
      {
        LOOM_SMS_PROVIDER: 'http',
        LOOM_SMS_URL: 'https://sms.example',
        LOOM_SMS_BODY_TEMPLATE: '{{to}} {{body}}',
      },
      'LOOM_SMS_BODY_TEMPLATE',
    ],
  ])('names the bad variable in %j', (env, name) => {
    expect(() => loadConfig(env)).toThrow(name)
  })

  it('strips a trailing slash from the public URL', () => {
    expect(loadConfig({ LOOM_PUBLIC_URL: 'https://verify.example.com/' }).publicUrl).toBe(
      'https://verify.example.com',
    )
  })
})
