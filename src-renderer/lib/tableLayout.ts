/** Layout of the runs table (RunsView): plain functions, tested without a browser. */

/** Width of a runs-table column in rem: its header's longest word (headers wrap between words only) or its values, whichever is wider. */
export function columnWidth(label: string, valueChars = 8): number {
  const longestWord = Math.max(...label.split(/\s+/).map((w) => w.length));
  // ~0.55rem per character of the 0.85rem bold header or the 1rem tabular digits, plus padding and a sort arrow.
  return Math.round((Math.max(longestWord, valueChars) * 0.55 + 1.9) * 10) / 10;
}
