// The safetensors reader: values and dtypes round-trip, and every malformed file is refused with a
// message naming the tensor and the numbers that do not add up.
import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from './safetensors';

const tensors = [
  { name: 'a.weight', shape: [2, 3], values: Float32Array.from([1, -2, 3.5, 0, 1e-8, -7]) },
  { name: 'a.bias', shape: [3], values: Float32Array.from([0.25, 0.5, -0.75]) },
];

/** A file with a hand-written header and data, for dtypes and faults the writer never produces. */
function handMade(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8 + json.byteLength + data.byteLength);
  out.writeBigUInt64LE(BigInt(json.byteLength), 0);
  json.copy(out, 8);
  Buffer.from(data).copy(out, 8 + json.byteLength);
  return out;
}

describe('safetensors', () => {
  it('round-trips float32 tensors and metadata, reading only what is asked for', () => {
    const bytes = writeSafetensors(tensors, { format: 'pt' });
    const read = readSafetensors(bytes);
    expect([...read.keys()]).toEqual(['a.weight', 'a.bias']);
    expect(read.get('a.weight')?.shape).toEqual([2, 3]);
    expect(Array.from(read.get('a.weight')?.values ?? [])).toEqual(Array.from(tensors[0]?.values ?? []));
    expect([...readSafetensors(bytes, (n) => n.endsWith('bias')).keys()]).toEqual(['a.bias']);
  });

  it('widens F16, BF16 and I64 tensors to float32', () => {
    const f16 = Uint8Array.from([0x00, 0x3c, 0x00, 0xc0]); // 1, -2
    const bf16 = Uint8Array.from([0x80, 0x3f, 0x40, 0x40]); // 1, 3
    const i64 = new Uint8Array(16);
    new DataView(i64.buffer).setBigInt64(0, 5n, true);
    new DataView(i64.buffer).setBigInt64(8, -1n, true);
    const data = Buffer.concat([f16, bf16, i64]);
    const read = readSafetensors(
      handMade(
        {
          h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
          b: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] },
          ids: { dtype: 'I64', shape: [2], data_offsets: [8, 24] },
        },
        data,
      ),
    );
    expect(Array.from(read.get('h')?.values ?? [])).toEqual([1, -2]);
    expect(Array.from(read.get('b')?.values ?? [])).toEqual([1, 3]);
    expect(Array.from(read.get('ids')?.values ?? [])).toEqual([5, -1]);
  });

  it('refuses a truncated file, naming the tensor and the bytes it needs', () => {
    const bytes = writeSafetensors(tensors);
    expect(() => readSafetensors(bytes.subarray(0, bytes.byteLength - 5))).toThrow(
      /tensor a\.bias needs bytes \[24, 36\) but the data holds 31 \(truncated file\?\)/,
    );
    expect(() => readSafetensors(bytes.subarray(0, 20))).toThrow(
      /header claims \d+ bytes but the file has 12/,
    );
    expect(() => readSafetensors(bytes.subarray(0, 4))).toThrow(/too short for a header/);
  });

  it('refuses shapes that do not match their byte range, overlaps, unknown dtypes and bad headers', () => {
    const data = new Uint8Array(16);
    expect(() =>
      readSafetensors(handMade({ t: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, data)),
    ).toThrow(/tensor t: shape \[3\] of F32 needs 12 bytes, data_offsets give 16/);
    expect(() =>
      readSafetensors(
        handMade(
          {
            x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            y: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          },
          data,
        ),
      ),
    ).toThrow(/tensors x and y overlap/);
    expect(() =>
      readSafetensors(handMade({ q: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, data)),
    ).toThrow(/tensor q: dtype Q4 is not a safetensors dtype/);
    const notJson = Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{oops')]);
    expect(() => readSafetensors(notJson)).toThrow(/header is not JSON/);
  });
});
