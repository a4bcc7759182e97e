// Encryption at rest: AES-256-GCM with a random 96-bit nonce per value. The key comes from
// LOOM_ENCRYPTION_KEY, or is generated into the data directory on first start.
import fs from 'node:fs'
import path from 'node:path'
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

const VERSION = 'v1'

export class Sealer {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('encryption key must be 32 bytes')
  }

  /** A separate key for another purpose (e.g. signing session links), derived with HKDF. */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `loom:${purpose}`, 32))
  }

  /** Encrypts; `context` (e.g. the row id) is bound as associated data so values cannot be swapped. */
  seal(plaintext: string | Buffer, context: string): string {
    const nonce = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce)
    cipher.setAAD(Buffer.from(context))
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
    const tag = cipher.getAuthTag()
    return [
      VERSION,
      nonce.toString('base64url'),
      tag.toString('base64url'),
      body.toString('base64url'),
    ].join('.')
  }

  /** Decrypts a value sealed with the same key and context; throws if it was tampered with. */
  open(sealed: string, context: string): Buffer {
    const [version, nonce, tag, body] = sealed.split('.')
    if (version !== VERSION || !nonce || !tag || body === undefined)
      throw new Error('not a sealed value')
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64url'))
    decipher.setAAD(Buffer.from(context))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()])
  }

  /** Binary variant for blobs: nonce ‖ tag ‖ ciphertext. */
  sealBytes(plaintext: Buffer, context: string): Buffer {
    const nonce = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce)
    cipher.setAAD(Buffer.from(context))
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
    return Buffer.concat([nonce, cipher.getAuthTag(), body])
  }

  openBytes(sealed: Buffer, context: string): Buffer {
    if (sealed.length < 28) throw new Error('not a sealed blob')
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, 12))
    decipher.setAAD(Buffer.from(context))
    decipher.setAuthTag(sealed.subarray(12, 28))
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()])
  }
}

/**
 * The configured key, or the one kept in `<dataDir>/encryption.key` (created with mode 0600 on
 * first start). Several hosts sharing one PostgreSQL must share LOOM_ENCRYPTION_KEY instead.
 */
export function loadEncryptionKey(configured: string | null, dataDir: string): Buffer {
  if (configured !== null) return Buffer.from(configured, 'base64')
  const file = path.join(dataDir, 'encryption.key')
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  try {
    fs.writeFileSync(file, randomBytes(32).toString('base64'), { flag: 'wx', mode: 0o600 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64')
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`)
  return key
}
