// A load-time graph pass over tfjs graph models: folds the unfused batch-norm and ReLU6 chains
// that follow a convolution into the convolution itself.
//
// Human's FaceRes descriptor model is a MobileNet v1 converted without fusion: every convolution
// is followed by Add (batch-norm shift), Relu, Minimum(6) and Maximum(0) — and every depthwise
// convolution by a Mul (batch-norm scale) as well — each a separate pass over the activations. On
// the WebAssembly backend those element-wise passes cost as much as the convolutions themselves
// (tf.profile on a 640 px selfie: Minimum 30 ms, Maximum 31 ms, Conv2D 50 ms of ~190 ms). The
// same arithmetic as one fused convolution with a bias and a ReLU6 (XNNPACK clamps while it
// writes) removes those passes. The rewrite is exact up to float rounding: the scale is folded
// into the kernel (k·s), the shift becomes the bias, and max(min(relu(x), 6), 0) is relu6(x).
// fuse.test.ts checks the fused model's outputs against the original's.

import type * as TfCore from '@tensorflow/tfjs-core'

/** A node of a TensorFlow GraphDef in its JSON form (as tfjs-converter writes model.json). */
export interface GraphNode {
  name: string
  op: string
  input?: string[]
  attr?: Record<string, unknown>
  device?: string
}

/** The parts of a model's artifacts the pass reads and rewrites. */
export interface GraphArtifacts {
  nodes: GraphNode[]
  /** Names of the model's outputs (its signature): a chain is never fused past one. */
  outputs?: ReadonlySet<string>
  /** A float32 weight by name: its shape, and its values decoded when asked for. */
  weight(name: string): Weight | null
}

export interface Weight {
  shape: number[]
  values(): Float32Array
}

/** The rewritten graph: its whole node list, and the float32 weights its new nodes read. */
export interface Fusion {
  nodes: GraphNode[]
  /** New weights (folded kernels), float32. */
  weights: { name: string; shape: number[]; values: Float32Array }[]
  /** How many convolution chains were fused. */
  fused: number
}

// GraphDef JSON keeps string attributes base64-encoded.
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64')
const CONV_OPS = new Set(['Conv2D', 'DepthwiseConv2dNative'])
const ADD_OPS = new Set(['Add', 'AddV2', 'BiasAdd'])

/** A float32 constant node whose value is the weight of the same name. */
const constNode = (name: string, shape: number[]): GraphNode => ({
  name,
  op: 'Const',
  attr: {
    dtype: { type: 'DT_FLOAT' },
    value: {
      tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: shape.map((n) => ({ size: String(n) })) } },
    },
  },
})

/** The node a tensor name refers to ("name:0" is output 0 of "name"); null for control inputs. */
const producerOf = (input: string): string | null =>
  input.startsWith('^') ? null : input.replace(/:\d+$/, '')

/** The constant operand of a two-input node whose other operand is `chain`, or null. */
function constantOperand(
  node: GraphNode,
  chain: string,
  consts: Set<string>,
): { weight: string } | null {
  const inputs = node.input ?? []
  if (inputs.length !== 2) return null
  const a = producerOf(inputs[0]!)
  const b = producerOf(inputs[1]!)
  if (a === chain && b !== null && consts.has(b)) return { weight: b }
  if (b === chain && a !== null && consts.has(a)) return { weight: a }
  return null
}

const size = (shape: number[]): number => shape.reduce((n, d) => n * d, 1)
const isScalar = (w: Weight | null, value: number): boolean =>
  w !== null && size(w.shape) === 1 && w.values()[0] === value

/**
 * Finds Conv2D / DepthwiseConv2dNative → [Mul(scale)] → Add(shift) → Relu → [Minimum(6) →
 * Maximum(0)] chains and replaces each with one _FusedConv2D / FusedDepthwiseConv2dNative
 * (BiasAdd + Relu or Relu6) named as the chain's last node, so its consumers are unchanged.
 * Nothing else is touched; a chain whose intermediate values are read elsewhere stays as it is.
 */
