import type {
  DiskInspection,
  ImageFiles,
  StagedUpload,
  UploadChunk,
  UploadSizes,
} from '../../src/compute/image-files.js';
import type { Image } from '../../src/compute/image.js';
import { invalidParameter } from '../../src/core/errors.js';

/** An image store in memory that records what exists, and fails where told to. */
export class FakeImageFiles implements ImageFiles {
  free = 100 * 1024 ** 3;
  staged = new Set<string>();
  stored = new Set<string>();
  failInspect: string | undefined;
  failStore = false;
  received: Record<string, number> = {};
  seenPending: Image[] = [];
  constructor(private readonly images?: { get(id: string): Image | undefined }) {}
  freeBytes() {
    return Promise.resolve(this.free);
  }
  async receive(id: string, sizes: UploadSizes, chunks: AsyncIterable<UploadChunk>) {
    this.staged.add(id);
    for await (const c of chunks)
      this.received[c.part] = (this.received[c.part] ?? 0) + c.data.length;
    if ((this.received.disk ?? 0) !== sizes.disk) throw invalidParameter('The upload ended early');
    return { disk: `/staging/${id}/disk` } as StagedUpload;
  }
  inspect(): Promise<DiskInspection> {
    if (this.failInspect) return Promise.reject(invalidParameter(this.failInspect));
    return Promise.resolve({ format: 'raw', virtualSizeBytes: 3 * 1024 ** 3 });
  }
  store(id: string) {
    const row = this.images?.get(id);
    if (row) this.seenPending.push(row);
    if (this.failStore) return Promise.reject(new Error('qemu-img convert: killed'));
    this.stored.add(id);
    return Promise.resolve({
      diskPath: `/store/${id}/disk.qcow2`,
      sizeBytes: 10,
      virtualSizeBytes: 3 * 1024 ** 3,
    });
  }
  copies: { id: string; disk: string }[] = [];
  copyIn(id: string, source: { disk: string }) {
    if (this.failStore) return Promise.reject(new Error('qemu-img convert: killed'));
    this.copies.push({ id, disk: source.disk });
    this.stored.add(id);
    return Promise.resolve({
      diskPath: `/store/${id}/disk.qcow2`,
      sizeBytes: 10,
      virtualSizeBytes: 3 * 1024 ** 3,
    });
  }
  async copyInUsing(id: string, source: { disk: string }, fill: (target: string) => Promise<void>) {
    await fill(`/store/${id}/disk.qcow2.part`);
    return this.copyIn(id, source);
  }
  discard(id: string) {
    this.staged.delete(id);
    return Promise.resolve();
  }
  discardAll() {
    this.staged.clear();
    return Promise.resolve();
  }
  remove(image: Image) {
    this.stored.delete(image.id);
    return Promise.resolve();
  }
}
