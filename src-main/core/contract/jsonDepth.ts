/**
 * How deeply a JSON text nests, found by one pass over its characters before it is parsed.
 * JSON.parse itself copes with deep nesting, but what walks the value afterwards (zod, the store,
 * JSON.stringify of a reply) recurses and dies with "Maximum call stack size exceeded": an input
 * error that would surface as a 500. Every KernelLab input is a few levels deep (a sweep spec
 * with a model is about eight), so anything past `maxJsonDepth` is refused up front.
 */
export const maxJsonDepth = 64;

/** The first position at which `text` nests deeper than `max`, or -1 (brackets inside strings do not count). */
export function jsonDepthExceededAt(text: string, max: number = maxJsonDepth): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return -1;
}
