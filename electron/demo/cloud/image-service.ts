// A minimal image service (Glance v2 under /image, devstack's layout) answering what the OpenStack command line
// asks while listing and showing servers: version discovery, the image list and single images. Images are read
// only and public; the list pages by limit/marker as Glance does.
import { sendJson, type Exchange } from './http.ts';
import { keystoneErrorBody } from './errors.ts';
import { authenticate } from './token-check.ts';
import { IMAGE_LIST, PROJECTS, type DemoImage } from './demo-data.ts';
import type { Identity } from './keystone.ts';

const VERSION = 'v2.16'; // Glance 26 (2023.1)

function imageView(img: DemoImage): Record<string, unknown> {
  const updated = img.created;
  return {
    id: img.id,
    name: img.name,
    status: 'active',
    visibility: 'public',
    protected: false,
    os_hidden: false,
    disk_format: 'qcow2',
    container_format: 'bare',
    size: img.size,
    virtual_size: img.size * 4,
    min_disk: img.minDisk,
    min_ram: 0,
    owner: PROJECTS[0].id,
    checksum: img.id.replace(/-/g, '').slice(0, 32),
    os_hash_algo: 'sha512',
    os_hash_value: (img.id.replace(/-/g, '') + img.id.replace(/-/g, '')).repeat(2).slice(0, 128),
    os_distro: img.osDistro,
    os_version: img.osVersion,
    tags: [],
    created_at: img.created,
    updated_at: updated,
    self: `/v2/images/${img.id}`,
    file: `/v2/images/${img.id}/file`,
    schema: '/v2/schemas/image',
  };
}

function glanceError(ex: Exchange, status: number, message: string): void {
  sendJson(ex.res, status, keystoneErrorBody(status, message));
}

export class ImageService {
  constructor(private readonly identity: Identity) {}

  handle(ex: Exchange, rest: string[]): void {
    const base = `${ex.origin}/image`;
    if (rest.length === 0 || (rest.length === 1 && rest[0] === 'versions')) {
      // Glance answers its root with 300 Multiple Choices and the version list.
      return sendJson(ex.res, rest.length === 0 ? 300 : 200, {
        versions: [{ id: VERSION, status: 'CURRENT', links: [{ rel: 'self', href: `${base}/v2/` }] }],
      });
    }
    if (rest[0] !== 'v2') return glanceError(ex, 404, 'The resource could not be found.');
    if (!authenticate(ex, this.identity)) return;
    if (ex.method !== 'GET') return glanceError(ex, 405, 'The method specified is not allowed for this resource.');
    if (rest.length === 2 && rest[1] === 'images') return this.list(ex);
    if (rest.length === 3 && rest[1] === 'images') {
      const img = IMAGE_LIST.find((i) => i.id === rest[2]);
      if (!img) return glanceError(ex, 404, `No image found with ID ${rest[2]}`);
      return sendJson(ex.res, 200, imageView(img));
    }
    glanceError(ex, 404, 'The resource could not be found.');
  }

  private list(ex: Exchange): void {
    const q = ex.url.searchParams;
    let images = [...IMAGE_LIST].sort((a, b) => b.created.localeCompare(a.created) || b.id.localeCompare(a.id));
    const name = q.get('name');
    if (name !== null) images = images.filter((i) => i.name === name);
    const id = q.get('id');
    if (id !== null) images = images.filter((i) => i.id === id);
    const marker = q.get('marker');
    if (marker !== null) {
      const at = images.findIndex((i) => i.id === marker);
      if (at < 0) return glanceError(ex, 400, `marker=${marker} was not found.`);
      images = images.slice(at + 1);
    }
    const limit = Math.min(Number(q.get('limit') ?? 25) || 25, 1000);
    const page = images.slice(0, limit);
    const body: Record<string, unknown> = { images: page.map(imageView), first: '/v2/images', schema: '/v2/schemas/images' };
    if (page.length === limit && images.length > limit) {
      const next = new URLSearchParams(q);
      next.set('marker', page[page.length - 1].id);
      body.next = `/v2/images?${next.toString()}`;
    }
    sendJson(ex.res, 200, body);
  }
}
