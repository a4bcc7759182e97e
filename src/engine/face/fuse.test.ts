// The convolution fusion pass: its rewrite on small graphs, and on Human's FaceRes model the
// fused graph gives the original's outputs (run both on the WebAssembly backend).

import { createRequire } from 'node:module'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type * as TfCore from '@tensorflow/tfjs-core'
import type * as TfConverter from '@tensorflow/tfjs-converter'
import { fuseConvolutions, fuseModelArtifacts, weightReader } from './fuse.ts'
import type { GraphNode, Weight } from './fuse.ts'
import { faceRuntime } from './models.ts'

const require = createRequire(import.meta.url)

const node = (name: string, op: string, ...input: string[]): GraphNode => ({ name, op, input })
const constant = (name: string): GraphNode => ({ name, op: 'Const' })
const weights = (values: Record<string, [number[], number[]]>) => (name: string) => {
  const w = values[name]
  return w ? ({ shape: w[0], values: () => Float32Array.from(w[1]) } satisfies Weight) : null
}
const decode = (s: string): string => Buffer.from(s, 'base64').toString('utf8')
const fusedOps = (n: GraphNode | undefined): string[] =>
  ((n?.attr?.fused_ops as { list: { s: string[] } }).list.s ?? []).map(decode)

/** Depthwise (2 channels) → Mul → Add → Relu → Minimum(6) → Maximum(0) → Conv2D → Add → Relu. */
function mobileNetBlock(): { nodes: GraphNode[]; weight: (name: string) => Weight | null } {
  return {
    nodes: [
      node('x', 'Placeholder'),
      ...['dw_k', 'dw_scale', 'dw_shift', 'six', 'zero', 'pw_k', 'pw_shift'].map(constant),
      node('dw', 'DepthwiseConv2dNative', 'x', 'dw_k'),
      node('dw_mul', 'Mul', 'dw', 'dw_scale'),
      node('dw_add', 'Add', 'dw_mul', 'dw_shift'),
      node('dw_relu', 'Relu', 'dw_add'),
      node('dw_min', 'Minimum', 'dw_relu', 'six'),
      node('dw_out', 'Maximum', 'dw_min', 'zero'),
      node('pw', 'Conv2D', 'dw_out', 'pw_k'),
      node('pw_add', 'AddV2', 'pw', 'pw_shift'),
      node('pw_out', 'Relu', 'pw_add'),
      node('y', 'Identity', 'pw_out'),
    ],
    weight: weights({
      dw_k: [
        [1, 1, 2, 1],
        [1, 2],
      ],
      dw_scale: [[2], [10, 100]],
      dw_shift: [[2], [0.5, -0.5]],
      six: [[], [6]],
      zero: [[], [0]],
      pw_k: [
        [1, 1, 2, 3],
        [1, 2, 3, 4, 5, 6],
      ],
      pw_shift: [[3], [0, 1, 2]],
    }),
  }
}

describe('fuseConvolutions', () => {
  it('folds scale, shift and ReLU6 into a depthwise convolution, and shift and ReLU into a Conv2D', () => {
    const fusion = fuseConvolutions(mobileNetBlock())
    expect(fusion.fused).toBe(2)
    const byName = new Map(fusion.nodes.map((n) => [n.name, n]))
    for (const gone of ['dw', 'dw_mul', 'dw_add', 'dw_relu', 'dw_min', 'pw', 'pw_add']) {
      expect(byName.has(gone), gone).toBe(false)
    }
    const dw = byName.get('dw_out')
    expect(dw?.op).toBe('FusedDepthwiseConv2dNative')
    expect(dw?.input).toEqual(['x', 'dw/loom_folded_kernel', 'dw_shift'])
    expect(fusedOps(dw)).toEqual(['BiasAdd', 'Relu6'])
    expect(byName.get('dw/loom_folded_kernel')?.op).toBe('Const')
    // The kernel times the per-channel scale.
    expect(fusion.weights).toEqual([
      { name: 'dw/loom_folded_kernel', shape: [1, 1, 2, 1], values: Float32Array.from([10, 200]) },
    ])
    const pw = byName.get('pw_out')
    expect(pw?.op).toBe('_FusedConv2D')
    expect(pw?.input).toEqual(['dw_out', 'pw_k', 'pw_shift'])
    expect(fusedOps(pw)).toEqual(['BiasAdd', 'Relu'])
    expect(byName.get('y')?.input).toEqual(['pw_out'])
  })

  it('leaves a chain alone when an intermediate value is read elsewhere or is a model output', () => {
    const shared = mobileNetBlock()
    shared.nodes.push(node('peek', 'Identity', 'pw_add'))
    const fusion = fuseConvolutions(shared)
    expect(fusion.fused).toBe(1)
    expect(fusion.nodes.find((n) => n.name === 'pw')?.op).toBe('Conv2D')

    const asOutput = fuseConvolutions({ ...mobileNetBlock(), outputs: new Set(['dw_add']) })
    expect(asOutput.fused).toBe(1)
    expect(asOutput.nodes.find((n) => n.name === 'dw')?.op).toBe('DepthwiseConv2dNative')
    // An output after the ReLU ends the chain there: the fused node keeps the ReLU's name.
    const reluOut = fuseConvolutions({ ...mobileNetBlock(), outputs: new Set(['dw_relu']) })
    expect(fusedOps(reluOut.nodes.find((n) => n.name === 'dw_relu'))).toEqual(['BiasAdd', 'Relu'])
    expect(reluOut.nodes.find((n) => n.name === 'dw_min')?.input).toEqual(['dw_relu', 'six'])
  })

  it('does not call a clip to other bounds ReLU6', () => {
    const block = mobileNetBlock()
    const weight = block.weight
    block.weight = (name) =>
      name === 'six' ? { shape: [], values: () => Float32Array.of(5) } : weight(name)
    const fusion = fuseConvolutions(block)
    const dw = fusion.nodes.find((n) => n.name === 'dw_relu')
    expect(fusedOps(dw)).toEqual(['BiasAdd', 'Relu'])
    expect(fusion.nodes.find((n) => n.name === 'dw_min')?.op).toBe('Minimum')
  })
})

