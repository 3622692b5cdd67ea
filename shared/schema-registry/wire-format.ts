// The Confluent wire format every schema-registry client writes and reads: magic byte 0, the
// schema id as a 4-byte big-endian integer, then the Avro body (no framing of its own). Schema
// ids are positive in Confluent, Apicurio and Karapace.

export const MAGIC_BYTE = 0;
/** Bytes before the Avro body. */
export const FRAME_BYTES = 5;

export interface Frame {
  readonly schemaId: number;
  /** The Avro body: a view of the framed value, not a copy. */
  readonly body: Buffer;
}

/** The frame of `value`, or null when it does not start with the magic byte and an id. */
export function readFrame(value: Buffer): Frame | null {
  if (value.length < FRAME_BYTES || value[0] !== MAGIC_BYTE) return null;
  return { schemaId: value.readUInt32BE(1), body: value.subarray(FRAME_BYTES) };
}

/** `body` framed with `schemaId`. */
export function frameValue(schemaId: number, body: Buffer): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffff_ffff)
    throw new RangeError(`schema id ${schemaId} does not fit the wire format`);
  const framed = Buffer.allocUnsafe(FRAME_BYTES + body.length);
  framed[0] = MAGIC_BYTE;
  framed.writeUInt32BE(schemaId, 1);
  body.copy(framed, FRAME_BYTES);
  return framed;
}
