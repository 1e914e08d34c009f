// The build layer cache: build-cache.json in the store maps a step key (parent key + instruction + the
// content of its inputs, see builder.ts) to the layer that step produced. A hit is used only while the
// layer blob is still in the store (prune may have removed it). Writes go under the store's file lock.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BlobStore, writeFileAtomic } from '../blob-store';
import { withFileLock } from '../file-lock';
import { LayerBlob } from './layer-writer';

export class BuildCache {
  private readonly file: string;

  constructor(private readonly blobs: BlobStore) {
    this.file = path.join(blobs.root, 'build-cache.json');
  }

  private read(): Record<string, LayerBlob> {
    try {
      return JSON.parse(fs.readFileSync(this.file, 'utf8')) as Record<string, LayerBlob>;
    } catch {
      return {};
    }
  }

  get(key: string): LayerBlob | undefined {
    const hit = this.read()[key];
    return hit && this.blobs.has(hit.digest) ? hit : undefined;
  }

  put(key: string, layer: LayerBlob): Promise<void> {
    return withFileLock(this.file, () => {
      const all = this.read();
      all[key] = layer;
      writeFileAtomic(this.file, JSON.stringify(all));
    });
  }
}
