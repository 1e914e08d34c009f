// Resolves which controller the CLI talks to and with which token. Pure apart from reading the token file,
// which is passed in as a function so the resolution order is unit-tested.
export const DEFAULT_URL = 'http://127.0.0.1:7700';
export const DEFAULT_DATA_DIR = '/var/lib/tsstack';

export interface CliContext {
  url: string;
  token?: string;
  /** Where the token came from, for error messages: "TSSTACK_TOKEN", a file path, or "none". */
  tokenSource: string;
  /** True when no controller was configured, so `up` may start the embedded one. */
  isDefault: boolean;
}

export interface ContextInput {
  /** --context flag: a URL of a controller. */
  context?: string;
  env: Record<string, string | undefined>;
  readFile: (path: string) => string | undefined;
}

export function dataDir(env: Record<string, string | undefined>): string {
  return env.TSSTACK_DATA_DIR || DEFAULT_DATA_DIR;
}

/**
 * Order: --context, then TSSTACK_HOST, then the local default (TSSTACK_EMBEDDED_ADDR or 127.0.0.1:7700, where `up`
 * starts the embedded control plane). Token: TSSTACK_TOKEN, then the data dir file.
 */
export function resolveContext(input: ContextInput): CliContext {
  const explicit = input.context || input.env.TSSTACK_HOST;
  const url = normalizeUrl(explicit || input.env.TSSTACK_EMBEDDED_ADDR || DEFAULT_URL);
  const tokenFile = `${dataDir(input.env)}/controller/token`;
  if (input.env.TSSTACK_TOKEN) {
    return { url, token: input.env.TSSTACK_TOKEN, tokenSource: 'TSSTACK_TOKEN', isDefault: !explicit };
  }
  const fromFile = input.readFile(tokenFile)?.trim();
  return fromFile
    ? { url, token: fromFile, tokenSource: tokenFile, isDefault: !explicit }
    : { url, tokenSource: 'none', isDefault: !explicit };
}

/** Accepts "host:port", "http://host:port/" and "https://…"; returns a URL without trailing slash. */
export function normalizeUrl(s: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(s) ? s : `http://${s}`;
  const u = new URL(withScheme);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(`controller address ${s}: use http:// or https://`);
  }
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}
