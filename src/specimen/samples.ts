// `loom specimen`: a folder of sample documents to try Loom with — in test mode, on the hosted
// page, with `loom inspect` — each with the outcome it should get. Every one says SPECIMEN in
// its name, so live mode refuses it (see domain/specimens.ts) unless LOOM_ACCEPT_SPECIMENS is on.
import fs from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import { ageOn } from '../engine/types.ts'
import { resolveBirthDate } from '../engine/mrz/fields.ts'
import { generateMrzSpecimen } from './index.ts'
import type { MrzSpecimen } from './index.ts'
import { generateLicence } from './licence.ts'
import { MissingBarcodeWriterError, renderLicenceBack } from './licence-image.ts'
import type { LicenceTruth } from './licence.ts'

export const SAMPLE_KINDS = [
  'passport',
  'id-card',
  'licence',
  'minor',
  'expired',
  'unreadable',
] as const
export type SampleKind = (typeof SAMPLE_KINDS)[number]

export interface SampleFile {
  file: string
  kind: SampleKind
  side: 'front' | 'back' | 'data page'
  /** What Loom should make of it in test mode (or live with LOOM_ACCEPT_SPECIMENS). */
  expect:
    | 'approved'
    | 'rejected: underage'
    | 'rejected: document_expired'
    | 'unreadable'
    | 'front: send it with the back'
  /** The printed truth: name, birth date, expiry (no real person). */
  holder: { lastName: string; firstName: string; dateOfBirth: string; expiryDate: string } | null
  documentType: string
}

/**
 * The first passport (TD3, `P<`) or ID card (TD1, `I…`) specimen, trying seeds from `start`,
 * whose holder and expiry fit `want`; then, with the same seed, the other sides asked for.
 */
async function mrzSample(
  format: 'TD3' | 'TD1',
  asOf: string,
  want: { adult: boolean; expired: boolean },
  start: number,
): Promise<{ seed: number; specimen: MrzSpecimen }> {
  const code = format === 'TD3' ? 'P<' : 'I'
  for (let seed = start; seed < start + 500; seed++) {
    const s = await generateMrzSpecimen(seed * 7919, { format, asOf })
    const adult = ageOn(s.identity.dateOfBirth, asOf) >= 18
    const expired = s.identity.expiryDate < asOf
    // A minor whose two-digit birth year fits two centuries would go to review, not be rejected.
    const yymmdd = s.identity.dateOfBirth.slice(2).replace(/-/g, '')
    const certain = resolveBirthDate(yymmdd, asOf, { bornBy: s.identity.expiryDate }).date !== null
    if (
      s.lines[0]?.startsWith(code) &&
      adult === want.adult &&
      expired === want.expired &&
      certain
    ) {
      return { seed: seed * 7919, specimen: s }
    }
  }
  throw new Error(`no ${format} specimen with ${JSON.stringify(want)}`)
}

const holderOf = (s: MrzSpecimen): NonNullable<SampleFile['holder']> => ({
  lastName: s.identity.lastName,
  firstName: s.identity.firstName,
  dateOfBirth: s.identity.dateOfBirth,
  expiryDate: s.identity.expiryDate,
})

const esc = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c)

