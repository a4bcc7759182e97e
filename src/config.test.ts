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
  ])('names the bad variable in %j', (env, name) => {
    expect(() => loadConfig(env)).toThrow(name)
  })

  it('strips a trailing slash from the public URL', () => {
    expect(loadConfig({ LOOM_PUBLIC_URL: 'https://verify.example.com/' }).publicUrl).toBe(
      'https://verify.example.com',
    )
  })
})
