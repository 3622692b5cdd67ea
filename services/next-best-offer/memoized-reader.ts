/**
 * A pure reader of snapshot field names, remembered. A field stays in its partition's snapshots
 * for the whole window (28 days by default), so a daily refresh would read it again some 28
 * times; reading is a pure function of the text, so what was read once holds. Everything is
 * forgotten when `max` fields are held (a new window's fields then come back).
 */
export function memoizedReader<T extends NonNullable<unknown> | null>(
  read: (field: string) => T,
  max = 500_000,
): (field: string) => T {
  const known = new Map<string, T>();
  return (field) => {
    let value = known.get(field);
    if (value === undefined) {
      value = read(field);
      if (known.size >= max) known.clear();
      known.set(field, value);
    }
    return value;
  };
}
