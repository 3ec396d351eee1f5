import fc from 'fast-check';
import { methods } from '../core/contract/index.ts';

const realNames = Object.keys(methods);

/**
 * Method names a shell must refuse as unknown: near misses of real ones (the typo, the wrong case,
 * a stray space, a real namespace with a made-up method, a property every object has) and
 * arbitrary strings. A dispatcher that looked names up carelessly (case-folded, trimmed, on a plain
 * object's prototype) would answer some of these.
 */
export const unknownMethodName: fc.Arbitrary<string> = fc
  .oneof(
    fc.constantFrom(
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'runs',
      'runs.',
      '.list',
      'runs.__proto__',
      'runs.constructor',
      'app.info.',
      'kl:app.info',
    ),
    fc.tuple(fc.constantFrom(...realNames), fc.nat()).map(([name, n]) => {
      const at = n % name.length;
      switch (n % 6) {
        case 0:
          return name.toUpperCase();
        case 1:
          return ` ${name}`;
        case 2:
          return `${name}\n`;
        case 3:
          return name.slice(0, at) + name.slice(at + 1); // a letter dropped
        case 4:
          return `${name.slice(0, at)}x${name.slice(at)}`; // a letter added
        default:
          return `${name.split('.')[0]}.${name.split('.')[1]!.slice(0, -1)}`; // the method cut short
      }
    }),
    fc
      .tuple(fc.constantFrom(...new Set(realNames.map((n) => n.split('.')[0]!))), fc.stringMatching(/^[a-zA-Z]{1,12}$/))
      .map(([namespace, made]) => `${namespace}.${made}`),
    fc.string({ maxLength: 30 }),
  )
  .filter((name) => !realNames.includes(name));