/** The photo side of a licence: the holder's printed fields beside a portrait box. */
async function renderLicenceFront(t: LicenceTruth): Promise<Buffer> {
  const us = (iso: string): string => `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(0, 4)}`
  const rows: [string, string][] = [
    ['DLN', t.number],
    ['LN', t.lastName],
    ['FN', [t.firstName, t.middleName].filter(Boolean).join(' ')],
    ['DOB', us(t.dateOfBirth)],
    ['EXP', us(t.expiryDate)],
    ['ISS', us(t.issueDate)],
    ['SEX', t.sex],
  ]
  const title = t.documentType === 'id_card' ? 'IDENTIFICATION CARD' : 'DRIVER LICENSE'
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1012" height="638">
  <rect width="1012" height="638" rx="36" fill="#e4ecf6"/>
  <rect width="1012" height="96" fill="#24508f"/>
  <text x="44" y="64" font-family="DejaVu Sans" font-weight="bold" font-size="40" fill="#fff">${esc(`${t.jurisdiction} ${title}`)}</text>
  <rect x="44" y="140" width="250" height="320" fill="#9aa7b8"/>
  <circle cx="169" cy="260" r="62" fill="#7d8a9c"/>
  <rect x="84" y="340" width="170" height="120" rx="60" fill="#7d8a9c"/>
  ${rows
    .map(
      ([label, value], i) =>
        `<text x="330" y="${165 + i * 52}" font-family="DejaVu Sans" font-size="20" fill="#556">${label}</text><text x="410" y="${165 + i * 52}" font-family="DejaVu Sans" font-weight="bold" font-size="30" fill="#112">${esc(value)}</text>`,
    )
    .join('\n  ')}
  <text x="44" y="560" font-family="DejaVu Sans" font-weight="bold" font-size="46" fill="#b3261e" opacity="0.75">SPECIMEN — NOT A REAL DOCUMENT</text>
</svg>`
  return sharp(Buffer.from(svg)).png().toBuffer()
}

/**
 * Writes the chosen kinds of sample documents into `dir` (created if needed), plus
 * `manifest.json` describing them; returns what it wrote. Deterministic for one `asOf` day.
 */
export async function writeSamples(
  dir: string,
  kinds: readonly SampleKind[],
  asOf: string,
  /** Called instead of failing when a kind's drawing needs the absent barcode writer. */
  onMissingWriter?: (kind: SampleKind, error: MissingBarcodeWriterError) => void,
): Promise<SampleFile[]> {
  await fs.mkdir(dir, { recursive: true })
  const written: SampleFile[] = []
  const write = async (entry: SampleFile, bytes: Buffer): Promise<void> => {
    await fs.writeFile(path.join(dir, entry.file), bytes)
    written.push(entry)
  }
  for (const kind of kinds) {
    try {
      await writeKind(kind)
    } catch (e) {
      if (!(e instanceof MissingBarcodeWriterError) || onMissingWriter === undefined) throw e
      onMissingWriter(kind, e)
    }
  }
  async function writeKind(kind: SampleKind): Promise<void> {
    switch (kind) {
      case 'passport':
      case 'minor':
      case 'expired': {
        const want = { adult: kind !== 'minor', expired: kind === 'expired' }
        const { specimen: s } = await mrzSample(
          'TD3',
          asOf,
          want,
          1 + SAMPLE_KINDS.indexOf(kind) * 1000,
        )
        const expect =
          kind === 'passport'
            ? 'approved'
            : kind === 'minor'
              ? 'rejected: underage'
              : 'rejected: document_expired'
        const file = kind === 'passport' ? 'passport.png' : `passport-${kind}.png`
        await write(
          { file, kind, side: 'data page', expect, holder: holderOf(s), documentType: 'passport' },
          s.image,
        )
        break
      }
      case 'id-card': {
        const want = { adult: true, expired: false }
        const { seed, specimen: back } = await mrzSample('TD1', asOf, want, 3000)
        const front = await generateMrzSpecimen(seed, { format: 'TD1', asOf, side: 'front' })
        const holder = holderOf(back)
        const common = { kind, holder, documentType: 'id_card' } as const
        await write(
          {
            ...common,
            file: 'id-card-front.png',
            side: 'front',
            expect: 'front: send it with the back',
          },
          front.image,
        )
        await write(
          { ...common, file: 'id-card-back.png', side: 'back', expect: 'approved' },
          back.image,
        )
        break
      }
      case 'licence': {
        const licence = generateLicence(4242, {
          asOf,
          age: 34,
          version: 10,
          documentType: 'drivers_license',
        })
        const t = licence.truth
        // The back carries the barcode Loom reads; drawn first, so a missing writer stops here.
        const backImage = await renderLicenceBack(licence.payload, 4242)
        const holder = {
          lastName: t.lastName,
          firstName: t.firstName,
          dateOfBirth: t.dateOfBirth,
          expiryDate: t.expiryDate,
        }
        const common = { kind, holder, documentType: 'drivers_license' } as const
        await write(
          {
            ...common,
            file: 'licence-front.png',
            side: 'front',
            expect: 'front: send it with the back',
          },
          await renderLicenceFront(t),
        )
        await write(
          { ...common, file: 'licence-back.png', side: 'back', expect: 'approved' },
          backImage,
        )
        break
      }
      case 'unreadable': {
        // A passport shot out of focus and small: nothing of its MRZ can be read.
        const { specimen: s } = await mrzSample('TD3', asOf, { adult: true, expired: false }, 5000)
        const blurred = await sharp(s.image)
          .resize({ width: 700 })
          .blur(9)
          .jpeg({ quality: 60 })
          .toBuffer()
        await write(
          {
            file: 'unreadable.jpg',
            kind,
            side: 'data page',
            expect: 'unreadable',
            holder: null,
            documentType: 'passport',
          },
          blurred,
        )
        break
      }
    }
  }
  await fs.writeFile(
    path.join(dir, 'manifest.json'),
    `${JSON.stringify({ asOf, documents: written }, null, 2)}\n`,
  )
  return written
}
