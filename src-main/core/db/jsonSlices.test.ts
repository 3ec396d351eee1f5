import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrayElements, JsonSliceError, objectMembers } from './jsonSlices.ts';

describe('JSON slices', () => {
  it('finds the same members and list elements JSON.parse sees, whatever the values and spacing', () => {
    const spaced = (json: string, space: number) => JSON.stringify(JSON.parse(json) as unknown, null, space);
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 6 }),
        fc.array(fc.jsonValue({ maxDepth: 4 }), { maxLength: 6 }),
        fc.constantFrom(0, 1, 4),
        (object, list, space) => {
          const text = spaced(JSON.stringify({ ...object, list }), space);
          const expected = JSON.parse(text) as Record<string, unknown>;
          const members = objectMembers(text, 64, (key) => key === 'list');
          const seen: Record<string, unknown> = {};
          for (let step = members.next(); !step.done;) {
            const m = step.value;
            if (m.key === 'list') {
              const elements = arrayElements(text, m.start, 63);
              const values: unknown[] = [];
              let e = elements.next();
              for (; !e.done; e = elements.next()) values.push(JSON.parse(text.slice(e.value.start, e.value.end)));
              Object.defineProperty(seen, m.key, { value: values, enumerable: true });
              step = members.next(e.value);
            } else {
              Object.defineProperty(seen, m.key, { value: JSON.parse(text.slice(m.start, m.end)), enumerable: true });
              step = members.next(undefined);
            }
          }
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses what is not an object of members, and nesting past the limit, saying where', () => {
    const all = (text: string) => [...objectMembers(text, 64)];
    expect(() => all('[1]')).toThrow(/expected an object at character 0/);
    expect(() => all('{"a" 1}')).toThrow(/expected ":"/);
    expect(() => all('{"a":1} x')).toThrow(/unexpected text after the object/);
    expect(() => all('{"a":"open')).toThrow(/a string is not closed/);
    try {
      all(`{"a":${'['.repeat(70)}${']'.repeat(70)}}`);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(JsonSliceError);
      expect((error as JsonSliceError).tooDeep).toBe(true);
    }
  });
});
