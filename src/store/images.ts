// The images a person submitted for a verification: metadata here, bytes in the blob store.
import type { Kysely, Selectable, Transaction } from 'kysely'
import type { Database, VerificationImageTable } from './schema.ts'

type Db = Kysely<Database> | Transaction<Database>

export type StoredImage = Selectable<VerificationImageTable>

/** Records an image (its bytes are already in the blob store under `blobKey`). */
export async function insertImage(db: Db, image: StoredImage): Promise<void> {
  await db.insertInto('verificationImages').values(image).execute()
}

/** A verification's images, oldest first. */
export async function listImages(
  db: Db,
  tenantId: string,
  verificationId: string,
): Promise<StoredImage[]> {
  return db
    .selectFrom('verificationImages')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .where('verificationId', '=', verificationId)
    .orderBy('createdAt')
    .orderBy('id')
    .execute()
}

/** One image of one of the tenant's verifications, or null. */
export async function getImage(
  db: Db,
  tenantId: string,
  verificationId: string,
  imageId: string,
): Promise<StoredImage | null> {
  const row = await db
    .selectFrom('verificationImages')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .where('verificationId', '=', verificationId)
    .where('id', '=', imageId)
    .executeTakeFirst()
  return row ?? null
}

/** Forgets an image's bytes and reading (the metadata row stays, marked purged). */
export async function markImagePurged(db: Db, id: string, at: string): Promise<void> {
  await db
    .updateTable('verificationImages')
    .set({ blobKey: null, readSealed: null, purgedAt: at })
    .where('id', '=', id)
    .execute()
}