export function fuseConvolutions(graph: GraphArtifacts): Fusion {
  const { nodes } = graph
  const consts = new Set(nodes.filter((n) => n.op === 'Const').map((n) => n.name))
  const consumers = new Map<string, GraphNode[]>()
  for (const node of nodes) {
    for (const input of node.input ?? []) {
      const from = producerOf(input)
      if (from === null) continue
      consumers.set(from, [...(consumers.get(from) ?? []), node])
    }
  }
  const outputs = graph.outputs ?? new Set<string>()
  /** The single consumer of a node's output, if it has exactly one and it has op in `ops`. */
  const next = (node: GraphNode, ops: Set<string> | string): GraphNode | null => {
    if (outputs.has(node.name)) return null
    const users = consumers.get(node.name) ?? []
    if (users.length !== 1) return null
    const user = users[0]!
    return (typeof ops === 'string' ? user.op === ops : ops.has(user.op)) ? user : null
  }

  const removed = new Set<string>()
  const added: GraphNode[] = []
  const weights: Fusion['weights'] = []
  let fused = 0
  for (const conv of nodes) {
    if (!CONV_OPS.has(conv.op) || conv.input?.length !== 2) continue
    const depthwise = conv.op === 'DepthwiseConv2dNative'
    const kernelName = producerOf(conv.input[1]!)
    const kernel = kernelName !== null && consts.has(kernelName) ? graph.weight(kernelName) : null
    if (kernel === null || kernel.shape.length !== 4) continue
    const channels = depthwise ? kernel.shape[2]! * kernel.shape[3]! : kernel.shape[3]!
    const chain: GraphNode[] = [conv]
    let last = conv

    // Batch-norm scale: a per-output-channel Mul folds into the kernel.
    let scale: Float32Array | null = null
    const mul = next(last, 'Mul')
    if (mul !== null) {
      const operand = constantOperand(mul, last.name, consts)
      const w = operand ? graph.weight(operand.weight) : null
      if (w === null || size(w.shape) !== channels) continue
      scale = w.values()
      chain.push(mul)
      last = mul
    }
    // Batch-norm shift: becomes the bias.
    const add = next(last, ADD_OPS)
    const addOperand = add ? constantOperand(add, last.name, consts) : null
    const shift = addOperand ? graph.weight(addOperand.weight) : null
    if (add === null || shift === null || size(shift.shape) !== channels) continue
    chain.push(add)
    last = add
    const relu = next(last, 'Relu')
    if (relu === null) continue
    chain.push(relu)
    last = relu
    // Keras' relu6 as exported: Relu → Minimum(6) → Maximum(0).
    let activation = 'Relu'
    const min = next(last, 'Minimum')
    const max = min ? next(min, 'Maximum') : null
    const minOperand = min ? constantOperand(min, last.name, consts) : null
    const maxOperand = max && min ? constantOperand(max, min.name, consts) : null
    if (
      min !== null &&
      max !== null &&
      minOperand !== null &&
      maxOperand !== null &&
      isScalar(graph.weight(minOperand.weight), 6) &&
      isScalar(graph.weight(maxOperand.weight), 0)
    ) {
      chain.push(min, max)
      last = max
      activation = 'Relu6'
    }

    let kernelInput = conv.input[1]!
    if (scale !== null) {
      // Output channel c of a Conv2D kernel [h, w, in, out] is the last axis; of a depthwise
      // kernel [h, w, in, multiplier] it is in·multiplier + m, also the fastest-varying pair.
      const folded = kernel.values()
      for (let i = 0; i < folded.length; i++) folded[i] = folded[i]! * scale[i % channels]!
      kernelInput = `${conv.name}/loom_folded_kernel`
      weights.push({ name: kernelInput, shape: kernel.shape, values: folded })
      added.push(constNode(kernelInput, kernel.shape))
    }
    for (const node of chain) removed.add(node.name)
    fused++
    added.push({
      name: last.name,
      op: depthwise ? 'FusedDepthwiseConv2dNative' : '_FusedConv2D',
      input: [conv.input[0]!, kernelInput, addOperand!.weight],
      ...(conv.device !== undefined ? { device: conv.device } : {}),
      attr: {
        ...conv.attr,
        num_args: { i: '1' },
        fused_ops: { list: { s: [b64('BiasAdd'), b64(activation)] } },
      },
    })
  }
  if (fused === 0) return { nodes, weights: [], fused: 0 }
  // The chain's last node keeps its name, so it is dropped and re-added in its fused form.
  const kept = nodes.filter((n) => !removed.has(n.name))
  return { nodes: [...kept, ...added], weights, fused }
}

