/**
 * A set of function names from whitespace-separated lists, lower-cased: DuckDB resolves
 * function names without regard to case, so every lookup lower-cases too. Lists of names
 * stay readable this way (several to a line, grouped under a comment) where an array
 * literal would take a line per name.
 */
export function functionNameSet(...lists: string[]): ReadonlySet<string> {
  const names = lists.flatMap((list) => list.split(/\s+/)).filter((name) => name !== '');
  return new Set(names.map((name) => name.toLowerCase()));
}
