/**
 * Suffix array construction by induced sorting (SA-IS; Nong, Zhang & Chan 2009), linear time over an
 * integer alphabet. A port of the AtCoder Library's `sa_is` to typed arrays: `s[i]` in [0, upper].
 * Suffix order: lexicographic, a proper prefix before the longer suffix.
 *
 * PERF: O(n + upper) time; about 6n int32 of working memory at the top level.
 */
export function suffixArray(s: Int32Array | Uint16Array | Uint32Array, upper: number): Int32Array {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s[i]!;
    if (c < 0 || c > upper) throw new RangeError(`suffixArray: symbol ${c} at ${i} outside [0, ${upper}]`);
  }
  return saIs(s instanceof Int32Array ? s : Int32Array.from(s), upper);
}

function saNaive(s: Int32Array): Int32Array {
  const n = s.length;
  const sa = Array.from({ length: n }, (_, i) => i);
  sa.sort((l, r) => {
    if (l === r) return 0;
    let a = l;
    let b = r;
    while (a < n && b < n) {
      if (s[a] !== s[b]) return s[a]! - s[b]!;
      a++;
      b++;
    }
    return a === n ? -1 : 1;
  });
  return Int32Array.from(sa);
}

function saIs(s: Int32Array, upper: number): Int32Array {
  const n = s.length;
  if (n === 0) return new Int32Array(0);
  if (n === 1) return Int32Array.of(0);
  if (n === 2) return s[0]! < s[1]! ? Int32Array.of(0, 1) : Int32Array.of(1, 0);
  if (n < 10) return saNaive(s);

  const sa = new Int32Array(n);
  const ls = new Uint8Array(n); // 1 = S-type
  for (let i = n - 2; i >= 0; i--) {
    ls[i] = s[i] === s[i + 1] ? ls[i + 1]! : s[i]! < s[i + 1]! ? 1 : 0;
  }
  const sumL = new Int32Array(upper + 1);
  const sumS = new Int32Array(upper + 1);
  for (let i = 0; i < n; i++) {
    const c = s[i]!;
    if (!ls[i]) sumS[c] = sumS[c]! + 1;
    else sumL[c + 1] = sumL[c + 1]! + 1;
  }
  for (let i = 0; i <= upper; i++) {
    sumS[i] = sumS[i]! + sumL[i]!;
    if (i < upper) sumL[i + 1] = sumL[i + 1]! + sumS[i]!;
  }

  const buf = new Int32Array(upper + 1);
  const induce = (lms: Int32Array, m: number) => {
    sa.fill(-1);
    buf.set(sumS);
    for (let k = 0; k < m; k++) {
      const d = lms[k]!;
      if (d === n) continue;
      sa[buf[s[d]!]!++] = d;
    }
    buf.set(sumL);
    sa[buf[s[n - 1]!]!++] = n - 1;
    for (let i = 0; i < n; i++) {
      const v = sa[i]!;
      if (v >= 1 && !ls[v - 1]) sa[buf[s[v - 1]!]!++] = v - 1;
    }
    buf.set(sumL);
    for (let i = n - 1; i >= 0; i--) {
      const v = sa[i]!;
      if (v >= 1 && ls[v - 1]) sa[--buf[s[v - 1]! + 1]!] = v - 1;
    }
  };

  const lmsMap = new Int32Array(n + 1).fill(-1);
  let m = 0;
  for (let i = 1; i < n; i++) if (!ls[i - 1] && ls[i]) lmsMap[i] = m++;
  const lms = new Int32Array(m);
  {
    let k = 0;
    for (let i = 1; i < n; i++) if (!ls[i - 1] && ls[i]) lms[k++] = i;
  }
  induce(lms, m);

  if (m) {
    const sortedLms = new Int32Array(m);
    {
      let k = 0;
      for (let i = 0; i < n; i++) {
        const v = sa[i]!;
        if (lmsMap[v] !== -1) sortedLms[k++] = v;
      }
    }
    const recS = new Int32Array(m);
    let recUpper = 0;
    recS[lmsMap[sortedLms[0]!]!] = 0;
    for (let i = 1; i < m; i++) {
      let l = sortedLms[i - 1]!;
      let r = sortedLms[i]!;
      const endL = lmsMap[l]! + 1 < m ? lms[lmsMap[l]! + 1]! : n;
      const endR = lmsMap[r]! + 1 < m ? lms[lmsMap[r]! + 1]! : n;
      let same = true;
      if (endL - l !== endR - r) {
        same = false;
      } else {
        while (l < endL) {
          if (s[l] !== s[r]) break;
          l++;
          r++;
        }
        if (l === n || s[l] !== s[r]) same = false;
      }
      if (!same) recUpper++;
      recS[lmsMap[sortedLms[i]!]!] = recUpper;
    }
    const recSa = saIs(recS, recUpper);
    for (let i = 0; i < m; i++) sortedLms[i] = lms[recSa[i]!]!;
    induce(sortedLms, m);
  }
  return sa;
}
