/** A decoded image, 8-bit RGB, row-major, no padding. */
export interface RgbImage {
  width: number
  height: number
  rgb: Uint8Array
}
