// Plain data types of the image context (OCI descriptors, manifests, the stored image record).
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface OciManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface OciIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface ImageConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  ExposedPorts?: Record<string, object>;
  Healthcheck?: {
    Test?: string[];
    Interval?: number;
    Timeout?: number;
    Retries?: number;
    StartPeriod?: number;
  };
  StopSignal?: string;
  Labels?: Record<string, string>;
}

export interface ImageRecord {
  /** Canonical reference, e.g. docker.io/library/redis:latest. */
  reference: string;
  /** Digest of the manifest (the image id). */
  digest: string;
  config: ImageConfig;
  layers: Descriptor[];
  /** Sum of compressed layer sizes plus config. */
  size: number;
  architecture?: string;
  os?: string;
  createdAt: string;
}

export interface ProgressEvent {
  phase: 'resolve' | 'download' | 'upload' | 'unpack' | 'done';
  digest?: string;
  bytes?: number;
  total?: number;
  /** Upload only: how the blob got to the registry. */
  how?: 'exists' | 'mounted' | 'uploaded';
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface RootfsDirs {
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
}

export const MT = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export function isIndex(mediaType: string | undefined, doc: { manifests?: unknown }): boolean {
  return mediaType === MT.ociIndex || mediaType === MT.dockerList || Array.isArray(doc.manifests);
}
