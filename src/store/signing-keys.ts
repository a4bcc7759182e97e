// Loom's token signing keys: ES256 pairs, private halves sealed at rest. One key signs; retired
// keys stay published until every token they signed has expired.
import { exportJWK, generateKeyPair, importJWK } from 'jose'
import type { CryptoKey, JWK } from 'jose'
import type { Kysely } from 'kysely'
import type { Database } from './schema.ts'
import type { Sealer } from './sealer.ts'
import { getSetting, putSetting, setSettingIfAbsent } from './settings.ts'
import { randomBase62 } from '../domain/ids.ts'
import { TOKEN_ALG } from '../domain/age-tokens.ts'

const ACTIVE_KID = 'active_signing_kid'

export interface Keyring {
  active: { kid: string; privateKey: CryptoKey }
  /** Public keys to publish and verify with (active and not-yet-expired retired ones). */
  publicJwks: JWK[]
}

async function insertNewKey(db: Kysely<Database>, sealer: Sealer, now: Date): Promise<string> {
  const kid = `lk_${randomBase62(16)}`
  const { publicKey, privateKey } = await generateKeyPair(TOKEN_ALG, { extractable: true })
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: TOKEN_ALG, use: 'sig' }
  const privateJwk = await exportJWK(privateKey)
  await db
    .insertInto('signingKeys')
    .values({
      kid,
      alg: TOKEN_ALG,
      publicJwk: JSON.stringify(publicJwk),
      privateJwkSealed: sealer.seal(JSON.stringify(privateJwk), `signing_key:${kid}`),
      createdAt: now.toISOString(),
      retiredAt: null,
      publishUntil: null,
    })
    .execute()
  return kid
}

/** Makes sure a signing key exists (first start generates one; concurrent starts agree on one). */
export async function ensureSigningKey(
  db: Kysely<Database>,
  sealer: Sealer,
  now: Date,
): Promise<void> {
  if ((await getSetting(db, ACTIVE_KID)) !== null) return
  const kid = await insertNewKey(db, sealer, now)
  if (!(await setSettingIfAbsent(db, ACTIVE_KID, kid))) {
    await db.deleteFrom('signingKeys').where('kid', '=', kid).execute()
  }
}

/**
 * Adds a new signing key and makes it active; the previous one stops signing and stays published
 * for `maxTokenTtlSeconds` so the tokens it signed keep validating until they expire.
 */
export async function rotateSigningKey(
  db: Kysely<Database>,
  sealer: Sealer,
  now: Date,
  maxTokenTtlSeconds: number,
): Promise<{ kid: string; retiredKid: string | null }> {
  const previous = await getSetting(db, ACTIVE_KID)
  const kid = await insertNewKey(db, sealer, now)
  await putSetting(db, ACTIVE_KID, kid)
  if (previous !== null) {
    await db
      .updateTable('signingKeys')
      .set({
        retiredAt: now.toISOString(),
        publishUntil: new Date(now.getTime() + maxTokenTtlSeconds * 1000).toISOString(),
      })
      .where('kid', '=', previous)
      .execute()
  }
  return { kid, retiredKid: previous }
}

/** Loads the active private key and every public key still to be published. */
export async function loadKeyring(
  db: Kysely<Database>,
  sealer: Sealer,
  now: Date,
): Promise<Keyring> {
  const activeKid = await getSetting(db, ACTIVE_KID)
  if (activeKid === null) throw new Error('no signing key: ensureSigningKey() first')
  const rows = await db
    .selectFrom('signingKeys')
    .selectAll()
    .where((eb) =>
      eb.or([eb('publishUntil', 'is', null), eb('publishUntil', '>', now.toISOString())]),
    )
    .execute()
  const activeRow = rows.find((r) => r.kid === activeKid)
  if (!activeRow) throw new Error(`active signing key ${activeKid} is missing`)
  const privateJwk = JSON.parse(
    sealer.open(activeRow.privateJwkSealed, `signing_key:${activeKid}`).toString('utf8'),
  ) as JWK
  const privateKey = (await importJWK(privateJwk, TOKEN_ALG)) as CryptoKey
  return {
    active: { kid: activeKid, privateKey },
    publicJwks: rows.map((r) => JSON.parse(r.publicJwk) as JWK),
  }
}
