// The value histogram's cells (SEMANTICS.md, "Histogram and thresholds"): HdrHistogram-like with
// 7 significant bits, so a cell is at most 1/64 of its values wide and the whole integer range
// fits in a few thousand cells. Thresholds are cell edges: partitions add up cell counters
// instead of shipping every customer's value.
//
// All arithmetic is on doubles, never on JavaScript's 32-bit bit operators, so it is exact for
// every safe integer (|v| <= 2^53 - 1): division by a power of two is exact in binary floating
// point, and every edge computed is itself a safe integer.

const LINEAR_CELLS = 128; // values 0..127 have a cell each
const SUB_CELLS = 64; // cells per power of two above that: 2^6 → relative width <= 1/64

function checkValue(v: number): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`histogram value must be a safe integer, got ${v}`);
}

/** Number of binary digits of a positive integer, exactly (Math.log2 alone can be off by one). */
function bitLengthOf(v: number): number {
  let exponent = Math.floor(Math.log2(v));
  while (2 ** exponent > v) exponent -= 1;
  while (2 ** (exponent + 1) <= v) exponent += 1;
  return exponent + 1;
}

export function cellOf(v: number): number {
  checkValue(v);
  // Negative values mirror the positive ones around -1/2: -1 ↔ 0, -2 ↔ 1, …
  if (v < 0) return -1 - cellOf(-v - 1);
  if (v < LINEAR_CELLS) return v;
  const e = bitLengthOf(v) - 7;
  const m = Math.floor(v / 2 ** e); // 64 <= m < 128
  return LINEAR_CELLS + (e - 1) * SUB_CELLS + (m - SUB_CELLS);
}

/** Exponent e and mantissa m of a non-linear non-negative cell: its values are [m·2^e, (m+1)·2^e). */
function exponentAndMantissa(cell: number): { e: number; m: number } {
  const offset = cell - LINEAR_CELLS;
  return { e: Math.floor(offset / SUB_CELLS) + 1, m: (offset % SUB_CELLS) + SUB_CELLS };
}

function checkCell(cell: number): void {
  if (!Number.isSafeInteger(cell)) throw new RangeError(`histogram cell must be an integer, got ${cell}`);
}

/** The smallest integer in the cell. */
export function lowerEdgeOf(cell: number): number {
  checkCell(cell);
  if (cell < 0) return -1 - upperEdgeOf(-1 - cell);
  if (cell < LINEAR_CELLS) return cell;
  const { e, m } = exponentAndMantissa(cell);
  return m * 2 ** e;
}

/** The largest integer in the cell. */
export function upperEdgeOf(cell: number): number {
  checkCell(cell);
  if (cell < 0) return -1 - lowerEdgeOf(-1 - cell);
  if (cell < LINEAR_CELLS) return cell;
  const { e, m } = exponentAndMantissa(cell);
  return (m + 1) * 2 ** e - 1;
}
