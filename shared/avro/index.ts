// Public API of the Avro module (the only module that imports avsc).
export {
  type AvroCodec,
  AvroDecodeError,
  AvroEncodeError,
  AvroResolveError,
  codecFor,
  defaultSchemas,
  type IsValidOptions,
  loadSchemas,
  type SchemaName,
  type SchemaRegistry,
} from './codec.js';
export {
  type AvroFieldJson,
  type AvroSchemaJson,
  type AvroSchemaObject,
  DEFAULT_SCHEMA_DIR,
  readSchemaFiles,
  type SchemaFile,
} from './schema-files.js';
