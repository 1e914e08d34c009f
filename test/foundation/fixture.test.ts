import * as fs from 'node:fs';
import * as path from 'node:path';
import { busyboxImage, freeSubnet24, hostUsedCidrs, cidrOverlaps } from '@tsstack/testkit';

describe('busybox fixture image', () => {
  it('has busybox applets, users and a valid OCI layout', async () => {
    const img = await busyboxImage();
    expect(fs.realpathSync(path.join(img.rootfs, 'bin/sh'))).toBe(
      path.join(fs.realpathSync(img.rootfs), 'bin/busybox'),
    );
    expect(fs.readFileSync(path.join(img.rootfs, 'etc/passwd'), 'utf8')).toContain('app:x:1000:1000');
    const index = JSON.parse(fs.readFileSync(path.join(img.ociLayout, 'index.json'), 'utf8'));
    expect(index.manifests[0].digest).toBe(img.manifestDigest);
    expect(fs.statSync(img.layerPath).size).toBeGreaterThan(100_000);
  });

  it('is cached: a second call returns the same digests', async () => {
    const [a, b] = await Promise.all([busyboxImage(), busyboxImage()]);
    expect(a.manifestDigest).toBe(b.manifestDigest);
  });
});

describe('test address pools', () => {
  it('never overlap the host routes or resolver', () => {
    const used = hostUsedCidrs();
    for (let i = 0; i < 20; i++) {
      const s = freeSubnet24();
      expect(used.some((u) => cidrOverlaps(u, s))).toBe(false);
    }
  });
});
