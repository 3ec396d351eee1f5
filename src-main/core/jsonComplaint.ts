/**
 * Where JSON.parse stopped, read from V8's English complaint, so a refusal can say it in the
 * user's language (issue 17): V8 words it in English and quotes the text ("Unexpected token 'a',
 * "abc…" is not valid JSON"), and a user needs only the character it stopped at, that the text
 * ended early, or the unexpected character. Shared by the runs import (db/scanReasons.ts), the
 * Keras import (models/keras/kerasImport.ts) and a checkpoint's JSON files (training/checkpointCodec.ts),
 * each with its own codes.
 */
export type JsonComplaint =
  | { kind: 'at'; at: number }
  | { kind: 'ends_early' }
  | { kind: 'token'; token: string }
  /** A complaint in words V8 did not use when this was written: the caller passes them as they are. */
  | { kind: 'other' };

export function jsonComplaint(message: string): JsonComplaint {
  // "… in JSON at position 4 (line 1 column 5)", "… after JSON at position 2 …"
  const at = / JSON at position (\d+)/.exec(message);
  if (at) return { kind: 'at', at: Number(at[1]) };
  if (message.startsWith('Unexpected end of JSON input')) return { kind: 'ends_early' };
  const token = /^Unexpected token '(.{1,2})', /su.exec(message);
  if (token) return { kind: 'token', token: token[1]! };
  return { kind: 'other' };
}
