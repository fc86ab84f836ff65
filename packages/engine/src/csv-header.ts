/** Delimiters DuckDB's sniffer also considers, in order of preference on a tie. */
const DELIMITERS = [',', ';', '\t', '|'] as const;

export interface CsvHeader {
  delimiter: string;
  /** Fields in the header row: every data row must have as many. */
  columnCount: number;
}

/**
 * Reads the header row (the start of the file, quotes respected) and picks the delimiter
 * that splits it most. We fix the delimiter from the header instead of letting DuckDB's
 * sniffer choose, because when rows are inconsistent the sniffer quietly falls back to
 * "one column" (`a,b,c` as a single name) instead of reporting the bad line.
 * Returns null when the header row is empty.
 */
export function readCsvHeader(start: string): CsvHeader | null {
  const text = start.startsWith('\uFEFF') ? start.slice(1) : start;
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let inQuotes = false;
  let end = 0;
  for (; end < text.length; end += 1) {
    const char = text.charAt(end);
    if (char === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (char === '\n' || char === '\r')) break;
    else if (!inQuotes && counts.has(char)) counts.set(char, (counts.get(char) ?? 0) + 1);
  }
  if (text.slice(0, end).trim() === '') return null;
  let delimiter: string = DELIMITERS[0];
  for (const candidate of DELIMITERS) {
    if ((counts.get(candidate) ?? 0) > (counts.get(delimiter) ?? 0)) delimiter = candidate;
  }
  return { delimiter, columnCount: (counts.get(delimiter) ?? 0) + 1 };
}
