/**
 * The address `kernellab serve` prints, and how a reader finds it again. The line around it is
 * in the user's language ("Open …", "브라우저에서 여세요: …"), so scripts and the test helpers
 * find the address by its shape: the first http(s) URL that carries `?token=`.
 */

/** The address to open: the server's URL with its token, and the language when one was asked for by name. */
export function servedAddress(url: string, token: string, lang: string | undefined): string {
  return `${url}?token=${token}${lang ? `&lang=${lang}` : ''}`;
}

/** A served address found in a stream of output: the whole address, where it listens, its port and its token. */
export interface FoundAddress {
  /** The address as printed, token (and language) included. */
  url: string;
  /** `http://127.0.0.1:7860`, with no path. */
  base: string;
  port: number;
  token: string;
}

const addressShape = /(https?:\/\/(?:\[[0-9a-fA-F:.]+\]|[^\s/?:[\]]+):(\d+))\/?\?token=([0-9a-f]+)(?:&[^\s&]+)*/;

/** The first served address in `output`, in any language the line around it is said in; undefined until one is printed whole. */
export function findServedAddress(output: string): FoundAddress | undefined {
  const match = addressShape.exec(output);
  // An address still being written may lack its end: wait for the line to end.
  if (!match || !/\s/.test(output.charAt(match.index + match[0].length))) return undefined;
  return { url: match[0], base: match[1]!, port: Number(match[2]), token: match[3]! };
}
