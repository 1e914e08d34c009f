// The last step of an import, the only one that changes the store: staged blobs moved in (a lease keeps a
// concurrent prune off them), then the reference written. If anything fails, the blobs this import added are
// removed again.
import { BlobStore } from '../blob-store';
import { Lease } from '../lease-store';
import { ImageRecord } from '../types';

/** What an import needs of the store. */
export interface ArchiveStore {
  readonly root: string;
  readonly blobs: BlobStore;
  readonly leases: { create(): Lease };
  tag(reference: string, digest: string): Promise<void>;
  get(ref: string): Promise<ImageRecord | undefined>;
}

/** A blob to store: a verified staged file, or bytes made by the import itself (manifests, configs). */
export type PlannedBlob = { digest: string; file: string } | { digest: string; bytes: Buffer };

export interface ImportPlan {
  blobs: PlannedBlob[];
  manifestDigest: string;
  reference: string;
}

export async function commitImage(store: ArchiveStore, plan: ImportPlan): Promise<ImageRecord> {
  const lease = store.leases.create();
  const added: string[] = [];
  try {
    lease.add(plan.blobs.map((b) => b.digest));
    for (const b of plan.blobs) {
      if (store.blobs.has(b.digest)) continue;
      if ('file' in b) store.blobs.adopt(b.file, b.digest);
      else store.blobs.writeBuffer(b.bytes, b.digest);
      added.push(b.digest);
    }
    await store.tag(plan.reference, plan.manifestDigest);
  } catch (e) {
    for (const d of added) store.blobs.remove(d);
    throw e;
  } finally {
    lease.release();
  }
  return (await store.get(plan.reference)) as ImageRecord;
}
