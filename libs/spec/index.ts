// libs/spec: public door of the Compose spec bounded context. Only serviceSpecHash is built so far;
// loadStack (Compose file loading/validation) is NOT built yet.
export { canonicalJson, serviceSpecHash } from './src/spec-hash';
