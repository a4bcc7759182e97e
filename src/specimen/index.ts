// Specimen MRZ documents with exactly known ground truth, clean or photographed-looking, for
// tests and `npm run eval`. Deterministic: the same seed gives the same bytes.

import type { MrzFormat } from '../engine/types.ts'
import * as camera from './camera.ts'
import { createRng, randomIdentity, type Identity, type Rng } from './identity.ts'
import { renderDocument, type DocumentSide } from './mrz-documents.ts'

export { createRng, randomIdentity, type Identity, type Rng } from './identity.ts'
export { buildMrz, renderDocument, SIZE_MM } from './mrz-documents.ts'

export const DEGRADATIONS = [
  'background',
  'rotation',
  'upside_down',
  'perspective',
  'blur',
  'noise',
  'jpeg',
  'low_light',
  'glare',
  'low_resolution',
] as const
export type Degradation = (typeof DEGRADATIONS)[number]

export const MRZ_FORMATS: readonly MrzFormat[] = ['TD3', 'TD1', 'TD2', 'MRVA', 'MRVB', 'FRA_ID']

export interface MrzSpecimenOptions {
  format: MrzFormat
  /** Day ages and expiry of the random identity are relative to (YYYY-MM-DD). */
  asOf: string
  /** Degradations to apply, in a fixed camera order (see `photograph`). */
  degradations?: readonly Degradation[]
  side?: DocumentSide
  /** Render resolution before degradation, px/mm (default 10). */
  pxPerMm?: number
}

export interface MrzSpecimen {
  /** Encoded image: PNG when clean, JPEG when 'jpeg' is among the degradations. */
  image: Buffer
  format: MrzFormat
  side: DocumentSide
  /** The MRZ lines as printed; empty for a side without MRZ. */
  lines: string[]
  identity: Identity
  degradations: Degradation[]
  /** Parameters chosen for each degradation, for reports. */
  parameters: Record<string, number>
}

const CODES: Record<MrzFormat, readonly string[]> = {
  TD3: ['P<', 'P<', 'PT'],
  TD1: ['I<', 'ID', 'IR', 'AR'],
  TD2: ['I<', 'IR'],
  MRVA: ['V<'],
  MRVB: ['V<'],
  FRA_ID: ['ID'],
}

/** Generate one specimen from a seed. */
export async function generateMrzSpecimen(
  seed: number,
  opts: MrzSpecimenOptions,
): Promise<MrzSpecimen> {
  const rng = createRng(seed)
  const identity = randomIdentity(rng, {
    asOf: opts.asOf,
    longNumbers: opts.format === 'TD1' ? 0.15 : 0,
  })
  const code = rng.pick(CODES[opts.format])
  const rendered = await renderDocument({ format: opts.format, code, identity }, rng, {
    pxPerMm: opts.pxPerMm ?? 10,
    side: opts.side,
  })
  const degradations = [...(opts.degradations ?? [])]
  const parameters: Record<string, number> = {}
  const raw = await camera.decodeRaw(rendered.png)
  const photo = await photograph(raw, degradations, rng, parameters)
  const jpegQuality = degradations.includes('jpeg') ? rng.int(50, 90) : 0
  if (jpegQuality) parameters.jpegQuality = jpegQuality
  const image = await camera.encodeRaw(photo, jpegQuality ? 'jpeg' : 'png', jpegQuality || 90)
  return {
    image,
    format: opts.format,
    side: opts.side ?? (opts.format === 'TD1' ? 'back' : 'front'),
    lines: rendered.lines,
    identity,
    degradations,
    parameters,
  }
}

/**
 * Apply degradations in the order a camera would: the document lies on a background, is seen
 * rotated and at an angle, under a highlight and dim light, out of focus, with sensor noise, at
 * some resolution. (JPEG is applied by the caller when encoding.)
 */
export async function photograph(
  img: camera.RawImage,
  degradations: readonly Degradation[],
  rng: Rng,
  parameters: Record<string, number> = {},
): Promise<camera.RawImage> {
  const has = (d: Degradation): boolean => degradations.includes(d)
  const docWidth = img.width
  let out = img
  if (has('background')) out = await camera.onBackground(out, rng, 0.1 + rng.next() * 0.3)
  if (has('glare')) {
    const rx = out.width * (0.08 + rng.next() * 0.1)
    parameters.glareRadius = Math.round(rx)
    out = camera.glare(
      out,
      rng.next() * out.width,
      rng.next() * out.height,
      rx,
      rx * 0.7,
      0.75 + rng.next() * 0.2,
    )
  }
  if (has('perspective')) {
    parameters.perspective = 0.04 + rng.next() * 0.08
    out = camera.perspective(out, parameters.perspective, rng)
  }
  let angle = 0
  if (has('rotation')) angle += (rng.chance(0.5) ? -1 : 1) * (3 + rng.next() * 17)
  if (has('upside_down')) angle += 180
  if (angle !== 0) {
    parameters.rotation = Math.round(angle * 10) / 10
    out = await camera.rotate(out, angle, has('background') ? '#505050' : '#9a9a9a')
  }
  if (has('low_light')) {
    parameters.gain = 0.25 + rng.next() * 0.25
    out = camera.lowLight(out, parameters.gain, rng)
  }
  if (has('blur')) {
    parameters.blurSigma = 0.8 + rng.next() * 1.2
    out = await camera.blur(out, (parameters.blurSigma * out.width) / 1250)
  }
  if (has('noise')) {
    parameters.noiseSigma = 4 + rng.next() * 8
    out = camera.noise(out, parameters.noiseSigma, rng)
  }
  // Final size: a phone photo (document 900–2000 px wide) or, for low resolution, an image whose
  // shorter side is 300–400 px (the intake minimum is 300).
  const targetDoc = 900 + rng.next() * 1100
  const width = has('low_resolution')
    ? Math.round(((300 + rng.next() * 100) * out.width) / Math.min(out.width, out.height))
    : Math.max(300, Math.round((out.width * targetDoc) / docWidth))
  if (has('low_resolution') || has('background') || angle !== 0 || has('perspective')) {
    parameters.width = width
    out = await camera.scaleToWidth(out, width)
  }
  return out
}
