// Where a PDF417 may be in a photo: blocks of the analysis raster whose gradients are strong and
// parallel (the bars), by structure tensor, merged into regions with their bar direction.

import type { GrayImage } from '../image.ts'

/** Side (analysis pixels) of the blocks the structure tensor is summed over. */
const BLOCK = 12

export interface Candidate {
  /** Gradient direction across the bars, degrees in (-90, 90]: 0 means bars are vertical. */
  angle: number
  /** Centre, in source pixels. */
  cx: number
  cy: number
  /** Extent along the rows (across the bars) and along the bars, source pixels. */
  along: number
  across: number
  /** 0…1: how bar-like the region is. */
  strength: number
}

/**
 * Finds regions whose gradients are strong and parallel (PDF417 bars), by structure tensor over
 * blocks of the analysis raster, and returns them strongest first, in source coordinates.
 */
export function locateCandidates(small: GrayImage, source: GrayImage): Candidate[] {
  const { width: w, height: h, gray } = small
  const bw = Math.floor(w / BLOCK)
  const bh = Math.floor(h / BLOCK)
  if (bw < 3 || bh < 3) return []
  const jxx = new Float64Array(bw * bh)
  const jyy = new Float64Array(bw * bh)
  const jxy = new Float64Array(bw * bh)
  for (let y = 1; y < bh * BLOCK - 1 && y < h - 1; y++) {
    const by = Math.floor(y / BLOCK)
    for (let x = 1; x < bw * BLOCK - 1 && x < w - 1; x++) {
      const i = y * w + x
      const a = gray[i - w - 1] ?? 0
      const b = gray[i - w] ?? 0
      const c = gray[i - w + 1] ?? 0
      const d = gray[i - 1] ?? 0
      const f = gray[i + 1] ?? 0
      const g = gray[i + w - 1] ?? 0
      const hh = gray[i + w] ?? 0
      const k = gray[i + w + 1] ?? 0
      const gx = c + 2 * f + k - a - 2 * d - g
      const gy = g + 2 * hh + k - a - 2 * b - c
      const bi = by * bw + Math.floor(x / BLOCK)
      jxx[bi] = (jxx[bi] ?? 0) + gx * gx
      jyy[bi] = (jyy[bi] ?? 0) + gy * gy
      jxy[bi] = (jxy[bi] ?? 0) + gx * gy
    }
  }
  const energy = new Float64Array(bw * bh)
  const coherence = new Float64Array(bw * bh)
  const orientation = new Float64Array(bw * bh)
  for (let i = 0; i < bw * bh; i++) {
    const xx = jxx[i] ?? 0
    const yy = jyy[i] ?? 0
    const xy = jxy[i] ?? 0
    const e = xx + yy
    energy[i] = e
    coherence[i] = e > 0 ? Math.sqrt((xx - yy) ** 2 + 4 * xy * xy) / e : 0
    orientation[i] = (0.5 * Math.atan2(2 * xy, xx - yy) * 180) / Math.PI
  }
  const sorted = [...energy].sort((a, b) => a - b)
  const high = sorted[Math.floor(sorted.length * 0.97)] ?? 0
  if (high <= 0) return []
  const isBar = new Uint8Array(bw * bh)
  // Dominant bar angle: histogram of orientations over strong, coherent blocks.
  const hist = new Float64Array(180)
  for (let i = 0; i < bw * bh; i++) {
    const e = energy[i] ?? 0
    const coh = coherence[i] ?? 0
    if (e > 0.05 * high && coh > 0.55) {
      isBar[i] = 1
      const bin = (Math.round(orientation[i] ?? 0) + 180) % 180
      hist[bin] = (hist[bin] ?? 0) + Math.sqrt(e) * coh
    }
  }
  const peaks = histogramPeaks(hist, 2)
  const candidates: Candidate[] = []
  const scaleX = source.width / w
  const scaleY = source.height / h
  for (const peak of peaks) {
    const member = new Uint8Array(bw * bh)
    for (let i = 0; i < bw * bh; i++) {
      if (isBar[i] === 1 && angleGap(orientation[i] ?? 0, peak) < 14) member[i] = 1
    }
    const members: number[] = []
    for (let i = 0; i < bw * bh; i++) if (member[i] === 1) members.push(i)
    if (members.length < 6) continue
    // The angle from the summed tensor of the blocks: finer than the histogram bin.
    let sxx = 0
    let syy = 0
    let sxy = 0
    for (const i of members) {
      sxx += jxx[i] ?? 0
      syy += jyy[i] ?? 0
      sxy += jxy[i] ?? 0
    }
    const angle = (0.5 * Math.atan2(2 * sxy, sxx - syy) * 180) / Math.PI
    const a = (angle * Math.PI) / 180
    // Project the blocks on the rows (s) and along the bars (t), in analysis pixels. The symbol
    // is the densest run of both projections; card edges and print add thin, sparse runs.
    const origin = Math.hypot(w, h)
    const bins = Math.ceil((2 * origin) / BLOCK) + 1
    const sOf = (i: number): number =>
      ((i % bw) + 0.5) * BLOCK * Math.cos(a) + (Math.floor(i / bw) + 0.5) * BLOCK * Math.sin(a)
    const tOf = (i: number): number =>
      -((i % bw) + 0.5) * BLOCK * Math.sin(a) + (Math.floor(i / bw) + 0.5) * BLOCK * Math.cos(a)
    const bin = (v: number): number =>
      Math.max(0, Math.min(bins - 1, Math.floor((v + origin) / BLOCK)))
    const tHist = new Float64Array(bins)
    for (const i of members) tHist[bin(tOf(i))] = (tHist[bin(tOf(i))] ?? 0) + 1
    const tRun = largestRun(tHist, 0.3, 1)
    if (tRun === null) continue
    const inRows = members.filter((i) => bin(tOf(i)) >= tRun[0] && bin(tOf(i)) <= tRun[1])
    const sHist = new Float64Array(bins)
    for (const i of inRows) sHist[bin(sOf(i))] = (sHist[bin(sOf(i))] ?? 0) + 1
    const sRun = largestRun(sHist, 0.25, 2)
    if (sRun === null) continue
    const inBox = inRows.filter((i) => bin(sOf(i)) >= sRun[0] && bin(sOf(i)) <= sRun[1]).length
    if (inBox < 6) continue
    const sMid = ((sRun[0] + sRun[1] + 1) / 2) * BLOCK - origin
    const tMid = ((tRun[0] + tRun[1] + 1) / 2) * BLOCK - origin
    const along = (sRun[1] - sRun[0] + 1) * BLOCK
    const across = (tRun[1] - tRun[0] + 1) * BLOCK
    candidates.push({
      angle,
      cx: (sMid * Math.cos(a) - tMid * Math.sin(a)) * scaleX,
      cy: (sMid * Math.sin(a) + tMid * Math.cos(a)) * scaleY,
      along: along * scaleX,
      across: across * scaleY,
      // A symbol is wider (across its bars) than its bars are long; a card edge is not.
      strength: Math.min(1, inBox / 40) * Math.min(1, along / across),
    })
  }
  return candidates.sort((a, b) => b.strength - a.strength).slice(0, 2)
}

