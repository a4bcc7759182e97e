// Loads @vladmandic/human with the tfjs WebAssembly backend, entirely from installed packages:
// model JSON and weights from human's own `models/` folder, the .wasm binaries from
// @tensorflow/tfjs-backend-wasm. No network: Node 20's fetch cannot read file:// URLs, so a tfjs
// load router answers a private `loom-models://` scheme by reading the files itself.
//
// Human finds faces and their mesh; the age comes from @vladmandic/face-api's age/gender model,
// read from that package's `model/` folder and run on the same tfjs engine and backend as Human.
// The face descriptor is an ONNX network on onnxruntime-node (recognize.ts), warmed up here too.
//
// Models load once per thread (module state is per worker thread), on first use.

import { createRequire } from 'node:module'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Config, Human } from '@vladmandic/human'
import type * as HumanPackage from '@vladmandic/human'
import type * as TfCore from '@tensorflow/tfjs-core'
import { fuseModelArtifacts } from './fuse.ts'
import { ARCFACE_SIZE, recognizerSession, runRecognizer } from './recognize.ts'

const require = createRequire(import.meta.url)

/** The scheme our load router answers; Human joins it with each model's file name. */
const MODEL_SCHEME = 'loom-models://'

// human's package `exports` lists its Node builds without a "./" prefix, so Node refuses the
// subpath import '@vladmandic/human/dist/human.node-wasm.js'. Resolve the package's Node entry
// and load the wasm build beside it. The node-wasm build `require`s @tensorflow/tfjs-core, so
// the tfjs-core we load here is the very instance Human runs on (one module cache per thread).
const humanDist = path.dirname(require.resolve('@vladmandic/human'))
const modelsDir = path.join(humanDist, '..', 'models')
const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep
const faceApiModels = path.join(
  path.dirname(require.resolve('@vladmandic/face-api/package.json')),
  'model',
)

/** Human's Node build, typed by the package's own declarations. */
type HumanModule = typeof HumanPackage

/** The part of face-api's networks Loom uses (its typings describe more than this). */
export interface FaceApiNets {
  /**
   * dlib's ResNet: a 150 × 150 aligned chip (RGB 0–255) → 128-D descriptor, scored beside the
   * ONNX recognizer (detect.ts, embeddingSimilarity).
   */
  faceRecognitionNet: {
    computeFaceDescriptor(input: TfCore.Tensor3D): Promise<Float32Array>
    loadFromDisk(dir: string): Promise<void>
  }
  /** Age (years) and gender from a 112 × 112 face crop; a batch in, an array out. */
  ageGenderNet: {
    predictAgeAndGender(
      input: TfCore.Tensor3D | TfCore.Tensor3D[],
    ): Promise<AgeGenderPrediction | AgeGenderPrediction[]>
    loadFromDisk(dir: string): Promise<void>
  }
}

export interface AgeGenderPrediction {
  age: number
  gender: string
  genderProbability: number
}

/** A loaded Human instance, face-api's networks, and the tfjs-core both run on. */
export interface FaceRuntime {
  human: Human
  nets: FaceApiNets
  tf: typeof TfCore
  loadMs: number
  /** Convolution chains fused at load, per model file (fuse.ts). */
  fused: Record<string, number>
}

/** The subset of a tfjs model.json we read (tfjs-converter's format). */
interface ModelJson {
  modelTopology?: object
  format?: string
  generatedBy?: string
  convertedBy?: string | null
  signature?: object
  userDefinedMetadata?: Record<string, object>
  modelInitializer?: object
  weightsManifest: { paths: string[]; weights: TfCore.io.WeightsManifestEntry[] }[]
}

/**
 * tfjs IOHandler reading a model.json and its weight shards from the package folder, with the
 * convolution chains fused (fuse.ts); `onFused` hears how many were.
 */
function fileModelHandler(file: string, onFused: (fused: number) => void): TfCore.io.IOHandler {
  return {
    async load(): Promise<TfCore.io.ModelArtifacts> {
      const json = JSON.parse(await readFile(file, 'utf8')) as ModelJson
      const shards: Buffer[] = []
      const weightSpecs: TfCore.io.WeightsManifestEntry[] = []
      for (const group of json.weightsManifest) {
        for (const shard of group.paths) {
          shards.push(await readFile(path.join(path.dirname(file), shard)))
        }
        weightSpecs.push(...group.weights)
      }
      const weights = Buffer.concat(shards)
      const artifacts: TfCore.io.ModelArtifacts = {
        modelTopology: json.modelTopology,
        weightSpecs,
        weightData: weights.buffer.slice(
          weights.byteOffset,
          weights.byteOffset + weights.byteLength,
        ),
      }
      if (json.format !== undefined) artifacts.format = json.format
      if (json.generatedBy !== undefined) artifacts.generatedBy = json.generatedBy
      if (json.convertedBy !== undefined) artifacts.convertedBy = json.convertedBy
      if (json.signature !== undefined) artifacts.signature = json.signature
      if (json.userDefinedMetadata !== undefined)
        artifacts.userDefinedMetadata = json.userDefinedMetadata
      if (json.modelInitializer !== undefined) artifacts.modelInitializer = json.modelInitializer
      const fusion = fuseModelArtifacts(artifacts)
      onFused(fusion.fused)
      return fusion.artifacts
    },
  }
}

