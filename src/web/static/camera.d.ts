// Types of camera.js's frame checks, for the tests that run them outside a browser.

export interface Box {
  x0: number
  y0: number
  x1: number
  y1: number
}

export type Verdict = 'good' | 'dark' | 'edges' | 'too_far' | 'too_close' | 'glare' | 'blurry'

export interface Assessment {
  verdict: Verdict
  borders?: { left: number | null; right: number | null; top: number | null; bottom: number | null }
  sharpness?: number | null
}

export function outlineRatio(type: string | null): number
export function assessFrame(
  grey: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  outline: Box,
): Assessment