describe('weightReader', () => {
  it('reads float32, float16 and uint8-quantized weights laid out as tfjs stores them', () => {
    const buffer = new ArrayBuffer(8 + 4 + 2)
    const view = new DataView(buffer)
    view.setFloat32(0, 1.5, true)
    view.setFloat32(4, -2, true)
    view.setUint16(8, 0x3c00, true) // 1.0 in half precision
    view.setUint16(10, 0xc500, true) // -5.0
    view.setUint8(12, 0)
    view.setUint8(13, 10)
    const read = weightReader(
      [
        { name: 'f32', shape: [2], dtype: 'float32' },
        { name: 'f16', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
        {
          name: 'u8',
          shape: [2],
          dtype: 'float32',
          quantization: { dtype: 'uint8', scale: 0.5, min: -1 },
        },
      ],
      buffer,
    )
    expect(Array.from(read('f32')!.values())).toEqual([1.5, -2])
    expect(Array.from(read('f16')!.values())).toEqual([1, -5])
    expect(Array.from(read('u8')!.values())).toEqual([-1, 4])
    expect(read('missing')).toBeNull()
  })
})

describe("Human's FaceRes model, fused", () => {
  it('gives the original graph outputs', { timeout: 120_000 }, async () => {
    // The wasm backend is set up by the face runtime; both graphs are loaded beside it.
    const { tf } = await faceRuntime()
    const converter = require('@tensorflow/tfjs-converter') as typeof TfConverter
    const humanDir = path.dirname(require.resolve('@vladmandic/human'))
    const file = path.join(humanDir, '..', 'models', 'faceres.json')
    const json = JSON.parse(await readFile(file, 'utf8')) as {
      modelTopology: object
      signature: object
      weightsManifest: { paths: string[]; weights: TfCore.io.WeightsManifestEntry[] }[]
    }
    const shards = await Promise.all(
      json.weightsManifest.flatMap((g) =>
        g.paths.map((p) => readFile(path.join(path.dirname(file), p))),
      ),
    )
    const data = Buffer.concat(shards)
    const artifacts = (): TfCore.io.ModelArtifacts => ({
      modelTopology: json.modelTopology,
      signature: json.signature,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
    })
    const fusion = fuseModelArtifacts(artifacts())
    // 14 convolutions and 13 depthwise convolutions, each with its batch norm and ReLU6.
    expect(fusion.fused).toBe(27)
    const original = await converter.loadGraphModel({ load: async () => artifacts() })
    const fused = await converter.loadGraphModel({ load: async () => fusion.artifacts })
    const ops = (a: TfCore.io.ModelArtifacts): string[] =>
      (a.modelTopology as { node: GraphNode[] }).node.map((n) => n.op)
    expect(ops(artifacts())).toContain('Minimum')
    expect(ops(fusion.artifacts)).not.toContain('Minimum')

    const input = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 7)
    const run = (m: TfConverter.GraphModel): Float32Array[] => {
      const out = m.execute(input) as TfCore.Tensor[]
      const values = out.map((t) => t.dataSync() as Float32Array)
      tf.dispose(out)
      return values
    }
    const expected = run(original)
    const actual = run(fused)
    expect(actual.map((v) => v.length)).toEqual(expected.map((v) => v.length)) // 1, 1024, 100
    for (const [k, values] of expected.entries()) {
      const scale = Math.max(...values.map(Math.abs))
      const diff = Math.max(...values.map((v, i) => Math.abs(v - actual[k]![i]!)))
      expect(diff).toBeLessThan(1e-4 * Math.max(1, scale))
    }
    tf.dispose(input)
    original.dispose()
    fused.dispose()
  })
})