function angleGap(a: number, b: number): number {
  const d = Math.abs((((a - b) % 180) + 180) % 180)
  return Math.min(d, 180 - d)
}

/** The highest peaks of a circular 180-bin histogram (smoothed), at least 20° apart. */
function histogramPeaks(hist: Float64Array, count: number): number[] {
  const smooth = new Float64Array(180)
  for (let i = 0; i < 180; i++) {
    let s = 0
    for (let k = -3; k <= 3; k++) s += (hist[(i + k + 180) % 180] ?? 0) * (4 - Math.abs(k))
    smooth[i] = s
  }
  const peaks: number[] = []
  const max = Math.max(...smooth)
  if (max <= 0) return peaks
  const order = [...smooth.keys()].sort((a, b) => (smooth[b] ?? 0) - (smooth[a] ?? 0))
  for (const i of order) {
    if ((smooth[i] ?? 0) < 0.35 * max) break
    if (peaks.every((p) => angleGap(p, i) >= 20)) peaks.push(i)
    if (peaks.length >= count) break
  }
  // Refine each peak to sub-degree precision by the weighted mean around it.
  return peaks.map((p) => {
    let sw = 0
    let sa = 0
    for (let k = -4; k <= 4; k++) {
      const v = hist[(p + k + 180) % 180] ?? 0
      sw += v
      sa += v * (p + k)
    }
    return sw > 0 ? (((sa / sw) % 180) + 180) % 180 : p
  })
}

/** The run (bridging gaps up to `gap`) of values above `share` × max with the largest sum. */
export function largestRun(
  values: Float64Array,
  share: number,
  gap: number,
): [number, number] | null {
  const max = Math.max(...values)
  if (!(max > 0)) return null
  const threshold = share * max
  let best: [number, number] | null = null
  let bestSum = 0
  let start = -1
  let lastAbove = -1
  let sum = 0
  for (let i = 0; i <= values.length; i++) {
    const above = i < values.length && (values[i] ?? 0) >= threshold
    if (above) {
      if (start < 0 || i - lastAbove > gap + 1) {
        start = i
        sum = 0
      }
      lastAbove = i
      sum += values[i] ?? 0
    }
    if (start >= 0 && (i === values.length || (!above && i - lastAbove > gap))) {
      if (sum > bestSum) {
        bestSum = sum
        best = [start, lastAbove]
      }
      start = -1
    }
  }
  return best
}
