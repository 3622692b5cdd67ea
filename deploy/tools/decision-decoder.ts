import { codecFor, defaultSchemas } from '../../shared/avro/index.js';
import {
  registryClientOf,
  registryConnectionFromEnv,
} from '../../shared/schema-registry/connection-from-env.js';
import type { WriterSchema } from '../../shared/schema-registry/registry-client.js';
import { readFrame } from '../../shared/schema-registry/wire-format.js';

// Decodes the decisions the demo console prints, framed or plain. A framed value (magic byte 0,
// schema id: OUTPUT_FRAMING=registry) is read with its writer schema, fetched once per id from
// the registry and resolved against ours, as a consumer elsewhere would. Without a registry a
// framed value is still shown: the frame is checked and stripped, the body read with our schema.
// Plain values are told apart by their first byte: our decisions start with a non-empty eventId,
// whose Avro length is never 0.

export interface DecisionDecoder {
  (schemaName: string, value: Buffer): Promise<unknown>;
  close(): void;
}

/** A decoder that fetches writer schemas with `fetchWriter`, or strips frames when it is null. */
export function createDecisionDecoder(
  fetchWriter: ((id: number) => Promise<WriterSchema>) | null,
  close: () => void = () => undefined,
): DecisionDecoder {
  const writers = new Map<number, Promise<WriterSchema>>();
  const decoders = new Map<string, (body: Buffer) => unknown>();
  const decode = async (schemaName: string, value: Buffer): Promise<unknown> => {
    const frame = readFrame(value);
    if (frame === null) return codecFor(schemaName).decode(value);
    if (fetchWriter === null) return codecFor(schemaName).decode(frame.body);
    const key = `${frame.schemaId}/${schemaName}`;
    let decoder = decoders.get(key);
    if (decoder === undefined) {
      let writer = writers.get(frame.schemaId);
      if (writer === undefined) {
        writer = fetchWriter(frame.schemaId);
        writers.set(frame.schemaId, writer);
        // A failed lookup (registry down) is asked again for the next value, not remembered.
        writer.catch(() => writers.delete(frame.schemaId));
      }
      const { schema, schemaType } = await writer;
      if (schemaType.toUpperCase() !== 'AVRO')
        throw new Error(`schema id ${frame.schemaId} is ${schemaType}, not Avro`);
      decoder = defaultSchemas().writerDecoder(schemaName, JSON.parse(schema));
      decoders.set(key, decoder);
    }
    return decoder(frame.body);
  };
  return Object.assign(decode, { close });
}

/** The decoder of this environment: with SCHEMA_REGISTRY_URL (& co), writer schemas from it. */
export function decisionDecoder(env: Readonly<Record<string, string | undefined>>): DecisionDecoder {
  const settings = registryConnectionFromEnv(env);
  if (settings === null) return createDecisionDecoder(null);
  const client = registryClientOf(settings);
  return createDecisionDecoder(
    (id) => client.schemaById(id),
    () => client.close(),
  );
}
