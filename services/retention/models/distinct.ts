/**
 * The place of `value` among the distinct values seen so far, appending it to `list` when new:
 * how a fit's population is laid out once, each distinct value computed with once per evaluation.
 */
export function placeOf(index: Map<number, number>, list: number[], value: number): number {
  let at = index.get(value);
  if (at === undefined) {
    at = list.length;
    index.set(value, at);
    list.push(value);
  }
  return at;
}
