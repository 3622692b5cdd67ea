#!/usr/bin/python3
"""Produce Avro records framed in the Confluent wire format, as a foreign (non-Node) client does.

Uses Debian's python3-confluent-kafka 1.7 legacy serializer (confluent_kafka.avro.AvroProducer):
it registers the writer schema under <topic>-value (TopicNameStrategy) in the registry, then
prefixes every value with magic byte 0 and the 4-byte schema id. Run it with /usr/bin/python3.

    produce_framed.py --brokers HOST:PORT --registry URL --topic T --schema FILE.avsc [--schema V2.avsc] < lines

stdin: one JSON object per line, {"key": "<string>", "value": {...}}, with "schema": N to write
that line with the N-th --schema (0, the first, by default): one producer whose records move from
one schema version to the next, in stream order; timestamp-millis fields as epoch milliseconds. Keys are plain UTF-8 strings, as this project keys its topics (customer
id); --avro-keys frames them too (schema "string", subject <topic>-key). Basic auth from
SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD. Keys are partitioned as the Java client does
(murmur2), so a key lands where a Node (kafkajs) or Java producer puts it. Prints {"sent", "schemaId"
(the first schema's), "schemaIds"} as JSON on stdout;
exits non-zero if the registry refuses the schema (e.g. 409, incompatible) or a send fails.
"""

import argparse
import json
import os
import sys

from confluent_kafka import Producer
from confluent_kafka.avro import AvroProducer, loads

from avro_json import from_json


class StringKeyAvroProducer(AvroProducer):
    """AvroProducer insists on an Avro key; a Confluent shop's StringSerializer key is plain bytes."""

    def produce_plain_key(self, topic, key, value, schema):
        framed = self._serializer.encode_record_with_schema(topic, schema, value)
        Producer.produce(self, topic, framed, key.encode("utf-8"), on_delivery=self.on_delivery)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--registry", required=True, help="the Confluent-compatible API base URL")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--schema", required=True, action="append", help="writer schema (.avsc); repeatable")
    parser.add_argument("--avro-keys", action="store_true")
    args = parser.parse_args()

    schemas = []
    for path in args.schema:
        with open(path, encoding="utf-8") as f:
            schemas.append(loads(f.read()))
    # log_level 3: librdkafka errors only (not its shutdown notices) on stderr. librdkafka's own
    # default partitioner (CRC32) would put a customer elsewhere than our Node producers do.
    config = {
        "bootstrap.servers": args.brokers,
        "schema.registry.url": args.registry,
        "acks": "all",
        "log_level": 3,
        "partitioner": "murmur2_random",
    }
    if os.environ.get("SCHEMA_REGISTRY_USERNAME"):
        config["schema.registry.basic.auth.credentials.source"] = "USER_INFO"
        config["schema.registry.basic.auth.user.info"] = "{}:{}".format(
            os.environ["SCHEMA_REGISTRY_USERNAME"], os.environ.get("SCHEMA_REGISTRY_PASSWORD", "")
        )
    key_schema = loads('"string"') if args.avro_keys else None
    producer = StringKeyAvroProducer(config, default_key_schema=key_schema, default_value_schema=schemas[0])

    failures = []
    producer.on_delivery = lambda err, _msg: err and failures.append(str(err))
    sent = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        record = json.loads(line)
        schema = schemas[record.get("schema", 0)]
        value = from_json(schema, record["value"])
        if args.avro_keys:
            producer.produce(
                topic=args.topic, key=record["key"], value=value, value_schema=schema, on_delivery=producer.on_delivery
            )
        else:
            producer.produce_plain_key(args.topic, record["key"], value, schema)
        sent += 1
        producer.poll(0)
    if producer.flush(30) > 0:
        failures.append("records still unsent after 30 s")
    if failures:
        sys.exit("produce_framed: " + "; ".join(failures[:5]))
    # Cached by the client since the first send: no request to the registry.
    ids = [producer._serializer.registry_client.register(args.topic + "-value", s) for s in schemas]
    print(json.dumps({"sent": sent, "schemaId": ids[0], "schemaIds": ids}))


if __name__ == "__main__":
    main()
