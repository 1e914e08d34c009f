// libs/spec: see docs/architecture.md. Public door of this bounded context.
export const NOT_BUILT_YET = true;
