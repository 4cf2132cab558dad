// Generator for tests/vectors/courier-series.json (kept as a reproducible recipe only).
const S = [{ name: 'temp', unit: '°C' }, { name: 'load', unit: '%' }];
const canon = (v) => {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  return `{${Object.keys(v).filter((k) => v[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`;
};
const batch = (o) => canon({ stream: 'lab-1', seq: 0, series: S, points: [[1700000000000, 21.5, 0.25]], ...o });
const valid = [
  { name: 'two_series', plaintext: batch({ points: [[1700000000000, 21.5, 0.25], [1700000000250, 21.625, null]] }) },
  { name: 'same_time_twice', plaintext: batch({ points: [[5, 1, 2], [5, 3, 4]] }) },
  { name: 'ecmascript_numbers', plaintext: batch({ points: [[0, 1e21, 1e-7], [1, 5e-324, -1.7976931348623157e308], [9007199254740991, 0.1, 123456789.125]] }) },
  { name: 'unicode_and_empty_unit', plaintext: batch({ stream: 'A.b_c:d-9', seq: 9007199254740991, series: [{ name: 'Ünïcode 温度 📈', unit: '' }], points: [[2, -0.5]] }) },
  { name: 'all_nulls', plaintext: batch({ points: [[3, null, null]] }) },
];
for (const v of valid) v.parsed = JSON.parse(v.plaintext);
const sixteen = Array.from({ length: 16 }, (_, i) => ({ name: `s${i}`, unit: '' }));
const thousand = Array.from({ length: 1000 }, (_, i) => [i, i / 8]);
valid.push({ name: 'limits_1000_points', plaintext: batch({ series: [{ name: 'v', unit: '' }], points: thousand }) });
valid.push({ name: 'limits_16_series', plaintext: batch({ series: sixteen, points: [[0, ...Array(16).fill(1)]] }) });
valid.at(-2).parsed = JSON.parse(valid.at(-2).plaintext);
valid.at(-1).parsed = JSON.parse(valid.at(-1).plaintext);
const good = batch({});
const invalid = [
  ['not_canonical_whitespace', good.replace('"seq":0', '"seq": 0')],
  ['not_canonical_key_order', good.replace(/^\{"points":(\[\[.*?\]\]),"seq":0,/, '{"seq":0,"points":$1,')],
  ['not_canonical_float_form', good.replace('21.5', '21.50')],
  ['not_canonical_exponent', good.replace('21.5', '2.15e1')],
  ['not_canonical_integer_as_float', good.replace('"seq":0', '"seq":0.0')],
  ['not_canonical_negative_zero', good.replace('21.5', '-0')],
  ['not_canonical_unrounded_decimal', good.replace('0.25', '0.2500000000000000001')],
  ['duplicate_key', good.replace('"seq":0,', '"seq":0,"seq":0,')],
  ['byte_order_mark', '\ufeff' + good],
  ['lone_surrogate_in_name', good.replace('"temp"', '"t\\ud800"')],
  ['unknown_field', canon({ ...JSON.parse(good), extra: 1 })],
  ['missing_seq', canon({ ...JSON.parse(good), seq: undefined })],
  ['seq_float', good.replace('"seq":0', '"seq":1.5')],
  ['seq_negative', good.replace('"seq":0', '"seq":-1')],
  ['seq_too_large', good.replace('"seq":0', '"seq":9007199254740992')],
  ['stream_empty', batch({ stream: '' })],
  ['stream_space', batch({ stream: 'lab 1' })],
  ['stream_too_long', batch({ stream: 'x'.repeat(65) })],
  ['stream_not_string', batch({ stream: 7 })],
  ['no_series', batch({ series: [], points: [[0]] })],
  ['seventeen_series', batch({ series: [...sixteen, { name: 's16', unit: '' }], points: [[0, ...Array(17).fill(1)]] })],
  ['duplicate_series_name', batch({ series: [S[0], { name: 'temp', unit: 'K' }] })],
  ['series_extra_field', batch({ series: [S[0], { ...S[1], color: 'red' }] })],
  ['series_missing_unit', batch({ series: [S[0], { name: 'load' }] })],
  ['series_name_empty', batch({ series: [S[0], { name: '', unit: '%' }] })],
  ['series_name_control', batch({ series: [S[0], { name: 'lo\nad', unit: '%' }] })],
  ['series_name_bidi', batch({ series: [S[0], { name: 'lo\u202ead', unit: '%' }] })],
  ['series_name_too_long', batch({ series: [S[0], { name: 'n'.repeat(65), unit: '%' }] })],
  ['series_unit_too_long', batch({ series: [S[0], { name: 'load', unit: 'u'.repeat(17) }] })],
  ['no_points', batch({ points: [] })],
  ['thousand_and_one_points', batch({ series: [{ name: 'v', unit: '' }], points: [...thousand, [1000, 1]] })],
  ['point_too_short', batch({ points: [[0, 1]] })],
  ['point_too_long', batch({ points: [[0, 1, 2, 3]] })],
  ['point_empty', batch({ points: [[]] })],
  ['point_not_array', batch({ points: [{ t: 0 }] })],
  ['time_float', batch({ points: [[0.5, 1, 2]] })],
  ['time_negative', batch({ points: [[-1, 1, 2]] })],
  ['time_null', batch({ points: [[null, 1, 2]] })],
  ['time_too_large', batch({ points: [[9007199254740992, 1, 2]] })],
  ['time_goes_back', batch({ points: [[10, 1, 2], [9, 1, 2]] })],
  ['value_string', batch({ points: [[0, '1', 2]] })],
  ['value_bool', batch({ points: [[0, true, 2]] })],
  ['value_nested', batch({ points: [[0, [1], 2]] })],
  ['value_overflow', good.replace('21.5', '1e400')],
  ['not_object', '[1]'],
  ['too_long', batch({ series: [...S, { name: 'x', unit: '' }, { name: 'y', unit: '' }], points: Array.from({ length: 1000 }, (_, i) => [i, -1.2345678901234567e-300, 1.2345678901234567e+300, -1.2345678901234567e-300, 1.2345678901234567e+300]) })],
];
const out = {
  description: 'Courier telemetry series known answers (docs/protocol.md §12). content_type application/vnd.courier.series+json. Every valid plaintext must parse to `parsed`; every invalid one must be refused as a whole by every reader.',
  content_type: 'application/vnd.courier.series+json',
  valid,
  invalid: invalid.map(([name, plaintext]) => ({ name, plaintext })),
};
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
