import { describe, expect, it } from 'vitest';
import { FRAME_BYTES, frameValue, readFrame } from './wire-format.js';

describe('Confluent wire format', () => {
  it('frames a body with magic byte 0 and the id as 4 bytes big-endian', () => {
    const framed = frameValue(0x01020304, Buffer.from([9, 8, 7]));
    expect([...framed]).toEqual([0, 1, 2, 3, 4, 9, 8, 7]);
    const frame = readFrame(framed)!;
    expect(frame.schemaId).toBe(0x01020304);
    expect([...frame.body]).toEqual([9, 8, 7]);
  });

  it('reads ids up to 2^32 - 1 as positive numbers and frames an empty body', () => {
    expect(readFrame(frameValue(0xffff_ffff, Buffer.alloc(0)))).toMatchObject({ schemaId: 0xffff_ffff });
    expect(readFrame(frameValue(7, Buffer.alloc(0)))!.body.length).toBe(0);
  });

  it('finds no frame without the magic byte or with fewer than five bytes', () => {
    expect(readFrame(Buffer.from([1, 0, 0, 0, 1, 2]))).toBeNull();
    expect(readFrame(Buffer.from([0, 0, 0, 1]))).toBeNull();
    expect(readFrame(Buffer.alloc(0))).toBeNull();
    expect(FRAME_BYTES).toBe(5);
  });

  it('refuses ids that do not fit', () => {
    expect(() => frameValue(-1, Buffer.alloc(1))).toThrow(RangeError);
    expect(() => frameValue(2 ** 32, Buffer.alloc(1))).toThrow(RangeError);
    expect(() => frameValue(1.5, Buffer.alloc(1))).toThrow(RangeError);
  });
});
