/** The opaque cursor of `GET /v1/jobs/{id}/results`: a row offset, base64url-wrapped. */
export function encodeResultsCursor(offset: number): string {
  return Buffer.from(`o:${offset}`, 'utf8').toString('base64url');
}

/** The offset, or null when the cursor is not one the API gave out. */
export function decodeResultsCursor(cursor: string): number | null {
  const match = /^o:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match?.[1] ? Number(match[1]) : null;
}

export function resultsLink(jobId: string, offset: number): string {
  return `/v1/jobs/${jobId}/results?cursor=${encodeResultsCursor(offset)}`;
}
