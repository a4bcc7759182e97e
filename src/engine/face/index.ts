// The face engine's public surface: what `jobs/` and the CLI import.

export {
  AGE_BUFFER,
  AGE_SPREAD_LIMIT,
  compareFaces,
  decideAge,
  estimateAge,
  presentationChecks,
  MATCH_THRESHOLD,
  REVIEW_BAND,
  type AgeDecision,
  type AgeEstimate,
  type AgeOptions,
  type CompareOptions,
  type FaceComparison,
  type FaceSummary,
  type MatchDecision,
  type PresentationCheck,
  type PresentationCheckName,
  type PresentationResult,
  type SelfieInput,
} from './compare.ts'
export {
  detectFaces,
  embeddingSimilarity,
  type DetectedFace,
  type DetectOptions,
  type FaceDetection,
  type FaceFeedback,
  type FaceImageInput,
  type FaceRole,
  type RgbImage,
} from './detect.ts'
export { faceRuntime } from './models.ts'
