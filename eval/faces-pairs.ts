// `npm run eval faces-pairs`: Loom's whole comparison (compareFaces: decode, detect, align,
// describe, presentation and reuse checks) on document-portrait-versus-selfie pairs built from
// real photos, and how long a pair takes with the models loaded.
//
// For each of the first N held-out LFW people (`--split tuning`: tuning people, to study misses
// without looking at the held-out ones; eval/corpus/faces-lfw.json; FACES.md says how to
// fetch the snapshot), the portrait of a generated specimen passport (src/specimen) is one photo
// of the person and the selfie is the central part of a different photo of the same person,
// enlarged to 480 px and mirrored as a front camera does. A passport portrait faces the camera
// (ICAO's portrait rules), so by default the portrait is the person's most frontal photo, and a
// person with no photo frontal enough has no document and is left out (counted);
// `--portrait first` takes the first photo whatever its pose. Impostor pairs: the same document
// against the selfies of the next `--impostors` people in the list (default 10; any sex or
// age). The threshold and review band are Loom's own (compare.ts), chosen on the tuning half of
// LFW; by default these people are all from the held-out half.
//
// The selfie is, by default, the person's other photo that is most like a selfie: one Loom's
// selfie check takes (one face, large enough, whole), turned least from the camera; a person
// without one is left out and counted (`--selfie last`: the last other photo, whatever it shows,
// as before). Both choices look at poses and the selfie check only, never at a similarity.
//
// Options: --limit N (people, default 100), --split heldout|tuning (default heldout),
// --portrait frontal|first, --selfie frontal|last, --impostors K, --mirrors DIR (default
// /work/.mirror).

import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { compareFaces, MATCH_THRESHOLD, REVIEW_BAND } from '../src/engine/face/compare.ts'
import { detectFaces } from '../src/engine/face/detect.ts'
import { faceRuntime } from '../src/engine/face/models.ts'
import { createRng, randomIdentity } from '../src/specimen/identity.ts'
import { renderDocument } from '../src/specimen/mrz-documents.ts'
import {
  identityPeople,
  readManifest,
  SnapshotReader,
  wilson,
  type IdentityManifest,
  type SnapshotSource,
} from './faces-real.ts'

/** Pixels per millimetre of the rendered passport (a 125 mm TD3 page is 1000 px wide). */
const PX_PER_MM = 8
/**
 * Largest yaw or pitch (degrees, as the face engine measures them) of a photo taken as a document
 * portrait. ICAO's portrait rules (ISO/IEC 19794-5) allow 5°; the head-pose estimate on LFW's
 * 60-px faces is good to a few degrees, so twice that.
 */
const PORTRAIT_POSE = 10

/**
 * How far the main face of an image is turned (its larger of |yaw| and |pitch|), and whether
 * Loom's selfie check takes the image (one face, large enough, not cut off: no feedback).
 */
async function poseOf(image: Buffer): Promise<{ turn: number; usable: boolean }> {
  const { faces, feedback } = await detectFaces(image, { role: 'selfie' })
  const pose = faces[0]?.pose
  return {
    turn: pose ? Math.max(Math.abs(pose.yaw), Math.abs(pose.pitch)) : Infinity,
    usable: feedback === null,
  }
}

/** Similarity below which a genuine pair counts as a plain miss for the goal below. */
const GENUINE_FLOOR = 0.2

/** A specimen TD3 passport with `photo` (LFW's 150 × 150, face centred) as its portrait. */
async function documentWith(photo: Buffer, seed: number): Promise<Buffer> {
  const rng = createRng(seed)
  const identity = randomIdentity(rng, { asOf: '2026-06-01', minors: 0, expired: 0 })
  const doc = await renderDocument({ format: 'TD3', code: 'P<', identity }, rng, {
    pxPerMm: PX_PER_MM,
  })
  // mrz-documents.ts draws the TD3 portrait at x 5 mm, y 13 mm, 38 mm high, 0.78 as wide.
  const ph = Math.round(38 * PX_PER_MM)
  const pw = Math.round(38 * 0.78 * PX_PER_MM)
  // The photo's central 117 × 150 (the portrait's 0.78 aspect): the face is about half its width.
  const portrait = await sharp(photo)
    .extract({ left: 16, top: 0, width: 117, height: 150 })
    .resize(pw, ph)
    .png()
    .toBuffer()
  return sharp(doc.png)
    .composite([{ input: portrait, left: 5 * PX_PER_MM, top: 13 * PX_PER_MM }])
    .jpeg({ quality: 85 })
    .toBuffer()
}

/**
 * A selfie from a photo: its central 110 × 110 (LFW's photos often show other people beside the
 * centred face; a selfie shows one), enlarged to 480 px (the face ~280 px wide), mirrored, JPEG.
 */
