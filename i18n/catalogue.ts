/**
 * The rules the catalogue keeps (checked by catalogue.test.ts): every key in both languages,
 * none empty, the same parameters on both sides, keys sorted and named `<view>_<what>`.
 */

/** A message as inlang's message format stores it: a string, or variants (plurals). */
type Variants = { declarations?: string[]; selectors?: string[]; match: Record<string, string> }[];
export type Catalogue = Record<string, unknown>;

/** The texts of a message: the string itself, or every variant's text. */
function texts(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return undefined;
  const out: string[] = [];
  for (const v of value as Variants) {
    if (typeof v !== 'object' || v === null || typeof v.match !== 'object') return undefined;
    for (const text of Object.values(v.match)) {
      if (typeof text !== 'string') return undefined;
      out.push(text);
    }
  }
  return out;
}

/** The `{name}` parameters a message takes (locals declared for plural selectors excluded). */
export function parametersOf(value: unknown): string[] {
  const locals = new Set<string>();
  if (Array.isArray(value)) {
    for (const v of value as Variants)
      for (const d of v.declarations ?? []) {
        const local = /^local\s+(\w+)/.exec(d);
        if (local?.[1]) locals.add(local[1]);
      }
  }
  const names = new Set<string>();
  for (const text of texts(value) ?? []) for (const m of text.matchAll(/\{\s*(\w+)\s*\}/g)) if (!locals.has(m[1]!)) names.add(m[1]!);
  return [...names].sort();
}

const keyPattern = /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/;

/** Every way the two catalogues break the rules, in sentences; empty when they are whole. */
export function catalogueProblems(catalogues: Record<string, Catalogue>): string[] {
  const problems: string[] = [];
  const keysOf = (c: Catalogue) => Object.keys(c).filter((k) => k !== '$schema');
  const all = new Set(Object.values(catalogues).flatMap(keysOf));
  const [baseName] = Object.keys(catalogues);
  for (const [locale, catalogue] of Object.entries(catalogues)) {
    const keys = keysOf(catalogue);
    const sorted = [...keys].sort();
    const firstUnsorted = keys.findIndex((k, i) => k !== sorted[i]);
    if (firstUnsorted >= 0) problems.push(`${locale}.json: keys are not sorted (first out of place: ${keys[firstUnsorted]})`);
    for (const key of all) {
      if (!(key in catalogue)) {
        problems.push(`${locale}.json: missing ${key}`);
        continue;
      }
      const t = texts(catalogue[key]);
      if (!t) problems.push(`${locale}.json: ${key} is neither a string nor variants`);
      else if (t.length === 0 || t.some((s) => s.trim() === '')) problems.push(`${locale}.json: ${key} is empty`);
    }
  }
  for (const key of all) {
    if (!keyPattern.test(key)) problems.push(`key ${key}: name keys <view>_<what> in snake_case (runs_title, cli_train_done)`);
    const base = baseName ? parametersOf(catalogues[baseName]?.[key]).join(', ') : '';
    for (const [locale, catalogue] of Object.entries(catalogues)) {
      if (!(key in catalogue)) continue;
      const params = parametersOf(catalogue[key]).join(', ');
      if (params !== base) problems.push(`${locale}.json: ${key} takes {${params}} but ${baseName}.json's takes {${base}}`);
    }
  }
  return problems;
}
