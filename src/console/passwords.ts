// Console credentials: passwords hashed with scrypt (RFC 7914; OWASP's parameters N=2^15, r=8,
// p=1), session and invitation tokens stored only as SHA-256, and TOTP (RFC 6238) codes.
import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 32, maxmem: 64 * 1024 * 1024 }
export const MIN_PASSWORD_LENGTH = 12
export const MAX_PASSWORD_LENGTH = 200

function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      password.normalize('NFKC'),
      salt,
      SCRYPT.keyLength,
      { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: SCRYPT.maxmem },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  )
}

/** `scrypt$N$r$p$salt$hash` (base64url), so parameters can change without breaking old hashes. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await scryptAsync(password, salt)
  return [
    'scrypt',
    SCRYPT.N,
    SCRYPT.r,
    SCRYPT.p,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$')
}

/** Whether `password` matches `stored`; the comparison takes the same time whatever matches. */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  // With no hash (an unknown email, an open invitation) the work is still done, so timing does
  // not tell whether an account exists.
  const parts = (stored ?? '').split('$')
  const salt = parts[4] !== undefined ? Buffer.from(parts[4], 'base64url') : randomBytes(16)
  const expected = parts[5] !== undefined ? Buffer.from(parts[5], 'base64url') : null
  const key = await scryptAsync(password, salt)
  return expected !== null && expected.length === key.length && timingSafeEqual(expected, key)
}

/** A new random token (session cookie, CSRF token, invitation link): 256 bits, base64url. */
export function newSecretToken(): string {
  return randomBytes(32).toString('base64url')
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url')
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** A new TOTP secret, base32 (RFC 4648) as authenticator apps expect it. */
export function newTotpSecret(): string {
  const bytes = randomBytes(20)
  let bits = ''
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0')
  let out = ''
  for (let i = 0; i + 5 <= bits.length; i += 5) out += BASE32[parseInt(bits.slice(i, i + 5), 2)]
  return out
}

function base32Decode(text: string): Buffer {
  let bits = ''
  for (const char of text.replace(/=+$/, '').toUpperCase()) {
    const value = BASE32.indexOf(char)
    if (value === -1) throw new Error('not base32')
    bits += value.toString(2).padStart(5, '0')
  }
  const bytes: number[] = []
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2))
  return Buffer.from(bytes)
}

/** The 6-digit TOTP code of a 30-second step (RFC 6238 with HMAC-SHA1, RFC 4226 §5.3). */
export function totpCode(secret: string, at: Date): string {
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(at.getTime() / 30_000)))
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest()
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000
  return value.toString().padStart(6, '0')
}

/** Whether `code` is the TOTP of the current step or one step either side (clock drift). */
export function totpMatches(secret: string, code: string, at: Date): boolean {
  if (!/^\d{6}$/.test(code)) return false
  return [-1, 0, 1].some((step) => {
    const expected = Buffer.from(totpCode(secret, new Date(at.getTime() + step * 30_000)))
    return timingSafeEqual(expected, Buffer.from(code))
  })
}

/** The otpauth:// URI an authenticator app reads (Key Uri Format). */
export function totpUri(secret: string, email: string): string {
  return `otpauth://totp/Loom:${encodeURIComponent(email)}?secret=${secret}&issuer=Loom`
}
