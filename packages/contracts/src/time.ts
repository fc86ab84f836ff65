/** RFC 3339 UTC with second precision, like the seed: `2024-06-01T14:22:10Z`. */
export function toTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

export function toTimestampOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : toTimestamp(ms);
}
