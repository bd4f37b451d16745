// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
// header naming each tensor's dtype, shape and byte range, then the raw little-endian data. Read
// here in TypeScript so a pretrained encoder loads into TensorFlow.js without a Python conversion
// step. Every byte range is checked against the file before anything is read, so a truncated or
// tampered file is refused with the tensor and the numbers that do not add up.
import { endianness } from 'node:os';

export type SafetensorsDtype =
  'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

export interface SafeTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Values converted to float32 (integer tensors such as position ids included), row-major. */
  values: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const BYTES: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};
/** Headers are small JSON documents; anything larger is not a safetensors file. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
const LITTLE_ENDIAN = endianness() === 'LE';

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(`safetensors: ${message}`);
    this.name = 'SafetensorsError';
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function decode(dtype: SafetensorsDtype, bytes: Uint8Array, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  const each = (read: (i: number) => number): Float32Array => {
    for (let i = 0; i < count; i++) out[i] = read(i);
    return out;
  };
  switch (dtype) {
    case 'F32':
      if (LITTLE_ENDIAN) {
        // A copy: the bytes may sit at any offset (Float32Array views need 4-byte alignment).
        out.set(new Float32Array(new Uint8Array(bytes).buffer, 0, count));
        return out;
      }
      return each((i) => view.getFloat32(i * 4, true));
    case 'F64':
      return each((i) => view.getFloat64(i * 8, true));
    case 'F16':
      return each((i) => halfToFloat(view.getUint16(i * 2, true)));
    case 'BF16': {
      const word = new DataView(new ArrayBuffer(4));
      return each((i) => {
        word.setUint32(0, view.getUint16(i * 2, true) << 16, true);
        return word.getFloat32(0, true);
      });
    }
    case 'I64':
      return each((i) => Number(view.getBigInt64(i * 8, true)));
    case 'U64':
      return each((i) => Number(view.getBigUint64(i * 8, true)));
    case 'I32':
      return each((i) => view.getInt32(i * 4, true));
    case 'U32':
      return each((i) => view.getUint32(i * 4, true));
    case 'I16':
      return each((i) => view.getInt16(i * 2, true));
    case 'U16':
      return each((i) => view.getUint16(i * 2, true));
    case 'I8':
      return each((i) => view.getInt8(i));
    case 'U8':
    case 'BOOL':
      return each((i) => view.getUint8(i));
  }
}

function parseHeader(bytes: Uint8Array): { entries: [string, HeaderEntry][]; dataStart: number } {
  if (bytes.byteLength < 8)
    throw new SafetensorsError(`file has ${bytes.byteLength} bytes, too short for a header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.byteLength)
    throw new SafetensorsError(
      `header claims ${headerLength} bytes but the file has ${bytes.byteLength - 8} after the length (truncated or not safetensors)`,
    );
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch (err) {
    throw new SafetensorsError(`header is not JSON: ${(err as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new SafetensorsError('header is not a JSON object');
  const entries = Object.entries(header).filter(([name]) => name !== '__metadata__') as [
    string,
    HeaderEntry,
  ][];
  return { entries, dataStart: 8 + headerLength };
}

/**
 * Reads every tensor of a safetensors file (optionally only those `wanted`). Refuses unsupported
 * dtypes, shapes whose size does not match their byte range, ranges outside the data, and overlaps.
 */
export function readSafetensors(
  bytes: Uint8Array,
  wanted?: (name: string) => boolean,
): Map<string, SafeTensor> {
  const { entries, dataStart } = parseHeader(bytes);
  const dataLength = bytes.byteLength - dataStart;
  const ranges: { name: string; begin: number; end: number }[] = [];
  const out = new Map<string, SafeTensor>();
  for (const [name, entry] of entries) {
    const { dtype, shape, data_offsets: offsets } = entry;
    if (!(dtype in BYTES))
      throw new SafetensorsError(`tensor ${name}: dtype ${String(dtype)} is not a safetensors dtype`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0))
      throw new SafetensorsError(`tensor ${name}: bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o)))
      throw new SafetensorsError(`tensor ${name}: bad data_offsets ${JSON.stringify(offsets)}`);
    const [begin, end] = offsets;
    const count = shape.reduce((a, b) => a * b, 1);
    const size = count * BYTES[dtype as SafetensorsDtype];
    if (end - begin !== size)
      throw new SafetensorsError(
        `tensor ${name}: shape [${shape.join(', ')}] of ${dtype} needs ${size} bytes, data_offsets give ${end - begin}`,
      );
    if (begin < 0 || end > dataLength)
      throw new SafetensorsError(
        `tensor ${name} needs bytes [${begin}, ${end}) but the data holds ${dataLength} (truncated file?)`,
      );
    ranges.push({ name, begin, end });
    if (wanted && !wanted(name)) continue;
    out.set(name, {
      name,
      dtype: dtype as SafetensorsDtype,
      shape,
      values: decode(dtype as SafetensorsDtype, bytes.subarray(dataStart + begin, dataStart + end), count),
    });
  }
  ranges.sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < ranges.length; i++) {
    const prev = ranges[i - 1] as (typeof ranges)[number];
    const cur = ranges[i] as (typeof ranges)[number];
    if (cur.begin < prev.end) throw new SafetensorsError(`tensors ${prev.name} and ${cur.name} overlap`);
  }
  return out;
}

/** Writes float32 tensors as a safetensors file (tests, and tools that hand weights to other frameworks). */
export function writeSafetensors(
  tensors: { name: string; shape: number[]; values: Float32Array }[],
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    const size = t.values.length * 4;
    if (t.shape.reduce((a, b) => a * b, 1) !== t.values.length)
      throw new SafetensorsError(
        `tensor ${t.name}: ${t.values.length} values do not fill shape [${t.shape.join(', ')}]`,
      );
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  // The data starts 8-byte aligned, as the reference writer pads the header with spaces.
  const pad = (8 - (json.byteLength % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = Buffer.alloc(8 + json.byteLength + offset);
  out.writeBigUInt64LE(BigInt(json.byteLength), 0);
  json.copy(out, 8);
  let at = 8 + json.byteLength;
  for (const t of tensors) {
    Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength).copy(out, at);
    at += t.values.byteLength;
  }
  return out;
}
