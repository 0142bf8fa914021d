import { BaseError, type Hex } from '@openledger/core';

/** What the node's blob store answers for an upload (DESIGN §4.4). */
export type UploadedBlob = {
  hash: Hex;
  size: number;
  kind: 'contribution' | 'evidence' | 'adapter' | 'other';
  uploadedHeight: number;
  referencedHeight: number;
  /** Contributions: the row rule's result, what the Contribute transaction carries. */
  rowCount?: number;
  rowsRoot?: Hex;
};

export type UploadBlobParameters = {
  /** The node's base URL (the JSON-RPC URL; uploads go to `<url>/blobs`). */
  url: string;
  bytes: Uint8Array;
  kind: UploadedBlob['kind'];
  /** File name; contributions must end in .txt or .md. */
  name?: string;
};

/** Uploads a blob to a node's content-addressed store; errors carry the node's code (BLOB_TOO_LARGE, …). */
export async function uploadBlob(p: UploadBlobParameters): Promise<UploadedBlob> {
  const query = new URLSearchParams({ kind: p.kind, ...(p.name ? { name: p.name } : {}) });
  let res: Response;
  try {
    res = await fetch(`${p.url.replace(/\/$/, '')}/blobs?${query}`, { method: 'POST', body: p.bytes });
  } catch (cause) {
    throw new BaseError('NODE_UNREACHABLE', `cannot reach the node at ${p.url}`, { cause });
  }
  const body = (await res.json()) as UploadedBlob & { error?: { code: string; message: string } };
  if (!res.ok || body.error) {
    throw new BaseError(
      body.error?.code ?? 'UPLOAD_FAILED',
      body.error?.message ?? `upload failed (HTTP ${res.status})`,
    );
  }
  return body;
}

/** Downloads a blob by hash; undefined when the node does not have it. */
export async function downloadBlob(url: string, hash: Hex): Promise<Uint8Array | undefined> {
  const res = await fetch(`${url.replace(/\/$/, '')}/blobs/${hash}`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new BaseError('DOWNLOAD_FAILED', `download of ${hash} failed (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}
