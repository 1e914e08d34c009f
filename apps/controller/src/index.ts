// apps/controller: public door. See docs/architecture.md.
export const NOT_BUILT_YET = true;