/** Human's face detector settings for still images (the real-photo eval uses them too). */
export const FACE_DETECTOR = {
  enabled: true,
  modelPath: 'blazeface.json',
  // Rotation correction re-crops the face upright before the mesh and descriptor. On
  // eval/faces.ts it cost ~40 ms a pair and lost accuracy (FNMR 3.6 % against 1.0 %); a
  // selfie rolled 15° still matched without it, at 25° two of 28 fell below the threshold.
  rotation: false,
  maxDetected: 8,
  minConfidence: 0.3,
  minSize: 0,
  iouThreshold: 0.1,
  skipFrames: 0,
  skipTime: 0,
  scale: 1.4,
  square: false,
  mask: false,
  return: false,
} satisfies NonNullable<Config['face']>['detector']

/** Human's configuration for still images: faces only, no frame-to-frame caching. */
const HUMAN_CONFIG: Partial<Config> = {
  backend: 'wasm',
  wasmPath: wasmDir,
  modelBasePath: MODEL_SCHEME,
  debug: false,
  async: false,
  warmup: 'none',
  cacheModels: false,
  // Human reuses the previous frame's result when the input changed little: wrong for stills.
  cacheSensitivity: 0,
  face: {
    enabled: true,
    detector: FACE_DETECTOR,
    mesh: { enabled: true, modelPath: 'facemesh.json', keepInvalid: false },
    attention: { enabled: false },
    iris: { enabled: false },
    emotion: { enabled: false },
    gear: { enabled: false },
    // Human's own descriptor/age model (FaceRes) is off: face-api's networks replace it.
    description: { enabled: false },
    antispoof: { enabled: true, modelPath: 'antispoof.json', skipFrames: 0, skipTime: 0 },
    liveness: { enabled: true, modelPath: 'liveness.json', skipFrames: 0, skipTime: 0 },
  },
  body: { enabled: false },
  hand: { enabled: false },
  object: { enabled: false },
  gesture: { enabled: false },
  segmentation: { enabled: false },
  filter: { enabled: false },
}

const REQUIRED_MODELS = ['blazeface', 'facemesh', 'antispoof', 'liveness']

let runtime: Promise<FaceRuntime> | null = null

async function load(): Promise<FaceRuntime> {
  const started = performance.now()
  const tf = require('@tensorflow/tfjs-core') as typeof TfCore
  const fused: Record<string, number> = {}
  const router = (url: string | string[]): TfCore.io.IOHandler | null => {
    if (typeof url !== 'string' || !url.startsWith(MODEL_SCHEME)) return null
    const name = path.basename(url.slice(MODEL_SCHEME.length))
    return fileModelHandler(path.join(modelsDir, name), (n) => (fused[name] = n))
  }
  // tfjs declares IORouter as always returning a handler, but its registry skips routers that
  // return null ("no match", documented in router_registry.js) and its own http router does so.
  tf.io.registerLoadRouter(router as Parameters<typeof tf.io.registerLoadRouter>[0])
  const { Human: HumanClass } = require(path.join(humanDist, 'human.node-wasm.js')) as HumanModule
  const human = new HumanClass(HUMAN_CONFIG)
  await human.load()
  // Human logs and carries on when a model fails to load, and still lists it in models.loaded();
  // its load statistics say whether the graph was built. A face engine without one is a bug.
  const loaded = human.models
    .stats()
    .modelStats.filter((m) => m.loaded)
    .map((m) => m.name)
  const missing = REQUIRED_MODELS.filter((m) => !loaded.includes(m))
  if (missing.length > 0) {
    throw new Error(`face models did not load from ${modelsDir}: ${missing.join(', ')}`)
  }
  // face-api's Node WebAssembly build `require`s @tensorflow/tfjs, whose tfjs-core is the same
  // installed copy Human runs on (one engine, one backend, one kernel registry per thread).
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as {
    nets: FaceApiNets
    tf: { engine(): unknown }
  }
  if (faceapi.tf.engine() !== tf.engine()) {
    throw new Error('face-api runs on another copy of tfjs-core than Human (check the install)')
  }
  await faceapi.nets.ageGenderNet.loadFromDisk(faceApiModels)
  await faceapi.nets.faceRecognitionNet.loadFromDisk(faceApiModels)
  await recognizerSession()
  // One pass through each network at load: the first run of a graph allocates and compiles
  // (seconds on the WebAssembly backend), which must not land on the first person's request.
  const small = tf.zeros<TfCore.Rank.R3>([112, 112, 3])
  const chip = tf.zeros<TfCore.Rank.R3>([150, 150, 3])
  try {
    await faceapi.nets.ageGenderNet.predictAgeAndGender([small, small, small, small])
    await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(chip)
  } finally {
    small.dispose()
    chip.dispose()
  }
  await runRecognizer(new Float32Array(3 * ARCFACE_SIZE * ARCFACE_SIZE))
  return { human, nets: faceapi.nets, tf, loadMs: Math.round(performance.now() - started), fused }
}

/** Where face-api's weights are (for tools that load more of its networks). */
export const FACE_API_MODELS = faceApiModels

/** Human with face models loaded, once per thread; later calls share the first load. */
export function faceRuntime(): Promise<FaceRuntime> {
  if (runtime === null) {
    runtime = load()
    // A failed load (missing files) must not poison every later call with the same rejection.
    runtime.catch(() => {
      runtime = null
    })
  }
  return runtime
}
