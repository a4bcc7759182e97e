// The hosted page's link: `<verificationId>.<expiry>.<signature>`, an HMAC over both with a key
// only Loom holds. It is useless for anything but that one session, expires on its own, and is
// the same on every call (so an idempotent retry of /verify/start returns the same URL).
import { createHmac, timingSafeEqual } from 'node:crypto'
import { isId } from './ids.ts'

/** Signs a session link token valid until `expiresAt` (seconds precision). */
export function signSessionToken(key: Buffer, verificationId: string, expiresAt: Date): string {
  const exp = Math.floor(expiresAt.getTime() / 1000).toString(36)
  const mac = createHmac('sha256', key).update(`${verificationId}.${exp}`).digest('base64url')
  return `${verificationId}.${exp}.${mac}`
}

export type SessionTokenCheck =
  | { ok: true; verificationId: string; expiresAt: Date }
  | { ok: false; reason: 'invalid' | 'expired'; verificationId?: string }

/** Checks a session link token's signature and expiry. */
export function checkSessionToken(key: Buffer, token: string, now: Date): SessionTokenCheck {
  const parts = token.split('.')
  if (parts.length !== 3 || token.length > 200) return { ok: false, reason: 'invalid' }
  const [verificationId = '', exp = '', mac = ''] = parts
  if (!isId('ver', verificationId) || !/^[0-9a-z]{1,10}$/.test(exp))
    return { ok: false, reason: 'invalid' }
  // One spelling only: 43 base64url characters, as signSessionToken writes them (a decoder would
  // also take padding, '+' and '/', or stray bits in the last character).
  if (!/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/.test(mac)) return { ok: false, reason: 'invalid' }
  const expected = createHmac('sha256', key).update(`${verificationId}.${exp}`).digest()
  const given = Buffer.from(mac, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'invalid' }
  }
  const expiresAt = new Date(parseInt(exp, 36) * 1000)
  if (expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired', verificationId }
  return { ok: true, verificationId, expiresAt }
}