async function selfieFrom(photo: Buffer): Promise<Buffer> {
  return sharp(photo)
    .extract({ left: 20, top: 20, width: 110, height: 110 })
    .resize(480, 480, { kernel: 'lanczos3' })
    .flop()
    .jpeg({ quality: 85 })
    .toBuffer()
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN
}
const rate = (k: number, n: number): string => {
  const [lo, hi] = wilson(k, n)
  return `${k}/${n} (${((100 * k) / (n || 1)).toFixed(1)} %; ${(100 * lo).toFixed(1)}–${(100 * hi).toFixed(1)} %)`
}

/** `npm run eval faces-pairs`: see the head of this file. */
export async function runFacesPairsEval(args: string[]): Promise<void> {
  const value = (name: string): string | undefined => {
    const i = args.indexOf(name)
    return i >= 0 ? args[i + 1] : undefined
  }
  const limit = Number(value('--limit') ?? 100)
  const reader = new SnapshotReader(value('--mirrors') ?? '/work/.mirror')
  const manifest = readManifest<IdentityManifest>('faces-lfw.json')
  const src: SnapshotSource = manifest.source
  const split = value('--split') ?? 'heldout'
  if (split !== 'heldout' && split !== 'tuning') {
    throw new Error(`--split must be heldout or tuning, not ${split}`)
  }
  const portraitArg = value('--portrait') ?? 'frontal'
  if (portraitArg !== 'frontal' && portraitArg !== 'first') {
    throw new Error(`--portrait must be frontal or first, not ${portraitArg}`)
  }
  const frontal = portraitArg === 'frontal'
  const selfieArg = value('--selfie') ?? 'frontal'
  if (selfieArg !== 'frontal' && selfieArg !== 'last') {
    throw new Error(`--selfie must be frontal or last, not ${selfieArg}`)
  }
  const impostorsPerDocument = Number(value('--impostors') ?? 10)
  // A person needs two photos: one for the document, another for the selfie.
  const candidates = identityPeople(manifest).filter(
    (p) => p.split === split && p.photos.length >= 2,
  )
  console.log(
    `## faces-pairs: specimen-passport portrait vs selfie, up to ${limit} ${split === 'heldout' ? 'held-out' : 'tuning'} LFW people, portrait ${portraitArg}, selfie ${selfieArg}, ${impostorsPerDocument} impostor selfies per document\n`,
  )
  try {
    const runtime = await faceRuntime()
    console.log(`models loaded in ${runtime.loadMs} ms (not counted below)\n`)
    const docs: Buffer[] = []
    const selfies: Buffer[] = []
    const names: string[] = []
    const notFrontal: string[] = []
    const noSelfie: string[] = []
    for (const [i, p] of candidates.entries()) {
      const photos: Buffer[] = []
      for (const name of p.photos) {
        const bytes = await reader.read(src, path.posix.join(p.person, name))
        if (!Buffer.isBuffer(bytes)) {
          throw new Error(`${p.person}: photo missing from the snapshot (see eval/corpus/FACES.md)`)
        }
        photos.push(bytes)
      }
      const poses = await Promise.all(photos.map(async (b) => poseOf(await selfieFrom(b))))
      const turns = poses.map((q) => q.turn)
      let portrait = 0
      if (frontal) {
        // The most frontal photo within the limit is the portrait; none within it, no document.
        const best = turns.reduce((a, t, k) => (t < turns[a]! ? k : a), 0)
        if (!(turns[best]! <= PORTRAIT_POSE)) {
          notFrontal.push(p.person)
          continue
        }
        portrait = best
      }
      // The selfie is another photo (a different day, light and pose). By default it is one
      // Loom's selfie check takes (a person asked to retake takes one alone, close enough),
      // the one turned least from the camera (a person taking a selfie looks at the phone); a
      // person with no such photo has no selfie and is left out (counted). `--selfie last`
      // takes the last photo (the first when the last is the portrait) whatever it shows.
      let selfie = portrait === photos.length - 1 ? 0 : photos.length - 1
      if (selfieArg === 'frontal') {
        const usable = photos.map((_, k) => k).filter((k) => k !== portrait && poses[k]!.usable)
        if (usable.length === 0) {
          noSelfie.push(p.person)
          continue
        }
        selfie = usable.reduce((a, k) => (poses[k]!.turn < poses[a]!.turn ? k : a))
      }
      docs.push(await documentWith(photos[portrait]!, 1000 + i))
      selfies.push(await selfieFrom(photos[selfie]!))
      names.push(p.person)
      if (docs.length === limit) break
    }
    const looked = names.length + notFrontal.length + noSelfie.length
    if (frontal) {
      console.log(
        `portraits: the most frontal photo of each person, within ${PORTRAIT_POSE}° of yaw and pitch; ${notFrontal.length} of the first ${looked} people have none and are left out`,
      )
    }
    if (selfieArg === 'frontal') {
      console.log(
        `selfies: the least turned other photo that Loom's selfie check takes; ${noSelfie.length} of the first ${looked} people have none (another face beside theirs, or too small) and are left out`,
      )
    }
    console.log()
    // One pair before timing: the first pass of each graph through onnxruntime and the
    // WebAssembly backend allocates.
    await compareFaces(docs[0]!, selfies[0]!)
    const genuine: number[] = []
    const impostor: number[] = []
    const decisions: Record<string, Record<string, number>> = { genuine: {}, impostor: {} }
    const ms: number[] = []
    // The document's and the selfie's share (decode, detection, descriptors); the rest of a pair
    // is the presentation and reuse checks.
    const docMs: number[] = []
    const selfieMs: number[] = []
    // CPU time too: on a shared machine the wall time mostly measures the other work.
    const cpuMs: number[] = []
    const retakes: string[] = []
    // Genuine pairs below the floor, and impostors at or above the threshold, by name.
    const outliers: string[] = []
    const n = names.length
    for (let i = 0; i < n; i++) {
      const pairs: ['genuine' | 'impostor', number][] = [['genuine', i]]
      for (let k = 1; k <= Math.min(impostorsPerDocument, n - 1); k++) {
        pairs.push(['impostor', (i + k) % n])
      }
      for (const [kind, j] of pairs) {
        const cpu = process.cpuUsage()
        const r = await compareFaces(docs[i]!, selfies[j]!)
        const used = process.cpuUsage(cpu)
        ms.push(r.timingsMs.total)
        docMs.push(r.timingsMs.document)
        selfieMs.push(r.timingsMs.selfie)
        cpuMs.push(Math.round((used.user + used.system) / 1000))
        decisions[kind]![r.decision] = (decisions[kind]![r.decision] ?? 0) + 1
        if (r.similarity === null) {
          retakes.push(`${kind} ${names[i]} / ${names[j]}: ${JSON.stringify(r.feedback)}`)
          continue
        }
        ;(kind === 'genuine' ? genuine : impostor).push(r.similarity)
        if (kind === 'genuine' ? r.similarity < GENUINE_FLOOR : r.similarity >= MATCH_THRESHOLD) {
          outliers.push(`${kind} ${names[i]} / ${names[j]}: ${r.similarity}`)
        }
      }
    }
    const low = MATCH_THRESHOLD - REVIEW_BAND
    const high = MATCH_THRESHOLD + REVIEW_BAND
    console.log(`threshold ${MATCH_THRESHOLD}, review band ${low.toFixed(3)}–${high.toFixed(3)}\n`)
    console.log(
      '| pairs | compared | decisions (match / review / no_match / retake) | similarity min / median / max |',
    )
    console.log('|---|---|---|---|')
    for (const [kind, list] of [
      ['genuine', genuine],
      ['impostor', impostor],
    ] as const) {
      const d = decisions[kind]!
      console.log(
        `| ${kind} | ${list.length} | ${d.match ?? 0} / ${d.review ?? 0} / ${d.no_match ?? 0} / ${d.retake ?? 0} | ${Math.min(...list).toFixed(3)} / ${quantile(list, 0.5).toFixed(3)} / ${Math.max(...list).toFixed(3)} |`,
      )
    }
    console.log()
    const gTotal = genuine.length + (decisions.genuine!.retake ?? 0)
    console.log(
      `genuine pairs below ${GENUINE_FLOOR} similarity or without a face: ${rate(genuine.filter((s) => s < GENUINE_FLOOR).length + (decisions.genuine!.retake ?? 0), gTotal)}`,
    )
    console.log(
      `genuine pairs below the threshold (FNMR): ${rate(genuine.filter((s) => s < MATCH_THRESHOLD).length, genuine.length)}`,
    )
    console.log(
      `impostor pairs at or above the threshold (FMR): ${rate(impostor.filter((s) => s >= MATCH_THRESHOLD).length, impostor.length)}`,
    )
    console.log(`impostor pairs decided match: ${impostor.filter((s) => s >= high).length}`)
    console.log(
      `\ntime per pair (compareFaces, models loaded; ${ms.length} pairs): median ${quantile(ms, 0.5)} ms, p90 ${quantile(ms, 0.9)} ms, max ${Math.max(...ms)} ms; CPU time of this process per pair: median ${quantile(cpuMs, 0.5)} ms, p90 ${quantile(cpuMs, 0.9)} ms (load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores); of which the document median ${quantile(docMs, 0.5)} ms, the selfie median ${quantile(selfieMs, 0.5)} ms`,
    )
    if (outliers.length > 0) {
      console.log(`\ngenuine below ${GENUINE_FLOOR} or impostor at or above the threshold:`)
      for (const o of outliers) console.log(`- ${o}`)
    }
    if (retakes.length > 0) {
      console.log(`\nno usable face (${retakes.length}):`)
      for (const r of retakes.slice(0, 20)) console.log(`- ${r}`)
    }
    console.log()
  } finally {
    reader.close()
  }
}
