/**
 * "Did you mean …" for the words a user types on the command line (presets, datasets), so a
 * misspelling gets the right word back in CLI terms rather than an API field path.
 */
import { distance } from 'fastest-levenshtein';
import { m } from '../../i18n/paraglide/messages.js';

/** The closest of `choices` to `word` when it is close enough to be a typo, else null. */
export function closest(word: string, choices: readonly string[]): string | null {
  const w = word.toLowerCase();
  let best: { choice: string; d: number } | null = null;
  for (const choice of choices) {
    const c = choice.toLowerCase();
    // A small edit counts, and so does a prefix ('fashion' for 'fashion-mnist'), a little less than one edit.
    const edits = distance(w, c);
    const d = c.startsWith(w) || w.startsWith(c) ? Math.min(edits, 1.5) : edits;
    if (!best || d < best.d) best = { choice, d };
  }
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.choice : null;
}

/** "--preset: 'lenet-5' is not a preset; did you mean lenet5? (one of: …)" */
export function unknownWord(flag: string, what: string, word: string, choices: readonly string[]): string {
  const guess = closest(word, choices);
  return m.cli_flags_unknown_word({
    flag,
    word,
    what,
    guess: guess ? m.cli_flags_did_you_mean({ guess }) : '',
    choices: choices.join(', '),
  });
}
