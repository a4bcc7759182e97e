// Specimen machine-readable documents: passport data pages (TD3), ID cards front and back (TD1),
// TD2 cards, visas (MRV-A, MRV-B) and the French national ID card (2×36), drawn as SVG with a
// placeholder portrait, a visual zone, and a correct MRZ in OCR-B at the ICAO pitch.

import { ocrbGlyph } from '../engine/mrz/ocrb.ts'
import sharp from 'sharp'
import { mrzCheckDigit } from '../engine/mrz/check-digit.ts'
import type { MrzFormat } from '../engine/types.ts'
import type { Identity, Rng } from './identity.ts'

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC']

/** ICAO 9303-3 §4.2: MRZ characters are 2.54 mm apart (10 per inch); lines 4.23 mm apart. */
const PITCH_MM = 2.54
const LINE_MM = 4.23
/** OCR-B capitals are 0.71 em tall; ICAO 9303-3 §4.2 asks for about 2.3 mm. */
const MRZ_FONT_MM = 2.3 / 0.71

const yymmdd = (iso: string): string => iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10)
const cd = (s: string): string => String(mrzCheckDigit(s))

/** ICAO 9303-3 §4.6 transliteration of a name component: spaces, hyphens, apostrophes → '<'. */
const mrzWord = (s: string): string => s.toUpperCase().replace(/[^A-Z]/g, '<')

/** Name field: primary identifier, '<<', secondary identifier; cut to the field length. */
export function mrzNameField(last: string, first: string, length: number): string {
  const body = first ? `${mrzWord(last)}<<${mrzWord(first)}` : mrzWord(last)
  return body.slice(0, length).padEnd(length, '<')
}

const field = (s: string, n: number): string => s.slice(0, n).padEnd(n, '<')
const country = (c: string): string => field(c, 3)
const sexChar = (s: Identity['sex']): string => s ?? '<'

export interface DocumentSpec {
  format: MrzFormat
  /** Two-letter document code, e.g. 'P<', 'I<', 'ID', 'IR', 'V<'. */
  code: string
  identity: Identity
}

/** The MRZ lines of a document, with every check digit correct (ICAO 9303-4/5/6/7). */
export function buildMrz(spec: DocumentSpec): string[] {
  const p = spec.identity
  const code = field(spec.code, 2)
  const dob = yymmdd(p.dateOfBirth)
  const exp = yymmdd(p.expiryDate)
  switch (spec.format) {
    case 'TD3': {
      const num = field(p.documentNumber, 9)
      const opt = field(p.optionalData, 14)
      const optCd = p.optionalData ? cd(opt) : '<'
      const body =
        num +
        cd(num) +
        country(p.nationality) +
        dob +
        cd(dob) +
        sexChar(p.sex) +
        exp +
        cd(exp) +
        opt +
        optCd
      const composite = cd(body.slice(0, 10) + body.slice(13, 20) + body.slice(21, 43))
      return [
        code + country(p.issuer) + mrzNameField(p.lastName, p.firstName, 39),
        body + composite,
      ]
    }
    case 'MRVA':
    case 'MRVB': {
      const len = spec.format === 'MRVA' ? 44 : 36
      const num = field(p.documentNumber, 9)
      const body =
        num + cd(num) + country(p.nationality) + dob + cd(dob) + sexChar(p.sex) + exp + cd(exp)
      return [
        code + country(p.issuer) + mrzNameField(p.lastName, p.firstName, len - 5),
        field(body + p.optionalData, len),
      ]
    }
    case 'TD2': {
      const num = field(p.documentNumber, 9)
      const opt = field(p.optionalData, 7)
      const body =
        num +
        cd(num) +
        country(p.nationality) +
        dob +
        cd(dob) +
        sexChar(p.sex) +
        exp +
        cd(exp) +
        opt
      const composite = cd(body.slice(0, 10) + body.slice(13, 20) + body.slice(21, 35))
      return [
        code + country(p.issuer) + mrzNameField(p.lastName, p.firstName, 31),
        body + composite,
      ]
    }
    case 'TD1': {
      // ICAO 9303-5 note j: a number over 9 characters continues in the optional data.
      const n = p.documentNumber
      const upperTail =
        n.length > 9
          ? n.slice(0, 9) + '<' + n.slice(9) + cd(n) + '<' + p.optionalData
          : field(n, 9) + cd(field(n, 9)) + p.optionalData
      const upper = code + country(p.issuer) + field(upperTail, 25)
      const middle0 =
        dob + cd(dob) + sexChar(p.sex) + exp + cd(exp) + country(p.nationality) + field('', 11)
      const composite = cd(
        upper.slice(5, 30) + middle0.slice(0, 7) + middle0.slice(8, 15) + middle0.slice(18, 29),
      )
      return [upper, middle0 + composite, mrzNameField(p.lastName, p.firstName, 30)]
    }
    case 'FRA_ID': {
      // Card number: issue year and month, department, office, serial (see engine/mrz/parse.ts).
      const dept = p.optionalData.replace(/\D/g, '').padEnd(3, '7').slice(0, 3)
      const office = dept + '017'
      const number =
        yymmdd(p.issueDate).slice(0, 4) +
        dept +
        p.documentNumber.replace(/\D/g, '').padEnd(5, '1').slice(0, 5)
      const upper = 'IDFRA' + field(mrzWord(p.lastName), 25) + office
      const given = field(p.firstName.split(' ').filter(Boolean).map(mrzWord).join('<<'), 14)
      const sex = p.sex === 'F' ? 'F' : 'M'
      const lower0 = number + cd(number) + given + dob + cd(dob) + sex
      return [upper, lower0 + cd(upper + lower0)]
    }
  }
}

