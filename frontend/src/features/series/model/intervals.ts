//! Closed time intervals `[from, to]` in ms (the emitter's clock), kept as sorted disjoint lists:
//! what the chart has loaded (coverage), what it should keep in memory, what is still missing
//! from a view. `to` may be `Infinity` ("up to now and everything live from here"). Pure.

export type Interval = readonly [from: number, to: number];

/** `list` with `iv` added, merged into sorted disjoint intervals (touching ones join). */
export function addInterval(list: readonly Interval[], iv: Interval): Interval[] {
  if (!(iv[0] <= iv[1])) return [...list];
  const out: Interval[] = [];
  let [from, to] = iv;
  for (const cur of list) {
    if (cur[1] < from) out.push(cur);
    else if (cur[0] > to) {
      if (from !== Infinity) {
        out.push([from, to]);
        from = Infinity;
      }
      out.push(cur);
    } else {
      from = Math.min(from, cur[0]);
      to = Math.max(to, cur[1]);
    }
  }
  if (from !== Infinity) out.push([from, to]);
  return out;
}

/** The parts of `iv` that no interval of `list` covers. */
export function subtractFrom(iv: Interval, list: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let from = iv[0];
  for (const [a, b] of list) {
    if (b < from) continue;
    if (a > iv[1]) break;
    if (a > from) out.push([from, Math.min(a, iv[1])]);
    from = Math.max(from, b);
    if (from >= iv[1]) return out;
  }
  if (from < iv[1]) out.push([from, iv[1]]);
  return out;
}

/** The intersection of two sorted disjoint lists. */
export function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const from = Math.max(a[i][0], b[j][0]);
    const to = Math.min(a[i][1], b[j][1]);
    if (from <= to) out.push([from, to]);
    if (a[i][1] < b[j][1]) i++;
    else j++;
  }
  return out;
}

export function overlaps(list: readonly Interval[], from: number, to: number): boolean {
  return list.some(([a, b]) => a <= to && b >= from);
}