/**
 * Applies `fuseConvolutions` to a model's artifacts as loaded: the rewritten topology, and the
 * folded kernels appended to the weights as float32. Artifacts without a fusable chain come back
 * as they were.
 */
export function fuseModelArtifacts(artifacts: TfCore.io.ModelArtifacts): {
  artifacts: TfCore.io.ModelArtifacts
  fused: number
} {
  const topology = artifacts.modelTopology as { node?: GraphNode[] } | undefined
  const weightData = artifacts.weightData
  const specs = artifacts.weightSpecs
  if (!topology?.node || !(weightData instanceof ArrayBuffer) || !specs) {
    return { artifacts, fused: 0 }
  }
  const outputs = signatureOutputs(artifacts.signature)
  const fusion = fuseConvolutions({
    nodes: topology.node,
    outputs,
    weight: weightReader(specs, weightData),
  })
  if (fusion.fused === 0) return { artifacts, fused: 0 }
  const extra = fusion.weights.reduce((n, w) => n + w.values.byteLength, 0)
  const data = new Uint8Array(weightData.byteLength + extra)
  data.set(new Uint8Array(weightData), 0)
  let at = weightData.byteLength
  for (const w of fusion.weights) {
    data.set(new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength), at)
    at += w.values.byteLength
  }
  return {
    fused: fusion.fused,
    artifacts: {
      ...artifacts,
      modelTopology: { ...topology, node: fusion.nodes },
      weightSpecs: [
        ...specs,
        ...fusion.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' as const })),
      ],
      weightData: data.buffer,
    },
  }
}

/** The nodes a model's signature names as outputs (tfjs types the signature as `{}`). */
function signatureOutputs(signature: unknown): Set<string> {
  const names = new Set<string>()
  if (typeof signature !== 'object' || signature === null || !('outputs' in signature)) return names
  const { outputs } = signature
  if (typeof outputs !== 'object' || outputs === null) return names
  for (const output of Object.values<unknown>({ ...outputs })) {
    if (typeof output === 'object' && output !== null && 'name' in output) {
      const name = typeof output.name === 'string' ? producerOf(output.name) : null
      if (name !== null) names.add(name)
    }
  }
  return names
}

/** IEEE 754 half precision to a number (exact in float32). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exponent = (h >> 10) & 0x1f
  const fraction = h & 0x3ff
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024)
  if (exponent === 31) return fraction ? NaN : sign * Infinity
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024)
}

const BYTES_PER_VALUE: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
}

/**
 * Reads float32 weights by name from a tfjs weights buffer, as tfjs-core's decodeWeights lays it
 * out (specs in order, each value packed in its quantized type), without making tensors: only
 * the few weights the pass needs are decoded, on the CPU.
 */
export function weightReader(
  specs: TfCore.io.WeightsManifestEntry[],
  data: ArrayBuffer,
): GraphArtifacts['weight'] {
  const at = new Map<string, { spec: TfCore.io.WeightsManifestEntry; offset: number }>()
  let offset = 0
  for (const spec of specs) {
    const bytes = BYTES_PER_VALUE[spec.quantization?.dtype ?? spec.dtype]
    if (bytes === undefined) break // strings have no fixed size; nothing after them is located
    at.set(spec.name, { spec, offset })
    offset += size(spec.shape) * bytes
  }
  return (name) => {
    const found = at.get(name)
    if (found === undefined || found.spec.dtype !== 'float32') return null
    const { spec, offset } = found
    const values = (): Float32Array => {
      const q = spec.quantization
      const out = new Float32Array(size(spec.shape))
      const view = new DataView(data, offset)
      for (let i = 0; i < out.length; i++) {
        if (q === undefined) out[i] = view.getFloat32(4 * i, true)
        else if (q.dtype === 'float16') out[i] = halfToFloat(view.getUint16(2 * i, true))
        else if (q.dtype === 'uint16') out[i] = view.getUint16(2 * i, true) * q.scale! + q.min!
        else out[i] = view.getUint8(i) * q.scale! + q.min!
      }
      return out
    }
    return { shape: spec.shape, values }
  }
}