/** Physical size in mm (ICAO 9303-3 §2: ID-1, ID-2, ID-3; visas per 9303-7). */
export const SIZE_MM: Record<MrzFormat, [number, number]> = {
  TD1: [85.6, 54],
  TD2: [105, 74],
  TD3: [125, 88],
  MRVA: [120, 80],
  MRVB: [105, 74],
  FRA_ID: [105, 74],
}

const TITLES: Record<MrzFormat, string> = {
  TD1: 'IDENTITY CARD',
  TD2: 'IDENTITY CARD',
  TD3: 'PASSPORT',
  MRVA: 'VISA',
  MRVB: 'VISA',
  FRA_ID: 'CARTE NATIONALE D IDENTITE',
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

function visualDate(iso: string): string {
  return `${iso.slice(8, 10)} ${MONTHS[Number(iso.slice(5, 7)) - 1]} ${iso.slice(0, 4)}`
}

function portrait(x: number, y: number, w: number, h: number, rng: Rng): string {
  const skin = rng.pick(['#e8c39e', '#c68642', '#8d5524', '#f1c27d', '#ffdbac'])
  const hair = rng.pick(['#2b1b0e', '#6b4423', '#b89b72', '#111', '#888'])
  const cx = x + w / 2
  return [
    `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="#cfd8e3"/>`,
    `<ellipse cx="${cx}" cy="${y + h * 0.98}" rx="${w * 0.45}" ry="${h * 0.25}" fill="#34495e"/>`,
    `<ellipse cx="${cx}" cy="${y + h * 0.33}" rx="${w * 0.3}" ry="${h * 0.26}" fill="${hair}"/>`,
    `<ellipse cx="${cx}" cy="${y + h * 0.42}" rx="${w * 0.25}" ry="${h * 0.26}" fill="${skin}"/>`,
    `<circle cx="${cx - w * 0.1}" cy="${y + h * 0.4}" r="${w * 0.025}" fill="#222"/>`,
    `<circle cx="${cx + w * 0.1}" cy="${y + h * 0.4}" r="${w * 0.025}" fill="#222"/>`,
    `<path d="M ${cx - w * 0.08} ${y + h * 0.55} Q ${cx} ${y + h * 0.6} ${cx + w * 0.08} ${y + h * 0.55}" stroke="#8b3a3a" stroke-width="${w * 0.02}" fill="none"/>`,
  ].join('')
}

function guilloche(w: number, h: number, rng: Rng, color: string): string {
  const paths: string[] = []
  for (let k = 0; k < 6; k++) {
    const amp = 2 + rng.next() * 4
    const period = 10 + rng.next() * 20
    const y0 = rng.next() * h
    let d = `M 0 ${y0.toFixed(2)}`
    for (let x = 2; x <= w; x += 2) {
      d += ` L ${x} ${(y0 + amp * Math.sin((x / period) * 2 * Math.PI + k)).toFixed(2)}`
    }
    paths.push(`<path d="${d}" stroke="${color}" stroke-width="0.25" fill="none"/>`)
  }
  return paths.join('')
}

function fieldBlock(x: number, y: number, label: string, value: string, size: number): string {
  return (
    `<text x="${x}" y="${y}" font-family="DejaVu Sans" font-size="${size * 0.55}" fill="#555">${esc(label)}</text>` +
    `<text x="${x}" y="${y + size * 1.05}" font-family="DejaVu Sans" font-size="${size}" fill="#111">${esc(value)}</text>`
  )
}

/** MRZ text as one OCR-B glyph per ICAO cell (librsvg ignores per-character x lists). */
function mrzSvg(lines: string[], w: number, h: number): string {
  const n = lines[0]!.length
  const left = (w - n * PITCH_MM) / 2
  const bottom = h - (lines.length === 3 ? 3.2 : 4.2)
  const out: string[] = []
  lines.forEach((line, i) => {
    const y = bottom - (lines.length - 1 - i) * LINE_MM
    for (let k = 0; k < line.length; k++) {
      const x = left + (k + 0.5) * PITCH_MM
      out.push(ocrbGlyph(line[k]!, x, y, MRZ_FONT_MM, '#0d0d0d'))
    }
  })
  return out.join('')
}

export type DocumentSide = 'front' | 'back'

export interface RenderOptions {
  /** Pixels per millimetre (default 12, about 300 dpi). */
  pxPerMm?: number
  /** TD1 cards carry the MRZ on the back; 'front' renders the photo side without an MRZ. */
  side?: DocumentSide
}

/** Render one side of a document as PNG; returns the image and its MRZ lines (empty for a TD1 front). */
export async function renderDocument(
  spec: DocumentSpec,
  rng: Rng,
  opts: RenderOptions = {},
): Promise<{ png: Buffer; lines: string[]; widthPx: number; heightPx: number }> {
  const [w, h] = SIZE_MM[spec.format]
  const scale = opts.pxPerMm ?? 12
  const side = opts.side ?? (spec.format === 'TD1' ? 'back' : 'front')
  const p = spec.identity
  const lines = buildMrz(spec)
  const tint = rng.pick(['#f3efe0', '#e8f0f5', '#f5e9ee', '#eaf3e6', '#f0ecf7', '#fbf6e4'])
  const lineColor = rng.pick(['#d9cfb0', '#c3d3de', '#e0c4cf', '#c8dcc0', '#d2c9e6'])
  const parts: string[] = [
    `<rect width="${w}" height="${h}" rx="3" fill="${tint}"/>`,
    guilloche(w, h, rng, lineColor),
    `<text x="${w / 2}" y="6.5" font-family="DejaVu Sans" font-weight="bold" font-size="3.6" text-anchor="middle" fill="#223">${esc(TITLES[spec.format])}</text>`,
    `<text x="${w / 2}" y="10" font-family="DejaVu Sans" font-size="2.2" text-anchor="middle" fill="#445">${esc(`ISSUING STATE ${p.issuer}`)}</text>`,
  ]
  const showMrz = !(spec.format === 'TD1' && side === 'front')
  if (spec.format === 'TD1' && side === 'back') {
    parts.push(
      fieldBlock(5, 15, 'DATE OF ISSUE', visualDate(p.issueDate), 2.6),
      fieldBlock(5, 23, 'AUTHORITY', `MINISTRY OF INTERIOR ${p.issuer}`, 2.6),
      fieldBlock(50, 15, 'HEIGHT', `${rng.int(150, 199)} CM`, 2.6),
    )
  } else {
    const big = h >= 74
    const ph = big ? 38 : 30
    const pw = ph * 0.78
    const top = 13
    parts.push(portrait(5, top, pw, ph, rng))
    const x = 5 + pw + 5
    const fs = big ? 3.0 : 2.5
    const step = fs * 2.35
    const rows: [string, string][] = [
      ['SURNAME', p.lastName],
      ['GIVEN NAMES', p.firstName || '-'],
      ['NATIONALITY', p.nationality],
      ['DATE OF BIRTH', visualDate(p.dateOfBirth)],
      ['SEX', p.sex ?? 'X'],
      ['DOCUMENT NO', p.documentNumber],
      ['DATE OF EXPIRY', visualDate(p.expiryDate)],
    ]
    const maxRows = Math.floor((h - (showMrz ? 16 : 6) - top) / step)
    rows.slice(0, maxRows).forEach(([label, value], i) => {
      parts.push(fieldBlock(x, top + 2 + i * step, label, value, fs))
    })
  }
  if (showMrz) parts.push(mrzSvg(lines, w, h))
  const widthPx = Math.round(w * scale)
  const heightPx = Math.round(h * scale)
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${widthPx}" height="${heightPx}" viewBox="0 0 ${w} ${h}">${parts.join('')}</svg>`
  const png = await sharp(Buffer.from(svg)).png({ compressionLevel: 1 }).toBuffer()
  return { png, lines: showMrz ? lines : [], widthPx, heightPx }
}
