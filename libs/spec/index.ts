// libs/spec: public door of the Compose spec bounded context: load Compose files into the normalized StackSpec
// (loadStack), print it (tsstack config), and hash a service spec canonically (redeploys touch only changes).
export { canonicalJson, serviceSpecHash } from './src/spec-hash';
export {
  loadStack,
  loadProject,
  DEFAULT_FILES,
  MAX_COMPOSE_FILE_BYTES,
  type LoadStackOptions,
  type LoadedProject,
} from './src/stack-loader';
export { memoryFiles, nodeFiles, type SpecFiles } from './src/file-reader';
export { listServices, stackToJson, stackToYaml } from './src/stack-printer';
export { interpolate, escapeDollars, InterpolationError } from './src/interpolation';
export { parseBytes, parseDurationMs, parseNanoCpus } from './src/units';
