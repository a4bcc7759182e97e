// What the compatibility adapters (api/compat) import of the documents service, from the modules
// of its stages: document-reads (reading and feedback), images (uploads), decisions (processing
// into a decision) and retention (purges). Native code imports the stage modules directly.
export { MAX_IMAGE_BYTES } from './document-reads.ts'
export { addImage, imageBytes, missingImages, verificationImages } from './images.ts'
export type { AddedImage } from './images.ts'
export { extractedData } from './decisions.ts'
export type { ExtractedData } from './decisions.ts'
export { purgeVerification } from './retention.ts'
